"""Working agreements: the KPI row and its agreement, and the daily value stored once.

An agreement is created as a KPI (bot/kpis/service.py `create`, source BUILTIN, unit percent,
higher is better, the target the share agreed) plus its `agreements` row; values reach the KPI
through the KPI feature's own `record` (today's, with its off-target and sharp-change nudges,
once per episode) and `record_history` (a backfill or a past day recomputed: no nudge). The
`agreement_days` row for (agreement, day) is inserted first, with ON CONFLICT DO NOTHING: of two
replicas or a retried tick, one stores the day's value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.agreements.metrics import METRICS, Reading, Scope
from bot.errors import NotFound, UserError
from bot.kpis import service as kpis
from bot.notify.notice import Notice
from bot.sql import insert_ignore
from bot.usertext import mrkdwn
from models.agreement import Agreement, AgreementDay
from models.kpi import Direction, Kpi, KpiSource, KpiUnit, KpiValue
from models.standup import Standup

BACKFILL_DAYS = 90  # history computed when an agreement is made (the charts have a past at once)
RECOMPUTE_DAYS = 7  # past days the daily run computes again (late data: a triage typed in late)
STALE_DAYS = 3  # the KPI goes stale if no daily value lands for this long (the duty stopped)
DAY_AT = time(12)  # a day's value is dated at its local noon, as `/kpi log` dates a day
DUE_AFTER_MIDNIGHT = timedelta(minutes=10)  # a day's value is computed just after it ends


@dataclass(frozen=True)
class Spec:
    """An agreement as the form asked for it."""

    metric: str
    within: int
    target: float
    owner_id: str
    channel_id: str
    function: str | None = None
    standup_id: int | None = None
    window: int = 30


def scope_of(a: Agreement) -> Scope:
    return Scope(within=a.within_days, window=a.window_days, function=a.function, standup_id=a.standup_id)


def label(metric: str, within: int) -> str:
    return METRICS[metric].label.format(within=f"{within} working day{'' if within == 1 else 's'}")


async def name_of(session: AsyncSession, team_id: str, spec: Spec) -> str:
    """What the KPI is called: the metric and its scope (a standup's name as stored)."""
    name = label(spec.metric, spec.within)
    if spec.function:
        name += f" ({spec.function})"
    if spec.standup_id is not None:
        standup = await session.get(Standup, spec.standup_id)
        if standup is None or standup.team_id != team_id:
            raise UserError("That standup no longer exists.", field="standup")
        name += f" ({standup.name})"  # both in the stored form (bot/usertext.py)
    return name


async def _free_key(session: AsyncSession, team_id: str, spec: Spec) -> str:
    base = "agree-" + re.sub(r"[^a-z0-9-]", "-", spec.metric.replace(".", "-").replace("_", "-"))
    if spec.function:
        base += "-" + spec.function
    if spec.standup_id is not None:
        base += f"-s{spec.standup_id}"
    base = base[:34]
    taken = set((await session.scalars(select(Kpi.key).where(Kpi.team_id == team_id,
                                                             Kpi.key.like(base + "%")))).all())
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


def definition(key: str, name: str, spec: Spec) -> kpis.Definition:
    return kpis.Definition(key=key, name=name, unit=KpiUnit.PERCENT, direction=Direction.HIGHER, target=spec.target,
                           band=None, owner_id=spec.owner_id, channel_id=spec.channel_id, stale_days=STALE_DAYS,
                           change_pct=None, change_baseline=None, source=KpiSource.BUILTIN)


def validate(spec: Spec) -> None:
    metric = METRICS.get(spec.metric)
    if metric is None:
        raise UserError("Pick one of the metrics.", field="metric")
    if not 0 <= spec.within <= 60:
        raise UserError("Working days: a whole number from 0 to 60.", field="within")
    if not 0 < spec.target <= 100:
        raise UserError("The target is a share: more than 0 and at most 100 (percent).", field="target")
    if spec.function and metric.scoped_by != "function":
        raise UserError("Only checklist agreements are per function.", field="function")
    if spec.standup_id is not None and metric.scoped_by != "standup":
        raise UserError("Only standup agreements are per standup.", field="standup")


def due_at(day: date, zone_name: str) -> datetime:
    """When `day`'s value is due: just after it ends, local time."""
    return datetime.combine(day + timedelta(days=1), time(0), clock.zone(zone_name)) + DUE_AFTER_MIDNIGHT


def next_due(zone_name: str, after: datetime) -> datetime:
    """Just after the next local midnight (a day's value is computed once the day is over)."""
    where = clock.zone(zone_name)
    tomorrow = after.astimezone(where).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), where) + DUE_AFTER_MIDNIGHT


async def create(session: AsyncSession, team_id: str, spec: Spec, actor: str, zone_name: str,
                 now: datetime) -> tuple[Agreement, Kpi]:
    validate(spec)
    await _refuse_same(session, team_id, spec, None)
    name = await name_of(session, team_id, spec)
    kpi = await kpis.create(session, team_id, definition(await _free_key(session, team_id, spec), name, spec),
                            actor, now)
    agreement = Agreement(team_id=team_id, kpi_id=kpi.id, metric=spec.metric, function=spec.function or None,
                          standup_id=spec.standup_id, within_days=spec.within, window_days=spec.window,
                          next_at=next_due(zone_name, now), created_by=actor)
    session.add(agreement)
    await session.flush()
    return agreement, kpi


