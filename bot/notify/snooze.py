"""Snooze: every nudge carries "Snooze until tomorrow" and "Snooze 1 week"; the notifier honours
a snooze for that kind of nudge and that person (bot/notify/send.py)."""
from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ValidationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks import Block, actions, button
from bot.calendar.working import Calendar
from bot.sql import insert_ignore
from models.calendar import Snooze


class SnoozeAction(StrEnum):
    DAY = "notify.snooze.day"
    WEEK = "notify.snooze.week"


SNOOZE_BLOCK = "notify.snooze"


class SnoozeRef(BaseModel):
    """A snooze button's value: which kind of nudge (the clicker is whom it applies to)."""

    k: str


def snooze_buttons(kind: str) -> Block:
    value = SnoozeRef(k=kind).model_dump_json()
    return actions(button("Snooze until tomorrow", SnoozeAction.DAY, value),
                   button("Snooze 1 week", SnoozeAction.WEEK, value), block_id=SNOOZE_BLOCK)


def read_ref(value: object) -> SnoozeRef | None:
    try:
        return SnoozeRef.model_validate_json(str(value or ""))
    except ValidationError:
        return None


def snooze_end(choice: Literal["day", "week"], cal: Calendar, now: datetime) -> datetime:
    """Until tomorrow: the start of their next working period after today. One week: the first
    working moment seven days from now (their next start when that falls outside working time)."""
    if choice == "day":
        tomorrow = cal.at_local(cal.local_date(now) + timedelta(days=1), 0)
        return cal.resume_at(tomorrow) or tomorrow
    later = now + timedelta(days=7)
    return cal.resume_at(later) or later


async def snoozed_until(session: AsyncSession, team_id: str, user_id: str, kind: str,
                        now: datetime) -> datetime | None:
    until = await session.scalar(select(Snooze.until).where(
        Snooze.team_id == team_id, Snooze.user_id == user_id, Snooze.kind == kind))
    return until if until is not None and until > now else None


async def set_snooze(session: AsyncSession, team_id: str, user_id: str, kind: str, until: datetime) -> None:
    if not await insert_ignore(session, Snooze, team_id=team_id, user_id=user_id, kind=kind, until=until):
        await session.execute(update(Snooze).where(Snooze.team_id == team_id, Snooze.user_id == user_id,
                                                   Snooze.kind == kind).values(until=until)
                              .execution_options(synchronize_session=False))
