"""The feedback modals and buttons read back into typed values (bot/forms.py does the reading).

Handlers parse with these, then call one flow; a missing required field is refused under it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.errors import UserError
from bot.feedback.enums import Field_, ItemRef, PageRef
from bot.feedback.parsing import Draft, Filters, parse_tags
from bot.forms import FormData, read_meta
from models.feedback import FeedbackStatus

ITEM_BLOCK = re.compile(r"^feedback\.item\.(\d+)$")


@dataclass(frozen=True)
class Edits:
    """The edit form: what triage may change besides status and owner."""

    customer: str | None
    product_area: str | None
    importance: str | None
    tags: tuple[str, ...]


def draft_from(form: FormData) -> Draft:
    text = form.text(Field_.TEXT)
    if not text:
        raise UserError("Write the feedback itself.", field=Field_.TEXT)
    return Draft(text=text, customer=form.text(Field_.CUSTOMER), product_area=form.text(Field_.AREA),
                 tags=parse_tags(form.text(Field_.TAGS) or ""), importance=form.choice(Field_.IMPORTANCE))


def details_from(form: FormData) -> str:
    details = form.text(Field_.DETAILS)
    if not details:
        raise UserError("Write the details to add.", field=Field_.DETAILS)
    return details


def edits_from(form: FormData) -> Edits:
    tags = parse_tags(form.text(Field_.TAGS) or "")
    return Edits(customer=form.text(Field_.CUSTOMER), product_area=form.text(Field_.AREA),
                 importance=form.choice(Field_.IMPORTANCE), tags=tags)


def number_of(action: dict[str, Any]) -> int:
    """The item a card's button or select belongs to: its value, or the card's block id."""
    if action.get("value"):
        return read_meta(ItemRef, action["value"]).number
    match = ITEM_BLOCK.match(str(action.get("block_id", "")))
    if not match:
        raise UserError("That button is out of date; run `/feedback show <number>` again.")
    return int(match.group(1))


def chosen_status(action: dict[str, Any]) -> str | None:
    option = action.get("selected_option")
    return option.get("value") if isinstance(option, dict) else None


def status_of(value: str | None) -> FeedbackStatus:
    try:
        return FeedbackStatus(value)
    except (TypeError, ValueError):
        raise UserError("That status is not one I know; pick one from the list.") from None


def filters_of(ref: PageRef) -> Filters:
    return Filters(status=FeedbackStatus(ref.status) if ref.status else None, tags=tuple(ref.tags),
                   area=ref.area, words=tuple(ref.words), sort="top" if ref.sort == "top" else "new")
