"""The launch modals and checklist controls read back into typed values (bot/forms.py does the
reading): handlers parse with these, then call one function of bot/launches/requests.py.

A missing or bad field is refused under the field; a stale button, menu or form is refused with
its one wording (bot/launches/enums.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.errors import UserError
from bot.forms import FormData, read_meta
from bot.launches.enums import (ITEM_BLOCK, STALE_CHECKLIST, STALE_DELETE_FORM, STALE_GO_NO_GO, STALE_TEMPLATE_FORM,
                                DeleteMeta, Field_, ItemRef, LaunchRef, TemplateMeta)
from bot.launches.parsing import NewLaunch, TemplateItem, parse_date, parse_name, parse_template_lines
from bot.usertext import from_typed


def new_launch_from(view: dict[str, Any], user_id: str) -> NewLaunch:
    """The new-launch form; the owner is whoever submits it unless someone else was picked."""
    form = FormData(view)
    name = parse_name(form.text(Field_.NAME) or "")
    raw_date = form.date(Field_.DATE)
    if not raw_date:
        raise UserError("Pick the launch date.", field=Field_.DATE)
    try:
        when = parse_date(raw_date)
    except UserError as exc:
        raise UserError(exc.message, field=Field_.DATE) from None
    channel = form.channel(Field_.CHANNEL)
    if not channel:
        raise UserError("Pick the channel for the checklist.", field=Field_.CHANNEL)
    template = form.choice(Field_.TEMPLATE)  # the name as shown, which is what was typed
    return NewLaunch(name, when, channel, from_typed(template) if template else None,
                     owner_id=form.user(Field_.OWNER) or user_id)


@dataclass(frozen=True)
class TemplateForm:
    name: str
    items: list[TemplateItem]
    editing: str | None  # the template's name before this edit; None for a new one


def template_from(view: dict[str, Any]) -> TemplateForm:
    """The template form. Its lines are kept whole, so an error names the line as numbered there."""
    form = FormData(view)
    meta = read_meta(TemplateMeta, view.get("private_metadata"), STALE_TEMPLATE_FORM, field=Field_.NAME)
    items = parse_template_lines(form.text(Field_.ITEMS, trim=False) or "")
    return TemplateForm(form.text(Field_.NAME) or "", items, meta.editing)


def clicked_item(value: str | None) -> ItemRef:
    """A check-off button's value or a compact menu's chosen option."""
    return read_meta(ItemRef, value, STALE_CHECKLIST)


def item_of(action: dict[str, Any]) -> ItemRef:
    """The item an owner or due-date control belongs to: its row's block id names it."""
    match = ITEM_BLOCK.match(str(action.get("block_id", "")))
    if not match:
        raise UserError(STALE_CHECKLIST)
    return ItemRef(l=int(match.group(1)), i=int(match.group(2)))


def launch_of(action: dict[str, Any]) -> LaunchRef:
    """The launch a Go or No-go button decides."""
    return read_meta(LaunchRef, action.get("value"), STALE_GO_NO_GO)


def delete_of(view: dict[str, Any]) -> DeleteMeta:
    """The launch a delete confirmation was opened for."""
    return read_meta(DeleteMeta, view.get("private_metadata"), STALE_DELETE_FORM)
