"""Launches' cards on App Home (the interface: bot/home/cards.py): the launches you own with
their readiness, your open checklist items with a check-off button each (the checklist's own
LaunchAction.TOGGLE, so the click is the same request as on the checklist or in the nudge DM,
and the checklist message is re-rendered by it), and, for managers, the launches at risk.

Read through the services the commands and nudges use: `service.launches_between` then
`service.summarize_many` (two queries for the shown launches), and `service.open_items_for`,
the nudges' "items that need you", whatever their due date.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks import Block, button, context, section
from bot.home.cards import LIST_MAX, HomeCard, Viewer
from bot.launches import service
from bot.launches.blocks import counted, progress_bar, when
from bot.launches.enums import ItemRef, LaunchAction
from bot.launches.service import LaunchSummary, NudgeItem
from bot.usertext import mrkdwn
from models.launch import Decision

RECENT_DAYS = 7  # a launch you own stays on your home this long after launch day
AT_RISK_DAYS = 14  # managers see the launches of the next this many days at risk
NAME_MRKDWN_MAX = 80  # of a launch name in a card line (a name is at most 80 characters typed)
TITLE_MRKDWN_MAX = 150  # of an item title


def _day(d: date) -> str:
    return f"{d:%a %b} {d.day}"


def _name(name: str) -> str:
    return mrkdwn(name, limit=NAME_MRKDWN_MAX)


def _more(total: int, shown: int, pointer: str) -> Block:
    rest = f"and {total - shown} more: " if total > shown else ""
    return context(rest + pointer)


# -- Your launches ---------------------------------------------------------------------------------

def launch_line(v: LaunchSummary) -> str:
    overdue = f" · :warning: {len(v.overdue)} overdue" if v.overdue else ""
    risks = f" · :construction: {counted(len(v.risks), 'open blocker')}" if v.risks else ""
    decision = {Decision.GO: " · :white_check_mark: GO", Decision.NO_GO: " · :no_entry: NO-GO"}.get(v.decision, "") \
        if v.decision else ""
    return (f"• *{_name(v.name)}* · {_day(v.launch_date)} ({when(v)}) · `{progress_bar(v.readiness)}` "
            f"{v.readiness}% ready{overdue}{risks}{decision} · <#{v.channel_id}>")


def own_launches_blocks(shown: list[LaunchSummary], total: int) -> list[Block]:
    return [section(f"*Your launches* · {total} upcoming or launched in the last {RECENT_DAYS} days"),
            section("\n".join(launch_line(v) for v in shown)),
            _more(total, len(shown), "`/launch list` · `/launch status \"Name\"` for one")]


async def own_launches(session: AsyncSession, viewer: Viewer) -> list[Block] | None:
    """Upcoming launches you own, and those launched in the last RECENT_DAYS days."""
    rows = await service.launches_between(session, viewer.team_id, viewer.today - timedelta(days=RECENT_DAYS),
                                          owner_id=viewer.user_id)
    if not rows:
        return None
    return own_launches_blocks(await service.summarize_many(session, rows[:LIST_MAX], viewer.today), len(rows))


# -- Your checklist items --------------------------------------------------------------------------

def item_block(item: NudgeItem, today: date) -> Block:
    """One item with the checklist's own check-off button (its value says "done", so a second
    click leaves it done)."""
    state = f":warning: *overdue since {_day(item.due)}*" if item.due < today else (
        "due *today*" if item.due == today else f"due {_day(item.due)}")
    who = "" if item.assigned else " · _unassigned: you own the launch_"
    text = f"{mrkdwn(item.title, limit=TITLE_MRKDWN_MAX)} · *{_name(item.launch_name)}* · {state}{who}"
    ref = ItemRef(l=item.launch_id, i=item.item_id, d=True).model_dump_json()
    return section(text, accessory=button("Mark done", LaunchAction.TOGGLE, ref,
                                          style="danger" if item.due < today else None))


def items_blocks(items: list[NudgeItem], today: date) -> list[Block]:
    """Overdue first (the earliest due), then by due date; LIST_MAX with a button each."""
    ordered = sorted(items, key=lambda i: (i.due, i.launch_name, i.title, i.item_id))
    overdue = sum(1 for i in items if i.due < today)
    head = f"*Your checklist items* · {len(items)} open" + (f" · :warning: {overdue} overdue" if overdue else "")
    return [section(head), *(item_block(i, today) for i in ordered[:LIST_MAX]),
            _more(len(items), min(len(items), LIST_MAX), "each launch's checklist · `/launch status \"Name\"`")]


async def own_items(session: AsyncSession, viewer: Viewer) -> list[Block] | None:
    person = (viewer.team_id, viewer.user_id)
    items = (await service.open_items_for(session, {person}, None, today=viewer.today)).get(person, [])
    return items_blocks(items, viewer.today) if items else None


# -- Launches at risk (managers) -------------------------------------------------------------------

def at_risk_line(v: LaunchSummary) -> str:
    problems = [f":warning: {len(v.overdue)} overdue"] if v.overdue else []
    if v.risks:
        problems.append(f":construction: {counted(len(v.risks), 'open blocker')}")
    return (f"• *{_name(v.name)}* · {_day(v.launch_date)} ({when(v)}) · {v.readiness}% ready · "
            + " · ".join(problems) + f" · <@{v.owner_id}>")


def at_risk_blocks(risky: list[LaunchSummary], upcoming: int) -> list[Block]:
    """The worst first: most overdue items, then most blockers, then the soonest."""
    ordered = sorted(risky, key=lambda v: (-len(v.overdue), -len(v.risks), v.launch_date, v.id))
    return [section(f"*Launches at risk* · {len(risky)} of {counted(upcoming, 'launch', 'launches')} in the next "
                    f"{AT_RISK_DAYS} days: overdue items or open blockers"),
            section("\n".join(at_risk_line(v) for v in ordered[:LIST_MAX])),
            _more(len(risky), min(len(risky), LIST_MAX), "`/launch list` · `/launch status \"Name\"` for one")]


async def at_risk(session: AsyncSession, viewer: Viewer) -> list[Block] | None:
    rows = await service.launches_between(session, viewer.team_id, viewer.today,
                                          viewer.today + timedelta(days=AT_RISK_DAYS))
    summaries = await service.summarize_many(session, rows, viewer.today)
    risky = [v for v in summaries if v.overdue or v.risks]
    return at_risk_blocks(risky, len(rows)) if risky else None


OWN_LAUNCHES = HomeCard("launches", own_launches, shows_all="`/launch list`")
OWN_ITEMS = HomeCard("launch_items", own_items, shows_all="`/launch status \"Name\"`")
AT_RISK = HomeCard("launches_at_risk", at_risk, managers_only=True, shows_all="`/launch list`")
CARDS = (OWN_LAUNCHES, OWN_ITEMS, AT_RISK)
