"""App Home at Slack's limits (issue 15): every published view is checked as Slack checks it
(the fake refuses over 100 blocks, over 250 kB and anything slack_sdk's models reject), an ops
admin with every card full at once (100+ launches, items, feedback, KPIs, digests, long texts
with `<&>` and emoji) gets a view within the limits where each cut card says how many more and
the command that shows them, the dashboard itself cuts and names cards rather than overflow,
and a form opened from the home tab (file feedback, new launch, log a KPI value, a standup's
Fill in) re-draws the home once after its submission commits, and only then."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from slack_sdk.errors import SlackApiError
from sqlalchemy import delete, select

from bot.blocks import context, section
from bot.clock import Clock
from bot.digests import service as digest_service
from bot.feedback import service as feedback_service
from bot.feedback.parsing import Draft
from bot.home.cards import CARD_BLOCKS, CARD_CHARS, HomeCard, Viewer
from bot.home.dashboard import VIEW_BLOCKS, VIEW_BYTES, Drawn, _fit, home_view, view_bytes
from bot.home.enums import HomeAction, HomeView
from bot.kpis import service as kpi_service
from bot.kpis.service import Definition
from bot.launches import service as launch_service, templates
from bot.standups import service as standup_service
from bot.standups.enums import StandupAction, StandupView
from bot.standups.service import Setup
from bot.blocks import text_chars
from models.calendar import DutyRun
from models.digest import Digest
from models.feedback import FeedbackItem
from models.kpi import Direction, Kpi, KpiSource, KpiUnit, KpiValue
from models.launch import Launch
from models.standup import PostMode, Standup
from tests.blockkit import block_text
from tests.conftest import Bot
from tests.digest_helpers import set_up as digest_set_up
from tests.fake_slack import VIEW_BLOCKS_MAX, VIEW_BYTES_MAX, view_refusal
from tests.slack_requests import home_actions, view_submission
from tests.standup_helpers import BERLIN, channel_of, meet, set_up as standup_set_up, state_of, uid

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Berlin
LOUD = "<&> 🚀🔥 "  # escapes and emoji: 3 characters become 13 in mrkdwn, an emoji 12 bytes in JSON


def day(n: int) -> date:
    return NOW.date() + timedelta(days=n)


async def opened(bot: Bot, team: str, user: str) -> dict[str, Any]:
    """Open the home as Slack does; the view published for `user`, as Slack accepted it."""
    before = len(bot.fake.calls_to("views.publish"))
    status, _ = await bot.slack.event(team, {"type": "app_home_opened", "user": user, "channel": "D" + user,
                                             "tab": "home", "event_ts": "1.0"})
    assert status == 200
    await bot.settle()
    calls = bot.fake.calls_to("views.publish")
    assert len(calls) == before + 1 and calls[-1].args["user_id"] == user
    return accepted(calls[-1].args["view"], calls[-1].ok)


def accepted(view: dict[str, Any], ok: bool) -> dict[str, Any]:
    """Slack took it: the fake's checks (slack_sdk's View validated at every level), and the
    limits counted here too."""
    assert ok and view_refusal(view) is None, view_refusal(view)
    assert view["type"] == "home" and 0 < len(view["blocks"]) <= VIEW_BLOCKS
    assert view_bytes(view) <= VIEW_BYTES
    return view


def card(view: dict[str, Any], heading: str) -> list[dict[str, Any]] | None:
    blocks = view["blocks"]
    for i, block in enumerate(blocks):
        if block["type"] == "section" and block["text"]["text"].startswith(heading):
            end = next((j for j in range(i + 1, len(blocks)) if blocks[j]["type"] == "divider"), len(blocks) - 1)
            return blocks[i:end]
    return None


def submission(team: str, user: str, view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The submission of an opened modal as Slack sends it: its state, private_metadata and
    external_id (a date picker's pick under `values` too)."""
    dates = {b["block_id"] for b in view["blocks"] if b.get("type") == "input" and b["element"]["type"] == "datepicker"}
    rest = {**view, "blocks": [b for b in view["blocks"] if b.get("block_id") not in dates]}
    state = state_of(rest, {k: v for k, v in values.items() if k not in dates})
    for field in dates:
        state[field] = {field: {"type": "datepicker", "selected_date": values.get(field)}}
    payload = view_submission(team, user, view["callback_id"], state, private_metadata=view.get("private_metadata", ""))
    payload["view"]["external_id"] = view.get("external_id", "")
    return payload


