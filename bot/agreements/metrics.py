"""Process metrics computed from what the bot already stores (issue 18): no data entry.

Each metric is read AS OF a local day D, over the window of `window` calendar days ending with
D, in the workspace's zone, with working days from the calendar (weekends, holidays, away days;
bot/calendar/). A measured thing is KEPT (done within the agreement), BROKEN (late, or not done
by its deadline), or not yet decided (its deadline is after D): only decided ones count, so a
past day's value does not change once its deadlines are behind it, unless late data arrives.
The value is the share kept, in percent. Exceptions are the broken ones, with what a
retrospective needs to find them.

"Within N working days" counts working days AFTER the start: filed Friday, triaged Monday is 1.
A reading is as of the END of D: what happened after D is not seen (a triage on D+1 is "not
triaged" as of D), and a deadline of D or earlier has passed.
"""
from __future__ import annotations

import statistics
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, case, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.calendar.load import calendars_for
from bot.calendar.working import Calendar
from bot.sql import add_days, date_text, local_date
from models.delivery import Delivery, DeliveryStatus
from models.feedback import CaptureState, FeedbackItem, FeedbackReporter, FeedbackStatus
from models.launch import Launch, LaunchAudit, LaunchItem
from models.standup import Standup, StandupAnswer, StandupBlocker

WORKSPACE = ""  # the workspace's own calendar (a user id no person row has: the defaults)
EXCEPTIONS_KEPT = 50  # exceptions a reading keeps (the longest-late first)


@dataclass(frozen=True)
class Scope:
    """What one agreement measures: its metric's parameters."""

    within: int = 3  # working days allowed
    window: int = 30  # calendar days one reading covers
    function: str | None = None  # a checklist function (launch metrics), or all
    standup_id: int | None = None  # one standup (standup metrics), or all


@dataclass(frozen=True)
class Exception_:
    """One broken item: what it is, how late, and where to find it."""

    what: str  # "#12", "Security review — Mobile app", "@maria's blocker"
    late: int  # working days past the agreement (or open for)
    detail: str = ""  # user text as stored (bot/usertext), shown through usertext.mrkdwn
    link: str | None = None  # a permalink, when the bot has one
    user_id: str | None = None
    channel_id: str | None = None  # where it lives (the launch's checklist, the standup's channel)


@dataclass(frozen=True)
class Reading:
    kept: int
    broken: int
    exceptions: tuple[Exception_, ...] = ()
    spans: tuple[int, ...] = ()  # working days each decided thing took (medians, p90)
    by_group: dict[str, tuple[int, int]] = field(default_factory=dict)  # function -> (kept, broken)
    late_by_group: dict[str, tuple[int, ...]] = field(default_factory=dict)  # function -> working days late

    @property
    def value(self) -> float | None:
        decided = self.kept + self.broken
        return round(100.0 * self.kept / decided, 1) if decided else None


class WorkingDays:
    """Working-day arithmetic over one calendar, counted once per day of a span (a prefix sum),
    so 100,000 items cost a dictionary look-up each, not a loop over their days."""

    def __init__(self, cal: Calendar, first: date, last: date) -> None:
        self.cal, self.first = cal, first
        self._upto: dict[date, int] = {}
        count, day = 0, first
        while day <= last:
            count += cal.is_working_day(day)
            self._upto[day] = count
            day += timedelta(days=1)
        self.last = last
        self._deadlines: dict[tuple[date, int], date] = {}

    def _count(self, day: date) -> int:
        if day < self.first:
            return 0
        if day > self.last:  # past the span: count on (rare: a deadline past the reading's day)
            return self._upto[self.last] + self.cal.working_days_between(self.last + timedelta(days=1), day)
        return self._upto[day]

    def after(self, start: date, end: date) -> int:
        """Working days d with start < d <= end (0 when end <= start)."""
        return max(0, self._count(end) - self._count(start)) if end > start else 0

    def deadline(self, start: date, within: int) -> date:
        """The last day still within `within` working days after `start`: the `within`-th working
        day after it (start itself when within is 0)."""
        found = self._deadlines.get((start, within))
        if found is None:
            found = self._deadlines[(start, within)] = self._deadline(start, within)
        return found

    def _deadline(self, start: date, within: int) -> date:
        day, seen = start, 0
        while seen < within:
            day += timedelta(days=1)
            seen += self.cal.is_working_day(day)
            if (day - start).days > 3660:  # a calendar with no working day: never late
                return date.max
        return day


