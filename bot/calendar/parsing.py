"""`/prodops hours|away|holidays|budget`: the command text, parsed into typed requests.

Pure: no session, no clock. What needs the person's zone or the database (a period entirely in
the past, an overlap, a duplicate holiday) is decided by bot/calendar/service.py. Text is taken
as Slack sends it and converted once (`usertext.from_slack`); an error that quotes the input
renders it with `usertext.mrkdwn`, so nothing typed can ping or link.
"""
from __future__ import annotations

import calendar as months
import re
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from bot.calendar.holidays import known_country
from bot.calendar.hours import MINUTES_PER_DAY
from bot.errors import UserError
from bot.usertext import from_slack, mrkdwn

MAX_AWAY_DAYS = 366
NOTE_MAX = 800  # stored characters (models/calendar.py AwayPeriod.note)
HOLIDAY_NAME_MAX = 400  # stored characters (Holiday.name)
BUDGET_MIN, BUDGET_MAX = 1, 20
HEADS = frozenset({"hours", "away", "holidays", "holiday", "budget"})

# A mention as Slack sends it with should_escape, or a bare id long enough not to be a word
# (`WED`, `UTC` and `US` are not people).
USER_TOKEN = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|([UW][A-Z0-9]{8,})")
DATE_SHAPE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
CLOCK = re.compile(r"(\d{1,2})(?::(\d{2}))?(am|pm|a\.m\.|p\.m\.)?", re.I)
DASHES = re.compile(r"\s*[-–—]\s*")
WORD = re.compile(r"(?:<[^<>]*>|[^\s<])+")  # a mention is one word even with spaces in its label
RANGE_WORDS = frozenset({"to", "until", "till", "through", "-", "–", "—"})

DAY_WORDS: dict[str, int] = {}
for _i, _names in enumerate((("mon", "monday", "mo"), ("tue", "tues", "tuesday", "tu"),
                             ("wed", "weds", "wednesday", "we"), ("thu", "thur", "thurs", "thursday", "th"),
                             ("fri", "friday", "fr"), ("sat", "saturday", "sa"), ("sun", "sunday", "su"))):
    for _name in _names:
        DAY_WORDS[_name] = _i
DAY_SETS = {"weekdays": frozenset(range(5)), "weekday": frozenset(range(5)), "daily": frozenset(range(7)),
            "everyday": frozenset(range(7)), "weekends": frozenset({5, 6}), "weekend": frozenset({5, 6})}

HOURS_USAGE = ("Usage: `/prodops hours 08:30-17:00 mon-thu` (yours), `/prodops hours @maria 10:00-19:00 mon-fri`, "
               "`/prodops hours default 09:00-18:00 mon-fri` or `/prodops hours reset`.")
AWAY_USAGE = ("Usage: `/prodops away 2026-12-20 2027-01-03 [note]`, `/prodops away 2026-12-24 [note]`, "
              "`/prodops away list` or `/prodops away off` (admins may put `@maria` first).")
HOLIDAYS_USAGE = ("Usage: `/prodops holidays [list]`, `/prodops holidays add 2026-12-25 Christmas`, "
                  "`/prodops holidays remove 2026-12-25`, `/prodops holidays country DE|off [@maria]`.")
BUDGET_USAGE = (f"Usage: `/prodops budget` or `/prodops budget 5` (nudges per person per day, "
                f"{BUDGET_MIN}–{BUDGET_MAX}).")


# -- requests ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class HoursShow:
    user_id: str | None = None  # None: the person asking
    name: ClassVar[str] = "hours"


@dataclass(frozen=True)
class HoursSet:
    user_id: str | None
    start: int  # minutes after local midnight
    end: int
    days: frozenset[int] | None  # None: keep the current days
    name: ClassVar[str] = "hours set"


@dataclass(frozen=True)
class HoursReset:
    user_id: str | None = None
    name: ClassVar[str] = "hours reset"


@dataclass(frozen=True)
class DefaultHoursShow:
    name: ClassVar[str] = "hours default"


@dataclass(frozen=True)
class DefaultHoursSet:
    start: int
    end: int
    days: frozenset[int] | None
    name: ClassVar[str] = "hours default set"


