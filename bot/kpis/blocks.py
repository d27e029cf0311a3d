"""Block Kit for KPIs, as pure functions: the definition form, `/kpi` (value vs target, change,
sparkline, and stale or failing said plainly: never a stale number shown as current), `/kpi
show`, and the nudges' messages."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.blocks import Block, context, input_block, modal, section
from bot.forms import channel_select, radio_buttons, static_select, text_input, users_select
from bot.text import channel_mention, user_mention
from bot.usertext import mrkdwn as user_mrkdwn, plain as user_plain
from models.kpi import Direction, KpiSource, KpiUnit

SPARKS = "▁▂▃▄▅▆▇█"
LIST_MAX = 40
UNITS = [("%", KpiUnit.PERCENT.value), ("count", KpiUnit.COUNT.value), ("currency", KpiUnit.CURRENCY.value),
         ("ratio", KpiUnit.RATIO.value), ("duration", KpiUnit.DURATION.value)]
SCHEDULES = [("every hour", "60"), ("every 6 hours", "360"), ("every day", "1440")]
KPI_VIEW = "kpi.define"


def number(value: float, unit: KpiUnit) -> str:
    shown = f"{value:,.2f}".rstrip("0").rstrip(".")
    if unit is KpiUnit.PERCENT:
        return f"{shown}%"
    if unit is KpiUnit.DURATION:
        return f"{shown} h"
    return shown


def sparkline(values: list[float]) -> str:
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return SPARKS[3] * len(values)
    return "".join(SPARKS[round((v - low) / (high - low) * (len(SPARKS) - 1))] for v in values)


@dataclass(frozen=True)
class Row:
    key: str
    name: str
    unit: KpiUnit
    target_text: str  # "target ≥ 40%", "band 2–3", "" when none
    latest: float | None
    latest_at: datetime | None
    previous: float | None
    on_target: bool | None
    values: list[float]
    stale: bool
    failing: str | None  # why the pulls fail, when they do
    owner_id: str
    computed: bool = False  # a working agreement: its values are the bot's, never logged by hand


def target_text(unit: KpiUnit, direction: Direction, target: float | None, band: tuple[float, float] | None) -> str:
    if band is not None:
        return f"band {number(band[0], unit)}–{number(band[1], unit)}"
    if target is None:
        return ""
    return f"target {'≥' if direction is Direction.HIGHER else '≤'} {number(target, unit)}"


def row_line(r: Row) -> str:
    name = f"*{user_mrkdwn(r.name, limit=200)}* (`{r.key}`)"
    failing = f"\n:warning: pulls failing: {user_mrkdwn(r.failing, limit=300)}" if r.failing else ""
    if r.latest is None:  # a source that never worked is failing too, not only waiting
        return f"{name}: no value yet" + (f" · {r.target_text}" if r.target_text else "") + failing
    mark = {True: ":white_check_mark:", False: ":red_circle:", None: ""}[r.on_target]
    parts = [f"{mark} *{number(r.latest, r.unit)}*".strip()]
    if r.target_text:
        parts.append(r.target_text)
    if r.previous is not None:
        delta = r.latest - r.previous
        arrow = "▲" if delta > 0 else "▼" if delta < 0 else "="
        parts.append(f"{arrow} {number(abs(delta), r.unit)} vs previous")
    if len(r.values) > 1:
        parts.append(f"`{sparkline(r.values)}`")
    when = r.latest_at.date().isoformat() if r.latest_at else ""
    line = f"{name}: " + " · ".join(parts) + f" · {when}"
    if r.stale:
        line = (f"{name}: :warning: *stale*, no value since {when} (last {number(r.latest, r.unit)}, not current)"
                + (f" · {r.target_text}" if r.target_text else ""))
    return line + failing


def list_blocks(rows: list[Row]) -> list[Block]:
    if not rows:
        return [section("No KPIs yet. Ops admins add one with `/kpi add`.")]
    blocks = [section(row_line(r)) for r in rows[:LIST_MAX]]
    if len(rows) > LIST_MAX:
        blocks.append(context(f"…and {len(rows) - LIST_MAX} more."))
    logged = " · `/kpi log <key> <value>` to record one" if any(not r.computed for r in rows) else ""
    blocks.append(context(f"`/kpi show <key>` for the history and a chart{logged}"))
    return blocks


def show_blocks(r: Row, owner_id: str, channel_id: str, history: list[tuple[datetime, float, str]],
                source: KpiSource, launches: str | None = None) -> list[Block]:
    lines = [f"• {at.date().isoformat()}: {number(v, r.unit)} ({how})" for at, v, how in history[-15:]][::-1]
    where = {KpiSource.HTTP: "pulled over HTTP",
             KpiSource.BUILTIN: "computed daily by the bot (a working agreement)"}.get(source, "logged by hand")
    return [section(row_line(r)),
            context(f"owner {user_mention(owner_id)} · nudges in {channel_mention(channel_id)} · {where}"),
            section("*Recent values*\n" + ("\n".join(lines) if lines else "none yet")),
            *([context(launches)] if launches else []),
            context("The chart is in your DM with me.")]


LAUNCHES_LISTED = 10  # launches `/kpi show` names


@dataclass(frozen=True)
class LaunchMark:
    day: date
    name: str  # stored representation
    cancelled: bool = False


def _named(marks: list[LaunchMark]) -> str:
    shown = [f"*{user_mrkdwn(m.name, limit=60)}* ({m.day.isoformat()}{', cancelled: not marked' if m.cancelled else ''})"
             for m in marks[:LAUNCHES_LISTED]]
    more = f" and {len(marks) - LAUNCHES_LISTED} more" if len(marks) > LAUNCHES_LISTED else ""
    return ", ".join(shown) + more


def launches_text(key: str, linked: list[LaunchMark] | None, marked: list[LaunchMark], days: int) -> str:
    """`/kpi show`'s launches: the ones it is watched for (`/kpi link`), which alone its chart and
    digest line mark; or, with none linked, every launch of the chart's days."""
    if linked:
        return (f":rocket: Watched for launches: {_named(linked)}; only these are marked on its chart and in "
                f"digests · `/kpi unlink {key} \"Name\"` to stop")
    hint = f"`/kpi link {key} \"Name\"` to watch chosen ones"
    if not marked:
        return f":rocket: Watched for every launch (none in the last {days} days) · {hint}"
    return f":rocket: Every launch is marked; in the last {days} days: {_named(marked)} · {hint}"


