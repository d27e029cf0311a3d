"""Feedback ↔ launch over the real endpoint: `/feedback link`, the card's launch picker, the
checklist's "ships N feedback items", and launch day shipping the linked items with one DM per
reporter, once, across two `prodops-bot tick` processes."""
from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: F401
from sqlalchemy import select

from bot import duties
from bot.clock import Clock
from bot.feedback.enums import FeedbackAction, FeedbackView
from models.delivery import Delivery
from models.feedback import FeedbackItem, FeedbackStatus
from models.launch import Launch
from tests.blockkit import assert_valid_blocks, block_text
from tests.conftest import Bot
from tests.feedback_helpers import new_ts, reaction
from tests.slack_requests import BOT_TOKEN, block_actions, view_submission

CHANNEL = "CLNKSHIP"
OWNER = "ULNKOWN1"
ADMIN = "ULNKADM1"
CREATED = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday
LAUNCH_DAY = date(2026, 12, 8)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), UTC)


async def launch(bot: Bot, team: str, clock: Clock, name: str = "Mobile v2", day: date = LAUNCH_DAY) -> None:
    clock.set(CREATED)
    bot.fake.add_user(OWNER)
    status, _ = await bot.slack.command(team, OWNER, "/launch", f'new "{name}" {day.isoformat()}', channel_id=CHANNEL)
    assert status == 200
    await bot.settle()


async def voted_item(bot: Bot, team: str, text: str = "Offline mode please",
                     voters: tuple[str, ...] = ("ULNKREP1", "ULNKREP2")) -> int:
    """One item reported by every voter (reactions on one message)."""
    ts = new_ts()
    bot.fake.add_message("CLNKFEED", ts, text, user="ULNKAUTH")
    for user in voters:
        bot.fake.add_user(user)
        assert (await bot.slack.event(team, reaction(user, "CLNKFEED", ts)))[0] == 200
    await bot.settle()
    async with bot.rt.db.unit_of_work() as session:
        return (await session.scalars(select(FeedbackItem.number).where(
            FeedbackItem.team_id == team, FeedbackItem.message_ts == ts))).one()


async def as_admin(bot: Bot, team: str, text: str) -> str:
    bot.fake.add_user(ADMIN, is_admin=True)
    status, body = await bot.slack.command(team, ADMIN, "/feedback", text, channel_id="CLNKFEED")
    assert status == 200
    await bot.settle()
    return body["text"]


async def decide_go(bot: Bot, team: str, name: str = "Mobile v2") -> None:
    _, body = await bot.slack.command(team, OWNER, "/launch", f'go "{name}"', channel_id=CHANNEL)
    assert "Posting the go/no-go" in body["text"]
    await bot.settle()
    summary = [c for c in bot.fake.posted(CHANNEL) if c.args.get("text", "").startswith("Go/no-go for")][-1]
    buttons = next(b for b in summary.args["blocks"] if b["type"] == "actions")["elements"]
    go = next(b for b in buttons if b["action_id"] == "launch.decide.go")
    status, _ = await bot.slack.interaction(block_actions(team, OWNER, [go], channel_id=CHANNEL,
                                                          response_url=bot.fake.response_url("go")))
    assert status == 200
    await bot.settle()
    async with bot.rt.db.unit_of_work() as session:
        row = (await session.scalars(select(Launch).where(Launch.team_id == team, Launch.name == name))).one()
        assert row.decision is not None and row.decision.value == "go"


async def item(bot: Bot, team: str, number: int) -> FeedbackItem:
    async with bot.rt.db.unit_of_work() as session:
        return (await session.scalars(select(FeedbackItem).where(FeedbackItem.team_id == team,
                                                                 FeedbackItem.number == number))).one()


def checklist_text(bot: Bot) -> str:
    """The live checklist message as it was last posted or updated."""
    calls = [c for c in bot.fake.calls if c.method in ("chat.postMessage", "chat.update")
             and c.args.get("channel") == CHANNEL and "Launch checklist" in c.args.get("text", "")]
    return block_text(calls[-1].args["blocks"])


