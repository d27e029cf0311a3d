"""The request edge: one unit of work per Slack request (its writer taken only when used, a
read-only session beside it), event dedupe, workspace injection,
and the single error handler that turns failures into one short reply.

Bolt's global middleware runs in sequence (its `next()` only sets a flag), so the commit that
must follow the listener lives in `ProdOpsApp.async_dispatch` instead of a middleware.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Ctx, user_of
from bot.errors import UserError
from bot.logs import request_id
from bot.runtime import Runtime
from bot.sql import insert_ignore
from bot.text import unformatted
from bot.usertext import plain
from bot.workspaces import WorkspaceInfo, ensure_workspace
from models.event import ProcessedEvent

log = logging.getLogger(__name__)

GENERIC_FAILURE = "Sorry, something went wrong on our side and nothing was changed. Please try again."
STORAGE_FAILURE = "Sorry, I couldn't save that: the database is unavailable. Nothing was changed; please try again."


def request_kind(body: dict[str, Any]) -> str:
    if "command" in body:
        return "command"
    return str(body.get("type") or "unknown")


def ephemeral(text: str) -> BoltResponse:
    return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text})


def _request_id(body: dict[str, Any]) -> str:
    return str(body.get("event_id") or body.get("trigger_id") or uuid.uuid4().hex[:12])


class ProdOpsApp(AsyncApp):
    """AsyncApp whose dispatch wraps each request in one unit of work.

    Listeners take `session` (flush only), `reading` (read only, beside the writer) and `defer`
    (work to run after the commit, off the ack path). The session commits after the listener
    unless it failed; deferred work starts only once what the request wrote is durable. A request
    that never used `session` never took the writer (on SQLite, the write lock).
    """

    def __init__(self, rt: Runtime, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rt = rt

    async def async_dispatch(self, req: AsyncBoltRequest) -> BoltResponse:
        """Requests arrive verified: from bot/ingress.py over HTTP, or over the Socket Mode socket."""
        if self._ignorable(req):
            return BoltResponse(status=200, body="")
        token = request_id.set(_request_id(req.body))
        deferred: list[Callable[[], Awaitable[None]]] = []
        try:
            await self._warm_actor(req)
            async with self.rt.db.sessions() as session, self._reader(session) as reader:
                req.context["session"] = session
                req.context["reading"] = reader
                req.context["defer"] = deferred.append
                response = await super().async_dispatch(req)
                # 4xx too: an event no listener took (404) must stay unrecorded for Slack's retry.
                if req.context.get("rollback") or response.status >= 400:
                    await session.rollback()
                    # A replay of a request that already ran refuses differently ("already
                    # exists"): the first run's answer stands, the replay gets nothing.
                    if await delivered_before(reader, req):
                        log.info("replayed request ignored")
                        return BoltResponse(status=200, body="")
                    return response
                if not _used(session):
                    # The request only read: it never took the writer, and its record must not
                    # take it on the ack path either. A replay of one already recorded gets
                    # nothing; the record itself is written after the answer.
                    if await delivered_before(reader, req):
                        log.info("replayed request ignored")
                        return BoltResponse(status=200, body="")
                    deferred.insert(0, self._recorder(req))
                # Recorded last, so the transaction starts at the listener's first statement and
                # a Slack check the listener makes first (channel membership) runs outside it.
                elif not await first_delivery(session, req):
                    log.info("replayed request ignored")
                    await session.rollback()
                    return BoltResponse(status=200, body="")
                try:
                    await session.commit()
                except SQLAlchemyError:
                    log.exception("commit failed")
                    await session.rollback()
                    return storage_failure(req.body)
            for work in deferred:
                self.rt.tasks.spawn(work, name=getattr(work, "__name__", "after-commit"))
            return response
        finally:
            request_id.reset(token)

    def _reader(self, session: AsyncSession) -> AbstractAsyncContextManager[AsyncSession]:
        """The request's read-only session. On a SQLite file a connection beside the one writer,
        opened at its first statement and released when the request ends. On PostgreSQL (and
        SQLite in memory) the request's own session: there a read waits for no writer, and a
        request holding one pooled connection while it waits for a second would let a burst as
        large as the pool hold every connection and wait for ever (seen: 20 simultaneous
        searches, each holding its read connection and waiting for one to record itself, all
        failed after the pool's 30 s timeout, and every other request waited with them)."""
        db = self.rt.db
        return db.read_sessions() if db.reads_beside_writer and db.backend == "sqlite" else nullcontext(session)

    def _recorder(self, req: AsyncBoltRequest) -> Callable[[], Awaitable[None]]:
        """Record a read-only command's or interaction's signature in a unit of work of its own."""
        db = self.rt.db

        async def record_delivery() -> None:
            if request_kind(req.body) in _REPLAYABLE_KINDS or not req.context.get("request_signature"):
                return
            async with db.unit_of_work() as session:
                await first_delivery(session, req)

        return record_delivery

    def _ignorable(self, req: AsyncBoltRequest) -> bool:
        """An event no feature would act on (a reaction with another emoji), told from the
        workspace's cached snapshot: acked without a transaction or a record of its id (a retry
        of it is as ignorable). Not cached yet: the full path, which caches it."""
        body = req.body
        event = body.get("event")
        if body.get("type") != "event_callback" or not isinstance(event, dict):
            return False
        filters = self.rt.event_filters.get(str(event.get("type") or ""))
        team_id = req.context.team_id or team_of(body)
        workspace = self.rt.workspaces.get(team_id) if filters and team_id else None
        bot_user = next((a.get("user_id") for a in body.get("authorizations") or []
                         if isinstance(a, dict) and a.get("is_bot")), None)
        return workspace is not None and not any(wants(event, workspace, bot_user) for wants in filters or ())

    async def _warm_actor(self, req: AsyncBoltRequest) -> None:
        """Look up who acts on a command or interaction before the transaction opens, so a role
        check inside it needs no Slack call (cached for minutes; events need no roles)."""
        if request_kind(req.body) in _REPLAYABLE_KINDS:
            return
        team_id, user_id = req.context.team_id or team_of(req.body), req.context.user_id or user_of(req.body)
        if team_id and user_id:
            await self.rt.users.warm(team_id, user_id)


# Requests Slack never resends: a second copy of the same signed bytes is a replay.
_REPLAYABLE_KINDS = frozenset({"event_callback", "url_verification"})


def _used(session: AsyncSession) -> bool:
    """Whether the request touched its writer: a statement ran, or something waits to be flushed."""
    return session.in_transaction() or bool(session.new or session.dirty or session.deleted)


async def first_delivery(session: AsyncSession, req: AsyncBoltRequest) -> bool:
    """Record the signature of a command or interaction in the request's own transaction.

    The database arbitrates, so a replay is caught across replicas; a request that fails leaves
    no record, so nothing is lost. Events are deduplicated by their event id instead (Slack's
    retries of one event must run once, and they are signed anew).
    """
    signature = req.context.get("request_signature")
    if not signature or request_kind(req.body) in _REPLAYABLE_KINDS:
        return True
    return await insert_ignore(
        session, ProcessedEvent, event_id="sig:" + str(signature).removeprefix("v0=")[:60],
        team_id=str(req.context.team_id or ""), event_type="signed-request",
    )


async def delivered_before(session: AsyncSession, req: AsyncBoltRequest) -> bool:
    """Whether this command's or interaction's signature was recorded by an earlier run."""
    signature = req.context.get("request_signature")
    if not signature or request_kind(req.body) in _REPLAYABLE_KINDS:
        return False
    try:
        found = await session.scalar(select(ProcessedEvent.event_id).where(
            ProcessedEvent.event_id == "sig:" + str(signature).removeprefix("v0=")[:60]))
    except SQLAlchemyError:  # the database is what failed: answer as the listener did
        return False
    finally:
        await session.rollback()
    return found is not None


def storage_failure(body: dict[str, Any]) -> BoltResponse:
    if request_kind(body) == "command":
        return ephemeral(STORAGE_FAILURE)
    return BoltResponse(status=500, body="")


async def dedupe_events(body: dict[str, Any], context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
    """Record the event id in the request's transaction; a repeat is acked and skipped.

    Because the record commits with the listener's writes, a failed listener leaves no record
    and Slack's retry runs it again; a successful one makes every retry a no-op.
    """
    event_id = body.get("event_id")
    if body.get("type") == "event_callback" and event_id:
        inserted = await insert_ignore(
            context["session"], ProcessedEvent, event_id=event_id,
            team_id=body.get("team_id") or "", event_type=str(body.get("event", {}).get("type", "")),
        )
        if not inserted:
            log.info("event %s already processed; skipped", event_id)
            return BoltResponse(status=200, body="")
    await next()
    return None


def team_of(body: dict[str, Any]) -> str | None:
    """The workspace a payload came from when Bolt found none: an org-wide (Enterprise Grid)
    install has no team in `authorizations`, so it is the envelope's, the user's or the view's."""
    for candidate in (body.get("team"), body.get("team_id"), body.get("user"), body.get("view")):
        if isinstance(candidate, str) and candidate:
            return candidate
        if isinstance(candidate, dict):
            found = candidate.get("id") if candidate is body.get("team") else candidate.get("team_id")
            if isinstance(found, str) and found:
                return found
    return None


def make_workspace_injector(rt: Runtime) -> Callable[..., Awaitable[None]]:
    async def inject_workspace(body: dict[str, Any], context: AsyncBoltContext,
                               next: Callable[[], Awaitable[None]]) -> None:
        """Create the workspace row on first contact and hand listeners its snapshot as
        `workspace`. Cached only once committed: a rolled-back first contact is not cached."""
        team_id = context.team_id or team_of(body)
        if team_id and not context.team_id:
            context["team_id"] = team_id
        if team_id:
            info = rt.workspaces.get(team_id)
            if info is None:
                row = await ensure_workspace(context["session"], team_id, name=str(body.get("team_domain") or ""))
                info = WorkspaceInfo.of(row)

                async def remember(info: WorkspaceInfo = info) -> None:
                    rt.workspaces.put(info)

                context["defer"](remember)
            context["workspace"] = info
        await next()

    return inject_workspace


def make_context_injector(rt: Runtime) -> Callable[..., Awaitable[None]]:
    async def inject_context(body: dict[str, Any], context: AsyncBoltContext,
                             next: Callable[[], Awaitable[None]]) -> None:
        """Hand listeners one `ctx` (bot/context.py) for requests that belong to a workspace."""
        if "workspace" in context:
            context["ctx"] = Ctx(rt=rt, session=context["session"], reading=context["reading"],
                                 workspace=context["workspace"],
                                 user_id=context.user_id or user_of(body), body=body, client=context.client,
                                 ack=context.ack, respond=context.respond, defer=context["defer"])
        await next()

    return inject_context


def make_error_handler(rt: Runtime) -> Callable[..., Awaitable[BoltResponse | None]]:
    async def handle_error(error: Exception, body: dict[str, Any], context: AsyncBoltContext) -> BoltResponse | None:
        context["rollback"] = True
        if isinstance(error, UserError):
            message = error.message
            log.info("refused: %s", message)
        else:
            log.error("request failed", exc_info=error)
            message = STORAGE_FAILURE if isinstance(error, SQLAlchemyError) else GENERIC_FAILURE
        kind = request_kind(body)
        if kind == "command":
            return ephemeral(message)
        if kind == "view_submission" and isinstance(error, UserError) and error.field:
            # A field error shows as plain text under the input: the message is written in
            # mrkdwn for every other surface, so render what it quotes as the person typed it.
            return BoltResponse(
                status=200, body={"response_action": "errors", "errors": {error.field: plain(unformatted(message))}}
            )
        if kind == "event_callback":
            # Unexpected failures stay 500 so Slack retries; a refusal is final.
            return BoltResponse(status=200, body="") if isinstance(error, UserError) else None
        _tell_user_later(rt, context, body, message)
        return BoltResponse(status=200, body="")

    return handle_error


def _tell_user_later(rt: Runtime, context: AsyncBoltContext, body: dict[str, Any], message: str) -> None:
    """Interactions have no reply body: send the reason through response_url or a DM after the ack."""
    respond = context.respond
    user_id = context.user_id
    client = context.client

    async def tell() -> None:
        if respond is not None and body.get("response_url"):
            await respond(text=message, response_type="ephemeral", replace_original=False)
        elif user_id and client is not None:
            await client.chat_postMessage(channel=user_id, text=message)

    rt.tasks.spawn(tell, name="tell-user")
