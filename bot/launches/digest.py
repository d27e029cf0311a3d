"""Launches' section of a channel digest (the interface: bot/digests/sections.py).

The launches of the next AHEAD_DAYS days and those whose launch day fell in the period (local
dates in the digest's zone; cancelled ones left out): per launch its readiness, the go/no-go
decision, overdue and due-soon items per function and the open blockers, and where its checklist
is. Only the owners of overdue items are mentioned (the one deliberate ping); nobody else is.

Set-based: the launches in the window are read by the (team_id, launch_date) index, at most
LAUNCHES_SHOWN of each kind with their total counted alongside, then the shown ones' items and
open risks in one query each (`service.summarize_many`), however many launches the workspace has.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks import Block, context, input_block, section
from bot.digests.sections import PART_BLOCKS, PART_CHARS, DigestSection, Filter, Part, Period
from bot.errors import UserError
from bot.forms import FormData, radio_buttons
from bot.launches import service
from bot.launches.blocks import counted, fitted_lines, function_label, progress_bar, when
from bot.launches.service import ItemSummary, LaunchSummary
from bot.text import channel_mention, user_mention
from bot.usertext import mrkdwn as user_mrkdwn
from models.launch import Decision, Launch

NAME = "launches"
SCOPE_FIELD = f"{NAME}.scope"
Scope = Literal["channel", "all"]
SCOPES: list[tuple[str, Scope]] = [("Launches with their checklist in the digest's channel", "channel"),
                                   ("All launches", "all")]
AHEAD_DAYS = 14  # launch days from the digest's local day through this many days later
# An open item due today or tomorrow is at risk: the window the morning nudges ask about
# (bot/launches/duties.py); an open blocker from a standup is one too (a LaunchRisk).
DUE_SOON_DAYS = 1
LAUNCHES_SHOWN = PART_BLOCKS - 2  # one section each, beside the summary line and "and N more"
ITEMS_NAMED = 3  # per function and kind, before "and N more"
NAME_MRKDWN_MAX = 120
TITLE_MRKDWN_MAX = 80
RISK_MRKDWN_MAX = 120
FRAME_CHARS = 300  # of PART_CHARS: the summary line and the "and N more" line
MORE_NOTE_CHARS = 70  # fitted_lines' "…and N more: `/launch status` lists them all"


# -- the filter -------------------------------------------------------------------------------------

def scope_of(raw: Filter | None) -> Scope:
    return "all" if (raw or {}).get("scope") == "all" else "channel"


def describe(raw: Filter) -> str:
    return "all channels" if scope_of(raw) == "all" else "this channel"


async def inputs(_session: AsyncSession, _team_id: str, current: Filter | None) -> list[Block]:
    return [input_block(SCOPE_FIELD, "Launches", radio_buttons(list(SCOPES), scope_of(current)), optional=True)]


def read(form: FormData) -> Filter:
    chosen = form.choice(SCOPE_FIELD) or "channel"
    if chosen not in {value for _, value in SCOPES}:
        raise UserError("That choice is out of date; pick which launches again.", field=SCOPE_FIELD)
    return {"scope": chosen}


# -- what the window holds ---------------------------------------------------------------------------

@dataclass(frozen=True)
class LaunchesDigest:
    today: date  # the digest's local day
    upcoming: list[LaunchSummary]  # launch day today .. today + AHEAD_DAYS, soonest first
    upcoming_total: int
    launched: list[LaunchSummary]  # launch day in the period, before today: latest first
    launched_total: int
    all_channels: bool

    @property
    def empty(self) -> bool:
        return not (self.upcoming_total or self.launched_total)


async def _window(session: AsyncSession, team_id: str, channel_id: str | None, first: date, last: date,
                  latest_first: bool) -> tuple[list[Launch], int]:
    """At most LAUNCHES_SHOWN launches with launch day in [first, last], and how many there are."""
    day = Launch.launch_date.desc() if latest_first else Launch.launch_date
    query = (select(Launch, func.count().over()).where(
        Launch.team_id == team_id, Launch.cancelled_at.is_(None), Launch.launch_date >= first,
        Launch.launch_date <= last).order_by(day, Launch.name_key, Launch.id).limit(LAUNCHES_SHOWN))
    if channel_id is not None:
        query = query.where(Launch.channel_id == channel_id)
    rows = (await session.execute(query)).all()
    return [launch for launch, _ in rows], int(rows[0][1]) if rows else 0


async def gather(session: AsyncSession, period: Period, scope: Scope) -> LaunchesDigest:
    today = period.end.astimezone(period.zone).date()
    since = period.start.astimezone(period.zone).date()
    channel = None if scope == "all" else period.channel_id
    upcoming, upcoming_total = await _window(session, period.team_id, channel, today,
                                             today + timedelta(days=AHEAD_DAYS), latest_first=False)
    launched: list[Launch] = []
    launched_total = 0
    if since < today:
        launched, launched_total = await _window(session, period.team_id, channel, since,
                                                 today - timedelta(days=1), latest_first=True)
    launched = launched[:max(0, LAUNCHES_SHOWN - len(upcoming))]
    summaries = await service.summarize_many(session, [*upcoming, *launched], today)
    return LaunchesDigest(today, summaries[:len(upcoming)], upcoming_total, summaries[len(upcoming):],
                          launched_total, scope == "all")


# -- rendering (pure) --------------------------------------------------------------------------------

def _decision(v: LaunchSummary) -> str:
    """Who decided is left out: a channel post names nobody but overdue owners."""
    if v.decision is Decision.GO:
        return ":white_check_mark: GO"
    if v.decision is Decision.NO_GO:
        return ":no_entry: NO-GO"
    return "no go/no-go yet"


def due_soon(v: LaunchSummary, item: ItemSummary) -> bool:
    return not item.done and not item.overdue and v.today <= item.due <= v.today + timedelta(days=DUE_SOON_DAYS)


def _named(items: list[ItemSummary], *, owners: bool) -> str:
    def one(item: ItemSummary) -> str:
        title = user_mrkdwn(item.title, public=True, limit=TITLE_MRKDWN_MAX)
        if not owners:
            return title
        return f"{title} ({user_mention(item.owner_id) if item.owner_id else '_unassigned_'})"

    more = f" and {len(items) - ITEMS_NAMED} more" if len(items) > ITEMS_NAMED else ""
    return "; ".join(one(i) for i in items[:ITEMS_NAMED]) + more


def function_lines(v: LaunchSummary) -> list[str]:
    """Per function with something overdue or due soon: those items, overdue owners mentioned."""
    lines = []
    for function, items in v.by_function(open_only=True).items():
        overdue = [i for i in items if i.overdue]
        soon = [i for i in items if due_soon(v, i)]
        parts = []
        if overdue:
            parts.append(f":warning: {len(overdue)} overdue: {_named(overdue, owners=True)}")
        if soon:
            parts.append(f"{len(soon)} due by tomorrow: {_named(soon, owners=False)}")
        if parts:
            lines.append(f"*{function_label(function)}*: " + " · ".join(parts))
    if v.risks:
        first = user_mrkdwn(v.risks[0].text, public=True, limit=RISK_MRKDWN_MAX)
        more = f" and {len(v.risks) - 1} more" if len(v.risks) > 1 else ""
        lines.append(f":construction: {counted(len(v.risks), 'open blocker')} from standups: {first}{more}")
    return lines


def _head(v: LaunchSummary) -> str:
    name = user_mrkdwn(v.name, public=True, limit=NAME_MRKDWN_MAX)
    day = f"{v.launch_date:%a %b} {v.launch_date.day}"
    return (f":rocket: *{name}* · {day} ({when(v)}) · `{progress_bar(v.readiness)}` *{v.readiness}% ready* · "
            f"{_decision(v)}")


def _footer(v: LaunchSummary) -> str:
    name = user_mrkdwn(v.name, public=True, limit=NAME_MRKDWN_MAX)
    return f"Checklist in {channel_mention(v.channel_id)} · `/launch status \"{name}\"`"


def launch_text(v: LaunchSummary, room: int) -> str:
    """The launch in about `room` characters: its head and pointer always, its problems as far
    as they fit (the rest counted, pointing to `/launch status`)."""
    head, footer = _head(v), _footer(v)
    lines = function_lines(v)
    body = fitted_lines(head, lines, limit=max(len(head) + 1, room - len(footer) - 1)) if lines else head
    return body + "\n" + footer


def _summary(d: LaunchesDigest) -> str:
    where = "in any channel" if d.all_channels else "with their checklist here"
    parts = [f"{counted(d.upcoming_total, 'launch', 'launches')} in the next {AHEAD_DAYS} days"]
    if d.launched_total:
        parts.append(f"{d.launched_total} launched")
    return ", ".join(parts) + f" ({where}) · `/launch list`"


def render(d: LaunchesDigest) -> Part | None:
    """A summary line, one section per launch shown (PART_CHARS shared out, a launch with
    little to say leaving room to the next), and how many more there are."""
    if d.empty:
        return None
    left = PART_CHARS - FRAME_CHARS
    minimum: dict[int, int] = {}
    shown: list[LaunchSummary] = []
    for v in [*d.upcoming, *d.launched]:  # as many as their heads and pointers fit (long names)
        minimum[v.id] = len(_head(v)) + len(_footer(v)) + 1 + (MORE_NOTE_CHARS if function_lines(v) else 0)
        if shown and sum(minimum.values()) > left:
            break
        shown.append(v)
    blocks: list[Block] = [context(_summary(d))]
    for i, v in enumerate(shown):
        later = sum(minimum[w.id] for w in shown[i + 1:])
        text = launch_text(v, max(minimum[v.id], left - later))
        left -= len(text)
        blocks.append(section(text))
    more = d.upcoming_total + d.launched_total - len(shown)
    if more:
        blocks.append(context(f"…and {more} more: `/launch list`"))
    overdue = sum(1 for v in shown if v.overdue)
    said = [f"{d.upcoming_total} in the next {AHEAD_DAYS} days"]
    if overdue:
        said.append(f"{overdue} with overdue items")
    if d.launched_total:
        said.append(f"{d.launched_total} launched")
    return Part(blocks, "Launches: " + ", ".join(said))


async def build(session: AsyncSession, period: Period, raw: Filter) -> Part | None:
    return render(await gather(session, period, scope_of(raw)))


SECTION = DigestSection(name=NAME, label="Launches", build=build, inputs=inputs, read=read, describe=describe,
                        per_channel=lambda f: (f or {}).get("scope") != "all")