def shipped_dms(bot: Bot, user: str) -> list[str]:
    return [c.args["text"] for c in bot.fake.posted(user) if "shipped feedback you reported" in c.args.get("text", "")]


def mine(lines: list[str], team: str) -> list[str]:
    """This test's workspace's lines of the shipping duty (the tick runs every feature's)."""
    return [line for line in lines if line.startswith("feedback shipped on launch day") and f" in {team} " in line]


async def test_link_shows_on_the_checklist_and_launch_day_ships_and_tells_each_reporter_once(
        bot: Bot, team: str, clock: Clock) -> None:
    await launch(bot, team, clock)
    number = await voted_item(bot, team)
    answer = await as_admin(bot, team, f'link {number} "mobile V2" Offline mode is in 2.4, enjoy')
    assert answer.startswith(f"#{number} ships with *Mobile v2*") and "with your note" in answer
    assert "Ships 1 feedback item* (2 reporters)" in checklist_text(bot)
    _, body = await bot.slack.command(team, OWNER, "/launch", 'status "Mobile v2"', channel_id=CHANNEL)
    assert "Ships 1 feedback item" in block_text(body["blocks"])
    _, body = await bot.slack.command(team, ADMIN, "/feedback", f"show {number}")
    assert_valid_blocks(body["blocks"])
    assert "Ships with *Mobile v2* (2026-12-08)" in block_text(body["blocks"])
    assert "Offline mode is in 2.4, enjoy" in block_text(body["blocks"])
    # Linking again to the same launch changes nothing.
    assert (await as_admin(bot, team, f'link {number} "Mobile v2"')).startswith(f"#{number} already ships with")

    # Go decided; the day before launch day nothing ships; on the day it ships once.
    await decide_go(bot, team)
    bot.fake.reset()
    for user in ("ULNKREP1", "ULNKREP2"):
        bot.fake.add_user(user)
    assert mine(await duties.tick(bot.rt, at(LAUNCH_DAY - timedelta(days=1))), team) == []
    clock.set(at(LAUNCH_DAY))
    lines = mine(await duties.tick(bot.rt, at(LAUNCH_DAY)), team)
    assert len(lines) == 1 and "shipped 1 linked feedback item, 2 reporter DMs" in lines[0], lines
    assert (await item(bot, team, number)).status is FeedbackStatus.SHIPPED
    for user in ("ULNKREP1", "ULNKREP2"):
        (dm,) = bot.fake.posted(user)
        assert dm.args["text"] == f":rocket: Mobile v2 shipped feedback you reported: #{number}"
        assert "Offline mode is in 2.4, enjoy" in block_text(dm.args["blocks"])
    assert "Shipped 1 feedback item* (#%d); 2 reporters get a DM" % number in checklist_text(bot)
    # Later ticks and the outcome sweep (the /feedback status path) send nothing more.
    assert mine(await duties.tick(bot.rt, at(LAUNCH_DAY) + timedelta(minutes=1)), team) == []
    from bot.feedback.flows import sweep_outcomes
    await sweep_outcomes(bot.rt)
    assert [len(bot.fake.posted(u)) for u in ("ULNKREP1", "ULNKREP2")] == [1, 1]
    # The launch that shipped takes no more links; unlinking a shipped item is refused.
    other = await voted_item(bot, team, "Dark mode", voters=("ULNKREP3",))
    assert "has already launched" in await as_admin(bot, team, f'link {other} "Mobile v2"')
    assert "already shipped" in await as_admin(bot, team, f"unlink {number}")


