"""The KPIs section of a channel digest: each chosen KPI's latest value against its target
(on or off), its change over the period, a sparkline of the period, stale said plainly; and,
in a weekly digest, one chart image of them in the digest's thread.

The KPIs are the chosen keys, or those whose nudges go to the digest's channel. Values are read
by indexed LIMITs only (bot/kpis/service.py: `as_of`, `series`), never a KPI's whole history:
a year of hourly values is 8,760 rows per KPI. The chart's values are read here, in the
digest's transaction, and handed to `attach`, which only draws and uploads.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks import Block, context, input_block, option, plain, section
from bot.digests.sections import PART_CHARS, Attach, DigestSection, Filter, Part, Period
from bot.errors import UserError
from bot.forms import FormData
from bot.kpis import service
from bot.kpis.blocks import number, sparkline, target_text
from bot.kpis.chart import MAX_PANELS, ChartData, render_many_png
from bot.kpis.parsing import parse_key
from bot.kpis.service import Point
from bot.kpis.upload import upload_png
from bot.text import OPTION_TEXT_MAX
from bot.usertext import mrkdwn as user_mrkdwn, plain as user_plain
from models.kpi import Direction, Kpi, KpiUnit

if TYPE_CHECKING:
    from bot.runtime import Runtime

NAME = "kpis"
FIELD = f"{NAME}.keys"  # the setup form's one input
KPIS_MAX = 10  # KPIs one digest shows (and the most the form lets one choose)
OPTIONS_MAX = 100  # Slack's limit for a select's options
SPARK_POINTS = 24  # a sparkline's characters at most
CHART_POINTS = 200  # values per KPI in the chart at most (a week of hourly values fits)
NAME_CHARS = 60
FOOTER = "`/kpi show <key>` for a KPI's history and chart · `/kpi` for them all"


# -- plain data and blocks ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    key: str
    name: str  # stored representation
    unit: KpiUnit
    target: str  # target_text: "target ≥ 40%", "" when none
    latest: Point | None  # the last value at or before the period's end
    baseline: Point | None  # the last value at or before its start
    on_target: bool | None
    values: list[float]  # in the period, at most SPARK_POINTS
    stale: bool
    failing: bool
    launched: tuple[tuple[date, str], ...] = ()  # its linked launches of the period (`/kpi link`)


def change_text(line: Line, start: datetime) -> str:
    """The move over the period: absolute in the KPI's unit as `/kpi` says it, and relative
    for units other than percent (whose change is in points)."""
    if line.latest is None or line.latest.at <= start:
        return "no new value this period"
    if line.baseline is None:
        return "first value this period"
    delta = line.latest.value - line.baseline.value
    if delta == 0:
        return "= unchanged this period"
    arrow = "▲" if delta > 0 else "▼"
    relative = ""
    if line.unit is not KpiUnit.PERCENT and line.baseline.value != 0:
        relative = f" ({delta / abs(line.baseline.value) * 100:+.0f}%)"
    return f"{arrow} {number(abs(delta), line.unit)}{relative} this period"


def line_text(line: Line, period: Period) -> str:
    """One KPI's line; the launches it is watched for that happened in the period follow it."""
    text = _line_text(line, period)
    return f"{text} · {_named(list(line.launched))}" if line.launched else text


def _line_text(line: Line, period: Period) -> str:
    name = f"*{user_mrkdwn(line.name, public=True, limit=NAME_CHARS)}* (`{line.key}`)"
    target = f" · {line.target}" if line.target else ""
    failing = " · :warning: pulls failing" if line.failing else ""
    if line.latest is None:
        return f"{name}: no value yet{target}{failing}"
    shown = number(line.latest.value, line.unit)
    if line.stale:
        since = line.latest.at.astimezone(period.zone).date().isoformat()
        return f":warning: {name}: *stale*, no value since {since} (last {shown}, not current){target}{failing}"
    mark = {True: ":white_check_mark:", False: ":red_circle:", None: ":white_circle:"}[line.on_target]
    spark = f" · `{sparkline(line.values)}`" if len(line.values) > 1 else ""
    return f"{mark} {name}: *{shown}*{target} · {change_text(line, period.start)}{spark}{failing}"


LAUNCHES_SAID = 3  # launches of the period named next to the KPIs' change


def _named(launched: list[tuple[date, str]]) -> str:
    """":rocket: *Mobile v2* (Thu Dec 3)", the first LAUNCHES_SAID and how many more."""
    named = [f"*{user_mrkdwn(name, public=True, limit=60)}* ({day.strftime('%a %b')} {day.day})"
             for day, name in launched[:LAUNCHES_SAID]]
    more = f" and {len(launched) - LAUNCHES_SAID} more" if len(launched) > LAUNCHES_SAID else ""
    return f":rocket: {', '.join(named)}{more}"