def window(day: date, days: int) -> tuple[date, date]:
    return day - timedelta(days=days - 1), day


def local_day(at: datetime | None, zone: ZoneInfo) -> date | None:
    if at is None:
        return None
    if zone.key == "UTC" and (at.tzinfo is None or at.utcoffset() == timedelta(0)):
        return at.date()  # stored instants are UTC: no conversion per row in a UTC workspace
    aware = at if at.tzinfo is not None else at.replace(tzinfo=ZoneInfo("UTC"))
    return aware.astimezone(zone).date()


def end_of(day: date, zone: ZoneInfo) -> datetime:
    """The first instant after `day` (local midnight of the next day), as UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(ZoneInfo("UTC"))


def _judge(spans: list[int], exceptions: list[Exception_], kept: int, broken: int) -> Reading:
    exceptions.sort(key=lambda e: (-e.late, e.what))
    return Reading(kept, broken, tuple(exceptions[:EXCEPTIONS_KEPT]), tuple(spans))


async def _calendars(session: AsyncSession, team_id: str, users: Iterable[str], from_day: date) -> dict[str, Calendar]:
    """People's calendars, read once per session (a report reads a dozen metrics over two
    periods): each is loaded from a year before the day asked, so an earlier window finds it."""
    cache: dict[tuple[str, str], tuple[date, Calendar]] = session.info.setdefault("agreements.calendars", {})
    wanted = set(users)
    missing = {u for u in wanted if (team_id, u) not in cache or cache[(team_id, u)][0] > from_day}
    if missing:
        loaded_from = from_day - timedelta(days=400)
        for user, cal in (await calendars_for(session, team_id, missing, from_day=loaded_from)).items():
            cache[(team_id, user)] = (loaded_from, cal)
    return {u: cache[(team_id, u)][1] for u in wanted}


async def _workspace_days(session: AsyncSession, team_id: str, first: date, last: date) -> tuple[WorkingDays, ZoneInfo]:
    cal = (await _calendars(session, team_id, [WORKSPACE], first))[WORKSPACE]
    return WorkingDays(cal, first, last), cal.zone


# -- feedback -----------------------------------------------------------------------------------

async def feedback_triage(session: AsyncSession, team_id: str, day: date, scope: Scope, *,
                          exceptions: bool = True) -> Reading:
    """Items filed in the window, triaged (first moved from `new`) within `within` working days.
    Counted per (day filed, day triaged) in SQL: a window holds tens of thousands of items but a
    few thousand such pairs, each judged once here."""
    first, last = window(day, scope.window)
    days, zone = await _workspace_days(session, team_id, first - timedelta(days=1), last)
    dialect = session.get_bind().dialect.name
    filed_on_sql = local_date(FeedbackItem.created_at, zone, dialect, first, day)
    done_on_sql = local_date(FeedbackItem.triaged_at, zone, dialect, first, day)
    filed, done = filed_on_sql.label("filed"), done_on_sql.label("done")
    in_window = (FeedbackItem.team_id == team_id, FeedbackItem.created_at >= datetime.combine(first, time(0), zone),
                 FeedbackItem.created_at < end_of(last, zone), FeedbackItem.capture_state == CaptureState.READY,
                 FeedbackItem.status != FeedbackStatus.MERGED)
    pairs = select(filed, done).where(*in_window).subquery()
    kept = broken = 0
    spans: list[int] = []
    late_pairs: list[tuple[int, tuple[date, date | None], int]] = []
    for filed_on, done_on, count in (await session.execute(
            select(pairs.c.filed, pairs.c.done, func.count()).group_by(pairs.c.filed, pairs.c.done))).all():
        done_on = done_on if done_on is not None and done_on <= day else None  # as of `day`
        taken = days.after(filed_on, done_on) if done_on is not None else None
        if taken is not None and taken <= scope.within:
            kept += count
            spans.extend([taken] * count)
        elif days.deadline(filed_on, scope.within) <= day or taken is not None:
            broken += count
            if taken is not None:
                spans.extend([taken] * count)
            late = (taken if taken is not None else days.after(filed_on, day)) - scope.within
            late_pairs.append((late, (filed_on, done_on), count))

    def in_pair(pair: tuple[date, date | None]) -> ColumnElement[bool]:
        filed_on, done_on = pair
        # The same expressions as the groups' (not instant ranges): the items read are exactly
        # the ones counted, whatever text form an instant was stored in.
        return and_(filed_on_sql == filed_on, done_on_sql == done_on if done_on is not None else
                    or_(done_on_sql.is_(None), done_on_sql > day))

    # The exceptions kept only, the latest first and by number.
    late_of = {pair: late for late, pair, _ in late_pairs}
    shown: list[Exception_] = []
    for pairs_, limit in _batches(late_pairs, exceptions):
        for number, text, link, filed_on, triaged_on in (await session.execute(
                select(FeedbackItem.number, FeedbackItem.text, FeedbackItem.permalink, filed_on_sql, done_on_sql)
                .where(*in_window, or_(*[in_pair(p) for p in pairs_]))
                .order_by(FeedbackItem.number).limit(limit))).all():
            pair = (filed_on, triaged_on if triaged_on is not None and triaged_on <= day else None)
            if pair in late_of:
                shown.append(Exception_(f"#{number}", late_of[pair], text or "", link))  # type: ignore[index]
    shown.sort(key=lambda e: (-e.late, int(e.what[1:])))
    return Reading(kept, broken, tuple(shown), tuple(spans))


Key = TypeVar("Key")


def _batches(groups: list[tuple[int, Key, int]], wanted: bool) -> list[tuple[list[Key], int | None]]:
    """The groups to read the kept exceptions from, each batch with its LIMIT: every item of
    the groups later than the EXCEPTIONS_KEPT-th, then the first of those as late as it."""
    if not wanted:
        return []
    above, at, room = _worst(groups, EXCEPTIONS_KEPT)
    return [(keys, limit) for keys, limit in ((above, None), (at, room)) if keys and limit != 0]


def _worst(groups: list[tuple[int, Key, int]], limit: int) -> tuple[list[Key], list[Key], int]:
    """Of (late, group, items) rows, the groups whose every item is among the `limit` latest,
    the groups as late as the last of those (only some of their items fit), and how many fit."""
    groups = sorted(groups, key=lambda g: -g[0])
    above: list[Key] = []
    taken = 0
    for i, (late, key, count) in enumerate(groups):
        if taken + count > limit:
            above = [k for lat, k, _ in groups[:i] if lat > late]
            return above, [k for lat, k, _ in groups if lat == late], limit - sum(c for lat, _, c in groups[:i] if lat > late)
        taken += count
        above.append(key)
    return above, [], 0


async def untriaged(session: AsyncSession, team_id: str, day: date, limit: int = 5) -> list[tuple[int, int, str]]:
    """The oldest items still `new` as of `day`: (number, working days waiting, text)."""
    days, zone = await _workspace_days(session, team_id, day - timedelta(days=400), day)
    cutoff = end_of(day, zone)
    rows = (await session.execute(
        select(FeedbackItem.number, FeedbackItem.created_at, FeedbackItem.text)
        .where(FeedbackItem.team_id == team_id, FeedbackItem.created_at < cutoff,
               FeedbackItem.capture_state == CaptureState.READY, FeedbackItem.status != FeedbackStatus.MERGED,
               or_(FeedbackItem.triaged_at.is_(None), FeedbackItem.triaged_at >= cutoff))
        .order_by(FeedbackItem.created_at, FeedbackItem.number).limit(limit))).all()
    return [(n, days.after(local_day(c, zone) or day, day), t or "") for n, c, t in rows]


# -- launches -----------------------------------------------------------------------------------

async def launch_on_time(session: AsyncSession, team_id: str, day: date, scope: Scope, *,
                         exceptions: bool = True) -> Reading:
    """Checklist items due in the window (launch date + offset), done by their due date. Counted
    per (function, due date, day done) in SQL; the titles are read for the exceptions kept."""
    first, last = window(day, scope.window)
    days, zone = await _workspace_days(session, team_id, first - timedelta(days=1), last)
    # Due dates are launch_date + offset_days: the workspace's offsets bound the launches whose
    # dates could put an item in the window (one aggregate, so the launch date index is used).
    low, high = (await session.execute(select(func.min(LaunchItem.offset_days), func.max(LaunchItem.offset_days))
                                       .where(LaunchItem.team_id == team_id))).one()
    if low is None:
        return Reading(0, 0)
    dialect = session.get_bind().dialect.name
    due = add_days(Launch.launch_date, LaunchItem.offset_days, dialect)
    finished = local_date(LaunchItem.done_at, zone, dialect, first, day)
    in_window = (LaunchItem.team_id == team_id, Launch.team_id == team_id,
                 Launch.launch_date >= first - timedelta(days=high), Launch.launch_date <= last - timedelta(days=low),
                 due.between(first, last),
                 or_(Launch.cancelled_at.is_(None), Launch.cancelled_at >= end_of(day, zone)),
                 *([LaunchItem.function == scope.function] if scope.function else []))
    rows = select(LaunchItem.function.label("function"), due.label("due"),
                  case((LaunchItem.done.is_(True), finished)).label("finished")
                  ).join(Launch, Launch.id == LaunchItem.launch_id).where(*in_window).subquery()
    kept = broken = 0
    spans: list[int] = []
    groups: dict[str, list[int]] = {}
    lateness: dict[str, list[int]] = {}
    late_ones: list[tuple[int, tuple[str, date, date | None], int]] = []
    for function, due_on, finished_on, count in (await session.execute(
            select(rows.c.function, rows.c.due, rows.c.finished, func.count())
            .group_by(rows.c.function, rows.c.due, rows.c.finished))).all():
        finished_on = finished_on if finished_on is not None and finished_on <= day else None  # as of `day`
        group = groups.setdefault(function, [0, 0])
        if finished_on is not None and finished_on <= due_on:
            kept += count
            group[0] += count
            spans.extend([0] * count)
        else:
            broken += count
            group[1] += count
            late = days.after(due_on, finished_on if finished_on is not None else day)
            spans.extend([late] * count)
            lateness.setdefault(function, []).extend([late] * count)
            late_ones.append((late, (function, due_on, finished_on), count))

    def in_group(key: tuple[str, date, date | None]) -> ColumnElement[bool]:
        function, due_on, finished_on = key
        return and_(LaunchItem.function == function, due == due_on, *(
            [LaunchItem.done.is_(True), finished == finished_on] if finished_on is not None
            else [or_(LaunchItem.done.is_(False), finished.is_(None), finished > day)]))

    late_of = {key: late for late, key, _ in late_ones}
    found: list[Exception_] = []
    for keys, limit in _batches(late_ones, exceptions):
        for function, title, launch, channel, due_on, done, finished_on in (await session.execute(
                select(LaunchItem.function, LaunchItem.title, Launch.name, Launch.channel_id, due, LaunchItem.done,
                       finished)
                .join(Launch, Launch.id == LaunchItem.launch_id).where(*in_window, or_(*[in_group(k) for k in keys]))
                .order_by(LaunchItem.title, Launch.name, LaunchItem.id).limit(limit))).all():
            finished_on = finished_on if done else None
            key = (function, due_on, finished_on if finished_on is not None and finished_on <= day else None)
            if key in late_of:
                found.append(Exception_(f"{title} — {launch}", late_of[key], function, channel_id=channel))
    reading = _judge(spans, found, kept, broken)
    return Reading(reading.kept, reading.broken, reading.exceptions, reading.spans,
                   {k: (v[0], v[1]) for k, v in sorted(groups.items())}, {k: tuple(v) for k, v in lateness.items()})


@dataclass(frozen=True)
class Slips:
    launches: int  # launches whose date moved in the window
    moves: int
    days: float | None  # mean days moved (later is positive)


async def launch_slips(session: AsyncSession, team_id: str, first: date, last: date) -> Slips:
    """Date moves recorded in the launches' audit trail within the window (`old → new`)."""
    _, zone = await _workspace_days(session, team_id, first, first)
    rows = (await session.execute(select(LaunchAudit.launch_id, LaunchAudit.detail).where(
        LaunchAudit.team_id == team_id, LaunchAudit.action == "date",
        LaunchAudit.at >= datetime.combine(first, time(0), zone), LaunchAudit.at < end_of(last, zone)))).all()
    moved: list[int] = []
    for _, detail in rows:
        old, _, new = detail.partition(" → ")
        if _is_date(old.strip()) and _is_date(new.strip()):
            moved.append((date.fromisoformat(new.strip()) - date.fromisoformat(old.strip())).days)
    return Slips(len({r[0] for r in rows}), len(moved), round(statistics.mean(moved), 1) if moved else None)