async def test_no_go_or_no_decision_ships_nothing_and_a_reporter_away_hears_when_back(
        bot: Bot, team: str, clock: Clock) -> None:
    await launch(bot, team, clock, name="Undecided")
    number = await voted_item(bot, team, voters=("ULNKREP4",))
    await as_admin(bot, team, f'link {number} Undecided')
    clock.set(at(LAUNCH_DAY))
    assert mine(await duties.tick(bot.rt, at(LAUNCH_DAY)), team) == []
    assert (await item(bot, team, number)).status is FeedbackStatus.NEW
    # Go decided after launch day: shipped at the next tick; the reporter's DM waits for their
    # working hours (a Saturday, in London).
    clock.set(at(LAUNCH_DAY + timedelta(days=4), hour=8))  # Saturday 2026-12-12
    await decide_go(bot, team, "Undecided")
    saturday = at(LAUNCH_DAY + timedelta(days=4), hour=8)
    lines = mine(await duties.tick(bot.rt, saturday), team)
    assert len(lines) == 1 and "shipped 1 linked feedback item, 1 reporter DM" in lines[0]
    assert (await item(bot, team, number)).status is FeedbackStatus.SHIPPED
    assert shipped_dms(bot, "ULNKREP4") == []
    monday = at(LAUNCH_DAY + timedelta(days=6), hour=9) + timedelta(minutes=5)
    clock.set(monday)
    await duties.tick(bot.rt, monday)
    assert shipped_dms(bot, "ULNKREP4") == [f":rocket: Undecided shipped feedback you reported: #{number}"]
    await duties.tick(bot.rt, monday + timedelta(minutes=1))
    assert len(shipped_dms(bot, "ULNKREP4")) == 1


async def test_who_may_link_and_what_is_refused_changes_nothing(bot: Bot, team: str, clock: Clock) -> None:
    await launch(bot, team, clock)
    number = await voted_item(bot, team, voters=("ULNKREP5",))
    bot.fake.add_user("ULNKPLN1")
    _, body = await bot.slack.command(team, "ULNKPLN1", "/feedback", f'link {number} "Mobile v2"')
    assert "ops admins and the owner" in body["text"]
    assert "There is no launch named `Nope`" in await as_admin(bot, team, f'link {number} "Nope"')
    assert "Usage: `/feedback link" in await as_admin(bot, team, f"link {number}")
    assert "is not linked to a launch" in await as_admin(bot, team, f"unlink {number}")
    assert "There is no feedback #9999" in await as_admin(bot, team, 'link 9999 "Mobile v2"')
    # "link" followed by words is feedback, as "status page is broken" is.
    await as_admin(bot, team, "link sharing is broken")
    assert "link sharing is broken" in [row.text for row in await bot_items(bot, team)]
    # Another workspace's launch of the same name is not found from here.
    other_team = "T" + team[1:-1] + ("A" if team[-1] != "A" else "B")
    bot.fake.add_user("ULNKOTH1")
    await bot.slack.command(other_team, "ULNKOTH1", "/launch", 'new "Elsewhere" 2026-12-20', channel_id="CLNKOTHR")
    await bot.settle()
    assert "There is no launch named `Elsewhere`" in await as_admin(bot, team, f'link {number} Elsewhere')
    # A cancelled launch takes no links.
    await bot.slack.command(team, OWNER, "/launch", 'cancel "Mobile v2"', channel_id=CHANNEL)
    await bot.settle()
    assert "was cancelled" in await as_admin(bot, team, f'link {number} "Mobile v2"')
    assert (await item(bot, team, number)).launch_id is None
    # A closed item is refused too.
    await launch(bot, team, clock, name="Tablet")
    await as_admin(bot, team, f"status {number} declined Not for now")
    assert "already declined" in await as_admin(bot, team, f"link {number} Tablet")
    assert (await item(bot, team, number)).launch_id is None


async def open_picker(bot: Bot, team: str, number: int) -> dict:
    """An ops admin's click on the item card's "Ships with…": the modal Slack was asked to open."""
    bot.fake.add_user(ADMIN, is_admin=True)
    _, body = await bot.slack.command(team, ADMIN, "/feedback", f"show {number}")
    controls = next(b for b in body["blocks"] if b["type"] == "actions")
    picker = next(e for e in controls["elements"] if e["action_id"] == FeedbackAction.LINK)
    await bot.slack.interaction(block_actions(team, ADMIN, [{**picker, "block_id": controls["block_id"]}],
                                              response_url=bot.fake.response_url("card")))
    await bot.settle()
    return bot.fake.calls_to("views.open")[-1].args["view"]


