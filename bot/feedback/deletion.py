"""What `/feedback delete <n>` decides and sequences: find the item by its own number, check who
may delete it and that nothing was merged into it, ask, then (on the click) check it all again
and delete.

The question and the click are separate requests: a vote, a merge or a role change can come in
between, so the click re-reads everything, under the workspace's filing lock. Nobody else is
told (the reporters of a deleted item are not told), and the feature keeps no posted message for
an item (every card and confirmation is ephemeral), so there is nothing to update.
"""
from __future__ import annotations

from bot.context import Ctx
from bot.errors import UserError
from bot.feedback import service, triage
from bot.feedback.permissions import require_delete
from bot.feedback.blocks import plural
from bot.feedback.service import ItemView
from models.feedback import FeedbackItem


async def ask(ctx: Ctx, number: int) -> ItemView:
    """The item to show in the question, if this person may delete it now."""
    return (await _deletable(ctx, number))[1]


async def delete(ctx: Ctx, number: int) -> int:
    """Delete after the confirmation click; a second click finds nothing ("no feedback #n")."""
    item, _ = await _deletable(ctx, number, lock=True)
    linked = item.launch_id
    await service.delete_item(ctx.session, item)
    await triage.rerender_linked(ctx, [linked])
    return number


async def _deletable(ctx: Ctx, number: int, *, lock: bool = False) -> tuple[FeedbackItem, ItemView]:
    item = await service.numbered_item(ctx.session, ctx.team_id, number, lock=lock)
    await require_delete(ctx, item)
    view = await service.view(ctx.session, item)
    if view.merged_numbers:
        raise UserError(merged_into(view.number, view.merged_numbers))
    return item, view


def merged_into(number: int, merged: tuple[int, ...]) -> str:
    """A merged item keeps pointing at its target: deleting the target would leave it pointing
    nowhere (and back in the lists with nobody's votes), so the duplicates go first."""
    shown = ", ".join(f"#{n}" for n in merged)
    first = merged[0]
    return (f"#{number} has {plural(len(merged), 'item')} merged into it ({shown}); deleting it would leave "
            f"{'that' if len(merged) == 1 else 'them'} pointing nowhere. Delete "
            f"{'it' if len(merged) == 1 else 'those'} first (`/feedback delete {first}`; a merged item has no "
            f"reporters of its own, so its owner or an ops admin can), then #{number}.")
