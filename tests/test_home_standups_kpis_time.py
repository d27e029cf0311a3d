"""App Home (issue 15): the standups, KPIs and time cards, with their data filed through the
app (the standup setup and answer forms, `/kpi add` and `/kpi log`, `/prodops hours|away|
holidays`), the home opened as Slack opens it, and the published view read back: what each card
says, absent when there is nothing, never another workspace's rows, within its share with 200
items, the managers-only card for ops admins only, and the standup button clicked from the home."""
from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete

from bot.clock import Clock
from bot.people.directory import get_person
from bot.home.cards import CARD_BLOCKS, CARD_CHARS
from bot.kpis import service as kpi_service
from bot.kpis.service import Definition
from bot.standups import service as standup_service
from bot.standups.enums import DayRef, StandupAction, StandupView
from bot.standups.service import Setup
from models.kpi import Direction, Kpi, KpiSource, KpiUnit
from models.standup import PostMode, Standup
from tests.blockkit import assert_valid_blocks, block_text
from tests.conftest import Bot
from tests.fake_slack import view_refusal
from tests.standup_helpers import BERLIN, NEW_YORK, channel_of, last_view, local, meet, set_up, submit, uid
from tests.test_kpis import define, kpi

TUESDAY = date(2026, 12, 1)


async def home(bot: Bot, team: str, user: str) -> list[dict[str, Any]]:
    """Open the App Home as Slack does; the blocks just published for `user`, validated."""
    status, _ = await bot.slack.event(team, {"type": "app_home_opened", "user": user, "channel": "D" + user,
                                             "tab": "home", "event_ts": "1.0"})
    assert status == 200
    await bot.settle()
    published = [c for c in bot.fake.calls_to("views.publish") if c.args["user_id"] == user]
    assert published, "no views.publish"
    view = published[-1].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["type"] == "home"
    assert published[-1].ok, view_refusal(view)  # the fake refuses what Slack would (tests/fake_slack.py)
    assert_valid_blocks(view["blocks"], limit=100)
    assert len(json.dumps(view)) < 250_000  # Slack's view size limit
    return view["blocks"]


def card(blocks: list[dict[str, Any]], heading: str) -> list[dict[str, Any]]:
    """One card's blocks: from the section starting with `heading` to the next divider."""
    start = next((i for i, b in enumerate(blocks) if b.get("type") == "section"
                  and b["text"]["text"].startswith(heading)), None)
    if start is None:
        return []
    end = next((i for i in range(start, len(blocks)) if blocks[i]["type"] == "divider"), len(blocks) - 1)
    return blocks[start:end]


def within_share(blocks: list[dict[str, Any]]) -> None:
    assert 0 < len(blocks) <= CARD_BLOCKS
    assert len(block_text(blocks)) <= CARD_CHARS + 200  # mrkdwn wrappers aside


def home_click(team: str, user: str, action: dict[str, Any]) -> dict[str, Any]:
    """A button on the App Home tab, as Slack sends it: the home view as container, no channel."""
    return {"type": "block_actions", "team": {"id": team, "domain": "acme"}, "user": {"id": user, "team_id": team},
            "api_app_id": "A_APP", "container": {"type": "view", "view_id": "V1"}, "trigger_id": f"trig.{time.time()}",
            "view": {"id": "V1", "team_id": team, "type": "home", "blocks": [], "private_metadata": "",
                     "callback_id": "", "state": {"values": {}}, "hash": "1.a", "app_id": "A_APP", "bot_id": "BBOT"},
            "actions": [{"action_ts": str(time.time()), "type": "button", "block_id": "b", **action}]}


def fill_buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b["accessory"] for b in blocks if b.get("accessory", {}).get("action_id") == StandupAction.FILL]


# -- standups ---------------------------------------------------------------------------------------