async def test_the_cards_picker_links_unlinks_and_refuses_another_workspaces_launch(
        bot: Bot, team: str, clock: Clock) -> None:
    await launch(bot, team, clock, name="Picker launch")
    number = await voted_item(bot, team, voters=("ULNKREP6",))
    view = await open_picker(bot, team, number)
    assert_valid_blocks(view["blocks"], limit=100)
    select_ = next(b for b in view["blocks"] if b.get("block_id") == "launch")["element"]
    (option,) = [o for o in select_["options"] if o["text"]["text"].startswith("Picker launch")]
    meta = view["private_metadata"]

    async def submit(value: str, note: str | None = None) -> dict:
        values = {"launch": {"launch": {"type": "static_select", "selected_option": {"value": value}}},
                  "note": {"note": {"type": "plain_text_input", "value": note}}}
        status, answer = await bot.slack.interaction(view_submission(team, ADMIN, FeedbackView.LINK, values,
                                                                     private_metadata=meta))
        assert status == 200
        await bot.settle()
        return answer or {}

    await submit(option["value"], "Picked from the card")
    row = await item(bot, team, number)
    assert row.launch_id == int(option["value"]) and row.ship_note == "Picked from the card"
    # A forged id (another workspace's launch) is refused under the field, nothing changes.
    other_team = "T" + team[1:-1] + ("A" if team[-1] != "A" else "B")
    bot.fake.add_user("ULNKOTH2")
    await bot.slack.command(other_team, "ULNKOTH2", "/launch", 'new "Theirs" 2026-12-20', channel_id="CLNKOTHR")
    await bot.settle()
    async with bot.rt.db.unit_of_work() as session:
        foreign = (await session.scalars(select(Launch.id).where(Launch.team_id == other_team))).one()
    answer = await submit(str(foreign))
    assert answer == {"response_action": "errors", "errors": {"launch": "That launch no longer exists."}}
    assert (await item(bot, team, number)).launch_id == int(option["value"])
    answer = await submit("not-a-number")
    assert answer.get("response_action") == "errors"
    # The picker offers unlinking once linked.
    await submit("none")
    assert (await item(bot, team, number)).launch_id is None