@dataclass(frozen=True)
class AwayAdd:
    user_id: str | None
    first: date
    last: date  # included
    note: str  # stored representation
    name: ClassVar[str] = "away"


@dataclass(frozen=True)
class AwayList:
    name: ClassVar[str] = "away list"


@dataclass(frozen=True)
class AwayOff:
    user_id: str | None = None
    name: ClassVar[str] = "away off"


@dataclass(frozen=True)
class HolidaysList:
    name: ClassVar[str] = "holidays"


@dataclass(frozen=True)
class HolidayAdd:
    day: date
    label: str  # stored representation; "" for none
    name: ClassVar[str] = "holidays add"


@dataclass(frozen=True)
class HolidayRemove:
    day: date
    name: ClassVar[str] = "holidays remove"


@dataclass(frozen=True)
class CountryShow:
    user_id: str | None = None  # None: the workspace's
    name: ClassVar[str] = "holidays country"


@dataclass(frozen=True)
class CountrySet:
    code: str | None  # None: off
    user_id: str | None = None  # None: the workspace's preset
    name: ClassVar[str] = "holidays country set"


@dataclass(frozen=True)
class BudgetShow:
    name: ClassVar[str] = "budget"


@dataclass(frozen=True)
class BudgetSet:
    budget: int
    name: ClassVar[str] = "budget set"


CalendarRequest = (HoursShow | HoursSet | HoursReset | DefaultHoursShow | DefaultHoursSet | AwayAdd | AwayList
                   | AwayOff | HolidaysList | HolidayAdd | HolidayRemove | CountryShow | CountrySet
                   | BudgetShow | BudgetSet)


# -- pieces ------------------------------------------------------------------------------------
def user_of(token: str) -> str | None:
    """The user id a token names, or None when it is not a mention."""
    match = USER_TOKEN.fullmatch(token)
    return (match.group(1) or match.group(2)) if match else None


def _not_a_user(token: str) -> UserError:
    return UserError(f"`{mrkdwn(token)}` is not a Slack user. Mention them with @ and pick them from the list.")


def parse_clock(text: str, *, end: bool) -> int:
    """`9`, `09:30`, `9:30am`, `5pm`, and `24:00` as an end: minutes after local midnight."""
    match = CLOCK.fullmatch(text)
    if not match:
        raise UserError(f"`{mrkdwn(text)}` is not a time of day; write it like `09:00`, `17:30` or `5pm`.")
    hour, minute, suffix = int(match.group(1)), int(match.group(2) or 0), (match.group(3) or "").lower()
    if minute > 59:
        raise UserError(f"`{mrkdwn(text)}` is not a time of day: minutes go from 00 to 59.")
    if suffix:
        if not 1 <= hour <= 12:
            raise UserError(f"`{mrkdwn(text)}` is not a time of day: with am/pm, hours go from 1 to 12.")
        return (hour % 12 + (12 if suffix.startswith("p") else 0)) * 60 + minute
    if hour > 24 or (hour == 24 and minute):
        raise UserError(f"`{mrkdwn(text)}` is not a time of day: hours go from 00:00 to 24:00.")
    if hour == 24 and not end:
        raise UserError("Working hours can't start at `24:00`; the latest start is `23:59`.")
    return hour * 60 + minute


def parse_range(text: str) -> tuple[int, int]:
    """`09:00-17:30`, `9-17`, `9:30am-5pm`: a start before its end, within one local day."""
    parts = text.split("-")
    if len(parts) != 2 or not all(parts):
        raise UserError(f"`{mrkdwn(text)}` is not a time range; write it like `09:00-17:30`, `9-17` or `9am-5pm`.")
    start, end = parse_clock(parts[0], end=False), parse_clock(parts[1], end=True)
    if end == start:
        raise UserError(f"`{mrkdwn(text)}` starts and ends at the same time.")
    if end < start:
        raise UserError(f"`{mrkdwn(text)}` ends before it starts: working hours lie within one day, "
                        "like `09:00-17:00` (use `24:00` for midnight).")
    assert end <= MINUTES_PER_DAY
    return start, end