async def decided_before_launch(session: AsyncSession, team_id: str, first: date, last: date) -> tuple[int, int]:
    """Of the launches whose day fell in the window (not cancelled), how many had a go/no-go
    decided before launch day (the first `decision` in the audit trail, local date)."""
    _, zone = await _workspace_days(session, team_id, first, first)
    launches = (await session.execute(select(Launch.id, Launch.launch_date).where(
        Launch.team_id == team_id, Launch.launch_date >= first, Launch.launch_date <= last,
        Launch.cancelled_at.is_(None)))).all()
    decided: dict[int, datetime] = {}
    for chunk in _chunks([i for i, _ in launches]):
        for launch_id, at in (await session.execute(select(LaunchAudit.launch_id, LaunchAudit.at).where(
                LaunchAudit.team_id == team_id, LaunchAudit.launch_id.in_(chunk), LaunchAudit.action == "decision")
                .order_by(LaunchAudit.at))).all():
            decided.setdefault(launch_id, at)
    early = sum(1 for i, day in launches if i in decided and (local_day(decided[i], zone) or day) < day)
    return early, len(launches)


async def loop_closed(session: AsyncSession, team_id: str, first: date, last: date) -> tuple[int, int]:
    """Of the items shipped in the window, how many had every reporter told (their outcome DM
    sent, or folded into the launch-day DM that was). One statement: no reporter without a
    delivery of their outcome (uq_deliveries_team_id_kind_key_period finds each)."""
    _, zone = await _workspace_days(session, team_id, first, first)
    told = select(Delivery.id).where(
        Delivery.team_id == team_id, Delivery.kind == "feedback.outcome",
        Delivery.key == cast(FeedbackItem.number, String) + ":" + FeedbackReporter.user_id,
        Delivery.status.in_([DeliveryStatus.SENT, DeliveryStatus.FOLDED])).correlate(FeedbackItem, FeedbackReporter)
    waiting = select(FeedbackReporter.id).where(FeedbackReporter.item_id == FeedbackItem.id, ~told.exists())
    closed, shipped = (await session.execute(select(
        func.coalesce(func.sum(case((~waiting.exists(), 1), else_=0)), 0), func.count()).where(
        FeedbackItem.team_id == team_id, FeedbackItem.status == FeedbackStatus.SHIPPED,
        FeedbackItem.closed_at >= datetime.combine(first, time(0), zone),
        FeedbackItem.closed_at < end_of(last, zone)))).one()
    return int(closed), int(shipped)


