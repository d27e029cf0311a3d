"""No Slack call while a request's transaction is open: on SQLite that transaction holds the
only connection and the write lock, so a slow Slack would stall every other request."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conftest import Bot
from tests.feedback_helpers import file_by_command
from tests.slack_requests import event_envelope


def watch(bot: Bot, methods: list[str]) -> list[str]:
    """While each of `methods` is being answered, is the database free? Records those that found it held."""
    held: list[str] = []
    for method in methods:
        async def check(_args: dict[str, Any], method: str = method) -> None:
            try:
                await asyncio.wait_for(bot.rt.db.ping(), 0.5)
            except TimeoutError:
                held.append(method)
        bot.fake.before[method] = check
    return held


async def test_role_checks_and_channel_checks_run_before_the_transaction(bot: Bot, team: str) -> None:
    if bot.rt.db.backend != "sqlite":
        pytest.skip("a held connection is observable on SQLite's single connection")
    await file_by_command(bot, team, "UFIRST1", "warm up the workspace")  # first contact creates the row
    bot.fake.add_user("USLACKADM", is_admin=True)
    held = watch(bot, ["users.info"])
    status, body = await bot.slack.command(team, "USLACKADM", "/prodops", "admins add <@UNEW001>")
    assert status == 200 and "now an ops admin" in body["text"]
    assert bot.fake.calls_to("users.info") and held == []
    held = watch(bot, ["conversations.info"])
    status, body = await bot.slack.command(team, "USLACKADM", "/launch", 'new "Atlas" 2027-03-06')
    assert status == 200 and "Created" in body["text"]
    await bot.settle()
    assert bot.fake.calls_to("conversations.info") and held == []
    held = watch(bot, ["users.info"])
    await bot.slack.post(event_envelope(team, {"type": "app_home_opened", "user": "UHOME01", "tab": "home"}),
                         "application/json")
    await bot.settle()
    assert bot.fake.calls_to("views.publish") and held == []
