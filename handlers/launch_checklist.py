"""Clicks on the live checklist and the go/no-go summary."""
from __future__ import annotations

import json
from datetime import date
from typing import Any

from pydantic import ValidationError
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.edge import ProdOpsApp
from bot.errors import PermissionDenied, UserError
from bot.launches import blocks, flows, service
from bot.launches.enums import ITEM_BLOCK, ItemRef, LaunchAction, LaunchRef
from bot.launches.parsing import parse_date
from bot.roles import can_manage
from bot.runtime import Runtime
from bot.tasks import Defer
from bot.workspaces import WorkspaceInfo
from models.launch import Decision, Launch, LaunchItem



def _ref(raw: str | None) -> ItemRef:
    try:
        return ItemRef.model_validate_json(raw or "")
    except ValidationError:
        raise UserError("That button is out of date; see the checklist message.") from None


def _ids(action: dict[str, Any]) -> tuple[int, int]:
    match = ITEM_BLOCK.match(str(action.get("block_id", "")))
    if not match:
        raise UserError("That control is out of date; see the checklist message.")
    return int(match.group(1)), int(match.group(2))


async def _is_manager(rt: Runtime, session: AsyncSession, client: AsyncWebClient, launch: Launch, user: str) -> bool:
    return user == launch.owner_id or await can_manage(session, rt.users, launch.team_id, user)


def register(app: ProdOpsApp, rt: Runtime) -> None:
    async def load(session: AsyncSession, workspace: WorkspaceInfo, launch_id: int, item_id: int) -> tuple[Launch, LaunchItem]:
        launch = await service.get_by_id(session, workspace.team_id, launch_id)
        return launch, await service.get_item(session, launch, item_id)

    async def load_for_manager(session: AsyncSession, workspace: WorkspaceInfo, client: AsyncWebClient, user: str,
                               action: dict[str, Any], what: str) -> tuple[Launch, LaunchItem]:
        launch, item = await load(session, workspace, *_ids(action))
        if not await _is_manager(rt, session, client, launch, user):
            raise PermissionDenied(f"Only the launch owner and ops admins can {what}.")
        return launch, item

    def changed(client: AsyncWebClient, workspace: WorkspaceInfo, launch: Launch, line: str, defer: Defer) -> None:
        team_id, launch_id = workspace.team_id, launch.id
        defer(lambda: flows.after_change(rt, client, team_id, launch_id, line))

    async def toggle(session: AsyncSession, workspace: WorkspaceInfo, client: AsyncWebClient, user: str,
                     ref: ItemRef, defer: Defer) -> None:
        launch, item = await load(session, workspace, ref.l, ref.i)
        if item.owner_id != user and not await _is_manager(rt, session, client, launch, user):
            raise PermissionDenied("Only the item's owner, the launch owner and ops admins can check it off.")
        done = ref.d
        if await service.set_done(session, launch, item, done, user):
            changed(client, workspace, launch, blocks.thread_line(user, "check" if done else "uncheck", item.title), defer)

    @app.action(LaunchAction.TOGGLE)
    async def item_toggled(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], session: AsyncSession,
                           workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
        await ack()
        await toggle(session, workspace, client, body["user"]["id"], _ref(action.get("value")), defer=defer)

    @app.action(LaunchAction.COMPACT_TOGGLE)
    async def compact_toggled(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], session: AsyncSession,
                              workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
        await ack()
        ref = _ref((action.get("selected_option") or {}).get("value"))
        await toggle(session, workspace, client, body["user"]["id"], ref, defer=defer)

    @app.action(LaunchAction.OWNER)
    async def owner_picked(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], session: AsyncSession,
                           workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
        await ack()
        user = body["user"]["id"]
        launch, item = await load_for_manager(session, workspace, client, user, action, "assign items")
        owner = action.get("selected_user")
        if await service.set_owner(session, launch, item, owner, user):
            who = f"<@{owner}>" if owner else "nobody"
            changed(client, workspace, launch, blocks.thread_line(user, "owner", item.title, suffix=f"to {who}"), defer)

    @app.action(LaunchAction.DUE)
    async def due_picked(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], session: AsyncSession,
                         workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
        await ack()
        user = body["user"]["id"]
        launch, item = await load_for_manager(session, workspace, client, user, action, "change due dates")
        due: date = parse_date(str(action.get("selected_date") or ""))
        if await service.set_due(session, launch, item, due, user):
            changed(client, workspace, launch, blocks.thread_line(user, "due", f"{item.title} to {due.isoformat()}"), defer)

    async def decide(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], session: AsyncSession,
                     workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer, decision: Decision) -> None:
        await ack()
        user = body["user"]["id"]
        try:
            ref = LaunchRef.model_validate(json.loads(action.get("value") or ""))
        except (ValueError, ValidationError):
            raise UserError("That button is out of date; run `/launch go` again.") from None
        launch = await service.get_by_id(session, workspace.team_id, ref.l)
        if not await _is_manager(rt, session, client, launch, user):
            raise PermissionDenied(f"The go/no-go decision is the launch owner's (<@{launch.owner_id}>) or an ops admin's.")
        if await service.decide(session, launch, decision, user):
            label = "GO :white_check_mark:" if decision is Decision.GO else "NO-GO :no_entry:"
            changed(client, workspace, launch, blocks.thread_line(user, "decision", label), defer)

    @app.action(LaunchAction.GO)
    async def go_clicked(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], session: AsyncSession,
                         workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
        await decide(ack, body, action, session, workspace, client, defer, Decision.GO)

    @app.action(LaunchAction.NO_GO)
    async def no_go_clicked(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], session: AsyncSession,
                            workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
        await decide(ack, body, action, session, workspace, client, defer, Decision.NO_GO)
