"""Standup commands, forms and input edges (issue 12): who may set up, edit, pause and delete a
standup; every way the setup form can be wrong; `/standup` alone, list, help, stats and unknown
names; answers from outsiders, empty, stale or too long for Block Kit; summary mode; a
participant who leaves; a DM or a report channel Slack refuses. All through the signed endpoint
against the fake Slack Web API, asserting what the fake recorded and what the database holds.
"""
from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st
from sqlalchemy import func, select

from bot.clock import Clock
from bot.errors import UserError
from bot.feedback.parsing import one_edit
from bot.quotes import QUOTES
from bot.standups import flows
from bot.standups.enums import StandupAction, StandupView
from bot.standups.parsing import (FILLERS, NONE_WORDS, SUBCOMMANDS, StandupCommand, fold, is_blocker, is_none_like,
                                  parse_command, parse_questions)
from bot.usertext import from_slack, from_typed, plain
from models.standup import PostMode, Standup, StandupAnswer, StandupBlocker, StandupMember
from tests.blockkit import assert_valid_blocks, block_text
from tests.conftest import Bot
from tests.standup_helpers import (BERLIN, NEW_YORK, channel_of, click_fill, dms, fill_value, last_view, local, meet,
                                   state_of, submit, tick, uid)

MONDAY = date(2027, 1, 11)
NO_CORE = "There is no standup named `Core`. `/standup list` shows them."
TUESDAY, WEDNESDAY = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)


# -- helpers ----------------------------------------------------------------------------------------

async def cmd(bot: Bot, team: str, user: str, text: str, channel: str | None = None) -> dict[str, Any]:
    """`/standup <text>` as Slack sends it; the reply body (empty when a modal opens instead)."""
    status, body = await bot.slack.command(team, user, "/standup", text, channel_id=channel or channel_of(team))
    assert status == 200, body
    await bot.settle()
    return body or {}


def told(bot: Bot, user: str) -> list[str]:
    """What the person was told privately after a request: ephemerals to them and DMs."""
    return [c.args.get("text", "") for c in bot.fake.calls
            if (c.method == "chat.postEphemeral" and c.args.get("user") == user)
            or (c.method == "chat.postMessage" and c.args.get("channel") == user)]


def opened(bot: Bot, callback_id: str) -> list[dict[str, Any]]:
    views = [c.args["view"] for c in bot.fake.calls_to("views.open")]
    return [v for v in views if v.get("callback_id") == callback_id]


def blocks_of(args: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = args.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


async def standups(bot: Bot, team: str) -> list[Standup]:
    async with bot.rt.db.unit_of_work() as session:
        return list((await session.scalars(select(Standup).where(Standup.team_id == team)
                                           .order_by(Standup.id))).all())


async def members(bot: Bot, standup_id: int) -> list[str]:
    async with bot.rt.db.unit_of_work() as session:
        return sorted((await session.scalars(select(StandupMember.user_id)
                                             .where(StandupMember.standup_id == standup_id))).all())


async def answers(bot: Bot, team: str) -> list[StandupAnswer]:
    async with bot.rt.db.unit_of_work() as session:
        return list((await session.scalars(select(StandupAnswer).where(StandupAnswer.team_id == team)
                                           .order_by(StandupAnswer.id))).all())


async def ops_admin(bot: Bot, team: str, user: str) -> None:
    """`user` becomes an ops admin of `team` (not a Slack admin), as a Slack admin makes one."""
    boss = uid(team, "BOSS")
    bot.fake.add_user(boss, is_admin=True)
    status, body = await bot.slack.command(team, boss, "/prodops", f"admins add <@{user}>")
    assert status == 200 and "is now an ops admin" in body["text"], body


async def people(bot: Bot, team: str, *tags: str, zone: str = BERLIN) -> list[str]:
    """One person per tag, known to Slack and the directory; the first one a Slack admin."""
    users = [uid(team, tag) for tag in tags]
    for i, user in enumerate(users):
        await meet(bot, team, user, zone, tags[i].title(), is_admin=i == 0)
    return users


def lines_for(lines: list[str], *users: str) -> list[str]:
    return [line for line in lines if any(u in line for u in users)]


def posts_in(bot: Bot, channel: str, *, thread: str | None = None) -> list[Any]:
    return [m for m in bot.fake.messages.get(channel, []) if m.thread_ts == thread]


async def new_standup(bot: Bot, team: str, admin: str, name: str, members_: list[str], **values: Any) -> Standup:
    """standup_helpers.set_up, for any name (that one finds the row by the name as stored)."""
    before = {s.id for s in await standups(bot, team)}
    await cmd(bot, team, admin, "setup")
    status, body = await submit(bot, team, admin, last_view(bot, StandupView.SETUP),
                                {"name": name, "members": members_, **values})
    assert status == 200 and not body, body
    (row,) = [s for s in await standups(bot, team) if s.id not in before]
    return row


def setup_errors(body: Any) -> dict[str, str]:
    assert body and body.get("response_action") == "errors", body
    return body["errors"]


# -- setup: who may ---------------------------------------------------------------------------------

async def test_setup_is_for_admins_and_owners_of_a_standup_in_the_channel(bot: Bot, team: str) -> None:
    admin, lead, stranger, ops = await people(bot, team, "ADM", "LEAD", "STR", "OPS")
    here, elsewhere = channel_of(team), "CX" + team[-8:]  # X: never a hex digit of the team id
    body = await cmd(bot, team, stranger, "setup")
    assert body["text"].startswith("Only ops admins and the owner of a standup in that channel can set up a standup.")
    assert opened(bot, StandupView.SETUP) == []

    await ops_admin(bot, team, ops)
    for user in (admin, ops):  # a Slack admin, an ops admin
        assert await cmd(bot, team, user, "setup") == {}
    assert len(opened(bot, StandupView.SETUP)) == 2
    view = opened(bot, StandupView.SETUP)[-1]
    assert_valid_blocks(view["blocks"], limit=100)
    assert json.loads(view["private_metadata"]) == {"s": None, "c": here}

    await new_standup(bot, team, admin, "Mobile", [lead], owner=lead)
    # The owner of a standup reporting here may set up another one here, not elsewhere.
    assert await cmd(bot, team, lead, "setup") == {}
    view = last_view(bot, StandupView.SETUP)
    assert view["blocks"][1]["element"]["initial_conversation"] == here
    status, body = await submit(bot, team, lead, view, {"name": "Web", "members": [lead, stranger]})
    assert status == 200 and not body, body
    assert [s.name for s in await standups(bot, team)] == ["Mobile", "Web"]
    assert "Created the standup *Web*" in told(bot, lead)[-1]
    body = await cmd(bot, team, lead, "setup", channel=elsewhere)
    assert body["text"].startswith("Only ops admins and the owner of a standup in that channel")
    # Nor by pointing the form opened here at another channel.
    status, body = await submit(bot, team, lead, view, {"name": "Elsewhere", "members": [lead],
                                                        "channel": elsewhere})
    assert setup_errors(body) == {"channel": "Only ops admins and the owner of a standup in that channel can set up a "
                                             "standup. Ask one of them, or see `/prodops admins list`."}
    assert [s.name for s in await standups(bot, team)] == ["Mobile", "Web"]


# -- setup: what the form refuses -------------------------------------------------------------------

async def test_the_setup_form_puts_each_error_under_its_field_and_writes_nothing(bot: Bot, team: str) -> None:
    admin, other = await people(bot, team, "ADM", "OTH")
    await new_standup(bot, team, admin, "Core team", [admin])
    assert await cmd(bot, team, admin, "setup") == {}
    view = last_view(bot, StandupView.SETUP)
    good = {"name": "Second", "members": [admin, other]}
    seven = "\n".join(f"Question {i}?" for i in range(7))
    later = "The deadline must be later in the day than the prompt time."
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"prompt": None}, "prompt", "Pick the prompt time (HH:MM)."),
        ({"deadline": None}, "deadline", "Pick the deadline (HH:MM)."),
        ({"prompt": "25:00"}, "prompt", "`25:00` is not a time of day."),
        ({"deadline": "10:61"}, "deadline", "`10:61` is not a time of day."),
        ({"prompt": "9.30"}, "prompt", "Pick the prompt time (HH:MM)."),
        ({"prompt": "11:00", "deadline": "10:00"}, "deadline", later),
        ({"prompt": "10:00", "deadline": "10:00"}, "deadline", later),
        ({"prompt": "10:00", "deadline": "10:14"}, "deadline",
         "Leave at least 15 minutes between the prompt and the deadline."),
        ({"members": []}, "members", "Pick at least one participant."),
        ({"days": []}, "days", "Pick at least one day."),
        ({"questions": ""}, "questions", "Ask at least one question, one per line."),
        ({"questions": " \n\n  \n"}, "questions", "Ask at least one question, one per line."),
        ({"questions": seven}, "questions", "Ask at most 6 questions (one per line); there are 7."),
        ({"questions": "Short?\n" + "x" * 151}, "questions", "Question 2 is longer than 150 characters."),
        ({"name": "  CORE   team "}, "name", "There is already a standup named `CORE team`; pick another name."),
        ({"name": "  "}, "name", "Give the standup a name, e.g. `Mobile team`."),
        ({"channel": None}, "channel", "Pick the report channel."),
        ({"name": "Help desk"}, "name",
         "A standup name can't start with `help` (a /standup command word); try e.g. `Team Help desk`."),
    ]
    for values, field, message in cases:
        status, body = await submit(bot, team, admin, view, {**good, **values})
        assert status == 200 and setup_errors(body) == {field: message}, (values, body)
    # 150 characters, and what typing `<&>` turns into, are fine: lengths count what was typed.
    status, body = await submit(bot, team, admin, view, {**good, "name": "Tall\x00", "questions": "<&>" * 50 + "\x00"})
    assert status == 200 and not body, body
    assert [s.name for s in await standups(bot, team)] == ["Core team", "Tall"]
    assert bot.fake.calls_to("views.update") == []


