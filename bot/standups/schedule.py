"""When a standup's moments fall for one participant: pure functions of their calendar (zone,
DST) and the standup's days and times.

A standup day is a local date: each participant is prompted at the prompt time on their own
clock and has until the deadline on their own clock, so a team across twelve zones is asked at
09:30 each, not at one instant. The reminder goes an hour before the deadline (half way when
prompt and deadline are less than two hours apart). The day's summary goes up once the last
participant's deadline has passed. An answer is for the day whose window it falls in: the
window of a day opens after the previous standup day's deadline (the evening before).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.calendar.working import Calendar

PROMPT, REMIND = "prompt", "remind"
EVENTS = (PROMPT, REMIND)
REMIND_BEFORE = timedelta(hours=1)
WEEK = 7


@dataclass(frozen=True)
class Times:
    """A standup's days (bit 0 = Monday) and its prompt and deadline, minutes after local midnight."""

    days: int
    prompt: int
    deadline: int

    def is_day(self, day: date) -> bool:
        return bool(self.days >> day.weekday() & 1)


@dataclass(frozen=True)
class Moment:
    at: datetime
    day: date
    event: str  # PROMPT or REMIND


def deadline_at(cal: Calendar, t: Times, day: date) -> datetime:
    return cal.at_local(day, t.deadline)


def prompt_at(cal: Calendar, t: Times, day: date) -> datetime:
    return cal.at_local(day, t.prompt)


def remind_at(cal: Calendar, t: Times, day: date) -> datetime:
    prompt, deadline = prompt_at(cal, t, day), deadline_at(cal, t, day)
    return deadline - min(REMIND_BEFORE, (deadline - prompt) / 2)


def moment_at(cal: Calendar, t: Times, day: date, event: str) -> datetime:
    return prompt_at(cal, t, day) if event == PROMPT else remind_at(cal, t, day)


def moments(cal: Calendar, t: Times, first: date, last: date) -> list[Moment]:
    """Every prompt and reminder on standup days from `first` to `last`, in order."""
    found: list[Moment] = []
    day = first
    while day <= last:
        if t.is_day(day):
            found.extend(Moment(moment_at(cal, t, day, e), day, e) for e in EVENTS)
        day += timedelta(days=1)
    return sorted(found, key=lambda m: m.at)


def next_moment(cal: Calendar, t: Times, after: datetime) -> Moment | None:
    """The first prompt or reminder strictly after `after` (None: the standup has no days)."""
    start = cal.local_date(after) - timedelta(days=1)
    return next((m for m in moments(cal, t, start, start + timedelta(days=WEEK + 2)) if m.at > after), None)


def day_open_at(cal: Calendar, t: Times, at: datetime) -> date | None:
    """The standup day whose prompt has come and whose deadline has not, at `at` (None: none)."""
    today = cal.local_date(at)
    for day in (today - timedelta(days=1), today):
        if t.is_day(day) and prompt_at(cal, t, day) <= at < deadline_at(cal, t, day):
            return day
    return None


def previous_day(t: Times, day: date) -> date | None:
    for back in range(1, WEEK + 1):
        earlier = day - timedelta(days=back)
        if t.is_day(earlier):
            return earlier
    return None


def next_day(t: Times, after: date) -> date | None:
    for ahead in range(1, WEEK + 1):
        later = after + timedelta(days=ahead)
        if t.is_day(later):
            return later
    return None


def answer_day(cal: Calendar, t: Times, at: datetime, answered: set[date]) -> date | None:
    """The day an answer given at `at` is for (what `/standup` opens): today until its deadline,
    and after it while today is still unanswered (a late answer); otherwise the next standup day
    (its window opened at today's deadline)."""
    today = cal.local_date(at)
    if t.is_day(today) and (at < deadline_at(cal, t, today) or today not in answered):
        return today
    return next_day(t, today)


def summary_at(zones: Iterable[ZoneInfo], t: Times, day: date) -> datetime:
    """The day's summary: once the deadline has passed in every participant's zone."""
    return max(Calendar("", "", zone).at_local(day, t.deadline) for zone in zones)


def next_summary(zones: list[ZoneInfo], t: Times, after: datetime) -> tuple[datetime, date] | None:
    """The first summary instant strictly after `after`, with its day."""
    if not zones or not t.days:
        return None
    day = after.date() - timedelta(days=2)
    for _ in range(WEEK + 4):
        if t.is_day(day):
            at = summary_at(zones, t, day)
            if at > after:
                return at, day
        day += timedelta(days=1)
    return None


def latest_summary(zones: list[ZoneInfo], t: Times, at: datetime, after: date) -> tuple[datetime, date] | None:
    """The latest summary due by `at` of a day after `after`: when ticks missed several days (the
    bot was down), the one as read and this latest one are acted on (the grace decides)."""
    day = at.date() + timedelta(days=1)
    while day > after:
        if t.is_day(day):
            when = summary_at(zones, t, day)
            if when <= at:
                return when, day
        day -= timedelta(days=1)
    return None
