"""Feedback capture: /feedback, the filing reaction, and the "File as feedback" shortcut."""
from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot import usertext
from bot.blocks import context
from bot.edge import ProdOpsApp
from bot.errors import UserError
from bot.feedback import blocks, flows, service
from bot.feedback.enums import CaptureMeta, FeedbackShortcut
from bot.feedback.parsing import FeedbackCommand, parse_command
from bot.feedback.permissions import can_triage, require_triage
from bot.feature import Feature
from bot.help import FEEDBACK
from bot.prodops.blocks import help_blocks
from bot.roles import require_manager
from bot.runtime import Runtime
from bot.tasks import Defer
from bot.workspaces import WorkspaceInfo
from bot.text import escape
from models.feedback import CaptureState, FeedbackSource



def register(app: ProdOpsApp, rt: Runtime) -> None:
    rt.scheduler.register_sweeper(lambda: flows.sweep_pending_captures(rt))
    rt.scheduler.register_sweeper(lambda: flows.sweep_outcomes(rt))

    @app.command("/feedback")
    async def feedback_command(ack: AsyncAck, command: dict[str, Any], session: AsyncSession,
                               workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
        request = parse_command(usertext.from_slack(command.get("text", "")))
        await COMMANDS[request.action](rt, ack, request, command, session, workspace, client, defer)

    @app.event("reaction_added")
    async def reaction_added(event: dict[str, Any], body: dict[str, Any], session: AsyncSession,
                             workspace: WorkspaceInfo, client: AsyncWebClient, context: dict[str, Any],
                             defer: Defer) -> None:
        if not _files_feedback(event, workspace, context.get("bot_user_id")):
            return
        team_id, reactor = workspace.team_id, event["user"]
        channel, ts = event["item"]["channel"], event["item"]["ts"]
        filed = await service.file_message(session, team_id, reactor, channel, ts, FeedbackSource.REACTION,
                                           author_id=event.get("item_user"))
        item_id, number, text, once = filed.item.id, filed.item.number, filed.item.text, body["event_id"]
        if filed.created:
            defer(lambda: flows.capture_reacted_message(rt, client, team_id, item_id, reactor, channel, ts))
        elif filed.voted and filed.item.capture_state is not CaptureState.PENDING:
            # A vote on an item still being read is confirmed when the capture completes.
            defer(lambda: flows.confirm(rt, client, team_id, channel, reactor, (number, False, True, text), once))

    @app.event("reaction_removed")
    async def reaction_removed(event: dict[str, Any], session: AsyncSession, workspace: WorkspaceInfo,
                               context: dict[str, Any]) -> None:
        if _files_feedback(event, workspace, context.get("bot_user_id")):
            await service.withdraw_reaction_vote(session, workspace.team_id, event["user"],
                                                 event["item"]["channel"], event["item"]["ts"])

    @app.shortcut(FeedbackShortcut.FILE_MESSAGE)
    async def file_message_shortcut(ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient,
                                    workspace: WorkspaceInfo, defer: Defer) -> None:
        await ack()
        message = shortcut.get("message") or {}
        if message.get("bot_id") or message.get("subtype") == "bot_message":
            raise UserError(flows.BOT_MESSAGE)
        meta = CaptureMeta(channel_id=(shortcut.get("channel") or {}).get("id"), message_ts=message.get("ts"),
                           author_id=message.get("user"), shortcut=True)
        text = usertext.from_slack(str(message.get("text") or ""))
        names = rt.users.known_names(workspace.team_id, usertext.mentioned_users(text))
        view = blocks.capture_modal(meta, text, names)
        defer(lambda: client.views_open(trigger_id=shortcut["trigger_id"], view=view))


def _files_feedback(event: dict[str, Any], workspace: WorkspaceInfo, bot_user_id: str | None) -> bool:
    """The workspace's emoji on a message that is not the bot's own."""
    item = event.get("item") or {}
    return (
        item.get("type") == "message"
        and service.reaction_base(str(event.get("reaction", ""))) == service.feedback_emoji(workspace)
        and event.get("item_user") != bot_user_id
        and bool(item.get("channel") and item.get("ts") and event.get("user"))
    )


# -- /feedback subcommands: each acks with the answer (ephemeral) -----------------------------

async def _help(rt: Runtime, ack: AsyncAck, request: FeedbackCommand, command: dict[str, Any],
                session: AsyncSession, workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
    emoji = service.feedback_emoji(workspace)
    await ack(text="/feedback help",
              blocks=help_blocks([FEEDBACK]) + [context(f"In this workspace, react with :{emoji}: to file a message.")])


async def _modal(rt: Runtime, ack: AsyncAck, request: FeedbackCommand, command: dict[str, Any],
                 session: AsyncSession, workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
    await ack()
    view = blocks.capture_modal(CaptureMeta(channel_id=command.get("channel_id")))
    defer(lambda: client.views_open(trigger_id=command["trigger_id"], view=view))


async def _file(rt: Runtime, ack: AsyncAck, request: FeedbackCommand, command: dict[str, Any],
                session: AsyncSession, workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
    assert request.draft is not None
    item = await service.file_text(session, workspace.team_id, command["user_id"], command.get("channel_id"), request.draft)
    text, body = blocks.confirmation(item.number, True, True, item.text)
    await ack(text=text, blocks=body)


async def _list(rt: Runtime, ack: AsyncAck, request: FeedbackCommand, command: dict[str, Any],
                session: AsyncSession, workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
    page = await service.list_items(session, workspace.team_id, request.filters)
    title = "Feedback search" if request.action == "search" else "Feedback"
    await ack(text=f"{page.total} feedback items", blocks=blocks.list_blocks(page, request.filters, title))


async def _show(rt: Runtime, ack: AsyncAck, request: FeedbackCommand, command: dict[str, Any],
                session: AsyncSession, workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
    item = await service.get_item(session, workspace.team_id, request.numbers[0])
    triage = await can_triage(session, rt.users, item, command["user_id"])
    await ack(text=f"Feedback #{item.number}", blocks=blocks.item_blocks(await service.view(session, item), triage))


async def _export(rt: Runtime, ack: AsyncAck, request: FeedbackCommand, command: dict[str, Any],
                  session: AsyncSession, workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
    team_id, user = workspace.team_id, command["user_id"]
    await ack(text="Preparing your CSV export; it will arrive in your DMs with me.")
    defer(lambda: flows.export(rt, client, team_id, user, request.filters))


async def _merge(rt: Runtime, ack: AsyncAck, request: FeedbackCommand, command: dict[str, Any],
                 session: AsyncSession, workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
    await require_manager(session, rt.users, workspace.team_id, command["user_id"], "merge feedback")
    source, target = await service.merge(session, workspace.team_id, *request.numbers)
    await ack(text=f"Merged #{source.number} into #{target.number}: its reporters, tags and source now count there.")


async def _emoji(rt: Runtime, ack: AsyncAck, request: FeedbackCommand, command: dict[str, Any],
                 session: AsyncSession, workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
    await require_manager(session, rt.users, workspace.team_id, command["user_id"], "change the feedback emoji")
    await service.set_emoji(session, workspace.team_id, request.emoji or service.DEFAULT_EMOJI)
    team_id = workspace.team_id

    async def forget() -> None:
        rt.workspaces.forget(team_id)

    defer(forget)
    await ack(text=f"Reacting with :{escape(request.emoji or '')}: now files a message as feedback.")


async def _status(rt: Runtime, ack: AsyncAck, request: FeedbackCommand, command: dict[str, Any],
                  session: AsyncSession, workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
    assert request.status is not None
    team_id = workspace.team_id
    item = await service.get_item(session, team_id, request.numbers[0])
    await require_triage(session, rt.users, item, command["user_id"])
    reporters = await service.set_status(session, item, request.status, request.note)
    number = item.number
    if reporters:
        defer(lambda: flows.notify_outcome(rt, client, team_id, number, reporters))
    told = f" {len(reporters)} reporter{'s' if len(reporters) != 1 else ''} will get a DM." if reporters else ""
    await ack(text=f"#{number} is now *{request.status.value}*.{told}")


COMMANDS = {
    "help": _help, "modal": _modal, "file": _file, "list": _list, "search": _list, "show": _show,
    "export": _export, "merge": _merge, "emoji": _emoji, "status": _status,
}


def _listeners(app: ProdOpsApp) -> None:
    from handlers import feedback_triage

    register(app, app.rt)
    feedback_triage.register(app, app.rt)


FEATURE = Feature("feedback", FEEDBACK, listeners=_listeners)
