"""The HTTP ingress as an attacker and as Slack see it: signatures on raw bytes, bodies parsed by
key, replays ignored, nothing unverified logged or acted on, malformed bodies answered 400/401."""
from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import time
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings, strategies as st
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select

from bot.logs import TEXT_FORMAT, RedactingFilter
from models.calendar import Holiday
from tests.conftest import Bot
from tests.feedback_helpers import items
from tests.slack_requests import SIGNING_SECRET, command_form, interaction_form, signed_headers, view_submission

EVENTS = "/slack/events"
FORM = "application/x-www-form-urlencoded"


async def post_raw(bot: Bot, body: bytes, headers: dict[str, str]) -> int:
    async with bot.http.post(bot.url + EVENTS, data=body, headers=headers) as resp:
        await resp.read()
        return resp.status


async def post_answer(bot: Bot, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """The status and the answer's text ('' for an empty 200)."""
    async with bot.http.post(bot.url + EVENTS, data=body, headers=headers) as resp:
        raw = await resp.read()
        text = raw.decode()
        return resp.status, (json.loads(text).get("text", "") if text.startswith("{") else text)


def hostile_interaction(bot: Bot, team: str) -> str:
    """An interaction whose error path would post to an attacker's response_url or DM a victim."""
    payload = {"type": "block_actions", "team": {"id": team}, "user": {"id": "UVICTIM"},
               "response_url": bot.fake.response_url("attacker"), "trigger_id": "t",
               "actions": [{"action_id": "no-such-action", "value": "1"}]}
    return interaction_form(payload)


def signed_with_timestamp(body: str, timestamp: str) -> dict[str, str]:
    """A correct HMAC over whatever timestamp text is sent: only the timestamp check can refuse it."""
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=timestamp, body=body)
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature or "", "Content-Type": FORM}


async def test_non_ascii_digit_timestamps_are_refused_before_anything_runs(bot: Bot, team: str) -> None:
    body = hostile_interaction(bot, team)
    now = str(int(time.time()))
    for timestamp in ("²", now[:-1] + "²", "①", "１７００", " " + now, now + " ", "+" + now, "0x10", "", now + ".5"):
        headers = signed_with_timestamp(body, timestamp)
        status = await post_raw(bot, body.encode(), {k: v for k, v in headers.items() if v})
        assert status == 401, timestamp
    await bot.settle()
    assert bot.fake.responses == [] and bot.fake.calls == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(timestamp=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=14))
async def test_any_timestamp_but_a_fresh_ascii_integer_is_refused(bot: Bot, team: str, timestamp: str) -> None:
    if re.fullmatch(r"[0-9]+", timestamp) and abs(int(timestamp) - time.time()) <= 300:
        return  # a genuinely fresh timestamp: covered by every other test
    body = hostile_interaction(bot, team)
    headers = signed_with_timestamp(body, timestamp)
    encoded = {k: v.encode("utf-8").decode("latin-1") for k, v in headers.items()}  # raw UTF-8 bytes on the wire
    assert await post_raw(bot, body.encode(), encoded) == 401
    await bot.settle()
    assert bot.fake.responses == [] and bot.fake.calls == []


async def test_malformed_signature_headers_are_refused(bot: Bot, team: str) -> None:
    body = hostile_interaction(bot, team)
    good = signed_headers(body)
    for signature in (good["X-Slack-Signature"].upper(), good["X-Slack-Signature"] + "0",
                      good["X-Slack-Signature"].replace("v0=", "v1="), "v0=" + "0" * 64, ""):
        assert await post_raw(bot, body.encode(), {**good, "X-Slack-Signature": signature}) == 401
    assert bot.fake.calls == []


async def test_command_text_and_channel_containing_payload_are_served(bot: Bot, team: str) -> None:
    status, answer = await bot.slack.command(team, "UPAY001", "/feedback", "the webhook payload is too big")
    assert status == 200 and "#1" in answer["text"]
    form = command_form(team, "UPAY001", "/feedback", "list").replace("channel_name=general", "channel_name=payload-team")
    status, answer = await bot.slack.post(form, FORM)
    assert status == 200 and "webhook payload" in json.dumps(answer)
    (item,) = await items(bot, team)
    assert item.text == "the webhook payload is too big"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(channel=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30)
       .map(lambda s: "payload" + s), words=st.sampled_from(["payload", "payload=1", "x&payload={}", "%7B"]))
