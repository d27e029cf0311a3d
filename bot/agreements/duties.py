"""The daily value of each working agreement, on the shared tick (bot/duties.py).

`agreements.next_at` is just after the next local midnight (the workspace's zone): the minute
tick finds the agreements due in one indexed range query; each day is claimed under
("agreement.day", agreement, that day), so replicas and restarts compute it once, and the
`agreement_days` row is the database's second word on it. A run stores the day that just ended
(through the KPI's `record`: its nudges, once per episode) and computes the RECOMPUTE_DAYS before
it again (late data). Back after downtime, each missed day is stored in order, each through
`record`, so a crossing on a missed day is said once.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select, update

from bot import clock
from bot.agreements import service
from bot.duties import Due, Duty, WorkItem, unsettled
from bot.kpis import flows as kpi_flows
from bot.runtime import Runtime
from models.agreement import Agreement
from models.kpi import Kpi
from models.workspace import Workspace

KIND = "agreement.day"
GRACE = timedelta(days=30)  # a day missed while the bot was down is still computed a month later
CATCH_UP = 31


async def _due(rt: Runtime, at: datetime) -> Due:
    async with rt.db.reading() as session:
        rows = (await session.execute(
            select(Agreement.id, Agreement.team_id, Agreement.next_at, Workspace.timezone)
            .join(Workspace, Workspace.team_id == Agreement.team_id)
            .where(Agreement.next_at <= at).order_by(Agreement.next_at, Agreement.id))).all()
    items: list[WorkItem] = []
    moves: list[tuple[int, datetime, datetime]] = []
    for agreement_id, team_id, next_at, zone_name in rows:
        read = _aware(next_at)
        first = read.astimezone(clock.zone(zone_name)).date() - timedelta(days=1)  # the day that had ended
        last = at.astimezone(clock.zone(zone_name)).date() - timedelta(days=1)
        days = [first + timedelta(days=n) for n in range(max(0, (last - first).days) + 1)][-CATCH_UP:]
        for day in days:
            items.append(WorkItem(team_id, KIND, str(agreement_id), day.isoformat(), service.due_at(day, zone_name),
                f"working agreement {agreement_id} in {team_id} for {day.isoformat()}",
                payload=(agreement_id, day), lane=f"agreement:{agreement_id}"))
        moves.append((agreement_id, read, service.next_due(zone_name, at)))

    async def advance() -> None:
        async with rt.db.unit_of_work() as session:
            waiting = await unsettled(session, items, at, GRACE)
            for agreement_id, read, following in moves:
                if str(agreement_id) not in waiting:
                    await session.execute(update(Agreement).where(Agreement.id == agreement_id,
                                                                  Agreement.next_at == read)
                                          .values(next_at=following).execution_options(synchronize_session=False))

    return Due(items, advance)


async def _send(rt: Runtime, item: WorkItem) -> str | None:
    agreement_id, day = item.payload
    # Every day through `record`, oldest first (one lane): after downtime, a crossing on a
    # missed day is said once, as it would have been that day (as history it went unsaid, and
    # the days after it, still off target, are no crossing).
    notices = await compute_days(rt, agreement_id, day, current=True)
    if notices is None:
        return "the agreement was removed"
    await kpi_flows.send_notices(rt, notices)
    return None


async def compute_days(rt: Runtime, agreement_id: int, day: date, *, current: bool,
                       back: int = service.RECOMPUTE_DAYS) -> list | None:
    """Store `day` (the latest day: through `record`, with nudges) and compute the `back` days
    before it again; the notices, stored with the values; None when the agreement is gone.
    The readings are taken on a read-only unit of work first (at size, a reading is tens of
    milliseconds: SQLite's one writer is not held for them), then stored in a short one."""
    now = clock.now()
    days = [day - timedelta(days=n) for n in range(back, -1, -1)]  # oldest first, `day` last
    async with rt.db.reading() as session:
        agreement = await session.get(Agreement, agreement_id)
        if agreement is None:
            return None
        readings = [(d, await service.compute(session, agreement, d, exceptions=False)) for d in days]
    async with rt.db.unit_of_work() as session:
        row = (await session.execute(select(Agreement, Kpi, Workspace.timezone)
                                     .join(Kpi, Kpi.id == Agreement.kpi_id)
                                     .join(Workspace, Workspace.team_id == Agreement.team_id)
                                     .where(Agreement.id == agreement_id))).first()
        if row is None:
            return None
        agreement, kpi, zone_name = row
        notices: list = []
        for d, reading in readings:
            notices = await service.store_day(session, agreement, kpi, d, reading, zone_name, now,
                                              current=current and d == day)
        await kpi_flows.store_notices(session, rt, notices, now)
    return notices


async def backfill(rt: Runtime, agreement_id: int, days: int = service.BACKFILL_DAYS) -> None:
    """A new (or changed) agreement's history, up to yesterday, after the request that made it
    has answered. Yesterday first, through `record` (the first value: its channel hears once if
    the agreement starts off target), then the days before it, as history (no nudge), in short
    units of work of a week each."""
    async with rt.db.reading() as session:
        zone_name = await session.scalar(select(Workspace.timezone).join(Agreement, Agreement.team_id == Workspace.team_id)
                                         .where(Agreement.id == agreement_id))
    if zone_name is None:
        return
    yesterday = clock.today_in(zone_name) - timedelta(days=1)
    notices = await compute_days(rt, agreement_id, yesterday, current=True, back=0)
    if notices is None:
        return
    await kpi_flows.send_notices(rt, notices)
    day = yesterday - timedelta(days=days - 1)
    while day < yesterday:
        week_end = min(yesterday - timedelta(days=1), day + timedelta(days=6))
        if await compute_days(rt, agreement_id, week_end, current=False, back=(week_end - day).days) is None:
            return
        day = week_end + timedelta(days=1)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=clock.zone("UTC"))


AGREEMENT_DAYS = Duty("working agreements", _due, send=_send, grace=GRACE, retry_every=timedelta(minutes=5))