def parse_days(text: str) -> frozenset[int]:
    """`mon-thu`, `mon,wed,fri`, `mon wed fri`, `Monday`, `weekdays`, `every day`, `daily`;
    a range may wrap the week (`fri-mon`)."""
    words = re.sub(r"\bevery\s+day\b", "daily", DASHES.sub("-", text.lower())).replace(",", " ").split()
    days: set[int] = set()
    for word in words:
        if word in {"and", "&amp;"}:
            continue
        if word in DAY_SETS:
            days |= DAY_SETS[word]
            continue
        ends = word.split("-")
        if len(ends) == 2 and all(e in DAY_WORDS for e in ends):
            first, last = DAY_WORDS[ends[0]], DAY_WORDS[ends[1]]
            days |= {(first + i) % 7 for i in range((last - first) % 7 + 1)}
        elif word in DAY_WORDS:
            days.add(DAY_WORDS[word])
        else:
            raise UserError(f"`{mrkdwn(word)}` is not a day; write days like `mon-fri`, `mon,wed,fri`, "
                            "`weekdays` or `daily`.")
    if not days:
        raise UserError("Give at least one working day, like `mon-fri`.")
    return frozenset(days)


def parse_date(text: str) -> date:
    """An ISO date, `2026-12-20`; a date that is not on the calendar says why."""
    match = DATE_SHAPE.fullmatch(text)
    if not match:
        raise UserError(f"`{mrkdwn(text)}` is not a date; write it as YYYY-MM-DD, like `2026-12-20`.")
    year, month, day = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        if not 1 <= month <= 12:
            why = "months go from 01 to 12"
        elif year < 1:
            why = "years start at 0001"
        else:
            why = f"{months.month_name[month]} {year} has {months.monthrange(year, month)[1]} days"
        raise UserError(f"`{mrkdwn(text)}` is not a date on the calendar: {why}.") from None


def _looks_like_date(token: str) -> bool:
    return bool(re.match(r"\d{4}-\d", token))


def _words(text: str) -> list[str]:
    return WORD.findall(text)


def _split(text: str) -> tuple[str, str]:
    """The first word and the rest as written (a note keeps its own spacing)."""
    match = WORD.search(text)
    if match is None:
        return "", ""
    return match.group(0), text[match.end():].strip()


# -- commands ----------------------------------------------------------------------------------
def _hours_and_days(words: list[str]) -> tuple[int, int, frozenset[int] | None]:
    start, end = parse_range(words[0])
    return start, end, parse_days(" ".join(words[1:])) if words[1:] else None


def parse_hours(text: str) -> CalendarRequest:
    # `9am - 5pm`, `9:30 am`: one token per time range before splitting into words.
    words = _words(re.sub(r"(\d)\s+(am|pm)\b", r"\1\2", DASHES.sub("-", text), flags=re.I))
    if not words:
        return HoursShow()
    first = words[0].lower()
    if first == "default":
        if len(words) == 1:
            return DefaultHoursShow()
        return DefaultHoursSet(*_hours_and_days(words[1:]))
    if first == "reset":
        if len(words) == 1:
            return HoursReset()
        if len(words) == 2 and (user := user_of(words[1])):
            return HoursReset(user)
        raise UserError("Usage: `/prodops hours reset` (yours) or `/prodops hours reset @maria` (admins).")
    user = user_of(words[0])
    if user is not None:
        words = words[1:]
        if not words:
            return HoursShow(user)
        if words[0].lower() == "reset" and len(words) == 1:
            return HoursReset(user)
    elif words[0].startswith("@") or words[0].startswith("<@"):
        raise _not_a_user(words[0])
    elif not words[0][:1].isdigit():
        raise UserError(f"`{mrkdwn(words[0])}` is not a time range. " + HOURS_USAGE)
    return HoursSet(user, *_hours_and_days(words))


