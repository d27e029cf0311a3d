"""The bot's introduction when it is added to a channel (issue 15's onboarding bullet): once per
channel across re-adds and Slack's retries, with the workspace's feedback emoji, never in a Slack
Connect channel; other people joining cost nothing (acked at the edge). Payloads as Slack sends
member_joined_channel, through the signed endpoint."""
from __future__ import annotations

from typing import Any

from tests.blockkit import assert_valid_blocks, block_text
from tests.conftest import Bot
from tests.digest_helpers import blocks_of
from tests.fake_slack import BOT_USER_ID
from tests.test_ack_fast_path import statements


def joined(user: str, channel: str, inviter: str | None = "UINVITER1") -> dict[str, Any]:
    event: dict[str, Any] = {"type": "member_joined_channel", "user": user, "channel": channel, "channel_type": "C",
                             "team": "T0", "event_ts": "1700000000.000100"}
    if inviter:
        event["inviter"] = inviter
    return event


def intros(bot: Bot, channel: str) -> list[Any]:
    return [c for c in bot.fake.posted(channel) if c.ok and "ProdOps Bot" in c.args.get("text", "")]


async def test_added_to_a_channel_the_bot_introduces_itself_once(bot: Bot, team: str) -> None:
    channel = "CINTRO" + team[-4:]
    status, _ = await bot.slack.event(team, joined(BOT_USER_ID, channel), event_id=f"Ev{team}j1")
    assert status == 200
    await bot.settle()
    (intro,) = intros(bot, channel)
    assert_valid_blocks(blocks_of(intro))
    text = block_text(blocks_of(intro))
    assert "react with :memo:" in text and "/launch new" in text and "/digest setup" in text
    await bot.slack.event(team, joined(BOT_USER_ID, channel), event_id=f"Ev{team}j1", retry_num=1)  # Slack's retry
    await bot.slack.event(team, joined(BOT_USER_ID, channel), event_id=f"Ev{team}j2")  # removed and added again
    await bot.settle()
    assert len(intros(bot, channel)) == 1


async def test_someone_else_joining_costs_nothing_and_slack_connect_gets_no_intro(bot: Bot, team: str) -> None:
    channel, shared = "CJOIN" + team[-5:], "CSHRD" + team[-5:]
    await bot.slack.event(team, joined("UFIRST1", channel), event_id=f"Ev{team}w")  # caches the workspace
    await bot.settle()
    with statements(bot) as seen:
        status, _ = await bot.slack.event(team, joined("UPERSON1", channel), event_id=f"Ev{team}p")
        await bot.settle()
    assert status == 200 and seen == [] and not intros(bot, channel)
    bot.fake.ext_shared.add(shared)
    await bot.slack.event(team, joined(BOT_USER_ID, shared, inviter=None), event_id=f"Ev{team}s")
    await bot.settle()
    assert not intros(bot, shared) and not bot.fake.posted(shared)
