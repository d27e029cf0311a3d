"""/digest commands and the setup form (issue 14): who may set up, edit, pause, resume, delete
and post a digest; every way the setup form can be wrong (times, weekdays, zones, sections, a
channel the bot is not in or that is archived); list, help and unknown subcommands; and any
text typed after /digest answered privately, changing nothing. Through the signed endpoint
against the fake Slack Web API."""
from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, settings, strategies as st
from sqlalchemy import select

from bot.clock import Clock
from bot.digests.enums import DigestView
from bot.digests.parsing import SUBCOMMANDS
from models.digest import Cadence, Digest, WhenEmpty
from tests.blockkit import assert_valid_blocks, block_text
from tests.conftest import Bot
from tests.digest_helpers import digest, digest_posts, open_setup, row, set_up
from tests.slack_requests import view_submission
from tests.standup_helpers import BERLIN, channel_of, last_view, local, meet, state_of, submit, tick, uid

MONDAY = date(2026, 12, 7)


async def people(bot: Bot, team: str) -> tuple[str, str]:
    admin, member = uid(team, "ADM"), uid(team, "MEM")
    await meet(bot, team, admin, BERLIN, "Ada", is_admin=True)
    await meet(bot, team, member, BERLIN, "Mo")
    return admin, member


def errors(body: Any) -> dict[str, str]:
    assert body and body.get("response_action") == "errors", body
    return body["errors"]


async def digests(bot: Bot, team: str) -> list[Digest]:
    async with bot.rt.db.unit_of_work() as session:
        return list((await session.scalars(select(Digest).where(Digest.team_id == team).order_by(Digest.id))).all())


# -- the setup form ---------------------------------------------------------------------------------

async def test_the_setup_form_starts_from_this_channel_and_the_workspace_zone(bot: Bot, team: str,
                                                                              clock: Clock) -> None:
    clock.set(local(MONDAY, 8, 0))
    admin, _ = await people(bot, team)
    await bot.slack.command(team, admin, "/prodops", "timezone Europe/Berlin", channel_id=channel_of(team))
    await bot.settle()
    view = await open_setup(bot, team, admin)
    assert_valid_blocks(view["blocks"], limit=100)
    by_id = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert by_id["channel"]["element"]["initial_conversation"] == channel_of(team)
    assert by_id["timezone"]["element"]["initial_value"] == "Europe/Berlin"
    assert {o["value"] for o in by_id["sections"]["element"]["options"]} == {"feedback", "launches", "standups", "kpis",
                                                                           "report"}
    other = "COTHER" + team[-4:]
    view = await open_setup(bot, team, admin, f"setup <#{other}|other>")
    assert {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}["channel"]["element"][
        "initial_conversation"] == other


async def test_a_saved_digest_is_said_back_with_its_schedule_and_next_post(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 8, 0))
    admin, _ = await people(bot, team)
    d = await set_up(bot, team, admin, "Product & <b>daily</b>", time="09:30", timezone="europe/berlin",
                     days=["0", "2", "4"], sections=["feedback", "kpis"], when_empty="skip")
    assert (d.cadence, d.days, d.at_minutes, d.timezone, d.when_empty) == (
        Cadence.DAILY, 0b10101, 570, "Europe/Berlin", WhenEmpty.SKIP)
    assert set(d.sections) == {"feedback", "kpis"} and d.owner_id == admin and d.created_by == admin
    told = [c.args["text"] for c in bot.fake.calls_to("chat.postEphemeral") if c.args.get("user") == admin]
    assert told[-1].startswith(f"Created the digest *Product &amp; &lt;b&gt;daily&lt;/b&gt;*: posts in "
                               f"<#{channel_of(team)}>, daily, Mon, Wed, Fri at 09:30 (Europe/Berlin), with feedback")
    assert "Next post: Mon Dec 7 09:30." in told[-1]


async def test_every_way_the_form_can_be_wrong_is_said_under_its_field(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 8, 0))
    admin, _ = await people(bot, team)
    await set_up(bot, team, admin, "Taken")
    view = await open_setup(bot, team, admin)
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"name": ""}, "name", "Give the digest a name"),
        ({"name": "x" * 81}, "name", "under 80 characters"),
        ({"name": "list of things"}, "name", "can't start with `list`"),
        ({"name": "taken"}, "name", "There is already a digest named"),
        ({"cadence": "weekly", "days": ["0", "3"]}, "days", "A weekly digest posts on one day"),
        ({"days": []}, "days", "Pick at least one day."),
        ({"time": "25:00"}, "time", "is not a time of day"),
        ({"time": "soon"}, "time", "Pick the time (HH:MM)."),
        ({"time": None}, "time", "Pick the time (HH:MM)."),
        ({"timezone": "Mars/Olympus"}, "timezone", "is not a time zone I know"),
        ({"timezone": ""}, "timezone", "Give a time zone"),
        ({"sections": []}, "sections", "Pick at least one section."),
        ({"channel": "D0123ABCD"}, "channel", "not a DM"),
    ]
    for values, field, said in cases:
        status, body = await submit(bot, team, admin, view, {"name": "New one", **values})
        assert status == 200
        found = errors(body)
        assert field in found and said in found[field], (values, found)
    assert [d.name for d in await digests(bot, team)] == ["Taken"]


