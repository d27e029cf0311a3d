"""The notifier: one way to send a person or a channel something at most once.

`notify(rt, notice)` stores the notice (bot/notify/outbox.py) and attempts it; `sweep` attempts
every held or failed notice whose time has come, once per tick. An attempt:

1. takes the row (compare-and-set; a replica that loses is told it is being sent) and commits;
2. for a personal kind, reads the person's calendar: outside their working time, on a holiday or
   an away day it is held until their next working period, or dropped (the kind says which);
   a snooze for the kind does the same until the snooze ends; a nudge over the person's daily
   budget is folded, and the next nudge they get says "and N more";
3. renders from the notice's data and the current state (nothing to say: dropped), then posts
   with no transaction open, adding the fold line and the snooze buttons to nudges;
4. marks it sent, or failed with the next try backed off (1, 2, 4 … minutes, at most an hour,
   given up after a few hours), and schedules the kind's escalation steps.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot import clock
from bot.blocks import context
from bot.calendar.load import calendar_of, defaults_for
from bot.notify import outbox
from bot.notify.notice import Message, Notice, NoticeKind, Outcome
from bot.notify.snooze import snooze_buttons, snoozed_until
from bot.usertext import mrkdwn
from models.delivery import Delivery, DeliveryStatus as S
from models.person import Person

if TYPE_CHECKING:
    from bot.calendar.working import Calendar
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

MESSAGE_BLOCKS_MAX = 50  # Slack's limit on blocks in a message


@dataclass(frozen=True)
class _Decision:
    status: S | None = None  # None: send now
    next_at: datetime | None = None
    note: str = ""
    folded: list[tuple[int, str]] = field(default_factory=list)


async def notify(rt: "Runtime", notice: Notice, *, now: datetime | None = None,
                 calendar: "Calendar | None" = None) -> Outcome:
    """Store `notice` (once, ever, per kind/key/period) and try to send it now. A caller that
    already holds the recipient's calendar (the tick's day starts) passes it: one load fewer."""
    now = now or clock.now()
    kind = rt.notices[notice.kind]
    async with rt.db.unit_of_work() as session:
        await outbox.enqueue(session, notice, nudge=kind.personal and kind.nudge, now=now)
        row = await outbox.find(session, notice)
    assert row is not None
    return await attempt(rt, row.id, now=now, calendar=calendar)


async def attempt(rt: "Runtime", row_id: int, *, now: datetime | None = None,
                  calendar: "Calendar | None" = None) -> Outcome:
    now = now or clock.now()
    async with rt.db.unit_of_work() as session:
        taken = await outbox.take(session, row_id, now)
        current = None if taken is not None else await session.get(Delivery, row_id)
        why = _why_not(current, now) if current is not None else "gone"
    if taken is None:
        return Outcome("skipped", why)
    notice = taken.row.notice
    kind = rt.notices.get(notice.kind)
    if kind is None:  # a feature that no longer exists: nobody can render it
        return await _close(rt, taken, S.DROPPED, now, note="no such notice kind", verb="dropped")
    if kind.personal and kind.nudge:  # one person's nudges one at a time: the budget counts what was sent
        async with _budget_locks.hold((notice.team_id, notice.to)):
            return await _deliver(rt, kind, taken, now, calendar)
    return await _deliver(rt, kind, taken, now, calendar)


class _Locks:
    """One lock per recipient, kept only while an attempt for them runs or waits. Within a
    process, nudges to one person decided side by side (the tick's lanes) would each read the
    same count of nudges sent today and all pass the daily budget."""

    def __init__(self) -> None:
        self._held: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: tuple[str, str]) -> AsyncIterator[None]:
        lock, users = self._held.get(key, (asyncio.Lock(), 0))
        self._held[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._held[key]
            if users == 1:
                del self._held[key]
            else:
                self._held[key] = (lock, users - 1)


_budget_locks = _Locks()


async def _deliver(rt: "Runtime", kind: NoticeKind, taken: outbox.Taken, now: datetime,
                   calendar: "Calendar | None") -> Outcome:
    notice = taken.row.notice
    decision = await _decide(rt, kind, taken.row, now, calendar)
    if decision.status is not None:
        return await _close(rt, taken, decision.status, now, next_at=decision.next_at, note=decision.note)
    try:
        messages = await kind.render(rt, notice)
        if not messages:
            return await _close(rt, taken, S.DROPPED, now, note="nothing left to say")
        for message in _dressed(rt, kind, notice, messages, decision.folded):
            await rt.client.chat_postMessage(channel=message.channel or notice.to, thread_ts=message.thread_ts,
                                             text=message.text, blocks=message.blocks)
    except Exception as exc:  # recorded with the next try; the sweep retries it
        error = _error(exc)
        retry = outbox.retry_at(taken.row.attempts, now)
        log.warning("notice %s not sent: %s", notice.what, error)
        async with rt.db.unit_of_work() as session:
            await outbox.finish(session, taken, S.FAILED, now=now, next_at=retry, error=error,
                                note="gave up" if retry is None else None)
        detail = f"{error}; " + (f"retried at {_iso(retry)}" if retry else "gave up after "
                                 f"{taken.row.attempts} tries")
        return Outcome("failed", detail)
    async with rt.db.unit_of_work() as session:
        await outbox.finish(session, taken, S.SENT, now=now)
        await outbox.mark_folded_into(session, [i for i, _ in decision.folded], taken.row.id)
        for step in kind.escalation:
            label = rt.notices[step.kind].label if step.kind in rt.notices else step.kind
            follows = step.follow(notice, step.kind) if step.follow is not None else [
                Notice(notice.team_id, step.kind, notice.key, notice.period, notice.to,
                       f"{notice.what.split(': ', 1)[0]}: {label}", notice.data)]
            for follow in follows:
                await outbox.enqueue(session, follow, nudge=False, now=now, at=now + step.after)
    return Outcome("sent", f"and {len(decision.folded)} more folded in" if decision.folded else "")


async def sweep(rt: "Runtime", at: datetime | None = None, *, dry_run: bool = False) -> list[str]:
    """Every held or failed notice whose time has come, attempted once; one line each (with
    `dry_run`, what an attempt would do, deciding as it would but taking and posting nothing)."""
    at = at or clock.now()
    async with rt.db.unit_of_work() as session:
        ids = await outbox.due_rows(session, at, rt.notices)
    if dry_run:
        lines = []
        for i in ids:
            async with rt.db.unit_of_work() as session:
                row = await session.get(Delivery, i)
                found = outbox.Row.of(row) if row is not None else None
            if found is not None:
                lines.append(f"notifications: {(await preview(rt, found, at)).line(found.notice.what)}")
        return lines
    return [f"notifications: {(await attempt(rt, i, now=at)).line(await _what(rt, i))}" for i in ids]


async def preview(rt: "Runtime", row: "outbox.Row | Notice", now: datetime) -> Outcome:
    """What an attempt at `now` would do, without taking, posting or changing anything."""
    if isinstance(row, Notice):
        async with rt.db.unit_of_work() as session:
            found = await outbox.find(session, row)
        if found is None:
            row = outbox.Row(0, row, S.HELD, now, 0, now)
        elif not _takeable(found, now):
            async with rt.db.unit_of_work() as session:
                current = await session.get(Delivery, found.id)
                return Outcome("skipped", _why_not(current, now) if current is not None else "gone")
        else:
            row = found
    kind = rt.notices.get(row.notice.kind)
    if kind is None:
        return Outcome("would drop", "no such notice kind")
    decision = await _decide(rt, kind, row, now)
    if decision.status is None:
        # Rendering only reads, so the preview asks it too: a prompt to someone who already
        # answered would be dropped, and the dry run says so instead of "would send".
        if not await kind.render(rt, row.notice):
            return Outcome("would drop", "nothing left to say")
        again = " again: the last try failed" if row.status is S.FAILED else ""
        return Outcome(f"would send{again}")
    return Outcome(f"would {_VERB[decision.status]}", decision.note)


_VERB = {S.HELD: "hold", S.DROPPED: "drop", S.FOLDED: "fold"}


def _takeable(row: "outbox.Row", now: datetime) -> bool:
    return (row.status in (S.HELD, S.FAILED) and row.next_at is not None and row.next_at <= now)


async def _what(rt: "Runtime", row_id: int) -> str:
    async with rt.db.unit_of_work() as session:
        row = await session.get(Delivery, row_id)
        return row.what if row is not None else f"notice {row_id}"


async def _decide(rt: "Runtime", kind: NoticeKind, row: outbox.Row, now: datetime,
                  calendar: "Calendar | None" = None) -> _Decision:
    notice = row.notice
    hold = S.HELD if kind.when_quiet == "wait" else S.DROPPED
    if kind.expires_after is not None and now - row.created_at > kind.expires_after:
        return _Decision(S.DROPPED, note=f"too late: held longer than {_span(kind.expires_after)}")
    if not (kind.personal or kind.about_person):
        return _Decision()
    async with rt.db.unit_of_work() as session:
        gone = await session.scalar(select(Person.deleted).where(Person.team_id == notice.team_id,
                                                                 Person.user_id == notice.to))
        if gone:
            return _Decision(S.DROPPED, note="left the workspace")
        held = calendar is not None and (calendar.team_id, calendar.user_id) == (notice.team_id, notice.to)
        cal = calendar if held and calendar is not None else await calendar_of(
            session, notice.team_id, notice.to, from_day=(now - timedelta(days=1)).date())
        if not cal.is_working(now):
            resume = cal.resume_at(now)
            reason = _quiet_reason(cal, now)
            if hold is S.HELD and resume is not None:
                return _Decision(S.HELD, resume, f"{reason}: held until {_local(cal, resume)}")
            return _Decision(S.DROPPED, note=reason)
        until = await snoozed_until(session, notice.team_id, notice.to, kind.snooze_as or notice.kind, now)
        if until is not None:
            resume = cal.resume_at(until)
            if hold is S.HELD and resume is not None:
                return _Decision(S.HELD, resume, f"snoozed until {_local(cal, until)}")
            return _Decision(S.DROPPED, note=f"snoozed until {_local(cal, until)}")
        if not (kind.personal and kind.nudge):
            return _Decision()
        budget = (await defaults_for(session, [notice.team_id]))[notice.team_id].budget
        day = cal.start_of_day(now)
        sent = await outbox.sent_nudges_between(session, notice.team_id, notice.to, day,
                                                cal.at_local(cal.local_date(now) + timedelta(days=1), 0))
        if sent >= budget:
            return _Decision(S.FOLDED, note=f"over the budget of {budget} nudges a day")
        return _Decision(folded=await outbox.folded_for(session, notice.team_id, notice.to))


def _dressed(rt: "Runtime", kind: NoticeKind, notice: Notice, messages: list[Message],
             folded: list[tuple[int, str]]) -> list[Message]:
    """A nudge's last message gets the fold line and the snooze buttons (within the block limit)."""
    if not (kind.personal and kind.nudge):
        return messages
    *first, last = messages
    extra = []
    if folded:
        counts: dict[str, int] = {}
        for _, folded_kind in folded:
            label = rt.notices[folded_kind].label if folded_kind in rt.notices else "other nudges"
            counts[label] = counts.get(label, 0) + 1
        listed = ", ".join(f"{label} ×{n}" if n > 1 else label for label, n in counts.items())
        extra.append(context(f"…and {len(folded)} more nudge{'s' if len(folded) != 1 else ''} held back by "
                             f"your daily limit ({mrkdwn(listed)})."))
    extra.append(snooze_buttons(notice.kind))
    room = MESSAGE_BLOCKS_MAX - len(extra)
    return [*first, Message(last.text, [*last.blocks[:room], *extra], last.channel, last.thread_ts)]


async def _close(rt: "Runtime", taken: outbox.Taken, status: S, now: datetime, *, next_at: datetime | None = None,
                 note: str = "", verb: str | None = None) -> Outcome:
    async with rt.db.unit_of_work() as session:
        await outbox.finish(session, taken, status, now=now, next_at=next_at, note=note)
    return Outcome(verb or str(status.value), note)  # type: ignore[arg-type]


def _why_not(row: Delivery, now: datetime) -> str:
    if row.status is S.SENT:
        return "already sent"
    if row.status is S.HELD and row.next_at is not None and row.next_at > now:
        return f"held until {_iso(row.next_at)}" + (f": {row.note}" if row.note else "")
    if row.status is S.FAILED and row.next_at is not None:
        return f"failed recently; retried at {_iso(row.next_at)}"
    if row.status is S.CLAIMED:
        return "being sent by another process"
    return f"{row.status.value}" + (f": {row.note}" if row.note else "")


def _quiet_reason(cal: "Calendar", at: datetime) -> str:
    off = cal.day_off(cal.local_date(at))
    return off if off is not None else "outside working hours"


def _local(cal: "Calendar", moment: datetime) -> str:
    return moment.astimezone(cal.zone).strftime("%a %Y-%m-%d %H:%M %Z")


def _span(delta: timedelta) -> str:
    days, rest = divmod(int(delta.total_seconds()), 86400)
    hours = rest // 3600
    parts = ([f"{days} day{'s' if days != 1 else ''}"] if days else []) + ([f"{hours} h"] if hours else [])
    return " ".join(parts) or f"{rest // 60} min"


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def _error(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    error = response.get("error") if response is not None and hasattr(response, "get") else None
    return str(error) if error else type(exc).__name__