# -- standups -----------------------------------------------------------------------------------

async def _standups(session: AsyncSession, team_id: str, scope: Scope) -> list[Standup]:
    return list((await session.scalars(select(Standup).where(
        Standup.team_id == team_id, *([Standup.id == scope.standup_id] if scope.standup_id else []))
        .order_by(Standup.id))).all())


async def standup_participation(session: AsyncSession, team_id: str, day: date, scope: Scope, *,
                                exceptions: bool = True) -> Reading:
    """Answers given against answers asked for (each participant's standup days, their calendar)."""
    from bot.standups import service as standups

    first, last = window(day, scope.window)
    found = await _standups(session, team_id, scope)
    members = await standups.participants_of(session, [s.id for s in found])
    users = {u for m in members.values() for u in m}
    calendars = await _calendars(session, team_id, users, first - timedelta(days=1))
    _, zone = await _workspace_days(session, team_id, first, first)
    start, end = datetime.combine(first, time(0), zone), end_of(last, zone)
    counts = await standups.participation(session, found, members, calendars, start, end)
    answered = sum(c.answered for c in counts.values())
    expected = sum(c.expected for c in counts.values())
    missed = [Exception_(s.name, counts[s.id].expected - counts[s.id].answered, "")
              for s in found if s.id in counts and counts[s.id].expected > counts[s.id].answered]
    return _judge([], missed, min(answered, expected), max(0, expected - answered))