async def test_a_channel_the_bot_is_not_in_or_archived_is_refused_before_anything_is_saved(
        bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 8, 0))
    admin, _ = await people(bot, team)
    outside, archived = "CNOTIN" + team[-4:], "CARCH" + team[-5:]
    bot.fake.not_member.add(outside)
    bot.fake.archived.add(archived)
    view = await open_setup(bot, team, admin)
    status, body = await submit(bot, team, admin, view, {"name": "Outside", "channel": outside})
    assert "Invite me with `/invite @ProdOps`" in errors(body)["channel"]
    status, body = await submit(bot, team, admin, view, {"name": "Archived", "channel": archived})
    assert "is archived" in errors(body)["channel"]
    assert not await digests(bot, team)


async def test_only_ops_admins_set_up_and_only_owners_and_admins_manage(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 8, 0))
    admin, member = await people(bot, team)
    body = await digest(bot, team, member, "setup")
    assert body["text"].startswith("Only ops admins and Slack workspace admins can set up a digest.")
    await set_up(bot, team, admin, "Admins")
    await set_up(bot, team, admin, "Mine", owner=member)
    for verb in ("edit", "pause", "resume", "delete", "now"):
        body = await digest(bot, team, member, f"{verb} Admins")
        assert body["text"].startswith(f"Only the digest's owner (<@{admin}>) and ops admins can "), (verb, body)
    assert (await digest(bot, team, member, "pause Mine"))["text"].startswith("Paused *Mine*")
    assert (await digest(bot, team, member, "resume Mine"))["text"].startswith("Resumed *Mine*. Next post:")
    view_before = len(bot.fake.calls_to("views.open"))
    assert await digest(bot, team, member, "edit Mine") == {}
    assert len(bot.fake.calls_to("views.open")) == view_before + 1


async def test_list_pause_resume_and_delete(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 8, 0))
    admin, member = await people(bot, team)
    assert "No digests yet" in block_text((await digest(bot, team, member, "list"))["blocks"])
    await set_up(bot, team, admin, "Daily", time="09:00", timezone=BERLIN)
    body = await digest(bot, team, member, "list")
    assert body["text"] == "1 digest"
    assert_valid_blocks(body["blocks"])
    text = block_text(body["blocks"])
    assert "Daily" in text and "next Mon Dec 7 09:00" in text and "daily, Mon–Fri at 09:00 (Europe/Berlin)" in text
    assert (await digest(bot, team, admin, "pause daily"))["text"] == \
        "Paused *Daily*: nothing posts until `/digest resume Daily`."
    assert (await digest(bot, team, admin, "pause Daily"))["text"] == \
        "*Daily* is already paused; `/digest resume Daily` restarts it."
    await tick(bot, clock, local(MONDAY, 9, 0))
    assert not digest_posts(bot, channel_of(team))
    assert ":double_vertical_bar: paused" in block_text((await digest(bot, team, member, "list"))["blocks"])
    clock.set(local(MONDAY, 10, 0))
    assert (await digest(bot, team, admin, "resume Daily"))["text"] == "Resumed *Daily*. Next post: Tue Dec 8 09:00."
    assert (await digest(bot, team, admin, "resume Daily"))["text"] == "*Daily* is not paused; nothing changed."
    await tick(bot, clock, local(MONDAY + timedelta(days=1), 9, 0))
    assert len(digest_posts(bot, channel_of(team))) == 1
    assert await digest(bot, team, admin, "delete Daily") == {}
    confirm = last_view(bot, DigestView.DELETE)
    assert_valid_blocks(confirm["blocks"])
    status, _ = await submit(bot, team, admin, confirm, {})
    assert status == 200 and not await digests(bot, team)
    status, body = await submit(bot, team, admin, confirm, {})  # a second click
    assert body["response_action"] == "update" and "already deleted" in block_text(body["view"]["blocks"])
    assert "There is no digest named `Daily`" in (await digest(bot, team, admin, "pause Daily"))["text"]


async def test_an_edit_keeps_the_period_so_moving_the_time_does_not_post_twice(bot: Bot, team: str,
                                                                              clock: Clock) -> None:
    clock.set(local(MONDAY, 8, 0))
    admin, _ = await people(bot, team)
    await set_up(bot, team, admin, "Moved", time="09:00", timezone=BERLIN)
    await tick(bot, clock, local(MONDAY, 9, 0))
    assert await digest(bot, team, admin, "edit Moved") == {}
    status, body = await submit(bot, team, admin, last_view(bot, DigestView.SETUP), {"time": "17:00"})
    assert status == 200 and not (body or {}).get("errors"), body
    d = await row(bot, team, "Moved")
    assert d.next_period == MONDAY.isoformat()  # today 17:00: the same period as this morning's post
    lines = await tick(bot, clock, local(MONDAY, 17, 0))
    assert len(digest_posts(bot, channel_of(team))) == 1, lines
    await tick(bot, clock, local(MONDAY + timedelta(days=1), 17, 0))
    assert len(digest_posts(bot, channel_of(team))) == 2