async def test_standups_card_due_answered_blocker_and_the_button_from_home(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(TUESDAY, 8, 0, NEW_YORK))
    admin, nora, otto = uid(team, "ADM"), uid(team, "NOR"), uid(team, "OTT")
    await meet(bot, team, admin, BERLIN, "Ada", is_admin=True)
    await meet(bot, team, nora, NEW_YORK, "Nora")
    await meet(bot, team, otto, BERLIN, "Otto")
    standup = await set_up(bot, team, admin, "Core team", [nora], owner=admin)
    other = "T" + team[1:-1] + ("X" if team[-1] != "X" else "Y")  # another workspace, the same person id
    await meet(bot, other, uid(other, "ADM"), BERLIN, "Ada", is_admin=True)
    await set_up(bot, other, uid(other, "ADM"), "Elsewhere", [nora], owner=uid(other, "ADM"))

    shown = card(await home(bot, team, nora), "*Your standups today*")
    text = block_text(shown)
    assert "*Core team*" in text and "due today by *11:00*" in text, text  # her 11:00, in New York
    assert "Elsewhere" not in text
    buttons = fill_buttons(shown)
    assert len(buttons) == 1 and DayRef.model_validate_json(buttons[0]["value"]) == DayRef(s=standup.id,
                                                                                          d=TUESDAY.isoformat())
    assert card(await home(bot, team, otto), "*Your standups today*") == []  # in none: no card

    # The button clicked on her home opens the answer form, and her home is drawn again.
    published = len(bot.fake.calls_to("views.publish"))
    status, _ = await bot.slack.interaction(home_click(team, nora, {"action_id": StandupAction.FILL,
                                                                     "value": buttons[0]["value"]}))
    assert status == 200
    await bot.settle()
    form = last_view(bot, StandupView.ANSWER)
    assert len(bot.fake.calls_to("views.publish")) == published + 1
    answers = {"q0": "Export", "q1": "Reviews", "q2": "Waiting on <legal> & co"}
    status, body = await submit(bot, team, nora, form, answers)
    assert status == 200 and body["response_action"] == "update", body

    shown = card(await home(bot, team, nora), "*Your standups today*")
    text = block_text(shown)
    assert ":white_check_mark: answered for today (due 11:00)" in text and fill_buttons(shown) == []
    assert "your open blocker since Tue Dec 1: Waiting on &lt;legal&gt; &amp; co" in text

    # Past her deadline with today answered, `/standup` opens Wednesday's: so does the card.
    clock.set(local(TUESDAY, 11, 30, NEW_YORK))
    shown = card(await home(bot, team, nora), "*Your standups today*")
    assert "due Wed Dec 2 by *11:00*" in block_text(shown)
    assert [DayRef.model_validate_json(b["value"]).d for b in fill_buttons(shown)] == ["2026-12-02"]


async def test_standups_card_late_paused_and_two_hundred_standups(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(TUESDAY, 12, 0, BERLIN))
    admin, ben = uid(team, "ADM"), uid(team, "BEN")
    await meet(bot, team, admin, BERLIN, "Ada", is_admin=True)
    await meet(bot, team, ben, BERLIN, "Ben")
    clock.set(local(TUESDAY, 7, 0, BERLIN))
    await set_up(bot, team, admin, "Alpha", [ben], owner=admin)
    await set_up(bot, team, admin, "Paused one", [ben], owner=admin)
    assert (await kpi_or_standup(bot, team, admin, "/standup", "pause Paused one"))["text"].startswith("Paused")
    clock.set(local(TUESDAY, 12, 0, BERLIN))
    text = block_text(card(await home(bot, team, ben), "*Your standups today*"))
    assert "*Alpha* · :hourglass: not answered for today: the deadline 11:00 has passed" in text, text
    assert "Paused one" not in text and "more standup" not in text

    async with bot.rt.db.unit_of_work() as session:  # 200 more, through the service the form calls
        for n in range(200):
            await standup_service.create(session, team, Setup(f"Team {n:03d}", channel_of(team), [ben],
                                                              ["Yesterday?", "Today?", "Blockers?"], 0b0011111,
                                                              9 * 60 + 30, 11 * 60, PostMode.EACH, admin), admin)
    blocks = await home(bot, team, ben)
    shown = card(blocks, "*Your standups today*")
    within_share(shown)
    assert len(fill_buttons(shown)) == 5 and "…and 196 more standups: `/standup`" in block_text(shown)
    await forget(bot, Standup, team)