async def standup_blockers(session: AsyncSession, team_id: str, day: date, scope: Scope, *,
                           exceptions: bool = True) -> Reading:
    """Blockers first reported in the window, cleared within `within` working days (the
    blocked person's calendar)."""
    first, last = window(day, scope.window)
    rows = (await session.execute(
        select(StandupBlocker.user_id, StandupBlocker.text, StandupBlocker.since, StandupBlocker.cleared_on,
               Standup.channel_id)
        .join(Standup, Standup.id == StandupBlocker.standup_id)
        .where(StandupBlocker.team_id == team_id, StandupBlocker.since >= first, StandupBlocker.since <= last,
               *([StandupBlocker.standup_id == scope.standup_id] if scope.standup_id else [])))).all()
    calendars = await _calendars(session, team_id, {r[0] for r in rows}, first - timedelta(days=1))
    shared: dict[tuple[object, ...], WorkingDays] = {}  # one per calendar shape, not per person
    spans_of = {u: shared.get(c.shape()) or shared.setdefault(c.shape(), WorkingDays(c, first - timedelta(days=1), last))
                for u, c in calendars.items()}
    kept = broken = 0
    spans: list[int] = []
    broke: list[Exception_] = []
    for user, text, since, cleared, channel in rows:
        days = spans_of[user]
        cleared = cleared if cleared is not None and cleared <= day else None
        taken = days.after(since, cleared) if cleared is not None else None
        if taken is not None and taken <= scope.within:
            kept += 1
            spans.append(taken)
        elif taken is not None or days.deadline(since, scope.within) <= day:
            broken += 1
            open_for = taken if taken is not None else days.after(since, day)
            spans.append(open_for)
            broke.append(Exception_("blocker", open_for - scope.within, text, user_id=user, channel_id=channel))
    return _judge(spans, broke, kept, broken)


