"""Standups in the database: setup, membership, answers and blockers. Plain functions of a
session; no Slack calls (bot/standups/flows.py talks to Slack after the commit)."""
from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.errors import NotFound, UserError
from bot.launches import service as launch_service
from bot.people.directory import bots_or_gone
from bot.calendar.load import calendars_of
from bot.calendar.working import Calendar
from bot.standups import blocks, schedule
from bot.names import name_key
from bot.standups.parsing import blocker_question, is_blocker
from bot.standups.schedule import Times
from bot.sql import dates_agg, insert_ignore, split_dates
from bot.usertext import mrkdwn
from models.person import Person
from models.standup import PostMode, Standup, StandupAnswer, StandupBlocker, StandupDay, StandupMember

RISK_SOURCE = "standup"  # a blocker that names a launch is one of its risks (models/launch.py)
MEMBERS_MAX = 1000  # participants per standup (a multi-user select is the form's only limit)


@dataclass(frozen=True)
class Setup:
    """A standup as the setup form asked for it (user text already converted)."""

    name: str
    channel_id: str
    members: list[str]
    questions: list[str]
    days: int
    prompt: int
    deadline: int
    mode: PostMode
    owner_id: str


def times(standup: Standup) -> Times:
    return Times(standup.days, standup.prompt_at, standup.deadline_at)


async def get(session: AsyncSession, team_id: str, name: str) -> Standup:
    standup = await session.scalar(select(Standup).where(Standup.team_id == team_id, Standup.name_key == name_key(name)))
    if standup is None:
        raise NotFound(f"There is no standup named `{mrkdwn(name)}`. `/standup list` shows them.")
    return standup


async def get_by_id(session: AsyncSession, team_id: str, standup_id: int) -> Standup:
    standup = await session.get(Standup, standup_id)
    if standup is None or standup.team_id != team_id:
        raise NotFound("That standup no longer exists.")
    return standup


async def listed(session: AsyncSession, team_id: str) -> list[Standup]:
    return list((await session.scalars(select(Standup).where(Standup.team_id == team_id)
                                       .order_by(Standup.name_key))).all())


async def member_ids(session: AsyncSession, standup_id: int) -> list[str]:
    return list((await session.scalars(select(StandupMember.user_id).where(StandupMember.standup_id == standup_id)
                                       .order_by(StandupMember.id))).all())


async def member_counts(session: AsyncSession, standup_ids: list[int]) -> dict[int, int]:
    """Participants per standup, not counting the bots and the gone the directory knows of."""
    if not standup_ids:
        return {}
    rows = await session.execute(
        select(StandupMember.standup_id, func.count())
        .outerjoin(Person, (Person.team_id == StandupMember.team_id) & (Person.user_id == StandupMember.user_id))
        .where(StandupMember.standup_id.in_(standup_ids), Person.is_bot.is_not(True), Person.deleted.is_not(True))
        .group_by(StandupMember.standup_id))
    return {standup_id: count for standup_id, count in rows}


async def answer_count(session: AsyncSession, standup_id: int) -> int:
    return await session.scalar(select(func.count()).where(StandupAnswer.standup_id == standup_id)) or 0


async def is_member(session: AsyncSession, standup_id: int, user_id: str) -> bool:
    return await session.scalar(select(StandupMember.id).where(StandupMember.standup_id == standup_id,
                                                               StandupMember.user_id == user_id)) is not None


async def standups_of(session: AsyncSession, team_id: str, user_id: str) -> list[Standup]:
    """The standups the person takes part in (paused ones too), by name."""
    return list((await session.scalars(
        select(Standup).join(StandupMember, StandupMember.standup_id == Standup.id)
        .where(StandupMember.team_id == team_id, StandupMember.user_id == user_id, Standup.team_id == team_id)
        .order_by(Standup.name_key))).all())


