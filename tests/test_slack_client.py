"""The Web API client honours 429 Retry-After and retries 5xx, through slack_sdk's handlers."""
from __future__ import annotations

import time

import pytest
from slack_sdk.errors import SlackApiError

from tests.conftest import Bot


async def test_rate_limited_call_is_retried_after_retry_after(bot: Bot) -> None:
    bot.fake.fail("chat.postMessage", retry_after=1)
    started = time.monotonic()
    response = await bot.rt.client.chat_postMessage(channel="C1", text="hello")
    assert time.monotonic() - started >= 1.0  # it waited as Slack asked (a fact, not a speed target)
    assert response["ok"] is True
    assert len(bot.fake.posted("C1")) == 2  # the 429, then the retry


async def test_server_error_is_retried(bot: Bot) -> None:
    bot.fake.fail("chat.postMessage", status=503)
    response = await bot.rt.client.chat_postMessage(channel="C2", text="hello")
    assert response["ok"] is True
    assert len(bot.fake.posted("C2")) == 2


async def test_persistent_rate_limit_gives_up_with_an_error(bot: Bot) -> None:
    bot.fake.fail("chat.postMessage", retry_after=0, times=10)
    with pytest.raises(SlackApiError) as raised:
        await bot.rt.client.chat_postMessage(channel="C3", text="hello")
    assert raised.value.response.status_code == 429
    assert len(bot.fake.posted("C3")) == 3  # first try plus two retries
    assert "xoxb-" not in str(raised.value)
