"""Digest work that talks to Slack, after the commit: the post (under its delivery claim, taken
by the tick's duty or by `/digest now`), what it attaches, and the owner told once when the
channel refuses it."""
from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk.errors import SlackApiError

from bot import clock
from bot.digests import service
from bot.digests.compose import compose
from bot.digests.sections import registered
from bot.notify import outbox
from bot.notify.notice import Notice
from bot.notify.send import notify
from bot.runtime import Runtime
from models.digest import Digest, WhenEmpty

log = logging.getLogger(__name__)

POST_KIND = "digest.post"  # delivery kind of a digest's post (key: digest id, period: its local date)
FAILED_KIND = service.FAILED_KIND
# Slack's answers that say the channel itself refuses the post: the owner can fix these.
CHANNEL_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived", "restricted_action",
                            "ekm_access_denied", "team_access_not_granted"})


async def post(rt: Runtime, team_id: str, digest_id: int, period: str, end: datetime, *,
               paused_too: bool = False, turn_taken: bool = False) -> str | None:
    """Build the digest for the period ending at `end` and post it; a note when nothing was
    posted (deleted, paused, nothing to say). `turn_taken`: the duty already waited for the
    channel's turn (bot/pacing.py). Raises when Slack refused it: the claim is then
    marked failed and retried while the grace lasts; a channel refusal is told to the owner."""
    async with rt.db.unit_of_work() as session:
        digest = await session.get(Digest, digest_id)
        if digest is None or digest.team_id != team_id:
            return "nothing posted: the digest was deleted"
        if digest.paused_at is not None and not paused_too:
            return "nothing posted: the digest is paused"
        composed = await compose(session, registered(rt.features), digest, end)
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
    ts = str(answer["ts"])
    async with rt.db.unit_of_work() as session:
        await service.record_posted(session, digest_id, period, clock.now(), channel, ts)
    for attach in composed.attaches:  # extras in the thread: the post itself already counts
        try:
            await attach(rt, channel, ts)
        except Exception as exc:  # noqa: BLE001
            log.warning("digest %s: an attachment was not added: %s", digest_id, type(exc).__name__)
    return None


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
