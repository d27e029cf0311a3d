"""Standups: the defects a black-box pass found (issue 12), each driven the way it was found,
through the signed endpoint, `duties.tick` at chosen instants and the CLI, on both backends."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import date, timedelta

from sqlalchemy import select

from bot import duties
from bot.clock import Clock
from bot.standups.enums import StandupView
from models.standup import Standup, StandupAnswer
from tests.blockkit import block_text
from tests.conftest import Bot
from tests.slack_requests import view_submission
from tests.standup_helpers import (BERLIN, NEW_YORK, channel_of, last_view, local, meet, set_up, state_of, submit,
                                   tick, uid)

MONDAY = date(2026, 11, 30)


def summaries(bot: Bot, team: str, name: str) -> list[str]:
    return [m.text for m in bot.fake.messages.get(channel_of(team), [])
            if m.thread_ts is None and m.text.startswith(f"{name} standup ")]


async def answer_rows(bot: Bot, standup_id: int) -> list[StandupAnswer]:
    async with bot.rt.db.unit_of_work() as session:
        return list((await session.scalars(select(StandupAnswer).where(StandupAnswer.standup_id == standup_id))).all())


async def test_the_latest_days_summary_is_caught_up_after_days_down(bot: Bot, team: str, clock: Clock) -> None:
    admin, ana = uid(team, "ADM"), uid(team, "ANA")
    clock.set(local(MONDAY, 8))
    await meet(bot, team, admin, BERLIN, "Ada", is_admin=True)
    await meet(bot, team, ana, BERLIN, "Ana")
    await set_up(bot, team, admin, "Catch", [ana], owner=admin)
    await tick(bot, clock, local(MONDAY, 8, 1))
    await tick(bot, clock, local(MONDAY, 11, 0))
    assert summaries(bot, team, "Catch") == ["Catch standup Mon Nov 30: 0/1 answered"]
    # Down from Monday 11:01 to Wednesday 12:00: Tuesday's summary is past the 12 h grace and
    # skipped; Wednesday's (due 11:00) is within it and goes up now, not never.
    lines = await tick(bot, clock, local(MONDAY + timedelta(days=2), 12, 0))
    ours = [line for line in lines if "standup summaries" in line and f" in {team} " in line]
    assert any("skipped" in line and "2026-12-01" in line for line in ours), ours
    assert any(line.startswith("standup summaries: sent") and "2026-12-02" in line for line in ours), ours
    assert summaries(bot, team, "Catch")[-1] == "Catch standup Wed Dec 2: 0/1 answered"
    await tick(bot, clock, local(MONDAY + timedelta(days=2), 12, 1))
    assert len(summaries(bot, team, "Catch")) == 2


async def test_an_owner_cannot_move_their_standup_into_a_channel_they_have_no_say_over(bot: Bot, team: str,
                                                                                       clock: Clock) -> None:
    clock.set(local(MONDAY, 12))
    admin, plain = uid(team, "ADM"), uid(team, "PLN")
    await meet(bot, team, admin, BERLIN, "Ada", is_admin=True)
    await meet(bot, team, plain, BERLIN, "Pat")
    await set_up(bot, team, admin, "Theirs", [plain], owner=plain)
    status, _ = await bot.slack.command(team, plain, "/standup", "edit Theirs", channel_id=channel_of(team))
    assert status == 200
    await bot.settle()
    view = last_view(bot, StandupView.SETUP)
    status, body = await submit(bot, team, plain, view, {"channel": "CELSEWHERE1"})
    assert body["response_action"] == "errors" and "channel" in body["errors"], body
    async with bot.rt.db.unit_of_work() as session:
        row = await session.scalar(select(Standup).where(Standup.team_id == team, Standup.name == "Theirs"))
    assert row is not None and row.channel_id == channel_of(team)
    status, body = await submit(bot, team, plain, view, {"name": "Theirs renamed"})  # the same channel: fine
    assert not (body or {}).get("errors"), body


async def test_simultaneous_first_answers_save_one_and_the_same_answers_again_change_nothing(
        bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 9, 45))
    admin, nia = uid(team, "ADM"), uid(team, "NIA")
    await meet(bot, team, admin, BERLIN, "Ada", is_admin=True)
    await meet(bot, team, nia, BERLIN, "Nia")
    standup = await set_up(bot, team, admin, "Race", [nia], owner=admin)
    meta = json.dumps({"s": standup.id, "d": MONDAY.isoformat()})
    await bot.slack.interaction({"type": "block_actions", "team": {"id": team}, "user": {"id": nia, "team_id": team},
                                 "api_app_id": "A_APP", "trigger_id": "t.1", "response_url": "",
                                 "actions": [{"action_id": "standup.fill", "value": meta, "block_id": "b",
                                              "type": "button", "action_ts": "1"}]})
    await bot.settle()
    view = last_view(bot, StandupView.ANSWER)
    state = state_of(view, {"q0": "Shipped", "q1": "More", "q2": "none"})
    results = await asyncio.gather(*(bot.slack.interaction(view_submission(team, nia, StandupView.ANSWER, state,
                                                                           private_metadata=meta))
                                     for _ in range(4)))
    await bot.settle()
    assert all(status == 200 and body and body.get("response_action") == "update" for status, body in results), results
    assert not [c for c in bot.fake.posted(nia) if "couldn't save" in c.args.get("text", "")]
    rows = await answer_rows(bot, standup.id)
    assert len(rows) == 1 and rows[0].answers == ["Shipped", "More", "none"] and rows[0].version == 1
    assert len([m for m in bot.fake.messages.get(channel_of(team), []) if "Nia" in json.dumps(m.blocks)]) == 1
    assert bot.fake.calls_to("chat.update") == []  # nothing changed: no "edited" update either


async def test_people_added_after_a_days_deadline_are_neither_asked_nor_counted_for_it(
        bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 12))  # after 11:00 Berlin, before 11:00 New York
    admin, ber, ny = uid(team, "ADM"), uid(team, "BER"), uid(team, "NY")
    await meet(bot, team, admin, BERLIN, "Ada", is_admin=True)
    await meet(bot, team, ber, BERLIN, "Bea")
    await meet(bot, team, ny, NEW_YORK, "Noa")
    standup = await set_up(bot, team, admin, "Late setup", [ber, ny], owner=admin)
    await tick(bot, clock, local(MONDAY, 12, 1))
    await tick(bot, clock, local(MONDAY, 11, 0, NEW_YORK))
    (summary,) = [m for m in bot.fake.messages.get(channel_of(team), []) if m.text.startswith("Late setup standup")]
    text = block_text(summary.blocks)
    assert "0/1" in text and "Noa" in text and "Bea" not in text, text  # Bea was never asked for Monday
    meta = json.dumps({"s": standup.id, "d": MONDAY.isoformat()})
    status, _ = await bot.slack.interaction({
        "type": "block_actions", "team": {"id": team}, "user": {"id": ber, "team_id": team}, "api_app_id": "A_APP",
        "trigger_id": "t.2", "response_url": "", "actions": [{"action_id": "standup.fill", "value": meta,
                                                              "block_id": "b", "type": "button", "action_ts": "1"}]})
    await bot.settle()
    assert any("after the deadline of Mon Nov 30" in c.args.get("text", "") for c in bot.fake.posted(ber))
    assert await answer_rows(bot, standup.id) == []


async def test_bots_are_no_participants_and_no_owners(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 8))
    admin, ana, robot = uid(team, "ADM"), uid(team, "ANA"), uid(team, "ROBO")
    await meet(bot, team, admin, BERLIN, "Ada", is_admin=True)
    await meet(bot, team, ana, BERLIN, "Ana")
    bot.fake.add_user(robot, tz=BERLIN, is_bot=True)
    status, _ = await bot.slack.event(team, {"type": "user_change", "user": {
        "id": robot, "team_id": team, "name": "robo", "real_name": "Robo", "deleted": False, "is_bot": True,
        "tz": BERLIN, "tz_offset": 0, "profile": {"real_name": "Robo", "display_name": "Robo"}}})
    assert status == 200
    await bot.settle()
    status, _ = await bot.slack.command(team, admin, "/standup", "setup", channel_id=channel_of(team))
    await bot.settle()
    view = last_view(bot, StandupView.SETUP)
    status, body = await submit(bot, team, admin, view, {"name": "Bots", "members": [ana, robot], "owner": robot})
    assert body["errors"] == {"owner": "Pick a person as the owner: that one is a bot or has left the workspace."}
    status, body = await submit(bot, team, admin, view, {"name": "Bots", "members": [robot], "owner": admin})
    assert body["errors"] == {"members": "Pick at least one person: bots and people who left can't take part."}
    status, body = await submit(bot, team, admin, view, {"name": "Bots", "members": [ana, robot], "owner": admin})
    assert not (body or {}).get("errors"), body
    told = [c.args.get("text", "") for c in bot.fake.calls_to("chat.postEphemeral")]
    assert any("*Bots*: 1 participant," in t for t in told), told


async def test_a_report_channel_that_dropped_the_bot_is_said_to_the_person(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 9, 45))
    admin, ana = uid(team, "ADM"), uid(team, "ANA")
    await meet(bot, team, admin, BERLIN, "Ada", is_admin=True)
    await meet(bot, team, ana, BERLIN, "Ana")
    standup = await set_up(bot, team, admin, "Dropped", [ana], owner=admin)
    bot.fake.fail("chat.postMessage", "not_in_channel", match={"channel": channel_of(team)})
    meta = json.dumps({"s": standup.id, "d": MONDAY.isoformat()})
    state = {f"q{i}": {f"q{i}": {"type": "plain_text_input", "value": v}} for i, v in enumerate(["a", "b", ""])}
    status, body = await bot.slack.interaction(view_submission(team, ana, StandupView.ANSWER, state,
                                                               private_metadata=meta))
    await bot.settle()
    assert status == 200 and body["response_action"] == "update"
    dm = [c.args["text"] for c in bot.fake.posted(ana)]
    assert any("I'm not in that channel any more" in t and "saved" in t for t in dm), dm
    (row,) = await answer_rows(bot, standup.id)
    assert row.unposted and row.message_ts is None  # the sweeper's, once the bot is back


async def test_the_dry_run_says_a_prompt_to_someone_who_answered_would_be_dropped(bot: Bot, team: str,
                                                                                   clock: Clock) -> None:
    clock.set(local(MONDAY, 8))
    admin, ana = uid(team, "ADM"), uid(team, "ANA")
    await meet(bot, team, admin, BERLIN, "Ada", is_admin=True)
    await meet(bot, team, ana, BERLIN, "Ana")
    standup = await set_up(bot, team, admin, "Early", [ana], owner=admin)
    await tick(bot, clock, local(MONDAY, 8, 1))
    meta = json.dumps({"s": standup.id, "d": MONDAY.isoformat()})
    state = {f"q{i}": {f"q{i}": {"type": "plain_text_input", "value": v}} for i, v in enumerate(["a", "b", ""])}
    await bot.slack.interaction(view_submission(team, ana, StandupView.ANSWER, state, private_metadata=meta))
    await bot.settle()
    at = local(MONDAY, 9, 30)
    clock.set(at)
    lines = [line for line in await duties.tick(bot.rt, at, dry_run=True) if f" {ana} " in line]
    assert lines == [f"standup prompts: would drop standup prompt to {ana} in {team} (standup {standup.id}) "
                     f"for {MONDAY.isoformat()} (nothing left to say)"], lines


def test_tick_at_a_year_outside_the_calendars_reach_is_refused_in_one_line() -> None:
    for at in ("9999-12-31T23:59:00Z", "0001-01-01T00:00:00Z"):
        done = subprocess.run([sys.executable, "-m", "bot", "tick", "--at", at], capture_output=True, text=True,
                              env={"PATH": "/usr/bin:/bin", "SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": "x",
                                   "DATABASE_URL": "sqlite+aiosqlite:///:memory:"}, timeout=60)
        assert done.returncode == 2 and "outside the years 2000 to 2999" in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
