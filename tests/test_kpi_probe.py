"""KPIs: the defects a black-box pass found (issue 13), each as it was found, on both backends."""
from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from bot.kpis.blocks import KPI_VIEW
from bot.kpis.parsing import parse_header
from bot.errors import UserError
from bot.clock import Clock
from tests.conftest import Bot
from tests.standup_helpers import channel_of, last_view, submit
from tests.test_kpis import NOW, channel_texts, define, kpi, people, values_of


async def test_simultaneous_values_crossing_the_target_say_it_once(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    admin, owner, _ = await people(bot, team)
    k = await define(bot, team, admin, key="race", name="Race", owner=owner, target="10", change="20",
                     baseline="10")
    await kpi(bot, team, owner, "log race 20")
    clock.set(NOW + timedelta(minutes=1))
    await asyncio.gather(*(bot.slack.command(team, owner, "/kpi", "log race 5", channel_id=channel_of(team))
                           for _ in range(10)))
    await bot.settle()
    texts = channel_texts(bot, team)
    assert len([t for t in texts if "off target" in t]) == 1, texts
    assert len([t for t in texts if "moved sharply" in t]) == 1, texts
    assert len(await values_of(bot, k.id)) == 11


async def test_a_push_far_ahead_or_a_bool_is_refused_and_cannot_freeze_the_kpi(bot: Bot, team: str,
                                                                                clock: Clock) -> None:
    clock.set(NOW)
    admin, owner, _ = await people(bot, team)
    k = await define(bot, team, admin, key="frozen", name="Frozen", owner=owner, target="10")
    token = (await kpi(bot, team, owner, "token frozen"))["text"].split("`")[3]

    async def push(body: Any) -> int:
        async with bot.http.post(f"{bot.url}/kpi/frozen", data=json.dumps(body),
                                 headers={"Authorization": f"Bearer {token}"}) as resp:
            return resp.status

    day_after_tomorrow = (NOW + timedelta(days=2)).date().isoformat()
    assert [await push(b) for b in ({"value": 1, "at": day_after_tomorrow}, {"value": 1, "at": "0001-01-01"},
                                    {"value": True}, {"value": False})] == [400, 400, 400, 400]
    assert await values_of(bot, k.id) == []
    assert await push({"value": 1}) == 200 and await push({"value": 50}) == 200
    await bot.settle()
    assert any("back on target" in t for t in channel_texts(bot, team))


async def test_a_failing_source_dm_is_a_budgeted_nudge_and_only_for_its_own_streak(bot: Bot, team: str,
                                                                                    clock: Clock) -> None:
    from tests.test_kpi_edges import private_runtime, tick_with

    clock.set(NOW)
    admin, owner, _ = await people(bot, team)
    for n in range(5):  # five KPIs whose (closed) source fails at once
        await define(bot, team, admin, key=f"down{n}", name=f"Down {n}", owner=owner, source="http",
                     url="http://127.0.0.1:9/x", path="v")
    rt = private_runtime(bot)
    try:
        await tick_with(rt, clock, team, NOW + timedelta(minutes=1))
        failing = [c for c in bot.fake.posted(owner) if "are failing" in c.args.get("text", "")]
        assert len(failing) == 3, [c.args.get("text") for c in bot.fake.posted(owner)]  # the daily budget
        assert all("notify.snooze" in json.dumps(c.args.get("blocks")) for c in failing)
    finally:
        await rt.close()


async def test_the_form_refuses_headers_the_bot_sets_a_target_with_a_band_and_a_bot_as_owner(
        bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    admin, owner, _ = await people(bot, team)
    for header in ("Host: evil.example", "Content-Length: 0", "Transfer-Encoding: chunked"):
        try:
            parse_header(header)
        except UserError as exc:
            assert "is set by the bot" in exc.message
        else:
            raise AssertionError(header)
    await kpi(bot, team, admin, "add")
    view = last_view(bot, KPI_VIEW)
    base = {"key": "both", "name": "Both", "owner": owner, "channel": channel_of(team)}
    status, body = await submit(bot, team, admin, view, {**base, "target": "10", "band": "2 - 3"})
    assert body["errors"] == {"band": "Give either a target or a band, not both."}
    bot.fake.add_user("UROBOTKPI", is_bot=True)
    await bot.slack.event(team, {"type": "user_change", "user": {
        "id": "UROBOTKPI", "team_id": team, "name": "robo", "real_name": "Robo", "deleted": False, "is_bot": True,
        "tz": "UTC", "tz_offset": 0, "profile": {"real_name": "Robo"}}})
    await bot.settle()
    status, body = await submit(bot, team, admin, view, {**base, "owner": "UROBOTKPI"})
    assert body["errors"] == {"owner": "Pick a person as the owner: that one is a bot or has left the workspace."}
