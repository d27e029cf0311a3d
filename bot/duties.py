"""Duties: work that is due at an instant, found and sent by one tick (docs/architecture.md,
"Due work").

A feature contributes `Duty`s through `Feature.duties`; bot/app.py collects them into
`rt.duties`. The scheduler runs `tick(rt, now)` every minute (one interval job for all of them),
and `prodops-bot tick [--at ...] [--dry-run]` runs it once from the command line.

A duty answers two questions: what is due at an instant (`due(rt, at)`, a list of `WorkItem`s,
each with the instant it became due and its delivery key) and how to send one item
(`send(rt, item)`). `tick` does the rest the same way for every duty:

- each duty runs on its own: its reads are its own units of work, a failing duty does not stop
  the others, and no Slack call runs inside a transaction (`due` reads and commits before it
  asks Slack anything; the claim commits before the post);
- every item is claimed in bot/delivery.py under (team, kind, key, period) before it is sent and
  marked sent after Slack took it, so two processes ticking the same instant send it once; a
  failed send stays reclaimable and is retried by a later tick;
- an item that became due longer ago than the duty's `grace` (the bot was down) is skipped and
  said so, not sent late;
- with `dry_run`, nothing is claimed or posted: each item is described ("would send"), or,
  for a duty whose items cannot be found without side effects (`describes=False`), the duty is
  named but not run.

`tick` returns one line per action. The last run of each duty (when, and what it did) is kept
in memory per process (`rt.duties.last`), for `/prodops status`; a restart forgets it.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.calendar.starts import Starts, advance, starts_due
from bot.delivery import STALE_AFTER, AfterSent, claim, send_claimed
from bot.logs import request_id
from bot.notify.notice import Notice
from bot.notify.outbox import record_skip
from bot.notify.send import notify, preview, sweep
from bot.sql import insert_ignore
from models.calendar import DutyRun as DutyRunRow
from models.delivery import Delivery, DeliveryStatus

if TYPE_CHECKING:
    from bot.calendar.working import Calendar
    from bot.runtime import Runtime
    from bot.scheduler import Scheduler

log = logging.getLogger(__name__)

TICK_SECONDS = 60  # the scheduler's tick: due work is looked for once a minute
# Items of one duty sent at once: Slack takes about one message a second per channel, so a
# morning's DMs (each its own channel) go out side by side; one recipient's items go in order.
SEND_AT_ONCE = 8
TICK_JOB = "system:duties"  # its job id (bot/app.py registers it)


@dataclass(frozen=True)
class WorkItem:
    """One thing a duty would send: its delivery key, when it became due, and what it is."""

    team_id: str
    kind: str  # delivery kind (the claim's)
    key: str  # whom or what it is for, within the kind
    period: str  # which occurrence (a local date, a week): sent once per period
    due_at: datetime  # aware; the instant it became due (what the grace counts from)
    what: str  # one line for people: "launch nudge to U123 (2 items)"
    payload: Any = None  # what `send` needs, as `due` found it
    notice: "Notice | None" = None  # a message: sent through the notifier (bot/notify/), not `send`
    calendar: "Calendar | None" = None  # the recipient's, when `due` already loaded it (a day start)
    expires_at: datetime | None = None  # after this it is skipped, whatever the grace (a standup's deadline)
    # Items of one lane go one after another, lanes side by side: by default a notice's recipient
    # (a DM is its own channel), else the key; an item posting to a channel names it, so that
    # channel's posts do not race each other into Slack's per-channel limit.
    lane: str | None = None


@dataclass(frozen=True)
class Due:
    """What a duty that keeps its own next-due column returns: the items, and how to move that
    column on once they were sent (never on a dry run). A crash before `advance` finds the same
    items on the next tick, and their claims keep each one sent once."""

    items: list[WorkItem]
    advance: Callable[[], Awaitable[None]] | None = None


DueFunc = Callable[["Runtime", datetime], Awaitable["list[WorkItem] | Due"]]
# Returns a note when it decided there was nothing to send after all ("the digest was deleted"),
# or the writes that belong with "it was sent" (made with the claim's mark, one transaction).
SendFunc = Callable[["Runtime", WorkItem], Awaitable["str | AfterSent | None"]]


@dataclass(frozen=True)
class Duty:
    name: str
    due: DueFunc  # what is due at an instant (reads; may ask Slack outside a transaction)
    # Sends one item that is not a notice (a pull, a sync), raising when it did not happen; the
    # claim is tick's. Items carrying a notice go through the notifier instead.
    send: SendFunc | None = None
    grace: timedelta = timedelta(hours=1)  # how late an item may still be sent
    describes: bool = True  # False: finding its items has side effects, so dry-run only names it
    # A send that failed is tried again by a tick at least this much later (a channel that keeps
    # refusing is not asked every minute of the grace).
    retry_every: timedelta = timedelta(0)
    at_once: int = SEND_AT_ONCE  # lanes side by side (an HTTP pull waits on its source, not on Slack)
    grace_of: Callable[["Runtime"], timedelta] | None = None  # a grace the operator sets (overrides `grace`)
    # Waited before an item takes its lane's place among the `at_once` (a channel's turn under
    # Slack's per-channel limit, bot/pacing.py), so one channel's wait holds up no other channel.
    pace: Callable[["Runtime", WorkItem], Awaitable[None]] | None = None

    def grace_for(self, rt: "Runtime") -> timedelta:
        return self.grace_of(rt) if self.grace_of is not None else self.grace


@dataclass(frozen=True)
class DutyRun:
    at: datetime
    outcome: str  # "2 sent, 1 skipped", "nothing due", "failed (TimeoutError)"


@dataclass
class Duties:
    """The registered duties of one process and the outcome of each one's last run."""

    duties: tuple[Duty, ...] = ()
    last: dict[str, DutyRun] = field(default_factory=dict)
    _starts: "Starts | None" = None  # the current tick's day starts, shared by every duty

    async def starts(self, rt: "Runtime", at: datetime) -> "Starts":
        """Whose working period has started by `at`: read once per tick, shared by its duties."""
        if self._starts is None or self._starts.at != at:
            async with rt.db.unit_of_work() as session:
                self._starts = await starts_due(session, at)
        return self._starts

    def next_run(self, scheduler: "Scheduler") -> datetime | None:
        """When every duty next runs: the tick job's next run (None with the scheduler stopped)."""
        job = scheduler.aps.get_job(TICK_JOB) if scheduler.running else None
        return job.next_run_time if job is not None else None


