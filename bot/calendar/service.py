"""Changing and reading the working calendar: plain functions on a session (they only flush).

Every change that moves someone's working periods calls `starts.recompute` in the same
transaction (their ids, or the whole workspace for workspace holidays, default hours and
country), so the minute tick computes their next start again from what is now true.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar.holidays import public_holidays
from bot.calendar.hours import WorkingHours
from bot.calendar.load import BUDGET_KEY, COUNTRY_KEY, HOURS_KEY, Defaults, defaults_for, hours_of
from bot.calendar.starts import recompute
from bot.clock import now, today_in
from bot.errors import UserError
from bot.sql import insert_ignore
from bot.usertext import mrkdwn
from bot.workspaces import update_settings
from models.calendar import AwayPeriod, Holiday
from models.person import Person
from models.workspace import Workspace

# A person row the bot writes before Slack has described them: checked "never", so the
# refresh sweep (and ensure_people) asks Slack about them first.
NEVER = datetime(1970, 1, 1, tzinfo=UTC)
AWAY_SHOWN = 25  # everyone's away periods in one answer
MINE_SHOWN = 20
HOLIDAYS_SHOWN = 30
PRESETS_SHOWN = 10


@dataclass(frozen=True)
class HoursView:
    """Someone's effective working hours and where they come from."""

    user_id: str
    hours: WorkingHours
    own: bool  # False: the workspace's default
    zone: str
    zone_own: bool  # False: the workspace's timezone (Slack gave us none yet)
    country: str | None
    country_own: bool


@dataclass(frozen=True)
class AwayLine:
    user_id: str
    first: date
    last: date
    note: str  # stored representation

    def current(self, today: date) -> bool:
        return self.first <= today <= self.last


@dataclass(frozen=True)
class AwayOverview:
    today: date  # the workspace's (everyone's list), and mine in my own zone below
    my_today: date
    mine: tuple[AwayLine, ...]
    everyone: tuple[AwayLine, ...]
    everyone_total: int


@dataclass(frozen=True)
class AwayEnded:
    ended: AwayLine | None  # the current period, now ending yesterday (or removed when it began today)
    removed: int  # upcoming periods removed


@dataclass(frozen=True)
class HolidayListing:
    today: date
    timezone: str
    workspace: tuple[tuple[date, str], ...]
    workspace_more: int
    country: str | None
    presets: tuple[tuple[date, str], ...]
    my_country: str | None  # the asker's own country, when they set one


# -- people ------------------------------------------------------------------------------------
async def person_row(team_id: str, user_id: str, *, session: AsyncSession) -> Person | None:
    return await session.scalar(select(Person).where(Person.team_id == team_id, Person.user_id == user_id)
                                .execution_options(populate_existing=True))


async def ensure_person(team_id: str, user_id: str, *, session: AsyncSession, tz: str | None = None) -> bool:
    """A person row to hold their settings; True when this call created it (display name = id,
    `tz` as far as the caller knows, never checked: Slack fills the rest)."""
    return await insert_ignore(session, Person, team_id=team_id, user_id=user_id, display_name=user_id, tz=tz,
                               refreshed_at=NEVER, checked_at=NEVER)


async def _update_person(team_id: str, user_id: str, *, session: AsyncSession, **values: object) -> None:
    await session.execute(update(Person).where(Person.team_id == team_id, Person.user_id == user_id)
                          .values(**values, updated_at=now()).execution_options(synchronize_session=False))


async def workspace_defaults(team_id: str, *, session: AsyncSession) -> Defaults:
    return (await defaults_for(session, [team_id]))[team_id]


def zone_of(person: Person | None, defaults: Defaults, known: str | None = None) -> str:
    """The zone their dates are in: Slack's for them (their row, else what the caller `known`
    from Slack), else the workspace's."""
    return (person.tz if person is not None and person.tz else None) or known or defaults.timezone


async def local_today(team_id: str, user_id: str, *, session: AsyncSession, tz: str | None = None) -> tuple[date, str]:
    """Their local date now, and the zone it is in."""
    defaults = await workspace_defaults(team_id, session=session)
    zone = zone_of(await person_row(team_id, user_id, session=session), defaults, tz)
    return today_in(zone), zone


# -- hours -------------------------------------------------------------------------------------
async def hours_view(team_id: str, user_id: str, *, session: AsyncSession, tz: str | None = None) -> HoursView:
    defaults = await workspace_defaults(team_id, session=session)
    person = await person_row(team_id, user_id, session=session)
    hours = hours_of(person, defaults)
    own = hours is not defaults.hours  # hours_of hands back the default object itself when they have none
    own_country = person.holiday_country if person is not None else None
    return HoursView(user_id, hours, own, zone_of(person, defaults, tz), bool((person is not None and person.tz) or tz),
                     own_country or defaults.country, bool(own_country))