async def test_a_merged_duplicate_hands_its_launch_to_the_item_it_joins(bot: Bot, team: str, clock: Clock) -> None:
    await launch(bot, team, clock, name="Merge launch")
    first = await voted_item(bot, team, "Export to CSV", voters=("ULNKREP7",))
    dup = await voted_item(bot, team, "CSV export please", voters=("ULNKREP8",))
    await as_admin(bot, team, f'link {dup} "Merge launch" CSV is in')
    await as_admin(bot, team, f"merge {dup} {first}")
    target = await item(bot, team, first)
    assert target.launch_id is not None and target.ship_note == "CSV is in"
    assert (await item(bot, team, dup)).launch_id is None
    await as_admin(bot, team, f"status {first} planned")
    assert "Ships 1 feedback item* (2 reporters)" in block_text(
        (await bot.slack.command(team, OWNER, "/launch", 'status "Merge launch"'))[1]["blocks"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rest=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
async def test_any_link_arguments_are_answered_and_only_a_real_launch_links(bot: Bot, team: str, rest: str) -> None:
    bot.fake.add_user(ADMIN, is_admin=True)
    before = await bot_items(bot, team)
    status, body = await bot.slack.command(team, ADMIN, "/feedback", f"link 1 {rest}")
    assert status == 200 and body.get("response_type", "ephemeral") == "ephemeral"
    text = body["text"]
    assert text and ("Usage" in text or "no launch named" in text or "no feedback #1" in text
                     or "file" in text.lower()), text
    after = await bot_items(bot, team)
    assert [(i.number, i.launch_id) for i in after if i.number == 1] == \
        [(i.number, i.launch_id) for i in before if i.number == 1]


async def bot_items(bot: Bot, team: str) -> list[FeedbackItem]:
    async with bot.rt.db.unit_of_work() as session:
        return list((await session.scalars(select(FeedbackItem).where(FeedbackItem.team_id == team))).all())


async def _tick_process(bot: Bot, cwd: Path, instant: datetime) -> tuple[int, str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "PORT", "LOG_"))}
    env = {**clean, "PYTHONPATH": str(Path.cwd()), "SLACK_BOT_TOKEN": BOT_TOKEN,
           "SLACK_API_URL": bot.fake.api_url, "DATABASE_URL": bot.rt.settings.database_url}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "tick", "--at", instant.isoformat(),
                                                cwd=str(cwd), env=env, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=90)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_two_processes_ticking_launch_day_at_once_ship_and_tell_each_reporter_once(
        bot: Bot, team: str, clock: Clock, tmp_path: Path) -> None:
    await launch(bot, team, clock, name="Twice")
    reporters = ("ULNKREP9", "ULNKRPA1", "ULNKRPA2")
    numbers = [await voted_item(bot, team, f"Thing {n}", voters=reporters[n:]) for n in range(3)]
    for number in numbers:
        await as_admin(bot, team, f"link {number} Twice It shipped")
    await decide_go(bot, team, "Twice")
    bot.fake.reset()
    for user in reporters:
        bot.fake.add_user(user)
    instant = at(LAUNCH_DAY)
    clock.set(instant)
    (one, out_one, err_one), (two, out_two, err_two) = await asyncio.gather(
        _tick_process(bot, tmp_path, instant), _tick_process(bot, tmp_path, instant))
    assert one == 0 and two == 0, (err_one, err_two)
    shipped_lines = [line for line in (out_one + out_two).splitlines()
                     if f" in {team} launched" in line and "shipped 3 linked feedback items" in line]
    assert len(shipped_lines) == 1, out_one + out_two
    assert all(row.status is FeedbackStatus.SHIPPED for row in await bot_items(bot, team)
               if row.number in numbers)
    # Reporter n reported items 0..n: one DM naming each of them, never two.
    for n, user in enumerate(reporters):
        listed = ", ".join(f"#{numbers[i]}" for i in range(n + 1))
        assert shipped_dms(bot, user) == [f":rocket: Twice shipped feedback you reported: {listed}"], user
    async with bot.rt.db.unit_of_work() as session:
        rows = (await session.execute(select(Delivery.kind, Delivery.key, Delivery.status).where(
            Delivery.team_id == team, Delivery.kind.in_(["feedback.outcome", "feedback.shipped"])))).all()
    # Each item's own outcome DM is folded into the launch's, so the /feedback status path's
    # retry sweep finds it taken.
    assert sorted((k, key, st.value) for k, key, st in rows if k == "feedback.outcome") == sorted(
        ("feedback.outcome", f"{numbers[i]}:{u}", "folded") for n, u in enumerate(reporters) for i in range(n + 1))
    assert sorted(key.split(":")[1] for k, key, _ in rows if k == "feedback.shipped") == sorted(reporters)


async def test_deleting_a_launch_leaves_its_feedback_open_and_linked_to_nothing(bot: Bot, team: str,
                                                                                clock: Clock) -> None:
    await launch(bot, team, clock, name="Doomed")
    number = await voted_item(bot, team, voters=("ULNKRPB1",))
    await as_admin(bot, team, f"link {number} Doomed Will ship")
    _, body = await bot.slack.command(team, OWNER, "/launch", 'delete "Doomed"', channel_id=CHANNEL)
    await bot.settle()
    view = bot.fake.calls_to("views.open")[-1].args["view"]
    status, _ = await bot.slack.interaction(view_submission(team, OWNER, view["callback_id"], {},
                                                            private_metadata=view["private_metadata"]))
    assert status == 200
    await bot.settle()
    async with bot.rt.db.unit_of_work() as session:
        assert (await session.scalars(select(Launch).where(Launch.team_id == team))).all() == []
    row = await item(bot, team, number)
    assert (row.launch_id, row.ship_note, row.status) == (None, None, FeedbackStatus.NEW)


