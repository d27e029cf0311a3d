"""KPI work that talks to HTTP sources and Slack, outside any transaction: a pull (read the
definition, commit, fetch, then record in a new unit of work), the notices a value raised, and
the chart sent to someone's DM."""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.kpis import service
from bot.kpis.chart import MAX_LAUNCHES, ChartData, render_png
from bot.kpis.fetch import pull
from bot.kpis.upload import upload_png
from bot.notify import outbox
from bot.notify.notice import Notice
from bot.notify.send import notify
from bot.runtime import Runtime
from bot.usertext import plain
from models.kpi import Direction, Kpi, KpiSource

log = logging.getLogger(__name__)

CHART_DAYS = 90


async def store_notices(session: AsyncSession, rt: Runtime, notices: list[Notice], now: datetime) -> None:
    """In the transaction that raised them, as the notifier would store each (a nudge counts
    against its person's daily budget)."""
    for notice in notices:
        kind = rt.notices[notice.kind]
        await outbox.enqueue(session, notice, nudge=kind.personal and kind.nudge, now=now)


async def send_notices(rt: Runtime, notices: list[Notice]) -> None:
    """Each already stored with what raised it (a crash here leaves them to the notifier's sweep)."""
    for notice in notices:
        await notify(rt, notice)


async def pull_kpi(rt: Runtime, team_id: str, kpi_id: int) -> str:
    """One scheduled pull; returns what happened in a few words. A failure is recorded (with
    its reason) and the first of a streak DMs the owner; a value may nudge the channel."""
    async with rt.db.unit_of_work() as session:
        kpi = await session.get(Kpi, kpi_id)
        if kpi is None or kpi.team_id != team_id or kpi.source is not KpiSource.HTTP or not kpi.pull_url:
            return "no longer pulled"
        url, path = kpi.pull_url, kpi.pull_path or ""
        header = (kpi.pull_header_name, kpi.pull_header_value) if kpi.pull_header_name and kpi.pull_header_value else None
    got = await pull(url, path, header=header, allow_private=rt.settings.kpi_allow_private_urls)
    now = clock.now()
    async with rt.db.unit_of_work() as session:
        kpi = await session.get(Kpi, kpi_id)
        if kpi is None:
            return "removed meanwhile"
        if got.value is None:
            notice = await service.record_failure(session, kpi, got.reason or "failed", now)
            notices = [notice] if notice is not None else []
        else:
            notices = (await service.record(session, kpi, got.value, now, "pull", None, now)).notices
        await store_notices(session, rt, notices, now)
    await send_notices(rt, notices)
    return f"value {got.value:g}" if got.value is not None else f"failed: {got.reason}"


def chart_window(now: datetime) -> tuple[date, date]:
    """The days whose launches a chart of the last CHART_DAYS marks (tomorrow too: a zone ahead)."""
    return (now - timedelta(days=CHART_DAYS)).date(), now.date() + timedelta(days=1)


def alt_text(title: str, launches: list[tuple[date, str]]) -> str:
    """What a screen reader says of the chart: its title and the launches it marks."""
    marked = ", ".join(f"{name} ({day.strftime('%b')} {day.day})" for day, name in launches[-MAX_LAUNCHES:])
    return f"{title} (last {CHART_DAYS} days)" + (f"; launches marked: {marked}" if marked else "")


async def send_chart(rt: Runtime, team_id: str, kpi_id: int, user_id: str) -> None:
    """The last 90 days as a PNG in the person's DM, with the target and the KPI's launches
    (its linked ones, else every launch: service.launches_for)."""
    now = clock.now()
    since = now - timedelta(days=CHART_DAYS)
    first, last = chart_window(now)
    async with rt.db.unit_of_work() as session:
        kpi = await session.get(Kpi, kpi_id)
        if kpi is None or kpi.team_id != team_id:
            return
        points = [(v.at, v.value) for v in await service.history(session, kpi, since)]
        title, unit, target = plain(kpi.name), kpi.unit, kpi.target
        band = (kpi.band_low, kpi.band_high) if kpi.band_low is not None and kpi.band_high is not None else None
        higher = kpi.direction is Direction.HIGHER
        key = kpi.key
        watched = (await service.launches_for(session, team_id, [kpi_id], first, last))[kpi_id]
        launches = [(launch.launch_date, plain(launch.name)) for launch in watched.launches]
    png = await render_png(ChartData(title, unit.value, points, target, band, higher, launches))
    dm = (await rt.client.conversations_open(users=user_id))["channel"]["id"]
    await upload_png(rt.client, dm, png, filename=f"kpi-{key}.png", title=f"{title} (last {CHART_DAYS} days)",
                     alt_text=alt_text(title, launches))
