"""Digests end to end (issue 14): the setup form, the list, preview and `now`, scheduled posts
in two time zones driven by `duties.tick` at chosen instants, grace after downtime, channel
failures told to the owner once, and a digest deleted while due; on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.clock import Clock
from bot.digests import schedule
from models.digest import Cadence
from tests.blockkit import assert_valid_blocks, block_text
from tests.conftest import Bot
from tests.digest_helpers import blocks_of, digest, digest_posts, set_up
from tests.standup_helpers import BERLIN, NEW_YORK, channel_of, local, meet, tick, uid

MONDAY = date(2026, 12, 7)


async def admin_of(bot: Bot, team: str, zone: str = BERLIN) -> str:
    admin = uid(team, "ADM")
    await meet(bot, team, admin, zone, "Ada", is_admin=True)
    return admin


async def test_a_daily_digest_posts_at_its_local_time_once(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 8, 0))
    admin = await admin_of(bot, team)
    d = await set_up(bot, team, admin, "Product daily", time="09:00", timezone=BERLIN)
    assert d.next_at == local(MONDAY, 9, 0).astimezone(UTC)
    channel = channel_of(team)
    lines = await tick(bot, clock, local(MONDAY, 8, 59))
    assert not digest_posts(bot, channel), lines
    lines = await tick(bot, clock, local(MONDAY, 9, 0))
    posts = digest_posts(bot, channel)
    assert len(posts) == 1, lines
    assert_valid_blocks(blocks_of(posts[0]))
    assert "Product daily" in block_text(blocks_of(posts[0]))
    await tick(bot, clock, local(MONDAY, 9, 1))
    await tick(bot, clock, local(MONDAY, 9, 0))  # the same instant again (a second replica)
    assert len(digest_posts(bot, channel)) == 1
