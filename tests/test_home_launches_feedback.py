"""App Home's launch and feedback cards (issue 15): your launches with their readiness, your
open checklist items overdue first with the checklist's own check-off button (clicked from the
home tab: the item is checked, the checklist re-rendered, the home re-drawn), your feedback by
status, and for ops admins the launches at risk and the feedback to triage. Everything filed
through the app; each card within its share of the view whatever the data."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.clock import Clock
from bot.home.cards import CARD_BLOCKS, CARD_CHARS, LIST_MAX
from bot.blocks import text_chars as _chars
from bot.launches import service as launches
from models.launch import Launch, LaunchItem
from tests.blockkit import assert_valid_blocks, block_text
from tests.conftest import Bot
from tests.fake_slack import view_refusal
from tests.feedback_helpers import file_by_command
from tests.slack_requests import block_actions, home_actions

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a Monday
OWNER, ALICE, BOB, BOSS = "ULHOWN1", "ULHALI1", "ULHBOB1", "ULHBOSS"
CHANNEL = "CLHOME1"
HEADINGS = ("*Your launches*", "*Your checklist items*", "*Launches at risk*", "*Your feedback*",
            "*Feedback to triage*")


def as_slack_sends(typed: str) -> str:
    """Slack sends a typed `&`, `<` and `>` in slash-command text as entities."""
    return typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def day(n: int) -> date:
    return NOW.date() + timedelta(days=n)


async def opened(bot: Bot, team: str, user: str) -> dict[str, Any]:
    before = len(bot.fake.calls_to("views.publish"))
    status, _ = await bot.slack.event(team, {"type": "app_home_opened", "user": user, "channel": "D" + user,
                                             "tab": "home", "event_ts": "1.0"})
    assert status == 200
    await bot.settle()
    calls = bot.fake.calls_to("views.publish")
    assert len(calls) == before + 1 and calls[-1].args["user_id"] == user
    view = calls[-1].args["view"]
    assert view["type"] == "home"
    assert calls[-1].ok, view_refusal(view)  # the fake refuses what Slack would (tests/fake_slack.py)
    assert_valid_blocks(view["blocks"], limit=100)
    return view


def card(view: dict[str, Any], heading: str) -> list[dict[str, Any]] | None:
    """The blocks of the card that starts with `heading` (cards are kept apart by dividers)."""
    blocks = view["blocks"]
    for i, block in enumerate(blocks):
        if block["type"] == "section" and block["text"]["text"].startswith(heading):
            end = next((j for j in range(i + 1, len(blocks)) if blocks[j]["type"] == "divider"), len(blocks) - 1)
            return blocks[i:end]
    return None


def within_share(blocks: list[dict[str, Any]]) -> None:
    assert len(blocks) <= CARD_BLOCKS and _chars(blocks) <= CARD_CHARS
    assert "more than fits here" not in block_text(blocks)  # held by the card itself, not cut


async def new_launch(bot: Bot, team: str, name: str, when: date, owner: str = OWNER, admin: bool = False) -> int:
    bot.fake.add_user(owner, tz="Europe/London", is_admin=admin)
    status, body = await bot.slack.command(team, owner, "/launch", as_slack_sends(f'new "{name}" {when.isoformat()}'),
                                           channel_id=CHANNEL)
    assert status == 200 and "Created" in body["text"], body
    await bot.settle()
    async with bot.rt.db.unit_of_work() as session:
        return int(await session.scalar(select(Launch.id).where(Launch.team_id == team,
                                                                Launch.name == as_slack_sends(name))))


async def item_ids(bot: Bot, launch_id: int) -> dict[str, int]:
    async with bot.rt.db.unit_of_work() as session:
        rows = (await session.execute(select(LaunchItem.title, LaunchItem.id)
                                      .where(LaunchItem.launch_id == launch_id))).all()
    return {title: item_id for title, item_id in rows}


async def assign(bot: Bot, team: str, launch_id: int, item_id: int, user: str) -> None:
    bot.fake.add_user(user, tz="Europe/London")
    pick = {"action_id": "launch.item.owner", "block_id": f"launch.item.{launch_id}.{item_id}",
            "type": "users_select", "selected_user": user}
    status, _ = await bot.slack.interaction(block_actions(team, OWNER, [pick], channel_id=CHANNEL))
    assert status == 200
    await bot.settle()


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b["accessory"] for b in blocks if b.get("accessory", {}).get("type") == "button"]


# -- launches ------------------------------------------------------------------------------------

async def test_your_launches_with_readiness_and_your_items_overdue_first(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    soon = await new_launch(bot, team, "Mobile <v2> & co", day(3))  # T-10 .. T-5 overdue, T-3 today
    await new_launch(bot, team, "Web relaunch", day(-4))  # launched 4 days ago: still shown
    await new_launch(bot, team, "Long gone", day(-9))  # launched 9 days ago: not shown
    await new_launch(bot, team, "Dropped", day(20))
    status, _ = await bot.slack.command(team, OWNER, "/launch", 'cancel "Dropped"', channel_id=CHANNEL)
    assert status == 200
    await bot.settle()
    await assign(bot, team, soon, (await item_ids(bot, soon))["Code complete"], ALICE)

    view = await opened(bot, team, OWNER)
    mine = card(view, "*Your launches*")
    assert mine is not None
    within_share(mine)
    text = block_text(mine)
    assert text.startswith("*Your launches* · 2 upcoming or launched in the last 7 days")
    assert ("*Mobile &lt;v2&gt; &amp; co* · Thu Dec 10 (3 days to go) · `░░░░░░░░░░` 0% ready · "
            ":warning: 5 overdue") in text
    assert "*Web relaunch* · Thu Dec 3 (launch day was 4 days ago)" in text and "<#CLHOME1>" in text
    assert "Long gone" not in text and "Dropped" not in text
    assert text.index("Web relaunch") < text.index("Mobile")  # by launch day

    items = card(view, "*Your checklist items*")
    assert items is not None
    within_share(items)
    text = block_text(items)
    # Every open item of the owner's launches is theirs (a launch long past still has them), but
    # Alice's Code complete: 8 + 8 + 7.
    assert text.startswith("*Your checklist items* · 23 open · :warning: 19 overdue")
    rows = [b["text"]["text"] for b in items if "accessory" in b]
    assert len(rows) == LIST_MAX
    assert rows[0].startswith("Code complete · *Long gone* · :warning: *overdue since Wed Nov 18*")
    assert all("overdue" in r and "_unassigned: you own the launch_" in r for r in rows)
    assert "and 18 more:" in text
    (first, *_) = buttons(items)
    assert first["action_id"] == "launch.item.toggle" and first["text"]["text"] == "Mark done"
    assert json.loads(first["value"])["d"] is True

    # Alice owns no launch: only the item assigned to her.
    view = await opened(bot, team, ALICE)
    assert card(view, "*Your launches*") is None
    text = block_text(card(view, "*Your checklist items*") or [])
    assert "*Your checklist items* · 1 open · :warning: 1 overdue" in text
    assert "Code complete · *Mobile &lt;v2&gt; &amp; co* · :warning: *overdue since Mon Nov 30*" in text
    assert "_unassigned" not in text and "more:" not in text


async def test_checking_an_item_off_from_the_home_tab(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    launch_id = await new_launch(bot, team, "Mobile v2", day(3))
    code = (await item_ids(bot, launch_id))["Code complete"]
    await assign(bot, team, launch_id, code, ALICE)
    view = await opened(bot, team, ALICE)
    (button,) = buttons(card(view, "*Your checklist items*") or [])
    updates = len(bot.fake.calls_to("chat.update"))
    published = len(bot.fake.calls_to("views.publish"))
    action = {"action_id": button["action_id"], "block_id": "b1", "type": "button", "value": button["value"]}
    status, _ = await bot.slack.interaction(home_actions(team, ALICE, [action], blocks=view["blocks"]))
    assert status == 200
    await bot.settle()
    async with bot.rt.db.unit_of_work() as session:
        item = await session.get(LaunchItem, code)
        assert item is not None and item.done and item.done_by == ALICE
    # The checklist message is re-rendered and the thread says who did it, as from the checklist.
    assert len(bot.fake.calls_to("chat.update")) == updates + 1
    thread = [c.args["text"] for c in bot.fake.posted(CHANNEL) if c.args.get("thread_ts")]
    assert any(f"<@{ALICE}> checked off" in line for line in thread)
    # ... and the home is drawn again, without the item.
    calls = bot.fake.calls_to("views.publish")
    assert len(calls) == published + 1 and calls[-1].args["user_id"] == ALICE and calls[-1].ok
    assert_valid_blocks(calls[-1].args["view"]["blocks"], limit=100)
    assert card(calls[-1].args["view"], "*Your checklist items*") is None

    # A click the person may not make (a stale home of Bob's) is refused by DM, and changes nothing.
    bot.fake.add_user(BOB)
    other = (await item_ids(bot, launch_id))["QA sign-off"]
    forged = {**action, "value": json.dumps({"l": launch_id, "i": other, "d": True})}
    await bot.slack.interaction(home_actions(team, BOB, [forged]))
    await bot.settle()
    assert any(c.args["channel"] == BOB and "Only the item's owner" in c.args["text"] for c in bot.fake.posted())
    async with bot.rt.db.unit_of_work() as session:
        assert not (await session.get(LaunchItem, other)).done  # type: ignore[union-attr]


async def test_launches_at_risk_for_ops_admins_only(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    await new_launch(bot, team, "Overdue soon", day(3))  # 5 overdue
    await new_launch(bot, team, "On track", day(10))  # T-10 is due today: nothing overdue
    blocked = await new_launch(bot, team, "Blocked", day(12))
    await new_launch(bot, team, "Far out", day(20))  # outside the 14 days
    await new_launch(bot, team, "Long overdue", day(-2))  # launched: not upcoming
    async with bot.rt.db.unit_of_work() as session:  # a standup blocker naming it (bot/standups raises these)
        launch = await launches.get_by_id(session, team, blocked)
        await launches.raise_risk(session, launch, "standup", "answer-1", "API keys &lt;missing&gt;", ALICE)
    bot.fake.add_user(BOSS, is_admin=True)
    view = await opened(bot, team, BOSS)
    risky = card(view, "*Launches at risk*")
    assert risky is not None
    within_share(risky)
    text = block_text(risky)
    assert text.startswith("*Launches at risk* · 2 of 3 launches in the next 14 days")
    assert "*Overdue soon* · Thu Dec 10 (3 days to go) · 0% ready · :warning: 5 overdue" in text
    assert "*Blocked* · Sat Dec 19 (12 days to go) · 0% ready · :construction: 1 open blocker" in text
    assert text.index("Overdue soon") < text.index("Blocked")
    assert "On track" not in text and "Far out" not in text and "Long overdue" not in text
    # Not an admin: no such card (the owner still sees their own launches).
    view = await opened(bot, team, OWNER)
    assert card(view, "*Launches at risk*") is None and card(view, "*Your launches*") is not None


# -- feedback ------------------------------------------------------------------------------------

async def test_your_feedback_by_status_and_the_triage_queue(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW - timedelta(days=9))
    bot.fake.add_user(ALICE)
    bot.fake.add_user(BOB)
    bot.fake.add_user(BOSS, is_admin=True)
    oldest = await file_by_command(bot, team, BOB, as_slack_sends("Dark mode <please> & soon"))
    clock.set(NOW - timedelta(days=3))
    planned = await file_by_command(bot, team, ALICE, "CSV exports")
    owned = await file_by_command(bot, team, BOB, "SAML login")
    clock.set(NOW)
    newest = await file_by_command(bot, team, ALICE, "Slack digest in threads")
    _, body = await bot.slack.command(team, BOSS, "/feedback", f"status {planned} planned")
    assert "planned" in body["text"]
    pick = {"action_id": "feedback.owner", "block_id": f"feedback.item.{owned}", "type": "users_select",
            "selected_user": ALICE}
    await bot.slack.interaction(block_actions(team, BOSS, [pick], response_url=bot.fake.response_url("own")))
    await bot.settle()

    mine = card(await opened(bot, team, ALICE), "*Your feedback*")
    assert mine is not None
    within_share(mine)
    text = block_text(mine)
    assert text.startswith("*Your feedback* · 3 items you reported or own · 1 new · 1 triaged · 1 planned")
    lines = text.split("\n")
    assert lines[1] == (f":new: *#{newest}* · new · Slack digest in threads · filed Dec 7 · "
                        f"`/feedback show {newest}`")
    assert f":mag: *#{owned}* · triaged · you own it · SAML login" in lines[2]
    assert f":calendar: *#{planned}* · planned · CSV exports · filed Dec 4" in lines[3]
    assert f"#{oldest}" not in text

    assert card(await opened(bot, team, ALICE), "*Feedback to triage*") is None  # not an admin
    triage = card(await opened(bot, team, BOSS), "*Feedback to triage*")
    assert triage is not None
    within_share(triage)
    text = block_text(triage)
    assert text.startswith("*Feedback to triage* · 2 untriaged (status new), the oldest first")
    assert (f"• *#{oldest}* · 9 days old · Dark mode &lt;please&gt; &amp; soon · `/feedback show {oldest}`"
            in text)
    assert text.index(f"#{oldest}") < text.index(f"#{newest}* · filed today")
    assert "`/feedback list new`" in text and "more:" not in text
    assert card(await opened(bot, team, BOSS), "*Your feedback*") is None  # the admin reported nothing


async def test_nothing_to_show_and_another_workspace_never_shows(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    other = "TOTHER" + team[-5:]
    # The same person, busy in another workspace (an admin, as here): launches and feedback there.
    await new_launch(bot, other, "Elsewhere", day(2), admin=True)
    await file_by_command(bot, other, OWNER, "Another workspace's idea")
    view = await opened(bot, other, OWNER)
    assert all(card(view, h) is not None for h in HEADINGS)
    view = await opened(bot, team, OWNER)
    assert all(card(view, h) is None for h in HEADINGS)
    assert "Elsewhere" not in block_text(view["blocks"]) and "idea" not in block_text(view["blocks"])


async def test_large_data_stays_within_each_cards_share(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    name = "&<>" * 26  # 78 characters typed, 390 in mrkdwn
    for n in range(25):  # 25 launches of 8 items: 200 items, all soon and overdue
        await new_launch(bot, team, f"{name}{n:02d}", day(3 + n % 5), admin=True)
    for n in range(200):
        await file_by_command(bot, team, OWNER, as_slack_sends(f"{'<&>' * 300} {n}"))
    view = await opened(bot, team, OWNER)
    assert len(view["blocks"]) <= 100
    assert _chars(view["blocks"]) <= 25_000
    for heading, more in (("*Your launches* · 25", "and 20 more: `/launch list`"),
                          ("*Your checklist items* · 200 open", "and 195 more:"),
                          ("*Launches at risk* · 25 of 25 launches", "and 20 more: `/launch list`"),
                          ("*Your feedback* · 200 items you reported or own · 200 new", "and 195 more:"),
                          ("*Feedback to triage* · 200 untriaged", "and 195 more: `/feedback list new`")):
        blocks = card(view, heading)
        assert blocks is not None, heading
        within_share(blocks)
        assert more in block_text(blocks), heading
