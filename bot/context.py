"""The one argument every listener takes: the request's session, workspace, user, client,
`ack`, `respond` and `defer`, so a listener reads like a sentence (`await ctx.answer(...)`).

Two sessions: `session` is the request's writer, committed by the edge; its transaction opens at
its first statement (on SQLite that BEGIN IMMEDIATE is the write lock, which every other writer
then waits for), so a request that never uses it never takes it. `reading` is for what only
reads (a list, a card, a home): a read-only session beside the writer that neither takes nor
waits for the write lock (bot/db.py). A listener that only reads uses `reading` alone.

Built by the edge's middleware for each request (bot/edge.py); listeners are module-level
functions registered by their feature (bot/feature.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks import Block
from bot.home import origin
from bot.roles import is_manager, require_manager, shown_as_manager
from bot.runtime import Runtime
from bot.slack import tell
from bot.tasks import AfterCommit, Defer
from bot.workspaces import WorkspaceInfo


@dataclass
class Ctx:
    rt: Runtime
    session: AsyncSession
    reading: AsyncSession
    workspace: WorkspaceInfo
    user_id: str
    body: dict[str, Any]
    client: AsyncWebClient
    ack: AsyncAck
    respond: AsyncRespond | None
    defer: Defer

    @property
    def team_id(self) -> str:
        return self.workspace.team_id

    @property
    def channel_id(self) -> str | None:
        """Where the request came from: a command's channel, or the channel of a clicked message."""
        body = self.body
        channel = body.get("channel_id") or (body.get("channel") or {}).get("id")
        return channel or (body.get("container") or {}).get("channel_id")

    @property
    def trigger_id(self) -> str:
        return str(self.body.get("trigger_id") or "")

    async def answer(self, text: str = "", blocks: list[Block] | None = None) -> None:
        """The reply (ephemeral for commands), sent with the ack."""
        await self.ack(text=text, blocks=blocks) if (text or blocks) else await self.ack()

    def later(self, work: AfterCommit) -> None:
        """Run `work` after this request's writes are committed, off the ack path."""
        self.defer(work)

    def workspace_changed(self) -> None:
        """Settings changed: drop the cached workspace snapshot once the change is committed."""
        workspaces, team_id = self.rt.workspaces, self.team_id

        async def forget() -> None:
            workspaces.forget(team_id)

        self.defer(forget)

    def tell_later(self, channel: str | None, text: str) -> None:
        """Tell the person privately after the commit: ephemeral in `channel`, else a DM."""
        client, user = self.client, self.user_id
        self.defer(lambda: tell(client, channel, user, text))

    def open_modal(self, view: dict[str, Any]) -> None:
        """After the commit. Opened by a click on the App Home, the modal carries the home's mark
        (bot/home/origin.py), so its submission re-draws that person's home."""
        client, trigger_id, view = self.client, self.trigger_id, origin.marked(view, self.body)
        self.defer(lambda: client.views_open(trigger_id=trigger_id, view=view))

    async def is_manager(self) -> bool:
        """An ops admin or a Slack workspace admin/owner (raises when Slack cannot tell)."""
        return await is_manager(self.session, self.rt.users, self.team_id, self.user_id)

    async def shown_as_manager(self) -> bool:
        """is_manager for what only changes what is shown: no when Slack cannot tell."""
        return await shown_as_manager(self.reading, self.rt.users, self.team_id, self.user_id)

    async def require_manager(self, action: str) -> None:
        await require_manager(self.session, self.rt.users, self.team_id, self.user_id, action)


def user_of(body: dict[str, Any]) -> str:
    user = body.get("user_id") or body.get("user")
    if isinstance(user, dict):
        user = user.get("id")
    if not user and isinstance(body.get("event"), dict):
        user = body["event"].get("user")
        user = user.get("id") if isinstance(user, dict) else user
    return str(user or "")
