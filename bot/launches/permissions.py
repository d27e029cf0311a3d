"""Who may do what to a launch, decided here only, in the one wording of a refusal
(bot/roles.py's "Only <who> can <what>.").

A launch is run by its owner and the bot's managers (ops admins, Slack workspace admins);
an item can also be checked off by the person it is assigned to; templates are the managers'.
The owner is recognised before any role lookup, so the owner's clicks never wait on Slack.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from bot.roles import refused
from bot.text import user_mention
from models.launch import Launch, LaunchItem

if TYPE_CHECKING:
    from bot.context import Ctx


def _admins(launch: Launch) -> str:
    return f"the launch owner ({user_mention(launch.owner_id)}) and ops admins"


async def is_launch_admin(ctx: Ctx, launch: Launch) -> bool:
    return ctx.user_id == launch.owner_id or await ctx.is_manager()


async def require_launch_admin(ctx: Ctx, launch: Launch, action: str) -> None:
    """Moving the date, adding items, assigning them and changing their due dates."""
    if not await is_launch_admin(ctx, launch):
        raise refused(_admins(launch), action)


async def require_item_editor(ctx: Ctx, launch: Launch, item: LaunchItem) -> None:
    """Checking an item off (or reopening it)."""
    if item.owner_id != ctx.user_id and not await is_launch_admin(ctx, launch):
        raise refused("the item's owner, " + _admins(launch), "check it off")


async def require_decider(ctx: Ctx, launch: Launch) -> None:
    if not await is_launch_admin(ctx, launch):
        raise refused(_admins(launch), "decide go or no-go", "The go/no-go decision is the launch owner's to make.")


async def require_template_editor(ctx: Ctx) -> None:
    """Templates belong to the workspace: its managers edit them (bot/roles.py's wording)."""
    await ctx.require_manager("edit launch templates")