async def test_any_form_field_may_contain_payload(bot: Bot, team: str, channel: str, words: str) -> None:
    form = urlencode({"team_id": team, "team_domain": "acme", "channel_id": "C_GENERAL", "channel_name": channel,
                      "user_id": "UPAY002", "command": "/feedback", "text": f"search {words}",
                      "response_url": "", "trigger_id": "trig.p"})
    status, answer = await bot.slack.post(form, FORM)
    assert status == 200 and answer and answer.get("text") or answer.get("blocks")


async def test_replayed_command_runs_once(bot: Bot, team: str) -> None:
    body = command_form(team, "UREPLAY", "/feedback", "Please add dark mode")
    headers = signed_headers(body)
    first = await post_raw(bot, body.encode(), headers)
    again = await asyncio.gather(*(post_raw(bot, body.encode(), headers) for _ in range(4)))
    assert first == 200 and again == [200] * 4
    assert len(await items(bot, team)) == 1
    # Slack's own second request (new timestamp, new signature) is a person asking again: served.
    await bot.slack.command(team, "UREPLAY", "/feedback", "Please add dark mode")
    assert len(await items(bot, team)) == 2


async def test_a_replay_that_would_be_refused_gets_no_second_answer(bot: Bot, team: str) -> None:
    """The first run's answer stands: a replay of `/prodops holidays add` is not told the day is
    "already a workspace holiday", and nothing changes."""
    bot.fake.add_user("UREPLAD", is_admin=True)
    body = command_form(team, "UREPLAD", "/prodops", "holidays add 2027-12-30 Replay test")
    headers = signed_headers(body)
    status, first = await post_answer(bot, body.encode(), headers)
    assert status == 200 and "2027-12-30" in first
    status, again = await post_answer(bot, body.encode(), headers)
    assert status == 200 and again == ""
    async with bot.rt.db.unit_of_work() as session:
        assert len((await session.scalars(select(Holiday).where(Holiday.team_id == team))).all()) == 1


async def test_simultaneous_replays_of_a_form_submission_file_once(bot: Bot, team: str) -> None:
    values = {"text": {"text": {"type": "plain_text_input", "value": "Bulk edit for tags"}}}
    body = interaction_form(view_submission(team, "UREPLAY", "feedback.capture", values,
                                                  private_metadata="{}"))
    headers = signed_headers(body)
    statuses = await asyncio.gather(*(post_raw(bot, body.encode(), headers) for _ in range(6)))
    assert statuses == [200] * 6
    await bot.settle()
    filed = await items(bot, team)
    assert [i.text for i in filed] == ["Bulk edit for tags"]


async def test_unverified_requests_leave_no_trace_in_the_logs(bot: Bot, team: str) -> None:
    marker = "SECRET-CUSTOMER-TEXT"
    body = command_form(team, "U1", "/feedback", marker + "\n2026-01-01 INFO forged line") + "&x=" + "y" * 200_000
    buffer, handler = io.StringIO(), logging.StreamHandler()
    handler.stream = buffer
    handler.addFilter(RedactingFilter([SIGNING_SECRET]))
    handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    old_level, root.level = root.level, logging.DEBUG
    try:
        await post_raw(bot, body.encode(), {**signed_headers(body), "X-Slack-Signature": "v0=" + "1" * 64})
        await post_raw(bot, body.encode(), {"Content-Type": FORM})
        # A verified request whose ids carry a newline logs them escaped, on one line.
        form = command_form(team, "U1", "/feedback", "status 999 shipped").replace(
            "trigger_id=trig.", "trigger_id=" + "x%0A2026-01-01+ERROR+forged+trig.")
        await bot.slack.post(form, FORM)
        await bot.settle()
    finally:
        root.removeHandler(handler)
        root.level = old_level
    logged = buffer.getvalue()
    assert marker not in logged and "y" * 100 not in logged
    for line in logged.splitlines():
        assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ [A-Z]+ |  \| ", line), line
    assert "forged" not in logged or "\\n2026-01-01 ERROR forged" in logged


