"""KPIs at their edges (issue 13, "Bad input and edges"): unknown keys and subcommands, duplicate
keys, bad numbers and dates (typed, and in the form), a target and a previous value of zero, the
sharp-change baseline, values as typed (hypothesis, against an independent computation and
through the endpoint), failing HTTP pulls (a timeout, 500, HTML, a huge body, a missing or
non-numeric path) with the header secret kept out of every log line, Slack call, reason and form,
private addresses refused by default, an owner who left, two replicas ticking the same instant,
`prodops-bot tick --dry-run`, and who may do what (a forged submission included).

Everything goes through the signed endpoint against the fake Slack, with `duties.tick` at chosen
instants, on SQLite and PostgreSQL. A tick covers every workspace in the session database: each
test keeps to its own workspace, people (uid) and channel."""
from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web
from hypothesis import HealthCheck, assume, example, given, settings, strategies as st
from sqlalchemy import func, select

from bot import duties
from bot.app import build_app
from bot.clock import Clock
from bot.edge import GENERIC_FAILURE, STORAGE_FAILURE
from bot.errors import UserError
from bot.kpis import fetch
from bot.kpis.blocks import KPI_VIEW
from bot.kpis.parsing import SUBCOMMANDS, parse_value
from bot.runtime import Runtime
from models.delivery import Delivery
from models.kpi import Kpi, KpiPull, KpiValue
from tests.blockkit import assert_valid_blocks, block_text
from tests.conftest import Bot, bot_settings
from tests.slack_requests import view_submission
from tests.standup_helpers import BERLIN, channel_of, last_view, state_of, submit, uid
from tests.test_kpis import NOW, channel_texts, define, kpi, people, values_of
from tests.test_standup_time import run_cli

SECRET = "Bearer sk-live-9f8e7d6c5b4a"  # the pulls' header value: never shown anywhere


# -- helpers ----------------------------------------------------------------------------------------

def said(answer: dict[str, Any]) -> str:
    """The text of an ephemeral answer to a command (never the generic failure)."""
    assert answer.get("response_type", "ephemeral") == "ephemeral", answer
    text = answer.get("text") or ""
    assert text and text not in (GENERIC_FAILURE, STORAGE_FAILURE), answer
    return text


async def row(bot: Bot, team: str, key: str) -> Kpi | None:
    async with bot.rt.db.unit_of_work() as session:
        return await session.scalar(select(Kpi).where(Kpi.team_id == team, Kpi.key == key))


async def kpis_of(bot: Bot, team: str) -> dict[str, Kpi]:
    async with bot.rt.db.unit_of_work() as session:
        return {k.key: k for k in (await session.scalars(select(Kpi).where(Kpi.team_id == team))).all()}


async def counts(bot: Bot, team: str) -> tuple[int, int, int, int]:
    """KPIs, values, failed pulls and deliveries of the workspace: what a refusal must not change."""
    async with bot.rt.db.unit_of_work() as session:
        found = [await session.scalar(select(func.count()).select_from(model).where(model.team_id == team)) or 0
                 for model in (Kpi, KpiValue, KpiPull, Delivery)]
    return found[0], found[1], found[2], found[3]


async def pull_reasons(bot: Bot, kpi_id: int) -> list[str]:
    async with bot.rt.db.unit_of_work() as session:
        return list((await session.scalars(select(KpiPull.reason).where(KpiPull.kpi_id == kpi_id)
                                           .order_by(KpiPull.id))).all())


def dm_texts(bot: Bot, user: str, lead: str) -> list[str]:
    return [c.args.get("text", "") for c in bot.fake.posted(user) if lead in c.args.get("text", "")]


async def form_errors(bot: Bot, team: str, user: str, view: dict[str, Any], values: dict[str, Any]) -> dict[str, str]:
    status, body = await submit(bot, team, user, view, values)
    assert status == 200, body
    return (body or {}).get("errors") or {}


def private_runtime(bot: Bot) -> Runtime:
    """A second process on the session database whose settings allow private URLs (the local
    sources); the session bot keeps the default and refuses them."""
    other = Runtime.create(bot_settings(bot.rt.settings.database_url, bot.fake.api_url, kpi_allow_private_urls=True))
    build_app(other)
    return other


async def tick_with(rt: Runtime, clock: Clock, team: str, at: datetime) -> list[str]:
    clock.set(at)
    lines = [line for line in await duties.tick(rt, at) if f" in {team}" in line]
    await rt.tasks.drain(timeout=30)
    return lines


# -- unknown keys and subcommands ---------------------------------------------------------------------

