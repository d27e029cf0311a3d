"""Feedback modals and buttons: the capture form, add details, status, owner, edit, paging."""
from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot import usertext
from bot.edge import ProdOpsApp
from bot.errors import UserError
from bot.feedback import blocks, flows, service
from bot.feedback.enums import CaptureMeta, CloseMeta, FeedbackAction, FeedbackView, Field_, ItemRef, PageRef
from bot.feedback.parsing import Draft, Filters, parse_tags
from bot.feedback.permissions import require_triage
from bot.runtime import Runtime
from bot.tasks import Defer
from bot.workspaces import WorkspaceInfo
from models.feedback import FeedbackItem, FeedbackSource, FeedbackStatus

ITEM_BLOCK = re.compile(r"^feedback\.item\.(\d+)$")


def _value(values: dict[str, Any], field: Field_) -> str | None:
    """A submitted field: a select's value, or typed text in the one representation (usertext)."""
    element = (values.get(field) or {}).get(field) or {}
    if element.get("type") == "static_select":
        return (element.get("selected_option") or {}).get("value")
    value = element.get("value")
    return usertext.from_typed(value.strip()) if isinstance(value, str) and value.strip() else None


def draft_from(values: dict[str, Any]) -> Draft:
    text = _value(values, Field_.TEXT)
    if not text:
        raise UserError("Write the feedback itself.", field=Field_.TEXT)
    return Draft(text=text, customer=_value(values, Field_.CUSTOMER), product_area=_value(values, Field_.AREA),
                 tags=parse_tags(_value(values, Field_.TAGS) or ""), importance=_value(values, Field_.IMPORTANCE))


def _model(model: type[Any], raw: str) -> Any:
    try:
        return model.model_validate_json(raw or "{}")
    except ValidationError:
        raise UserError("That button or form is out of date; run the command again.") from None


def _number_of(action: dict[str, Any]) -> int:
    if action.get("value"):
        return int(_model(ItemRef, action["value"]).number)
    match = ITEM_BLOCK.match(str(action.get("block_id", "")))
    if not match:
        raise UserError("That button is out of date; run `/feedback show <number>` again.")
    return int(match.group(1))


async def _rerender(session: AsyncSession, item: FeedbackItem, respond: AsyncRespond | None, defer: Defer) -> None:
    """Replace the ephemeral item card the click came from with its new state."""
    body = blocks.item_blocks(await service.view(session, item), can_triage=True)
    number = item.number
    if respond is not None:
        defer(lambda: respond(text=f"Feedback #{number}", blocks=body, replace_original=True))


