"""The App Home dashboard's frame (issue 15): published on app_home_opened within Slack's
limits, quick actions that open the feedback and launch forms from the home tab (a click there
re-draws it), and the ops admins' cards (digests with a failing one first, scheduled work that
failed) absent for everyone else. The features' own cards: tests/test_home_*.py."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.home.enums import HomeAction
from models.calendar import DutyRun
from tests.blockkit import assert_valid_blocks, block_text
from tests.conftest import Bot
from tests.digest_helpers import set_up
from tests.fake_slack import view_refusal
from tests.slack_requests import home_actions
from tests.standup_helpers import BERLIN, meet, uid


async def opened(bot: Bot, team: str, user: str) -> dict[str, Any]:
    before = len(bot.fake.calls_to("views.publish"))
    status, _ = await bot.slack.event(team, {"type": "app_home_opened", "user": user, "channel": "D" + user,
                                             "tab": "home", "event_ts": "1700000000.000001"})
    assert status == 200
    await bot.settle()
    calls = bot.fake.calls_to("views.publish")
    assert len(calls) == before + 1
    view = calls[-1].args["view"]
    assert calls[-1].args["user_id"] == user and view["type"] == "home"
    assert calls[-1].ok, view_refusal(view)  # the fake refuses what Slack would (tests/fake_slack.py)
    assert_valid_blocks(view["blocks"], limit=100)
    return view


async def test_everyone_gets_the_frame_and_quick_actions_and_no_admin_cards(bot: Bot, team: str) -> None:
    member = uid(team, "MEM")
    await meet(bot, team, member, BERLIN, "Mo")
    text = block_text((await opened(bot, team, member))["blocks"])
    assert "Your dashboard" in text and "(Europe/Berlin)" in text
    assert "File feedback" in text and "New launch" in text and "`/digest`" in text
    assert "*Digests*" not in text and "Scheduled work that failed" not in text


async def test_ops_admins_see_digests_failing_first_and_failed_duties(bot: Bot, team: str, clock: Any) -> None:
    clock.set(datetime(2026, 12, 7, 7, 0, tzinfo=UTC))
    admin = uid(team, "ADM")
    await meet(bot, team, admin, BERLIN, "Ada", is_admin=True)
    await set_up(bot, team, admin, "Fine one", time="09:00", timezone=BERLIN)
    await set_up(bot, team, admin, "Broken one", channel="CBRK" + team[-6:], time="09:00", timezone=BERLIN)
    async with bot.rt.db.unit_of_work() as session:
        from sqlalchemy import update

        from models.digest import Digest
        await session.execute(update(Digest).where(Digest.team_id == team, Digest.channel_id == "CBRK" + team[-6:])
                              .values(failing_reason="not_in_channel", failing_since=clock.now()))
        session.add(DutyRun(name=f"probe {team}", at=clock.now(), outcome="failed (TimeoutError)"))
    text = block_text((await opened(bot, team, admin))["blocks"])
    assert "*Digests* · 2 · :warning: 1 failing" in text
    assert text.index("Broken one") < text.index("Fine one")
    assert f"*probe {team}*: failed (TimeoutError)" in text


async def test_file_feedback_from_the_home_tab_opens_the_form_and_redraws_the_home(bot: Bot, team: str) -> None:
    member = uid(team, "MEM")
    await meet(bot, team, member, BERLIN, "Mo")
    await opened(bot, team, member)
    published = len(bot.fake.calls_to("views.publish"))
    status, _ = await bot.slack.interaction(home_actions(team, member, [
        {"action_id": HomeAction.FILE_FEEDBACK, "block_id": "b", "type": "button", "value": ""}]))
    await bot.settle()
    assert status == 200
    (form,) = [c.args["view"] for c in bot.fake.calls_to("views.open")][-1:]
    assert form["type"] == "modal"
    assert len(bot.fake.calls_to("views.publish")) == published + 1  # the click re-drew the home
    status, _ = await bot.slack.interaction(home_actions(team, member, [
        {"action_id": HomeAction.NEW_LAUNCH, "block_id": "b", "type": "button", "value": ""}]))
    await bot.settle()
    assert status == 200 and bot.fake.calls_to("views.open")[-1].args["view"]["type"] == "modal"