async def test_unknown_keys_are_said_for_every_subcommand_and_nothing_is_written(bot: Bot, team: str,
                                                                                 clock: Clock) -> None:
    clock.set(NOW)
    admin, owner, _ = await people(bot, team)
    await define(bot, team, admin, key="real", name="Real", owner=owner, target="5")
    await kpi(bot, team, owner, "log real 7")
    bot.fake.reset()
    before = await counts(bot, team)
    for who in (admin, owner):
        for text in ("show nope", "log nope 5", "log nope 5 2026-11-30", "edit nope", "remove nope", "token nope",
                     "show NOPE", "remove Nope"):
            answer = said(await kpi(bot, team, who, text))
            if who == owner and text.split()[0] in ("edit", "remove"):
                assert answer.startswith("Only ops admins"), (text, answer)  # the right before the key
            else:
                assert answer == "There is no KPI with the key `nope`. `/kpi` lists them.", (text, answer)
    for text, expected in (("show bad!key", "is not a KPI key"), ("show a b", "Usage: `/kpi show <key>`"),
                           ("token", "Usage: `/kpi token <key>`"), ("edit", "Usage: `/kpi edit <key>`"),
                           ("remove a b", "Usage: `/kpi remove <key>`"), ("log nope", "Usage: `/kpi log"),
                           ("show " + "k" * 41, "is not a KPI key")):
        assert expected in said(await kpi(bot, team, admin, text)), text
    assert await counts(bot, team) == before
    assert (await row(bot, team, "real")).push_token_hash is None  # type: ignore[union-attr]
    assert bot.fake.calls_to("views.open") == [] and bot.fake.posted() == []
    assert bot.fake.calls_to("files.getUploadURLExternal") == []


@pytest.mark.parametrize(("typed", "meant"), [("shwo", "show"), ("lgo", "log"), ("ad", "add"), ("edti", "edit"),
                                              ("remvoe", "remove"), ("tokn", "token"), ("hlep", "help"),
                                              ("lsit", "list"), ("shows", "show"), ("Logg", "log")])
async def test_an_unknown_subcommand_suggests_the_one_meant(bot: Bot, team: str, typed: str, meant: str) -> None:
    answer = said(await kpi(bot, team, uid(team, "ANY"), f"{typed} activation 5"))
    assert answer == f"`{typed}` is not a /kpi command. Did you mean `/kpi {meant}`?"


async def test_a_far_subcommand_gets_no_guess_and_help_lists_every_subcommand(bot: Bot, team: str) -> None:
    user = uid(team, "ANY")
    for typed in ("xyzzy", "graph", "<script>", "lo9"):
        shown = await kpi(bot, team, user, typed)
        assert "Did you mean" not in said(shown) and "is not a /kpi command" in said(shown), shown
        assert "*/kpi*" in block_text(shown["blocks"])  # the help comes with it
    assert said(await kpi(bot, team, user, "help me")) == "`/kpi help` takes nothing after it."
    shown = await kpi(bot, team, user, "help")
    assert_valid_blocks(shown["blocks"])
    text = block_text(shown["blocks"])
    for sub in SUBCOMMANDS:
        if sub == "help":
            continue
        assert f"`/kpi {sub}" in text or (sub == "list" and "`/kpi`:" in text), (sub, text)
    assert bot.fake.posted() == []


# -- duplicate keys -----------------------------------------------------------------------------------