NOTIFICATIONS = "notifications"  # the notifier's sweep of held and failed notices, run by every tick


async def tick(rt: "Runtime", at: datetime | None = None, dry_run: bool = False) -> list[str]:
    """The notifier's sweep, then every registered duty due at `at` (default now) once, then move
    the day starts on; one line per action."""
    at = at or clock.now()
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("tick needs an aware instant")
    rt.duties._starts = None
    lines: list[str] = []
    runs: dict[str, DutyRun] = {}
    # The notifier's sweep first: what was held until this minute (a prompt for someone who starts
    # at 10:00) goes out at the minute's start, not behind every duty's posts (bench/RESULTS.md).
    steps = [(NOTIFICATIONS, lambda: sweep(rt, at, dry_run=dry_run))]
    steps += [(duty.name, lambda duty=duty: _run(rt, duty, at, dry_run)) for duty in rt.duties.duties]
    for name, step in steps:
        token = request_id.set(f"duty:{name}")
        try:
            done = await step()
        except Exception as exc:  # a duty that cannot even find its work: say so, run the others
            log.exception("duty %s failed", name)
            done = [f"{name}: failed ({type(exc).__name__})"]
            outcome = f"failed ({type(exc).__name__})"
        else:
            outcome = _outcome(done, dry_run)
        finally:
            request_id.reset(token)
        runs[name] = DutyRun(at, outcome)
        lines.extend(done)
    if not dry_run:
        rt.duties.last.update(runs)
        try:
            async with rt.db.unit_of_work() as session:
                if rt.duties._starts is not None:
                    await advance(session, rt.duties._starts)
                for name, run in runs.items():
                    await record_run(session, name, run)
        except Exception:  # the next tick reads the same starts again; claims keep sends once
            log.exception("recording the tick at %s failed", _iso(at))
    rt.duties._starts = None
    return lines