async def owns_standup_in(session: AsyncSession, team_id: str, user_id: str, channel_id: str | None) -> bool:
    """The channel's standup owner (of any standup reporting there) may set up another one there."""
    if not channel_id:
        return False
    return await session.scalar(select(Standup.id).where(Standup.team_id == team_id, Standup.channel_id == channel_id,
                                                         Standup.owner_id == user_id).limit(1)) is not None


async def _check_name(session: AsyncSession, team_id: str, name: str, standup_id: int | None) -> None:
    clash = await session.scalar(select(Standup.id).where(Standup.team_id == team_id, Standup.name_key == name_key(name)))
    if clash is not None and clash != standup_id:
        raise UserError(f"There is already a standup named `{mrkdwn(name)}`; pick another name.", field="name")


def _check_members(setup: Setup) -> None:
    if not setup.members:
        raise UserError("Pick at least one participant.", field="members")
    if len(setup.members) > MEMBERS_MAX:
        raise UserError(f"A standup takes at most {MEMBERS_MAX} participants.", field="members")


async def create(session: AsyncSession, team_id: str, setup: Setup, actor: str) -> Standup:
    await _check_name(session, team_id, setup.name, None)
    _check_members(setup)
    standup = Standup(team_id=team_id, created_by=actor)
    _apply(standup, setup)
    session.add(standup)
    await session.flush()
    await _set_members(session, standup, setup.members)
    return standup


async def update_setup(session: AsyncSession, standup: Standup, setup: Setup) -> list[str]:
    """Apply an edit; every participant's next prompt and the next summary are computed again
    (the times or days may have moved). Returns the participants added."""
    await _check_name(session, standup.team_id, setup.name, standup.id)
    _check_members(setup)
    _apply(standup, setup)
    standup.next_summary_at = None
    standup.next_summary_day = None
    added = await _set_members(session, standup, setup.members)
    await session.execute(update(StandupMember).where(StandupMember.standup_id == standup.id)
                          .values(next_at=None, next_day=None, next_event=None)
                          .execution_options(synchronize_session=False))
    return added


def _apply(standup: Standup, setup: Setup) -> None:
    standup.name, standup.name_key = setup.name, name_key(setup.name)
    standup.channel_id, standup.owner_id = setup.channel_id, setup.owner_id
    standup.questions = list(setup.questions)
    standup.days, standup.prompt_at, standup.deadline_at = setup.days, setup.prompt, setup.deadline
    standup.mode = setup.mode


async def _set_members(session: AsyncSession, standup: Standup, wanted: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(wanted))
    current = set(await member_ids(session, standup.id))
    gone = current - set(wanted)
    if gone:
        await session.execute(delete(StandupMember).where(StandupMember.standup_id == standup.id,
                                                          StandupMember.user_id.in_(gone)))
    added = [u for u in wanted if u not in current]
    session.add_all(StandupMember(standup_id=standup.id, team_id=standup.team_id, user_id=u) for u in added)
    await session.flush()
    return added


async def set_paused(session: AsyncSession, standup: Standup, paused: bool, now: datetime) -> bool:
    """Pause or resume; False when it already was so. A resume computes the next moments again."""
    if (standup.paused_at is not None) == paused:
        return False
    standup.paused_at = now if paused else None
    if not paused:
        standup.next_summary_at, standup.next_summary_day = None, None
        await session.execute(update(StandupMember).where(StandupMember.standup_id == standup.id)
                              .values(next_at=None, next_day=None, next_event=None)
                              .execution_options(synchronize_session=False))
    await session.flush()
    return True


async def remove(session: AsyncSession, standup: Standup) -> None:
    """Delete it with its answers, blockers and days (cascade); a stale button then finds nothing."""
    await session.execute(delete(Standup).where(Standup.id == standup.id))