async def test_a_report_channel_the_bot_cannot_post_in_is_refused_before_anything_is_written(bot: Bot,
                                                                                            team: str) -> None:
    (admin,) = await people(bot, team, "ADM")
    assert await cmd(bot, team, admin, "setup") == {}
    view = last_view(bot, StandupView.SETUP)
    here = channel_of(team)
    values = {"name": "Core", "members": [admin]}
    bot.fake.not_member.add(here)
    status, body = await submit(bot, team, admin, view, values)
    assert setup_errors(body) == {"channel": f"I'm not in #{here}. Invite me with `/invite @ProdOps`, then try again."}
    bot.fake.not_member.discard(here)
    for error in ("not_in_channel", "channel_not_found"):
        bot.fake.fail("conversations.info", error)
        status, body = await submit(bot, team, admin, view, values)
        assert setup_errors(body) == {
            "channel": f"I can't see #{here} ({error}). Invite me with `/invite @ProdOps` first."}
    bot.fake.fail("conversations.info", "internal_error")
    status, body = await submit(bot, team, admin, view, values)
    assert setup_errors(body) == {"channel": f"I couldn't reach Slack to check #{here} (Slack said `internal_error`). "
                                             "Nothing was saved; please try again in a moment."}
    assert await standups(bot, team) == []
    status, body = await submit(bot, team, admin, view, values)  # invited: it goes through
    assert status == 200 and not body and [s.name for s in await standups(bot, team)] == ["Core"]


# -- list, edit, pause, resume, delete --------------------------------------------------------------

async def test_list_shows_every_standup_and_marks_the_paused_one(bot: Bot, team: str) -> None:
    admin, lead = await people(bot, team, "ADM", "LEAD")
    assert (await cmd(bot, team, lead, "list"))["text"] == "0 standups"
    await new_standup(bot, team, admin, "Web", [admin, lead], owner=lead, mode="summary")
    await new_standup(bot, team, admin, "api <team>", [lead], days=["0", "2", "4"], prompt="08:00", deadline="08:45")
    await new_standup(bot, team, admin, "Mobile", [admin])
    assert "Paused *Mobile*" in (await cmd(bot, team, admin, "pause mobile"))["text"]
    body = await cmd(bot, team, lead, "list")
    assert body["text"] == "3 standups"
    assert_valid_blocks(body["blocks"])
    rows = [b["text"]["text"] for b in body["blocks"] if b["type"] == "section"]
    assert [r.split("\n")[0] for r in rows] == ["*api &lt;team&gt;*", "*Mobile* · :double_vertical_bar: paused",
                                                "*Web*"]
    here = channel_of(team)
    assert rows[0].split("\n")[1] == (f"<#{here}> · 1 participant · Mon, Wed, Fri · prompt 08:00, deadline 08:45 "
                                      f"(each person's time) · each answer as it arrives · owner <@{admin}>")
    assert "2 participants · Mon–Fri · prompt 09:30, deadline 11:00" in rows[2] and "one summary" in rows[2]
    assert f"owner <@{lead}>" in rows[2]


async def test_edit_opens_the_form_as_saved_and_saving_moves_times_and_people(bot: Bot, team: str,
                                                                              clock: Clock) -> None:
    clock.set(local(MONDAY, 0, 0, "UTC"))
    admin, stays, goes, joins = await people(bot, team, "ADM", "STAY", "GO", "JOIN")
    standup = await new_standup(bot, team, admin, "Core", [stays, goes], questions="Done?\nNext?\nBlockers?")
    await tick(bot, clock, local(MONDAY, 0, 1, "UTC"))
    assert await cmd(bot, team, admin, "edit  CORE ") == {}
    view = last_view(bot, StandupView.SETUP)
    assert json.loads(view["private_metadata"]) == {"s": standup.id, "c": channel_of(team)}
    assert view["title"]["text"] == "Edit standup"
    state = state_of(view, {})
    assert state["name"]["name"]["value"] == "Core"
    assert state["members"]["members"]["selected_users"] == [stays, goes]
    assert state["questions"]["questions"]["value"] == "Done?\nNext?\nBlockers?"
    times = (state["prompt"]["prompt"]["selected_time"], state["deadline"]["deadline"]["selected_time"])
    assert times == ("09:30", "11:00")
    assert [o["value"] for o in state["days"]["days"]["selected_options"]] == ["0", "1", "2", "3", "4"]
    assert state["owner"]["owner"]["selected_user"] == admin

    await new_standup(bot, team, admin, "Other", [admin])
    status, body = await submit(bot, team, admin, view, {"name": "other "})
    assert setup_errors(body) == {"name": "There is already a standup named `other`; pick another name."}
    status, body = await submit(bot, team, admin, view, {"members": [stays, joins], "prompt": "10:00",
                                                         "deadline": "12:00"})
    assert status == 200 and not body, body
    assert "Saved the standup *Core*: 2 participants" in told(bot, admin)[-1]
    row, _ = await standups(bot, team)
    assert (row.name, row.prompt_at, row.deadline_at) == ("Core", 600, 720)
    assert await members(bot, standup.id) == sorted([stays, joins])

    lines = await tick(bot, clock, local(MONDAY, 9, 30))  # the old prompt time: nobody
    assert [len(dms(bot, u)) for u in (stays, goes, joins)] == [0, 0, 0], lines
    lines = await tick(bot, clock, local(MONDAY, 10, 0))
    assert [len(dms(bot, u)) for u in (stays, goes, joins)] == [1, 0, 1], lines
    assert "Due by *12:00*" in json.dumps(blocks_of(dms(bot, stays)[0].args))
    await tick(bot, clock, local(MONDAY, 11, 0))  # the reminder, to those still in it
    assert [len(dms(bot, u)) for u in (stays, goes, joins)] == [2, 0, 2]
    assert lines_for(lines, goes) == []


