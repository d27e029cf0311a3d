"""People as Slack last told us, per workspace: plain functions on a session (they only flush).

A person's record comes from a Slack user object, the same shape in `users.info` and the
`user_change` event (`id`, `name`, `real_name`, `profile.display_name`, `tz`, `tz_offset`,
`deleted`, `is_bot`; Enterprise Grid users also carry `enterprise_user`). Features read the
record instead of asking Slack per nudge; bot/people/flows.py keeps it fresh.

A person who leaves is kept, marked `deleted` with `left_at`, and handled once: the statement
that flips `deleted` is a compare-and-set, so exactly one caller (event or refresh, on any
replica) sees the departure and runs every feature's `on_leave` hook in that same transaction.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.sql import insert_ignore
from bot.usertext import from_typed
from models.base import utcnow
from models.person import Person

# A feature's hand-over when a person leaves: (session, team_id, user_id), inside the
# transaction that recorded the departure. No Slack calls here; defer them or leave them to a sweeper.
LeaveHook = Callable[[AsyncSession, str, str], Awaitable[None]]

NAME_CHARS = 80  # Slack's own limit on display names


@dataclass(frozen=True)
class PersonInfo:
    """A detached copy of a Person row: safe to hand on after the session is gone."""

    team_id: str
    user_id: str
    display_name: str  # stored representation (bot/usertext.py): render with plain/mrkdwn
    tz: str | None
    tz_offset: int | None
    is_bot: bool
    deleted: bool
    left_at: datetime | None
    refreshed_at: datetime
    # Their own working hours and holiday country (bot/calendar/); None: the workspace's.
    work_days: int | None = None
    work_start: int | None = None
    work_end: int | None = None
    holiday_country: str | None = None

    @classmethod
    def of(cls, row: Person) -> "PersonInfo":
        return cls(row.team_id, row.user_id, row.display_name, row.tz, row.tz_offset, row.is_bot,
                   row.deleted, row.left_at, row.refreshed_at, row.work_days, row.work_start, row.work_end,
                   row.holiday_country)

    def zone(self, default: str = "UTC") -> ZoneInfo:
        """The person's zone, or `default` (the workspace's) when Slack gave none we know."""
        return ZoneInfo(self.tz or default)


@dataclass(frozen=True)
class Recorded:
    person: PersonInfo
    left: bool  # this call recorded the departure (and ran the hooks); at most one call ever does


def valid_zone(name: object) -> str | None:
    if not isinstance(name, str) or not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def fields_of(user: Mapping[str, Any]) -> dict[str, Any]:
    """The columns a Slack user object gives (users.info and user_change share the shape)."""
    profile = user.get("profile") if isinstance(user.get("profile"), Mapping) else {}
    name = next((str(v) for v in (profile.get("display_name"), profile.get("real_name"), user.get("real_name"),
                                  user.get("name")) if isinstance(v, str) and v.strip()), str(user["id"]))
    offset = user.get("tz_offset")
    return {
        "display_name": from_typed(name.strip()[:NAME_CHARS]),
        "tz": valid_zone(user.get("tz")),
        "tz_offset": offset if isinstance(offset, int) and not isinstance(offset, bool) else None,
        "is_bot": bool(user.get("is_bot")) or user.get("id") == "USLACKBOT",
        "deleted": bool(user.get("deleted")),
    }


def _row(team_id: str, user_id: str):  # noqa: ANN202 - SQL expression
    return (Person.team_id == team_id) & (Person.user_id == user_id)


async def record_user(session: AsyncSession, team_id: str, user: Mapping[str, Any], *,
                      now: datetime | None = None, on_leave: Sequence[LeaveHook] = ()) -> Recorded:
    """Create or update the person from a Slack user object; a departure runs `on_leave` once."""
    return await _record(session, team_id, str(user["id"]), fields_of(user), now or utcnow(), on_leave)


async def record_gone(session: AsyncSession, team_id: str, user_id: str, *, now: datetime | None = None,
                      on_leave: Sequence[LeaveHook] = ()) -> Recorded:
    """Slack no longer knows the user (users.info: user_not_found): they left."""
    now = now or utcnow()
    existing = await session.scalar(select(Person.display_name).where(_row(team_id, user_id)))
    fields = {"display_name": existing or user_id, "deleted": True}
    return await _record(session, team_id, user_id, fields, now, on_leave)


async def _record(session: AsyncSession, team_id: str, user_id: str, fields: dict[str, Any], now: datetime,
                  on_leave: Sequence[LeaveHook]) -> Recorded:
    deleted = bool(fields.pop("deleted"))
    inserted = await insert_ignore(session, Person, team_id=team_id, user_id=user_id, deleted=deleted,
                                   left_at=now if deleted else None, refreshed_at=now, checked_at=now,
                                   created_at=now, updated_at=now, **fields)
    left = inserted and deleted
    if not inserted:
        # A new zone moves their working periods: the calendar recomputes the next start.
        moved = case((Person.tz.is_distinct_from(fields["tz"]), None), else_=Person.next_start_at) \
            if "tz" in fields else Person.next_start_at
        await session.execute(update(Person).where(_row(team_id, user_id))
                              .values(**fields, refreshed_at=now, checked_at=now, updated_at=now,
                                      next_start_at=moved)
                              .execution_options(synchronize_session=False))
        # Compare-and-set: of every caller seeing this person go (or come back), one changes the row.
        flip = await session.execute(
            update(Person).where(_row(team_id, user_id), Person.deleted.is_(not deleted))
            .values(deleted=deleted, left_at=now if deleted else None)
            .execution_options(synchronize_session=False))
        left = deleted and bool(flip.rowcount)
    if left:
        for hook in on_leave:
            await hook(session, team_id, user_id)
    person = await get_person(session, team_id, user_id)
    assert person is not None
    return Recorded(person, left)


async def record_everywhere(session: AsyncSession, team_id: str, user: Mapping[str, Any], *,
                            now: datetime | None = None, on_leave: Sequence[LeaveHook] = ()) -> list[Recorded]:
    """An Enterprise Grid user is one id across the org's workspaces: the event that arrives
    through one workspace updates that workspace's record and the ones already kept for the
    other workspaces Slack lists in `enterprise_user.teams`. Elsewhere, only `team_id`'s."""
    now = now or utcnow()
    done = [await record_user(session, team_id, user, now=now, on_leave=on_leave)]
    enterprise = user.get("enterprise_user")
    teams = enterprise.get("teams") if isinstance(enterprise, Mapping) else None
    if isinstance(teams, list):
        others = {str(t) for t in teams if isinstance(t, str) and t and t != team_id}
        known = (await session.scalars(select(Person.team_id).where(
            Person.user_id == str(user["id"]), Person.team_id.in_(others)))).all() if others else []
        for other in sorted(known):
            done.append(await record_user(session, other, user, now=now, on_leave=on_leave))
    return done


