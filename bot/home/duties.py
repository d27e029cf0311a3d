"""The failed-duties card on an ops admin's App Home: the scheduled work whose last run failed (any
replica's, from the table /prodops status reads), so a broken job is seen where people look."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks import context, section
from bot.home.cards import LIST_MAX, HomeCard, Viewer
from models.calendar import DutyRun


async def build(session: AsyncSession, viewer: Viewer) -> list[dict[str, Any]] | None:
    rows = (await session.execute(select(DutyRun.name, DutyRun.at, DutyRun.outcome)
                                  .where(DutyRun.outcome.like("%failed%")).order_by(DutyRun.name))).all()
    if not rows:
        return None
    lines = [f"• *{name}*: {outcome[:150]} ({at.astimezone(viewer.zone).strftime('%b %d %H:%M')})"
             for name, at, outcome in rows[:LIST_MAX]]
    return [section(f"*Scheduled work that failed* · {len(rows)}"), section("\n".join(lines)),
            context("Details in the bot's log; `/prodops status` shows every duty's last run.")]


CARD = HomeCard("duties", build, managers_only=True)
