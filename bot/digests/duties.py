"""Digests on the shared mechanism: each digest's next occurrence is an indexed column
(`digests.next_at`), found by the minute tick in one range query however many digests there
are; each post is claimed under (digest, local date), so replicas and restarts post it once.

Back after downtime, the occurrences missed are found too: one still within the grace
(DIGEST_GRACE_HOURS, default 6 h) posts, older ones are recorded as skipped. A post that failed
(Slack down, the channel refusing) keeps the digest's next_at where it is, so later ticks retry
it every few minutes while the grace lasts; the owner hears about a channel refusal once.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select, update

from bot.digests import flows, schedule, service
from bot.delivery import AfterSent
from bot.duties import Due, Duty, WorkItem, unsettled
from bot.notify.notice import Message, Notice, NoticeKind
from bot.runtime import Runtime
from bot.blocks import section
from bot.text import channel_mention
from bot.usertext import mrkdwn
from models.digest import Digest

CATCH_UP = 4  # missed occurrences looked at per digest after downtime (older ones were past the grace long ago)
RETRY_EVERY = timedelta(minutes=5)
SEND_AT_ONCE = 16  # channels posted to side by side (each channel's posts in order)

Move = tuple[int, datetime | None, datetime | None, str | None]  # digest id, next_at as read, next at/period


def grace(rt: Runtime) -> timedelta:
    return timedelta(hours=rt.settings.digest_grace_hours)


async def _due(rt: Runtime, at: datetime) -> Due:
    async with rt.db.unit_of_work() as session:
        digests = list((await session.scalars(select(Digest).where(Digest.next_at <= at)
                                              .order_by(Digest.next_at, Digest.id))).all())
    items: list[WorkItem] = []
    moves: list[Move] = []
    batch = flows.Batch()  # this tick's parts built once for every digest asking the same; its attachments
    for d in digests:
        t = service.timing(d)
        read = d.next_at
        found = schedule.between(t, read - timedelta(seconds=1), at, CATCH_UP) if read else []
        for o in found:
            items.append(WorkItem(d.team_id, flows.POST_KIND, str(d.id), o.period, o.at,
                                  f"digest {d.id} in {d.team_id} for {o.period}",
                                  payload=(d.id, o.period, o.at, batch), lane=d.channel_id))
        following = None if d.paused_at is not None else schedule.next_after(t, at)
        moves.append((d.id, read, following.at if following else None, following.period if following else None))

    async def advance() -> None:
        """Move every digest on (one statement per schedule, not per digest), then send the
        attachments, every post being up."""
        await _move(rt, at, items, moves)
        await batch.attach_all()

    return Due(items, advance)


async def _move(rt: Runtime, at: datetime, items: list[WorkItem], moves: list[Move]) -> None:
    """Each digest's next_at, as a compare-and-set per group of digests that read and move to the
    same instants; not those still unsettled within the grace."""
    async with rt.db.unit_of_work() as session:
        waiting = await unsettled(session, items, at, grace(rt))
        groups: dict[tuple[datetime | None, datetime | None, str | None], list[int]] = defaultdict(list)
        for digest_id, read, when, period in moves:
            if str(digest_id) not in waiting:  # else the next tick finds it again; its claim decides who posts
                groups[(read, when, period)].append(digest_id)
        for (read, when, period), ids in groups.items():
            for i in range(0, len(ids), 500):
                await session.execute(update(Digest).where(Digest.id.in_(ids[i:i + 500]), Digest.next_at == read)
                                      .values(next_at=when, next_period=period)
                                      .execution_options(synchronize_session=False))


async def _send(rt: Runtime, item: WorkItem) -> str | AfterSent:
    digest_id, period, when, batch = item.payload
    return await flows.post(rt, item.team_id, digest_id, period, when, turn_taken=True, batch=batch)


async def _pace(rt: Runtime, item: WorkItem) -> None:
    if item.lane:
        await rt.pacer.turn(item.team_id, item.lane)


async def render_failed(rt: Runtime, notice: Notice) -> list[Message]:
    """To the owner, while the failure lasts (nothing once a post went through again)."""
    async with rt.db.unit_of_work() as session:
        digest = await session.get(Digest, int(notice.data["d"]))
        if digest is None or digest.team_id != notice.team_id or digest.failing_since is None:
            return []
        name, channel, reason = digest.name, digest.channel_id, digest.failing_reason or "an error"
    where = channel_mention(channel)
    fix = ("Invite me with `/invite @ProdOps` there" if reason in ("not_in_channel", "channel_not_found")
           else "Pick another channel with `/digest edit`" if reason == "is_archived"
           else "Check the channel, or pick another with `/digest edit`")
    text = (f":warning: Your digest *{mrkdwn(name, limit=200)}* couldn't be posted in {where}: Slack said "
            f"`{reason}`. {fix}; I try again every few minutes for {rt.settings.digest_grace_hours:g} h after each "
            "scheduled time. I won't tell you again until a post has gone through.")
    return [Message(f"Your digest couldn't be posted in {where} ({reason})", [section(text)])]


NOTICES = (NoticeKind(flows.FAILED_KIND, "digest failures", render_failed, nudge=False),)

DIGEST_POSTS = Duty("digests", _due, send=_send, grace=timedelta(hours=6), grace_of=grace,
                    retry_every=RETRY_EVERY, at_once=SEND_AT_ONCE, pace=_pace)