async def set_hours(team_id: str, user_id: str, start: int, end: int, days: frozenset[int] | None, *,
                    session: AsyncSession, tz: str | None = None) -> WorkingHours:
    """Their own hours; `days` None keeps the days they work now (their own or the default's)."""
    defaults = await workspace_defaults(team_id, session=session)
    current = hours_of(await person_row(team_id, user_id, session=session), defaults)
    hours = WorkingHours(days if days is not None else current.days, start, end)
    await ensure_person(team_id, user_id, session=session, tz=tz)
    await _update_person(team_id, user_id, session=session, work_days=hours.mask, work_start=hours.start,
                         work_end=hours.end)
    await recompute(session, team_id, [user_id])
    return hours


async def reset_hours(team_id: str, user_id: str, *, session: AsyncSession) -> bool:
    """Back to the workspace's default; False when they had none of their own."""
    person = await person_row(team_id, user_id, session=session)
    if person is None or (person.work_days is None and person.work_start is None and person.work_end is None):
        return False
    await _update_person(team_id, user_id, session=session, work_days=None, work_start=None, work_end=None)
    await recompute(session, team_id, [user_id])
    return True


async def set_default_hours(team_id: str, start: int, end: int, days: frozenset[int] | None, *,
                            session: AsyncSession) -> WorkingHours:
    defaults = await workspace_defaults(team_id, session=session)
    hours = WorkingHours(days if days is not None else defaults.hours.days, start, end)
    await update_settings(session, team_id, **{HOURS_KEY: hours.to_settings()})
    await recompute(session, team_id, None)
    return hours


# -- away --------------------------------------------------------------------------------------
def _line(row: AwayPeriod) -> AwayLine:
    return AwayLine(row.user_id, row.starts_on, row.ends_on, row.note)


def _span(first: date, last: date) -> str:
    return first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"


async def add_away(team_id: str, user_id: str, first: date, last: date, note: str, *, session: AsyncSession,
                   created_by: str, tz: str | None = None) -> AwayLine:
    """A new away period in their local dates: not entirely past, not overlapping another."""
    today, zone = await local_today(team_id, user_id, session=session, tz=tz)
    if last < today:
        raise UserError(f"{_span(first, last)} is entirely in the past (today is {today.isoformat()} in {zone}); "
                        "nothing changed.")
    clash = await session.scalar(
        select(AwayPeriod).where(AwayPeriod.team_id == team_id, AwayPeriod.user_id == user_id,
                                 AwayPeriod.starts_on <= last, AwayPeriod.ends_on >= first)
        .order_by(AwayPeriod.starts_on).limit(1))
    if clash is not None:
        shown = f" ({mrkdwn(clash.note, limit=80)})" if clash.note else ""
        raise UserError(f"{_span(first, last)} overlaps the away period {_span(clash.starts_on, clash.ends_on)}"
                        f"{shown}; nothing changed. End it with `/prodops away off` or pick other dates.")
    await ensure_person(team_id, user_id, session=session, tz=tz)
    row = AwayPeriod(team_id=team_id, user_id=user_id, starts_on=first, ends_on=last, note=note,
                     created_by=created_by)
    session.add(row)
    await session.flush()
    await recompute(session, team_id, [user_id])
    return _line(row)


async def end_away(team_id: str, user_id: str, *, session: AsyncSession, tz: str | None = None) -> AwayEnded:
    """Back now: the current period ends yesterday (removed when it began today), upcoming ones go."""
    today, _ = await local_today(team_id, user_id, session=session, tz=tz)
    mine = (AwayPeriod.team_id == team_id) & (AwayPeriod.user_id == user_id)
    current = await session.scalar(select(AwayPeriod).where(mine, AwayPeriod.starts_on <= today,
                                                            AwayPeriod.ends_on >= today).limit(1))
    ended = _line(current) if current is not None else None
    if current is not None:
        if current.starts_on == today:
            await session.delete(current)
        else:
            current.ends_on = today - timedelta(days=1)
    removed = (await session.execute(delete(AwayPeriod).where(mine, AwayPeriod.starts_on > today)
                                     .execution_options(synchronize_session=False))).rowcount
    await session.flush()
    if ended is not None or removed:
        await recompute(session, team_id, [user_id])
    return AwayEnded(ended, int(removed or 0))