async def test_duplicate_keys_are_refused_on_add_and_on_a_rename(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    admin, owner, _ = await people(bot, team)
    await define(bot, team, admin, key="activation", name="Activation", owner=owner)
    await define(bot, team, admin, key="churn", name="Churn", owner=owner, target="3")
    await kpi(bot, team, admin, "add")
    view = last_view(bot, KPI_VIEW)
    duplicate = "There is already a KPI with the key `activation`; pick another."
    for typed in ("activation", "Activation", " ACTIVATION "):
        assert await form_errors(bot, team, admin, view, {"key": typed, "name": "Again", "owner": owner,
                                                          "channel": channel_of(team)}) == {"key": duplicate}, typed
    await kpi(bot, team, admin, "edit churn")
    edit = last_view(bot, KPI_VIEW)
    assert await form_errors(bot, team, admin, edit, {"key": "activation"}) == {"key": duplicate}
    rows = await kpis_of(bot, team)
    assert set(rows) == {"activation", "churn"} and rows["churn"].name == "Churn" and rows["churn"].target == 3.0
    assert rows["activation"].name == "Activation"
    assert await form_errors(bot, team, admin, edit, {"name": "Churn rate"}) == {}  # its own key is no duplicate
    assert await form_errors(bot, team, admin, edit, {"key": "churn-rate"}) == {}  # a free key is a rename
    assert set(await kpis_of(bot, team)) == {"activation", "churn-rate"}


async def test_a_double_click_on_save_adds_one_kpi(bot: Bot, team: str, clock: Clock) -> None:
    """Two submissions of the same new key at once (a double click, or two replicas): one KPI, and
    the other is told the key is taken (never the generic failure)."""
    clock.set(NOW)
    admin, owner, _ = await people(bot, team)
    await kpi(bot, team, admin, "add")
    view = last_view(bot, KPI_VIEW)
    values = {"key": "twice", "name": "Twice", "owner": owner, "channel": channel_of(team)}
    answers = await asyncio.gather(*(submit(bot, team, admin, view, values) for _ in range(6)))
    await bot.settle()
    assert all(status == 200 for status, _ in answers), answers
    errors = [(body or {}).get("errors") for _, body in answers]
    assert sorted(bool(e) for e in errors) == [False] + [True] * 5, answers
    assert all(e == {"key": "There is already a KPI with the key `twice`; pick another."} for e in errors if e)
    assert list(await kpis_of(bot, team)) == ["twice"]
    assert not any(GENERIC_FAILURE in c.args.get("text", "") for c in bot.fake.posted(admin))


# -- bad numbers and dates ----------------------------------------------------------------------------

async def test_bad_numbers_and_dates_in_log_are_refused_and_nothing_is_stored(bot: Bot, team: str,
                                                                              clock: Clock) -> None:
    clock.set(NOW)  # 2026-12-01
    admin, owner, _ = await people(bot, team)
    k = await define(bot, team, admin, key="nps", name="NPS", owner=owner, target="40")
    bad = {
        "lots": "is not a number", "1e5": "is not a number", "NaN": "is not a number", "inf": "is not a number",
        "1,23": "is not a number", "1,2345": "is not a number", "12,345,67": "is not a number",
        "--5": "is not a number", "5-": "is not a number", "4 2": "is not a date", "0x10": "is not a number",
        "$": "is not a number", "%": "is not a number", "5kk": "is not a number", "5 k m": "is not a date",
        "9" * 20: "is too large", "2000000bn": "is too large", "5 2026-13-01": "is not a real date",
        "5 2026-02-30": "is not a real date", "5 0000-01-01": "is not a real date",
        "5 2026-12-03": "is in the future", "5 9999-12-31": "is in the future",
        "5 2026-12-01 2026-12-02": "is not a number", "5 12/01/2026": "is not a date",
        "5 yesterday": "is not a date", "five 2026-11-30": "is not a number",
    }
    for typed, expected in bad.items():
        answer = said(await kpi(bot, team, owner, f"log nps {typed}"))
        assert expected in answer and not answer.startswith("Logged"), (typed, answer)
    assert await values_of(bot, k.id) == []
    assert await counts(bot, team) == (1, 0, 0, 0)
    good = {"42": 42.0, "42 %": 42.0, "- 3.5": -3.5, "$ 1.2 k": 1200.0, "1,234.5": 1234.5,
            "5 2026-12-02": 5.0, "6 2026-11-30": 6.0, "7 2026-1-5": 7.0}  # tomorrow: a zone ahead
    for typed, value in good.items():
        clock.set(clock.now() + timedelta(minutes=1))
        assert said(await kpi(bot, team, owner, f"log nps {typed}")).startswith("Logged"), typed
    assert sorted(await values_of(bot, k.id)) == sorted(good.values())


async def test_bad_numbers_in_the_definition_form_are_refused_under_their_field(bot: Bot, team: str,
                                                                                clock: Clock) -> None:
    clock.set(NOW)
    admin, owner, _ = await people(bot, team)
    await kpi(bot, team, admin, "add")
    view = last_view(bot, KPI_VIEW)
    good = {"key": "signups", "name": "Signups", "owner": owner, "channel": channel_of(team)}
    cases: list[tuple[dict[str, str], str]] = [
        *[({"target": t}, "target") for t in ("lots", "1e5", "NaN", "-inf", "1,23", "9" * 20, "5 5")],
        *[({"band": b}, "band") for b in ("two", "1 - x", "x - 1", "5 - 5", "5 - 1", "-5 -", "- 5", "1 -", "1 to",
                                         "1..", "..1", "1 - 2 - 3", "9" * 20 + " - " + "9" * 21)],
        *[({"change": c}, "change") for c in ("abc", "0", "-5", "NaN", "5 5")],
        *[({"baseline": b}, "baseline") for b in ("abc", "1e3", "ten", "NaN")],
        *[({"stale": s}, "stale") for s in ("abc", "0", "367", "-1", "1.5")],
    ]
    for values, field in cases:
        errors = await form_errors(bot, team, admin, view, {**good, **values})
        assert set(errors) == {field}, (values, errors)
    assert await counts(bot, team) == (0, 0, 0, 0)
    for band, expected in (("-5 - 5", (-5.0, 5.0)), ("-10 - -2", (-10.0, -2.0)), ("2 to 3", (2.0, 3.0)),
                           ("0 - 1.5k", (0.0, 1500.0)), ("1..2", (1.0, 2.0)), ("2–3", (2.0, 3.0))):
        key = f"band-{len(await kpis_of(bot, team))}"
        assert await form_errors(bot, team, admin, view, {**good, "key": key, "band": band}) == {}, band
        saved = await row(bot, team, key)
        assert saved is not None and (saved.band_low, saved.band_high) == expected, band


# -- zero, and the sharp-change baseline ----------------------------------------------------------------

async def test_a_target_of_zero_and_a_previous_value_of_zero_divide_nothing_and_raise_no_alarm(
        bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    admin, owner, other = await people(bot, team)
    k = await define(bot, team, admin, key="incidents", name="Incidents", owner=owner, direction="lower",
                     target="0", change="50")
    assert k.target == 0.0 and k.change_pct == 50.0
    for typed in ("0", "0", "3", "0", "0%", "-0"):
        clock.set(clock.now() + timedelta(hours=1))
        assert said(await kpi(bot, team, owner, f"log incidents {typed}")).startswith("Logged"), typed
    texts = channel_texts(bot, team)
    # 0 → 3: off target, but no percentage of a previous 0; 3 → 0: back on, and a 100% move.
    assert len([t for t in texts if "is off target" in t]) == 1, texts
    assert len([t for t in texts if "back on target" in t]) == 1, texts
    sharp = [t for t in texts if "moved sharply" in t]
    assert len(sharp) == 1 and "(was 3)" in sharp[0], texts
    listed = block_text((await kpi(bot, team, other, ""))["blocks"])
    assert "target ≤ 0" in listed and ":white_check_mark:" in listed
    await kpi(bot, team, admin, "edit incidents")
    shown = state_of(last_view(bot, KPI_VIEW), {})
    assert shown["target"]["target"]["value"] == "0" and shown["change"]["change"]["value"] == "50"


async def test_the_minimum_baseline_keeps_small_moves_from_being_alarms(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    admin, owner, _ = await people(bot, team)
    await define(bot, team, admin, key="deals", name="Deals", owner=owner, change="50", baseline="10")
    moves = [("1", False), ("2", False), ("9", False), ("10", False), ("16", True), ("16.5", False), ("-10", True),
             ("-9.9", False), ("-30", False), ("100", True)]  # the previous value must be at least 10 (by size)
    seen = 0
    for typed, alarm in moves:
        clock.set(clock.now() + timedelta(hours=1))
        said(await kpi(bot, team, owner, f"log deals {typed}"))
        sharp = [t for t in channel_texts(bot, team) if "moved sharply" in t]
        seen += alarm
        assert len(sharp) == seen, (typed, sharp)


# -- values as typed ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Typed:
    text: str
    value: Decimal | None  # None: out of range (refused)


MULTIPLIERS = {"": 1, "k": 10**3, "K": 10**3, "m": 10**6, "M": 10**6, "b": 10**9, "bn": 10**9, "BN": 10**9, "%": 1}
GAP = st.sampled_from(["", "", " ", "  "])


@st.composite
def typed_numbers(draw: st.DrawFn) -> Typed:
    """A number as people type it, built from its parts, with its value computed from those parts."""
    whole = draw(st.one_of(st.integers(0, 999), st.integers(0, 10**17)))
    grouped = draw(st.booleans())
    digits = f"{whole:,}" if grouped else str(whole)
    fraction = draw(st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=6)))
    if fraction and not grouped and whole == 0 and draw(st.booleans()):
        digits = ""  # ".5"
    sign = draw(st.sampled_from(["", "", "+", "-", "\u2212"]))
    currency = draw(st.sampled_from(["", "", "$", "€", "£", "¥"]))
    tail = draw(st.sampled_from(list(MULTIPLIERS)))
    text = (draw(GAP) + sign + draw(GAP) + currency + draw(GAP) + digits + (f".{fraction}" if fraction else "")
            + draw(GAP) + tail + draw(GAP))
    value = Decimal(f"{whole}.{fraction or 0}") * MULTIPLIERS[tail] * (-1 if sign in ("-", "\u2212") else 1)
    return Typed(text, value if abs(value) <= Decimal(10) ** 15 else None)


@settings(max_examples=400, deadline=None)
@given(typed=typed_numbers())
@example(Typed("1.001k", Decimal(1001)))
@example(Typed("0.268b", Decimal(268_000_000)))
@example(Typed("$1.2m", Decimal(1_200_000)))
@example(Typed("- 3.5 k", Decimal(-3500)))
@example(Typed("1,000,000,000,000,000", Decimal(10) ** 15))
@example(Typed("1,000,000,000,000,001", None))
def test_parse_value_reads_numbers_as_typed(typed: Typed) -> None:
    if typed.value is None:
        with pytest.raises(UserError, match="is too large"):
            parse_value(typed.text)
        return
    assert parse_value(typed.text) == float(typed.value), typed  # correctly rounded, as the digits say


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=30))
@example("1,23")
@example("12,345,67")
@example("4 2")
@example("$-5")
@example("5kk")
def test_parse_value_refuses_what_is_not_a_number_in_one_sentence(text: str) -> None:
    try:
        value = parse_value(text)
    except UserError as refused:
        assert refused.message.endswith(("is not a number (like `42`, `42%`, `1,200` or `3.5k`).", "is too large."))
    else:
        assert abs(value) <= 1e15 and re.search(r"\d", text), (text, value)