async def record_run(session: AsyncSession, name: str, run: DutyRun) -> None:
    """The last run of a duty, kept in the database so /prodops status survives restarts."""
    result = await session.execute(update(DutyRunRow).where(DutyRunRow.name == name)
                                   .values(at=run.at, outcome=run.outcome[:255])
                                   .execution_options(synchronize_session=False))
    if not result.rowcount:
        await insert_ignore(session, DutyRunRow, name=name, at=run.at, outcome=run.outcome[:255])


async def last_runs(rt: "Runtime") -> dict[str, DutyRun]:
    async with rt.db.unit_of_work() as session:
        rows = (await session.execute(select(DutyRunRow.name, DutyRunRow.at, DutyRunRow.outcome))).all()
    return {name: DutyRun(at, outcome) for name, at, outcome in rows}


async def _run(rt: "Runtime", duty: Duty, at: datetime, dry_run: bool) -> list[str]:
    if dry_run and not duty.describes:
        return [f"{duty.name}: would run (its work cannot be listed without running it)"]
    found = await duty.due(rt, at)
    due = found if isinstance(found, Due) else Due(found)
    lanes: dict[str, list[int]] = {}  # one recipient's (or channel's) items in order, lanes side by side
    for index, item in enumerate(due.items):
        lane = item.lane or (item.notice.to if item.notice is not None else item.key)
        lanes.setdefault(lane, []).append(index)
    lines: list[str] = [""] * len(due.items)
    gate = asyncio.Semaphore(duty.at_once)

    async def lane(indexes: list[int]) -> None:
        for index in indexes:
            if duty.pace is not None and not dry_run:
                await duty.pace(rt, due.items[index])
            async with gate:
                lines[index] = await _one(rt, duty, due.items[index], at, dry_run)

    failures = [r for r in await asyncio.gather(*(lane(indexes) for indexes in lanes.values()),
                                                return_exceptions=True) if isinstance(r, BaseException)]
    if failures:  # every lane has finished: the duty failed (said by tick), its other items went out
        raise failures[0]
    if due.advance is not None and not dry_run:
        await due.advance()
    return lines


async def _one(rt: "Runtime", duty: Duty, item: WorkItem, at: datetime, dry_run: bool) -> str:
    late, grace = at - item.due_at, duty.grace_for(rt)
    expired = item.expires_at is not None and at >= item.expires_at  # at the deadline it is over
    if expired or late > grace:
        why = (f"due {_iso(item.due_at)}, past its deadline {_iso(item.expires_at)}" if expired and item.expires_at
               else f"due {_iso(item.due_at)}, {_span(late)} ago: past the {_span(grace)} grace")
        if not dry_run and not await _record_skip(rt, item, why, at):
            taken = await _why_taken(rt, item)
            why = f"{why}; it failed before and is not tried again" if taken.startswith("failed") else taken
        return f"{duty.name}: skipped {item.what} ({why})"
    if dry_run:
        return await _describe(rt, duty, item, at)
    return await _send(rt, duty, item, at)


async def _record_skip(rt: "Runtime", item: WorkItem, why: str, at: datetime) -> bool:
    """Kept in the deliveries table (visible in /prodops status, never sent afterwards); False
    when the item already has a row (sent, held, skipped before)."""
    notice = item.notice or Notice(item.team_id, item.kind, item.key, item.period, "", item.what)
    async with rt.db.unit_of_work() as session:
        return await record_skip(session, notice, why, at)


async def _send(rt: "Runtime", duty: Duty, item: WorkItem, at: datetime) -> str:
    if item.notice is not None:
        return f"{duty.name}: {(await notify(rt, item.notice, now=at, calendar=item.calendar)).line(item.what)}"
    if duty.send is None:
        raise TypeError(f"duty {duty.name} found an item without a notice and has no send")
    send = duty.send
    async with rt.db.unit_of_work() as session:
        c = await claim(session, item.team_id, item.kind, item.key, item.period, retry_failed_after=duty.retry_every)
    if c is None:
        return f"{duty.name}: skipped {item.what} ({await _why_taken(rt, item)})"
    notes: list[str] = []

    async def sending() -> AfterSent | None:
        result = await send(rt, item)
        if isinstance(result, str) and result:
            notes.append(result)
        return result if isinstance(result, AfterSent) else None

    try:
        await send_claimed(rt.db, c, sending)
    except Exception as exc:  # recorded on the claim as failed: a later tick retries it
        # Slack's refusals are expected (one line); anything else is a defect: with its stack.
        log.warning("%s: %s not sent: %s", duty.name, item.what, _error(exc),
                    exc_info=not isinstance(exc, SlackApiError))
        return f"{duty.name}: failed {item.what} ({_error(exc)}; retried on a later tick)"
    return f"{duty.name}: sent {item.what}" + (f" ({notes[0]})" if notes else "")


