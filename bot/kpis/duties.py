"""KPIs on the shared mechanism: the minute tick pulls the HTTP KPIs whose `next_pull_at` has
come (claimed per KPI and scheduled instant, so replicas pull once) and tells owners about KPIs
whose `stale_at` has passed; the nudges a value raises are notices (bot/notify/), each keyed by
the value or the episode that raised it, so once per episode across restarts and replicas."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from bot import clock
from bot.duties import Due, Duty, WorkItem
from bot.kpis import blocks, flows, service
from bot.notify.notice import Message, Notice, NoticeKind
from bot.runtime import Runtime
from models.kpi import Kpi, KpiSource

PULL = "kpi.pull"  # delivery kind of one scheduled pull (key: KPI id, period: its instant)
PULLS_AT_ONCE = 16  # sources answer slowly; Slack is not what limits a pull


async def _due_pulls(rt: Runtime, at: datetime) -> Due:
    async with rt.db.unit_of_work() as session:
        rows = (await session.execute(select(Kpi.id, Kpi.team_id, Kpi.key, Kpi.next_pull_at, Kpi.pull_every).where(
            Kpi.source == KpiSource.HTTP, or_(Kpi.next_pull_at.is_(None), Kpi.next_pull_at <= at)))).all()
    items = [WorkItem(team_id, PULL, str(kpi_id), (due or at).isoformat(timespec="minutes"), due or at,
                      f"pull of KPI {key} in {team_id}", payload=kpi_id) for kpi_id, team_id, key, due, _ in rows]

    async def advance() -> None:
        """The next pull one interval on from this tick (a missed one is not replayed): a
        compare-and-set per group sharing the instant read and the interval (500 KPIs created
        together are a handful of statements, not 500)."""
        groups: dict[tuple[datetime | None, int], list[int]] = defaultdict(list)
        for kpi_id, _, _, due, every in rows:
            groups[(due, every or 60)].append(kpi_id)
        async with rt.db.unit_of_work() as session:
            for (due, every), ids in groups.items():
                same = Kpi.next_pull_at.is_(None) if due is None else Kpi.next_pull_at == due
                for i in range(0, len(ids), 500):
                    await session.execute(update(Kpi).where(Kpi.id.in_(ids[i:i + 500]), same)
                                          .values(next_pull_at=at + timedelta(minutes=every))
                                          .execution_options(synchronize_session=False))

    return Due(items, advance)


async def _send_pull(rt: Runtime, item: WorkItem) -> None:
    await flows.pull_kpi(rt, item.team_id, int(item.payload))


async def _due_stale(rt: Runtime, at: datetime) -> Due:
    async with rt.db.unit_of_work() as session:
        # A built-in KPI (a working agreement) never goes stale; rows written before that was so may still say it.
        rows = list((await session.scalars(select(Kpi).where(Kpi.stale_at.is_not(None), Kpi.stale_at <= at,
                                                             Kpi.source != KpiSource.BUILTIN))).all())
    notices = [(kpi.id, kpi.stale_at, service.stale_notice(kpi)) for kpi in rows]
    items = [WorkItem(n.team_id, n.kind, n.key, n.period, service._aware(stale_at), n.what, notice=n)
             for _, stale_at, n in notices]

    async def advance() -> None:  # one DM per episode: a new value sets stale_at again
        async with rt.db.unit_of_work() as session:
            for kpi_id, stale_at, _ in notices:
                await session.execute(update(Kpi).where(Kpi.id == kpi_id, Kpi.stale_at == stale_at)
                                      .values(stale_at=None).execution_options(synchronize_session=False))

    return Due(items, advance)


async def _kpi(rt: Runtime, notice: Notice) -> Kpi | None:
    async with rt.db.unit_of_work() as session:
        kpi = await session.get(Kpi, int(notice.data["k"]))
        return kpi if kpi is not None and kpi.team_id == notice.team_id else None


def _channel_render(kind: str):  # noqa: ANN202 - a Render
    async def render(rt: Runtime, notice: Notice) -> list[Message]:
        kpi = await _kpi(rt, notice)
        if kpi is None:
            return []
        band = (kpi.band_low, kpi.band_high) if kpi.band_low is not None and kpi.band_high is not None else None
        target = blocks.target_text(kpi.unit, kpi.direction, kpi.target, band)
        text = blocks.nudge_text(kind, kpi.name, kpi.key, float(notice.data["v"]),
                                 None if notice.data.get("p") is None else float(notice.data["p"]), kpi.unit, target,
                                 kpi.owner_id)
        return [Message(text, [], channel=kpi.channel_id)]

    return render


async def render_stale(rt: Runtime, notice: Notice) -> list[Message]:
    kpi = await _kpi(rt, notice)
    if kpi is None or kpi.stale_at is not None and service._aware(kpi.stale_at) > clock.now():
        return []  # removed, or a new value came meanwhile
    return [Message(f"No value for *{blocks.user_mrkdwn(kpi.name, limit=200)}* (`{kpi.key}`) for "
                    f"{kpi.stale_days} days: it shows as stale until one comes. `/kpi log {kpi.key} <value>`", [])]


async def render_failing(rt: Runtime, notice: Notice) -> list[Message]:
    kpi = await _kpi(rt, notice)
    if kpi is None or kpi.failing_since is None or notice.period != service.failing_period(kpi.failing_since):
        return []  # removed, pulls work again, or a later streak (which has its own DM)
    return [Message(f"Pulls of *{blocks.user_mrkdwn(kpi.name, limit=200)}* (`{kpi.key}`) are failing: "
                    f"{blocks.user_mrkdwn(kpi.failing_reason or 'unknown', limit=500)}. It shows as failing until a "
                    "pull works; I'll say nothing more about this streak. `/kpi edit` to fix the source.", [])]


NOTICES = (
    NoticeKind(service.OFF_TARGET_KIND, "KPI off target", _channel_render("off"), personal=False, nudge=False),
    NoticeKind(service.ON_TARGET_KIND, "KPI back on target", _channel_render("on"), personal=False, nudge=False),
    NoticeKind(service.CHANGE_KIND, "KPI sharp changes", _channel_render("change"), personal=False, nudge=False),
    NoticeKind(service.STALE_KIND, "stale KPIs", render_stale),
    NoticeKind(service.FAILING_KIND, "failing KPI pulls", render_failing),  # budgeted and snoozable
)

# A pull may be late by a lot (the bot was down) and is still worth doing once.
KPI_PULLS = Duty("kpi pulls", _due_pulls, send=_send_pull, grace=timedelta(days=365), at_once=PULLS_AT_ONCE,
                 retry_every=timedelta(minutes=5))
KPI_STALE = Duty("kpi staleness", _due_stale, grace=timedelta(days=365))
