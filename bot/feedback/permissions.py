"""Who may do what to feedback, decided here only, in the one wording of a refusal
(bot/roles.py's "Only <who> can <what>.").

Triage (status, owner, edit) is for ops admins (and Slack admins) and the item's owner; adding
details is for the people who filed or voted for the item; merging and the emoji are the bot's
managers' (bot/roles.py's require_manager). Deleting is for managers, the item's owner, and
whoever filed it while nobody else stands behind it (a delete must not take others' votes away).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from bot.errors import PermissionDenied
from bot.roles import refused
from models.feedback import FeedbackItem, FeedbackReporter

if TYPE_CHECKING:
    from bot.context import Ctx


def reporters_only(number: int) -> PermissionDenied:
    return refused(f"people who filed or voted for #{number}", "add details to it")


async def can_triage(ctx: Ctx, item: FeedbackItem) -> bool:
    """For showing triage controls: a failed role lookup just hides them."""
    return item.owner_id == ctx.user_id or await ctx.shown_as_manager()


async def require_triage(ctx: Ctx, item: FeedbackItem) -> None:
    if item.owner_id == ctx.user_id or await ctx.is_manager():
        return
    raise refused(f"ops admins and the owner of #{item.number}", "triage it",
                  "You can still add details to feedback you filed or voted for.")


async def require_reporter(ctx: Ctx, item: FeedbackItem) -> None:
    reporter = await ctx.session.scalar(select(func.count()).where(
        FeedbackReporter.item_id == item.id, FeedbackReporter.user_id == ctx.user_id))
    if reporter != 1:
        raise reporters_only(item.number)


async def require_manager(ctx: Ctx, action: str) -> None:
    """Merging and the filing emoji: ops admins and Slack workspace admins (bot-wide wording)."""
    await ctx.require_manager(action)


async def require_delete(ctx: Ctx, item: FeedbackItem) -> None:
    """The owner, the one reporter (their row the only one), or a manager; the role lookup last,
    so the owner and the reporter are never refused because Slack is slow."""
    reporters = list(await ctx.session.scalars(select(FeedbackReporter.user_id).where(
        FeedbackReporter.item_id == item.id).limit(2)))
    if item.owner_id == ctx.user_id or reporters == [ctx.user_id] or await ctx.is_manager():
        return
    hint = ("Other people voted for it too: ask an ops admin or its owner (`/prodops admins list`)."
            if ctx.user_id in reporters else "")
    raise refused(f"ops admins, Slack admins, the owner of #{item.number} and the person who filed it "
                  "(while nobody else has voted for it)", "delete it", hint)
