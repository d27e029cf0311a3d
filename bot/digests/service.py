"""Digests in the database: setup, schedule, the last post and failure episodes. Plain
functions of a session; no Slack calls (bot/digests/flows.py talks to Slack after the commit)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.digests import schedule
from bot.names import name_key
from bot.digests.schedule import Occurrence, Timing
from bot.errors import NotFound, UserError
from bot.usertext import mrkdwn
from models.delivery import Delivery, DeliveryStatus
from models.digest import Cadence, Digest, WhenEmpty

DIGESTS_MAX = 200  # per workspace: /digest list and the setup form stay readable
FAILED_KIND = "digest.failed"  # to the owner, once per failure episode (bot/digests/flows.py)
SINCE_MAX = timedelta(days=35)  # "since the last digest" reaches back at most this far (a digest paused for months)


@dataclass(frozen=True)
class Setup:
    """A digest as the setup form asked for it (user text already converted)."""

    name: str
    channel_id: str
    cadence: Cadence
    days: int
    minutes: int
    timezone: str
    sections: dict[str, dict[str, Any]]  # section name -> its filter
    when_empty: WhenEmpty
    owner_id: str


def timing(digest: Digest) -> Timing:
    return Timing(digest.cadence, digest.days, digest.at_minutes, clock.zone(digest.timezone))


async def get(session: AsyncSession, team_id: str, name: str) -> Digest:
    digest = await session.scalar(select(Digest).where(Digest.team_id == team_id, Digest.name_key == name_key(name)))
    if digest is None:
        raise NotFound(f"There is no digest named `{mrkdwn(name)}`. `/digest list` shows them.")
    return digest


async def get_by_id(session: AsyncSession, team_id: str, digest_id: int) -> Digest:
    digest = await session.get(Digest, digest_id)
    if digest is None or digest.team_id != team_id:
        raise NotFound("That digest no longer exists. `/digest list` shows the ones there are.")
    return digest


async def listed(session: AsyncSession, team_id: str) -> list[Digest]:
    return list((await session.scalars(select(Digest).where(Digest.team_id == team_id)
                                       .order_by(Digest.name_key).limit(DIGESTS_MAX))).all())


async def in_channel(session: AsyncSession, team_id: str, channel_id: str | None) -> list[Digest]:
    if not channel_id:
        return []
    return list((await session.scalars(select(Digest).where(Digest.team_id == team_id, Digest.channel_id == channel_id)
                                       .order_by(Digest.name_key))).all())


def _taken(name: str) -> UserError:
    return UserError(f"There is already a digest named *{mrkdwn(name)}*; pick another name, or "
                     f"`/digest edit {mrkdwn(name)}`.", field="name")


async def _flush_name(session: AsyncSession, name: str) -> None:
    """The flush that writes a name: another request that took it meanwhile (a double click, a
    replica; PostgreSQL runs them side by side) is the same refusal as one found before."""
    try:
        await session.flush()
    except IntegrityError:
        raise _taken(name) from None


async def _name_taken(session: AsyncSession, team_id: str, name: str, but: int | None) -> bool:
    found = await session.scalar(select(Digest.id).where(Digest.team_id == team_id, Digest.name_key == name_key(name)))
    return found is not None and found != but


def schedule_next(digest: Digest, after: datetime) -> Occurrence | None:
    """The next occurrence after `after` (None while paused or with no day chosen)."""
    found = None if digest.paused_at is not None else schedule.next_after(timing(digest), after)
    digest.next_at = found.at if found is not None else None
    digest.next_period = found.period if found is not None else None
    return found


async def create(session: AsyncSession, team_id: str, setup: Setup, by: str, now: datetime) -> Digest:
    if await _name_taken(session, team_id, setup.name, None):
        raise _taken(setup.name)
    count = len(await listed(session, team_id))
    if count >= DIGESTS_MAX:
        raise UserError(f"This workspace has {DIGESTS_MAX} digests, the most it can have; delete one first.")
    digest = Digest(team_id=team_id, created_by=by)
    _apply(digest, setup)
    schedule_next(digest, now)
    session.add(digest)
    await _flush_name(session, setup.name)
    return digest


async def update_setup(session: AsyncSession, digest: Digest, setup: Setup, now: datetime) -> None:
    """The schedule is recomputed from now on; the period key is the local date, so moving
    today's time later after today's post does not post twice."""
    if await _name_taken(session, digest.team_id, setup.name, digest.id):
        raise _taken(setup.name)
    if setup.channel_id != digest.channel_id:
        digest.failing_since, digest.failing_reason = None, None
    _apply(digest, setup)
    schedule_next(digest, now)
    await _flush_name(session, setup.name)


def _apply(digest: Digest, setup: Setup) -> None:
    digest.name, digest.name_key = setup.name, name_key(setup.name)
    digest.channel_id, digest.owner_id = setup.channel_id, setup.owner_id
    digest.cadence, digest.days, digest.at_minutes = setup.cadence, setup.days, setup.minutes
    digest.timezone, digest.when_empty = setup.timezone, setup.when_empty
    digest.sections = {name: dict(f) for name, f in setup.sections.items()}


async def set_paused(session: AsyncSession, digest: Digest, paused: bool, now: datetime) -> bool:
    """False when it already was so. Resumed, it posts at its next occurrence from now: the
    periods missed while paused are not caught up."""
    if (digest.paused_at is not None) == paused:
        return False
    digest.paused_at = now if paused else None
    schedule_next(digest, now)
    return True


async def remove(session: AsyncSession, digest: Digest) -> None:
    await session.delete(digest)
    await session.flush()


def period_start(digest: Digest, end: datetime) -> datetime:
    """"Since the last digest": the occurrence before this one when that period was posted (or
    the post itself, when `/digest now` went out before its time), else the last post, else
    (never posted) since it was set up; never more than SINCE_MAX back. The same instant for every digest on one schedule, so the parts
    they share are built once (bot/digests/compose.py)."""
    floor = end - SINCE_MAX
    before = schedule.latest_by(timing(digest), end - timedelta(seconds=1))
    step = timedelta(days=7 if digest.cadence is Cadence.WEEKLY else 1)
    previous = before.at if before is not None else end - step
    last = digest.last_posted_at
    if last is not None and digest.last_period == (before.period if before is not None else None):
        start = min(last, previous)
    elif last is not None and floor <= last < end:
        start = last  # the periods between were missed or refused: what they held comes now
    elif last is None and digest.created_at is not None:
        start = min(previous, digest.created_at)  # never posted: a first period that failed is not lost
    else:
        start = previous
    return max(start, floor)


async def record_posted(session: AsyncSession, digest_id: int, period: str, at: datetime, channel: str | None,
                        ts: str | None) -> None:
    """The post went up (or there was nothing to say): what the next one counts from, and the
    end of any failure episode."""
    values: dict[str, Any] = {"last_posted_at": at, "last_period": period, "failing_since": None,
                              "failing_reason": None}
    if ts is not None:
        values |= {"last_channel": channel, "last_ts": ts}
    await session.execute(update(Digest).where(Digest.id == digest_id).values(**values)
                          .execution_options(synchronize_session=False))


async def record_failure(session: AsyncSession, digest_id: int, reason: str, at: datetime) -> datetime | None:
    """Starts a failure episode when none is open; returns its start then (the owner is told
    once per episode), None when one was already open."""
    result = await session.execute(update(Digest).where(Digest.id == digest_id, Digest.failing_since.is_(None))
                                   .values(failing_since=at, failing_reason=reason[:255])
                                   .execution_options(synchronize_session=False))
    return at if result.rowcount == 1 else None


async def owners_left(session: AsyncSession, team_id: str, user_id: str) -> None:
    """A digest's owner left the workspace: it goes to whoever set it up (a failing channel must
    be told to someone), and a failure DM still waiting for the one who left goes to them."""
    handed = (await session.execute(select(Digest.id, Digest.created_by).where(
        Digest.team_id == team_id, Digest.owner_id == user_id, Digest.created_by != user_id))).all()
    await session.execute(update(Digest).where(Digest.team_id == team_id, Digest.owner_id == user_id,
                                               Digest.created_by != user_id)
                          .values(owner_id=Digest.created_by).execution_options(synchronize_session=False))
    for digest_id, creator in handed:
        await session.execute(update(Delivery).where(
            Delivery.team_id == team_id, Delivery.kind == FAILED_KIND, Delivery.key == str(digest_id),
            Delivery.recipient == user_id, Delivery.status.in_((DeliveryStatus.HELD, DeliveryStatus.FAILED)))
            .values(recipient=creator).execution_options(synchronize_session=False))
