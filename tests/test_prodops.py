"""/prodops: help, ops admins, timezone, status, roles and tenancy."""
from __future__ import annotations

import json
import typing

from hypothesis import given, strategies as st
from sqlalchemy import select

from bot.errors import UserError
from bot.app import COMMANDS
from bot.prodops.parsing import Action, parse
from models.workspace import OpsAdmin, Workspace
from tests.blockkit import assert_valid_blocks, block_text
from tests.conftest import Bot


async def admins_of(bot: Bot, team: str) -> list[str]:
    async with bot.rt.db.unit_of_work() as session:
        return list(await session.scalars(select(OpsAdmin.user_id).where(OpsAdmin.team_id == team)))


async def timezone_of(bot: Bot, team: str) -> str | None:
    async with bot.rt.db.unit_of_work() as session:
        ws = await session.get(Workspace, team)
        return ws.timezone if ws else None


async def test_help_lists_every_command_with_examples(bot: Bot, team: str) -> None:
    for text in ("", "help", "what is this"):
        status, body = await bot.slack.command(team, "U1", "/prodops", text)
        assert status == 200
        assert_valid_blocks(body["blocks"])
        rendered = block_text(body["blocks"])
        for cmd in COMMANDS:
            assert cmd.command in rendered
            assert cmd.usage[0][0] in rendered


async def test_non_admin_cannot_add_ops_admin(bot: Bot, team: str) -> None:
    bot.fake.add_user("UPLAIN0")
    status, body = await bot.slack.command(team, "UPLAIN0", "/prodops", "admins add <@UOTHER0|other>")
    assert status == 200
    assert "Only ops admins and Slack workspace admins" in body["text"]
    assert await admins_of(bot, team) == []


async def test_slack_admin_adds_and_removes_ops_admin(bot: Bot, team: str) -> None:
    bot.fake.add_user("UBOSS00", is_admin=True)
    bot.fake.add_user("UOPS000")
    status, body = await bot.slack.command(team, "UBOSS00", "/prodops", "admins add <@UOPS000|ops>")
    assert "<@UOPS000> is now an ops admin" in body["text"]
    assert await admins_of(bot, team) == ["UOPS000"]
    _, body = await bot.slack.command(team, "UBOSS00", "/prodops", "admins add <@UOPS000|ops>")
    assert "already" in body["text"]
    # An ops admin who is not a Slack admin may manage too.
    _, body = await bot.slack.command(team, "UOPS000", "/prodops", "admins add <@UNEXT00>")
    assert "<@UNEXT00> is now" in body["text"]
    _, body = await bot.slack.command(team, "UOPS000", "/prodops", "admins list")
    assert "<@UOPS000>" in json.dumps(body["blocks"]) and "<@UNEXT00>" in json.dumps(body["blocks"])
    _, body = await bot.slack.command(team, "UBOSS00", "/prodops", "admins remove <@UNEXT00>")
    assert "no longer" in body["text"]
    assert await admins_of(bot, team) == ["UOPS000"]


async def test_bad_user_reference_changes_nothing(bot: Bot, team: str) -> None:
    bot.fake.add_user("UBOSS00", is_owner=True)
    _, body = await bot.slack.command(team, "UBOSS00", "/prodops", "admins add @maria")
    assert "is not a Slack user" in body["text"]
    _, body = await bot.slack.command(team, "UBOSS00", "/prodops", "admins add <@U1> <@U2>")
    assert "one user at a time" in body["text"]
    assert await admins_of(bot, team) == []