async def test_a_reporter_in_another_zone_hears_in_their_own_working_hours_and_once_per_launch(
        bot: Bot, team: str, clock: Clock) -> None:
    await launch(bot, team, clock, name="Zoned")
    tokyo = "ULNKTKY1"
    first = await voted_item(bot, team, "Kanji search", voters=(tokyo,))
    second = await voted_item(bot, team, "Furigana", voters=(tokyo,))
    bot.fake.add_user(tokyo, tz="Asia/Tokyo")
    for number in (first, second):
        await as_admin(bot, team, f"link {number} Zoned")
    await decide_go(bot, team, "Zoned")
    evening_in_tokyo = at(LAUNCH_DAY, hour=10)  # 19:00 in Tokyo: after their day
    clock.set(evening_in_tokyo)
    lines = mine(await duties.tick(bot.rt, evening_in_tokyo), team)
    assert len(lines) == 1 and "shipped 2 linked feedback items, 1 reporter DM" in lines[0]
    assert shipped_dms(bot, tokyo) == []  # held: the workspace is on UTC, the reporter is not
    morning_in_tokyo = datetime(2026, 12, 9, 0, 5, tzinfo=UTC)  # 09:05 in Tokyo
    clock.set(morning_in_tokyo)
    await duties.tick(bot.rt, morning_in_tokyo)
    assert shipped_dms(bot, tokyo) == [f":rocket: Zoned shipped feedback you reported: #{first}, #{second}"]


async def test_typos_of_link_and_unlink_ask_and_unquoted_names_take_as_many_words_as_name_a_launch(
        bot: Bot, team: str, clock: Clock) -> None:
    await launch(bot, team, clock, name="Atlas GA")
    number = await voted_item(bot, team, voters=("ULNKRPC1",))
    bot.fake.add_user(ADMIN, is_admin=True)
    for typed, meant, label in ((f'lnik {number} "Atlas GA"', f'link {number} "Atlas GA"', f"Link #{number}"),
                                (f"unlik {number}", f"unlink {number}", f"Unlink #{number}")):
        _, body = await bot.slack.command(team, ADMIN, "/feedback", typed)
        assert body["text"] == f"Did you mean /feedback {meant}?"
        assert label in block_text(body["blocks"])
    answer = await as_admin(bot, team, f"link {number} Atlas GA it is in")
    assert answer.startswith(f"#{number} ships with *Atlas GA*")
    row = await item(bot, team, number)
    assert row.ship_note == "it is in"
    assert (await as_admin(bot, team, f"link {number} atlas ga")).startswith(f"#{number} already ships with")
    assert "note for the reporters is updated" in await as_admin(bot, team, f'link {number} "Atlas GA" new note')
    assert (await item(bot, team, number)).ship_note == "new note"


async def test_the_picker_stays_within_slacks_100_options(bot: Bot, team: str, clock: Clock) -> None:
    from slack_sdk.models.blocks import StaticSelectElement
    clock.set(CREATED)
    bot.fake.add_user(OWNER)
    await bot.slack.command(team, OWNER, "/launch", "help", channel_id=CHANNEL)  # the workspace is recorded
    async with bot.rt.db.unit_of_work() as session:
        for n in range(105):
            session.add(Launch(team_id=team, name=f"Bulk {n:03d}", name_key=f"bulk {n:03d}",
                               launch_date=LAUNCH_DAY + timedelta(days=n), channel_id=CHANNEL, owner_id=OWNER,
                               template_name="Default", created_by=OWNER, message_ts=None))
    number = await voted_item(bot, team, voters=("ULNKRPD1",))
    await as_admin(bot, team, f'link {number} "Bulk 104"')  # the latest: not among the first 100
    view = await open_picker(bot, team, number)
    element = next(b for b in view["blocks"] if b.get("block_id") == "launch")["element"]
    StaticSelectElement(**element).validate_json()  # raises past 100 options
    values = [o["value"] for o in element["options"]]
    assert len(values) == 100 and values[-1] == "none" and element["initial_option"]["text"]["text"].startswith("Bulk 104")
    assert "links any other" in block_text(view["blocks"])
    async with bot.rt.db.unit_of_work() as session:
        for row in (await session.scalars(select(Launch).where(Launch.team_id == team))).all():
            await session.delete(row)