def parse_away(text: str) -> CalendarRequest:
    head, rest = _split(text)
    if not head:
        return AwayList()
    user = user_of(head)
    if user is not None:
        head, rest = _split(rest)
        if not head:
            raise UserError(AWAY_USAGE)
    elif head.startswith("@") or head.startswith("<@"):
        raise _not_a_user(head)
    if head.lower() == "list" and user is None and not rest:
        return AwayList()
    if head.lower() == "off" and not rest:
        return AwayOff(user)
    if not _looks_like_date(head):
        raise UserError(f"`{mrkdwn(head)}` is not a date. " + AWAY_USAGE)
    first = last = parse_date(head)
    word, after = _split(rest)
    if word.lower() in RANGE_WORDS:
        word, after = _split(after)
        if not word:
            raise UserError("Give the last day too, like `/prodops away 2026-12-20 2027-01-03`.")
        last, rest = parse_date(word), after
    elif _looks_like_date(word):
        last, rest = parse_date(word), after
    if last < first:
        raise UserError(f"That period ends ({last.isoformat()}) before it starts ({first.isoformat()}).")
    if (last - first).days + 1 > MAX_AWAY_DAYS:
        raise UserError(f"That period is {(last - first).days + 1} days long; an away period is at most "
                        f"{MAX_AWAY_DAYS} days. Add the rest as another period later.")
    note = rest.strip()
    if len(note) > NOTE_MAX:
        raise UserError(f"The note is too long ({len(note)} characters); keep it under {NOTE_MAX}.")
    return AwayAdd(user, first, last, note)


def parse_country(words: list[str]) -> CalendarRequest:
    users = [u for w in words if (u := user_of(w))]
    codes = [w for w in words if not user_of(w)]
    for word in codes:
        if word.startswith("@") or word.startswith("<@"):
            raise _not_a_user(word)
    if len(users) > 1 or len(codes) > 1:
        raise UserError("Usage: `/prodops holidays country DE` (the workspace's), "
                        "`/prodops holidays country FR @maria` (one person's) or `off` instead of the code.")
    user = users[0] if users else None
    if not codes:
        return CountryShow(user)
    if codes[0].lower() in {"off", "none"}:
        return CountrySet(None, user)
    code = known_country(codes[0])
    if code is None:
        raise UserError(f"`{mrkdwn(codes[0])}` is not a country code the holiday calendar knows; "
                        "use a two-letter ISO code like DE, US, GB.")
    return CountrySet(code, user)


def parse_holidays(text: str) -> CalendarRequest:
    head, rest = _split(text)
    sub = head.lower()
    if sub in {"", "list"} and not rest:
        return HolidaysList()
    if sub == "add":
        word, label = _split(rest)
        if not word:
            raise UserError("Usage: `/prodops holidays add 2026-12-25 Christmas` (the name is optional).")
        day = parse_date(word)
        if len(label) > HOLIDAY_NAME_MAX:
            raise UserError(f"The holiday's name is too long ({len(label)} characters); "
                            f"keep it under {HOLIDAY_NAME_MAX}.")
        return HolidayAdd(day, label)
    if sub in {"remove", "delete", "rm"}:
        words = _words(rest)
        if len(words) != 1:
            raise UserError("Usage: `/prodops holidays remove 2026-12-25` (one day at a time).")
        return HolidayRemove(parse_date(words[0]))
    if sub == "country":
        return parse_country(_words(rest))
    raise UserError(HOLIDAYS_USAGE)


def parse_budget(text: str) -> CalendarRequest:
    words = text.split()
    if not words:
        return BudgetShow()
    if len(words) == 1 and re.fullmatch(r"\d{1,6}", words[0]) and BUDGET_MIN <= int(words[0]) <= BUDGET_MAX:
        return BudgetSet(int(words[0]))
    raise UserError(f"`{mrkdwn(' '.join(words))}` is not a nudge budget: give a number of nudges per person "
                    f"per day from {BUDGET_MIN} to {BUDGET_MAX}, like `/prodops budget 5`.")


def parse_calendar(head: str, text: str) -> CalendarRequest:
    """`head` is one of HEADS; `text` what follows it, as Slack sent it."""
    text = from_slack(text)
    head = head.lower()
    if head == "hours":
        return parse_hours(text)
    if head == "away":
        return parse_away(text)
    if head in {"holidays", "holiday"}:
        return parse_holidays(text)
    return parse_budget(text)