async def forget(bot: Bot, model: Any, team: str) -> None:
    """Later tests tick other days of the same database: 200 standups or KPIs left here would be
    prompted or checked at each of their ticks."""
    async with bot.rt.db.unit_of_work() as session:
        await session.execute(delete(model).where(model.team_id == team))


async def kpi_or_standup(bot: Bot, team: str, user: str, command: str, text: str) -> dict[str, Any]:
    status, body = await bot.slack.command(team, user, command, text, channel_id=channel_of(team))
    assert status == 200, body
    await bot.settle()
    return body or {}


# -- KPIs -------------------------------------------------------------------------------------------

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


async def test_kpi_cards_mine_and_needing_attention_for_managers_only(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    admin, olga, otto = uid(team, "ADM"), uid(team, "OLG"), uid(team, "OTT")
    await meet(bot, team, admin, BERLIN, "Ada", is_admin=True)
    await meet(bot, team, olga, BERLIN, "Olga")
    await meet(bot, team, otto, BERLIN, "Otto")
    await define(bot, team, admin, key="activation", name="Activation <rate>", owner=olga, target="40%", unit="percent")
    await define(bot, team, admin, key="churn", name="Churn", owner=olga, target="5%", unit="percent",
                 direction="lower")
    await define(bot, team, admin, key="nps", name="NPS", owner=admin, target="30")
    await kpi(bot, team, olga, "log activation 45")
    await kpi(bot, team, olga, "log churn 8")
    await kpi(bot, team, admin, "log nps 35")

    blocks = await home(bot, team, olga)
    mine = card(blocks, "*Your KPIs*")
    text = block_text(mine)
    assert text.startswith("*Your KPIs* · 2 KPIs · 1 off target"), text
    assert text.index("`churn`") < text.index("`activation`")  # the off-target one first
    assert ":red_circle: *8%* · target ≤ 5%" in text and ":white_check_mark: *45%* · target ≥ 40%" in text
    assert "Activation &lt;rate&gt;" in text and "NPS" not in text
    assert "`/kpi log <key> <value>`" in text
    assert card(blocks, "*KPIs needing attention*") == []  # Olga manages nothing
    assert card(await home(bot, team, otto), "*Your KPIs*") == []

    attention = block_text(card(await home(bot, team, admin), "*KPIs needing attention*"))
    assert attention.startswith("*KPIs needing attention* · 1 of 3 · 1 off target"), attention
    assert "`churn`" in attention and "`activation`" not in attention and "`nps`" not in attention

    # Eight days on, every value is older than its 7 days: stale, said plainly, never as current.
    clock.set(NOW + timedelta(days=8))
    text = block_text(card(await home(bot, team, olga), "*Your KPIs*"))
    assert "2 stale" in text and ":warning: *stale*, no value since 2026-12-01 (last 45%, not current)" in text
    attention = block_text(card(await home(bot, team, admin), "*KPIs needing attention*"))
    assert "3 of 3" in attention and "3 stale" in attention


async def test_kpi_cards_keep_their_share_with_two_hundred_and_another_workspace_never_shows(
        bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    admin, olga = uid(team, "ADM"), uid(team, "OLG")
    await meet(bot, team, admin, BERLIN, "Ada", is_admin=True)
    await meet(bot, team, olga, BERLIN, "Olga")
    other = "T" + team[1:-1] + ("X" if team[-1] != "X" else "Y")
    await meet(bot, other, uid(other, "ADM"), BERLIN, "Ada", is_admin=True)
    await define(bot, other, uid(other, "ADM"), key="elsewhere", name="Elsewhere", owner=olga, target="1")
    await kpi(bot, other, olga, "log elsewhere 0")
    async with bot.rt.db.unit_of_work() as session:  # through the services `/kpi add` and `/kpi log` call
        for n in range(200):
            k = await kpi_service.create(session, team, Definition(
                f"k{n:03d}", f"KPI {n} " + "<&>" * 60, KpiUnit.COUNT, Direction.HIGHER, 1000.0, None, olga,
                channel_of(team), 7, None, None, KpiSource.MANUAL), admin, NOW)
            await kpi_service.record(session, k, float(n), NOW, "manual", olga, NOW)
    mine = card(await home(bot, team, olga), "*Your KPIs*")
    within_share(mine)
    text = block_text(mine)
    assert text.startswith("*Your KPIs* · 200 KPIs · 200 off target") and "more: `/kpi`" in text
    assert "elsewhere" not in text.lower()
    attention = card(await home(bot, team, admin), "*KPIs needing attention*")
    within_share(attention)
    assert block_text(attention).startswith("*KPIs needing attention* · 200 of 200")
    await forget(bot, Kpi, team)


# -- time -------------------------------------------------------------------------------------------

async def prodops(bot: Bot, team: str, user: str, text: str) -> dict[str, Any]:
    return await kpi_or_standup(bot, team, user, "/prodops", text)


async def test_time_card_hours_zone_away_and_next_holiday(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    admin, maria = uid(team, "ADM"), uid(team, "MAR")
    await meet(bot, team, admin, BERLIN, "Ada", is_admin=True)
    await meet(bot, team, maria, NEW_YORK, "Maria")
    text = block_text(card(await home(bot, team, maria), "*Your time*"))
    assert "Mon–Fri 09:00–18:00 (the workspace default) · *Time zone:* America/New_York (from Slack)" in text, text
    assert "*Away:* nothing in the next 30 days" in text and "Next holiday" not in text
    assert "`/prodops hours 08:30-17:00 mon-thu`" in text and "`/prodops away 2026-12-15 2026-12-19`" in text

    await prodops(bot, team, maria, "hours 08:30-17:00 mon-thu")
    await prodops(bot, team, maria, "away 2026-12-01 2026-12-02 dentist <!here>")
    await prodops(bot, team, maria, "away 2026-12-20 2027-01-03 skiing")
    await prodops(bot, team, maria, "away 2027-02-01 2027-02-03 later")  # beyond 30 days: not shown
    await prodops(bot, team, admin, "holidays add 2026-12-24 Christmas Eve")
    other = "T" + team[1:-1] + ("X" if team[-1] != "X" else "Y")
    await meet(bot, other, uid(other, "ADM"), BERLIN, "Ada", is_admin=True)
    await prodops(bot, other, uid(other, "ADM"), "holidays add 2026-12-07 Elsewhere day")

    text = block_text(card(await home(bot, team, maria), "*Your time*"))
    assert "Mon–Thu 08:30–17:00 (your own)" in text
    assert "• 2026-12-01 – 2026-12-02 (2 days) *(away now)* · dentist @here" in text, text
    assert "<!here>" not in text  # a broadcast typed in a note pings nobody
    assert "• 2026-12-20 – 2027-01-03 (15 days) · skiing" in text and "later" not in text
    assert "*Next holiday:* 2026-12-24 (Thu) Christmas Eve (workspace holiday)" in text
    assert "Elsewhere" not in text

    await prodops(bot, team, admin, "holidays country US")  # a preset day before the workspace's wins
    clock.set(datetime(2027, 1, 5, 15, tzinfo=UTC))
    text = block_text(card(await home(bot, team, maria), "*Your time*"))
    assert "*Next holiday:* 2027-01-18 (Mon)" in text and "(public holiday)" in text, text


async def test_opening_the_home_records_the_viewers_slack_zone_for_your_time(bot: Bot, team: str) -> None:
    """Someone the bot never had reason to look up (no standup, no launch) opens their home:
    "Your time" and the notices to them go by their own Slack zone, not the workspace's UTC."""
    user = "UTZ" + team[-6:]
    bot.fake.add_user(user, tz="Asia/Tokyo")
    await bot.slack.event(team, {"type": "app_home_opened", "user": user, "channel": "D" + user[1:], "tab": "home",
                                 "event_ts": "1700000000.000100"})
    await bot.settle()
    view = bot.fake.calls_to("views.publish")[-1].args["view"]
    assert "*Time zone:* Asia/Tokyo (from Slack)" in block_text(view["blocks"])
    async with bot.rt.db.unit_of_work() as session:
        person = await get_person(session, team, user)
    assert person is not None and person.tz == "Asia/Tokyo"
