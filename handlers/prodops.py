"""/prodops: help, ops admins, workspace timezone, status."""
from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot import __version__
from bot.edge import ProdOpsApp
from bot.help import COMMANDS
from bot.prodops import blocks
from bot.prodops.enums import Command
from bot.prodops.service import StatusReport, parse
from bot.roles import require_manager
from bot.runtime import Runtime
from bot.tasks import Defer
from bot.text import escape, user_mention
from bot.workspaces import add_ops_admin, list_ops_admins, remove_ops_admin, set_timezone, WorkspaceInfo


def register(app: ProdOpsApp, rt: Runtime) -> None:
    @app.command(Command.PRODOPS)
    async def prodops(
        ack: AsyncAck, command: dict[str, Any], session: AsyncSession, workspace: WorkspaceInfo,
        client: AsyncWebClient, respond: AsyncRespond, defer: Defer,
    ) -> None:
        request = parse(command.get("text", ""))
        user_id = command["user_id"]
        team_id = workspace.team_id
        if request.action == "help":
            await ack(text=blocks.help_text(COMMANDS), blocks=blocks.help_blocks(COMMANDS))
        elif request.action == "admins_list":
            await ack(blocks=blocks.admins_blocks(await list_ops_admins(session, team_id)), text="Ops admins")
        elif request.action in {"admins_add", "admins_remove"}:
            await require_manager(session, rt.users, team_id, user_id, "change ops admins")
            target = request.user_id or ""
            if request.action == "admins_add":
                changed = await add_ops_admin(session, team_id, target, added_by=user_id)
                text = f"{user_mention(target)} is {'now' if changed else 'already'} an ops admin."
            else:
                changed = await remove_ops_admin(session, team_id, target)
                text = f"{user_mention(target)} {'is no longer' if changed else 'was not'} an ops admin."
            await ack(text=text)
        elif request.action == "timezone":
            await require_manager(session, rt.users, team_id, user_id, "change the workspace timezone")
            tz = await set_timezone(session, team_id, request.timezone or "")
            defer(lambda: _forget(rt, team_id))
            await ack(text=f"Workspace timezone set to `{tz}`. Schedules and digests use it from now on.")
        else:
            await ack()
            team_id, timezone = workspace.team_id, workspace.timezone
            defer(lambda: send_status(rt, client, respond, team_id, timezone))


async def send_status(rt: Runtime, client: AsyncWebClient, respond: AsyncRespond, team_id: str, timezone: str) -> None:
    """Runs after the ack: it calls Slack, which may take longer than the ack allows."""
    try:
        auth = await client.auth_test()
        slack_ok, detail = True, f"connected to {escape(str(auth.get('team') or auth.get('team_id')))}"
    except SlackApiError as exc:
        slack_ok, detail = False, f"Slack answered `{exc.response.get('error', 'error')}`"
    except Exception as exc:  # connection problems: say so rather than fail silently
        slack_ok, detail = False, f"unreachable ({type(exc).__name__})"
    report = StatusReport(
        version=__version__,
        database_backend=rt.db.backend,
        database_ok=await rt.db.ping(),
        scheduler_running=rt.scheduler.running,
        next_runs=rt.scheduler.next_runs(team_id),
        slack_ok=slack_ok,
        slack_detail=detail,
        workspace_timezone=timezone,
    )
    await respond(text="ProdOps Bot status", blocks=blocks.status_blocks(report), response_type="ephemeral")


async def _forget(rt: Runtime, team_id: str) -> None:
    rt.workspaces.forget(team_id)