def last_opened(bot: Bot) -> dict[str, Any]:
    return bot.fake.calls_to("views.open")[-1].args["view"]


def publishes(bot: Bot, user: str) -> list[Any]:
    return [c for c in bot.fake.calls_to("views.publish") if c.args["user_id"] == user]


# -- the fake refuses what Slack refuses ---------------------------------------------------------

async def test_the_fake_refuses_a_view_slack_would(bot: Bot) -> None:
    client = bot.rt.client
    fine = {"type": "home", "blocks": [section("hi")]}
    assert (await client.views_publish(user_id="UFAKE01", view=fine))["ok"]
    for view, error, says in (
            ({"type": "home", "blocks": [section("x")] * (VIEW_BLOCKS_MAX + 1)}, "invalid_arguments",
             "no more than 100 items allowed [json-pointer:/view/blocks]"),
            ({"type": "home", "blocks": [section("🚀" * 250)] * 90}, "view_too_large", None),  # 270 kB
            ({"type": "home", "blocks": [section("x", accessory={"type": "button", "action_id": "a",
                                                                  "text": {"type": "plain_text", "text": "y" * 76}})]},
             "invalid_arguments", "cannot exceed 75 characters"),
            ({"type": "home", "blocks": [{"type": "context", "elements": [{"type": "mrkdwn", "text": "z" * 3001}]}]}, "invalid_arguments", "less than 3001"),
            ({"type": "home", "blocks": [{"type": "no_such_block"}]}, "invalid_arguments", "unsupported type")):
        with pytest.raises(SlackApiError) as refused:
            await client.views_publish(user_id="UFAKE01", view=view)
        assert refused.value.response["error"] == error
        if says:
            assert says in refused.value.response["response_metadata"]["messages"][0]
    assert VIEW_BYTES <= VIEW_BYTES_MAX and VIEW_BLOCKS <= VIEW_BLOCKS_MAX  # the bot aims within Slack's


# -- the dashboard cuts rather than overflows ----------------------------------------------------

VIEWER = Viewer("TLIMITS", "ULIMITS", True, ZoneInfo("Europe/Berlin"), NOW)


async def _nothing(session: Any, viewer: Viewer) -> None:
    return None


def drawn(name: str, rows: list[str]) -> Drawn:
    """A card as a feature draws one: a heading, a section a row, a pointer; held to its share."""
    blocks = [section(f"*Card {name}* · {len(rows)}"), *(section(r) for r in rows), context("`/" + name + "`")]
    return Drawn(HomeCard(name, _nothing, shows_all=f"`/{name} list`"), _fit(blocks, f"`/{name} list`"))


def test_a_card_over_its_share_is_cut_at_a_line_saying_how_many_more_and_the_command() -> None:
    cut = drawn("many", [f"row {n} " + LOUD * 5 for n in range(30)]).blocks
    assert len(cut) <= CARD_BLOCKS and text_chars(cut) <= CARD_CHARS
    assert cut[-1]["elements"][0]["text"] == "_…and 20 more lines than fit here: `/many list` shows them all_"  # 10 of 30 kept
    lines = "\n".join(f"line {n} " + "x" * 80 for n in range(33))  # 2,900 characters in one section
    cut = _fit([section("*Card long*"), section(lines)], "`/long list`")
    kept = cut[1]["text"]["text"].split("\n")
    assert kept[0].startswith("line 0 ") and text_chars(cut) <= CARD_CHARS
    assert cut[-1]["elements"][0]["text"] == f"_…and {33 - len(kept)} more lines than fit here: `/long list` shows them all_"


