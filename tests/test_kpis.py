"""KPIs end to end (issue 13): definitions through the form, values logged as typed, pushed
with a token and pulled from a local HTTP source, the list and show (the chart uploaded through
the files upload v2 flow and decoded here), and the nudges (off target and back, a sharp move,
stale, a failing source) driven by `duties.tick` at chosen instants, on SQLite and PostgreSQL."""
from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from PIL import Image
from sqlalchemy import select

from bot import duties
from bot.app import build_app
from bot.clock import Clock
from bot.kpis.blocks import KPI_VIEW
from bot.runtime import Runtime
from models.kpi import Kpi, KpiPull, KpiValue
from tests.blockkit import assert_valid_blocks, block_text
from tests.conftest import Bot, bot_settings
from tests.standup_helpers import BERLIN, channel_of, last_view, meet, submit, uid

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


async def kpi(bot: Bot, team: str, user: str, text: str) -> dict[str, Any]:
    status, body = await bot.slack.command(team, user, "/kpi", text, channel_id=channel_of(team))
    assert status == 200, body
    await bot.settle()
    return body or {}


async def define(bot: Bot, team: str, admin: str, **values: Any) -> Kpi:
    await kpi(bot, team, admin, "add")
    view = last_view(bot, KPI_VIEW)
    status, body = await submit(bot, team, admin, view, {"channel": channel_of(team), **values})
    assert status == 200 and not (body or {}).get("errors"), body
    async with bot.rt.db.unit_of_work() as session:
        row = await session.scalar(select(Kpi).where(Kpi.team_id == team, Kpi.key == values["key"]))
    assert row is not None
    return row


async def values_of(bot: Bot, kpi_id: int) -> list[float]:
    async with bot.rt.db.unit_of_work() as session:
        return [v for v in (await session.scalars(select(KpiValue.value).where(KpiValue.kpi_id == kpi_id)
                                                  .order_by(KpiValue.at, KpiValue.id))).all()]


def channel_texts(bot: Bot, team: str) -> list[str]:
    return [c.args.get("text", "") for c in bot.fake.posted(channel_of(team))]


async def people(bot: Bot, team: str) -> tuple[str, str, str]:
    admin, owner, other = uid(team, "ADM"), uid(team, "OWN"), uid(team, "OTH")
    await meet(bot, team, admin, BERLIN, "Ada", is_admin=True)
    await meet(bot, team, owner, BERLIN, "Olga")
    await meet(bot, team, other, BERLIN, "Otto")
    return admin, owner, other


async def test_definitions_are_for_ops_admins_and_every_bad_field_is_refused_under_it(bot: Bot, team: str,
                                                                                      clock: Clock) -> None:
    clock.set(NOW)
    admin, owner, other = await people(bot, team)
    refused = await kpi(bot, team, other, "add")
    assert refused["text"].startswith("Only ops admins") and bot.fake.calls_to("views.open") == []
    await kpi(bot, team, admin, "add")
    view = last_view(bot, KPI_VIEW)
    good = {"key": "activation", "name": "Activation", "owner": owner, "channel": channel_of(team), "target": "40%"}
    cases = [({"key": "Not A Slug!"}, "key"), ({"name": ""}, "name"), ({"target": "lots"}, "target"),
             ({"band": "3 - 2"}, "band"), ({"band": "two"}, "band"), ({"stale": "0"}, "stale"),
             ({"change": "-5"}, "change"), ({"source": "http", "url": "ftp://x.example/a", "path": "a"}, "url"),
             ({"source": "http", "url": "https://x.example/a", "path": "a..b"}, "path"),
             ({"source": "http", "url": "https://x.example/a", "path": "a", "header": "no colon"}, "header")]
    for values, field in cases:
        status, body = await submit(bot, team, admin, view, {**good, **values})
        assert status == 200 and field in (body or {}).get("errors", {}), (values, body)
    status, body = await submit(bot, team, admin, view, good)
    assert not (body or {}).get("errors"), body
    status, body = await submit(bot, team, admin, view, good)
    assert body["errors"] == {"key": "There is already a KPI with the key `activation`; pick another."}
    listed = await kpi(bot, team, other, "")
    assert "Activation" in block_text(listed["blocks"]) and "no value yet" in block_text(listed["blocks"])
    assert_valid_blocks(listed["blocks"])