async def unsettled(session: AsyncSession, items: list[WorkItem], at: datetime, grace: timedelta) -> set[str]:
    """Keys of items this tick neither sent nor skipped, still within the grace: the post failed,
    or a claim is open (another replica posting, or one that crashed mid-post). A duty keeping
    its own next-due column must not move it on for these, or no later tick would find them.
    One query per kind and 500 keys, however many items."""
    keys: set[str] = set()
    recent: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for item in items:
        if at - item.due_at <= grace:
            recent.setdefault((item.team_id, item.kind), set()).add((item.key, item.period))
    for (team_id, kind), wanted in recent.items():
        ordered = sorted({key for key, _ in wanted})
        for i in range(0, len(ordered), 500):
            rows = await session.execute(select(Delivery.key, Delivery.period).where(
                Delivery.team_id == team_id, Delivery.kind == kind, Delivery.key.in_(ordered[i:i + 500]),
                Delivery.status.in_((DeliveryStatus.FAILED, DeliveryStatus.CLAIMED))))
            keys.update(key for key, period in rows if (key, period) in wanted)
    return keys


async def _describe(rt: "Runtime", duty: Duty, item: WorkItem, at: datetime) -> str:
    """What a real tick would do with the item, read from the claims without taking one; a
    notice is decided as the notifier would (quiet hours, snooze, budget)."""
    if item.notice is not None:
        return f"{duty.name}: {(await preview(rt, item.notice, at)).line(item.what)}"
    state = await _delivery_state(rt, item)
    if state is DeliveryStatus.SENT:
        return f"{duty.name}: skipped {item.what} (already sent)"
    if state is DeliveryStatus.CLAIMED:
        return f"{duty.name}: skipped {item.what} (being sent by another process)"
    if state in (DeliveryStatus.SKIPPED, DeliveryStatus.DROPPED, DeliveryStatus.FOLDED, DeliveryStatus.HELD):
        return f"{duty.name}: skipped {item.what} (already {state.value})"
    return f"{duty.name}: would send {item.what}" + (" (again: the last try failed)" if state else "")


async def _why_taken(rt: "Runtime", item: WorkItem) -> str:
    state = await _delivery_state(rt, item)
    if state is DeliveryStatus.SENT:
        return "already sent"
    if state is DeliveryStatus.FAILED:
        return "failed recently; retried on a later tick"
    if state in (None, DeliveryStatus.CLAIMED):
        return "being sent by another process"
    return f"already {state.value}"


async def _delivery_state(rt: "Runtime", item: WorkItem) -> DeliveryStatus | None:
    async with rt.db.unit_of_work() as session:
        row = (await session.execute(
            select(Delivery.status, Delivery.claimed_at).where(
                Delivery.team_id == item.team_id, Delivery.kind == item.kind,
                Delivery.key == item.key, Delivery.period == item.period)
        )).first()
    if row is None:
        return None
    status, claimed_at = row
    if status is DeliveryStatus.CLAIMED and claimed_at is not None and _aware(claimed_at) < clock.now() - STALE_AFTER:
        return DeliveryStatus.FAILED  # a stale claim (a crash mid-post) is taken over like a failed one
    return status


def _outcome(lines: list[str], dry_run: bool) -> str:
    if not lines:
        return "nothing due"
    counts: dict[str, int] = {}
    for line in lines:
        verb = line.split(": ", 1)[1].split(" ", 1)[0]  # sent, skipped, failed, would
        counts[verb] = counts.get(verb, 0) + 1
    return ", ".join(f"{n} {'would send' if verb == 'would' else verb}" for verb, n in counts.items())


def _error(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    error = response.get("error") if response is not None and hasattr(response, "get") else None
    return str(error) if error else type(exc).__name__


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h" + (f" {minutes} min" if minutes else "")