def slack_escaped(text: str) -> str:
    """Command text as Slack sends it: &, < and > escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.fixture
async def logged_kpi(bot: Bot, team: str, clock: Clock) -> tuple[str, int]:
    clock.set(NOW)
    admin, owner, _ = await people(bot, team)
    return owner, (await define(bot, team, admin, key="typed", name="Typed", owner=owner)).id


DATE_SHAPED = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=st.one_of(typed_numbers(), st.text(max_size=24).map(lambda t: Typed(t, None))))
async def test_log_through_the_endpoint_stores_a_value_only_for_a_number(bot: Bot, team: str,
                                                                         logged_kpi: tuple[str, int],
                                                                         typed: Typed) -> None:
    owner, kpi_id = logged_kpi
    assume(not DATE_SHAPED.search(typed.text))
    try:
        expected: float | None = parse_value(" ".join(typed.text.split()))
    except UserError:
        expected = None
    if typed.value is not None:
        assert expected == float(typed.value), typed
    before = await values_of(bot, kpi_id)
    status, body = await bot.slack.command(team, owner, "/kpi", "log typed " + slack_escaped(typed.text),
                                           channel_id=channel_of(team))
    await bot.settle()
    assert status == 200, body
    answer = said(body or {})
    after = await values_of(bot, kpi_id)
    if expected is None:
        assert after == before and not answer.startswith("Logged"), (typed, answer)
    else:
        assert answer.startswith("Logged") and len(after) == len(before) + 1 and expected in after, (typed, answer)


# -- failing pulls, and the header secret -------------------------------------------------------------

@pytest.fixture
async def source() -> AsyncIterator[dict[str, Any]]:
    """A local HTTP source answering as `state["mode"]` says; it counts the requests it got."""
    release = asyncio.Event()
    state: dict[str, Any] = {"mode": "ok", "value": 41.5, "hits": 0, "headers": []}

    async def handle(request: web.Request) -> web.StreamResponse:
        state["hits"] += 1
        state["headers"].append(dict(request.headers))
        mode = state["mode"]
        if mode == "hang":
            await release.wait()  # never set while a pull waits: the pull times out
        if mode == "500":
            return web.Response(status=500, text=f"internal error; you sent {request.headers.get('X-Api-Key')}")
        if mode == "html":
            return web.Response(text=f"<html><body>Sign in ({request.headers.get('X-Api-Key')})</body></html>",
                                content_type="text/html")
        if mode == "huge":
            return web.json_response({"data": [{"value": 1, "pad": "x" * 1_500_000}]})
        if mode == "missing":
            return web.json_response({"data": []})
        if mode == "text":
            return web.json_response({"data": [{"value": "n/a"}]})
        if mode == "echo":  # a source that puts the token it was sent where the number should be
            return web.json_response({"data": [{"value": request.headers.get("X-Api-Key")}]})
        return web.json_response({"data": [{"value": state["value"]}]})

    app = web.Application()
    app.router.add_get("/metric", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state["url"], state["port"] = f"http://127.0.0.1:{port}/metric?account=acme", port
    try:
        yield state
    finally:
        release.set()  # let a hung handler finish so the server can stop
        await runner.cleanup()


async def test_each_kind_of_failing_pull_is_recorded_the_owner_told_once_and_the_secret_never_shown(
        bot: Bot, team: str, clock: Clock, source: dict[str, Any], caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(fetch, "PULL_TIMEOUT_SECONDS", 0.5)  # the default is 10 s
    clock.set(NOW)
    admin, owner, other = await people(bot, team)
    k = await define(bot, team, admin, key="uptime", name="Uptime", owner=owner, source="http", url=source["url"],
                     path="data.0.value", header=f"X-Api-Key: {SECRET}", every="60", target="40")
    replica = private_runtime(bot)
    expected = [("hang", "timed out after 0.5 s"), ("500", "HTTP 500"), ("html", "not JSON (text/html)"),
                ("huge", "answer larger than 1 MB"), ("missing", "no `data.0.value` in the answer"),
                ("text", "`n/a` at `data.0.value` is not a number"),
                ("echo", "the value at `data.0.value` is not a number (not shown: it looks like the header or "
                         "the query)")]
    try:
        at = NOW + timedelta(minutes=1)
        for hour, (mode, reason) in enumerate(expected):
            source["mode"] = mode
            lines = await tick_with(replica, clock, team, at + timedelta(minutes=61 * hour))
            assert lines == ["kpi pulls: sent pull of KPI uptime in " + team], (mode, lines)
            assert (await pull_reasons(bot, k.id))[-1] == reason, mode
            listed = block_text((await kpi(bot, team, other, ""))["blocks"])
            assert f"pulls failing: {reason}" in listed, (mode, listed)
        assert await pull_reasons(bot, k.id) == [reason for _, reason in expected]
        assert source["hits"] == len(expected)
        assert all(h.get("X-Api-Key") == SECRET for h in source["headers"])  # the source did get it
        failing = dm_texts(bot, owner, "are failing")
        assert len(failing) == 1 and "timed out after 0.5 s" in failing[0], failing  # one DM for the streak
        assert await values_of(bot, k.id) == []
        shown = await kpi(bot, team, owner, "show uptime")
        assert "pulls failing" in block_text(shown["blocks"])
        await kpi(bot, team, admin, "edit uptime")
        form = last_view(bot, KPI_VIEW)
        assert "X-Api-Key: (kept" in json.dumps(form)
        source["mode"] = "ok"  # saved unchanged: the stored header stays, and works
        assert await form_errors(bot, team, admin, form, {}) == {}
        await tick_with(replica, clock, team, at + timedelta(minutes=61 * len(expected)))
        assert await values_of(bot, k.id) == [41.5] and source["headers"][-1].get("X-Api-Key") == SECRET
        assert "pulls failing" not in block_text((await kpi(bot, team, other, ""))["blocks"])
    finally:
        await replica.close()
    for word in (SECRET, SECRET.split()[1], SECRET.split()[1][:12]):
        assert word not in caplog.text, word
        assert all(word not in json.dumps(c.args) for c in bot.fake.calls), word
        assert all(word not in reason for reason in await pull_reasons(bot, k.id)), word
        assert word not in json.dumps(form)
    pulls = [r.getMessage() for r in caplog.records if r.name == fetch.__name__]
    assert pulls and not [line for line in pulls if "account=acme" in line]  # the pull's lines: nor the query


async def test_a_private_address_is_refused_by_default_with_its_reason_and_never_hit(
        bot: Bot, team: str, clock: Clock, source: dict[str, Any]) -> None:
    clock.set(NOW)
    admin, owner, other = await people(bot, team)
    urls = {"loopback": source["url"], "localhost": f"http://localhost:{source['port']}/metric",
            "private": "http://10.0.0.7/metric", "linklocal": "http://169.254.169.254/latest/meta-data",
            "mapped": f"http://[::ffff:127.0.0.1]:{source['port']}/metric"}
    ids = {}
    for key, url in urls.items():
        ids[key] = (await define(bot, team, admin, key=key, name=key.title(), owner=owner, source="http", url=url,
                                 path="data.0.value")).id
    lines = await tick_with(bot.rt, clock, team, NOW + timedelta(minutes=1))
    assert sorted(lines) == sorted(f"kpi pulls: sent pull of KPI {key} in {team}" for key in urls)
    assert source["hits"] == 0
    reasons = {key: await pull_reasons(bot, kpi_id) for key, kpi_id in ids.items()}
    assert reasons == {
        "loopback": ["refused: 127.0.0.1 is a private address"],
        "localhost": [reasons["localhost"][0]],
        "private": ["refused: 10.0.0.7 is a private address"],
        "linklocal": ["refused: 169.254.169.254 is a private address"],
        "mapped": ["refused: ::ffff:127.0.0.1 is a private address"],
    }
    assert re.fullmatch(r"refused: localhost resolves to (a private address|private addresses only) \(.*\)",
                        reasons["localhost"][0]), reasons
    # One per KPI's streak, as nudges: the owner's daily budget (3) sends three, the rest fold in.
    assert len(dm_texts(bot, owner, "are failing")) == 3
    listed = block_text((await kpi(bot, team, other, ""))["blocks"])
    assert listed.count("pulls failing: refused") == len(urls)
    await tick_with(bot.rt, clock, team, NOW + timedelta(minutes=62))
    assert source["hits"] == 0 and len(dm_texts(bot, owner, "are failing")) == 3


# -- an owner who left --------------------------------------------------------------------------------

async def leaves(bot: Bot, team: str, user: str) -> None:
    status, _ = await bot.slack.event(team, {"type": "user_change", "user": {
        "id": user, "team_id": team, "name": user.lower(), "real_name": user, "deleted": True, "is_bot": False,
        "tz": BERLIN, "tz_offset": 3600, "profile": {"real_name": user, "display_name": user}}})
    assert status == 200
    await bot.settle()


async def test_a_kpi_whose_owner_left_goes_to_its_definer_and_its_nudges_still_work(bot: Bot, team: str,
                                                                                    clock: Clock) -> None:
    clock.set(NOW)  # a Tuesday, 11:00 in Berlin
    admin, owner, other = await people(bot, team)
    mine = await define(bot, team, admin, key="activation", name="Activation", owner=owner, stale="1", target="40")
    await kpi(bot, team, owner, "log activation 45")
    await leaves(bot, team, owner)
    moved = await row(bot, team, "activation")
    assert moved is not None and moved.owner_id == admin == mine.created_by
    listed = block_text((await kpi(bot, team, other, "show activation"))["blocks"])
    assert f"owner <@{admin}>" in listed
    lines = await tick_with(bot.rt, clock, team, NOW + timedelta(days=1, minutes=1))
    assert any(line.startswith("kpi staleness: sent") for line in lines), lines
    assert len(dm_texts(bot, admin, "No value for")) == 1 and dm_texts(bot, owner, "No value for") == []
    clock.set(NOW + timedelta(days=1, hours=1))
    said(await kpi(bot, team, admin, "log activation 30"))
    off = [t for t in channel_texts(bot, team) if "is off target" in t]
    assert len(off) == 1 and f"<@{admin}>" in off[0] and f"<@{owner}>" not in off[0], off
    assert said(await kpi(bot, team, other, "log activation 50")).startswith("Only the KPI's owner")


async def test_a_nudge_held_for_an_owner_who_then_left_reaches_the_definer(bot: Bot, team: str,
                                                                          clock: Clock) -> None:
    """Stale on a Saturday: held for the owner's Monday; they leave on Sunday. The definer, now the
    owner, is told on Monday (not the departed, and not nobody)."""
    friday = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    clock.set(friday)
    admin, owner, _ = await people(bot, team)
    await define(bot, team, admin, key="nps", name="NPS", owner=owner, stale="1")
    await kpi(bot, team, owner, "log nps 41")
    lines = await tick_with(bot.rt, clock, team, friday + timedelta(days=1, minutes=1))
    assert any(line.startswith("kpi staleness: held") for line in lines), lines
    clock.set(friday + timedelta(days=2))
    await leaves(bot, team, owner)
    for hours in (72, 73):
        await tick_with(bot.rt, clock, team, friday + timedelta(hours=hours))
    assert dm_texts(bot, owner, "No value for") == []
    assert len(dm_texts(bot, admin, "No value for")) == 1


# -- two replicas ticking the same instant --------------------------------------------------------------

async def test_two_replicas_ticking_the_same_instant_pull_once_and_nudge_once(bot: Bot, team: str, clock: Clock,
                                                                              source: dict[str, Any]) -> None:
    clock.set(NOW)
    admin, owner, _ = await people(bot, team)
    pulled = await define(bot, team, admin, key="pulled", name="Pulled", owner=owner, source="http",
                          url=source["url"], path="data.0.value", target="50")  # 41.5 is off target
    await define(bot, team, admin, key="stale", name="Stale", owner=owner, stale="1")
    await kpi(bot, team, owner, "log stale 3")
    first, second = private_runtime(bot), private_runtime(bot)
    try:
        at = NOW + timedelta(days=1, minutes=1)
        clock.set(at)
        both = await asyncio.gather(duties.tick(first, at), duties.tick(second, at))
        await asyncio.gather(first.tasks.drain(timeout=30), second.tasks.drain(timeout=30))
        mine = [[line for line in lines if f" in {team}" in line] for lines in both]
        sent = [line for lines in mine for line in lines if ": sent " in line]
        assert sorted(sent) == sorted([f"kpi pulls: sent pull of KPI pulled in {team}",
                                       f"kpi staleness: sent KPI stale in {team}: stale"]), mine
        assert source["hits"] == 1 and await values_of(bot, pulled.id) == [41.5]
        assert len(dm_texts(bot, owner, "No value for")) == 1
        assert len([t for t in channel_texts(bot, team) if "is off target" in t]) == 1
        again = await asyncio.gather(duties.tick(first, at), duties.tick(second, at))  # the same instant again
        await asyncio.gather(first.tasks.drain(timeout=30), second.tasks.drain(timeout=30))
        assert not [line for lines in again for line in lines if f" in {team}" in line and ": sent " in line]
        assert source["hits"] == 1 and len(dm_texts(bot, owner, "No value for")) == 1
    finally:
        await first.close()
        await second.close()


# -- the dry run --------------------------------------------------------------------------------------

async def test_a_dry_run_lists_the_pull_and_the_staleness_and_changes_nothing(bot: Bot, team: str, clock: Clock,
                                                                              source: dict[str, Any]) -> None:
    clock.set(NOW)
    admin, owner, _ = await people(bot, team)
    pulled = await define(bot, team, admin, key="pulled", name="Pulled", owner=owner, source="http",
                          url=source["url"], path="data.0.value")
    await define(bot, team, admin, key="quiet", name="Quiet", owner=owner, stale="1")
    await kpi(bot, team, owner, "log quiet 3")
    before = await kpis_of(bot, team)
    before_counts = await counts(bot, team)
    at = NOW + timedelta(days=1, minutes=1)
    code, output = await run_cli(bot, "tick", "--at", at.isoformat(), "--dry-run")
    lines = [line for line in output.splitlines() if f" in {team}" in line]
    assert code == 0 and sorted(lines) == [f"kpi pulls: would send pull of KPI pulled in {team}",
                                           f"kpi staleness: would send KPI quiet in {team}: stale"], output
    after = await kpis_of(bot, team)
    for key in ("pulled", "quiet"):
        assert (after[key].next_pull_at, after[key].stale_at, after[key].failing_since) == \
               (before[key].next_pull_at, before[key].stale_at, before[key].failing_since), key
    assert await counts(bot, team) == before_counts and source["hits"] == 0
    assert bot.fake.posted(owner) == []
    lines = await tick_with(bot.rt, clock, team, at)  # the real tick does what the dry run said
    assert sorted(lines) == [f"kpi pulls: sent pull of KPI pulled in {team}",
                             f"kpi staleness: sent KPI quiet in {team}: stale"]
    assert len(await pull_reasons(bot, pulled.id)) == 1 and len(dm_texts(bot, owner, "No value for")) == 1
    assert (await row(bot, team, "quiet")).stale_at is None  # type: ignore[union-attr]


# -- who may do what ----------------------------------------------------------------------------------

async def test_only_ops_admins_define_and_only_owners_and_admins_log_or_issue_tokens(bot: Bot, team: str,
                                                                                   clock: Clock) -> None:
    clock.set(NOW)
    admin, owner, other = await people(bot, team)
    await define(bot, team, admin, key="nps", name="NPS", owner=owner, target="40")
    before = await kpis_of(bot, team)
    opened = len(bot.fake.calls_to("views.open"))
    for who in (owner, other):
        for text in ("add", "edit nps", "remove nps"):
            assert said(await kpi(bot, team, who, text)).startswith("Only ops admins"), (who, text)
    assert len(bot.fake.calls_to("views.open")) == opened
    for text in ("log nps 5", "log nps 5 2026-11-30", "token nps"):
        assert said(await kpi(bot, team, other, text)).startswith("Only the KPI's owner"), text
    unchanged = await row(bot, team, "nps")
    assert await values_of(bot, before["nps"].id) == [] and unchanged is not None and unchanged.push_token_hash is None
    # A form submitted by someone who was never shown it (crafted from an admin's): refused, nothing saved.
    await kpi(bot, team, admin, "add")
    add = last_view(bot, KPI_VIEW)
    await kpi(bot, team, admin, "edit nps")
    edit = last_view(bot, KPI_VIEW)
    bot.fake.reset()
    for view, values in ((add, {"key": "sneaky", "name": "Sneaky", "owner": other, "channel": channel_of(team)}),
                         (edit, {"name": "Renamed", "target": "1"})):
        status, body = await submit(bot, team, other, view, values)
        assert status == 200 and not (body or {}).get("errors"), body
    refusals = dm_texts(bot, other, "Only ops admins")
    assert len(refusals) == 2, [c.args for c in bot.fake.posted()]
    after = await kpis_of(bot, team)
    assert set(after) == {"nps"} and (after["nps"].name, after["nps"].target) == ("NPS", 40.0)
    assert said(await kpi(bot, team, owner, "log nps 41")).startswith("Logged")  # the owner logs
    assert said(await kpi(bot, team, admin, "log nps 42")).startswith("Logged")  # so do ops admins
    assert said(await kpi(bot, team, admin, "token nps")).startswith("New push token")


async def test_a_forged_submission_cannot_edit_another_workspaces_kpi(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    elsewhere = team[:-1] + "X"  # another workspace (ids are hex: never X)
    admin, owner, _ = await people(bot, team)
    their_admin, their_owner, _ = await people(bot, elsewhere)
    theirs = await define(bot, elsewhere, their_admin, key="revenue", name="Revenue", owner=their_owner, target="9")
    await define(bot, team, admin, key="mine", name="Mine", owner=owner)
    await kpi(bot, team, admin, "edit mine")
    view = last_view(bot, KPI_VIEW)
    bot.fake.reset()
    for forged in (str(theirs.id), "999999999", "9" * 30):
        status, body = await submit(bot, team, admin, {**view, "private_metadata": forged},
                                    {"key": "revenue", "name": "Hijacked", "target": "1"})
        assert status == 200 and not (body or {}).get("errors"), (forged, body)
    told = dm_texts(bot, admin, "That KPI no longer exists.")
    assert len(told) == 3, [c.args.get("text") for c in bot.fake.posted()]
    kept = await row(bot, elsewhere, "revenue")
    assert kept is not None and (kept.team_id, kept.name, kept.target) == (elsewhere, "Revenue", 9.0)
    assert set(await kpis_of(bot, team)) == {"mine"}
    assert said(await kpi(bot, team, admin, "show revenue")).startswith("There is no KPI")  # keys are per workspace
    # The same forged id on a plain submission (as if from Slack's own view payload) changes nothing either.
    payload = view_submission(team, admin, KPI_VIEW, state_of(view, {"name": "Again"}), private_metadata=str(theirs.id))
    assert (await bot.slack.interaction(payload))[0] == 200
    await bot.settle()
    assert (await row(bot, elsewhere, "revenue")).name == "Revenue"  # type: ignore[union-attr]
    assert (await row(bot, team, "mine")).name == "Mine"  # type: ignore[union-attr]
