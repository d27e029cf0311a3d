"""One person's working calendar, as plain data: when they work, and every question asked of it.

Built by bot/calendar/load.py from the person, their workspace's defaults, their away periods and
the holidays that apply to them; pure from there on, so every feature asks the same questions
the same way ("is it working time for them now?", "when does their next working period
start?", "how many working days between these dates?").

Local times are DST-correct: a period's start is the local wall time on that date turned into
an instant through the zone. A wall time that does not exist that day (a spring-forward gap) is
read with the offset before the gap, so it lands as far after the gap as it was into it (02:30
on a 02:00→03:00 night is 03:30): still that day, never skipped. One that happens twice (fall
back) is its first occurrence, and callers key their claims by local date, so never twice.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.calendar.hours import DEFAULT_HOURS, MINUTES_PER_DAY, WorkingHours

HORIZON_DAYS = 400  # how far ahead next_start looks (a year of away, and then some)


@dataclass(frozen=True)
class Away:
    starts_on: date
    ends_on: date  # included
    note: str = ""  # stored representation (bot/usertext.py)

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class Period:
    """One working period: the local date it belongs to and its start and end instants (UTC)."""

    day: date
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Calendar:
    team_id: str
    user_id: str
    zone: ZoneInfo
    hours: WorkingHours = DEFAULT_HOURS
    holidays: Mapping[date, str] = field(default_factory=dict)  # the workspace's own days off
    country: str | None = None  # public holidays of this country apply too
    away: Sequence[Away] = ()
    country_days: Callable[[str, int], Mapping[date, str]] | None = None  # bot/calendar/holidays.public_holidays

    def shape(self) -> tuple[object, ...]:
        """What every answer of this calendar depends on, as a key: people who share it share
        their answers (the calendar holds a dict, so it is not hashable itself)."""
        return (self.zone.key, self.hours, tuple(sorted(self.holidays.items())), self.country, self.country_days,
                tuple(self.away))

    # -- days ---------------------------------------------------------------------------------
    def local_date(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    def holiday(self, day: date) -> str | None:
        """The holiday's name when `day` is one for this person (workspace's first, then country's)."""
        if day in self.holidays:
            return self.holidays[day] or "holiday"
        if self.country and self.country_days is not None:
            name = self.country_days(self.country, day.year).get(day)
            if name is not None:
                return name
        return None

    def away_on(self, day: date) -> Away | None:
        return next((a for a in self.away if a.covers(day)), None)

    def day_off(self, day: date) -> str | None:
        """Why `day` is not a working day for them (None: it is one)."""
        if day.weekday() not in self.hours.days:
            return "not a working day"
        name = self.holiday(day)
        if name is not None:
            return f"holiday ({name})"
        if self.away_on(day) is not None:
            return "away"
        return None

    def is_working_day(self, day: date) -> bool:
        return self.day_off(day) is None

    # -- instants -----------------------------------------------------------------------------
    def at_local(self, day: date, minutes: int) -> datetime:
        """The instant (UTC) of local wall time `minutes` after midnight on `day`."""
        if minutes >= MINUTES_PER_DAY:
            return self.at_local(day + timedelta(days=1), minutes - MINUTES_PER_DAY)
        wall = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=self.zone)
        return wall.astimezone(UTC)

    def period_on(self, day: date) -> Period | None:
        """Their working period on local date `day`, or None on a day off."""
        if not self.is_working_day(day):
            return None
        return Period(day, self.at_local(day, self.hours.start), self.at_local(day, self.hours.end))

    def is_working(self, at: datetime) -> bool:
        period = self.period_on(self.local_date(at))
        return period is not None and period.start <= at < period.end

    def next_start(self, after: datetime) -> datetime | None:
        """The first start of a working period strictly after `after` (None within the horizon:
        away for more than a year)."""
        day = self.local_date(after)
        for _ in range(HORIZON_DAYS):
            period = self.period_on(day)
            if period is not None and period.start > after:
                return period.start
            day += timedelta(days=1)
        return None

    def resume_at(self, at: datetime) -> datetime | None:
        """When something held for quiet hours may go out: now within working time, else the
        next start (None: not within the horizon)."""
        return at if self.is_working(at) else self.next_start(at)

    def start_of_day(self, at: datetime) -> datetime:
        """Local midnight of the date `at` falls on, as an instant (what "per local day" counts from)."""
        return self.at_local(self.local_date(at), 0)

    def working_days_between(self, first: date, last: date) -> int:
        """Working days from `first` to `last`, both included (0 when last < first)."""
        count, day = 0, first
        while day <= last:
            count += self.is_working_day(day)
            day += timedelta(days=1)
        return count