async def test_a_refusal_under_the_pickers_field_reads_as_plain_text(bot: Bot, team: str, clock: Clock) -> None:
    await launch(bot, team, clock, name="Plainly")
    number = await voted_item(bot, team, voters=("ULNKRPE1",))
    bot.fake.add_user(ADMIN, is_admin=True)
    await bot.slack.command(team, OWNER, "/launch", 'cancel "Plainly"', channel_id=CHANNEL)
    await bot.settle()
    async with bot.rt.db.unit_of_work() as session:
        launch_id = (await session.scalars(select(Launch.id).where(Launch.team_id == team))).one()
    values = {"launch": {"launch": {"type": "static_select", "selected_option": {"value": str(launch_id)}}}}
    _, answer = await bot.slack.interaction(view_submission(team, ADMIN, FeedbackView.LINK, values,
                                                            private_metadata=f'{{"number": {number}}}'))
    error = answer["errors"]["launch"]
    assert error.startswith('Plainly was cancelled, so nothing on it changes. `/launch reopen "Plainly"`'), error
    assert "*" not in error


async def test_forged_launch_ids_past_32_bits_are_out_of_date_not_a_database_error(bot: Bot, team: str,
                                                                                   clock: Clock) -> None:
    await launch(bot, team, clock, name="Forged")
    bot.fake.add_user(OWNER)
    for action_id, value in (("launch.item.toggle", '{"l": 2147483648, "i": 1, "d": true}'),
                             ("launch.item.toggle", '{"l": 1, "i": 99999999999999999999, "d": true}'),
                             ("launch.decide.go", '{"l": 2147483648}')):
        bot.fake.reset()
        status, _ = await bot.slack.interaction(block_actions(
            team, OWNER, [{"action_id": action_id, "block_id": "forged", "type": "button", "value": value}],
            channel_id=CHANNEL, response_url=bot.fake.response_url("forged")))
        assert status == 200
        await bot.settle()
        ((_, said),) = bot.fake.responses
        assert "out of date" in said["text"] and "database" not in said["text"], said


async def test_the_checklist_follows_its_items_closed_merged_or_deleted_elsewhere(bot: Bot, team: str,
                                                                                  clock: Clock) -> None:
    await launch(bot, team, clock, name="Follows")
    first = await voted_item(bot, team, "One", voters=("ULNKRPF1",))
    second = await voted_item(bot, team, "Two", voters=("ULNKRPF2",))
    third = await voted_item(bot, team, "Three", voters=("ULNKRPF3",))
    for number in (first, second, third):
        await as_admin(bot, team, f"link {number} Follows")
    assert "Ships 3 feedback items* (3 reporters)" in checklist_text(bot)
    await as_admin(bot, team, f"status {first} declined Not now")
    assert "Ships 2 feedback items* (2 reporters)" in checklist_text(bot)
    said = await as_admin(bot, team, f"merge {second} {third}")
    assert "Its launch link" not in said  # both ship with Follows: nothing to say
    assert "Ships 1 feedback item* (2 reporters)" in checklist_text(bot)
    await as_admin(bot, team, f"status {third} declined Not now")
    fourth = await voted_item(bot, team, "Four", voters=("ULNKRPF4",))
    await as_admin(bot, team, f"link {fourth} Follows")
    assert "Ships 1 feedback item* (1 reporter): #%d." % fourth in checklist_text(bot)
    _, body = await bot.slack.command(team, ADMIN, "/feedback", f"delete {fourth}")
    delete = next(e for b in body["blocks"] if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"] == FeedbackAction.DELETE)
    await bot.slack.interaction(block_actions(team, ADMIN, [{**delete, "block_id": "q"}],
                                              response_url=bot.fake.response_url("del")))
    await bot.settle()
    assert "Ships" not in checklist_text(bot)
