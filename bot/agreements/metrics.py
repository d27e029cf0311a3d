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
from collections.abc import Callable, Awaitable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar.load import calendars_for
from bot.calendar.working import Calendar
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


@dataclass(frozen=True)
class Reading:
    kept: int
    broken: int
    exceptions: tuple[Exception_, ...] = ()
    spans: tuple[int, ...] = ()  # working days each decided thing took (medians, p90)
    by_group: dict[str, tuple[int, int]] = field(default_factory=dict)  # function -> (kept, broken)

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


async def _workspace_days(session: AsyncSession, team_id: str, first: date, last: date) -> tuple[WorkingDays, ZoneInfo]:
    cal = (await calendars_for(session, team_id, [WORKSPACE], from_day=first))[WORKSPACE]
    return WorkingDays(cal, first, last), cal.zone


# -- feedback -----------------------------------------------------------------------------------

async def feedback_triage(session: AsyncSession, team_id: str, day: date, scope: Scope) -> Reading:
    """Items filed in the window, triaged (first moved from `new`) within `within` working days."""
    first, last = window(day, scope.window)
    days, zone = await _workspace_days(session, team_id, first - timedelta(days=1), last)
    start = datetime.combine(first, time(0), zone)
    rows = (await session.execute(
        select(FeedbackItem.number, FeedbackItem.created_at, FeedbackItem.triaged_at)
        .where(FeedbackItem.team_id == team_id, FeedbackItem.created_at >= start,
               FeedbackItem.created_at < end_of(last, zone), FeedbackItem.capture_state == CaptureState.READY,
               FeedbackItem.status != FeedbackStatus.MERGED))).all()
    kept = broken = 0
    spans: list[int] = []
    late_ones: list[tuple[int, int]] = []
    for number, created, triaged in rows:
        filed = local_day(created, zone)
        assert filed is not None
        done = local_day(triaged, zone)
        done = done if done is not None and done <= day else None  # as of `day`
        taken = days.after(filed, done) if done is not None else None
        if taken is not None and taken <= scope.within:
            kept += 1
            spans.append(taken)
        elif days.deadline(filed, scope.within) <= day or taken is not None:
            broken += 1
            late = (taken if taken is not None else days.after(filed, day)) - scope.within
            if taken is not None:
                spans.append(taken)
            late_ones.append((number, late))
    # The text and link of the exceptions kept only (a window holds thousands of items).
    late_ones.sort(key=lambda n: (-n[1], n[0]))
    shown = dict(late_ones[:EXCEPTIONS_KEPT])
    found = {n: (t, p) for n, t, p in (await session.execute(
        select(FeedbackItem.number, FeedbackItem.text, FeedbackItem.permalink).where(
            FeedbackItem.team_id == team_id, FeedbackItem.number.in_(list(shown))))).all()} if shown else {}
    exceptions = [Exception_(f"#{n}", late, found.get(n, ("", None))[0] or "", found.get(n, ("", None))[1])
                  for n, late in shown.items()]
    return _judge(spans, exceptions, kept, broken)


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

