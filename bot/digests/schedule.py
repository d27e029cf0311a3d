"""When a digest falls: pure functions of its cadence, days, local time and zone.

An occurrence is a local date on which the digest posts, at its local time in its zone. Wall
times follow `datetime.combine(..., tzinfo=zone)` (fold 0), as the working calendar does: a time
that does not exist on a spring-forward day (02:30 in Europe/London on the last Sunday of March)
falls at the same distance after the jump (03:30), and a time that happens twice on a fall-back
day falls at its first occurrence; either way once per day. The period key of an occurrence is
its local date, so an edit of the time never makes a second post on the same day.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.digest import Cadence

WEEK = 7
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class Timing:
    cadence: Cadence
    days: int  # bit 0 = Monday … bit 6 = Sunday; one bit for a weekly digest
    minutes: int  # local time, after midnight
    zone: ZoneInfo

    def is_day(self, day: date) -> bool:
        return bool(self.days >> day.weekday() & 1)


@dataclass(frozen=True)
class Occurrence:
    at: datetime  # aware UTC
    day: date  # the local date: the period key

    @property
    def period(self) -> str:
        return self.day.isoformat()


def at_local(t: Timing, day: date) -> datetime:
    wall = datetime.combine(day, time(t.minutes // 60, t.minutes % 60), tzinfo=t.zone)
    return wall.astimezone(UTC)


def occurrence_on(t: Timing, day: date) -> Occurrence | None:
    return Occurrence(at_local(t, day), day) if t.is_day(day) else None


def next_after(t: Timing, after: datetime) -> Occurrence | None:
    """The first occurrence strictly after `after` (None when no day is chosen)."""
    if not t.days & 0b1111111:
        return None
    day = after.astimezone(t.zone).date() - timedelta(days=1)  # an offset can put today's before `after`
    for _ in range(WEEK + 2):
        found = occurrence_on(t, day)
        if found is not None and found.at > after:
            return found
        day += timedelta(days=1)
    return None


def latest_by(t: Timing, at: datetime) -> Occurrence | None:
    """The last occurrence at or before `at`."""
    if not t.days & 0b1111111:
        return None
    day = at.astimezone(t.zone).date() + timedelta(days=1)
    for _ in range(WEEK + 2):
        found = occurrence_on(t, day)
        if found is not None and found.at <= at:
            return found
        day -= timedelta(days=1)
    return None


def previous(t: Timing, occurrence: Occurrence) -> Occurrence | None:
    """The occurrence before this one: where its period starts when nothing was posted yet."""
    return latest_by(t, occurrence.at - timedelta(seconds=1))


def between(t: Timing, after: datetime, until: datetime, limit: int) -> list[Occurrence]:
    """Occurrences in (after, until], the last `limit` of them (a bot that was down for days)."""
    found: list[Occurrence] = []
    cursor = latest_by(t, until)
    while cursor is not None and cursor.at > after and len(found) < limit:
        found.append(cursor)
        cursor = previous(t, cursor)
    return found[::-1]