async def test_pause_stops_prompts_reminders_and_the_summary_and_resume_restarts_them(bot: Bot, team: str,
                                                                                      clock: Clock) -> None:
    clock.set(local(MONDAY, 0, 0, "UTC"))
    admin, one, two = await people(bot, team, "ADM", "ONE", "TWO")
    here = channel_of(team)
    await new_standup(bot, team, admin, "Core", [one, two])
    await tick(bot, clock, local(MONDAY, 0, 1, "UTC"))
    body = await cmd(bot, team, admin, "pause Core")
    assert body["text"] == "Paused *Core*: no prompts, reminders or summaries until `/standup resume Core`."
    body = await cmd(bot, team, admin, "pause core")
    assert body["text"] == "*Core* is already paused; `/standup resume Core` restarts it."
    for hour, minute in ((9, 30), (10, 15), (11, 0), (11, 1)):
        lines = await tick(bot, clock, local(MONDAY, hour, minute))
        assert lines_for(lines, one, two) == [], lines
    assert dms(bot, one) == dms(bot, two) == [] and posts_in(bot, here) == []
    (row,) = await standups(bot, team)
    assert row.paused_at is not None

    clock.set(local(MONDAY, 12, 0))
    body = await cmd(bot, team, admin, "resume Core")
    assert body["text"] == "Resumed *Core*: prompts start again on its next day."
    assert (await cmd(bot, team, admin, "resume Core"))["text"] == "*Core* is not paused; nothing changed."
    await tick(bot, clock, local(MONDAY, 12, 1))  # Monday's deadline has passed: nothing today
    assert dms(bot, one) == dms(bot, two) == [] and posts_in(bot, here) == []
    await tick(bot, clock, local(TUESDAY, 9, 30))
    assert [len(dms(bot, u)) for u in (one, two)] == [1, 1]
    await tick(bot, clock, local(TUESDAY, 11, 0))
    await tick(bot, clock, local(TUESDAY, 11, 1))
    (summary,) = posts_in(bot, here)
    assert "answered *0/2*" in summary.blocks[0]["text"]["text"]


async def test_delete_asks_first_then_deletes_once(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 10, 0))
    admin, lead = await people(bot, team, "ADM", "LEAD")
    standup = await new_standup(bot, team, admin, "Core", [admin, lead], owner=lead)
    status, body = await click_fill(bot, team, lead, json.dumps({"s": standup.id, "d": MONDAY.isoformat()}))
    status, body = await submit(bot, team, lead, last_view(bot, StandupView.ANSWER), {"q0": "Stuff", "q2": "Legal"})
    assert body["response_action"] == "update", body
    assert await cmd(bot, team, lead, "delete core") == {}
    (confirm,) = opened(bot, StandupView.DELETE)
    assert_valid_blocks(confirm["blocks"])
    text = block_text(confirm["blocks"])
    assert "Delete the standup *Core*?" in text and "1 stored answer with their blockers" in text
    assert (await standups(bot, team))[0].id == standup.id  # asking changes nothing

    status, body = await submit(bot, team, lead, confirm, {})
    assert status == 200 and not body, body
    assert await standups(bot, team) == [] and await answers(bot, team) == []
    assert told(bot, lead)[-1] == ("Deleted the standup *Core* with its answers. "
                                   "Messages already posted stay in the channel.")
    async with bot.rt.db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(StandupBlocker)
                                    .where(StandupBlocker.team_id == team)) == 0
        assert await session.scalar(select(func.count()).select_from(StandupMember)
                                    .where(StandupMember.team_id == team)) == 0
    status, body = await submit(bot, team, lead, confirm, {})  # the same confirmation again
    assert status == 200 and body["response_action"] == "update", body
    assert block_text(body["view"]["blocks"]) == "*Core* was already deleted."
    assert sum("Deleted the standup" in t for t in told(bot, lead)) == 1
    assert (await cmd(bot, team, lead, "edit Core"))["text"] == NO_CORE
    await click_fill(bot, team, lead, json.dumps({"s": standup.id, "d": MONDAY.isoformat()}))  # an old prompt's button
    assert told(bot, lead)[-1] == "That standup no longer exists." and len(opened(bot, StandupView.ANSWER)) == 1


async def test_edit_pause_resume_and_delete_are_for_the_owner_and_ops_admins(bot: Bot, team: str) -> None:
    admin, lead, member, ops = await people(bot, team, "ADM", "LEAD", "MEM", "OPS")
    await ops_admin(bot, team, ops)
    standup = await new_standup(bot, team, admin, "Core", [lead, member], owner=lead)
    forms = len(opened(bot, StandupView.SETUP))
    for text, what in (("edit Core", "edit it"), ("pause Core", "pause or resume it"),
                       ("resume Core", "pause or resume it"), ("delete Core", "delete it")):
        body = await cmd(bot, team, member, text)
        assert body["text"] == f"Only the standup's owner (<@{lead}>) and ops admins can {what}.", body
    assert opened(bot, StandupView.DELETE) == [] and len(opened(bot, StandupView.SETUP)) == forms
    # A form or a confirmation someone else opened, submitted by the participant: refused too.
    assert await cmd(bot, team, lead, "edit Core") == {} and await cmd(bot, team, lead, "delete Core") == {}
    status, body = await submit(bot, team, member, last_view(bot, StandupView.SETUP),
                                {"name": "Mine", "members": [member]})
    assert status == 200 and not body, body
    status, body = await submit(bot, team, member, last_view(bot, StandupView.DELETE), {})
    assert status == 200 and not body, body
    (row,) = await standups(bot, team)
    assert (row.name, row.paused_at) == ("Core", None) and await members(bot, standup.id) == sorted([lead, member])
    assert told(bot, member)[-2:] == [f"Only the standup's owner (<@{lead}>) and ops admins can edit it.",
                                      f"Only the standup's owner (<@{lead}>) and ops admins can delete it."]
    # The owner and an ops admin can.
    assert "Paused *Core*" in (await cmd(bot, team, lead, "pause Core"))["text"]
    assert "Resumed *Core*" in (await cmd(bot, team, ops, "resume Core"))["text"]
    assert await cmd(bot, team, ops, "edit Core") == {}
    assert json.loads(last_view(bot, StandupView.SETUP)["private_metadata"])["s"] == standup.id


# -- names, typos, help, and /standup alone ---------------------------------------------------------