async def names_of(session: AsyncSession, team_id: str, user_ids: Iterable[str]) -> dict[str, str]:
    """Display names (stored representation) of the people the directory knows."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    rows = await session.execute(select(Person.user_id, Person.display_name).where(
        Person.team_id == team_id, Person.user_id.in_(ids)))
    return {user_id: name for user_id, name in rows if name}


# -- answers and blockers -----------------------------------------------------------------------

async def answer_of(session: AsyncSession, standup_id: int, user_id: str, day: date) -> StandupAnswer | None:
    return await session.scalar(select(StandupAnswer).where(
        StandupAnswer.standup_id == standup_id, StandupAnswer.user_id == user_id, StandupAnswer.day == day))


async def answers_on(session: AsyncSession, standup_id: int, day: date) -> dict[str, StandupAnswer]:
    rows = await session.scalars(select(StandupAnswer).where(StandupAnswer.standup_id == standup_id,
                                                             StandupAnswer.day == day))
    return {row.user_id: row for row in rows}


async def answered_days(session: AsyncSession, standup_id: int, user_id: str, since: date) -> set[date]:
    rows = await session.scalars(select(StandupAnswer.day).where(
        StandupAnswer.standup_id == standup_id, StandupAnswer.user_id == user_id, StandupAnswer.day >= since))
    return set(rows)


async def previous_answer(session: AsyncSession, standup_id: int, user_id: str, before: date) -> StandupAnswer | None:
    """The person's latest answer before `before`: the form's hints."""
    return await session.scalar(select(StandupAnswer).where(
        StandupAnswer.standup_id == standup_id, StandupAnswer.user_id == user_id, StandupAnswer.day < before)
        .order_by(StandupAnswer.day.desc()).limit(1))


async def open_blocker(session: AsyncSession, standup_id: int, user_id: str) -> StandupBlocker | None:
    return await session.scalar(select(StandupBlocker).where(
        StandupBlocker.standup_id == standup_id, StandupBlocker.user_id == user_id,
        StandupBlocker.cleared_on.is_(None)).order_by(StandupBlocker.id.desc()).limit(1))


async def open_blockers(session: AsyncSession, standup_id: int) -> list[StandupBlocker]:
    return list((await session.scalars(select(StandupBlocker).where(
        StandupBlocker.standup_id == standup_id, StandupBlocker.cleared_on.is_(None))
        .order_by(StandupBlocker.since, StandupBlocker.id))).all())


def risk_ref(blocker_id: int) -> str:
    return f"blocker:{blocker_id}"


@dataclass(frozen=True)
class Saved:
    answer: StandupAnswer
    first: bool  # a new answer (not an edit)
    blocker: StandupBlocker | None  # the person's open blocker after this answer
    raised: bool  # the blocker is new with this answer: its owner is told
    cleared: StandupBlocker | None  # a blocker this answer cleared (or withdrew)
    changed: bool = True  # False: the same answers again (a double click, a resubmitted form)


async def save_answer(session: AsyncSession, standup: Standup, user_id: str, day: date, answers: list[str],
                      *, late: bool) -> Saved:
    """Store (or edit) the person's answers for `day`, and carry their blocker: a blocker answer
    keeps their open blocker (its age counts from the day it was first reported) or opens one;
    a none-like answer clears it. Only the person's latest day decides: editing an older day's
    answer leaves today's blocker as it is."""
    row = await answer_of(session, standup.id, user_id, day)
    first = False
    if row is None:
        # The unique (standup, person, day) arbitrates: of simultaneous first answers (a double
        # click, two replicas) one inserts; the others wait for it and then edit it.
        first = await insert_ignore(session, StandupAnswer, standup_id=standup.id, team_id=standup.team_id,
                                    user_id=user_id, day=day, answers=list(answers), late=late)
        row = await session.scalar(select(StandupAnswer).where(
            StandupAnswer.standup_id == standup.id, StandupAnswer.user_id == user_id, StandupAnswer.day == day)
            .execution_options(populate_existing=True))
        assert row is not None
    if not first:
        if list(row.answers) == list(answers):
            return Saved(row, False, await open_blocker(session, standup.id, user_id), False, None, changed=False)
        row.answers = list(answers)
        row.version = row.version + 1
        row.unposted = True
    await session.flush()
    latest = await session.scalar(select(func.max(StandupAnswer.day)).where(
        StandupAnswer.standup_id == standup.id, StandupAnswer.user_id == user_id))
    current = await open_blocker(session, standup.id, user_id)
    if latest is not None and day < latest:
        return Saved(row, first, current, False, None)
    index = blocker_question(standup.questions)
    text = answers[index] if index is not None and index < len(answers) else ""
    if is_blocker(text):
        if current is not None:
            current.text, current.last_day = text, max(current.last_day, day)
            await session.flush()
            return Saved(row, first, current, False, None)
        blocker = StandupBlocker(standup_id=standup.id, team_id=standup.team_id, user_id=user_id, text=text,
                                 since=day, last_day=day)
        session.add(blocker)
        await session.flush()
        return Saved(row, first, blocker, True, None)
    if current is None:
        return Saved(row, first, None, False, None)
    if current.since == day:  # reported today and taken back by an edit: it never was one
        await session.delete(current)
    else:
        current.cleared_on = day
    await session.flush()
    return Saved(row, first, None, False, current)


