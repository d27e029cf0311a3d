"""/launch and its modals.

User text is converted once, here: the command's text with `usertext.from_slack` before it is
parsed, a value typed into a form with `usertext.from_typed`. Answers (ephemeral) render it with
`usertext.mrkdwn`."""
from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ValidationError
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.edge import ProdOpsApp
from bot.errors import UserError
from bot.feature import Feature
from bot.help import LAUNCH
from bot.launches import blocks, flows, service, templates
from bot.launches.enums import Field_, LaunchView, TemplateMeta
from bot.launches.parsing import LaunchCommand, parse_command, parse_date, parse_name, parse_template_lines
from bot.prodops.blocks import help_blocks
from bot.roles import can_manage, require_manager
from bot.runtime import Runtime
from bot.tasks import Defer
from bot.workspaces import WorkspaceInfo
from bot.text import channel_mention
from bot.usertext import from_slack, from_typed, mrkdwn



async def ensure_member(client: AsyncWebClient, channel_id: str) -> None:
    """The checklist lives in the channel: refuse up front if the bot cannot post there.
    Called with the short-timeout lookup client, before the request touches the database.

    Only Slack's membership answers (not_in_channel, channel_not_found, is_member false) ask
    for an invite; any other Slack error says nothing about membership, so the person is told
    Slack could not be reached and to try again."""
    try:
        info = (await client.conversations_info(channel=channel_id))["channel"]
    except SlackApiError as exc:
        error = exc.response.get("error") or f"HTTP {exc.response.status_code}"
        if error in flows.NOT_INVITED:
            raise UserError(f"I can't see {channel_mention(channel_id)} ({error}). "
                            "Invite me with `/invite @ProdOps` first.", field=Field_.CHANNEL) from None
        raise UserError(f"I couldn't reach Slack to check {channel_mention(channel_id)} (Slack said `{error}`). "
                        "Nothing was created; please try again in a moment.", field=Field_.CHANNEL) from None
    except Exception as exc:  # timeout: Slack is slow, say so rather than miss the ack window
        raise UserError(f"Slack didn't answer in time about {channel_mention(channel_id)} ({type(exc).__name__}); "
                        "please try again.", field=Field_.CHANNEL) from None
    if not info.get("is_member"):
        raise UserError(f"I'm not in {channel_mention(channel_id)}. Invite me with `/invite @ProdOps`, then try again.",
                        field=Field_.CHANNEL)


def past_warning(when: date, today: date) -> str:
    return (f"\n:warning: {when.isoformat()} is in the past; the launch was created anyway, "
            "with its items already overdue.") if when < today else ""


NUDGE_SECONDS = 15 * 60  # fine enough for 09:00 in every timezone, half-hour ones included


def register(app: ProdOpsApp, rt: Runtime) -> None:
    rt.scheduler.register_interval("system:launch-nudges", "launch nudges",
                                   lambda: flows.send_nudges(rt, rt.client), NUDGE_SECONDS)
    rt.scheduler.register_sweeper(lambda: flows.sweep_unposted_checklists(rt))

    @app.command("/launch")
    async def launch_command(ack: AsyncAck, command: dict[str, Any], session: AsyncSession, workspace: WorkspaceInfo,
                             client: AsyncWebClient, defer: Defer) -> None:
        request = parse_command(from_slack(command.get("text", "")))
        await COMMANDS[request.action](rt, ack, request, command, session, workspace, client, defer)

    @app.view(LaunchView.NEW)
    async def new_launch_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], session: AsyncSession,
                                   workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
        values = view["state"]["values"]
        pick = lambda field, key: (values.get(field, {}).get(field) or {}).get(key)  # noqa: E731
        name = parse_name(from_typed(pick(Field_.NAME, "value") or ""))
        when = _modal_date(pick(Field_.DATE, "selected_date"))
        channel = pick(Field_.CHANNEL, "selected_conversation")
        if not channel:
            raise UserError("Pick the channel for the checklist.", field=Field_.CHANNEL)
        template = (pick(Field_.TEMPLATE, "selected_option") or {}).get("value")  # the name as shown
        template = from_typed(template) if template else None
        owner = pick(Field_.OWNER, "selected_user") or body["user"]["id"]
        actor = body["user"]["id"]
        await _create(rt, session, workspace, client, name=name, when=when, channel=channel,
                      template=template, owner=owner, actor=actor, defer=defer)
        await ack()
        note = past_warning(when, flows.today_in(workspace.timezone)).strip()
        if note:
            defer(lambda: client.chat_postEphemeral(channel=channel, user=actor, text=note))

    @app.view(LaunchView.TEMPLATE)
    async def template_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], session: AsyncSession,
                                 workspace: WorkspaceInfo, client: AsyncWebClient) -> None:
        await require_manager(session, rt.users, workspace.team_id, body["user"]["id"], "edit launch templates")
        values = view["state"]["values"]
        name = from_typed((values.get(Field_.NAME, {}).get(Field_.NAME) or {}).get("value") or "")
        lines = from_typed((values.get(Field_.ITEMS, {}).get(Field_.ITEMS) or {}).get("value") or "")
        try:
            meta = TemplateMeta.model_validate_json(view.get("private_metadata") or "{}")
        except ValidationError:
            raise UserError("That form is out of date; run `/launch template edit` again.", field=Field_.NAME) from None
        await templates.save(session, workspace.team_id, name, parse_template_lines(lines), body["user"]["id"],
                             replace=meta.editing)
        await ack()


