"""Whose working period has started: the minute tick's one indexed query.

Each person row carries `next_start_at`, the next start of a working period in their zone,
hours and days off. A tick reads the people whose start has come (`next_start_at <= at`, the
index on that column) or was never computed (a new person, a changed zone), checks each start
against the calendar as it is now (a holiday added since is not a start), hands them to the
duties, and then moves each one's `next_start_at` to the start after `at`. 10,000 people in 30
zones cost one query when nobody starts, and a handful more (their calendars, the advance,
grouped by value) when a zone's morning comes.

A person whose start is still NULL (never computed, or their hours or zone changed) counts from
now: their next start at or after the tick. The minute tick computes it within a minute of the
row appearing, so someone the bot meets at 08:00 is started at 09:00, and someone met at 10:00
tomorrow (not "skipped while the bot was down").
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar.load import IN_CHUNK, calendars_of
from bot.calendar.working import Calendar
from models.person import Person

# No start within the horizon: the row is looked at again this much later (not a start: the
# check against the calendar as it is then finds that, and moves it on).
RECHECK_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Start:
    """A working period that has begun: whose, on which local date, at which instant."""

    team_id: str
    user_id: str
    day: date
    at: datetime
    calendar: Calendar


@dataclass(frozen=True)
class Starts:
    """What one tick found: the starts to act on, and each row's next start to write after."""

    at: datetime
    started: tuple[Start, ...]
    moves: tuple[tuple[int, datetime | None, datetime | None], ...]  # (person id, as read, next)


def due_query(at: datetime) -> Select[tuple[Person]]:
    """The people whose start has come by `at` or was never computed, read through
    ix_people_next_start_at.

    The flags are tested with IS NOT TRUE rather than `= false` on purpose: given an equality on
    `deleted`, the leading column of ix_people_deleted_checked_at, SQLite's planner prefers that
    index to the OR on next_start_at and walks every person still here, each minute (4.4 ms at
    10,000 people, bench/tick.py). Written this way SQLite uses the next_start_at index for both
    branches of the OR (a MULTI-INDEX OR), as PostgreSQL does (a BitmapOr); tests/test_duties.py
    checks SQLite's plan.
    """
    return select(Person).where(or_(Person.next_start_at.is_(None), Person.next_start_at <= at),
                                Person.deleted.is_not(True), Person.is_bot.is_not(True))


async def starts_due(session: AsyncSession, at: datetime) -> Starts:
    rows = (await session.execute(due_query(at))).scalars().all()
    if not rows:
        return Starts(at, (), ())
    earliest = min((r.next_start_at or at) for r in rows) - timedelta(days=1)
    calendars = await calendars_of(session, rows, from_day=earliest.date())
    started: list[Start] = []
    moves: list[tuple[int, datetime | None, datetime | None]] = []
    for row in rows:
        cal = calendars[(row.team_id, row.user_id)]
        read = row.next_start_at
        # Never computed (someone the bot just met, or whose hours or zone changed): their next
        # start from now on. A start already behind them today is not "missed" (the bot was not
        # down), and a nudge that would have come hours ago would read oddly late in their day.
        candidate = read if read is not None else cal.next_start(at - timedelta(microseconds=1))
        if candidate is not None and read is not None:
            period = cal.period_on(cal.local_date(candidate))
            if period is None or period.start != candidate:  # the calendar changed since: not a start
                candidate = cal.next_start(read - timedelta(microseconds=1))
        if candidate is not None and candidate <= at:
            started.append(Start(row.team_id, row.user_id, cal.local_date(candidate), candidate, cal))
            latest = _latest_start(cal, candidate, at)
            if latest is not None:  # back after days down: today's start too (its grace may still hold)
                started.append(Start(row.team_id, row.user_id, cal.local_date(latest), latest, cal))
            moves.append((row.id, read, cal.next_start(at) or at + RECHECK_AFTER))
        else:
            moves.append((row.id, read, candidate or at + RECHECK_AFTER))
    return Starts(at, tuple(started), tuple(moves))


def _latest_start(cal: Calendar, since: datetime, at: datetime) -> datetime | None:
    """The latest start in (since, at]. When ticks missed several starts (the bot was down for
    days), the one as read and this latest one are acted on (each duty's grace decides: skipped
    and recorded, or sent); the ones between are not revisited."""
    day, first = cal.local_date(at), cal.local_date(since)
    while day > first:
        period = cal.period_on(day)
        if period is not None and since < period.start <= at:
            return period.start
        day -= timedelta(days=1)
    return None


async def advance(session: AsyncSession, starts: Starts) -> int:
    """Write each row's next start, only where nobody changed it since it was read (a
    compare-and-set per group of rows that share both values: people in one zone and hours)."""
    groups: dict[tuple[datetime | None, datetime | None], list[int]] = defaultdict(list)
    for person_id, read, following in starts.moves:
        if read != following:
            groups[(read, following)].append(person_id)
    written = 0
    for (read, following), ids in groups.items():
        for i in range(0, len(ids), IN_CHUNK):
            same = Person.next_start_at.is_(None) if read is None else Person.next_start_at == read
            result = await session.execute(update(Person).where(Person.id.in_(ids[i:i + IN_CHUNK]), same)
                                           .values(next_start_at=following)
                                           .execution_options(synchronize_session=False))
            written += result.rowcount
    return written


async def recompute(session: AsyncSession, team_id: str, user_ids: list[str] | None = None) -> None:
    """Forget the next start of these people (everyone in the workspace with None) after their
    hours, away days or holidays changed: the next tick computes it again."""
    statement = update(Person).where(Person.team_id == team_id)
    if user_ids is not None:
        statement = statement.where(Person.user_id.in_(user_ids))
    await session.execute(statement.values(next_start_at=None).execution_options(synchronize_session=False))