async def days_summarised(session: AsyncSession, standup_id: int, day: date) -> StandupDay | None:
    return await session.scalar(select(StandupDay).where(StandupDay.standup_id == standup_id, StandupDay.day == day))


async def leave(session: AsyncSession, team_id: str, user_id: str) -> None:
    """A participant left the workspace: out of every standup (no more prompts, not counted as
    missing); their open blockers are cleared."""
    blockers = (await session.scalars(select(StandupBlocker).where(
        StandupBlocker.team_id == team_id, StandupBlocker.user_id == user_id,
        StandupBlocker.cleared_on.is_(None)))).all()
    for blocker in blockers:
        blocker.cleared_on = clock.now().date()
        await launch_service.clear_risk(session, team_id, RISK_SOURCE, risk_ref(blocker.id))
    await session.execute(delete(StandupMember).where(StandupMember.team_id == team_id,
                                                      StandupMember.user_id == user_id))


async def people_without_record(session: AsyncSession, limit: int) -> list[tuple[str, str]]:
    """(team, user) of participants the people directory does not know yet: prompts go by
    their zone, so the people sweep records these first."""
    known = select(Person.id).where(Person.team_id == StandupMember.team_id, Person.user_id == StandupMember.user_id)
    rows = await session.execute(select(StandupMember.team_id, StandupMember.user_id)
                                 .where(~known.exists()).distinct().limit(limit))
    return [(team_id, user_id) for team_id, user_id in rows]


# -- what the day's summary and the stats show -------------------------------------------------------

async def _calendars(session: AsyncSession, team_id: str, user_ids: list[str], from_day: date) -> dict[str, Calendar]:
    rows = (await session.scalars(select(Person).where(Person.team_id == team_id, Person.user_id.in_(user_ids)))).all()
    found = await calendars_of(session, list(rows), from_day=from_day)
    return {user: cal for (_, user), cal in found.items()}


async def _participants(session: AsyncSession, standup: Standup) -> dict[str, datetime]:
    return (await participants_of(session, [standup.id])).get(standup.id, {})


async def participants_of(session: AsyncSession, standup_ids: Sequence[int]) -> dict[int, dict[str, datetime]]:
    """Who takes part in each standup, with when they joined: not people the directory knows to
    be bots or gone (a bot picked in the form is never prompted, so it is never missing either)."""
    found: dict[int, dict[str, datetime]] = {standup_id: {} for standup_id in standup_ids}
    if not standup_ids:
        return found
    rows = await session.execute(
        select(StandupMember.standup_id, StandupMember.user_id, StandupMember.joined_at)
        .outerjoin(Person, (Person.team_id == StandupMember.team_id) & (Person.user_id == StandupMember.user_id))
        .where(StandupMember.standup_id.in_(standup_ids), Person.is_bot.is_not(True), Person.deleted.is_not(True))
        .order_by(StandupMember.id))
    for standup_id, user, at in rows:
        found[standup_id][user] = _aware(at)
    return found


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


