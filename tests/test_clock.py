"""The one clock (bot/clock.py): driven by the `clock` fixture, read by the code and the column defaults."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import clock as clock_module
from bot.clock import Clock
from bot.delivery import STALE_AFTER, claim, mark_sent
from models.base import utcnow
from models.delivery import Delivery, DeliveryStatus
from tests.conftest import Bot


def test_undriven_clock_is_the_wall_clock_in_utc() -> None:
    before = datetime.now(UTC)
    now = clock_module.now()
    assert now.tzinfo is UTC and before <= now <= datetime.now(UTC)
    assert not clock_module.CLOCK.driven


def test_a_driven_clock_stands_still_moves_when_told_and_resets(clock: Clock) -> None:
    instant = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert clock.set(instant) == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert clock_module.now() == clock_module.now() == instant and clock_module.now().tzinfo is UTC
    assert utcnow() == instant  # column defaults read the same clock
    assert clock.advance(timedelta(hours=16)) == datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    assert clock_module.today_in("Europe/Berlin") == date(2026, 11, 25)
    assert clock_module.today_in("America/Los_Angeles") == date(2026, 11, 24)
    assert clock_module.today_in(timezone(timedelta(hours=5, minutes=30))) == date(2026, 11, 25)
    assert clock_module.today_in("Not/A_Zone") == date(2026, 11, 25)  # unknown zones read as UTC
    clock.reset()
    assert not clock.driven and abs(clock_module.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_the_clock_refuses_a_naive_instant(clock: Clock) -> None:
    with pytest.raises(ValueError, match="naive"):
        clock.set(datetime(2026, 11, 24, 9, 0))
    assert not clock.driven


def test_advance_from_the_wall_clock_starts_driving(clock: Clock) -> None:
    ahead = clock.advance(timedelta(days=3))
    assert clock.driven and ahead - datetime.now(UTC) > timedelta(days=2, hours=23)


async def test_rows_carry_the_driven_time_and_claims_age_by_it(bot: Bot, team: str, clock: Clock) -> None:
    start = clock.set(datetime(2031, 3, 30, 0, 59, tzinfo=UTC))
    async with bot.rt.db.unit_of_work() as session:
        first = await claim(session, team, "digest", "C1", "2031-03-30")
    assert first is not None
    clock.advance(STALE_AFTER - timedelta(seconds=1))
    async with bot.rt.db.unit_of_work() as session:
        assert await claim(session, team, "digest", "C1", "2031-03-30") is None  # not stale yet
    clock.advance(timedelta(seconds=2))
    async with bot.rt.db.unit_of_work() as session:
        again = await claim(session, team, "digest", "C1", "2031-03-30")  # stale: reclaimed
        assert again is not None and await mark_sent(session, again)
    async with bot.rt.db.unit_of_work() as session:
        row = await session.scalar(select(Delivery).where(Delivery.team_id == team))
    assert row is not None and row.status is DeliveryStatus.SENT
    assert row.created_at == start and row.claimed_at == row.sent_at == start + STALE_AFTER + timedelta(seconds=1)