async def test_values_as_typed_off_target_back_on_and_a_sharp_move_each_said_once(bot: Bot, team: str,
                                                                                 clock: Clock) -> None:
    clock.set(NOW)
    admin, owner, other = await people(bot, team)
    k = await define(bot, team, admin, key="signups", name="Signups", owner=owner, target="1,000",
                     change="50", baseline="100")
    assert (await kpi(bot, team, other, "log signups 5"))["text"].startswith("Only the KPI's owner")
    for typed, stored in (("1,200", 1200.0), ("1.3k", 1300.0), ("900", 900.0), ("850", 850.0), ("2k", 2000.0)):
        clock.set(clock.now() + timedelta(hours=1))
        answer = await kpi(bot, team, owner, f"log signups {typed}")
        assert answer["text"].startswith("Logged"), answer
    assert await values_of(bot, k.id) == [1200.0, 1300.0, 900.0, 850.0, 2000.0]
    texts = channel_texts(bot, team)
    off = [t for t in texts if "off target" in t]
    back = [t for t in texts if "back on target" in t]
    sharp = [t for t in texts if "moved sharply" in t]
    assert len(off) == 1 and f"<@{owner}>" in off[0] and "900" in off[0], texts  # not again at 850
    assert len(back) == 1 and "2,000" in back[0], texts
    assert len(sharp) == 1 and "2,000" in sharp[0], texts  # 850 -> 2,000 is +135%
    for bad in ("log signups lots", "log signups 5 2026-13-01", "log signups 5 2027-01-01", "log nope 5", "log"):
        answer = await kpi(bot, team, owner, bad)
        assert answer.get("text") and not answer["text"].startswith("Logged"), (bad, answer)
    assert len(await values_of(bot, k.id)) == 5
    listed = block_text((await kpi(bot, team, other, ""))["blocks"])
    assert "2,000" in listed and "target ≥ 1,000" in listed and "▲" in listed