def test_the_view_leaves_out_lower_cards_and_names_them_with_their_commands() -> None:
    # Twelve full cards of emoji: about 30 kB each in JSON, over 100 blocks and 250 kB together.
    cards = [drawn(f"c{n:02d}", ["🚀" * 230 for _ in range(10)]) for n in range(12)]
    view = home_view(cards, [], VIEWER)
    assert view_refusal(view) is None and len(view["blocks"]) <= VIEW_BLOCKS and view_bytes(view) <= VIEW_BYTES
    shown = [n for n in range(12) if card(view, f"*Card c{n:02d}*") is not None]
    assert shown == list(range(len(shown))) and 0 < len(shown) < 12  # the first ones, in order
    note = block_text(view["blocks"][-2:-1])
    assert note.startswith("_Not shown, the dashboard is full: ")
    assert all(f"*Card c{n:02d}* (`/c{n:02d} list`)" in note for n in range(len(shown), 12))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.text(alphabet=st.sampled_from(list("ab <&>*_`\n🚀é")), max_size=2900),
                         min_size=0, max_size=16), min_size=0, max_size=14))
def test_any_cards_make_a_view_slack_takes_with_every_card_shown_or_named(rows: list[list[str]]) -> None:
    cards = [drawn(f"p{n:02d}", [r for r in card_rows if r.strip()] or ["-"]) for n, card_rows in enumerate(rows)]
    view = home_view(cards, [], VIEWER)
    assert view_refusal(view) is None and len(view["blocks"]) <= VIEW_BLOCKS and view_bytes(view) <= VIEW_BYTES
    text = block_text(view["blocks"])
    for n in range(len(cards)):
        assert card(view, f"*Card p{n:02d}*") is not None or f"*Card p{n:02d}* (`/p{n:02d} list`)" in text


# -- an ops admin with every card full, through the app -------------------------------------------

async def fill_everything(bot: Bot, team: str, admin: str) -> None:
    """100+ of everything, written through the services the commands and forms call."""
    channel = channel_of(team)
    await digest_set_up(bot, team, admin, LOUD * 4 + "digest 000", channel=channel)
    async with bot.rt.db.unit_of_work() as session:
        first = await session.scalar(select(Digest).where(Digest.team_id == team))
        assert first is not None
        for n in range(1, 110):
            await digest_service.create(session, team, digest_service.Setup(
                f"{LOUD * 4}digest {n:03d}", channel, first.cadence, first.days, first.at_minutes, first.timezone,
                dict(first.sections), first.when_empty, admin), admin, NOW)
        items = list(templates.DEFAULT_ITEMS)
        for n in range(110):  # all within 14 days, each with items overdue: full own, items and at-risk cards
            await launch_service.create(session, team, name=f"{LOUD * 6}{n:03d}"[:80], launch_date=day(3 + n % 10),
                                        channel_id=channel, owner_id=admin, template_name="Default", items=items,
                                        actor=admin)
        for n in range(110):
            await feedback_service.file_text(session, team, admin, channel, Draft(text=f"{LOUD * 60} idea {n}"))
        for n in range(110):
            k = await kpi_service.create(session, team, Definition(
                f"k{n:03d}", f"{LOUD * 8} KPI {n}", KpiUnit.PERCENT, Direction.HIGHER, 40.0, None, admin, channel, 7,
                None, None, KpiSource.MANUAL), admin, NOW)
            await kpi_service.record(session, k, float(n % 30), NOW, "manual", admin, NOW)
        for n in range(10):
            await standup_service.create(session, team, Setup(
                f"{LOUD * 7}standup {n}", channel, [admin], ["Yesterday?", "Today?", "Blockers?"], 0b0011111,
                9 * 60 + 30, 17 * 60, PostMode.EACH, admin), admin)
        for n in range(10):
            session.add(DutyRun(name=f"{team} duty {n}", at=NOW, outcome=f"failed ({LOUD * 20})"[:255]))
    for n in range(8):  # away periods with loud notes, through the command
        start = day(2 + 3 * n)
        typed = f"away {start} {start} {LOUD * 10}"  # Slack sends a typed `&`, `<`, `>` as entities
        status, body = await bot.slack.command(team, admin, "/prodops", typed.replace("&", "&amp;").replace(
            "<", "&lt;").replace(">", "&gt;"), channel_id=channel)
        assert status == 200 and body["text"].startswith("Noted: you are away"), body