async def test_unknown_names_typos_and_help(bot: Bot, team: str) -> None:
    admin, member = await people(bot, team, "ADM", "MEM")
    await new_standup(bot, team, admin, "Core", [member])
    for text in ("edit Nope", "pause Nope", "resume Nope", "delete Nope", "stats Nope", 'edit "Nope"'):
        assert (await cmd(bot, team, admin, text))["text"] == NO_CORE.replace("Core", "Nope")
    body = await cmd(bot, team, member, "sertup")
    assert body["text"] == ("There is no standup named `sertup`. `sertup` is not a /standup command. "
                            "Did you mean `/standup setup`?")
    assert "*/standup*" in block_text(body["blocks"])  # with the help
    assert "Did you mean `/standup list`?" in (await cmd(bot, team, member, "lits"))["text"]
    assert "Did you mean" not in (await cmd(bot, team, member, "Mobile team"))["text"]
    usage = "Usage: `/standup edit <name>`; `/standup list` shows the names."
    assert (await cmd(bot, team, member, "edit"))["text"] == usage
    assert (await cmd(bot, team, member, "list all"))["text"] == "`/standup list` takes nothing after it."
    assert (await cmd(bot, team, member, "edit " + "x" * 81))["text"] == "Keep standup names under 80 characters."
    assert (await cmd(bot, team, member, "<!channel>"))["text"].startswith("There is no standup named `@channel`.")
    assert len(opened(bot, StandupView.SETUP)) == 1 and opened(bot, StandupView.ANSWER) == []

    body = await cmd(bot, team, member, "help")
    assert_valid_blocks(body["blocks"])
    shown = block_text(body["blocks"])
    for sub in ("setup", "list", "edit", "pause", "resume", "delete", "stats"):
        assert f"`/standup {sub}" in shown, sub
    assert "`/standup`:" in shown and "`/standup Mobile team`" in shown
    assert (await cmd(bot, team, member, "HELP"))["blocks"] == body["blocks"]


async def test_standup_alone_opens_the_one_or_asks_which(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 9, 40))
    admin, solo, both, nobody = await people(bot, team, "ADM", "SOLO", "BOTH", "NOBODY")
    web = await new_standup(bot, team, admin, "Web", [solo, both])
    api = await new_standup(bot, team, admin, "API", [both], mode="summary")
    await new_standup(bot, team, admin, "Old", [nobody])
    await cmd(bot, team, admin, "pause Old")
    body = await cmd(bot, team, nobody, "")
    assert body["text"] == ("You aren't in any running standup. `/standup list` shows them; their owners add "
                            "participants with `/standup edit <name>`.")
    assert opened(bot, StandupView.ANSWER) == []

    assert await cmd(bot, team, solo, "") == {}
    (form,) = opened(bot, StandupView.ANSWER)
    assert json.loads(form["private_metadata"]) == {"s": web.id, "d": MONDAY.isoformat()}
    assert [b["label"]["text"] for b in form["blocks"] if b["type"] == "input"] == [
        "What did you do since the last standup?", "What will you do today?", "Anything blocking you?"]
    assert_valid_blocks(form["blocks"], limit=100)

    body = await cmd(bot, team, both, "  ")
    assert body["text"] == "Which standup?"
    assert_valid_blocks(body["blocks"])
    buttons = [b["accessory"] for b in body["blocks"] if "accessory" in b]
    assert [(b["text"]["text"], b["action_id"], json.loads(b["value"])) for b in buttons] == [
        ("Fill in", StandupAction.FILL, {"s": api.id, "d": MONDAY.isoformat()}),
        ("Fill in", StandupAction.FILL, {"s": web.id, "d": MONDAY.isoformat()})]
    assert len(opened(bot, StandupView.ANSWER)) == 1
    status, _ = await click_fill(bot, team, both, buttons[0]["value"])
    assert status == 200 and json.loads(opened(bot, StandupView.ANSWER)[-1]["private_metadata"])["s"] == api.id
    assert await cmd(bot, team, both, "web") == {}  # by name
    assert json.loads(opened(bot, StandupView.ANSWER)[-1]["private_metadata"])["s"] == web.id


# -- answers: from whom, how long, how garbled ------------------------------------------------------

def answer_view(standup_id: int, day: date, metadata: str | None = None, questions: int = 3) -> dict[str, Any]:
    """The answer form as the bot builds it, for submitting without having been shown it."""
    blocks = [{"type": "input", "block_id": f"q{i}", "element": {"type": "plain_text_input", "action_id": f"q{i}"}}
              for i in range(questions)]
    return {"callback_id": StandupView.ANSWER, "blocks": blocks,
            "private_metadata": (metadata if metadata is not None
                                 else json.dumps({"s": standup_id, "d": day.isoformat()}))}


async def test_someone_outside_the_standup_cannot_answer_it(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 9, 0, "UTC"))
    admin, member, outsider = await people(bot, team, "ADM", "MEM", "OUT")
    standup = await new_standup(bot, team, admin, "Core", [member])
    await tick(bot, clock, local(MONDAY, 9, 30))
    value = fill_value(blocks_of(dms(bot, member)[0].args))
    refusal = (f"You aren't part of the standup *Core*. Its owner (<@{admin}>) or an ops admin can add you with "
               "`/standup edit Core`.")
    status, body = await click_fill(bot, team, outsider, value)  # someone else's button
    assert status == 200 and not body
    assert opened(bot, StandupView.ANSWER) == [] and told(bot, outsider) == [refusal]
    status, body = await submit(bot, team, outsider, answer_view(standup.id, MONDAY), {"q0": "I did things"})
    assert status == 200 and not body
    assert told(bot, outsider) == [refusal, refusal]
    assert (await cmd(bot, team, outsider, "core"))["text"] == refusal
    assert await answers(bot, team) == [] and posts_in(bot, channel_of(team)) == []
    # Another workspace's standup, by its id: as if it did not exist.
    stranger_team = "T" + team[1:-1] + "Z"
    other = uid(stranger_team, "OUT")
    bot.fake.add_user(other)
    status, _ = await click_fill(bot, stranger_team, other, value)
    assert told(bot, other) == ["That standup no longer exists."]
    assert await answers(bot, team) == []


async def test_long_answers_full_of_escapes_fit_block_kit_and_read_as_typed(bot: Bot, team: str,
                                                                             clock: Clock) -> None:
    clock.set(local(MONDAY, 9, 45))
    admin, member = await people(bot, team, "ADM", "MEM")
    standup = await new_standup(bot, team, admin, "Core", [member])
    here = channel_of(team)
    typed = [("<!channel> <!here> \x00" + "&<>" * 700)[:1996] + "<!he",
             ("<https://evil.example|x> " + "a&b<c>d" * 300)[:2000],
             ("<@" + admin + "> & " + "<>&" * 700)[:2000]]
    assert [len(t) for t in typed] == [2000, 2000, 2000]
    status, body = await click_fill(bot, team, member, json.dumps({"s": standup.id, "d": MONDAY.isoformat()}))
    status, body = await submit(bot, team, member, last_view(bot, StandupView.ANSWER),
                                {f"q{i}": t for i, t in enumerate(typed)})
    assert status == 200 and body["response_action"] == "update", body
    (post,) = posts_in(bot, here)
    assert_valid_blocks(post.blocks)
    sections = [b["text"]["text"] for b in post.blocks if b["type"] == "section"]
    assert len(post.blocks) <= 50 and all(len(t) <= 3000 for t in sections)
    wire = json.dumps(post.blocks) + post.text
    for forged in ("<!channel>", "<!here", "<https://evil", f"<@{admin}>", "<!"):
        assert forged not in wire, forged
    # Slack refuses messages past about 13,000 characters of blocks: escaped, these three answers
    # are over 20,000, so each gets its share, cut between escapes, and says so; put back
    # together, each is the start of what was typed (but NUL, which nobody sees).
    assert sum(len(t) for t in sections) <= 11_000
    questions = ("*What did you do since the last standup?*", "*What will you do today?*",
                 ":rotating_light: *Blocker* (new blocker) · *Anything blocking you?*")
    leads = [next(i for i, t in enumerate(sections) if t.split("\n")[0] == q) for q in questions]
    unescape = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}
    for n, start in enumerate(leads):
        end = leads[n + 1] if n + 1 < len(leads) else len(sections)
        text = sections[start].split("\n", 1)[1] + "".join(sections[start + 1:end])
        shown = re.sub(r"&(amp|lt|gt);", lambda m: unescape[m.group()], text)
        assert len(shown) > 500 and typed[n].replace("\x00", "").startswith(shown), n
    assert block_text(post.blocks).count("cut to fit one Slack message") == 3
    (row,) = await answers(bot, team)
    assert [len(a) for a in row.answers] == [len(from_typed(t.replace("\x00", ""))) for t in typed]  # kept whole
    assert row.message_ts == post.ts and not row.unposted
    # One character more than the form allows is refused under its question.
    status, body = await submit(bot, team, member, last_view(bot, StandupView.ANSWER), {"q1": "&" * 2001})
    assert body == {"response_action": "errors", "errors": {"q1": "Keep each answer under 2000 characters."}}


