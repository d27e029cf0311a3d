"""The failed-duties card on an ops admin's App Home: the scheduled work whose last run failed (any
replica's, from the table /prodops status reads), so a broken job is seen where people look."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks import context, section
from bot.home.cards import LIST_MAX, HomeCard, Viewer
from bot.text import escape, truncate
from models.calendar import DutyRun

NAME_SHOWN = 80  # of a duty's name (the bot's own text, escaped all the same)
OUTCOME_SHOWN = 150  # of what its last run said


async def build(session: AsyncSession, viewer: Viewer) -> list[dict[str, Any]] | None:
    rows = (await session.execute(select(DutyRun.name, DutyRun.at, DutyRun.outcome)
                                  .where(DutyRun.outcome.like("%failed%")).order_by(DutyRun.name))).all()
    if not rows:
        return None
    lines = [f"• *{escape(truncate(name, NAME_SHOWN))}*: {escape(truncate(outcome, OUTCOME_SHOWN))} "
             f"({at.astimezone(viewer.zone).strftime('%b %d %H:%M')})" for name, at, outcome in rows[:LIST_MAX]]
    more = f"and {len(rows) - LIST_MAX} more: " if len(rows) > LIST_MAX else ""
    return [section(f"*Scheduled work that failed* · {len(rows)}"), section("\n".join(lines)),
            context(f"{more}`/prodops status` shows every duty's last run · details in the bot's log")]


CARD = HomeCard("duties", build, managers_only=True, shows_all="`/prodops status`")