async def forget_everything(bot: Bot, team: str) -> None:
    """Later tests tick other days of the same database: these must not be nudged or prompted."""
    async with bot.rt.db.unit_of_work() as session:
        for launch in (await session.scalars(select(Launch).where(Launch.team_id == team))).all():
            await launch_service.delete(session, launch)
        kpis = select(Kpi.id).where(Kpi.team_id == team)
        await session.execute(delete(KpiValue).where(KpiValue.kpi_id.in_(kpis)))
        for model in (Kpi, Standup, Digest, FeedbackItem):
            await session.execute(delete(model).where(model.team_id == team))
        await session.execute(delete(DutyRun).where(DutyRun.name.like(f"{team} duty %")))


CUTS = (("*Your launches* · 110", "and 105 more: `/launch list`"),
        ("*Your checklist items* · 880 open", "and 875 more:"),
        ("*Launches at risk*", "more: `/launch list`"),
        ("*Your feedback* · 110 items", "and 105 more:"),
        ("*Feedback to triage* · 110 untriaged", "and 105 more: `/feedback list new`"),
        ("*Your standups today*", "…and 5 more standups: `/standup`"),
        ("*Your KPIs* · 110 KPIs", "more: `/kpi` lists them all"),
        ("*KPIs needing attention* · 110 of 110", "more: `/kpi` lists them all"),
        ("*Digests* · 110", "and 105 more: `/digest list`"),
        ("*Scheduled work that failed*", "more: `/prodops status`"),
        ("*Your time*", "more: `/prodops away`"))