async def launch_on_time(session: AsyncSession, team_id: str, day: date, scope: Scope) -> Reading:
    """Checklist items due in the window (launch date + offset), done by their due date."""
    first, last = window(day, scope.window)
    days, zone = await _workspace_days(session, team_id, first - timedelta(days=1), last)
    # Due dates are launch_date + offset_days: the workspace's offsets bound the launches whose
    # dates could put an item in the window (one aggregate), then the items, filtered in Python.
    low, high = (await session.execute(select(func.min(LaunchItem.offset_days), func.max(LaunchItem.offset_days))
                                       .where(LaunchItem.team_id == team_id))).one()
    if low is None:
        return Reading(0, 0)
    rows = (await session.execute(
        select(LaunchItem.id, LaunchItem.function, LaunchItem.title, LaunchItem.offset_days, LaunchItem.done,
               LaunchItem.done_at, Launch.name, Launch.launch_date)
        .join(Launch, Launch.id == LaunchItem.launch_id)
        .where(LaunchItem.team_id == team_id, Launch.team_id == team_id,
               Launch.launch_date >= first - timedelta(days=high), Launch.launch_date <= last - timedelta(days=low),
               or_(Launch.cancelled_at.is_(None), Launch.cancelled_at >= end_of(day, zone)),
               *([LaunchItem.function == scope.function] if scope.function else [])))).all()
    kept = broken = 0
    spans: list[int] = []
    exceptions: list[Exception_] = []
    groups: dict[str, list[int]] = {}
    for _, function, title, offset, done, done_at, launch, launch_date in rows:
        due = launch_date + timedelta(days=offset)
        if not first <= due <= last:
            continue
        finished = local_day(done_at, zone) if done else None
        finished = finished if finished is not None and finished <= day else None
        group = groups.setdefault(function, [0, 0])
        if finished is not None and finished <= due:
            kept += 1
            group[0] += 1
            spans.append(0)
        else:
            broken += 1
            group[1] += 1
            late = days.after(due, finished if finished is not None else day)
            spans.append(late)
            exceptions.append(Exception_(f"{title} — {launch}", late, function))
    reading = _judge(spans, exceptions, kept, broken)
    return Reading(reading.kept, reading.broken, reading.exceptions, reading.spans,
                   {k: (v[0], v[1]) for k, v in sorted(groups.items())})


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
    sent, or folded into the launch-day DM that was)."""
    _, zone = await _workspace_days(session, team_id, first, first)
    items = (await session.execute(select(FeedbackItem.id, FeedbackItem.number).where(
        FeedbackItem.team_id == team_id, FeedbackItem.status == FeedbackStatus.SHIPPED,
        FeedbackItem.closed_at >= datetime.combine(first, time(0), zone),
        FeedbackItem.closed_at < end_of(last, zone)))).all()
    closed = 0
    numbers = dict(items)
    for chunk in _chunks(list(numbers)):
        reporters = (await session.execute(select(FeedbackReporter.item_id, FeedbackReporter.user_id).where(
            FeedbackReporter.item_id.in_(chunk)))).all()
        keys = [f"{numbers[i]}:{u}" for i, u in reporters]
        told = set((await session.scalars(select(Delivery.key).where(
            Delivery.team_id == team_id, Delivery.kind == "feedback.outcome", Delivery.key.in_(keys),
            Delivery.status.in_([DeliveryStatus.SENT, DeliveryStatus.FOLDED])))).all()) if keys else set()
        waiting = {i for i, u in reporters if f"{numbers[i]}:{u}" not in told}
        closed += sum(1 for i in chunk if i not in waiting)
    return closed, len(items)


# -- standups -----------------------------------------------------------------------------------

async def _standups(session: AsyncSession, team_id: str, scope: Scope) -> list[Standup]:
    return list((await session.scalars(select(Standup).where(
        Standup.team_id == team_id, *([Standup.id == scope.standup_id] if scope.standup_id else []))
        .order_by(Standup.id))).all())


async def standup_participation(session: AsyncSession, team_id: str, day: date, scope: Scope) -> Reading:
    """Answers given against answers asked for (each participant's standup days, their calendar)."""
    from bot.standups import service as standups

    first, last = window(day, scope.window)
    found = await _standups(session, team_id, scope)
    members = await standups.participants_of(session, [s.id for s in found])
    users = {u for m in members.values() for u in m}
    calendars = await calendars_for(session, team_id, users, from_day=first - timedelta(days=1))
    zone = (await calendars_for(session, team_id, [WORKSPACE], from_day=first))[WORKSPACE].zone
    start, end = datetime.combine(first, time(0), zone), end_of(last, zone)
    counts = await standups.participation(session, found, members, calendars, start, end)
    answered = sum(c.answered for c in counts.values())
    expected = sum(c.expected for c in counts.values())
    missed = [Exception_(s.name, counts[s.id].expected - counts[s.id].answered, "")
              for s in found if s.id in counts and counts[s.id].expected > counts[s.id].answered]
    return _judge([], missed, min(answered, expected), max(0, expected - answered))


async def standup_blockers(session: AsyncSession, team_id: str, day: date, scope: Scope) -> Reading:
    """Blockers first reported in the window, cleared within `within` working days (the
    blocked person's calendar)."""
    first, last = window(day, scope.window)
    rows = (await session.execute(
        select(StandupBlocker.user_id, StandupBlocker.text, StandupBlocker.since, StandupBlocker.cleared_on)
        .join(Standup, Standup.id == StandupBlocker.standup_id)
        .where(StandupBlocker.team_id == team_id, StandupBlocker.since >= first, StandupBlocker.since <= last,
               *([StandupBlocker.standup_id == scope.standup_id] if scope.standup_id else [])))).all()
    calendars = await calendars_for(session, team_id, {r[0] for r in rows}, from_day=first - timedelta(days=1))
    spans_of = {u: WorkingDays(c, first - timedelta(days=1), last) for u, c in calendars.items()}
    kept = broken = 0
    spans: list[int] = []
    exceptions: list[Exception_] = []
    for user, text, since, cleared in rows:
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
            exceptions.append(Exception_("blocker", open_for - scope.within, text, user_id=user))
    return _judge(spans, exceptions, kept, broken)


async def open_blockers(session: AsyncSession, team_id: str, day: date, limit: int = 5) -> list[tuple[str, str, int]]:
    """The oldest blockers still open as of `day`: (user, text, working days open)."""
    rows = (await session.execute(
        select(StandupBlocker.user_id, StandupBlocker.text, StandupBlocker.since)
        .where(StandupBlocker.team_id == team_id, StandupBlocker.since <= day,
               or_(StandupBlocker.cleared_on.is_(None), StandupBlocker.cleared_on > day))
        .order_by(StandupBlocker.since, StandupBlocker.id).limit(limit))).all()
    calendars = await calendars_for(session, team_id, {r[0] for r in rows}, from_day=day - timedelta(days=400))
    return [(u, t, calendars[u].working_days_between(s + timedelta(days=1), day)) for u, t, s in rows]


# -- nudges -------------------------------------------------------------------------------------

NUDGE_KINDS = ("standup.reminder", "launch.nudge")


async def nudges_acted_on(session: AsyncSession, team_id: str, day: date, scope: Scope) -> Reading:
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
        # The answers of the reminded standups over the reminders' days, one range read
        # (ix_standup_answers_standup_id_day), matched to the reminders here: however many.
        wanted = set(reminders)
        for sid, user, d, created in (await session.execute(
                select(StandupAnswer.standup_id, StandupAnswer.user_id, StandupAnswer.day, StandupAnswer.created_at)
                .where(StandupAnswer.standup_id.in_(sorted({s for s, _, _ in wanted})),
                       StandupAnswer.day >= min(d for *_, d in wanted), StandupAnswer.day <= max(d for *_, d in wanted),
                       StandupAnswer.team_id == team_id))).all():
            if (sid, user, d) in wanted:
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
    exceptions: list[Exception_] = []
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
            exceptions.append(Exception_(what, (taken if taken is not None else days.after(nudged, day)) - scope.within,
                                         nudged.isoformat(), user_id=recipient))
    return _judge(spans, exceptions, kept, broken)


async def nudges_per_person_week(session: AsyncSession, team_id: str, day: date, days_back: int) -> float:
    """Nudges sent per person nudged per week over the window (is the bot noisy?)."""
    first, last = window(day, days_back)
    _, zone = await _workspace_days(session, team_id, first, first)
    rows = (await session.execute(select(Delivery.recipient).where(
        Delivery.team_id == team_id, Delivery.nudge.is_(True), Delivery.status == DeliveryStatus.SENT,
        Delivery.sent_at >= datetime.combine(first, time(0), zone), Delivery.sent_at < end_of(last, zone)))).all()
    people = {r[0] for r in rows}
    return round(len(rows) / len(people) / (days_back / 7), 2) if people else 0.0


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
        return True
    except ValueError:
        return False


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
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


Compute = Callable[[AsyncSession, str, date, Scope], Awaitable[Reading]]


@dataclass(frozen=True)
class Metric:
    key: str
    area: str  # feedback | launches | standups | nudges (the report's sections)
    label: str  # "{within}" is the agreement's working days
    compute: Compute
    within: int  # the default
    target: float  # the default, percent kept
    scoped_by: str | None = None  # "function" | "standup"


METRICS: dict[str, Metric] = {m.key: m for m in (
    Metric("feedback.triage", "feedback", "Feedback triaged within {within} working days", feedback_triage, 3, 90),
    Metric("launch.on_time", "launches", "Checklist items done by their due date", launch_on_time, 0, 80,
           scoped_by="function"),
    Metric("standup.participation", "standups", "Standup answers given", standup_participation, 0, 85,
           scoped_by="standup"),
    Metric("standup.blockers", "standups", "Blockers cleared within {within} working days", standup_blockers, 2, 80,
           scoped_by="standup"),
    Metric("nudge.acted_on", "nudges", "Nudges acted on within {within} working days", nudges_acted_on, 1, 60),
)}