async def _refuse_same(session: AsyncSession, team_id: str, spec: Spec, editing: int | None) -> None:
    """Two agreements measuring the same thing the same way would be one KPI twice."""
    same = await session.scalar(select(Kpi.key).join(Agreement, Agreement.kpi_id == Kpi.id).where(
        Agreement.team_id == team_id, Agreement.metric == spec.metric, Agreement.within_days == spec.within,
        Agreement.function.is_(None) if not spec.function else Agreement.function == spec.function,
        Agreement.standup_id.is_(None) if spec.standup_id is None else Agreement.standup_id == spec.standup_id,
        *([Agreement.id != editing] if editing is not None else [])))
    if same is not None:
        raise UserError(f"That agreement exists already: `{same}`. Change its target with "
                        f"`/prodops agreements edit {same}`.", field="metric")


async def change(session: AsyncSession, agreement: Agreement, kpi: Kpi, spec: Spec, now: datetime) -> None:
    """A changed agreement (its working days or window) measures anew: its stored days are
    dropped, and recomputed after. What it measures and its key stay (digests, links and `/kpi
    show` name it); its target, owner and channel change freely."""
    validate(spec)
    if (spec.metric, spec.function or None, spec.standup_id) != (agreement.metric, agreement.function,
                                                                 agreement.standup_id):
        raise UserError("An agreement keeps what it measures (its key says so): to measure something else, agree "
                        f"a new one with `/prodops agree` and remove this one with "
                        f"`/prodops agreements remove {kpi.key}`.", field="metric")
    await _refuse_same(session, agreement.team_id, spec, agreement.id)
    name = await name_of(session, agreement.team_id, spec)
    changed = (spec.within, spec.window) != (agreement.within_days, agreement.window_days)
    await kpis.update_definition(session, kpi, definition(kpi.key, name, spec), now)
    agreement.within_days, agreement.window_days = spec.within, spec.window
    if changed:
        await session.execute(delete(AgreementDay).where(AgreementDay.agreement_id == agreement.id))
        await session.execute(delete(KpiValue).where(KpiValue.kpi_id == kpi.id))
    await session.flush()


async def get(session: AsyncSession, team_id: str, key: str) -> tuple[Agreement, Kpi]:
    row = (await session.execute(select(Agreement, Kpi).join(Kpi, Kpi.id == Agreement.kpi_id).where(
        Agreement.team_id == team_id, Kpi.team_id == team_id, Kpi.key == key))).first()
    if row is None:
        raise NotFound(f"There is no working agreement with the key `{mrkdwn(key)}`. "
                       "`/prodops agreements` lists them.")
    return row[0], row[1]


async def listed(session: AsyncSession, team_id: str) -> list[tuple[Agreement, Kpi]]:
    rows = await session.execute(select(Agreement, Kpi).join(Kpi, Kpi.id == Agreement.kpi_id)
                                 .where(Agreement.team_id == team_id).order_by(Kpi.key))
    return [(a, k) for a, k in rows.all()]


async def values_on(session: AsyncSession, agreement_ids: list[int], day: date) -> dict[int, float | None]:
    """The stored daily values of these agreements for `day` (those stored; None: nothing measured)."""
    if not agreement_ids:
        return {}
    return {i: v for i, v in (await session.execute(select(AgreementDay.agreement_id, AgreementDay.value).where(
        AgreementDay.agreement_id.in_(agreement_ids), AgreementDay.day == day))).all()}


async def compute(session: AsyncSession, agreement: Agreement, day: date, *, exceptions: bool = True) -> Reading:
    return await METRICS[agreement.metric].compute(session, agreement.team_id, day, scope_of(agreement),
                                                   exceptions=exceptions)


def value_at(day: date, zone_name: str) -> datetime:
    return datetime.combine(day, DAY_AT, clock.zone(zone_name))


async def store_day(session: AsyncSession, agreement: Agreement, kpi: Kpi, day: date, reading: Reading,
                    zone_name: str, now: datetime, *, current: bool) -> list[Notice]:
    """The day's value, once: the first writer inserts the day (and its KPI value, through
    `record` when `current`, with its nudges, else as history); a later computation of a day
    already stored updates both when late data changed it. The notices, to store and send."""
    value = reading.value
    if await insert_ignore(session, AgreementDay, agreement_id=agreement.id, team_id=agreement.team_id, day=day,
                           value=value, kept=reading.kept, broken=reading.broken, computed_at=now):
        if value is None:
            return []
        at = value_at(day, zone_name)
        if current:
            recorded = await kpis.record(session, kpi, value, at, "computed", None, now)
            row, notices = recorded.value, recorded.notices
        else:
            row, notices = await kpis.record_history(session, kpi, at, value, "computed", now), []
        await session.execute(update(AgreementDay).where(AgreementDay.agreement_id == agreement.id,
                                                         AgreementDay.day == day).values(kpi_value_id=row.id))
        return notices
    stored = await session.scalar(select(AgreementDay).where(AgreementDay.agreement_id == agreement.id,
                                                             AgreementDay.day == day).with_for_update())
    if stored is None or (stored.value, stored.kept, stored.broken) == (value, reading.kept, reading.broken):
        return []
    stored.value, stored.kept, stored.broken, stored.computed_at = value, reading.kept, reading.broken, now
    if stored.kpi_value_id is not None:
        if value is None:
            await session.execute(delete(KpiValue).where(KpiValue.id == stored.kpi_value_id))
            stored.kpi_value_id = None
        else:
            await session.execute(update(KpiValue).where(KpiValue.id == stored.kpi_value_id)
                                  .values(value=value, recorded_at=now))
    elif value is not None:
        stored.kpi_value_id = (await kpis.record_history(session, kpi, value_at(day, zone_name), value, "computed",
                                                         now)).id
    await session.flush()
    return []
