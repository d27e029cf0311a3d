"""The standups section of a channel digest: participation over the period, open blockers and
who is away in the coming days, for one chosen standup or every standup reporting in the
digest's channel.

People are named, never pinged (as the day's summary names them); user text goes through
`usertext.mrkdwn(public=True)`. Every number points to `/standup stats <name>`. The queries are
a fixed handful whatever the data (bot/standups/service.py: participants, answers in the
period, open blockers ranked in SQL; the calendars in four queries), each on an index.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks import Block, context, input_block, section
from bot.calendar.load import calendars_for
from bot.calendar.working import Calendar
from bot.digests.sections import PART_BLOCKS, PART_CHARS, DigestSection, Filter, Part, Period
from bot.errors import UserError
from bot.forms import FormData, static_select
from bot.standups import service
from bot.standups.blocks import counted, day_label
from bot.standups.schedule import Times
from bot.usertext import mrkdwn as user_mrkdwn, plain as user_plain
from models.standup import Standup

NAME = "standups"
FIELD = f"{NAME}.standup"  # the setup form's one input
IN_CHANNEL = "channel"  # its default choice: the standups reporting in the digest's channel
OPTIONS_MAX = 100  # Slack's limit for a static select's options
ID_MAX = 2**31 - 1
STANDUPS_READ = 10  # standups of one channel looked at (a channel has a few)
STANDUPS_SHOWN = 3  # …of which this many are shown, "and N more" after
BLOCKERS_SHOWN = 3  # per standup, the oldest first
AWAY_DAYS = 7  # "away": today and the six days after, on the person's own calendar
NAME_CHARS = 80
BLOCKER_CHARS = 160
FOOTER_CHARS = 120  # kept for the closing context line out of the part's PART_CHARS


# -- plain data -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BlockerLine:
    person: str  # display name (stored representation)
    text: str  # stored representation
    since: date
    days: int  # open this many days


@dataclass(frozen=True)
class AwayLine:
    person: str
    starts_on: date
    ends_on: date
    ongoing: bool  # already away today


@dataclass(frozen=True)
class HolidayLine:
    day: date
    name: str  # stored representation
    people: list[str]
    everyone: bool


@dataclass(frozen=True)
class Report:
    name: str  # the standup's (stored representation)
    paused: bool
    participation: service.Participation
    blockers_total: int
    blockers: list[BlockerLine]
    away: list[AwayLine]
    holidays: list[HolidayLine]

    def has_news(self) -> bool:
        return bool(self.participation.expected or self.blockers_total or self.away or self.holidays)


# -- who is away: pure functions of a person's calendar ---------------------------------------------

def _window(today: date) -> list[date]:
    return [today + timedelta(days=i) for i in range(AWAY_DAYS)]


def away_ahead(cal: Calendar, t: Times, today: date) -> tuple[date, date] | None:
    """The first away period that keeps the person from a standup day this week (today on)."""
    days = _window(today)
    for away in sorted(cal.away, key=lambda a: a.starts_on):
        if any(away.covers(d) and t.is_day(d) for d in days):
            return away.starts_on, away.ends_on
    return None


def holidays_ahead(cal: Calendar, t: Times, today: date) -> list[tuple[date, str]]:
    """Standup days this week that are a holiday for the person on a day they would work."""
    return [(d, name) for d in _window(today)
            if t.is_day(d) and d.weekday() in cal.hours.days and cal.away_on(d) is None
            and (name := cal.holiday(d)) is not None]


def _away_lines(members: list[str], names: dict[str, str], calendars: dict[str, Calendar], t: Times,
                now: datetime) -> tuple[list[AwayLine], list[HolidayLine]]:
    away: list[AwayLine] = []
    holidays: dict[tuple[date, str], list[str]] = {}
    for user in members:
        cal = calendars.get(user)
        if cal is None:
            continue
        today = cal.local_date(now)
        name = names.get(user, user)
        found = away_ahead(cal, t, today)
        if found is not None:
            away.append(AwayLine(name, found[0], found[1], found[0] <= today))
        for day, holiday in holidays_ahead(cal, t, today):
            holidays.setdefault((day, holiday), []).append(name)
    away.sort(key=lambda a: (a.starts_on, user_plain(a.person).lower()))
    lines = [HolidayLine(day, holiday, people, len(people) == len(members))
             for (day, holiday), people in sorted(holidays.items())]
    return away, lines


# -- blocks: pure functions of the reports ------------------------------------------------------------

def _name(text: str, limit: int = NAME_CHARS) -> str:
    return user_mrkdwn(text, public=True, limit=limit)


def _stats(name: str) -> str:
    """The command to type: the whole name (at most 80 characters), never cut."""
    return f"`/standup stats {user_mrkdwn(name, public=True)}`"


def _head(r: Report) -> str:
    p = r.participation
    lead = f"*{_name(r.name, 150)}*" + (" · :double_vertical_bar: paused" if r.paused else "")
    if not p.expected:
        return f"{lead} · no standup days in this period"
    rate = round(100 * p.answered / p.expected)
    late = f", {p.late} late" if p.late else ""
    return f"{lead} · answered *{p.answered}/{p.expected}* ({rate}%{late})"


def _blocker(b: BlockerLine) -> str:
    age = "new" if b.days <= 0 else counted(b.days, "day")
    return f"• *{_name(b.person)}* since {day_label(b.since)} ({age}): {_name(b.text, BLOCKER_CHARS)}"


def _away(a: AwayLine) -> str:
    if a.ongoing:
        return f"{_name(a.person)} (until {day_label(a.ends_on)})"
    span = day_label(a.starts_on) if a.starts_on == a.ends_on else f"{day_label(a.starts_on)}–{day_label(a.ends_on)}"
    return f"{_name(a.person)} ({span})"


def _joined(items: list[str], room: int) -> str:
    """Whole items joined while they fit `room`, then how many did not."""
    shown: list[str] = []
    for i, item in enumerate(items):
        more = f" and {len(items) - i} more"
        if len(", ".join([*shown, item])) + len(more) > room:
            return ", ".join(shown) + (more if shown else f"{len(items)} people")
        shown.append(item)
    return ", ".join(shown)


def report_text(r: Report, room: int) -> str:
    """One standup's section text, within `room` characters: the head first, then the oldest
    blockers, then who is away, each cut rather than let the message grow. The pointer to
    `/standup stats <name>` is said once: after the head, or with the blockers left out."""
    stats = _stats(r.name)
    lines = [_head(r)]
    used = len(lines[0]) + len(stats) + 4
    shown = 0
    if r.blockers_total:
        lines.append(f":rotating_light: *{counted(r.blockers_total, 'open blocker')}*")
        used += len(lines[-1]) + 1
        for b in r.blockers:
            line = _blocker(b)
            if used + len(line) + 1 > room - 40:  # room for "…and N more: "
                break
            lines.append(line)
            used += len(line) + 1
            shown += 1
        if shown < r.blockers_total:
            lines.append(f"…and {r.blockers_total - shown} more: {stats}")
            used += 20
    if shown == r.blockers_total:
        lines[0] += f" · {stats}"
    if r.away and room - used > 80:
        lead = ":palm_tree: *Away:* "
        lines.append(lead + _joined([_away(a) for a in r.away], room - used - len(lead) - 1))
        used += len(lines[-1]) + 1
    for h in r.holidays:
        lead = f":calendar: *{day_label(h.day)}* is a holiday ({_name(h.name, 60)}): "
        if room - used - len(lead) - 1 < 40:
            break
        who = "everyone" if h.everyone else _joined([_name(p) for p in h.people], room - used - len(lead) - 1)
        lines.append(lead + who)
        used += len(lines[-1]) + 1
    return "\n".join(lines)


def part_of(reports: list[Report], more: int) -> Part:
    shown = reports[:STANDUPS_SHOWN]
    hidden = more + len(reports) - len(shown)
    room = (PART_CHARS - FOOTER_CHARS) // max(1, len(shown))
    body: list[Block] = [section(report_text(r, room)) for r in shown]
    footer = ("Participation: each person's standup days whose deadline fell in this period, "
              "away days and holidays left out.")
    if hidden:
        footer = f"…and {counted(hidden, 'more standup')}: `/standup list`"
    body.append(context(footer))
    summary = "; ".join(
        f"{user_plain(r.name)[:60]} {r.participation.answered}/{r.participation.expected} answered"
        + (f", {counted(r.blockers_total, 'open blocker')}" if r.blockers_total else "")
        for r in shown)
    return Part(body[:PART_BLOCKS], f"Standups: {summary}"[:300])


# -- the section ------------------------------------------------------------------------------------

async def _standups(session: AsyncSession, period: Period, f: Filter) -> tuple[list[Standup], int] | None:
    """The standups the filter names (None: a chosen one no longer exists), and how many more
    the channel has than were read."""
    standup_id = f.get("standup_id")
    if standup_id is not None:
        if not isinstance(standup_id, int) or not 1 <= standup_id <= ID_MAX:
            return None
        chosen = await session.get(Standup, standup_id)
        return ([chosen], 0) if chosen is not None and chosen.team_id == period.team_id else None
    here = select(Standup).where(Standup.team_id == period.team_id, Standup.channel_id == period.channel_id)
    rows = list((await session.scalars(here.order_by(Standup.name_key, Standup.id).limit(STANDUPS_READ + 1))).all())
    more = 0
    if len(rows) > STANDUPS_READ:
        more = (await session.scalar(select(func.count()).select_from(here.subquery())) or 0) - STANDUPS_READ
    return rows[:STANDUPS_READ], more


async def build(session: AsyncSession, period: Period, f: Filter) -> Part | None:
    found = await _standups(session, period, f)
    if found is None or not found[0]:
        return None
    standups, more = found
    members = await service.participants_of(session, [s.id for s in standups])
    users = sorted({u for joined in members.values() for u in joined})
    names = await service.names_of(session, period.team_id, users)
    calendars = await calendars_for(session, period.team_id, users, from_day=(period.start - timedelta(days=1)).date())
    done = await service.participation(session, standups, members, calendars, period.start, period.end)
    blockers = await service.open_blockers_of(session, [s.id for s in standups], BLOCKERS_SHOWN)
    today = period.end.astimezone(period.zone).date()
    reports: list[Report] = []
    for s in standups:
        opened = blockers.get(s.id, service.OpenBlockers(0, []))
        lines = [BlockerLine(names.get(b.user_id, b.user_id), b.text, b.since, (today - b.since).days)
                 for b in opened.oldest]
        away, holidays = ([], []) if s.paused_at is not None else _away_lines(  # a paused standup asks nobody
            list(members[s.id]), names, calendars, service.times(s), period.end)
        report = Report(s.name, s.paused_at is not None, done[s.id], opened.total, lines, away, holidays)
        if report.has_news():
            reports.append(report)
    if not reports:
        return None
    return part_of(reports, more)


# -- the setup form -----------------------------------------------------------------------------------

async def inputs(session: AsyncSession, team_id: str, current: Filter | None) -> list[Block]:
    """A choice of the workspace's standups (by name, at most Slack's 100 options), the
    channel's standups first and the default."""
    chosen = (current or {}).get("standup_id")
    rows = list((await session.execute(select(Standup.id, Standup.name).where(Standup.team_id == team_id)
                                       .order_by(Standup.name_key, Standup.id).limit(OPTIONS_MAX - 1))).all())
    if chosen is not None and all(sid != chosen for sid, _ in rows):
        kept = await session.get(Standup, int(chosen))
        if kept is not None and kept.team_id == team_id:
            rows = [*rows[:OPTIONS_MAX - 2], (kept.id, kept.name)]
    options = [("Standups reporting in this channel", IN_CHANNEL),
               *((user_plain(name), str(sid)) for sid, name in rows)]
    initial = str(chosen) if chosen is not None and any(sid == chosen for sid, _ in rows) else IN_CHANNEL
    return [input_block(FIELD, "Standup", static_select(options, initial), optional=True,
                        hint="Participation, open blockers and who is away. By default every standup "
                             "that reports in the digest's channel.")]