async def mark_checked(session: AsyncSession, team_id: str, user_id: str, *, now: datetime | None = None) -> None:
    """Slack could not say this time (rate limit, timeout): the row stays, and goes to the back of the queue."""
    await session.execute(update(Person).where(_row(team_id, user_id)).values(checked_at=now or utcnow())
                          .execution_options(synchronize_session=False))


async def get_person(session: AsyncSession, team_id: str, user_id: str) -> PersonInfo | None:
    row = await session.scalar(select(Person).where(_row(team_id, user_id))
                               .execution_options(populate_existing=True))
    return PersonInfo.of(row) if row is not None else None


async def get_people(session: AsyncSession, team_id: str, user_ids: Iterable[str]) -> dict[str, PersonInfo]:
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    rows = (await session.scalars(select(Person).where(Person.team_id == team_id, Person.user_id.in_(wanted))
                                  .execution_options(populate_existing=True))).all()
    return {row.user_id: PersonInfo.of(row) for row in rows}


async def needing_refresh(session: AsyncSession, *, checked_before: datetime, limit: int) -> list[tuple[str, str]]:
    """(team_id, user_id) of people still here whom nobody has checked since `checked_before`,
    least recently checked first, at most `limit` (the (deleted, checked_at) index)."""
    rows = await session.execute(
        select(Person.team_id, Person.user_id)
        .where(Person.deleted.is_(False), Person.checked_at < checked_before)
        .order_by(Person.checked_at, Person.id).limit(limit))
    return [(team_id, user_id) for team_id, user_id in rows]


async def bots_or_gone(session: AsyncSession, team_id: str, user_ids: Iterable[str]) -> set[str]:
    """Of `user_ids`, the ones the directory knows as bots or as gone: nobody to prompt, nudge or
    hand work to (someone it does not know yet is not among them)."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return set()
    rows = await session.scalars(select(Person.user_id).where(
        Person.team_id == team_id, Person.user_id.in_(ids), (Person.is_bot.is_(True)) | (Person.deleted.is_(True))))
    return set(rows)