async def test_an_empty_answer_or_a_garbled_form_or_button_is_refused_clearly(bot: Bot, team: str,
                                                                              clock: Clock) -> None:
    clock.set(local(MONDAY, 9, 45))
    admin, member = await people(bot, team, "ADM", "MEM")
    standup = await new_standup(bot, team, admin, "Core", [member])
    status, body = await submit(bot, team, member, answer_view(standup.id, MONDAY), {"q0": "  ", "q1": "\n", "q2": ""})
    assert body == {"response_action": "errors", "errors": {"q0": "Answer at least one question."}}
    for garbled in ("", "not json", '{"s": "x"}', json.dumps({"s": standup.id})):
        status, body = await submit(bot, team, member, answer_view(standup.id, MONDAY, garbled), {"q0": "x"})
        assert status == 200 and not body, body
        assert told(bot, member)[-1] == "That form is out of date; run the command again."
    status, body = await submit(bot, team, member, answer_view(standup.id, MONDAY, json.dumps(
        {"s": standup.id, "d": "2027-13-45"})), {"q0": "x"})
    assert told(bot, member)[-1] == "That button or form is out of date; run `/standup` again."
    for value in ("", "{", "[1]", json.dumps({"d": MONDAY.isoformat()}),
                  json.dumps({"s": 10 ** 23, "d": MONDAY.isoformat()}), json.dumps({"s": -1, "d": "x"})):
        await click_fill(bot, team, member, value)
        assert told(bot, member)[-1] == "That button is out of date; run `/standup` to fill in today's standup.", value
    await click_fill(bot, team, member, json.dumps({"s": standup.id, "d": "yesterday"}))
    assert told(bot, member)[-1] == "That button or form is out of date; run `/standup` again."
    for day, why in ((MONDAY - timedelta(days=8), "is more than a week old"),
                     (MONDAY - timedelta(days=2), "not one of this standup's days"),
                     (MONDAY + timedelta(days=3), "can't be answered yet: answers open after the deadline"),
                     (MONDAY - timedelta(days=1), "is not one of this standup's days"),  # a Sunday
                     (MONDAY - timedelta(days=3), "after the deadline of Fri Jan 8, so there is nothing")):
        await click_fill(bot, team, member, json.dumps({"s": standup.id, "d": day.isoformat()}))
        assert why in told(bot, member)[-1], (day, told(bot, member)[-1])
    assert opened(bot, StandupView.ANSWER) == [] and await answers(bot, team) == []
    assert not any("Sorry, something went wrong" in t for t in told(bot, member))


# -- summary mode ---------------------------------------------------------------------------------

async def test_summary_mode_posts_answers_in_the_summary_thread_and_late_ones_after(bot: Bot, team: str,
                                                                                   clock: Clock) -> None:
    clock.set(local(MONDAY, 0, 1, "UTC"))
    admin, early, late = await people(bot, team, "ADM", "EARLY", "LATE")
    ny = uid(team, "NY")
    await meet(bot, team, ny, NEW_YORK, "Nia")
    here = channel_of(team)
    standup = await new_standup(bot, team, admin, "Core", [early, ny, late], mode="summary")
    assert standup.mode is PostMode.SUMMARY
    await tick(bot, clock, local(MONDAY, 0, 2, "UTC"))
    await tick(bot, clock, local(MONDAY, 9, 30))
    status, body = await click_fill(bot, team, early, fill_value(blocks_of(dms(bot, early)[0].args)))
    status, body = await submit(bot, team, early, last_view(bot, StandupView.ANSWER),
                                {"q0": "Early bird", "q2": "none"})
    assert block_text(body["view"]["blocks"]) == (f":white_check_mark: Saved. It goes up in <#{here}> with the summary "
                                                  "once the deadline has passed.")
    await tick(bot, clock, local(MONDAY, 9, 30, NEW_YORK))
    await click_fill(bot, team, ny, fill_value(blocks_of(dms(bot, ny)[0].args)))
    await submit(bot, team, ny, last_view(bot, StandupView.ANSWER), {"q1": "From New York", "q2": "VPN is down"})
    await tick(bot, clock, local(MONDAY, 10, 59, NEW_YORK))
    assert posts_in(bot, here) == [] and bot.fake.posted(here) == []  # nothing before the last deadline
    assert [a.message_ts for a in await answers(bot, team)] == [None, None]

    await tick(bot, clock, local(MONDAY, 11, 0, NEW_YORK))
    (summary,) = posts_in(bot, here)
    assert_valid_blocks(summary.blocks)
    head = block_text(summary.blocks)
    assert "answered *2/3*" in head and "VPN is down" in head and "*Not answered yet:* Late" in head
    thread = posts_in(bot, here, thread=summary.ts)
    assert [m.text for m in thread] == ["Early's standup for Mon Jan 11", "Nia's standup for Mon Jan 11 · blocker"]
    assert {a.message_ts for a in await answers(bot, team)} == {m.ts for m in thread}
    await tick(bot, clock, local(MONDAY, 11, 1, NEW_YORK))
    assert len(posts_in(bot, here)) == 1 and len(posts_in(bot, here, thread=summary.ts)) == 2

    # A late answer goes into the thread, and the summary counts it.
    await click_fill(bot, team, late, fill_value(blocks_of(dms(bot, late)[0].args)))
    status, body = await submit(bot, team, late, last_view(bot, StandupView.ANSWER), {"q0": "Sorry"})
    assert "marked late" in block_text(body["view"]["blocks"])
    thread = posts_in(bot, here, thread=summary.ts)
    assert len(thread) == 3 and "late" in block_text(thread[-1].blocks) and len(posts_in(bot, here)) == 1
    (update,) = [c for c in bot.fake.calls_to("chat.update") if c.args.get("ts") == summary.ts]
    assert "answered *3/3* (1 late)" in block_text(update.args["blocks"])
    assert "Not answered yet" not in block_text(summary.blocks)


# -- people who leave, DMs and channels Slack refuses -----------------------------------------------

