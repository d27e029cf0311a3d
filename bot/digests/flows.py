"""Digest work that talks to Slack, after the commit: the post (under its delivery claim, taken
by the tick's duty or by `/digest now`), what it attaches, and the owner told once when the
channel refuses it."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk.errors import SlackApiError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.digests import service
from bot.delivery import AfterSent, deliver_once
from bot.digests.compose import Shared, compose
from bot.digests.sections import Attach, registered
from bot.notify import outbox
from bot.notify.notice import Notice
from bot.notify.send import notify
from bot.runtime import Runtime
from models.digest import Digest, WhenEmpty

log = logging.getLogger(__name__)

POST_KIND = "digest.post"  # delivery kind of a digest's post (key: digest id, period: its local date)
FAILED_KIND = service.FAILED_KIND
ATTACH_AT_ONCE = 8
ATTACH_KIND = "digest.attach"  # what a post adds in its thread (key: digest id, period: its local date and number)
# Slack's answers that say the channel itself refuses the post: the owner can fix these.
CHANNEL_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived", "restricted_action",
                            "ekm_access_denied", "team_access_not_granted"})


@dataclass
class Batch:
    """What one tick's digests share: the parts built once for all who ask the same, and the
    attachments (a weekly chart) sent after every digest is up, so drawing them delays no post."""

    parts: Shared = field(default_factory=dict)
    attachments: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def attach_all(self) -> None:
        """Side by side, ATTACH_AT_ONCE at a time: drawing takes its turn (bot/kpis/chart.py),
        uploads wait on Slack, not on each other."""
        gate = asyncio.Semaphore(ATTACH_AT_ONCE)

        async def one(send: Callable[[], Awaitable[None]]) -> None:
            async with gate:
                await send()

        sends, self.attachments = self.attachments, []
        await asyncio.gather(*(one(send) for send in sends))


async def post(rt: Runtime, team_id: str, digest_id: int, period: str, end: datetime, *,
               turn_taken: bool = False, batch: Batch | None = None) -> str | AfterSent:
    """Build the digest for the period ending at `end` and post it; a note when nothing was
    posted (deleted, paused, nothing to say). `turn_taken`: the duty already waited for the
    channel's turn (bot/pacing.py); `batch`: the tick's shared parts, and where attachments
    wait for the end of the tick (without one they go at once). Raises when Slack refused it: the claim is then
    marked failed and retried while the grace lasts; a channel refusal is told to the owner.
    Built on a read connection: a long build never holds the writer."""
    async with rt.db.reading() as session:
        digest = await session.get(Digest, digest_id)
        if digest is None or digest.team_id != team_id:
            return "nothing posted: the digest was deleted"
        if digest.paused_at is not None:
            return "nothing posted: the digest is paused"
        composed = await compose(session, registered(rt.features), digest, end,
                                 shared=batch.parts if batch is not None else None)
        channel, skip = digest.channel_id, composed.empty and digest.when_empty is WhenEmpty.SKIP
    if skip:
        async with rt.db.unit_of_work() as session:
            await service.record_posted(session, digest_id, period, clock.now(), None, None)
        return "nothing to say: not posted, as set"
    try:
        answer = await rt.pacer.post(rt.client, team_id, channel, turn_taken=turn_taken, text=composed.text,
                                     blocks=composed.blocks, unfurl_links=False, unfurl_media=False)
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "")
        if error in CHANNEL_ERRORS:
            await _failed(rt, team_id, digest_id, error)
        raise
    ts, posted_at = str(answer["ts"]), clock.now()
    for n, attach in enumerate(composed.attaches):  # extras in the thread: the post itself already counts
        send = _attachment(rt, team_id, digest_id, f"{period}:{n}", attach, channel, ts)
        if batch is not None:
            batch.attachments.append(send)
        else:
            await send()  # `/digest now`: already after the request's answer

    async def record(session: AsyncSession) -> None:
        await service.record_posted(session, digest_id, period, posted_at, channel, ts)

    return AfterSent(record)  # recorded with the claim's mark: one transaction


def _attachment(rt: Runtime, team_id: str, digest_id: int, period: str, attach: Attach, channel: str,
                ts: str) -> Callable[[], Awaitable[None]]:
    """Sent once (claimed like the post), never failing the digest: it is already up."""
    async def send() -> None:
        try:
            await deliver_once(rt.db, team_id, ATTACH_KIND, str(digest_id), period, lambda: attach(rt, channel, ts))
        except Exception as exc:  # noqa: BLE001
            log.warning("digest %s: an attachment was not added: %s", digest_id, type(exc).__name__)

    return send


async def _failed(rt: Runtime, team_id: str, digest_id: int, error: str) -> None:
    """Recorded on the digest; the first failure of an episode DMs the owner (stored with it,
    so a crash leaves the DM to the notifier's sweep)."""
    now = clock.now()
    async with rt.db.unit_of_work() as session:
        digest = await session.get(Digest, digest_id)
        if digest is None:
            return
        started = await service.record_failure(session, digest_id, error, now)
        notice = None
        if started is not None:
            notice = Notice(team_id, FAILED_KIND, str(digest_id), started.isoformat(timespec="seconds"),
                            digest.owner_id, f"digest {digest_id} failure to {digest.owner_id} in {team_id}",
                            {"d": digest_id})
            await outbox.enqueue(session, notice, nudge=False, now=now)
    if notice is not None:
        await notify(rt, notice)
