"""Launch nudges on the shared mechanism: the minute tick's day starts (bot/calendar/starts.py)
say whose working day has begun; each of them with open items overdue or due by tomorrow gets
one DM through the notifier (bot/notify/), once per person and local day.

Items whose owner left the workspace, and unassigned ones, go to the launch owner. An overdue
item still open a day after the nudge that named it gets a line in its launch's checklist
thread; two days after, a post in the launch's channel: each step once per item and due date.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.duties import Duty, WorkItem
from bot.launches import blocks, service
from bot.launches.service import NudgeItem
from bot.notify.notice import Message, Notice, NoticeKind, Step
from bot.runtime import Runtime

NUDGE_KIND = "launch.nudge"  # per person and local day
THREAD_STEP = "launch.overdue.thread"  # per item and due date
CHANNEL_STEP = "launch.overdue.channel"


def _wanted(items: list[NudgeItem], day: date) -> list[NudgeItem]:
    return sorted((i for i in items if i.due <= day + timedelta(days=1)), key=lambda i: i.due)


def _what(team_id: str, person: str, day: date, count: int) -> str:
    return f"launch nudge to {person} in {team_id} for {day.isoformat()} ({count} item{'s' if count != 1 else ''})"


async def _due(rt: Runtime, at: datetime) -> list[WorkItem]:
    starts = (await rt.duties.starts(rt, at)).started
    if not starts:
        return []
    latest = max(s.day for s in starts) + timedelta(days=1)
    async with rt.db.unit_of_work() as session:
        grouped = await service.open_items_for(session, {(s.team_id, s.user_id) for s in starts}, latest)
    work: list[WorkItem] = []
    for s in starts:
        items = _wanted(grouped.get((s.team_id, s.user_id), []), s.day)
        if not items:
            continue
        overdue = [[i.item_id, i.due.isoformat()] for i in items if i.due < s.day]
        notice = Notice(s.team_id, NUDGE_KIND, s.user_id, s.day.isoformat(), s.user_id,
                        _what(s.team_id, s.user_id, s.day, len(items)),
                        {"day": s.day.isoformat(), "overdue": overdue})
        work.append(WorkItem(s.team_id, NUDGE_KIND, s.user_id, s.day.isoformat(), s.at, notice.what, notice=notice,
                             calendar=s.calendar))
    return work


async def _items(rt: Runtime, notice: Notice) -> tuple[date, list[NudgeItem]]:
    day = date.fromisoformat(str(notice.data["day"]))
    async with rt.db.unit_of_work() as session:
        grouped = await service.open_items_for(session, {(notice.team_id, notice.to)}, day + timedelta(days=1))
    return day, _wanted(grouped.get((notice.team_id, notice.to), []), day)


async def render_nudge(rt: Runtime, notice: Notice) -> list[Message]:
    """What is still open when it goes out (a nudge held or retried reads the items again)."""
    day, items = await _items(rt, notice)
    if not items:
        return []
    text, body = blocks.nudge(notice.to, items, day)
    return [Message(text, body)]


def _per_item(notice: Notice, kind: str) -> list[Notice]:
    """One step notice per overdue item, keyed by the item and its due date: each escalates once."""
    return [Notice(notice.team_id, kind, f"item:{item_id}", due, notice.to,
                   f"overdue launch item {item_id} of {notice.to} (due {due}): thread line",
                   {"day": notice.data["day"], "item": item_id})
            for item_id, due in notice.data.get("overdue", [])]


async def _still_overdue(rt: Runtime, notice: Notice) -> NudgeItem | None:
    day, items = await _items(rt, notice)
    return next((i for i in items if i.item_id == notice.data.get("item") and i.due < day), None)


async def render_thread_step(rt: Runtime, notice: Notice) -> list[Message]:
    item = await _still_overdue(rt, notice)
    if item is None or not item.message_ts:
        return []
    text = blocks.escalation_line(item, notice.to, in_thread=True)
    return [Message(text, [], channel=item.channel_id, thread_ts=item.message_ts)]


async def render_channel_step(rt: Runtime, notice: Notice) -> list[Message]:
    item = await _still_overdue(rt, notice)
    if item is None:
        return []
    return [Message(blocks.escalation_line(item, notice.to, in_thread=False), [], channel=item.channel_id)]


NOTICES = (
    # A daily nudge whose day is over says nothing useful tomorrow: dropped outside working time.
    NoticeKind(NUDGE_KIND, "launch nudges", render_nudge, when_quiet="drop",
               escalation=(Step(timedelta(days=1), THREAD_STEP, _per_item),)),
    # The steps name the person, so their calendar and their snooze of launch nudges apply: held
    # over weekends, away days and nights, then sent if the item is still open (render decides;
    # no expiry, a held step is as true on Monday). The channel step is scheduled only once the
    # thread line went out, a day after it.
    NoticeKind(THREAD_STEP, "overdue launch items (thread line)", render_thread_step, personal=False, nudge=False,
               about_person=True, snooze_as=NUDGE_KIND, escalation=(Step(timedelta(days=1), CHANNEL_STEP),)),
    NoticeKind(CHANNEL_STEP, "overdue launch items (channel post)", render_channel_step, personal=False,
               nudge=False, about_person=True, snooze_as=NUDGE_KIND),
)

# At the start of each person's working day, once per person and local day. A bot that was down
# sends it when it is back the same working day (the grace: a long working day).
LAUNCH_NUDGES = Duty("launch nudges", _due, grace=timedelta(hours=12))