async def test_preview_and_now_without_a_name_need_one_digest_here(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 8, 0))
    admin, _ = await people(bot, team)
    assert (await digest(bot, team, admin, "preview"))["text"].startswith("No digest posts in this channel.")
    await set_up(bot, team, admin, "One")
    await set_up(bot, team, admin, "Two")
    body = await digest(bot, team, admin, "now")
    assert body["text"].startswith("Several digests post here (`One`, `Two`); say which")
    assert not digest_posts(bot, channel_of(team))


# -- help and anything typed ------------------------------------------------------------------------

async def test_help_lists_every_subcommand_and_an_unknown_one_gets_did_you_mean(bot: Bot, team: str) -> None:
    admin, _ = await people(bot, team)
    body = await digest(bot, team, admin, "help")
    text = block_text(body["blocks"])
    for sub in SUBCOMMANDS:
        assert f"/digest {sub}" in text, sub
    body = await digest(bot, team, admin, "lsit")
    assert body["text"] == "`lsit` is not a /digest command. Did you mean `/digest list`?"
    assert "/digest setup" in block_text(body["blocks"])
    assert (await digest(bot, team, admin, ""))["text"] == "/digest help"


PROPERTY = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
WORDS = st.sampled_from([
    "setup", "list", "edit", "pause", "resume", "delete", "preview", "now", "help", "Daily", "daily", '"Daily"',
    "“Daily”", "'Daily'", '"', "sertup", "lsit", "<!here>", "<!channel>", "<@U0123|bob>", "<#C0123|general>",
    "<#C0123>", "&amp;", "&lt;b&gt;", "<b>", "&", "<https://evil.example|x>", "x" * 81, "\x00", "\t", "\n",
    "Ünïcødé", "🙂", "—", "100%", "'; DROP TABLE digests; --"])
COMMAND_TEXT = st.one_of(st.lists(WORDS, max_size=4).map(" ".join), st.text(max_size=120))
FAILURES = ("Sorry, something went wrong", "Traceback", "Error:")


@PROPERTY
@given(text=COMMAND_TEXT)
@example(text="now Daily")
@example(text="delete “Daily”")
@example(text="setup <#C0123|general> extra")
async def test_any_digest_text_from_a_member_gets_a_clear_private_answer_and_changes_nothing(
        bot: Bot, team: str, text: str) -> None:
    member = uid(team, "MEM")
    if not await digests(bot, team):
        admin, _ = await people(bot, team)
        await set_up(bot, team, admin, "Daily")
    before_views, before_posts = len(bot.fake.calls_to("views.open")), len(bot.fake.posted(channel_of(team)))
    status, body = await bot.slack.command(team, member, "/digest", text, channel_id="CELSE" + team[-5:])
    await bot.settle()
    assert status == 200, (status, body)
    assert body and body.get("text"), body
    assert body.get("response_type", "ephemeral") == "ephemeral"
    assert not any(f in body["text"] for f in FAILURES), body
    assert "<!here>" not in body["text"] and "<!channel>" not in body["text"]
    if body.get("blocks"):
        assert_valid_blocks(body["blocks"])
    assert len(bot.fake.calls_to("views.open")) == before_views
    assert len(bot.fake.posted(channel_of(team))) == before_posts
    ((name, paused),) = [(d.name, d.paused_at) for d in await digests(bot, team)]
    assert (name, paused) == ("Daily", None)


async def test_two_submissions_of_the_same_new_name_at_once_make_one_digest(bot: Bot, team: str,
                                                                            clock: Clock) -> None:
    """A double click on Save, or two admins at once (PostgreSQL runs them side by side): one
    digest, and the other submission is told the name is taken, under the name field."""
    clock.set(local(MONDAY, 8, 0))
    admin, _ = await people(bot, team)
    view = await open_setup(bot, team, admin)
    payloads = [view_submission(team, admin, view["callback_id"], state_of(view, {"name": "Twice"}),
                                private_metadata=view.get("private_metadata", "")) for _ in range(2)]
    assert payloads[0]["trigger_id"] != payloads[1]["trigger_id"]  # two clicks, not a replay
    answers = await asyncio.gather(*(bot.slack.interaction(p) for p in payloads))
    await bot.settle()
    assert [d.name for d in await digests(bot, team)] == ["Twice"]
    refused = [body for status, body in answers if body]
    assert all(status == 200 for status, _ in answers)
    assert all("There is already a digest named" in errors(body)["name"] for body in refused), refused