async def test_malformed_bodies_get_401_unsigned_and_400_signed_never_a_traceback(bot: Bot, caplog) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    bodies = [("payload=%7Bnot-json", FORM), ("payload=[1,2]", FORM), ("payload=%22text%22", FORM),
              ('{"type": "event_callback"', "application/json"), ("team_id=T1&command=/x", "application/json"),
              (deep, "application/json"), ("payload=" + deep, FORM), ("[1, 2]", "application/json"),
              ("a=1&a=2", FORM), ("<xml/>", "text/xml"), ("novalue", FORM), ("text=%FF%FE", FORM)]
    caplog.set_level(logging.DEBUG)
    for body, content_type in bodies:
        raw = body.encode()
        assert await post_raw(bot, raw, {"Content-Type": content_type}) == 401, body[:40]
        signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=str(int(time.time())), body=raw)
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(int(time.time())),
                   "X-Slack-Signature": signature or ""}
        assert await post_raw(bot, raw, headers) == 400, body[:40]
    # Bytes that are not UTF-8 cannot be Slack's (it signs UTF-8 text): refused as unsigned.
    for raw in (b"\xff\xfe", b"payload=\xff"):
        headers = {**signed_headers("x"), "Content-Type": FORM}
        assert await post_raw(bot, raw, headers) == 401
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert bot.fake.calls == []


def signed_json(body: dict | str, content_type: str = "application/json") -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, str) else json.dumps(body)
    return raw.encode(), signed_headers(raw, content_type=content_type)


async def test_signed_bodies_not_shaped_as_slack_sends_them_get_400(bot: Bot, team: str, caplog) -> None:
    event = {"type": "event_callback", "team_id": team, "event_id": "Ev1", "api_app_id": "A"}
    reaction_event = {"type": "reaction_added", "user": "U1", "reaction": "memo"}
    bodies = [
        {**event, "event": "str"}, {**event, "event": None}, {**event, "event": [1]},
        {**event, "event": {**reaction_event, "item": "str"}},
        {**event, "event": {**reaction_event, "item": {"type": "message", "channel": 5, "ts": None}}},
        {**event, "event_id": ["a"], "event": {"type": "app_home_opened", "user": "U1"}},
        {**event, "authorizations": "x", "event": {"type": "app_home_opened", "user": "U1"}},
        {"type": "url_verification", "challenge": None},
    ]
    forms = [interaction_form({"type": "view_submission", "user": {"id": "U1"}, "view": None}),
             interaction_form({"type": "view_submission", "user": {"id": "U1"},
                               "view": {"id": "V1", "state": None}}),
             interaction_form({"type": "view_submission", "user": {"id": "U1"},
                               "view": {"id": "V1", "state": {"values": "x"}}}),
             interaction_form({"type": "block_actions", "user": "U1", "actions": []}),
             urlencode({"command": "/feedback"}),
             urlencode({"command": "/feedback", "team_id": team, "channel_id": "C1", "trigger_id": "t"})]
    caplog.set_level(logging.INFO)
    for body in bodies:
        raw, headers = signed_json(body)
        assert await post_raw(bot, raw, headers) == 400, body
    for form in forms:
        raw, headers = signed_json(form, FORM)
        assert await post_raw(bot, raw, headers) == 400, form
    await bot.settle()
    assert "Traceback" not in caplog.text and bot.fake.calls == []


async def test_org_wide_install_and_rate_limit_notices_are_served(bot: Bot, team: str) -> None:
    """Enterprise Grid org-wide installs carry no team in `authorizations`; the workspace is the
    envelope's. `app_rate_limited` is acknowledged (Slack disables apps that fail it)."""
    org_event = {"type": "event_callback", "team_id": team, "enterprise_id": "E0ORG", "api_app_id": "A",
                 "event_id": "EvOrg" + team, "is_ext_shared_channel": False,
                 "event": {"type": "app_home_opened", "user": "UORG001", "tab": "home", "channel": "D1"},
                 "authorizations": [{"enterprise_id": "E0ORG", "team_id": None, "user_id": "UBOT",
                                     "is_bot": True, "is_enterprise_install": True}],
                 "is_enterprise_install": True}
    raw, headers = signed_json(org_event)
    assert await post_raw(bot, raw, headers) == 200
    await bot.settle()
    (publish,) = bot.fake.calls_to("views.publish")
    assert publish.args["user_id"] == "UORG001"
    raw, headers = signed_json({"token": "t", "type": "app_rate_limited", "team_id": team,
                                "minute_rate_limited": 1518467820, "api_app_id": "A"})
    assert await post_raw(bot, raw, headers) == 200
