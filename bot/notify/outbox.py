"""The notifier's rows in the deliveries table: every state change is a compare-and-set.

A notice is inserted HELD (due now) under the table's unique (team, kind, key, period), so it
exists at most once, ever. One caller at a time takes it (HELD or FAILED, due, or a claim gone
stale after a crash → CLAIMED with a fresh token); only the token's holder may then finish it
(SENT, FAILED with the next try, HELD until later, DROPPED, FOLDED). Two replicas attempting the
same notice at the same instant: one takes it, the other is told it is being sent.
"""
from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import STALE_AFTER
from bot.notify.notice import Notice
from bot.sql import insert_ignore
from models.delivery import Delivery, DeliveryStatus

S = DeliveryStatus
RETRY_BASE = timedelta(minutes=1)  # first retry of a failed post; doubled each time
RETRY_MAX = timedelta(hours=1)
MAX_ATTEMPTS = 8  # then it stays FAILED with no next try, counted in /prodops status
SWEEP_BATCH = 200  # held or failed notices tried per tick


@dataclass(frozen=True)
class Row:
    """A detached copy of a notifier row."""

    id: int
    notice: Notice
    status: DeliveryStatus
    next_at: datetime | None
    attempts: int
    created_at: datetime

    @classmethod
    def of(cls, r: Delivery) -> "Row":
        return cls(r.id, Notice(r.team_id, r.kind, r.key, r.period, r.recipient or "", r.what, dict(r.data or {})),
                   r.status, r.next_at, r.attempts, r.created_at)


@dataclass(frozen=True)
class Taken:
    row: Row
    token: str


def _key(n: Notice):  # noqa: ANN202 - SQL expression
    return and_(Delivery.team_id == n.team_id, Delivery.kind == n.kind, Delivery.key == n.key,
                Delivery.period == n.period)


def _takeable(now: datetime):  # noqa: ANN202 - SQL expression
    return or_(
        and_(Delivery.status.in_((S.HELD, S.FAILED)), Delivery.next_at.is_not(None), Delivery.next_at <= now),
        and_(Delivery.status == S.CLAIMED, Delivery.recipient.is_not(None), Delivery.claimed_at < now - STALE_AFTER),
    )


async def enqueue(session: AsyncSession, notice: Notice, *, nudge: bool, now: datetime,
                  at: datetime | None = None) -> bool:
    """Store the notice, due `at` (default now); False when it already exists (sent, held or taken)."""
    return await insert_ignore(
        session, Delivery, team_id=notice.team_id, kind=notice.kind, key=notice.key, period=notice.period,
        status=S.HELD, claim_token=str(uuid.uuid4()), claimed_at=now, attempts=0, recipient=notice.to,
        next_at=at or now, data=notice.data, what=notice.what[:255], nudge=nudge, created_at=now, updated_at=now)


async def find(session: AsyncSession, notice: Notice) -> Row | None:
    row = await session.scalar(select(Delivery).where(_key(notice)).execution_options(populate_existing=True))
    return Row.of(row) if row is not None else None