def launched_text(launched: list[tuple[date, str]]) -> str:
    """":rocket: Launched in this period: *Mobile v2* (Thu Dec 3)": what may explain a move
    (the KPIs watched for every launch; a linked KPI's launches are on its own line)."""
    return ":rocket: Launched in this period: " + _named(launched).removeprefix(":rocket: ")


def part_of(lines: list[Line], more: int, period: Period, attach: Attach | None,
            launched: list[tuple[date, str]] | None = None) -> Part:
    """The lines in one section, within PART_CHARS; what does not fit is counted, not cut. The
    launches of the period are said under them, next to the change they may explain."""
    said_launches = launched_text(launched) if launched else ""
    room = PART_CHARS - len(FOOTER) - 60 - len(said_launches)
    texts: list[str] = []
    used = 0
    for line in lines:
        text = line_text(line, period)
        if used + len(text) + 1 > room:
            break
        texts.append(text)
        used += len(text) + 1
    hidden = more + len(lines) - len(texts)
    body = [section("\n".join(texts))]  # PART_CHARS is under a section's 3,000: one holds them all
    if said_launches:
        body.append(context(said_launches))
    tail = f"…and {hidden} more: `/kpi` · " if hidden else ""
    body.append(context(tail + FOOTER))
    on = sum(1 for x in lines if x.latest is not None and not x.stale and x.on_target is True)
    off = [user_plain(x.name)[:40] for x in lines if x.latest is not None and not x.stale and x.on_target is False]
    stale = sum(1 for x in lines if x.stale)
    said = [f"{on} on target"] + ([f"{len(off)} off ({', '.join(off[:3])})"] if off else []) \
        + ([f"{stale} stale"] if stale else [])
    return Part(body, f"KPIs: {', '.join(said)}"[:300], attach)


# -- the chart in the thread --------------------------------------------------------------------------

def _chart_unit(unit: KpiUnit) -> str:
    return "%" if unit is KpiUnit.PERCENT else unit.value


def chart_of(kpi: Kpi, points: list[Point], launches: list[tuple[date, str]] | None = None) -> ChartData:
    band = (kpi.band_low, kpi.band_high) if kpi.band_low is not None and kpi.band_high is not None else None
    return ChartData(user_plain(kpi.name), _chart_unit(kpi.unit), [(p.at, p.value) for p in points], kpi.target,
                     band, kpi.direction is Direction.HIGHER, launches or [])


def attach_chart(charts: list[ChartData], title: str) -> Attach:
    """Draws and shares the charts read in the digest's build: no session, no query."""
    names = ", ".join(c.title for c in charts)

    async def attach(rt: "Runtime", channel: str, ts: str) -> None:
        png = await render_many_png(charts)
        await upload_png(rt.client, channel, png, filename="kpis.png", title=title, thread_ts=ts,
                         alt_text=f"{title}: {names}")

    return attach


# -- the section --------------------------------------------------------------------------------------

async def _kpis(session: AsyncSession, period: Period, f: Filter) -> tuple[list[Kpi], int]:
    """The KPIs shown (by key), and how many more matched."""
    keys = [k for k in f.get("keys") or [] if isinstance(k, str)]
    query = select(Kpi).where(Kpi.team_id == period.team_id)
    if keys:
        query = query.where(Kpi.key.in_(keys[:OPTIONS_MAX]))
    else:
        query = query.where(Kpi.channel_id == period.channel_id)
    rows = list((await session.scalars(query.order_by(Kpi.key).limit(KPIS_MAX + 1))).all())
    more = 0
    if len(rows) > KPIS_MAX:
        counted = select(func.count()).select_from(query.subquery())
        more = (await session.scalar(counted) or 0) - KPIS_MAX
    return rows[:KPIS_MAX], more


async def build(session: AsyncSession, period: Period, f: Filter) -> Part | None:
    kpis, more = await _kpis(session, period, f)
    if not kpis:
        return None
    ends = await service.as_of(session, [(k.id, at) for k in kpis for at in (period.end, period.start)])
    latest = {k.id: ends[2 * i] for i, k in enumerate(kpis)}
    if all(point is None for point in latest.values()):
        return None  # no KPI has a value yet: nothing to say
    valued = [k.id for k in kpis if latest[k.id] is not None]
    spark = await service.series(session, valued, period.start, period.end, SPARK_POINTS)
    first, last = period.start.astimezone(period.zone).date(), period.end.astimezone(period.zone).date()
    # A launch day belongs to one period, the one it ends: (start's date, end's date], so the
    # digest posted on launch morning says it and the next one does not say it again.
    watched = await service.launches_for(session, period.team_id, [k.id for k in kpis], first + timedelta(days=1),
                                         last, limit=LAUNCHES_SAID + 1, gone=True)
    said = {k.id: tuple((launch.launch_date, launch.name) for launch in watched[k.id].launches) for k in kpis}
    lines = []
    for i, k in enumerate(kpis):
        point = latest[k.id]
        band = (k.band_low, k.band_high) if k.band_low is not None and k.band_high is not None else None
        lines.append(Line(k.key, k.name, k.unit, target_text(k.unit, k.direction, k.target, band), point,
                          ends[2 * i + 1], service.on_target(k, point.value) if point is not None else None,
                          [p.value for p in spark.get(k.id, [])], service.is_stale(k, point, period.end),
                          k.failing_since is not None, said[k.id] if watched[k.id].linked else ()))
    attach = await _chart(session, period, [k for k in kpis if spark.get(k.id)], said) if period.weekly else None
    every = next((list(said[k.id]) for k in kpis if not watched[k.id].linked), [])
    return part_of(lines, more, period, attach, every)


