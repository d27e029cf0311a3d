"""Delivery claims: exactly one claimer posts, failures stay reclaimable, stale claims recover."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.delivery import Claim, claim, deliver_once, mark_sent
from models.base import utcnow
from models.delivery import Delivery, DeliveryStatus
from tests.conftest import Bot


async def claim_in_own_transaction(bot: Bot, team: str, key: str, **kw: object) -> Claim | None:
    async with bot.rt.db.unit_of_work() as session:
        return await claim(session, team, "digest", key, "2026-11-21", **kw)  # type: ignore[arg-type]


async def test_concurrent_claimers_one_wins(bot: Bot, team: str) -> None:
    results = await asyncio.gather(*(claim_in_own_transaction(bot, team, "C1") for _ in range(8)))
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    async with bot.rt.db.unit_of_work() as session:
        rows = (await session.scalars(select(Delivery).where(Delivery.team_id == team))).all()
    assert len(rows) == 1 and rows[0].status is DeliveryStatus.CLAIMED


async def test_sent_claim_is_never_reclaimed(bot: Bot, team: str) -> None:
    won = await claim_in_own_transaction(bot, team, "C2")
    assert won is not None
    async with bot.rt.db.unit_of_work() as session:
        assert await mark_sent(session, won)
    later = utcnow() + timedelta(days=1)
    assert await claim_in_own_transaction(bot, team, "C2", now=later) is None


async def test_stale_claim_is_reclaimed_by_exactly_one(bot: Bot, team: str) -> None:
    first = await claim_in_own_transaction(bot, team, "C3")
    assert first is not None
    assert await claim_in_own_transaction(bot, team, "C3") is None  # still fresh
    later = utcnow() + timedelta(minutes=11)
    results = await asyncio.gather(*(claim_in_own_transaction(bot, team, "C3", now=later) for _ in range(4)))
    assert len([r for r in results if r is not None]) == 1
    # The crashed first claimer can no longer mark it sent: its token was replaced.
    async with bot.rt.db.unit_of_work() as session:
        assert not await mark_sent(session, first)


async def test_deliver_once_posts_once_and_retries_after_failure(bot: Bot, team: str) -> None:
    async def post() -> None:
        await bot.rt.client.chat_postMessage(channel="CDIGEST", text="digest")

    bot.fake.fail("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError):
        await deliver_once(bot.rt.db, team, "digest", "CDIGEST", "2026-11-21", post)
    assert len(bot.fake.posted("CDIGEST")) == 1  # the attempt Slack refused
    # The failure is recorded and the next run posts; runs after that post nothing.
    assert await deliver_once(bot.rt.db, team, "digest", "CDIGEST", "2026-11-21", post) is True
    assert await deliver_once(bot.rt.db, team, "digest", "CDIGEST", "2026-11-21", post) is False
    assert len(bot.fake.posted("CDIGEST")) == 2  # the refused attempt and the one that landed
    async with bot.rt.db.unit_of_work() as session:
        row = (await session.scalars(select(Delivery).where(Delivery.team_id == team))).one()
    assert row.status is DeliveryStatus.SENT and row.attempts == 2 and row.sent_at is not None