async def take(session: AsyncSession, row_id: int, now: datetime) -> Taken | None:
    token = str(uuid.uuid4())
    result = await session.execute(
        update(Delivery).where(Delivery.id == row_id, _takeable(now))
        .values(status=S.CLAIMED, claim_token=token, claimed_at=now, attempts=Delivery.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return None
    row = await session.scalar(select(Delivery).where(Delivery.id == row_id).execution_options(populate_existing=True))
    assert row is not None
    return Taken(Row.of(row), token)


async def finish(session: AsyncSession, taken: Taken, status: DeliveryStatus, *, now: datetime,
                 next_at: datetime | None = None, note: str | None = None, error: str | None = None) -> bool:
    values: dict[str, Any] = {"status": status, "updated_at": now, "next_at": next_at, "note": note and note[:255]}
    if error is not None:
        values["last_error"] = error[:255]
    if status is S.SENT:
        values["sent_at"] = now
    result = await session.execute(
        update(Delivery).where(Delivery.id == taken.row.id, Delivery.claim_token == taken.token)
        .values(**values).execution_options(synchronize_session=False))
    return result.rowcount == 1


def retry_at(attempts: int, now: datetime) -> datetime | None:
    """Backoff after the `attempts`-th failed post: 1, 2, 4 … minutes, at most an hour; None
    once MAX_ATTEMPTS are spent."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + min(RETRY_MAX, RETRY_BASE * (2 ** max(0, attempts - 1)))


async def due_rows(session: AsyncSession, now: datetime, kinds: Collection[str],
                   limit: int = SWEEP_BATCH) -> list[int]:
    """Notices of `kinds` (what this process can render: a replica that lacks a kind leaves it
    to one that has it) whose next try has come (the (status, next_at) index) or whose claim
    went stale. Notices held to the same instant go in the order they were raised (the id): a
    standup's prompt and reminder both held until someone's late start arrive prompt first."""
    if not kinds:
        return []
    rows = await session.scalars(select(Delivery.id).where(_takeable(now), Delivery.kind.in_(sorted(kinds)))
                                 .order_by(Delivery.next_at, Delivery.id).limit(limit))
    return list(rows)


async def sent_nudges_between(session: AsyncSession, team_id: str, to: str, start: datetime, end: datetime) -> int:
    """Nudges the person was sent in [start, end): the budget's count (the recipient/sent_at index)."""
    return int(await session.scalar(
        select(func.count()).select_from(Delivery).where(
            Delivery.team_id == team_id, Delivery.recipient == to, Delivery.sent_at >= start, Delivery.sent_at < end,
            Delivery.nudge.is_(True), Delivery.status == S.SENT)) or 0)


async def folded_for(session: AsyncSession, team_id: str, to: str, limit: int = 20) -> list[tuple[int, str]]:
    """Nudges the budget held back from this person and no later nudge has mentioned yet: (id, kind)."""
    rows = await session.execute(
        select(Delivery.id, Delivery.kind).where(
            Delivery.team_id == team_id, Delivery.recipient == to, Delivery.status == S.FOLDED,
            Delivery.folded_into.is_(None)).order_by(Delivery.id).limit(limit))
    return [(i, w) for i, w in rows]


async def mark_folded_into(session: AsyncSession, ids: list[int], into: int) -> None:
    if ids:
        await session.execute(update(Delivery).where(Delivery.id.in_(ids), Delivery.folded_into.is_(None))
                              .values(folded_into=into).execution_options(synchronize_session=False))


async def record_skip(session: AsyncSession, notice: Notice, note: str, now: datetime) -> bool:
    """A notice past its duty's grace (the bot was down): recorded once, never sent afterwards."""
    return await insert_ignore(
        session, Delivery, team_id=notice.team_id, kind=notice.kind, key=notice.key, period=notice.period,
        status=S.SKIPPED, claim_token=str(uuid.uuid4()), claimed_at=now, attempts=0, recipient=notice.to,
        next_at=None, data=notice.data, what=notice.what[:255], note=note[:255], created_at=now, updated_at=now)


async def record_folded(session: AsyncSession, notice: Notice, into: str, now: datetime) -> bool:
    """A notice another one says for it (a launch's DM naming every item it shipped): recorded
    as folded, so the path that would send it alone finds it taken and sends nothing."""
    return await insert_ignore(
        session, Delivery, team_id=notice.team_id, kind=notice.kind, key=notice.key, period=notice.period,
        status=S.FOLDED, claim_token=str(uuid.uuid4()), claimed_at=now, attempts=0, recipient=notice.to,
        next_at=None, data=notice.data, what=notice.what[:255], note=f"folded into {into}"[:255],
        created_at=now, updated_at=now)


@dataclass(frozen=True)
class Summary:
    """The workspace's own notices, for /prodops status (never another workspace's counts)."""

    held: int  # waiting: quiet hours, days off, snoozes, escalation steps not due yet, retries
    failed: int  # failed, with or without a next try
    recent: dict[str, dict[str, int]]  # kind -> status -> count, over the last day
    skipped: list[tuple[datetime, str, str]]  # recent skips: when, what, why


async def summary(session: AsyncSession, team_id: str, since: datetime, recent_since: datetime,
                  limit: int = 5) -> Summary:
    counts = dict((await session.execute(
        select(Delivery.status, func.count()).where(Delivery.team_id == team_id, Delivery.recipient.is_not(None),
                                                     Delivery.status.in_((S.HELD, S.FAILED)))
        .group_by(Delivery.status))).all())
    recent: dict[str, dict[str, int]] = {}
    for kind, status, n in (await session.execute(
            select(Delivery.kind, Delivery.status, func.count()).where(
                Delivery.team_id == team_id, Delivery.recipient.is_not(None), Delivery.updated_at >= recent_since)
            .group_by(Delivery.kind, Delivery.status))).all():
        recent.setdefault(kind, {})[str(status.value)] = int(n)
    skipped = (await session.execute(
        select(Delivery.created_at, Delivery.what, Delivery.note).where(
            Delivery.team_id == team_id, Delivery.status == S.SKIPPED, Delivery.created_at >= since)
        .order_by(Delivery.created_at.desc()).limit(limit))).all()
    return Summary(int(counts.get(S.HELD, 0)), int(counts.get(S.FAILED, 0)), recent,
                   [(at, what, note or "") for at, what, note in skipped])