async def _chart(session: AsyncSession, period: Period, kpis: list[Kpi],
                 launched: dict[int, tuple[tuple[date, str], ...]]) -> Attach | None:
    """A weekly digest's chart: the first MAX_PANELS KPIs with values in the period, each with
    the launches its line says (its linked ones, else every launch of the period)."""
    shown = kpis[:MAX_PANELS]
    if not shown:
        return None
    found = await service.series(session, [k.id for k in shown], period.start, period.end, CHART_POINTS)
    start, end = period.start.astimezone(period.zone), period.end.astimezone(period.zone)
    title = f"KPIs, {start.strftime('%b')} {start.day} to {end.strftime('%b')} {end.day}"
    return attach_chart([chart_of(k, found[k.id], [(day, user_plain(name)) for day, name in launched[k.id]])
                         for k in shown], title)


# -- the setup form -----------------------------------------------------------------------------------

def _multi_select(options: list[tuple[str, str]], initial: list[str]) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "multi_static_select", "placeholder": plain("Choose KPIs", 150),
                               "options": [option(label, value) for label, value in options],
                               "max_selected_items": KPIS_MAX}
    chosen = [option(label, value) for label, value in options if value in initial]
    if chosen:
        element["initial_options"] = chosen
    return element


async def inputs(session: AsyncSession, team_id: str, current: Filter | None) -> list[Block]:
    """A choice of the workspace's KPIs (the chosen ones first, then by key, Slack's 100 at most);
    none where the workspace has none yet."""
    chosen = [k for k in (current or {}).get("keys") or [] if isinstance(k, str)]
    picked = list((await session.execute(select(Kpi.key, Kpi.name).where(Kpi.team_id == team_id,
                                                                        Kpi.key.in_(chosen[:OPTIONS_MAX]))
                                         .order_by(Kpi.key))).all()) if chosen else []
    others = list((await session.execute(select(Kpi.key, Kpi.name).where(Kpi.team_id == team_id)
                                         .order_by(Kpi.key).limit(OPTIONS_MAX))).all())
    seen = {key for key, _ in picked}
    rows = [*picked, *((key, name) for key, name in others if key not in seen)][:OPTIONS_MAX]
    if not rows:
        return []
    options = [(f"{user_plain(name)[:OPTION_TEXT_MAX - len(key) - 4]} ({key})", key) for key, name in rows]
    return [input_block(FIELD, "KPIs", _multi_select(options, chosen), optional=True,
                        hint=f"At most {KPIS_MAX}. None chosen: the KPIs that nudge in the digest's channel.")]


def read(form: FormData) -> Filter:
    keys = list(dict.fromkeys(form.choices(FIELD)))
    if not keys:
        return {}
    if len(keys) > KPIS_MAX:
        raise UserError(f"Choose at most {KPIS_MAX} KPIs.", field=FIELD)
    return {"keys": list(dict.fromkeys(parse_key(k, field=FIELD) for k in keys))}


async def check(session: AsyncSession, team_id: str, f: Filter) -> Filter:
    """Every chosen key must be a KPI of the workspace (one may have been removed meanwhile)."""
    keys = [k for k in f.get("keys") or [] if isinstance(k, str)]
    if not keys:
        return {}
    known = set((await session.scalars(select(Kpi.key).where(Kpi.team_id == team_id, Kpi.key.in_(keys)))).all())
    unknown = [k for k in keys if k not in known]
    if unknown:
        named = ", ".join(f"`{user_mrkdwn(k, limit=40)}`" for k in unknown[:5])
        raise UserError(f"No KPI has the key {named} any more; choose again (`/kpi` lists them).", field=FIELD)
    return {"keys": keys}


def describe(f: Filter) -> str:
    """`activation, nps` or "those nudging in this channel": for /digest list."""
    keys = [k for k in f.get("keys") or [] if isinstance(k, str)]
    return ", ".join(user_mrkdwn(k, limit=40) for k in keys[:KPIS_MAX]) if keys else "those nudging in this channel"


SECTION = DigestSection(name=NAME, label="KPIs", build=build, inputs=inputs, read=read, describe=describe,
                        check=check, per_channel=lambda f: not (f or {}).get("keys"))
