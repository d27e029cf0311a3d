"""Building calendars from the database, many people at a time in a fixed number of queries.

A workspace's defaults live in its settings (`hours`, `holiday_country`, `nudge_budget`); a
person's own hours and country override them. Loading N people costs four queries whatever N
is (their workspaces, their person rows when not given, their away periods from a date on, and
their workspaces' holidays from that date on), which is what lets one tick serve 10,000 people.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar.holidays import public_holidays
from bot.calendar.hours import WorkingHours
from bot.calendar.working import Away, Calendar
from bot.clock import zone
from models.calendar import AwayPeriod, Holiday
from models.person import Person
from models.workspace import Workspace

HOURS_KEY = "hours"  # workspace settings: the default working hours
COUNTRY_KEY = "holiday_country"  # workspace settings: the default public-holiday country
BUDGET_KEY = "nudge_budget"  # workspace settings: nudges per person per local day
DEFAULT_BUDGET = 3
IN_CHUNK = 500  # ids per IN (…) list: well under every backend's bound-parameter limit


class PersonLike(Protocol):
    team_id: str
    user_id: str
    tz: str | None
    work_days: int | None
    work_start: int | None
    work_end: int | None
    holiday_country: str | None


@dataclass(frozen=True)
class Defaults:
    """What a workspace gives everyone who has not set their own."""

    team_id: str
    timezone: str
    hours: WorkingHours
    country: str | None
    budget: int

    @classmethod
    def of(cls, team_id: str, timezone: str, settings: Mapping[str, Any] | None) -> "Defaults":
        settings = settings or {}
        country = settings.get(COUNTRY_KEY)
        budget = settings.get(BUDGET_KEY)
        return cls(team_id, timezone or "UTC", WorkingHours.from_settings(settings.get(HOURS_KEY)),
                   country if isinstance(country, str) and country else None,
                   budget if isinstance(budget, int) and not isinstance(budget, bool) and budget > 0
                   else DEFAULT_BUDGET)


def hours_of(person: PersonLike | None, defaults: Defaults) -> WorkingHours:
    if person is None or person.work_days is None or person.work_start is None or person.work_end is None:
        return defaults.hours
    try:
        return WorkingHours.of_mask(person.work_days, person.work_start, person.work_end)
    except ValueError:  # a row written by hand: the default rather than no calendar at all
        return defaults.hours


def build(person: PersonLike | None, team_id: str, user_id: str, defaults: Defaults,
          holidays: Mapping[date, str], away: Sequence[Away]) -> Calendar:
    where = zone(person.tz if person is not None and person.tz else defaults.timezone)
    country = (person.holiday_country if person is not None and person.holiday_country else defaults.country)
    return Calendar(team_id, user_id, where, hours_of(person, defaults), holidays, country, tuple(away),
                    public_holidays)


async def defaults_for(session: AsyncSession, team_ids: Iterable[str]) -> dict[str, Defaults]:
    teams = sorted(set(team_ids))
    found: dict[str, Defaults] = {}
    for chunk in _chunks(teams):
        rows = await session.execute(select(Workspace.team_id, Workspace.timezone, Workspace.settings)
                                     .where(Workspace.team_id.in_(chunk)))
        for team_id, timezone, settings in rows:
            found[team_id] = Defaults.of(team_id, timezone, settings)
    return {t: found.get(t, Defaults.of(t, "UTC", None)) for t in teams}


async def holidays_for(session: AsyncSession, team_ids: Iterable[str], from_day: date) -> dict[str, dict[date, str]]:
    teams = sorted(set(team_ids))
    found: dict[str, dict[date, str]] = defaultdict(dict)
    for chunk in _chunks(teams):
        rows = await session.execute(select(Holiday.team_id, Holiday.day, Holiday.name)
                                     .where(Holiday.team_id.in_(chunk), Holiday.day >= from_day))
        for team_id, day, name in rows:
            found[team_id][day] = name
    return found


async def away_for(session: AsyncSession, pairs: Iterable[tuple[str, str]],
                   from_day: date) -> dict[tuple[str, str], list[Away]]:
    wanted = sorted(set(pairs))
    found: dict[tuple[str, str], list[Away]] = defaultdict(list)
    for chunk in _chunks(wanted):
        rows = await session.execute(
            select(AwayPeriod.team_id, AwayPeriod.user_id, AwayPeriod.starts_on, AwayPeriod.ends_on, AwayPeriod.note)
            .where(tuple_(AwayPeriod.team_id, AwayPeriod.user_id).in_(chunk), AwayPeriod.ends_on >= from_day)
            .order_by(AwayPeriod.starts_on))
        for team_id, user_id, starts_on, ends_on, note in rows:
            found[(team_id, user_id)].append(Away(starts_on, ends_on, note))
    return found


async def calendars_of(session: AsyncSession, people: Sequence[PersonLike], *,
                       from_day: date) -> dict[tuple[str, str], Calendar]:
    """Calendars of people whose rows the caller already holds, keyed (team_id, user_id)."""
    pairs = [(p.team_id, p.user_id) for p in people]
    teams = {team for team, _ in pairs}
    defaults = await defaults_for(session, teams)
    holidays = await holidays_for(session, teams, from_day - timedelta(days=1))
    away = await away_for(session, pairs, from_day - timedelta(days=1))
    return {(p.team_id, p.user_id): build(p, p.team_id, p.user_id, defaults[p.team_id],
                                          holidays.get(p.team_id, {}), away.get((p.team_id, p.user_id), ()))
            for p in people}


async def calendars_for(session: AsyncSession, team_id: str, user_ids: Iterable[str], *,
                        from_day: date) -> dict[str, Calendar]:
    """Calendars of `user_ids` in one workspace; someone without a person row gets the
    workspace's defaults (its zone, hours and country)."""
    wanted = sorted(set(user_ids))
    rows: list[Person] = []
    for chunk in _chunks(wanted):
        rows.extend((await session.scalars(select(Person).where(Person.team_id == team_id,
                                                                Person.user_id.in_(chunk)))).all())
    known = await calendars_of(session, rows, from_day=from_day)
    missing = [u for u in wanted if (team_id, u) not in known]
    if missing:
        defaults = (await defaults_for(session, [team_id]))[team_id]
        holidays = (await holidays_for(session, [team_id], from_day - timedelta(days=1))).get(team_id, {})
        away = await away_for(session, [(team_id, u) for u in missing], from_day - timedelta(days=1))
        for u in missing:
            known[(team_id, u)] = build(None, team_id, u, defaults, holidays, away.get((team_id, u), ()))
    return {user_id: cal for (_, user_id), cal in known.items()}


async def calendar_of(session: AsyncSession, team_id: str, user_id: str, *, from_day: date) -> Calendar:
    return (await calendars_for(session, team_id, [user_id], from_day=from_day))[user_id]


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), IN_CHUNK):
        yield items[i:i + IN_CHUNK]