def register(app: ProdOpsApp, rt: Runtime) -> None:
    @app.view(FeedbackView.CAPTURE)
    async def capture_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], session: AsyncSession,
                                workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
        meta: CaptureMeta = _model(CaptureMeta, view.get("private_metadata", ""))
        draft = draft_from(view["state"]["values"])
        team_id, user = workspace.team_id, body["user"]["id"]
        if meta.channel_id and meta.message_ts:
            filed = await service.file_message(session, team_id, user, meta.channel_id, meta.message_ts,
                                               FeedbackSource.SHORTCUT, draft, author_id=meta.author_id)
            item = filed.item
            created, voted = filed.created, filed.voted
            if created:
                item_id, channel, ts, submitted = item.id, meta.channel_id, meta.message_ts, draft.text
                defer(lambda: flows.complete_shortcut_capture(rt, client, team_id, item_id, channel, ts, submitted))
        else:
            item = await service.file_text(session, team_id, user, meta.channel_id, draft)
            created = voted = True
        await ack()
        filed_ = (item.number, created, voted, item.text)
        defer(lambda: flows.confirm(rt, client, team_id, meta.channel_id, user, filed_, view["id"]))

    @app.action(FeedbackAction.ADD_DETAILS)
    async def add_details_clicked(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], session: AsyncSession,
                                  workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
        await ack()
        item = await service.get_item(session, workspace.team_id, _number_of(action))
        if not await service.is_reporter(session, item, body["user"]["id"]):
            raise UserError(f"Only people who filed or voted for #{item.number} can add details to it.")
        view = blocks.details_modal(item.number)
        defer(lambda: client.views_open(trigger_id=body["trigger_id"], view=view))

    @app.view(FeedbackView.DETAILS)
    async def details_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], session: AsyncSession,
                                workspace: WorkspaceInfo) -> None:
        ref: ItemRef = _model(ItemRef, view.get("private_metadata", ""))
        details = _value(view["state"]["values"], Field_.DETAILS)
        if not details:
            raise UserError("Write the details to add.", field=Field_.DETAILS)
        item = await service.get_item(session, workspace.team_id, ref.number)
        await service.add_details(session, item, body["user"]["id"], details)
        await ack()

    @app.action(FeedbackAction.STATUS)
    async def status_chosen(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], session: AsyncSession,
                            workspace: WorkspaceInfo, client: AsyncWebClient, respond: AsyncRespond, defer: Defer) -> None:
        await ack()
        item = await service.get_item(session, workspace.team_id, _number_of(action))
        await require_triage(session, rt.users, item, body["user"]["id"])
        try:
            status = FeedbackStatus(action["selected_option"]["value"])
        except (KeyError, TypeError, ValueError):
            raise UserError("That status is not one I know; pick one from the list.") from None
        if status in service.CLOSED:  # closing the loop asks for a note first
            view = blocks.close_modal(item.number, status, (body.get("channel") or {}).get("id"))
            defer(lambda: client.views_open(trigger_id=body["trigger_id"], view=view))
            return
        await service.set_status(session, item, status, None)
        await _rerender(session, item, respond, defer)

    @app.view(FeedbackView.CLOSE)
    async def close_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], session: AsyncSession,
                              workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
        meta: CloseMeta = _model(CloseMeta, view.get("private_metadata", ""))
        team_id = workspace.team_id
        item = await service.get_item(session, team_id, meta.number)
        await require_triage(session, rt.users, item, body["user"]["id"])
        reporters = await service.set_status(session, item, FeedbackStatus(meta.status),
                                             _value(view["state"]["values"], Field_.NOTE) or "")
        await ack()
        number = item.number
        if reporters:
            defer(lambda: flows.notify_outcome(rt, client, team_id, number, reporters))

    @app.action(FeedbackAction.OWNER)
    async def owner_chosen(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], session: AsyncSession,
                           workspace: WorkspaceInfo, client: AsyncWebClient, respond: AsyncRespond, defer: Defer) -> None:
        await ack()
        item = await service.get_item(session, workspace.team_id, _number_of(action))
        await require_triage(session, rt.users, item, body["user"]["id"])
        await service.set_owner(session, item, action.get("selected_user"))
        await _rerender(session, item, respond, defer)

    @app.action(FeedbackAction.EDIT)
    async def edit_clicked(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], session: AsyncSession,
                           workspace: WorkspaceInfo, client: AsyncWebClient, defer: Defer) -> None:
        await ack()
        item = await service.get_item(session, workspace.team_id, _number_of(action))
        await require_triage(session, rt.users, item, body["user"]["id"])
        view = blocks.edit_modal(await service.view(session, item))
        defer(lambda: client.views_open(trigger_id=body["trigger_id"], view=view))

    @app.view(FeedbackView.EDIT)
    async def edit_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], session: AsyncSession,
                             workspace: WorkspaceInfo, client: AsyncWebClient) -> None:
        ref: ItemRef = _model(ItemRef, view.get("private_metadata", ""))
        values = view["state"]["values"]
        tags = parse_tags(_value(values, Field_.TAGS) or "")
        item = await service.get_item(session, workspace.team_id, ref.number)
        await require_triage(session, rt.users, item, body["user"]["id"])
        await service.edit(session, item, product_area=_value(values, Field_.AREA),
                           customer=_value(values, Field_.CUSTOMER),
                           importance=_value(values, Field_.IMPORTANCE), tags=tags)
        await ack()

    @app.action(re.compile(re.escape(FeedbackAction.PAGE) + r"\..+"))
    async def page_clicked(ack: AsyncAck, action: dict[str, Any], session: AsyncSession, workspace: WorkspaceInfo,
                           respond: AsyncRespond, defer: Defer) -> None:
        await ack()
        ref: PageRef = _model(PageRef, action.get("value", ""))
        filters = Filters(status=FeedbackStatus(ref.status) if ref.status else None, tags=tuple(ref.tags),
                          area=ref.area, words=tuple(ref.words), sort="top" if ref.sort == "top" else "new")
        page = await service.list_items(session, workspace.team_id, filters, ref.page)
        body = blocks.list_blocks(page, filters)
        defer(lambda: respond(text=f"{page.total} feedback items", blocks=body, replace_original=True))