async def test_a_participant_who_leaves_is_not_prompted_nor_counted_missing(bot: Bot, team: str,
                                                                           clock: Clock) -> None:
    clock.set(local(MONDAY, 0, 1, "UTC"))
    admin, stays, leaves = await people(bot, team, "ADM", "STAYS", "LEAVES")
    here = channel_of(team)
    standup = await new_standup(bot, team, admin, "Core", [stays, leaves])
    await tick(bot, clock, local(MONDAY, 0, 2, "UTC"))
    clock.set(local(MONDAY, 8, 0))
    await click_fill(bot, team, leaves, json.dumps({"s": standup.id, "d": MONDAY.isoformat()}))
    await submit(bot, team, leaves, last_view(bot, StandupView.ANSWER), {"q0": "Handing over", "q2": "Laptop returns"})
    async with bot.rt.db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(StandupBlocker).where(
            StandupBlocker.team_id == team, StandupBlocker.cleared_on.is_(None))) == 1
    status, _ = await bot.slack.event(team, {"type": "user_change", "user": {
        "id": leaves, "team_id": team, "name": "leaves", "real_name": "Leaves", "deleted": True, "is_bot": False,
        "tz": BERLIN, "tz_offset": 3600, "profile": {"real_name": "Leaves", "display_name": "Leaves"}}})
    assert status == 200
    await bot.settle()
    assert await members(bot, standup.id) == [stays]
    async with bot.rt.db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(StandupBlocker).where(
            StandupBlocker.team_id == team, StandupBlocker.cleared_on.is_(None))) == 0

    for hour, minute in ((9, 30), (10, 15)):
        lines = await tick(bot, clock, local(MONDAY, hour, minute))
        assert lines_for(lines, leaves) == [], lines
    assert [len(dms(bot, u)) for u in (stays, leaves)] == [2, 0]
    await tick(bot, clock, local(MONDAY, 11, 0))
    summary = posts_in(bot, here)[-1]
    shown = block_text(summary.blocks)
    assert "answered *0/1*" in shown and "*Not answered yet:* Stays" in shown, shown
    assert "Leaves" not in shown and "Laptop" not in shown
    assert (await cmd(bot, team, leaves, ""))["text"].startswith("You aren't in any running standup.")


async def test_a_dm_slack_refuses_is_reported_retried_and_sent_once(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 0, 1, "UTC"))
    admin, blocked, fine = await people(bot, team, "ADM", "BLOCKED", "FINE")
    await new_standup(bot, team, admin, "Core", [blocked, fine])
    await tick(bot, clock, local(MONDAY, 0, 2, "UTC"))
    bot.fake.fail("chat.postMessage", "cannot_dm_bot", match={"channel": blocked})
    lines = await tick(bot, clock, local(MONDAY, 9, 30))
    (line,) = lines_for(lines, blocked)
    assert line.startswith(f"standup prompts: failed standup prompt to {blocked}"), line
    assert "(cannot_dm_bot; retried at " in line
    (line,) = lines_for(lines, fine)
    assert line.startswith(f"standup prompts: sent standup prompt to {fine}"), line
    assert len(bot.fake.messages.get(fine, [])) == 1 and bot.fake.messages.get(blocked, []) == []
    lines = await tick(bot, clock, local(MONDAY, 9, 31))  # the notifier's retry
    assert [line for line in lines_for(lines, blocked) if "sent" in line], lines
    for minute in (32, 40, 50):
        lines = await tick(bot, clock, local(MONDAY, 9, minute))
        assert lines_for(lines, blocked, fine) == [], lines
    assert [len(bot.fake.messages.get(u, [])) for u in (blocked, fine)] == [1, 1]
    assert "Time for your Core standup" in bot.fake.messages[blocked][0].text
    await tick(bot, clock, local(MONDAY, 10, 15))  # the reminder, once each
    assert [len(bot.fake.messages.get(u, [])) for u in (blocked, fine)] == [2, 2]


async def test_an_answer_the_report_channel_refuses_is_posted_once_the_bot_is_invited(bot: Bot, team: str,
                                                                                      clock: Clock) -> None:
    clock.set(local(MONDAY, 9, 40))
    admin, member = await people(bot, team, "ADM", "MEM")
    here = channel_of(team)
    standup = await new_standup(bot, team, admin, "Core", [member])
    bot.fake.not_member.add(here)  # removed from the channel after setup
    await click_fill(bot, team, member, json.dumps({"s": standup.id, "d": MONDAY.isoformat()}))
    status, body = await submit(bot, team, member, last_view(bot, StandupView.ANSWER), {"q0": "Kept safe"})
    assert status == 200 and body["response_action"] == "update"
    (row,) = await answers(bot, team)
    assert row.answers[0] == "Kept safe" and row.unposted and row.message_ts is None
    assert len(bot.fake.posted(here)) == 1 and posts_in(bot, here) == []
    await flows.sweep_unposted(bot.rt)  # still refused (and not tried again at once)
    bot.fake.not_member.discard(here)
    await flows.sweep_unposted(bot.rt)
    assert posts_in(bot, here) == []  # a refused post is tried again two minutes on, not every sweep
    clock.advance(timedelta(minutes=3))
    await flows.sweep_unposted(bot.rt)
    (post,) = posts_in(bot, here)
    assert "Kept safe" in block_text(post.blocks)
    clock.advance(timedelta(minutes=3))
    await flows.sweep_unposted(bot.rt)
    await flows.sweep_unposted(bot.rt)
    assert len(posts_in(bot, here)) == 1 and len(bot.fake.posted(here)) == 2
    (row,) = await answers(bot, team)
    assert (row.message_ts, row.unposted, row.posted_version) == (post.ts, False, 1)


# -- stats ----------------------------------------------------------------------------------------

async def test_stats_count_participation_per_person_and_blockers(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 0, 1, "UTC"))
    admin, steady, patchy, silent = await people(bot, team, "ADM", "STEADY", "PATCHY", "SILENT")
    await new_standup(bot, team, admin, "Core", [steady, patchy, silent])
    await tick(bot, clock, local(MONDAY, 0, 2, "UTC"))

    async def day(when: date, steady_blocker: str, patchy_at: tuple[int, int] | None) -> None:
        await tick(bot, clock, local(when, 9, 30))
        await click_fill(bot, team, steady, fill_value(blocks_of(dms(bot, steady)[-1].args)))
        await submit(bot, team, steady, last_view(bot, StandupView.ANSWER), {"q0": "Work", "q2": steady_blocker})
        if patchy_at is not None:
            prompt = [c for c in dms(bot, patchy) if c.args["text"].startswith("Time for")][-1]
            clock.set(local(when, *patchy_at))
            await click_fill(bot, team, patchy, fill_value(blocks_of(prompt.args)))
            await submit(bot, team, patchy, last_view(bot, StandupView.ANSWER), {"q0": "Things", "q2": "nope"})
        await tick(bot, clock, local(when, 11, 0))
        await tick(bot, clock, local(when, 11, 31))

    await day(MONDAY, "Waiting on legal", (9, 45))
    await day(TUESDAY, "Still waiting on legal", None)
    await day(WEDNESDAY, "None!", (11, 30))  # patchy is late
    clock.set(local(WEDNESDAY, 12, 0))
    newbie = uid(team, "NEWBIE")  # added after Wednesday's deadline: never asked for a day yet
    await meet(bot, team, newbie, BERLIN, "Newbie")
    await cmd(bot, team, admin, "edit Core")
    await submit(bot, team, admin, last_view(bot, StandupView.SETUP), {"members": [steady, patchy, silent, newbie]})
    body = await cmd(bot, team, admin, "stats core")
    assert_valid_blocks(body["blocks"])
    shown = block_text(body["blocks"])
    assert "Standup stats: Core" in shown
    first = WEDNESDAY - timedelta(days=29)
    assert f"{first.isoformat()} to {WEDNESDAY.isoformat()} · participation 56% (5/9 answers" in shown, shown
    (participation,) = [b["text"]["text"] for b in body["blocks"]
                        if "*Participation*" in b.get("text", {}).get("text", "")]
    assert participation.split("\n")[1:] == [f"• <@{silent}>: 0/3 (0%)", f"• <@{patchy}>: 2/3 (67%), 1 late",
                                             f"• <@{newbie}>: 0/0 (n/a)", f"• <@{steady}>: 3/3 (100%), 1 blocker"]
    assert "*Blockers*: 1 reported, 1 cleared, 0 open, median 2 days open." in shown
    assert (await cmd(bot, team, steady, "stats"))["blocks"] == body["blocks"]  # their one standup
    which = "Which standup? `/standup stats <name>`; `/standup list` shows the names."
    assert (await cmd(bot, team, admin, "stats"))["text"] == which
    outsider = uid(team, "OUTSIDER")
    await meet(bot, team, outsider, BERLIN, "Outsider")
    refused = (await cmd(bot, team, outsider, "stats core"))["text"]
    assert refused.startswith("Only the standup's participants, its owner") and "see its stats" in refused