async def open_blockers(session: AsyncSession, team_id: str, day: date, limit: int = 5) -> list[tuple[str, str, int]]:
    """The oldest blockers still open as of `day`: (user, text, working days open)."""
    rows = (await session.execute(
        select(StandupBlocker.user_id, StandupBlocker.text, StandupBlocker.since)
        .where(StandupBlocker.team_id == team_id, StandupBlocker.since <= day,
               or_(StandupBlocker.cleared_on.is_(None), StandupBlocker.cleared_on > day))
        .order_by(StandupBlocker.since, StandupBlocker.id).limit(limit))).all()
    calendars = await _calendars(session, team_id, {r[0] for r in rows}, day - timedelta(days=400))
    return [(u, t, calendars[u].working_days_between(s + timedelta(days=1), day)) for u, t, s in rows]


# -- nudges -------------------------------------------------------------------------------------

NUDGE_KINDS = ("standup.reminder", "launch.nudge")


async def nudges_acted_on(session: AsyncSession, team_id: str, day: date, scope: Scope, *,
                          exceptions: bool = True) -> Reading:
    """Nudges sent in the window followed within `within` working days by what they asked for:
    a standup reminder by that day's answer, a launch nudge by one of its overdue items done."""
    first, last = window(day, scope.window)
    days, zone = await _workspace_days(session, team_id, first - timedelta(days=1), last)
    sent = (await session.execute(
        select(Delivery.kind, Delivery.key, Delivery.period, Delivery.recipient, Delivery.sent_at, Delivery.data)
        .where(Delivery.team_id == team_id, Delivery.kind.in_(NUDGE_KINDS), Delivery.status == DeliveryStatus.SENT,
               Delivery.sent_at >= datetime.combine(first, time(0), zone), Delivery.sent_at < end_of(last, zone))
    )).all()
    answers: dict[tuple[int, str, date], datetime] = {}
    reminders = [(int(k.split(":")[0]), k.split(":", 1)[1], date.fromisoformat(p)) for kind, k, p, *_ in sent
                 if kind == "standup.reminder" and ":" in k and k.split(":")[0].isdigit() and _is_date(p)]
    if reminders:
        # The answers of the reminded standups over the reminders' days
        # (ix_standup_answers_standup_id_day) that a reminder asked for: the database matches
        # each to its reminder (uq_deliveries_team_id_kind_key_period), so only those come back.
        dialect = session.get_bind().dialect.name
        reminded = select(Delivery.id).where(
            Delivery.team_id == team_id, Delivery.kind == "standup.reminder",
            Delivery.key == cast(StandupAnswer.standup_id, String) + ":" + StandupAnswer.user_id,
            Delivery.period == date_text(StandupAnswer.day, dialect), Delivery.status == DeliveryStatus.SENT)
        for sid, user, d, created in (await session.execute(
                select(StandupAnswer.standup_id, StandupAnswer.user_id, StandupAnswer.day, StandupAnswer.created_at)
                .where(StandupAnswer.standup_id.in_(sorted({s for s, _, _ in reminders})),
                       StandupAnswer.day >= min(d for *_, d in reminders),
                       StandupAnswer.day <= max(d for *_, d in reminders),
                       StandupAnswer.team_id == team_id, reminded.exists()))).all():
            answers[(sid, user, d)] = created
    item_ids = {int(i) for kind, *_, data in sent if kind == "launch.nudge"
                for i, *_ in (data or {}).get("overdue", []) if str(i).isdigit()}
    done: dict[int, datetime] = {}
    for chunk in _chunks(sorted(item_ids)):
        for item_id, done_at in (await session.execute(select(LaunchItem.id, LaunchItem.done_at).where(
                LaunchItem.team_id == team_id, LaunchItem.id.in_(chunk), LaunchItem.done_at.is_not(None)))).all():
            done[item_id] = done_at
    kept = broken = 0
    spans: list[int] = []
    broke: list[Exception_] = []
    for kind, key, period, recipient, sent_at, data in sent:
        nudged = local_day(sent_at, zone)
        assert nudged is not None
        if kind == "standup.reminder":
            sid, _, user = key.partition(":")
            followed = [answers.get((int(sid), user, date.fromisoformat(period)))] if sid.isdigit() and _is_date(period) else []
            what = "standup reminder"
        else:
            followed = [done.get(int(i)) for i, *_ in (data or {}).get("overdue", []) if str(i).isdigit()]
            what = "launch nudge"
        acted = [d for d in (local_day(f, zone) for f in followed if f is not None) if d is not None and d <= day]
        taken = days.after(nudged, min(acted)) if acted else None
        if taken is not None and taken <= scope.within:
            kept += 1
            spans.append(taken)
        elif taken is not None or days.deadline(nudged, scope.within) <= day:
            broken += 1
            broke.append(Exception_(what, (taken if taken is not None else days.after(nudged, day)) - scope.within,
                                         nudged.isoformat(), user_id=recipient))
    return _judge(spans, broke, kept, broken)