async def joined_at(session: AsyncSession, standup_id: int, user_id: str) -> datetime | None:
    at = await session.scalar(select(StandupMember.joined_at).where(StandupMember.standup_id == standup_id,
                                                                    StandupMember.user_id == user_id))
    return _aware(at) if at is not None else None


unwanted = bots_or_gone  # never participants or owners


def _off(cal: Calendar, t: Times, day: date) -> str | None:
    """Why the person was not asked that day: a day off, or working hours that miss the window
    between prompt and deadline (the notifier never prompted them)."""
    off = cal.day_off(day)
    if off is not None:  # "holiday (Offsite)" reads as "Nina (holiday: Offsite)" in a list of names
        return f"holiday: {off[len('holiday ('):-1]}" if off.startswith("holiday (") else off
    period = cal.period_on(day)
    if period is None or not (period.start < schedule.deadline_at(cal, t, day)
                              and period.end > schedule.prompt_at(cal, t, day)):
        return "outside working hours"
    return None


async def day_summary(session: AsyncSession, standup: Standup, day: date) -> blocks.DaySummary:
    """Answered, late, missing and away on `day`, and every open blocker with its age."""
    joined = await _participants(session, standup)
    members = list(joined)
    names = await names_of(session, standup.team_id, members)
    calendars = await _calendars(session, standup.team_id, members, day - timedelta(days=1))
    answers = await answers_on(session, standup.id, day)
    t = times(standup)
    answered, late, missing, away = [], [], [], []
    for user in members:
        name = names.get(user, user)
        cal = calendars.get(user)
        if user not in answers and cal is not None and schedule.deadline_at(cal, t, day) <= joined[user]:
            continue  # added after that day's deadline: never asked for it
        if user in answers:
            answered.append(name)
            if answers[user].late:
                late.append(name)
            continue
        off = _off(cal, t, day) if cal is not None else None
        if off is not None:
            away.append((name, off))
        else:
            missing.append(name)
    current = set(members)
    shown = [b for b in await open_blockers(session, standup.id) if b.since <= day and b.user_id in current]
    blockers = [blocks.Blocker(names.get(b.user_id, b.user_id), b.text, (day - b.since).days) for b in shown]
    return blocks.DaySummary(standup.name, day, standup.mode, answered, late, missing, away, blockers)


async def answer_post(session: AsyncSession, standup: Standup, answer: StandupAnswer) -> blocks.AnswerPost:
    names = await names_of(session, standup.team_id, [answer.user_id])
    index = blocker_question(standup.questions)
    blocker = await open_blocker(session, standup.id, answer.user_id)
    reported = (blocker is not None and index is not None and blocker.since <= answer.day
                and is_blocker(answer.answers[index] if index < len(answer.answers) else ""))
    return blocks.AnswerPost(standup.name, answer.day, names.get(answer.user_id, answer.user_id),
                             list(standup.questions), list(answer.answers), index,
                             (answer.day - blocker.since).days if reported and blocker is not None else None,
                             answer.late, answer.version > 1)


