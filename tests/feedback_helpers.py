"""Shared helpers for the feedback tests: events, DB reads."""
from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import select

from bot.feedback import service
from bot.feedback.service import ItemView
from models.feedback import FeedbackItem
from tests.conftest import Bot

_ts = itertools.count(1)


def new_ts() -> str:
    return f"1710000000.{next(_ts):06d}"


def reaction(user: str, channel: str, ts: str, *, name: str = "memo", item_user: str | None = "UAUTHOR1",
             kind: str = "reaction_added") -> dict[str, Any]:
    event: dict[str, Any] = {"type": kind, "user": user, "reaction": name,
                             "item": {"type": "message", "channel": channel, "ts": ts}, "event_ts": new_ts()}
    if item_user:
        event["item_user"] = item_user
    return event


async def items(bot: Bot, team: str) -> list[ItemView]:
    async with bot.rt.db.unit_of_work() as session:
        rows = (await session.scalars(select(FeedbackItem).where(FeedbackItem.team_id == team)
                                      .order_by(FeedbackItem.number))).all()
        return [await service.view(session, row) for row in rows]


async def file_by_command(bot: Bot, team: str, user: str, text: str) -> int:
    status, body = await bot.slack.command(team, user, "/feedback", text)
    assert status == 200, body
    assert "Filed as feedback" in body["text"], body
    return int(body["text"].split("#")[1].split(".")[0])