def linked_text(key: str, name: str, day: date, changed: bool) -> str:
    """The answer to `/kpi link`."""
    shown = f"*{user_mrkdwn(name, limit=80)}* ({day.isoformat()})"
    if not changed:
        return f"`{key}` is already watched for {shown}; nothing changed."
    return (f"`{key}` is now watched for {shown}: its chart, `/kpi show {key}` and digests mark its linked "
            "launches only.")


def unlinked_text(key: str, name: str, changed: bool, left: int) -> str:
    """The answer to `/kpi unlink`."""
    shown = f"*{user_mrkdwn(name, limit=80)}*"
    if not changed:
        return f"`{key}` is not linked to {shown}; nothing changed. `/kpi show {key}` lists what it is watched for."
    rest = (f"it is still watched for {left} other launch{'es' if left != 1 else ''}." if left
            else "with no links left, it marks every launch again.")
    return f"`{key}` is no longer watched for {shown}; {rest}"


def nudge_text(kind: str, name: str, key: str, value: float, previous: float | None, unit: KpiUnit, target: str,
               owner_id: str) -> str:
    """The channel messages: the owner is mentioned (they are the one to act)."""
    shown = f"*{user_mrkdwn(name, public=True, limit=200)}* (`{key}`)"
    now = number(value, unit)
    was = f" (was {number(previous, unit)})" if previous is not None else ""
    if kind == "off":
        return f":red_circle: {shown} is off target: {now}{was}, {target}. {user_mention(owner_id)}"
    if kind == "on":
        return f":white_check_mark: {shown} is back on target: {now}{was}, {target}."
    return f":chart_with_upwards_trend: {shown} moved sharply: {now}{was}. {user_mention(owner_id)}"


def define_modal(d: dict[str, Any], editing: int | None) -> dict[str, Any]:
    """The definition form; `d` holds the current values as shown (the header's value never)."""
    blocks = [
        input_block("key", "Key", text_input(d.get("key"), max_length=40), hint="lower-case slug, e.g. activation"),
        input_block("name", "Name", text_input(d.get("name"), max_length=80)),
        input_block("unit", "Unit", static_select(UNITS, initial=d.get("unit", KpiUnit.COUNT.value))),
        input_block("direction", "Better is", radio_buttons([("higher", "higher"), ("lower", "lower")],
                                                            d.get("direction", "higher"))),
        input_block("target", "Target", text_input(d.get("target"), max_length=30), optional=True,
                    hint="e.g. 40%, 1,200, 3.5k"),
        input_block("band", "Or a target band (low - high)", text_input(d.get("band"), max_length=60), optional=True,
                    hint="e.g. 2 - 3: on target within it"),
        input_block("owner", "Owner", users_select(d.get("owner"))),
        input_block("channel", "Channel for nudges", channel_select(d.get("channel")),
                    hint="I must be a member: /invite @ProdOps"),
        input_block("stale", "Stale after (days without a value)", text_input(d.get("stale", "7"), max_length=3)),
        input_block("change", "Sharp change alert (%)", text_input(d.get("change"), max_length=10), optional=True),
        input_block("baseline", "…only when the previous value is at least", text_input(d.get("baseline"),
                                                                                          max_length=30),
                    optional=True, hint="so a move from 1 to 2 is no 100% alarm"),
        input_block("source", "Source", radio_buttons([("manual (/kpi log, or pushed)", "manual"),
                                                       ("HTTP pull", "http")], d.get("source", "manual"))),
        input_block("url", "Pull URL (HTTP pull)", text_input(d.get("url"), max_length=2000), optional=True),
        input_block("header", "Header (HTTP pull, optional)", text_input(None, max_length=2000,
                                                                         placeholder=d.get("header_hint")),
                    optional=True, hint="Name: value, e.g. Authorization: Bearer … (never shown back)"),
        input_block("path", "Path to the number (HTTP pull)", text_input(d.get("path"), max_length=200),
                    optional=True, hint="dotted, e.g. data.0.value"),
        input_block("every", "Pull", static_select(SCHEDULES, initial=d.get("every", "60")), optional=True),
    ]
    title = "Edit KPI" if editing else "New KPI"
    return modal(KPI_VIEW, title, blocks, submit="Save", metadata=str(editing or ""))


def token_text(key: str, token: str, url_hint: str) -> str:
    return (f"New push token for `{key}` (shown once; the old one stops working):\n`{token}`\n"
            f"Push with `curl -X POST {url_hint}/kpi/{key} -H 'Authorization: Bearer {token}' "
            "-H 'Content-Type: application/json' -d '{\"value\": 42.1, \"at\": \"2026-11-23\"}'`")


def plain_name(name: str) -> str:
    return user_plain(name)