def _modal_date(raw: str | None) -> date:
    if not raw:
        raise UserError("Pick the launch date.", field=Field_.DATE)
    try:
        return parse_date(raw)
    except UserError as exc:
        raise UserError(exc.message, field=Field_.DATE) from None


async def _create(rt: Runtime, session: AsyncSession, workspace: WorkspaceInfo, client: AsyncWebClient, *, name: str,
                  when: date, channel: str, template: str | None, owner: str, actor: str, defer: Defer) -> None:
    await ensure_member(rt.lookup or client, channel)
    template_name, items = await templates.find(session, workspace.team_id, template)
    launch = await service.create(session, workspace.team_id, name=name, launch_date=when, channel_id=channel,
                                  owner_id=owner, template_name=template_name, items=items, actor=actor)
    posting = await flows.claim_checklist_post(session, workspace.team_id, launch.id)
    launch_id = launch.id
    defer(lambda: flows.post_new_checklist(rt, client, posting, launch_id, actor, channel))


# -- /launch subcommands ----------------------------------------------------------------------

async def _help(rt: Runtime, ack: AsyncAck, request: LaunchCommand, command: dict[str, Any], session: AsyncSession,
                workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
    await ack(text="/launch help", blocks=help_blocks([LAUNCH]))


async def _modal(rt: Runtime, ack: AsyncAck, request: LaunchCommand, command: dict[str, Any], session: AsyncSession,
                 workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
    names = await templates.names(session, workspace.team_id)
    view = blocks.new_launch_modal(names, command["user_id"], command.get("channel_id"))
    await ack()
    defer(lambda: client.views_open(trigger_id=command["trigger_id"], view=view))


async def _new(rt: Runtime, ack: AsyncAck, request: LaunchCommand, command: dict[str, Any], session: AsyncSession,
               workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
    assert request.name and request.when
    channel = command["channel_id"]
    await _create(rt, session, workspace, client, name=request.name, when=request.when, channel=channel,
                  template=request.template, owner=command["user_id"], actor=command["user_id"], defer=defer)
    today = flows.today_in(workspace.timezone)
    await ack(text=f"Created *{mrkdwn(request.name)}* for {request.when.isoformat()}; the checklist is going up in "
                   f"{channel_mention(channel)}." + past_warning(request.when, today))


async def _list(rt: Runtime, ack: AsyncAck, request: LaunchCommand, command: dict[str, Any], session: AsyncSession,
                workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
    views = await service.upcoming(session, workspace.team_id, flows.today_in(workspace.timezone))
    await ack(text=f"{len(views)} upcoming launches", blocks=blocks.launch_list(views))


async def _status(rt: Runtime, ack: AsyncAck, request: LaunchCommand, command: dict[str, Any], session: AsyncSession,
                  workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
    launch = await service.get(session, workspace.team_id, request.name or "")
    view = await service.view(session, launch, flows.today_in(workspace.timezone))
    await ack(text=f"{mrkdwn(view.name)}: {view.readiness}% ready", blocks=blocks.status(view))


async def _go(rt: Runtime, ack: AsyncAck, request: LaunchCommand, command: dict[str, Any], session: AsyncSession,
              workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
    launch = await service.get(session, workspace.team_id, request.name or "")
    team_id, launch_id = workspace.team_id, launch.id
    defer(lambda: flows.post_go_no_go(rt, client, team_id, launch_id))
    await ack(text=f"Posting the go/no-go summary for *{mrkdwn(launch.name)}* in the checklist thread.")


async def _launch_admin(rt: Runtime, session: AsyncSession, client: AsyncWebClient, workspace: WorkspaceInfo,
                        user_id: str, name: str, action: str):  # noqa: ANN202
    launch = await service.get(session, workspace.team_id, name)
    manager = user_id == launch.owner_id or await can_manage(session, rt.users, workspace.team_id, user_id)
    service.require_launch_admin(launch, user_id, manager, action)
    return launch


async def _date(rt: Runtime, ack: AsyncAck, request: LaunchCommand, command: dict[str, Any], session: AsyncSession,
                workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
    assert request.when
    user = command["user_id"]
    launch = await _launch_admin(rt, session, client, workspace, user, request.name or "", "move the launch date")
    old = await service.move(session, launch, request.when, user)
    if old is None:
        await ack(text=f"*{mrkdwn(launch.name)}* already launches {request.when.isoformat()}; nothing changed.")
        return
    team_id, launch_id = workspace.team_id, launch.id
    line = blocks.thread_line(user, "date", f"{old.isoformat()} → {request.when.isoformat()}")
    defer(lambda: flows.after_change(rt, client, team_id, launch_id, line))
    today = flows.today_in(workspace.timezone)
    await ack(text=f"*{mrkdwn(launch.name)}* now launches {request.when.isoformat()}; open items moved with it."
                   + past_warning(request.when, today))


async def _add(rt: Runtime, ack: AsyncAck, request: LaunchCommand, command: dict[str, Any], session: AsyncSession,
               workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
    assert request.item
    user = command["user_id"]
    launch = await _launch_admin(rt, session, client, workspace, user, request.name or "", "add items")
    await service.add_item(session, launch, request.item, user)
    team_id, launch_id = workspace.team_id, launch.id
    line = blocks.thread_line(user, "add", f"{request.item.function}: {request.item.title}")
    defer(lambda: flows.after_change(rt, client, team_id, launch_id, line))
    await ack(text=f"Added *{mrkdwn(request.item.title)}* to {mrkdwn(launch.name)}.")


async def _template_list(rt: Runtime, ack: AsyncAck, request: LaunchCommand, command: dict[str, Any],
                         session: AsyncSession, workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
    await ack(text="Launch templates", blocks=blocks.template_list(await templates.names(session, workspace.team_id)))


async def _template_edit(rt: Runtime, ack: AsyncAck, request: LaunchCommand, command: dict[str, Any],
                         session: AsyncSession, workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
    await require_manager(session, rt.users, workspace.team_id, command["user_id"], "edit launch templates")
    if request.action == "template_edit":
        name, items = await templates.find(session, workspace.team_id, request.template)
        view = blocks.template_modal(name, items, editing=name)
    else:
        view = blocks.template_modal(items=list(templates.DEFAULT_ITEMS))
    await ack()
    defer(lambda: client.views_open(trigger_id=command["trigger_id"], view=view))


COMMANDS = {
    "help": _help, "modal": _modal, "new": _new, "list": _list, "status": _status, "go": _go, "date": _date,
    "add": _add, "template_list": _template_list, "template_new": _template_edit, "template_edit": _template_edit,
}


def _listeners(app: ProdOpsApp) -> None:
    from handlers import launch_checklist

    register(app, app.rt)
    launch_checklist.register(app, app.rt)


FEATURE = Feature("launches", LAUNCH, listeners=_listeners)
