"""Feedback's cards on App Home (the interface: bot/home/cards.py): the items you reported or
own with their status, counted by status; and, for managers, the untriaged queue, oldest first.

Set-based reads in bot/feedback/service.py (`of_person`, `untriaged`): a few queries whatever
the count, and only the shown lines' text. Each line points to `/feedback show N`.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks import Block, context, section
from bot.feedback import service
from bot.feedback.blocks import STATUS_EMOJI, plural
from bot.feedback.service import COUNT_BOUND, ItemLine, Lines
from bot.home.cards import LIST_MAX, HomeCard, Viewer
from bot.usertext import mrkdwn
from models.feedback import FeedbackStatus

TEXT_MRKDWN_MAX = 120  # of an item's text in a line
STATUS_ORDER = (FeedbackStatus.NEW, FeedbackStatus.TRIAGED, FeedbackStatus.PLANNED, FeedbackStatus.SHIPPED,
                FeedbackStatus.DECLINED)


def _text(line: ItemLine) -> str:
    return mrkdwn(" ".join(line.text.split()), limit=TEXT_MRKDWN_MAX) or "_(no text)_"


def _local_day(at: datetime, viewer: Viewer) -> str:
    local = at.astimezone(viewer.zone)
    return f"{local:%b} {local.day}" + (f", {local.year}" if local.year != viewer.today.year else "")


def _age(at: datetime, viewer: Viewer) -> str:
    days = (viewer.today - at.astimezone(viewer.zone).date()).days
    return "filed today" if days <= 0 else f"{plural(days, 'day')} old"


def _more(total: int, shown: int, pointer: str) -> Block:
    rest = "" if total <= shown else "and more: " if total >= COUNT_BOUND else f"and {total - shown:,} more: "
    return context(rest + pointer)


# -- Your feedback ---------------------------------------------------------------------------------

def mine_line(line: ItemLine, viewer: Viewer) -> str:
    yours = " · you own it" if line.owner_id == viewer.user_id else ""
    return (f"{STATUS_EMOJI[line.status]} *#{line.number}* · {line.status.value}{yours} · {_text(line)} · "
            f"filed {_local_day(line.created_at, viewer)} · `/feedback show {line.number}`")


def mine_blocks(lines: Lines, viewer: Viewer) -> list[Block]:
    counts = " · ".join(f"{lines.by_status[s]:,} {s.value}" for s in STATUS_ORDER if lines.by_status.get(s))
    head = f"*Your feedback* · {plural(lines.total, 'item')} you reported or own" + (f" · {counts}" if counts else "")
    return [section(head), section("\n".join(mine_line(line, viewer) for line in lines.items)),
            _more(lines.total, len(lines.items), "`/feedback show <number>` for any · `/feedback list` for everyone's")]


async def mine(session: AsyncSession, viewer: Viewer) -> list[Block] | None:
    lines = await service.of_person(session, viewer.team_id, viewer.user_id, LIST_MAX)
    return mine_blocks(lines, viewer) if lines.items else None


# -- Feedback to triage (managers) -----------------------------------------------------------------

def triage_line(line: ItemLine, viewer: Viewer) -> str:
    return f"• *#{line.number}* · {_age(line.created_at, viewer)} · {_text(line)} · `/feedback show {line.number}`"


def triage_blocks(lines: Lines, viewer: Viewer) -> list[Block]:
    count = f"{COUNT_BOUND:,}+" if lines.total >= COUNT_BOUND else f"{lines.total:,}"
    head = f"*Feedback to triage* · {count} untriaged (status new), the oldest first"
    return [section(head), section("\n".join(triage_line(line, viewer) for line in lines.items)),
            _more(lines.total, len(lines.items), "`/feedback list new` · set a status or an owner from "
                                                 "`/feedback show <number>`")]


async def to_triage(session: AsyncSession, viewer: Viewer) -> list[Block] | None:
    lines = await service.untriaged(session, viewer.team_id, LIST_MAX)
    return triage_blocks(lines, viewer) if lines.items else None


MINE = HomeCard("feedback", mine, shows_all="`/feedback list`")
TO_TRIAGE = HomeCard("feedback_triage", to_triage, managers_only=True, shows_all="`/feedback list new`")
CARDS = (MINE, TO_TRIAGE)