async def away_overview(team_id: str, user_id: str, *, session: AsyncSession, tz: str | None = None) -> AwayOverview:
    """Mine from my local today; everyone's from the workspace's today, the first AWAY_SHOWN."""
    defaults = await workspace_defaults(team_id, session=session)
    my_today, _ = await local_today(team_id, user_id, session=session, tz=tz)
    today = today_in(defaults.timezone)
    mine = (await session.scalars(
        select(AwayPeriod).where(AwayPeriod.team_id == team_id, AwayPeriod.user_id == user_id,
                                 AwayPeriod.ends_on >= my_today)
        .order_by(AwayPeriod.starts_on).limit(MINE_SHOWN))).all()
    upcoming = (AwayPeriod.team_id == team_id) & (AwayPeriod.ends_on >= today)
    everyone = (await session.scalars(select(AwayPeriod).where(upcoming)
                                      .order_by(AwayPeriod.starts_on, AwayPeriod.user_id, AwayPeriod.id)
                                      .limit(AWAY_SHOWN))).all()
    total = await session.scalar(select(func.count()).select_from(AwayPeriod).where(upcoming)) or 0
    return AwayOverview(today, my_today, tuple(map(_line, mine)), tuple(map(_line, everyone)), int(total))


# -- holidays ----------------------------------------------------------------------------------
def upcoming_presets(country: str, today: date, count: int = PRESETS_SHOWN) -> tuple[tuple[date, str], ...]:
    days: list[tuple[date, str]] = []
    for year in (today.year, today.year + 1):
        days.extend(sorted((d, n) for d, n in public_holidays(country, year).items() if d >= today))
    return tuple(days[:count])


async def holiday_listing(team_id: str, user_id: str, *, session: AsyncSession) -> HolidayListing:
    defaults = await workspace_defaults(team_id, session=session)
    today = today_in(defaults.timezone)
    ahead = Holiday.team_id == team_id, Holiday.day >= today
    rows = (await session.execute(select(Holiday.day, Holiday.name).where(*ahead).order_by(Holiday.day)
                                  .limit(HOLIDAYS_SHOWN))).all()
    total = await session.scalar(select(func.count()).select_from(Holiday).where(*ahead)) or 0
    person = await person_row(team_id, user_id, session=session)
    return HolidayListing(today, defaults.timezone, tuple((d, n) for d, n in rows), int(total) - len(rows),
                          defaults.country, upcoming_presets(defaults.country, today) if defaults.country else (),
                          person.holiday_country if person is not None else None)


async def add_holiday(team_id: str, day: date, name: str, *, session: AsyncSession, created_by: str) -> None:
    """A workspace day off from today on; an existing one is refused, unchanged."""
    defaults = await workspace_defaults(team_id, session=session)
    today = today_in(defaults.timezone)
    if day < today:
        raise UserError(f"{day.isoformat()} is in the past (today is {today.isoformat()} in {defaults.timezone}); "
                        "nothing changed.")
    if not await insert_ignore(session, Holiday, team_id=team_id, day=day, name=name, created_by=created_by):
        existing = await session.scalar(select(Holiday.name).where(Holiday.team_id == team_id, Holiday.day == day))
        shown = f" ({mrkdwn(existing)})" if existing else ""
        raise UserError(f"{day.isoformat()} is already a workspace holiday{shown}; nothing changed.")
    await recompute(session, team_id, None)


async def remove_holiday(team_id: str, day: date, *, session: AsyncSession) -> str | None:
    """The removed holiday's name ("" when it had none), None when there was no such holiday."""
    row = await session.scalar(select(Holiday).where(Holiday.team_id == team_id, Holiday.day == day))
    if row is None:
        return None
    name = row.name
    await session.delete(row)
    await session.flush()
    await recompute(session, team_id, None)
    return name


async def set_workspace_country(team_id: str, code: str | None, *, session: AsyncSession) -> None:
    await update_settings(session, team_id, **{COUNTRY_KEY: code})
    await recompute(session, team_id, None)


async def set_person_country(team_id: str, user_id: str, code: str | None, *, session: AsyncSession,
                             tz: str | None = None) -> None:
    await ensure_person(team_id, user_id, session=session, tz=tz)
    await _update_person(team_id, user_id, session=session, holiday_country=code)
    await recompute(session, team_id, [user_id])


# -- budget ------------------------------------------------------------------------------------
async def budget_of(team_id: str, *, session: AsyncSession) -> tuple[int, bool]:
    """The nudge budget and whether the workspace set it (False: the built-in default)."""
    settings = await session.scalar(select(Workspace.settings).where(Workspace.team_id == team_id)) or {}
    return Defaults.of(team_id, "UTC", settings).budget, BUDGET_KEY in settings


async def set_budget(team_id: str, budget: int, *, session: AsyncSession) -> None:
    await update_settings(session, team_id, **{BUDGET_KEY: budget})
