"""Driving digests as Slack would: `/digest setup` and the form it opened, submitted with
values over its defaults, and the posts the fake Slack recorded."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.digests.enums import DigestView
from bot.usertext import from_typed
from models.digest import Digest
from tests.conftest import Bot
from tests.fake_slack import Call
from tests.standup_helpers import channel_of, last_view, submit


async def digest(bot: Bot, team: str, user: str, text: str, channel: str | None = None) -> dict[str, Any]:
    status, body = await bot.slack.command(team, user, "/digest", text, channel_id=channel or channel_of(team))
    assert status == 200, body
    await bot.settle()
    return body or {}


async def open_setup(bot: Bot, team: str, admin: str, text: str = "setup", channel: str | None = None) -> dict[str, Any]:
    body = await digest(bot, team, admin, text, channel)
    assert not body.get("text"), body  # the form opened, nothing refused
    return last_view(bot, DigestView.SETUP)


async def set_up(bot: Bot, team: str, admin: str, name: str, channel: str | None = None,
                 **values: Any) -> Digest:
    """`/digest setup` in `channel` (default the team's), the form submitted with `values`."""
    view = await open_setup(bot, team, admin, channel=channel)
    status, body = await submit(bot, team, admin, view, {"name": name, **values})
    assert status == 200 and not (body or {}).get("errors"), body
    return await row(bot, team, name)


async def row(bot: Bot, team: str, name: str) -> Digest:
    """The digest named `name` as typed in the form."""
    async with bot.rt.db.unit_of_work() as session:
        found = await session.scalar(select(Digest).where(Digest.team_id == team, Digest.name == from_typed(name)))
    assert found is not None, f"no digest {name}"
    return found


def digest_posts(bot: Bot, channel: str) -> list[Call]:
    """The digests Slack accepted in `channel`: a header naming the digest, then its period."""
    return [c for c in bot.fake.posted(channel) if c.ok and _is_digest(blocks_of(c))]


def _is_digest(blocks: list[dict[str, Any]]) -> bool:
    return (len(blocks) >= 2 and blocks[0].get("type") == "header" and blocks[1].get("type") == "context"
            and blocks[1]["elements"][0]["text"].startswith("Since "))


def blocks_of(call: Call) -> list[dict[str, Any]]:
    raw = call.args.get("blocks") or []
    return json.loads(raw) if isinstance(raw, str) else raw