async def stats(session: AsyncSession, standup: Standup, first: date, last: date, now: datetime) -> list[blocks.PersonStats]:
    """Per participant over [first, last]: standup days that were working days for them (and
    whose deadline passed after they joined, or that they answered), how many they answered,
    how many late."""
    members = list((await _participants(session, standup)).items())
    users = [u for u, _ in members]
    calendars = await _calendars(session, standup.team_id, users, first)
    rows = (await session.execute(select(StandupAnswer.user_id, StandupAnswer.day, StandupAnswer.late).where(
        StandupAnswer.standup_id == standup.id, StandupAnswer.day >= first, StandupAnswer.day <= last))).all()
    answered: dict[str, dict[date, bool]] = {}
    for user, day, was_late in rows:
        answered.setdefault(user, {})[day] = was_late
    raised = (await session.execute(select(StandupBlocker.user_id, func.count()).where(
        StandupBlocker.standup_id == standup.id, StandupBlocker.since >= first, StandupBlocker.since <= last)
        .group_by(StandupBlocker.user_id))).all()
    raised_by = dict(raised)
    open_rows = {b.user_id: b for b in await open_blockers(session, standup.id)}
    t = times(standup)
    result = []
    for user, joined in members:
        cal = calendars.get(user)
        mine = answered.get(user, {})
        expected = 0
        since = joined.replace(tzinfo=UTC) if joined.tzinfo is None else joined
        day = max(first, since.astimezone(UTC).date() - timedelta(days=1))  # a local day may start before UTC's
        while day <= last:
            if t.is_day(day) and (cal is None or _off(cal, t, day) is None):
                # Someone added after a day's deadline was never asked for that day: not counted.
                due = (day >= since.astimezone(UTC).date() if cal is None
                       else since < schedule.deadline_at(cal, t, day) <= now)
                if due or day in mine:
                    expected += 1
            day += timedelta(days=1)
        counted_days = [d for d in mine if t.is_day(d)]
        expected = max(expected, len(counted_days))
        blocker = open_rows.get(user)
        result.append(blocks.PersonStats(user, expected, len(counted_days), sum(mine[d] for d in counted_days),
                                         raised_by.get(user, 0),
                                         (last - blocker.since).days if blocker is not None else None))
    return result


async def blocker_totals(session: AsyncSession, standup: Standup, first: date, last: date,
                         today: date) -> tuple[int, int, int, float | None]:
    """Blockers reported in the period, cleared in it, open now, and the median days a blocker
    of the period stayed open (open ones counted up to today)."""
    rows = (await session.execute(select(StandupBlocker.since, StandupBlocker.cleared_on).where(
        StandupBlocker.standup_id == standup.id,
        or_(StandupBlocker.cleared_on.is_(None), StandupBlocker.cleared_on >= first),
        StandupBlocker.since <= last))).all()
    raised = sum(1 for since, _ in rows if since >= first)
    cleared = sum(1 for _, cleared_on in rows if cleared_on is not None and first <= cleared_on <= last)
    open_now = sum(1 for _, cleared_on in rows if cleared_on is None)
    ages = sorted(((cleared_on or today) - since).days for since, cleared_on in rows)
    return raised, cleared, open_now, (statistics.median(ages) if ages else None)


# -- over a stretch of time: what a channel digest shows (bot/standups/digest.py) --------------------

@dataclass(frozen=True)
class Participation:
    expected: int  # answers asked for: each participant's standup days whose deadline fell in the stretch
    answered: int
    late: int


def due_in(cal: Calendar, t: Times, joined: datetime, start: datetime, end: datetime) -> list[date]:
    """The standup days a person was asked for between two instants: their deadline (on the
    person's clock) in (start, end] and after they joined, and a working day for them (the
    notifier never prompted them on a day off). Counting by deadline puts each day in exactly
    one of two back-to-back stretches."""
    stretch = _Stretch.of(cal, t, start, end)
    return [day for day in stretch.asked if joined < stretch.deadlines[day]]


@dataclass(frozen=True)
class _Stretch:
    """One calendar's standup days between two instants: each day's deadline, and the days they
    were asked for (working days whose hours meet the prompt window). People who share a
    calendar (zone, hours, holidays, away) share this, so a team of 200 on one calendar costs
    one walk over the days, not 200."""

    deadlines: dict[date, datetime]  # standup days whose deadline is in (start, end]
    asked: list[date]

    @staticmethod
    def of(cal: Calendar, t: Times, start: datetime, end: datetime) -> _Stretch:
        deadlines: dict[date, datetime] = {}
        day, last = cal.local_date(start) - timedelta(days=1), cal.local_date(end)
        while day <= last:
            if t.is_day(day):
                deadline = schedule.deadline_at(cal, t, day)
                if start < deadline <= end:
                    deadlines[day] = deadline
            day += timedelta(days=1)
        return _Stretch(deadlines, [day for day in deadlines if _off(cal, t, day) is None])


