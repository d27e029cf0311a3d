"""What a triage request decides and sequences: find the item, check who may touch it, change
it, then answer on the card or tell the reporters after the commit.

Called by the item card's listeners and the `/feedback status` subcommand with the request's
`ctx`; permissions are bot/feedback/permissions.py's, the changes bot/feedback/service.py's.
"""
from __future__ import annotations

from dataclasses import dataclass

from bot.blocks import Block
from bot.context import Ctx
from bot.feedback import blocks, flows, service
from bot.feedback.forms import Edits, status_of
from bot.feedback.permissions import require_reporter, require_triage
from models.feedback import FeedbackItem, FeedbackStatus


@dataclass(frozen=True)
class StatusChange:
    number: int
    status: FeedbackStatus
    told: int  # reporters who will get the outcome DM (closing the loop), else 0


async def item_to_triage(ctx: Ctx, number: int) -> FeedbackItem:
    item = await service.get_item(ctx.session, ctx.team_id, number)
    await require_triage(ctx, item)
    return item


async def set_status(ctx: Ctx, number: int, status: FeedbackStatus, note: str | None) -> StatusChange:
    """Closing an item DMs everyone who reported it, after the commit."""
    item = await item_to_triage(ctx, number)
    reporters = await service.set_status(ctx.session, item, status, note)
    rt, client, team_id, resolved = ctx.rt, ctx.client, ctx.team_id, item.number  # a merged number resolves
    if reporters:
        ctx.later(lambda: flows.notify_outcome(rt, client, team_id, resolved, reporters))
    return StatusChange(resolved, status, len(reporters))


async def choose_status(ctx: Ctx, number: int, chosen: str | None) -> None:
    """The card's status select: closing the loop asks for a note first; any other status is
    set at once and the card shows it."""
    item = await item_to_triage(ctx, number)
    status = status_of(chosen)
    if status in service.CLOSED:
        ctx.open_modal(blocks.close_modal(item.number, status))
        return
    await service.set_status(ctx.session, item, status, None)
    await _rerender(ctx, item)


async def set_owner(ctx: Ctx, number: int, owner_id: str | None) -> None:
    item = await item_to_triage(ctx, number)
    await service.set_owner(ctx.session, item, owner_id)
    await _rerender(ctx, item)


async def open_edit(ctx: Ctx, number: int) -> None:
    item = await item_to_triage(ctx, number)
    ctx.open_modal(blocks.edit_modal(await service.view(ctx.session, item)))


async def edit(ctx: Ctx, number: int, edits: Edits) -> None:
    item = await item_to_triage(ctx, number)
    await service.edit(ctx.session, item, product_area=edits.product_area, customer=edits.customer,
                       importance=edits.importance, tags=edits.tags)


async def open_details(ctx: Ctx, number: int) -> None:
    item = await service.get_item(ctx.session, ctx.team_id, number)
    await require_reporter(ctx, item)
    ctx.open_modal(blocks.details_modal(item.number))


async def add_details(ctx: Ctx, number: int, details: str) -> None:
    item = await service.get_item(ctx.session, ctx.team_id, number)
    await service.add_details(ctx.session, item, ctx.user_id, details)


async def _rerender(ctx: Ctx, item: FeedbackItem) -> None:
    """Replace the ephemeral item card the click came from with its new state."""
    body = blocks.item_blocks(await service.view(ctx.session, item), can_triage=True)
    answer_in_place(ctx, f"Feedback #{item.number}", body)


def answer_in_place(ctx: Ctx, text: str, body: list[Block] | None = None) -> None:
    """A click's answer replaces the ephemeral message it came from (a click's ack shows
    nothing), after the commit."""
    respond = ctx.respond
    if respond is not None and (text or body):
        ctx.later(lambda: respond(text=text, blocks=body, replace_original=True))