async def test_stale_owner_told_once_per_episode_and_the_list_never_shows_a_stale_number_as_current(
        bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    admin, owner, _ = await people(bot, team)
    await define(bot, team, admin, key="nps", name="NPS", owner=owner, stale="2")
    await kpi(bot, team, owner, "log nps 41")
    for hours in (47, 49, 50, 72):
        await duties.tick(bot.rt, clock.set(NOW + timedelta(hours=hours, minutes=1)))
        await bot.settle()
    stale_dms = [c for c in bot.fake.posted(owner) if "No value for" in c.args.get("text", "")]
    assert len(stale_dms) == 1, [c.args.get("text") for c in bot.fake.posted(owner)]
    listed = block_text((await kpi(bot, team, owner, ""))["blocks"])
    assert "stale" in listed and "not current" in listed
    await kpi(bot, team, owner, "log nps 44")
    for hours in (100, 124, 143):  # stale again on Saturday: held over the owner's weekend, sent Monday
        await duties.tick(bot.rt, clock.set(NOW + timedelta(hours=hours)))
        await bot.settle()
    assert len([c for c in bot.fake.posted(owner) if "No value for" in c.args.get("text", "")]) == 2


async def test_pushes_need_the_token_shown_once_and_never_log_it(bot: Bot, team: str, clock: Clock,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    clock.set(NOW)
    admin, owner, other = await people(bot, team)
    k = await define(bot, team, admin, key="tickets", name="Tickets per week", owner=owner)
    assert (await kpi(bot, team, other, "token tickets"))["text"].startswith("Only the KPI's owner")
    shown = (await kpi(bot, team, owner, "token tickets"))["text"]
    token = shown.split("`")[3]
    assert token.startswith("kpi_")
    caplog.set_level(logging.DEBUG)
    url = f"{bot.url}/kpi/tickets"

    async def push(body: Any, auth: str | None = f"Bearer {token}", path: str = url) -> tuple[int, Any]:
        headers = {"Authorization": auth} if auth else {}
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        async with bot.http.post(path, data=raw, headers={**headers, "Content-Type": "application/json"}) as resp:
            return resp.status, await resp.json()

    assert (await push({"value": 12, "at": "2026-11-30"}))[0] == 200
    assert (await push({"value": 13.5}))[0] == 200
    assert (await push({"value": 1}, auth="Bearer kpi_wrong"))[0] == 401
    assert (await push({"value": 1}, auth=None))[0] == 401
    wrong_key = await push({"value": 1}, path=f"{bot.url}/kpi/nope")
    assert wrong_key[0] == 401 and wrong_key[1] == (await push({"value": 1}, auth="Bearer kpi_x"))[1]
    assert (await push(b"not json"))[0] == 400
    assert (await push({"value": "NaN"}))[0] == 400
    assert (await push({"value": 1, "at": "2026-11-30T09:00:00"}))[0] == 400  # no offset
    assert (await push({"value": 1, "at": "2030-01-01"}))[0] == 400
    assert (await push(b"{" + b" " * 5000 + b"}"))[0] == 413
    assert await values_of(bot, k.id) == [12.0, 13.5]
    assert token not in caplog.text
    await kpi(bot, team, owner, "token tickets")  # a new token: the old one stops working
    assert (await push({"value": 2}))[0] == 401


@pytest.fixture
async def source() -> AsyncIterator[dict[str, Any]]:
    """A local HTTP source whose answer the test sets."""
    state: dict[str, Any] = {"status": 200, "body": {"data": [{"value": 41.5}]}, "seen": []}

    async def handle(request: web.Request) -> web.Response:
        state["seen"].append(dict(request.headers))
        if state["status"] != 200:
            return web.Response(status=state["status"], text="oops")
        return web.json_response(state["body"])

    app = web.Application()
    app.router.add_get("/metric", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state["url"] = f"http://127.0.0.1:{runner.addresses[0][1]}/metric"
    yield state
    await runner.cleanup()


async def test_pulls_store_values_and_a_failing_source_tells_the_owner_once_per_streak(
        bot: Bot, team: str, clock: Clock, source: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    clock.set(NOW)
    admin, owner, _ = await people(bot, team)
    k = await define(bot, team, admin, key="uptime", name="Uptime", owner=owner, source="http", url=source["url"],
                     path="data.0.value", header="X-Api-Key: s3cret-value", every="60", target="40")
    # The session bot refuses private addresses (the default); this one is configured to allow them.
    other = Runtime.create(bot_settings(bot.rt.settings.database_url, bot.fake.api_url, kpi_allow_private_urls=True))
    build_app(other)
    caplog.set_level(logging.DEBUG)
    try:
        async def tick(at: datetime) -> list[str]:
            clock.set(at)
            lines = [line for line in await duties.tick(other, at) if f" in {team}" in line]
            await other.tasks.drain(timeout=30)
            return lines

        lines = await tick(NOW + timedelta(minutes=1))
        assert any(line.startswith("kpi pulls: sent pull of KPI uptime") for line in lines), lines
        assert await values_of(bot, k.id) == [41.5]
        assert source["seen"][-1].get("X-Api-Key") == "s3cret-value"
        source["status"] = 500
        for minutes in (62, 123, 184):
            await tick(NOW + timedelta(minutes=minutes))
        failing = [c for c in bot.fake.posted(owner) if "are failing" in c.args.get("text", "")]
        assert len(failing) == 1 and "HTTP 500" in failing[0].args["text"], failing
        async with bot.rt.db.unit_of_work() as session:
            reasons = (await session.scalars(select(KpiPull.reason).where(KpiPull.kpi_id == k.id))).all()
        assert len(reasons) == 3
        listed = block_text((await kpi(bot, team, owner, ""))["blocks"])
        assert "pulls failing" in listed
        source["status"], source["body"] = 200, {"data": [{"value": 39}]}
        await tick(NOW + timedelta(minutes=245))
        assert await values_of(bot, k.id) == [41.5, 39.0]
        assert any("off target" in t for t in channel_texts(bot, team))
        source["status"] = 500
        await tick(NOW + timedelta(minutes=306))  # a new streak: told again, once
        assert len([c for c in bot.fake.posted(owner) if "are failing" in c.args.get("text", "")]) == 2
        assert "s3cret-value" not in caplog.text
        assert all("s3cret" not in json.dumps(c.args) for c in bot.fake.calls)
        edit = await kpi(bot, team, admin, "edit uptime")
        assert edit == {} and "s3cret" not in json.dumps(last_view(bot, KPI_VIEW))
    finally:
        await other.close()


async def test_the_session_bot_refuses_a_private_source_by_default(bot: Bot, team: str, clock: Clock,
                                                                   source: dict[str, Any]) -> None:
    clock.set(NOW)
    admin, owner, _ = await people(bot, team)
    k = await define(bot, team, admin, key="private", name="Private", owner=owner, source="http", url=source["url"],
                     path="data.0.value")
    await duties.tick(bot.rt, clock.set(NOW + timedelta(minutes=1)))
    await bot.settle()
    assert source["seen"] == [] and await values_of(bot, k.id) == []
    async with bot.rt.db.unit_of_work() as session:
        (reason,) = (await session.scalars(select(KpiPull.reason).where(KpiPull.kpi_id == k.id))).all()
    assert "private" in reason


async def test_show_uploads_a_chart_png_through_files_upload_v2(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW - timedelta(days=10))
    admin, owner, _ = await people(bot, team)
    await define(bot, team, admin, key="churn", name="Churn", owner=owner, unit="percent", direction="lower",
                 target="3%")
    for day, value in enumerate((3.5, 3.1, 2.9, 2.7)):
        clock.set(NOW - timedelta(days=8 - 2 * day))
        await kpi(bot, team, owner, f"log churn {value}%")
    clock.set(NOW)
    shown = await kpi(bot, team, owner, "show churn")
    assert "Recent values" in block_text(shown["blocks"]) and "2.7%" in block_text(shown["blocks"])
    assert_valid_blocks(shown["blocks"])
    completes = bot.fake.calls_to("files.completeUploadExternal")
    assert len(completes) == 1
    (upload,) = bot.fake.uploads.values()
    image = Image.open(io.BytesIO(upload))
    assert image.format == "PNG" and image.size[0] >= 600 and image.size[1] >= 250