def read(form: FormData) -> Filter:
    value = form.choice(FIELD)
    if value is None or value == IN_CHANNEL:
        return {}
    if not value.isdigit() or not 1 <= int(value) <= ID_MAX:
        raise UserError("That standup choice is out of date; pick it again.", field=FIELD)
    return {"standup_id": int(value)}


async def check(session: AsyncSession, team_id: str, f: Filter) -> Filter:
    """A chosen standup must still exist; its name is kept beside its id for `describe`."""
    if f.get("standup_id") is None:
        return {}
    standup = await session.get(Standup, int(f["standup_id"]))
    if standup is None or standup.team_id != team_id:
        raise UserError("That standup no longer exists; pick another, or the standups reporting in this channel.",
                        field=FIELD)
    return {"standup_id": standup.id, "name": standup.name}


def describe(f: Filter) -> str:
    """`Mobile team` (mrkdwn, escaped) or "reporting in this channel": for /digest list."""
    if f.get("standup_id") is None:
        return "reporting in this channel"
    name: Any = f.get("name")
    return _name(name, 80) if isinstance(name, str) and name else f"standup #{f['standup_id']}"


SECTION = DigestSection(name=NAME, label="Standups", build=build, inputs=inputs, read=read, describe=describe,
                        check=check, per_channel=lambda f: (f or {}).get("standup_id") is None)