async def test_an_ops_admin_with_every_card_full_gets_a_view_slack_takes(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    admin = uid(team, "ADM")
    await meet(bot, team, admin, BERLIN, "Ada", is_admin=True)
    await fill_everything(bot, team, admin)
    try:
        view = await opened(bot, team, admin)
        text = block_text(view["blocks"])
        note = next((b for b in view["blocks"] if block_text([b]).startswith("_Not shown")), None)
        for heading, more in CUTS:
            shown = card(view, heading)
            if shown is None:  # left out to stay within the limits: named, with its command
                assert note is not None and heading.split(" · ")[0] in block_text([note]), heading
                continue
            assert len(shown) <= CARD_BLOCKS and more in block_text(shown), (heading, block_text(shown))
            assert "more than fits here" not in block_text(shown)  # held by the card itself
        assert "&lt;&amp;&gt; 🚀🔥" in text and "<&>" not in text  # typed text escaped, never a token
        assert "Log a KPI value" in text  # the quick actions, frame first
        print(f"\nfull ops-admin home: {len(view['blocks'])} blocks, {view_bytes(view):,} bytes")
    finally:
        await forget_everything(bot, team)


# -- acting from the home re-draws it once --------------------------------------------------------

async def click(bot: Bot, team: str, user: str, action_id: str, value: str = "") -> None:
    action = {"action_id": action_id, "block_id": "b", "type": "button", "value": value}
    status, _ = await bot.slack.interaction(home_actions(team, user, [action]))
    assert status == 200
    await bot.settle()


async def submit(bot: Bot, team: str, user: str, view: dict[str, Any], values: dict[str, Any]) -> Any:
    status, body = await bot.slack.interaction(submission(team, user, view, values))
    assert status == 200
    await bot.settle()
    return body


async def test_forms_opened_from_the_home_redraw_it_once_after_their_submission(bot: Bot, team: str,
                                                                               clock: Clock) -> None:
    clock.set(NOW)
    admin, olga = uid(team, "ADM"), uid(team, "OLG")
    await meet(bot, team, admin, BERLIN, "Ada", is_admin=True)
    await meet(bot, team, olga, BERLIN, "Olga")
    async with bot.rt.db.unit_of_work() as session:
        await kpi_service.create(session, team, Definition(
            "activation", "Activation <rate>", KpiUnit.PERCENT, Direction.HIGHER, 40.0, None, olga, channel_of(team), 7,
            None, None, KpiSource.MANUAL), admin, NOW)

    # File feedback: the form opened from the home carries its mark; submitted, the home is drawn again.
    await click(bot, team, olga, HomeAction.FILE_FEEDBACK)
    form = last_opened(bot)
    assert str(form.get("external_id", "")).startswith("home.")
    before = len(publishes(bot, olga))
    body = await submit(bot, team, olga, form, {"text": "Dark mode " + LOUD})
    assert not (body or {}).get("errors"), body
    (after,) = publishes(bot, olga)[before:]
    home = accepted(after.args["view"], after.ok)
    assert "*Your feedback* · 1 item" in block_text(home["blocks"])

    # New launch, the same.
    await click(bot, team, olga, HomeAction.NEW_LAUNCH)
    form = last_opened(bot)
    before = len(publishes(bot, olga))
    body = await submit(bot, team, olga, form, {"name": "Atlas", "date": day(20).isoformat(),
                                                "channel": channel_of(team), "owner": olga})
    assert not (body or {}).get("errors"), body
    (after,) = publishes(bot, olga)[before:]
    assert "*Atlas*" in block_text(accepted(after.args["view"], after.ok)["blocks"])

    # Log a KPI value: the row's button chooses the KPI; a bad value is refused in the form and
    # draws nothing; a good one is the command's write, and the home shows it.
    view = await opened(bot, team, olga)
    (row,) = [b for b in card(view, "*Your KPIs*") or [] if b.get("accessory", {}).get("action_id") == HomeAction.LOG_KPI]
    assert row["accessory"]["value"] == "activation"
    await click(bot, team, olga, HomeAction.LOG_KPI, "activation")
    form = last_opened(bot)
    assert form["callback_id"] == HomeView.KPI_LOG and form["blocks"][0]["element"]["initial_option"]["value"] == "activation"
    before = len(publishes(bot, olga))
    body = await submit(bot, team, olga, form, {"value": "lots"})
    assert body["response_action"] == "errors" and "value" in body["errors"]
    body = await submit(bot, team, olga, form, {"value": "45%", "day": day(9).isoformat()})
    assert body["response_action"] == "errors" and "future" in body["errors"]["day"]
    assert publishes(bot, olga)[before:] == []  # refused: nothing committed, nothing drawn
    body = await submit(bot, team, olga, form, {"value": "45%"})
    assert not (body or {}).get("errors"), body
    (after,) = publishes(bot, olga)[before:]
    assert ":white_check_mark: *45%* · target ≥ 40%" in block_text(accepted(after.args["view"], after.ok)["blocks"])
    assert any(c.args["channel"] == olga and "Logged 45% for `activation`" in c.args["text"] for c in bot.fake.posted())

    # Not the owner: the quick action offers nothing to log; an admin may log any KPI.
    await click(bot, team, uid(team, "ADM"), HomeAction.LOG_KPI)
    assert last_opened(bot)["blocks"][0]["element"]["options"][0]["value"] == "activation"
    await meet(bot, team, uid(team, "OTT"), BERLIN, "Otto")
    await click(bot, team, uid(team, "OTT"), HomeAction.LOG_KPI)
    assert "You own no KPI that takes values by hand" in block_text(last_opened(bot)["blocks"])

    # The same form opened by a command (not from the home) draws no home when submitted.
    status, _ = await bot.slack.command(team, olga, "/feedback", "", channel_id=channel_of(team))
    assert status == 200
    await bot.settle()
    form = last_opened(bot)
    assert not form.get("external_id")
    before = len(publishes(bot, olga))
    body = await submit(bot, team, olga, form, {"text": "From the channel"})
    assert not (body or {}).get("errors"), body
    assert publishes(bot, olga)[before:] == []


async def test_a_standup_answered_from_the_home_redraws_it(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    admin, nora = uid(team, "ADM"), uid(team, "NOR")
    await meet(bot, team, admin, BERLIN, "Ada", is_admin=True)
    await meet(bot, team, nora, BERLIN, "Nora")
    await standup_set_up(bot, team, admin, "Core", [nora], owner=admin)
    try:
        view = await opened(bot, team, nora)
        (row,) = [b for b in card(view, "*Your standups today*") or [] if "accessory" in b]
        await click(bot, team, nora, StandupAction.FILL, row["accessory"]["value"])
        form = last_opened(bot)
        assert form["callback_id"] == StandupView.ANSWER and form["external_id"].startswith("home.")
        before = len(publishes(bot, nora))
        await submit(bot, team, nora, form, {"q0": "Export", "q1": "Reviews", "q2": "None"})
        (after,) = publishes(bot, nora)[before:]
        assert ":white_check_mark: answered for today" in block_text(accepted(after.args["view"], after.ok)["blocks"])
    finally:
        async with bot.rt.db.unit_of_work() as session:
            await session.execute(delete(Standup).where(Standup.team_id == team))
