"""Events API: retried event ids run once; a failed listener leaves the event for Slack's retry."""
from __future__ import annotations

from sqlalchemy import select

from models.event import ProcessedEvent
from tests.blockkit import assert_valid_blocks
from tests.conftest import Bot


def home_opened(user: str = "UHOME01") -> dict[str, object]:
    return {"type": "app_home_opened", "user": user, "channel": "DHOME", "tab": "home", "event_ts": "1.0"}


async def test_app_home_is_published(bot: Bot, team: str) -> None:
    status, _ = await bot.slack.event(team, home_opened())
    assert status == 200
    await bot.settle()
    (call,) = bot.fake.calls_to("views.publish")
    assert call.args["user_id"] == "UHOME01"
    assert call.token == "xoxb-test-0000-bot-token"
    assert call.ok  # the fake refuses what Slack would (tests/fake_slack.view_refusal)
    assert_valid_blocks(call.args["view"]["blocks"], limit=100)


async def test_retried_event_id_is_processed_once(bot: Bot, team: str) -> None:
    event_id = "Ev" + team
    for retry in (None, 1, 2):
        status, _ = await bot.slack.event(team, home_opened(), event_id=event_id, retry_num=retry)
        assert status == 200
    await bot.settle()
    assert len(bot.fake.calls_to("views.publish")) == 1
    async with bot.rt.db.unit_of_work() as session:
        rows = (await session.scalars(select(ProcessedEvent).where(ProcessedEvent.event_id == event_id))).all()
    assert [(r.team_id, r.event_type) for r in rows] == [(team, "app_home_opened")]
    # A different event id is new work.
    await bot.slack.event(team, home_opened(), event_id=event_id + "b")
    await bot.settle()
    assert len(bot.fake.calls_to("views.publish")) == 2


async def test_event_the_listener_ignores_is_still_acked(bot: Bot, team: str) -> None:
    """A subscribed event with nothing to do (the Messages tab opened) still gets a 2xx."""
    status, _ = await bot.slack.event(team, {**home_opened(), "tab": "messages"})
    assert status == 200
    await bot.settle()
    assert bot.fake.calls_to("views.publish") == []


async def test_event_without_a_listener_stays_unrecorded_for_slacks_retry(bot: Bot, team: str) -> None:
    event_id = "EvNoListener" + team
    status, _ = await bot.slack.event(team, {"type": "member_left_channel", "user": "U1", "channel": "C1"},
                                      event_id=event_id)
    assert status == 404  # Bolt's answer: Slack will retry it
    async with bot.rt.db.unit_of_work() as session:
        assert await session.get(ProcessedEvent, event_id) is None
