"""Launch work that talks to Slack, after the ack: the live checklist message, thread lines, the
removal of a deleted launch's message, and the sweeper that posts checklists Slack refused at
first (the daily nudges: bot/launches/duties.py)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.channels import NOT_INVITED  # inviting the bot fixes these
from bot.delivery import Claim, claim, send_claimed
from bot.launches import blocks, service
from bot.runtime import Runtime
from bot.slack import tell
from bot.text import channel_mention
from models.workspace import Workspace

log = logging.getLogger(__name__)

RENDER_ATTEMPTS = 3
GONE = {"message_not_found", "cant_update_message", "channel_not_found", "is_archived"}
CHECKLIST_POST = "launch.checklist"  # delivery kind of a launch's first checklist message
FIRST_POST = "first"
RETRY_SPACING = timedelta(minutes=5)  # between the sweeper's attempts at a post Slack refused
RETRY_WINDOW = timedelta(days=1)  # how long after creation the sweeper keeps trying


class _RenderLocks:
    """One lock per launch, kept only while a render of it runs or waits (then dropped)."""

    def __init__(self) -> None:
        self._held: dict[int, tuple[asyncio.Lock, int]] = {}  # launch id -> (lock, renders in it)

    @asynccontextmanager
    async def hold(self, launch_id: int) -> AsyncIterator[None]:
        lock, users = self._held.get(launch_id, (asyncio.Lock(), 0))
        self._held[launch_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._held[launch_id]
            if users == 1:
                del self._held[launch_id]
            else:
                self._held[launch_id] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._held)


_render_locks = _RenderLocks()


def today_in(tz: str, now: datetime | None = None) -> date:
    return clock.today_in(tz, now)


async def workspace_today(rt: Runtime, team_id: str) -> date:
    async with rt.db.unit_of_work() as session:
        workspace = await session.get(Workspace, team_id)
        return today_in(workspace.timezone if workspace else "UTC")


async def render(rt: Runtime, client: AsyncWebClient, team_id: str,
                 launch_id: int) -> tuple[service.LaunchSummary, str]:
    """Re-render the checklist from the database; a deleted message is posted again.

    Each render reads the state fresh; renders of one launch run one at a time per process,
    and a render that finds the audit trail moved on while it talked to Slack (a change on
    another replica) renders again, so the message ends up showing every change that landed.
    Returns what was shown and the message's ts.
    """
    today = await workspace_today(rt, team_id)
    async with _render_locks.hold(launch_id):
        for _ in range(RENDER_ATTEMPTS):
            async with rt.db.unit_of_work() as session:
                launch = await service.get_by_id(session, team_id, launch_id)
                summary = await service.summarize(session, launch, today)
                version = await service.version(session, launch_id)
            ts = await _publish(rt, client, launch_id, summary)
            async with rt.db.unit_of_work() as session:
                if await service.version(session, launch_id) == version:
                    break
        return summary, ts


async def _publish(rt: Runtime, client: AsyncWebClient, launch_id: int, summary: service.LaunchSummary) -> str:
    text, body = blocks.checklist(summary)
    if summary.message_ts:
        try:
            await client.chat_update(channel=summary.channel_id, ts=summary.message_ts, text=text, blocks=body)
            return summary.message_ts
        except SlackApiError as exc:
            if exc.response.get("error") not in GONE:
                raise
            log.info("checklist message of launch %s is gone (%s); posting it again",
                     launch_id, exc.response.get("error"))
    posted = await client.chat_postMessage(channel=summary.channel_id, text=text, blocks=body)
    async with rt.db.unit_of_work() as session:
        kept = await service.set_message(session, launch_id, posted["ts"])
    if not kept:  # the launch was deleted while this render talked to Slack: no orphan checklist
        await _delete_message(client, launch_id, summary.channel_id, str(posted["ts"]))
    return str(posted["ts"])


DELETED = {"message_not_found", "channel_not_found", "is_archived"}  # nothing left to delete


async def remove_checklist(rt: Runtime, client: AsyncWebClient, launch_id: int, channel_id: str,
                           ts: str | None) -> None:
    """Delete a deleted launch's checklist message; one already gone (deleted by hand, the
    channel archived) is fine. Held under the launch's render lock, so a render of it in this
    process finishes first (one elsewhere that posts again removes its own post, above)."""
    if ts:
        async with _render_locks.hold(launch_id):
            await _delete_message(client, launch_id, channel_id, ts)


async def _delete_message(client: AsyncWebClient, launch_id: int, channel_id: str, ts: str) -> None:
    try:
        await client.chat_delete(channel=channel_id, ts=ts)
    except SlackApiError as exc:
        if exc.response.get("error") not in DELETED:
            raise
        log.info("checklist message of deleted launch %s already gone (%s)", launch_id, exc.response.get("error"))


async def claim_checklist_post(session: AsyncSession, team_id: str, launch_id: int,
                               now: datetime | None = None) -> Claim | None:
    """Claim the launch's first checklist post in the database: the creating request claims it
    in the transaction that saves the launch, so a crash before the post leaves a pending
    delivery; the sweeper reclaims it once it failed (spaced out) or went stale."""
    return await claim(session, team_id, CHECKLIST_POST, str(launch_id), FIRST_POST, now=now,
                       retry_failed_after=RETRY_SPACING)


async def post_checklist(rt: Runtime, client: AsyncWebClient, c: Claim, launch_id: int) -> None:
    """Render under the claim: marked sent once Slack took the message, failed (for the
    sweeper to retry) when it did not."""
    async def send() -> None:
        await render(rt, client, c.team_id, launch_id)

    await send_claimed(rt.db, c, send)


def not_posted_notice(channel: str, error: str) -> str:
    where = channel_mention(channel)
    if error in NOT_INVITED:
        return (f"I couldn't post the checklist in {where} (Slack said `{error}`). The launch is saved: invite me "
                "with `/invite @ProdOps` and I'll post it there within a few minutes.")
    return (f"Slack didn't take the checklist for {where} (`{error}`). The launch is saved; "
            "I'll try again every few minutes until the checklist is up.")


def _slack_error(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
    return type(exc).__name__


async def post_new_checklist(rt: Runtime, client: AsyncWebClient, c: Claim | None, launch_id: int, user: str,
                             channel: str) -> None:
    """The creating request's post; when Slack refuses it, the creator hears that the launch is
    saved and what happens next (the sweeper retries)."""
    if c is None:  # a claim already existed for this new launch's id: whoever holds it posts
        log.warning("checklist of launch %s already claimed at creation", launch_id)
        return
    try:
        await post_checklist(rt, client, c, launch_id)
    except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
        log.warning("checklist of launch %s not posted: %s", launch_id, _slack_error(exc))
        await tell(client, channel, user, not_posted_notice(channel, _slack_error(exc)))


async def sweep_unposted_checklists(rt: Runtime, now: datetime | None = None) -> int:
    """Post the checklists that never appeared: Slack refused the first post (down, rate
    limited past the retries, the bot not invited yet) or a crash left it unsent. Each post is
    claimed in the database, so the sweepers of several replicas post it once. Returns how many
    this call posted."""
    now = now or clock.now()
    async with rt.db.unit_of_work() as session:
        pending = await service.unposted(session, created_after=now - RETRY_WINDOW)
    posted = 0
    for team_id, launch_id in pending:
        async with rt.db.unit_of_work() as session:
            c = await claim_checklist_post(session, team_id, launch_id, now=now)
        if c is None:  # posted, being posted, or refused too recently
            continue
        try:
            await post_checklist(rt, rt.client, c, launch_id)
        except Exception as exc:  # recorded on the claim; retried on a later sweep
            log.warning("checklist of launch %s still not posted: %s", launch_id, _slack_error(exc))
            continue
        posted += 1
    return posted


async def after_change(rt: Runtime, client: AsyncWebClient, team_id: str, launch_id: int, line: str) -> None:
    """Re-render, then say in the checklist's thread who did what."""
    summary, ts = await render(rt, client, team_id, launch_id)
    await client.chat_postMessage(channel=summary.channel_id, thread_ts=ts, text=line)


async def post_go_no_go(rt: Runtime, client: AsyncWebClient, team_id: str, launch_id: int) -> None:
    summary, ts = await render(rt, client, team_id, launch_id)
    text, body = blocks.go_no_go(summary)
    await client.chat_postMessage(channel=summary.channel_id, thread_ts=ts, text=text, blocks=body)
