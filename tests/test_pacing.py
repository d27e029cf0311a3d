"""The pacer (bot/pacing.py) against the fake Slack's rate limiter, both on one virtual clock:
a channel's posts leave at the pace Slack takes them (no 429s), and a workspace limit it cannot
know is met by holding every paced post until Retry-After has passed, without failing any."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.pacing import Pacer
from tests.fake_slack import FakeSlack

BOT_TOKEN = "xoxb-test-0000-bot-token"


class VirtualTime:
    """One clock for the pacer and the fake's limiter; sleeping moves it on at once."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
async def client(fake_slack: FakeSlack) -> AsyncIterator[AsyncWebClient]:
    fake_slack.reset()
    yield AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)  # no retry handlers: the pacer's own
    fake_slack.reset()


async def test_a_channels_posts_leave_at_one_a_second_after_the_burst(fake_slack: FakeSlack,
                                                                      client: AsyncWebClient) -> None:
    t = VirtualTime()
    fake_slack.rate_limit(per_channel=1.0, burst=3, clock=t)
    pacer = Pacer(clock=t, sleep=t.sleep)
    for i in range(6):
        await pacer.post(client, "T1", "CPACE", text=f"digest {i}")
    await pacer.post(client, "T1", "CELSEWHERE", text="another channel does not wait")
    assert [c.limited for c in fake_slack.posted()] == [False] * 7
    assert t.now == pytest.approx(1003.0)  # three at once, then one a second
    assert len(fake_slack.messages["CPACE"]) == 6


async def test_a_workspace_limit_holds_every_post_until_retry_after_and_none_fails(fake_slack: FakeSlack,
                                                                                   client: AsyncWebClient) -> None:
    t = VirtualTime()
    fake_slack.rate_limit(per_channel=1.0, burst=3, workspace=2.0, workspace_burst=2, clock=t)
    pacer = Pacer(clock=t, sleep=t.sleep)
    for i in range(8):
        await pacer.post(client, "T1", f"C{i}", text="hi")
    accepted = [c for c in fake_slack.posted() if not c.limited]
    assert len(accepted) == 8
    assert len(fake_slack.posted()) - len(accepted) <= 6  # each 429 held the workspace for its Retry-After
    assert t.now - 1000.0 <= 8 / 2.0 + 1.0  # near the workspace's 2 a second


async def test_past_its_patience_or_on_any_other_error_the_post_fails(fake_slack: FakeSlack,
                                                                      client: AsyncWebClient) -> None:
    t = VirtualTime()
    pacer = Pacer(clock=t, sleep=t.sleep, patience=5.0)
    fake_slack.fail("chat.postMessage", retry_after=2, times=10)
    with pytest.raises(SlackApiError) as raised:
        await pacer.post(client, "T1", "CSTUCK", text="hi")
    assert raised.value.response.status_code == 429 and 5.0 <= t.now - 1000.0 <= 7.0
    fake_slack.reset()
    fake_slack.not_member.add("CNOTIN")
    with pytest.raises(SlackApiError) as raised:
        await pacer.post(client, "T1", "CNOTIN", text="hi")
    assert raised.value.response["error"] == "not_in_channel" and len(fake_slack.posted()) == 1


async def test_a_channel_waiting_its_turn_keeps_no_other_channel_waiting(fake_slack: FakeSlack,
                                                                         client: AsyncWebClient) -> None:
    """Taking turns first, then posting: ten posts for one channel and one for another; the other
    channel's post does not queue behind the first channel's seven seconds."""
    t = VirtualTime()
    pacer = Pacer(clock=t, sleep=t.sleep)
    waits = []
    for _ in range(10):
        before = t.now
        await pacer.turn("T1", "CBUSY")
        waits.append(t.now - before)
    before = t.now
    await pacer.turn("T1", "CQUIET")
    assert t.now == before  # no wait for a channel of its own
    assert waits[:3] == [0.0, 0.0, 0.0] and sum(waits) == pytest.approx(7.0)
    await pacer.post(client, "T1", "CQUIET", turn_taken=True, text="hi")
    assert t.now == before and len(fake_slack.posted("CQUIET")) == 1


async def test_posts_whose_builds_took_unequal_times_still_reach_slack_a_second_apart(
        fake_slack: FakeSlack, client: AsyncWebClient) -> None:
    """Four turns taken at once (the burst and one a second later), the first post built slowly:
    it reaches Slack late, right before the fourth; the fourth still waits its second."""
    t = VirtualTime()
    fake_slack.rate_limit(per_channel=1.0, burst=3, clock=t)
    pacer = Pacer(clock=t, sleep=t.sleep)
    for _ in range(4):
        await pacer.turn("T1", "CSLOW")
    assert t.now == pytest.approx(1001.0)
    for i in range(3):
        await pacer.post(client, "T1", "CSLOW", turn_taken=True, text=f"built {i}")
    await pacer.post(client, "T1", "CSLOW", turn_taken=True, text="the fourth")
    assert [c.limited for c in fake_slack.posted("CSLOW")] == [False] * 4
