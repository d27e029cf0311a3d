"""The standup day on the shared mechanism: prompts and reminders are notices (bot/notify/),
found by the minute tick through each participant's `next_at` (one indexed range, however many
participants), and the day's summary is a claimed post found through the standup's
`next_summary_at`.

A prompt or reminder whose deadline has passed is skipped and recorded, not sent late (a bot
that was down at 09:30 and is back at 10:15 still prompts; back at 11:05, it does not). The
notifier holds them outside the person's working time, on holidays and away days, and each
renders from the current state: someone who already answered, a standup paused or deleted, or a
deadline passed while held, gets nothing.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from bot import clock
from bot.calendar.load import calendar_of, calendars_of
from bot.calendar.working import Calendar
from bot.duties import Due, Duty, WorkItem, unsettled as unsettled_keys
from bot.notify.notice import Message, Notice, NoticeKind, Render
from bot.runtime import Runtime
from bot.standups import blocks, flows, schedule, service
from bot.standups.schedule import PROMPT, Moment
from models.launch import Launch
from models.person import Person
from models.standup import Standup, StandupBlocker, StandupMember
from models.workspace import Workspace

PROMPT_KIND = "standup.prompt"
REMINDER_KIND = "standup.reminder"
BLOCKER_KIND = "standup.blocker"  # to the standup's owner, once per blocker
LAUNCH_LINE_KIND = "standup.blocker.launch"  # in the named launch's checklist thread, once per blocker
RECHECK_AFTER = timedelta(days=1)  # a paused standup's participants are looked at again this much later
SUMMARY_GRACE = timedelta(hours=12)  # a summary posts when the bot is back within this; skipped after
CATCH_UP = 4  # moments handed on per participant after downtime (the rest were past their deadline long ago)


def _key(standup_id: int, user_id: str) -> str:
    return f"{standup_id}:{user_id}"


def _notice(standup: Standup, user_id: str, m: Moment) -> Notice:
    kind = PROMPT_KIND if m.event == PROMPT else REMINDER_KIND
    what = (f"standup {'prompt' if m.event == PROMPT else 'reminder'} to {user_id} in {standup.team_id} "
            f"(standup {standup.id}) for {m.day.isoformat()}")
    return Notice(standup.team_id, kind, _key(standup.id, user_id), m.day.isoformat(), user_id, what,
                  {"s": standup.id, "d": m.day.isoformat()})


Move = tuple[int, datetime | None, datetime, date | None, str | None]  # member id, as read, next at/day/event


async def _due_moments(rt: Runtime, at: datetime) -> Due:
    """Participants whose next prompt or reminder has come, whose next_at was never computed,
    or whose zone or hours changed since it was (the tick's day starts name those people)."""
    starts = await rt.duties.starts(rt, at)
    changed = [person_id for person_id, read, _ in starts.moves if read is None]
    base = (select(StandupMember, Standup, Person)
            .join(Standup, Standup.id == StandupMember.standup_id)
            .join(Person, (Person.team_id == StandupMember.team_id) & (Person.user_id == StandupMember.user_id))
            .where(Person.deleted.is_not(True), Person.is_bot.is_not(True)))
    async with rt.db.unit_of_work() as session:
        rows = list((await session.execute(base.where(or_(StandupMember.next_at.is_(None),
                                                            StandupMember.next_at <= at)))).all())
        seen = {member.id for member, _, _ in rows}
        for i in range(0, len(changed), 500):
            extra = await session.execute(base.where(Person.id.in_(changed[i:i + 500])))
            rows.extend(r for r in extra.all() if r[0].id not in seen)
        changed_ids = set(changed)
        recompute = {member.id for member, _, person in rows if person.id in changed_ids}
        calendars = await calendars_of(session, list({p.id: p for _, _, p in rows}.values()),
                                       from_day=(at - timedelta(days=2)).date())
    items: list[WorkItem] = []
    moves: list[Move] = []
    for member, standup, person in rows:
        cal = calendars[(person.team_id, person.user_id)]
        t = service.times(standup)
        read = member.next_at
        if standup.paused_at is not None or not t.days:
            moves.append((member.id, read, at + RECHECK_AFTER, None, None))
            continue
        if read is None or member.id in recompute:
            day = schedule.day_open_at(cal, t, at)
            found = [m for m in schedule.moments(cal, t, day, day) if m.at <= at] if day is not None else []
        else:
            first = cal.local_date(read) - timedelta(days=1)
            found = [m for m in schedule.moments(cal, t, first, cal.local_date(at)) if read <= m.at <= at][-CATCH_UP:]
        for m in found:
            notice = _notice(standup, member.user_id, m)
            items.append(WorkItem(standup.team_id, notice.kind, notice.key, notice.period, m.at, notice.what,
                                  notice=notice, calendar=cal, expires_at=schedule.deadline_at(cal, t, m.day)))
        following = schedule.next_moment(cal, t, at)
        if following is None:
            moves.append((member.id, read, at + RECHECK_AFTER, None, None))
        else:
            moves.append((member.id, read, following.at, following.day, following.event))

    async def advance() -> None:
        await _advance_members(rt, moves)

    return Due(items, advance)


async def _advance_members(rt: Runtime, moves: list[Move]) -> None:
    """Each participant's next moment, written where nobody changed it since it was read (a
    compare-and-set per group sharing both values: participants in one zone)."""
    groups: dict[tuple[datetime | None, datetime, date | None, str | None], list[int]] = defaultdict(list)
    for member_id, read, at, day, event in moves:
        groups[(read, at, day, event)].append(member_id)
    async with rt.db.unit_of_work() as session:
        for (read, at, day, event), ids in groups.items():
            for i in range(0, len(ids), 500):
                same = StandupMember.next_at.is_(None) if read is None else StandupMember.next_at == read
                await session.execute(update(StandupMember).where(StandupMember.id.in_(ids[i:i + 500]), same)
                                      .values(next_at=at, next_day=day, next_event=event)
                                      .execution_options(synchronize_session=False))


# -- the day's summary ------------------------------------------------------------------------------

async def _due_summaries(rt: Runtime, at: datetime) -> Due:
    async with rt.db.unit_of_work() as session:
        standups = list((await session.scalars(select(Standup).where(
            or_(Standup.next_summary_at.is_(None), Standup.next_summary_at <= at)))).all())
        zones = await _zones(session, standups)
    items: list[WorkItem] = []
    moves: list[tuple[int, datetime | None, datetime, date | None]] = []
    for s in standups:
        t = service.times(s)
        if s.paused_at is not None or not t.days:
            moves.append((s.id, s.next_summary_at, at + RECHECK_AFTER, None))
            continue
        found = zones[s.id]
        day = s.next_summary_day if s.next_summary_at is not None else None
        if day is not None and t.is_day(day):
            when = schedule.summary_at(found, t, day)  # the zones may have moved since it was computed
            if when > at:
                moves.append((s.id, s.next_summary_at, when, day))
                continue
            items.append(_summary_item(s, day, when))
        caught = schedule.latest_summary(found, t, at, after=day) if day is not None else None
        if caught is not None:  # back after days down: the latest day's too (its grace may still hold)
            items.append(_summary_item(s, caught[1], caught[0]))
        following = schedule.next_summary(found, t, at)
        moves.append((s.id, s.next_summary_at, following[0], following[1]) if following
                     else (s.id, s.next_summary_at, at + RECHECK_AFTER, None))

    async def advance() -> None:
        async with rt.db.unit_of_work() as session:
            unsettled = {int(key) for key in await unsettled_keys(session, items, at, SUMMARY_GRACE)}
            for standup_id, read, when, day in moves:
                if standup_id in unsettled:
                    continue  # the next tick finds the same day again; its claim decides who posts
                same = Standup.next_summary_at.is_(None) if read is None else Standup.next_summary_at == read
                await session.execute(update(Standup).where(Standup.id == standup_id, same)
                                      .values(next_summary_at=when, next_summary_day=day)
                                      .execution_options(synchronize_session=False))

    return Due(items, advance)


def _summary_item(s: Standup, day: date, when: datetime) -> WorkItem:
    return WorkItem(s.team_id, flows.SUMMARY_POST, str(s.id), day.isoformat(), when,
                    f"standup summary of standup {s.id} in {s.team_id} for {day.isoformat()}",
                    payload=(s.id, day), lane=s.channel_id)


async def _zones(session: Any, standups: list[Standup]) -> dict[int, list[Any]]:
    """Each standup's participants' zones (the workspace's for those Slack gave none)."""
    found: dict[int, set[str | None]] = defaultdict(set)
    ids = [s.id for s in standups]
    for i in range(0, len(ids), 500):
        rows = await session.execute(
            select(StandupMember.standup_id, Person.tz).distinct()
            .join(Person, (Person.team_id == StandupMember.team_id) & (Person.user_id == StandupMember.user_id))
            .where(StandupMember.standup_id.in_(ids[i:i + 500]), Person.deleted.is_not(True)))
        for standup_id, tz in rows:
            found[standup_id].add(tz)
    teams = {s.team_id for s in standups}
    defaults = dict((await session.execute(select(Workspace.team_id, Workspace.timezone)
                                           .where(Workspace.team_id.in_(teams)))).all()) if teams else {}
    return {s.id: sorted({clock.zone(tz or defaults.get(s.team_id)) for tz in (found[s.id] or {None})},
                         key=str) for s in standups}


async def _send_summary(rt: Runtime, item: WorkItem) -> None:
    standup_id, day = item.payload
    await flows.post_summary(rt, item.team_id, standup_id, day)


# -- rendering the notices ------------------------------------------------------------------------

async def _still_due(rt: Runtime, notice: Notice) -> tuple[Standup, date, Calendar] | None:
    """The standup and day of a prompt or reminder, when it still has something to ask: the
    standup exists and runs, the person still takes part and has not answered, and the day's
    deadline (in their zone as it is now) has not passed."""
    day = date.fromisoformat(str(notice.data["d"]))
    async with rt.db.unit_of_work() as session:
        standup = await session.get(Standup, int(notice.data["s"]))
        if standup is None or standup.team_id != notice.team_id or standup.paused_at is not None:
            return None
        if not await service.is_member(session, standup.id, notice.to):
            return None
        if await service.answer_of(session, standup.id, notice.to, day) is not None:
            return None
        cal = await calendar_of(session, notice.team_id, notice.to, from_day=day - timedelta(days=1))
    if clock.now() >= schedule.deadline_at(cal, service.times(standup), day):
        return None
    return standup, day, cal


def _deadline_text(cal: Calendar, standup: Standup, day: date) -> str:
    return schedule.deadline_at(cal, service.times(standup), day).astimezone(cal.zone).strftime("%H:%M")


def _render_ask(reminder: bool) -> Render:
    async def render(rt: Runtime, notice: Notice) -> list[Message]:
        found = await _still_due(rt, notice)
        if found is None:
            return []
        standup, day, cal = found
        text, body = blocks.prompt_message(standup.id, standup.name, day, _deadline_text(cal, standup, day),
                                           reminder=reminder)
        return [Message(text, body)]

    return render


render_prompt, render_reminder = _render_ask(reminder=False), _render_ask(reminder=True)


async def _open_blocker(rt: Runtime, notice: Notice) -> tuple[StandupBlocker, Standup] | None:
    async with rt.db.unit_of_work() as session:
        blocker = await session.get(StandupBlocker, int(notice.data["b"]))
        if blocker is None or blocker.team_id != notice.team_id or blocker.cleared_on is not None:
            return None
        standup = await session.get(Standup, blocker.standup_id)
        return (blocker, standup) if standup is not None else None


async def render_blocker(rt: Runtime, notice: Notice) -> list[Message]:
    """To the owner: the blocker as it reads now (nothing when it was cleared meanwhile)."""
    found = await _open_blocker(rt, notice)
    if found is None:
        return []
    blocker, standup = found
    launch = None
    if blocker.launch_id is not None:
        async with rt.db.unit_of_work() as session:
            row = await session.get(Launch, blocker.launch_id)
            launch = row.name if row is not None else None
    text, body = blocks.blocker_dm(standup.name, blocker.user_id, blocker.text, launch)
    return [Message(text, body)]


async def render_launch_line(rt: Runtime, notice: Notice) -> list[Message]:
    found = await _open_blocker(rt, notice)
    if found is None or found[0].launch_id is None:
        return []
    blocker, standup = found
    async with rt.db.unit_of_work() as session:
        launch = await session.get(Launch, blocker.launch_id)
        names = await service.names_of(session, blocker.team_id, [blocker.user_id])
    if launch is None or launch.cancelled_at is not None or not launch.message_ts:
        return []
    line = blocks.launch_blocker_line(standup.name, names.get(blocker.user_id, blocker.user_id), blocker.text)
    return [Message(line, [], channel=launch.channel_id, thread_ts=launch.message_ts)]


NOTICES = (
    # A prompt waits for the person's working time (a 09:30 prompt for someone who starts at 10:00
    # goes at 10:00) and renders nothing once the deadline has passed; not a nudge: it is the
    # standup itself, so it neither counts against the daily budget nor offers a snooze.
    NoticeKind(PROMPT_KIND, "standup prompts", render_prompt, nudge=False),
    # The one reminder is a nudge: budgeted and snoozable, like every other nudge.
    NoticeKind(REMINDER_KIND, "standup reminders", render_reminder),
    NoticeKind(BLOCKER_KIND, "standup blockers", render_blocker, nudge=False),
    NoticeKind(LAUNCH_LINE_KIND, "standup blockers on launches", render_launch_line, personal=False, nudge=False),
)

# A prompt may go late, up to its deadline (WorkItem.expires_at decides; the grace only bounds it).
STANDUP_MOMENTS = Duty("standup prompts", _due_moments, grace=timedelta(hours=24))
# A summary posts when the bot is back within half a day of the last deadline, and is skipped after.
STANDUP_SUMMARIES = Duty("standup summaries", _due_summaries, send=_send_summary, grace=SUMMARY_GRACE,
                         retry_every=timedelta(minutes=5))