# -- properties -----------------------------------------------------------------------------------

PROPERTY = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
WORDS = st.sampled_from([
    "setup", "list", "edit", "pause", "resume", "delete", "stats", "help", "Core", "core", "CORE", '"Core"', "“Core”",
    "'Core'", '"', "“", "sertup", "lsit", "Pasue", "<!here>", "<!channel>", "<@U0123|bob>", "<#C0123|general>",
    "<!subteam^S01|@team>", "&amp;", "&lt;b&gt;", "<b>", "&", "<https://evil.example|x>", "x" * 81, "\x00", "\t",
    "\n", "Ünïcødé", "🙂", "𝐍𝐨𝐧𝐞", "—", "100%", "'; DROP TABLE standups; --"])
COMMAND_TEXT = st.one_of(st.lists(WORDS, max_size=5).map(" ".join), st.text(max_size=120))
FAILURES = ("Sorry, something went wrong", "couldn't save that", "Traceback", "Error:")


def check_reply(body: dict[str, Any]) -> None:
    assert body.get("text"), body
    assert body.get("response_type", "ephemeral") == "ephemeral", body
    assert not any(f in body["text"] for f in FAILURES), body
    if body.get("blocks"):
        assert_valid_blocks(body["blocks"])


@PROPERTY
@given(text=COMMAND_TEXT)
@example(text="edit “Core”")
@example(text="stats \x00")
@example(text="payload=1&command=/x")
async def test_any_standup_command_text_gets_a_clear_private_answer(bot: Bot, team: str, text: str) -> None:
    """Someone in no standup and no admin: whatever they type is answered privately, never
    fails, and changes nothing (an admin's variant below opens forms too)."""
    stranger = uid(team, "STR")
    if not await standups(bot, team):
        admin, member = await people(bot, team, "ADM", "MEM")
        bot.fake.add_user(stranger)
        await new_standup(bot, team, admin, "Core", [member])
    before = len(bot.fake.calls_to("views.open"))
    status, body = await bot.slack.command(team, stranger, "/standup", text, channel_id=channel_of(team))
    await bot.settle()
    assert status == 200, (status, body)
    check_reply(body or {})
    assert len(bot.fake.calls_to("views.open")) == before
    ((name, paused),) = [(s.name, s.paused_at) for s in await standups(bot, team)]
    assert (name, paused) == ("Core", None)


@settings(PROPERTY, max_examples=40)
@given(text=COMMAND_TEXT)
@example(text="delete core")
@example(text="edit 'Core'")
async def test_an_admin_gets_an_answer_or_a_form_for_any_text(bot: Bot, team: str, text: str) -> None:
    admin = uid(team, "ADM")
    if not await standups(bot, team):
        await people(bot, team, "ADM")
        await new_standup(bot, team, admin, "Core", [admin])
    before = len(bot.fake.calls_to("views.open"))
    status, body = await bot.slack.command(team, admin, "/standup", text, channel_id=channel_of(team))
    await bot.settle()
    assert status == 200, (status, body)
    forms = len(bot.fake.calls_to("views.open")) - before
    if body:
        check_reply(body)
        assert forms == 0
    else:  # setup, edit, delete, or the answer form
        assert forms == 1
        assert_valid_blocks(bot.fake.calls_to("views.open")[-1].args["view"]["blocks"], limit=100)


BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
QUESTION = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")) | st.sampled_from(" \t&<>"),
                   max_size=170).filter(lambda q: q.strip() != "")
SEPARATOR = st.sampled_from(["\n", "\r\n", "\n\n", "\n \t\n", "\u2028", "\r"])


@settings(derandomize=True, max_examples=300)
@given(questions=st.lists(QUESTION, max_size=8), separators=st.lists(SEPARATOR, min_size=9, max_size=9),
       edges=st.tuples(st.sampled_from(["", "\n", "  \n"]), st.sampled_from(["", "\n", "\n\n "])))
@example(questions=["a" * 150], separators=["\n"] * 9, edges=("", ""))
@example(questions=["  a\t  b  " + "c" * 146], separators=["\n"] * 9, edges=("", ""))
def test_questions_are_one_per_line_at_most_six_of_at_most_150_characters(
        questions: list[str], separators: list[str], edges: tuple[str, str]) -> None:
    typed = edges[0] + "".join(q + s for q, s in zip(questions, separators))[:-1] + edges[1] if questions else edges[0]
    shown = [" ".join(q.split()) for q in questions]
    try:
        parsed: list[str] | str = parse_questions(from_typed(typed))
    except UserError as exc:
        assert exc.field == "questions"
        parsed = exc.message
    if not questions:
        assert parsed == "Ask at least one question, one per line."
    elif len(questions) > 6:
        assert parsed == f"Ask at most 6 questions (one per line); there are {len(questions)}."
    elif any(len(q) > 150 for q in shown):
        number = next(i for i, q in enumerate(shown, start=1) if len(q) > 150)
        assert parsed == f"Question {number} is longer than 150 characters."
    else:
        assert parsed == [from_typed(q) for q in shown]
        assert [plain(q) for q in parsed] == shown


NONE_LIKE = st.sampled_from(sorted(NONE_WORDS - {""}))
DECORATION = st.sampled_from(["", ".", "!", "!!", " :white_check_mark:", ":tada: ", " 👍", "…", " (:", "*", "_", "~"])


def styled(word: str, how: int) -> str:
    """The word as people type it: capitals, accents, full width."""
    if how == 1:
        return word.upper()
    if how == 2:
        return word.title()
    if how == 3:
        return "".join(ch + "\u0301" if ch.isalpha() else ch for ch in word)  # combining accents
    if how == 4:
        return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in word)  # full width
    return word


@settings(derandomize=True, max_examples=300)
@given(word=NONE_LIKE, how=st.integers(0, 4), before=DECORATION, after=DECORATION,
       space=st.sampled_from([" ", "  ", "\n", "\u00a0"]))
@example(word="none", how=0, before="", after="", space=" ")
def test_none_like_answers_are_never_blockers_however_written(word: str, how: int, before: str, after: str,
                                                               space: str) -> None:
    typed = before + styled(word, how).replace(" ", space) + after
    assert not is_blocker(from_typed(typed)), typed
    assert not is_blocker(from_typed(f"  {typed}  "))


def test_styled_letters_fold_like_plain_ones() -> None:
    """Bold or double-struck letters (pasted from a styling tool) decompose to capitals."""
    assert fold("𝐍𝐨𝐧𝐞") == fold("ℕ𝕆ℕ𝔼.") == "none"
    assert not is_blocker("𝐍𝐨𝐧𝐞") and is_blocker("𝐖𝐚𝐢𝐭𝐢𝐧𝐠 on legal")


@settings(derandomize=True, max_examples=300)
@given(word=NONE_LIKE,
       rest=st.sampled_from(["but the build is red", "waiting on legal", "VPN down", "blocked by #123"]),
       glue=st.sampled_from([", ", " - ", ". ", " "]))
def test_a_none_word_followed_by_a_real_blocker_is_a_blocker(word: str, rest: str, glue: str) -> None:
    assert is_blocker(from_typed(word + glue + rest))
    assert is_blocker(from_typed(rest))