async def nudges_per_person_week(session: AsyncSession, team_id: str, day: date, days_back: int) -> float | None:
    """Nudges sent per person nudged per week over the window (is the bot noisy?)."""
    first, last = window(day, days_back)
    _, zone = await _workspace_days(session, team_id, first, first)
    rows = (await session.execute(select(Delivery.recipient).where(
        Delivery.team_id == team_id, Delivery.nudge.is_(True), Delivery.status == DeliveryStatus.SENT,
        Delivery.sent_at >= datetime.combine(first, time(0), zone), Delivery.sent_at < end_of(last, zone)))).all()
    people = {r[0] for r in rows}
    return round(len(rows) / len(people) / (days_back / 7), 2) if people else None  # nobody nudged


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
        return True
    except ValueError:
        return False


def _chunks(ids: list[Key], size: int = 500) -> Iterable[list[Key]]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def median(values: Iterable[int]) -> float | None:
    found = list(values)
    return float(statistics.median(found)) if found else None


def p90(values: Iterable[int]) -> float | None:
    found = sorted(values)
    if not found:
        return None
    return float(found[min(len(found) - 1, int(round(0.9 * (len(found) - 1))))])


class Compute(Protocol):
    """A metric's reading as of a day; without `exceptions` its counts and spans only (the
    daily values and the report show no items, and reading their texts is most of the cost)."""

    def __call__(self, session: AsyncSession, team_id: str, day: date, scope: Scope, *,
                 exceptions: bool = True) -> Awaitable[Reading]: ...


@dataclass(frozen=True)
class Metric:
    key: str
    area: str  # feedback | launches | standups | nudges (the report's sections)
    label: str  # "{within}": the agreement's working days, "3 working days"
    compute: Compute
    within: int  # the default
    target: float  # the default, percent kept
    scoped_by: str | None = None  # "function" | "standup"


METRICS: dict[str, Metric] = {m.key: m for m in (
    Metric("feedback.triage", "feedback", "Feedback triaged within {within}", feedback_triage, 3, 90),
    Metric("launch.on_time", "launches", "Checklist items done by their due date", launch_on_time, 0, 80,
           scoped_by="function"),
    Metric("standup.participation", "standups", "Standup answers given", standup_participation, 0, 85,
           scoped_by="standup"),
    Metric("standup.blockers", "standups", "Blockers cleared within {within}", standup_blockers, 2, 80,
           scoped_by="standup"),
    Metric("nudge.acted_on", "nudges", "Nudges acted on within {within}", nudges_acted_on, 1, 60),
)}
