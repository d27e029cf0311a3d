"""Post-once delivery: claim under a unique key, post, then mark sent (docs/architecture.md, "A scheduled job").

A claim is committed before anything is posted, so replicas and restarts see it. A claim that
failed, or that stayed unsent longer than the stale timeout (a crash mid-post), can be
reclaimed, by exactly one caller, through a compare-and-set UPDATE.
"""
from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.db import Database
from bot.sql import insert_ignore
from models.delivery import Delivery, DeliveryStatus

STALE_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class Claim:
    team_id: str
    kind: str
    key: str
    period: str
    token: str


def _same_key(team_id: str, kind: str, key: str, period: str):  # noqa: ANN202 - SQL expression
    return and_(
        Delivery.team_id == team_id,
        Delivery.kind == kind,
        Delivery.key == key,
        Delivery.period == period,
    )


async def claim(
    session: AsyncSession,
    team_id: str,
    kind: str,
    key: str,
    period: str,
    *,
    now: datetime | None = None,
    stale_after: timedelta = STALE_AFTER,
    retry_failed_after: timedelta = timedelta(0),
) -> Claim | None:
    """Return a Claim when this caller may post, None when someone else has or is posting.

    A failed claim is reclaimable once `retry_failed_after` has passed since it failed, so a
    sweeper that runs every minute can space out its retries of a post Slack keeps refusing."""
    now = now or clock.now()
    token = str(uuid.uuid4())
    if await insert_ignore(
        session, Delivery, team_id=team_id, kind=kind, key=key, period=period,
        status=DeliveryStatus.CLAIMED, claim_token=token, claimed_at=now,
    ):
        return Claim(team_id, kind, key, period, token)
    failed = Delivery.status == DeliveryStatus.FAILED
    if retry_failed_after:
        failed = and_(failed, Delivery.updated_at <= now - retry_failed_after)
    reclaim = (
        update(Delivery)
        .where(
            _same_key(team_id, kind, key, period),
            or_(
                failed,
                and_(Delivery.status == DeliveryStatus.CLAIMED, Delivery.claimed_at < now - stale_after),
            ),
        )
        .values(status=DeliveryStatus.CLAIMED, claim_token=token, claimed_at=now,
                attempts=Delivery.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(reclaim)
    return Claim(team_id, kind, key, period, token) if result.rowcount == 1 else None


async def _finish(session: AsyncSession, c: Claim, status: DeliveryStatus, error: str | None) -> bool:
    now = clock.now()
    values: dict[str, object] = {"status": status, "updated_at": now, "last_error": error}
    if status is DeliveryStatus.SENT:
        values["sent_at"] = now
    result = await session.execute(
        update(Delivery)
        .where(_same_key(c.team_id, c.kind, c.key, c.period), Delivery.claim_token == c.token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def mark_sent(session: AsyncSession, c: Claim) -> bool:
    return await _finish(session, c, DeliveryStatus.SENT, None)


async def mark_failed(session: AsyncSession, c: Claim, error: str) -> bool:
    return await _finish(session, c, DeliveryStatus.FAILED, error[:255])


async def deliver_once(
    db: Database, team_id: str, kind: str, key: str, period: str, send: Callable[[], Awaitable[Any]]
) -> bool:
    """Claim, send, record; True when this call posted. A failed send stays reclaimable."""
    async with db.unit_of_work() as session:
        c = await claim(session, team_id, kind, key, period)
    if c is None:
        return False
    await send_claimed(db, c, send)
    return True


@dataclass(frozen=True)
class AfterSent:
    """What a send may hand back: writes that belong with "it was sent" (the post's ts, what
    the next one counts from), made in the transaction that marks the claim sent."""

    write: Callable[[AsyncSession], Awaitable[None]]


async def send_claimed(db: Database, c: Claim, send: Callable[[], Awaitable[Any]]) -> None:
    """The second half of deliver_once, for callers that committed the claim together with
    their own writes (one transaction fewer)."""
    try:
        result = await send()
    except Exception as exc:
        async with db.unit_of_work() as session:
            await mark_failed(session, c, f"{type(exc).__name__}: {exc}")
        raise
    async with db.unit_of_work() as session:
        await mark_sent(session, c)
        if isinstance(result, AfterSent):
            await result.write(session)
