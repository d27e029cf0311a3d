"""What a triage request decides and sequences: find the item, check who may touch it, change
it, then answer on the card or tell the reporters after the commit.

Called by the item card's listeners and the `/feedback status` subcommand with the request's
`ctx`; permissions are bot/feedback/permissions.py's, the changes bot/feedback/service.py's.
"""
from __future__ import annotations

from dataclasses import dataclass

from bot.blocks import Block
from bot import usertext
from bot.context import Ctx
from bot.errors import UserError
from bot.feedback.enums import Field_
from bot.feedback import blocks, flows, links, service
from bot.feedback.forms import Edits, status_of
from bot.feedback.permissions import require_reporter, require_triage
from bot.launches import flows as launch_flows, service as launch_service
from models.feedback import FeedbackItem, FeedbackStatus
from models.launch import Launch


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
    linked = item.launch_id
    reporters = await service.set_status(ctx.session, item, status, note)
    await rerender_linked(ctx, [linked])
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


async def link(ctx: Ctx, number: int, launch: Launch, note: str | None) -> str:
    """Tie the item to the launch that ships it; both launches' checklists (the new one, and
    the one it leaves) show their new count after the commit."""
    item = await item_to_triage(ctx, number)
    launch_service.require_active(launch)
    change = await links.link(ctx.session, item, launch, note)
    _rerender_checklists(ctx, [launch, *([await ctx.session.get(Launch, change.previous)] if change.previous else [])])
    name = f"*{usertext.mrkdwn(launch.name, limit=200)}*"
    kept = (" Its note for the reporters is kept; give a new one after the name to change it."
            if note is None and item.ship_note else "")
    if change.same_launch:
        if change.note_changed:
            return f"#{item.number} still ships with {name}; its note for the reporters is updated."
        return f"#{item.number} already ships with {name}.{kept}"
    earlier = await ctx.session.get(Launch, change.previous) if change.previous else None
    moved = f" (moved from *{usertext.mrkdwn(earlier.name, limit=200)}*)" if earlier is not None else ""
    return (f"#{item.number} ships with {name}{moved}. On launch day, once it has a go, #{item.number} is "
            f"marked shipped and its reporters get a DM" + (" with your note." if item.ship_note else ".") + kept)


async def link_by_name(ctx: Ctx, number: int, launch_name: str, note: str | None, *, quoted: bool = True) -> str:
    """A quoted name is the name; an unquoted one is its first word, or as many of the words
    after it as name a launch (the rest is the note)."""
    if not quoted and note:
        words = [launch_name, *note.split()]
        found = await launch_service.get_by_prefix(ctx.session, ctx.team_id, words)
        if found is not None:
            launch, used = found
            rest = note.split(None, used - 1)[-1] if used > 1 else note
            return await link(ctx, number, launch, (rest if used <= len(words) - 1 else "") or None)
    return await link(ctx, number, await launch_service.get(ctx.session, ctx.team_id, launch_name), note)


async def unlink(ctx: Ctx, number: int) -> str:
    item = await item_to_triage(ctx, number)
    previous = await links.unlink(ctx.session, item)
    launch = await ctx.session.get(Launch, previous)
    _rerender_checklists(ctx, [launch])
    name = f" from *{usertext.mrkdwn(launch.name, limit=200)}*" if launch is not None else ""
    return f"#{item.number} is unlinked{name}; it ships with no launch now."


async def open_link(ctx: Ctx, number: int) -> None:
    item = await item_to_triage(ctx, number)
    today = launch_flows.today_in(ctx.workspace.timezone)
    choices = await launch_service.linkable(ctx.session, ctx.team_id, today)
    ctx.open_modal(blocks.link_modal(await service.view(ctx.session, item),
                                     [(c.id, c.name, c.launch_date) for c in choices[:blocks.OPTIONS_MAX]],
                                     more=len(choices) > blocks.OPTIONS_MAX))


async def link_chosen(ctx: Ctx, number: int, chosen: str | None, note: str | None) -> str:
    """The picker's submission: a launch of this workspace, or unlinking."""
    try:
        if chosen == blocks.NO_LAUNCH:
            return await unlink(ctx, number)
        if chosen is None or not chosen.isdigit() or len(chosen) > 12:
            raise UserError("Pick a launch.")
        return await link(ctx, number, await launch_service.get_by_id(ctx.session, ctx.team_id, int(chosen)), note)
    except UserError as exc:  # said under the picker, where the person is looking
        if exc.field is not None:
            raise
        raise UserError(exc.message, field=Field_.LAUNCH) from None


async def rerender_linked(ctx: Ctx, launch_ids: list[int | None]) -> None:
    """An item's change (status, merge, delete) changes what its launch says it ships."""
    _rerender_checklists(ctx, [await ctx.session.get(Launch, i) for i in dict.fromkeys(launch_ids) if i])


def _rerender_checklists(ctx: Ctx, launches: list[Launch | None]) -> None:
    """After the commit, each posted checklist shows what it ships now (one not posted yet gets
    its count when it is)."""
    rt, client, team_id = ctx.rt, ctx.client, ctx.team_id
    for launch in launches:
        if launch is not None and launch.message_ts and launch.cancelled_at is None:
            ctx.later(lambda launch_id=launch.id: launch_flows.render(rt, client, team_id, launch_id))


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