async def test_ops_admins_do_not_cross_workspaces(bot: Bot, team: str) -> None:
    bot.fake.add_user("UBOSS00", is_admin=True)
    await bot.slack.command(team, "UBOSS00", "/prodops", "admins add <@UOPS000>")
    other = team + "X"
    await bot.slack.command(other, "UOPS000", "/prodops", "help")  # first contact
    _, body = await bot.slack.command(other, "UOPS000", "/prodops", "admins list")
    assert "<@UOPS000>" not in json.dumps(body["blocks"])
    bot.fake.add_user("UOPS000")  # a plain user in the other workspace
    _, body = await bot.slack.command(other, "UOPS000", "/prodops", "timezone Europe/Paris")
    assert "Only ops admins" in body["text"]
    assert await timezone_of(bot, other) == "UTC"


async def test_timezone_is_validated_and_set(bot: Bot, team: str) -> None:
    bot.fake.add_user("UBOSS00", is_admin=True)
    await bot.slack.command(team, "UBOSS00", "/prodops", "admins list")  # first contact
    _, body = await bot.slack.command(team, "UBOSS00", "/prodops", "timezone Mars/Olympus")
    assert "is not an IANA timezone" in body["text"]
    assert await timezone_of(bot, team) == "UTC"
    _, body = await bot.slack.command(team, "UBOSS00", "/prodops", "timezone Europe/Berlin")
    assert "Europe/Berlin" in body["text"]
    assert await timezone_of(bot, team) == "Europe/Berlin"


async def test_status_reports_backend_scheduler_and_slack(bot: Bot, team: str) -> None:
    status, body = await bot.slack.command(team, "U1", "/prodops", "status",
                                           response_url=bot.fake.response_url("status"))
    assert status == 200
    await bot.settle()
    (key, reply), = bot.fake.responses
    assert key == "status" and reply["response_type"] == "ephemeral"
    assert_valid_blocks(reply["blocks"])
    rendered = json.dumps(reply["blocks"])
    assert bot.rt.db.backend in rendered
    assert "connected to Fake Team" in rendered
    assert "reload schedules" in rendered  # the scheduler's own jobs are listed with next runs
    assert bot.fake.calls_to("auth.test")


async def test_status_says_when_slack_is_down(bot: Bot, team: str) -> None:
    bot.fake.fail("auth.test", "invalid_auth")
    await bot.slack.command(team, "U1", "/prodops", "status", response_url=bot.fake.response_url())
    await bot.settle()
    (_, reply), = bot.fake.responses
    assert "invalid_auth" in json.dumps(reply["blocks"])


@given(st.text(max_size=200))
def test_parse_never_fails_unexpectedly(text: str) -> None:
    try:
        request = parse(text)
    except UserError as exc:
        assert exc.message
    else:
        assert request.action in typing.get_args(Action)


async def test_rate_limited_role_lookup_answers_at_once_and_changes_nothing(bot: Bot, team: str) -> None:
    bot.fake.fail("users.info", retry_after=30)
    status, body = await bot.slack.command(team, "UNEWADM", "/prodops", "admins add <@UOPS000>")
    assert status == 200
    assert "couldn't check your role" in body["text"] and "ratelimited" in body["text"]
    assert len(bot.fake.calls_to("users.info")) == 1  # not waiting out the 30 s
    assert await admins_of(bot, team) == []


async def test_status_shows_only_this_workspaces_schedules(bot: Bot, team: str) -> None:
    from models.schedule import Schedule
    from bot.workspaces import ensure_workspace

    other = team + "Z"
    async with bot.rt.db.unit_of_work() as session:
        await ensure_workspace(session, other)
        session.add(Schedule(team_id=other, kind="digest", cron="0 9 * * *", timezone="UTC"))
    await bot.rt.scheduler.reload()
    await bot.slack.command(team, "U1", "/prodops", "status", response_url=bot.fake.response_url("mine"))
    await bot.slack.command(other, "U1", "/prodops", "status", response_url=bot.fake.response_url("theirs"))
    await bot.settle()
    replies = dict(bot.fake.responses)
    assert f"digest for {other}" not in block_text(replies["mine"]["blocks"])
    assert f"digest for {other}" in block_text(replies["theirs"]["blocks"])