# The none phrases and fillers `is_blocker` knows, as people type them (NONE_WORDS before this
# change included, so what it called none stays none).
NONE_ANSWERS = [
    "no blockers at the moment", "None, thanks", "Nein", "none thanks", "nothing blocking me right now",
    "all good thanks", "nope not today", "None, thank you!", "nope thx", "nah ty", "none for now",
    "nothing so far", "none today", "nothing yet", "Currently none.", "none here", "nothing from me",
    "none on my side", "all good", "No, nothing else.", "Thanks, none here", "No blockers today :tada:",
    "nope, not yet", "N/A atm", "no issues right now, thanks",
    # the earlier NONE_WORDS
    "none", "no", "nope", "nah", "nothing", "nil", "na", "n/a", "no blockers", "no blocker", "not blocked",
    "none so far", "nothing blocking", "nothing blocking me", "no blocks", "none at the moment", "none right now",
    "not really", "nothing at the moment", "no issues", "nada", "zero", "0", "ok", "all clear", "clear",
    # other languages
    "nein", "keine", "kein", "nichts", "rien", "aucun", "non", "nada", "ninguno", "nenhum", "nessuno", "niente",
    "geen", "nee", "ingen", "nic", "żadnych", "Żadnych!", "なし", "无", "没有", "没有。", "Nichts, danke", "Non, merci",
]
BLOCKER_ANSWERS = [
    "none but the build is red", "no access to the VPN", "nothing works", "blocked by legal", "waiting on legal",
    "no one has reviewed my PR", "no test env", "not sure if the API is up", "None, but the build is red",
    "no blockers except the VPN", "nothing blocking me right now apart from legal", "non-prod env is down",
    "kein Zugang zum VPN", "thanks",  # fillers alone are not a none phrase
]


@pytest.mark.parametrize("answer", NONE_ANSWERS)
def test_a_none_phrase_among_fillers_is_not_a_blocker(answer: str) -> None:
    assert not is_blocker(from_typed(answer)) and not is_blocker(from_slack(answer))


@pytest.mark.parametrize("answer", BLOCKER_ANSWERS)
def test_anything_but_fillers_around_a_none_phrase_is_a_blocker(answer: str) -> None:
    assert is_blocker(from_typed(answer)) and is_blocker(from_slack(answer))


def test_fold_keeps_letters_of_any_script() -> None:
    assert [fold(w) for w in ("なし", "无", "没有。", "Żadnych!", "NEIN")] == ["なし", "无", "没有", "zadnych", "nein"]
    assert {"なし", "无", "没有", "zadnych"} <= NONE_WORDS


FILLER = st.sampled_from(sorted(FILLERS))
GLUE = st.sampled_from([" ", "  ", ", ", ". ", " - ", "! ", "… ", " :pray: ", " 🙏 ", "\n", " (", ") ", "\u00a0"])


@settings(derandomize=True, max_examples=300)
@given(lead=NONE_LIKE, before=st.lists(FILLER, max_size=2), after=st.lists(FILLER, max_size=4),
       glues=st.lists(GLUE, min_size=6, max_size=6), how=st.integers(0, 4), start=DECORATION, end=DECORATION)
@example(lead="no blockers", before=[], after=["at the moment"], glues=[" "] * 6, how=0, start="", end="")
@example(lead="none", before=["currently"], after=["thanks"], glues=[", "] * 6, how=2, start="", end="!")
def test_a_none_phrase_with_any_fillers_is_never_a_blocker_however_written(
        lead: str, before: list[str], after: list[str], glues: list[str], how: int, start: str, end: str) -> None:
    first, *rest = [styled(word, how) for word in (*before, lead, *after)]
    typed = start + first + "".join(glue + word for glue, word in zip(glues, rest)) + end
    assert not is_blocker(from_typed(typed)), typed
    assert not is_blocker(from_typed(f"  {typed}  ")), typed


@settings(derandomize=True, max_examples=500)
@given(text=st.text(max_size=60) | st.lists(WORDS, max_size=4).map(" ".join))
def test_fold_is_lower_case_without_punctuation_and_idempotent(text: str) -> None:
    stored = from_slack(text)
    folded = fold(stored)
    assert folded == folded.lower() and fold(folded) == folded
    assert folded == " ".join(folded.split()) and all(ch.isalnum() or ch == " " for ch in folded)
    if is_blocker(stored):  # a blocker never folds (left to right) to a none phrase with fillers
        assert bool(stored) and not is_none_like(folded)
    if text.isascii() and not set(text) & set("<&"):  # (lower-cased, `<@U1>` is no mention, `&AMP;` an entity)
        assert fold(from_slack(text.upper())) == fold(from_slack(text.lower()))


NAME = st.text(st.characters(whitelist_categories=("L", "N", "Zs", "Pd")) | st.sampled_from(" &<>#@!?."),
               max_size=90).filter(lambda n: n.strip() != "")
VERB_CASE = st.sampled_from([str.lower, str.upper, str.title])
SPACE = st.sampled_from([" ", "  ", "\t", " \n "])


@settings(derandomize=True, max_examples=300)
@given(verb=st.sampled_from(["edit", "pause", "resume", "delete", "stats"]), case=VERB_CASE, name=NAME,
       quote=st.sampled_from([("", ""), ('"', '"'), ("“", "”"), ("„", "“"), ("‘", "’")]), space=SPACE)
def test_a_named_subcommand_takes_the_rest_as_the_name(verb: str, case: Any, name: str,
                                                       quote: tuple[str, str], space: str) -> None:
    shown = " ".join(name.split())
    text = from_slack(f"{space}{case(verb)}{space}{quote[0]}{name}{quote[1]}{space}")
    if shown[:1] in QUOTES and shown[-1:] in QUOTES and not quote[0]:
        return  # a name that is itself quoted: covered by the quoted cases
    if len(plain(from_slack(shown))) > 80:
        with pytest.raises(UserError, match="under 80 characters"):
            parse_command(text)
        return
    assert parse_command(text) == StandupCommand(verb, from_slack(shown))  # type: ignore[arg-type]


def one_edit_variants(word: str) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = {word[:i] + word[i + 1:] for i in range(len(word))}
    out |= {word[:i] + c + word[i:] for i in range(len(word) + 1) for c in letters}
    out |= {word[:i] + c + word[i + 1:] for i in range(len(word)) for c in letters}
    out |= {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)}
    return sorted(v for v in out if v and v != word and v not in SUBCOMMANDS)


@settings(derandomize=True, max_examples=200)
@given(data=st.data(), sub=st.sampled_from(SUBCOMMANDS), case=VERB_CASE, tail=st.sampled_from(["", " Core", " a b"]))
def test_a_subcommand_one_edit_off_is_suggested(data: st.DataObject, sub: str, case: Any, tail: str) -> None:
    typo = data.draw(st.sampled_from(one_edit_variants(sub)))
    parsed = parse_command(case(typo) + tail)
    assert parsed.action == "answer" and parsed.name == case(typo) + tail
    assert parsed.typo is not None and one_edit(typo, parsed.typo) is not None


@settings(derandomize=True, max_examples=500)
@given(text=COMMAND_TEXT)
def test_parse_command_answers_or_refuses_and_ignores_spacing(text: str) -> None:
    stored = from_slack(text)
    try:
        parsed: StandupCommand | str = parse_command(stored)
    except UserError as exc:
        assert exc.message
        parsed = exc.message
    spaced = "  " + "  \t".join(stored.split(" ")) + "\n"
    try:
        again: StandupCommand | str = parse_command(spaced)
    except UserError as exc:
        again = exc.message
    assert again == parsed
    if isinstance(parsed, StandupCommand):
        assert parsed.action in ("answer", "help", "setup", "list", "edit", "pause", "resume", "delete", "stats")
        assert parsed.name is None or 0 < len(plain(parsed.name)) <= 80