async def participation(session: AsyncSession, standups: Sequence[Standup],
                        members: Mapping[int, Mapping[str, datetime]], calendars: Mapping[str, Calendar],
                        start: datetime, end: datetime) -> dict[int, Participation]:
    """Answers given against answers asked for, per standup, between two instants (a paused
    standup's stretch ends when it was paused). One query for every standup's answers in the
    stretch (ix_standup_answers_standup_id_day), then each participant's days from their
    calendar. As in `stats`, an answer for a standup day of the stretch counts even on a day
    off (asked for or not, it was given)."""
    ids = [s.id for s in standups]
    if not ids:
        return {}
    first, last = (start - timedelta(days=1)).date(), (end + timedelta(days=1)).date()
    # Each person's answered days (and the late ones) as one row per person and standup.
    dialect = session.get_bind().dialect.name
    rows = await session.execute(
        select(StandupAnswer.standup_id, StandupAnswer.user_id, dates_agg(StandupAnswer.day, dialect),
               dates_agg(case((StandupAnswer.late.is_(True), StandupAnswer.day)), dialect))
        .where(StandupAnswer.standup_id.in_(ids), StandupAnswer.day >= first, StandupAnswer.day <= last)
        .group_by(StandupAnswer.standup_id, StandupAnswer.user_id))
    given: dict[tuple[int, str], tuple[set[date], set[date]]] = {
        (standup_id, user): (split_dates(days), split_dates(late_days)) for standup_id, user, days, late_days in rows}
    found: dict[int, Participation] = {}
    stretches: dict[tuple[object, ...], _Stretch] = {}  # by calendar, times and end: standups share them
    for s in standups:
        t = times(s)
        until = min(end, _aware(s.paused_at)) if s.paused_at is not None else end
        expected = answered = late = 0
        for user, joined in members.get(s.id, {}).items():
            cal = calendars.get(user)
            if cal is None or until <= start:
                continue
            key = (cal.shape(), t, until)
            stretch = stretches.get(key)
            if stretch is None:
                stretch = stretches[key] = _Stretch.of(cal, t, start, until)
            due = {day for day in stretch.asked if joined < stretch.deadlines[day]}
            days, late_days = given.get((s.id, user), (set(), set()))
            mine = days & stretch.deadlines.keys()
            expected += len(due | mine)
            answered += len(mine)
            late += len(late_days & mine)
        found[s.id] = Participation(expected, answered, late)
    return found


@dataclass(frozen=True)
class OpenBlockers:
    total: int  # open blockers of the standup's current participants
    oldest: list[StandupBlocker]  # the first few of them, oldest first


async def open_blockers_of(session: AsyncSession, standup_ids: Sequence[int], shown: int) -> dict[int, OpenBlockers]:
    """Per standup, how many blockers its current participants have open and the `shown`
    oldest: one query, the count and the rank a window over the open blockers only."""
    if not standup_ids:
        return {}
    member = select(StandupMember.id).where(StandupMember.standup_id == StandupBlocker.standup_id,
                                            StandupMember.user_id == StandupBlocker.user_id)
    ranked = (select(StandupBlocker.id,
                     func.row_number().over(partition_by=StandupBlocker.standup_id,
                                            order_by=(StandupBlocker.since, StandupBlocker.id)).label("n"),
                     func.count().over(partition_by=StandupBlocker.standup_id).label("total"))
              .where(StandupBlocker.standup_id.in_(standup_ids), StandupBlocker.cleared_on.is_(None), member.exists())
              .subquery())
    rows = await session.execute(select(StandupBlocker, ranked.c.total).join(ranked, ranked.c.id == StandupBlocker.id)
                                 .where(ranked.c.n <= shown).order_by(StandupBlocker.since, StandupBlocker.id))
    found: dict[int, OpenBlockers] = {}
    for blocker, total in rows:
        got = found.setdefault(blocker.standup_id, OpenBlockers(int(total), []))
        got.oldest.append(blocker)
    return found
