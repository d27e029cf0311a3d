"""HTTP surface: healthz, request signing, url_verification."""
from __future__ import annotations

import json
import time

import aiohttp
from sqlalchemy import func, select

from bot.app import build_app
from bot.runtime import Runtime
from bot.server import build_web_app
from models.workspace import Workspace
from tests.conftest import Bot, bot_settings
from tests.slack_requests import command_form, signed_headers


async def workspace_count(bot: Bot, team: str) -> int:
    async with bot.rt.db.unit_of_work() as session:
        return await session.scalar(select(func.count()).select_from(Workspace).where(Workspace.team_id == team)) or 0


async def test_healthz_ok(bot: Bot) -> None:
    async with bot.http.get(bot.url + "/healthz") as resp:
        assert resp.status == 200
        assert await resp.json() == {"status": "ok"}


async def test_healthz_503_when_database_unreachable(bot: Bot) -> None:
    # Nothing listens on port 1: the database is down for this runtime.
    settings = bot_settings("postgresql+asyncpg://nobody@127.0.0.1:1/none", bot.fake.api_url)
    rt = Runtime.create(settings)
    runner = aiohttp.web.AppRunner(build_web_app(rt, build_app(rt)))
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        async with bot.http.get(f"http://127.0.0.1:{port}/healthz") as resp:
            assert resp.status == 503
            assert (await resp.json())["status"] == "unavailable"
    finally:
        await runner.cleanup()
        await rt.close()


async def test_unsigned_badly_signed_and_stale_requests_are_rejected(bot: Bot, team: str) -> None:
    body = command_form(team, "U1", "/prodops", "admins list")
    url = bot.url + "/slack/events"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    async with bot.http.post(url, data=body, headers=form) as resp:
        assert resp.status == 401
    bad = signed_headers(body, secret="not-the-secret")
    async with bot.http.post(url, data=body, headers=bad) as resp:
        assert resp.status == 401
    stale = signed_headers(body, timestamp=int(time.time()) - 6 * 60)
    async with bot.http.post(url, data=body, headers=stale) as resp:
        assert resp.status == 401
    tampered = signed_headers(body)
    async with bot.http.post(url, data=body.replace("admins+list", "admins+add"), headers=tampered) as resp:
        assert resp.status == 401
    assert await workspace_count(bot, team) == 0  # nothing was processed
    assert bot.fake.calls == []


async def test_signed_request_is_processed(bot: Bot, team: str) -> None:
    status, body = await bot.slack.command(team, "U1", "/prodops", "admins list")
    assert status == 200
    assert body.get("response_type", "ephemeral") == "ephemeral"  # Slack's default for a reply
    assert "ops admins" in json.dumps(body["blocks"]).lower()
    assert await workspace_count(bot, team) == 1  # created on first contact


async def test_url_verification_is_answered(bot: Bot) -> None:
    body = json.dumps({"token": "t", "challenge": "challenge-123", "type": "url_verification"})
    status, answer = await bot.slack.post(body, "application/json")
    assert status == 200
    assert answer == {"challenge": "challenge-123"}


async def test_non_integer_timestamp_is_rejected_before_anything_runs(bot: Bot, team: str) -> None:
    payload = {"type": "block_actions", "team": {"id": team}, "user": {"id": "UVICTIM"},
               "response_url": bot.fake.response_url("attacker"), "actions": [{"action_id": "x", "value": "1"}],
               "trigger_id": "t"}
    body = "payload=" + json.dumps(payload)
    headers = {**signed_headers(body), "X-Slack-Request-Timestamp": "abc"}
    async with bot.http.post(bot.url + "/slack/events", data=body, headers=headers) as resp:
        assert resp.status == 401
    await bot.settle()
    assert bot.fake.responses == [] and bot.fake.calls == []
