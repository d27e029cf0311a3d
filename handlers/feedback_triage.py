"""The feedback item card: add details, status, owner, edit and list paging, with their modals,
and the delete question's buttons.

Registered by handlers/feedback.py's `listeners`: one feature, two small modules (capture
there, triage here). Listeners parse the payload, call one flow, and answer; the controls
about one item share a listener and are dispatched by action id, as subcommands are.
"""
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from bot.context import Ctx
from bot.edge import ProdOpsApp
from bot.feedback import blocks, deletion, service, triage
from bot.feedback.enums import CloseMeta, DeleteRef, FeedbackAction, FeedbackView, Field_, ItemRef, PageRef
from bot.feedback.forms import chosen_status, details_from, edits_from, filters_of, number_of
from bot.forms import FormData, read_meta


async def item_control(ctx: Ctx, action: dict[str, Any]) -> None:
    """A button or select about one item (its card, or a confirmation's "Add details")."""
    await ctx.answer()
    await ITEM_CONTROLS[action["action_id"]](ctx, number_of(action), action)


ItemControl = Callable[[Ctx, int, dict[str, Any]], Awaitable[None]]
ITEM_CONTROLS: dict[str, ItemControl] = {
    FeedbackAction.ADD_DETAILS: lambda ctx, number, action: triage.open_details(ctx, number),
    FeedbackAction.STATUS: lambda ctx, number, action: triage.choose_status(ctx, number, chosen_status(action)),
    FeedbackAction.OWNER: lambda ctx, number, action: triage.set_owner(ctx, number, action.get("selected_user")),
    FeedbackAction.EDIT: lambda ctx, number, action: triage.open_edit(ctx, number),
    FeedbackAction.LINK: lambda ctx, number, action: triage.open_link(ctx, number),
}


async def details_submitted(ctx: Ctx, view: dict[str, Any]) -> None:
    ref = read_meta(ItemRef, view.get("private_metadata"))
    await triage.add_details(ctx, ref.number, details_from(FormData(view)))
    await ctx.answer()


async def close_submitted(ctx: Ctx, view: dict[str, Any]) -> None:
    meta = read_meta(CloseMeta, view.get("private_metadata"))
    note = FormData(view).text(Field_.NOTE) or ""
    await triage.set_status(ctx, meta.number, meta.status, note)
    await ctx.answer()


async def edit_submitted(ctx: Ctx, view: dict[str, Any]) -> None:
    ref = read_meta(ItemRef, view.get("private_metadata"))
    await triage.edit(ctx, ref.number, edits_from(FormData(view)))
    await ctx.answer()


async def link_submitted(ctx: Ctx, view: dict[str, Any]) -> None:
    """The launch picker: an item with no launch to pick from only closes."""
    ref = read_meta(ItemRef, view.get("private_metadata"))
    form = FormData(view)
    if form.has(Field_.LAUNCH):
        said = await triage.link_chosen(ctx, ref.number, form.choice(Field_.LAUNCH), form.text(Field_.NOTE) or "")
        ctx.tell_later(None, said)  # a form's success has nowhere else to show: a DM
    await ctx.answer()


async def page_clicked(ctx: Ctx, action: dict[str, Any]) -> None:
    await ctx.answer()
    ref = read_meta(PageRef, action.get("value"))
    filters = filters_of(ref)
    page = await service.list_items(ctx.reading, ctx.team_id, filters, ref.page)
    triage.answer_in_place(ctx, blocks.plural(page.total, "feedback item"), blocks.list_blocks(page, filters))


async def delete_clicked(ctx: Ctx, action: dict[str, Any]) -> None:
    """"Delete #n" on the question: checked again and deleted; a second click finds nothing."""
    await ctx.answer()
    number = await deletion.delete(ctx, read_meta(DeleteRef, action.get("value")).number)
    triage.answer_in_place(ctx, *blocks.deleted(number))


async def keep_clicked(ctx: Ctx, action: dict[str, Any]) -> None:
    await ctx.answer()
    triage.answer_in_place(ctx, *blocks.kept(read_meta(DeleteRef, action.get("value")).number))


def listeners(app: ProdOpsApp) -> None:
    for action_id in ITEM_CONTROLS:
        app.action(action_id)(item_control)
    app.view(FeedbackView.DETAILS)(details_submitted)
    app.view(FeedbackView.CLOSE)(close_submitted)
    app.view(FeedbackView.EDIT)(edit_submitted)
    app.view(FeedbackView.LINK)(link_submitted)
    app.action(re.compile(re.escape(FeedbackAction.PAGE) + r"\..+"))(page_clicked)
    app.action(FeedbackAction.DELETE)(delete_clicked)
    app.action(FeedbackAction.KEEP)(keep_clicked)
