"""/prodops: help, ops admins, workspace timezone, status; the working calendar's commands
(hours, away, holidays, budget) are in handlers/calendar.py, dispatched from here."""
from __future__ import annotations

from typing import Any

from bot.context import Ctx
from bot.edge import ProdOpsApp
from bot.feature import Feature
from bot.blocks import section
from bot.usertext import from_slack
from bot.help import help_blocks, help_text, unknown_line
from bot.prodops.help import PRODOPS
from bot.prodops import blocks
from bot.prodops.enums import Command
from bot.prodops.parsing import ProdopsRequest, parse
from bot.prodops.status import send_status
from bot.text import user_mention
from bot.workspaces import add_ops_admin, list_ops_admins, remove_ops_admin, set_timezone
from handlers import agreements
from handlers.calendar import calendar_command


async def prodops_command(ctx: Ctx, command: dict[str, Any]) -> None:
    request = parse(command.get("text", ""))
    await ACTIONS[request.action](ctx, request)


async def _help(ctx: Ctx, request: ProdopsRequest) -> None:
    commands = ctx.rt.commands
    if request.unknown is None:
        await ctx.answer(help_text(commands), help_blocks(commands))
        return
    said = unknown_line("/prodops", from_slack(request.unknown), request.typo)
    await ctx.answer(said, [section(said), *help_blocks(commands)])


async def _admins_list(ctx: Ctx, request: ProdopsRequest) -> None:
    await ctx.answer("Ops admins", blocks.admins_blocks(await list_ops_admins(ctx.session, ctx.team_id)))


async def _admins_add(ctx: Ctx, request: ProdopsRequest) -> None:
    await ctx.require_manager("change ops admins")
    target = request.user_id or ""
    changed = await add_ops_admin(ctx.session, ctx.team_id, target, added_by=ctx.user_id)
    await ctx.answer(f"{user_mention(target)} is {'now' if changed else 'already'} an ops admin.")


async def _admins_remove(ctx: Ctx, request: ProdopsRequest) -> None:
    await ctx.require_manager("change ops admins")
    target = request.user_id or ""
    changed = await remove_ops_admin(ctx.session, ctx.team_id, target)
    await ctx.answer(f"{user_mention(target)} {'is no longer' if changed else 'was not'} an ops admin.")


async def _timezone(ctx: Ctx, request: ProdopsRequest) -> None:
    await ctx.require_manager("change the workspace timezone")
    tz = await set_timezone(ctx.session, ctx.team_id, request.timezone or "")
    ctx.workspace_changed()
    await ctx.answer(f"Workspace timezone set to `{tz}`. Schedules and digests use it from now on.")


async def _status(ctx: Ctx, request: ProdopsRequest) -> None:
    await ctx.answer()
    rt, client, respond, team_id, timezone = ctx.rt, ctx.client, ctx.respond, ctx.team_id, ctx.workspace.timezone
    ctx.later(lambda: send_status(rt, client, respond, team_id, timezone))


async def _calendar(ctx: Ctx, request: ProdopsRequest) -> None:
    assert request.calendar is not None
    await calendar_command(ctx, request.calendar)


ACTIONS = {"help": _help, "admins_list": _admins_list, "admins_add": _admins_add,
           "admins_remove": _admins_remove, "timezone": _timezone, "status": _status, "calendar": _calendar,
           **agreements.ACTIONS}


def listeners(app: ProdOpsApp) -> None:
    app.command(Command.PRODOPS)(prodops_command)


# The working calendar (/prodops hours|away|holidays) is this feature's: so is its home card.
FEATURE = Feature("prodops", PRODOPS, listeners=listeners)
