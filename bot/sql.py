"""Dialect-aware statements the ORM does not spell portably."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, String, Table, case, cast, func, type_coerce
from sqlalchemy.sql.elements import ColumnElement

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


async def insert_ignore(session: AsyncSession, model: type[DeclarativeBase], **values: Any) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True when this call inserted the row.

    A unique constraint is the arbiter, so concurrent callers (or replicas) get exactly one True.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = model.__table__  # type: ignore[attr-defined]
    for key, default in _defaults(table):  # Core inserts of a dict skip Python-side defaults
        if key not in values:
            values[key] = default.arg(None) if default.is_callable else default.arg
    result = await session.execute(insert(table).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)


@lru_cache(maxsize=None)
def _defaults(table: Table) -> tuple[tuple[str, Any], ...]:
    return tuple((c.key, c.default) for c in table.columns
                 if c.default is not None and (c.default.is_callable or c.default.is_scalar))


def local_date(column: Any, zone: ZoneInfo, dialect: str, first: date, last: date) -> ColumnElement[date]:
    """The local date in `zone` of a stored UTC instant, computed by the database, so a metric can
    GROUP BY day over a hundred thousand rows instead of converting each one in Python.

    PostgreSQL converts through the zone itself. SQLite knows no zones: the zone's UTC offset is
    piecewise constant between its transitions, so the date is date(column, '+offset seconds') in
    a CASE over the transitions from `first` to `last` (exact there; outside, the nearest
    stretch's offset). NULL stays NULL."""
    if dialect == "postgresql":
        return cast(func.timezone(zone.key, column), Date)
    stretches = offsets(zone, first, last)
    # SQLite stores instants as 'YYYY-MM-DD HH:MM:SS.ffffff' UTC text: at offset 0 the date is
    # its first ten characters (cheaper than parsing it with date()).
    shifted = [type_coerce(func.substr(column, 1, 10) if seconds == 0 else func.date(column, f"{seconds:+d} seconds"),
                           Date) for _, seconds in stretches]
    if len(shifted) == 1:
        return shifted[0]
    return case(*[(column < until, expr) for (until, _), expr in zip(stretches[1:], shifted)], else_=shifted[-1])


def offsets(zone: ZoneInfo, first: date, last: date) -> list[tuple[datetime, int]]:
    """[(from this instant, UTC offset in seconds)] for the stretches of constant offset that
    cover local dates `first` to `last`; each transition found to the second by bisection."""
    def offset(at: datetime) -> int:
        found = at.astimezone(zone).utcoffset()
        return int(found.total_seconds()) if found is not None else 0

    at = datetime.combine(first - timedelta(days=1), time(0), UTC)
    end = datetime.combine(last + timedelta(days=2), time(0), UTC)
    found = [(at, offset(at))]
    while at < end:
        step = at + timedelta(days=1)
        if offset(step) != found[-1][1]:
            low, high = at, step  # offset(low) is the current one, offset(high) the next
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if offset(middle) == found[-1][1] else (low, middle)
            found.append((high.replace(microsecond=0), offset(step)))
        at = step
    return found


def add_days(day: Any, days: Any, dialect: str) -> ColumnElement[date]:
    """A date column plus an integer column of days, as a date (a checklist item's due date)."""
    if dialect == "postgresql":
        return cast(day + days, Date)
    return type_coerce(func.date(func.julianday(day) + days), Date)  # a third cheaper than a '+N days' modifier


def date_text(day: Any, dialect: str) -> ColumnElement[str]:
    """A date column as ISO text ('2026-11-30'), to match keys and periods stored as text."""
    if dialect == "postgresql":
        return func.to_char(day, "YYYY-MM-DD")
    return cast(day, String)  # SQLite stores dates as that text


def dates_agg(day: Any, dialect: str) -> ColumnElement[str]:
    """An aggregate: a group's dates as one comma-separated ISO text (NULLs left out), so a
    group of a hundred days comes back as one row, not a hundred (read with `split_dates`)."""
    if dialect == "postgresql":
        return func.string_agg(func.to_char(day, "YYYY-MM-DD"), ",")
    return func.group_concat(day, ",")


def split_dates(text: str | None) -> set[date]:
    return {date.fromisoformat(d) for d in text.split(",")} if text else set()
