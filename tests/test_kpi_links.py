"""KPI ↔ launch links (issue 15): `/kpi link <key> "Launch"` and `/kpi unlink`, who may, bad input
(hypothesis on the argument through the endpoint), the chart and `/kpi show` marking the linked
launches only (every launch while none is linked), the digest's KPI part naming the linked
launch of its period on that KPI's line, and another workspace's KPIs and launches out of reach.

Everything goes through the signed endpoint against the fake Slack, on SQLite and PostgreSQL.
The chart's launches are read from the alt text the upload declares (what a screen reader says
of the image), the same list the PNG is drawn from."""
from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st
from sqlalchemy import delete, func, select, update

from bot.clock import Clock
from bot.edge import GENERIC_FAILURE, STORAGE_FAILURE
from models.kpi import KpiLaunch
from models.launch import Decision, Launch
from tests.blockkit import assert_valid_blocks, block_text
from tests.conftest import Bot
from tests.digest_helpers import blocks_of, digest_posts, set_up
from tests.standup_helpers import BERLIN, channel_of, local, tick
from tests.test_kpis import NOW, define, kpi, people

MONDAY = date(2026, 12, 7)


# -- helpers ----------------------------------------------------------------------------------------

def said(answer: dict[str, Any]) -> str:
    """The text of an ephemeral answer (never the generic failure)."""
    assert answer.get("response_type", "ephemeral") == "ephemeral", answer
    text = answer.get("text") or ""
    assert text and text not in (GENERIC_FAILURE, STORAGE_FAILURE), answer
    return text


async def new_launch(bot: Bot, team: str, user: str, name: str, day: date) -> None:
    status, body = await bot.slack.command(team, user, "/launch", f'new "{name}" {day.isoformat()}',
                                           channel_id=channel_of(team))
    assert status == 200 and "Created" in (body or {}).get("text", ""), body
    await bot.settle()


async def decided_go(bot: Bot, team: str, *names: str) -> None:
    """Arrange a go decision on launches (the go/no-go flow itself is tests/test_launches.py's):
    the digest says what launched, and only a launch with a go did."""
    async with bot.rt.db.unit_of_work() as session:
        await session.execute(update(Launch).where(Launch.team_id == team, Launch.name.in_(names))
                              .values(decision=Decision.GO))


async def links(bot: Bot, team: str) -> list[tuple[int, int]]:
    """(kpi id, launch id) of every link in the workspace."""
    async with bot.rt.db.unit_of_work() as session:
        return sorted((await session.execute(select(KpiLaunch.kpi_id, KpiLaunch.launch_id)
                                             .where(KpiLaunch.team_id == team))).all())


async def link_count(bot: Bot) -> int:
    async with bot.rt.db.unit_of_work() as session:
        return int(await session.scalar(select(func.count()).select_from(KpiLaunch)) or 0)


def chart_alt_texts(bot: Bot) -> list[str]:
    """The alt text of each chart shared so far, in order."""
    return [u.alt_txt or "" for u in bot.fake.files.values() if u.completed]


async def show(bot: Bot, team: str, user: str, key: str) -> tuple[str, str]:
    """`/kpi show`: its text, and the alt text of the chart it sent to the DM."""
    bot.fake.reset()
    answer = await kpi(bot, team, user, f"show {key}")
    assert_valid_blocks(answer["blocks"])
    (alt,) = chart_alt_texts(bot)
    return block_text(answer["blocks"]), alt


@pytest.fixture
async def setup(bot: Bot, team: str, clock: Clock) -> tuple[str, str, str, int]:
    """A KPI `activation` (owner: Olga) and two launches of the last 90 days, Alpha and Beta."""
    clock.set(NOW - timedelta(days=30))
    admin, owner, other = await people(bot, team)
    k = await define(bot, team, admin, key="activation", name="Activation", owner=owner, target="40%",
                     unit="percent")
    for day, value in ((NOW - timedelta(days=20), "35%"), (NOW - timedelta(days=5), "41%")):
        clock.set(day)
        await kpi(bot, team, owner, f"log activation {value}")
    clock.set(NOW)
    await new_launch(bot, team, admin, "Alpha", date(2026, 11, 18))
    await new_launch(bot, team, admin, "Beta", date(2026, 11, 25))
    return admin, owner, other, k.id


# -- link, unlink, and what the chart and show mark ----------------------------------------------------

async def test_linked_launches_alone_are_marked_until_the_last_link_goes(bot: Bot, team: str,
                                                                        setup: tuple[str, str, str, int]) -> None:
    admin, owner, _, _ = setup
    text, alt = await show(bot, team, owner, "activation")
    assert "Every launch is marked" in text and "*Alpha* (2026-11-18)" in text and "*Beta*" in text, text
    assert "launches marked: Alpha (Nov 18), Beta (Nov 25)" in alt, alt

    answer = said(await kpi(bot, team, admin, 'link activation "Alpha"'))
    assert answer == ("`activation` is now watched for *Alpha* (2026-11-18): its chart, `/kpi show activation` "
                      "and digests mark its linked launches only."), answer
    assert len(await links(bot, team)) == 1
    text, alt = await show(bot, team, owner, "activation")
    assert "Watched for launches: *Alpha* (2026-11-18); only these are marked" in text and "Beta" not in text, text
    assert alt.endswith("launches marked: Alpha (Nov 18)") and "Beta" not in alt, alt

    # Twice: said, and nothing changes; any case and spacing, curly quotes or none find the launch.
    for typed in ('link activation "Alpha"', "link activation \u201calpha\u201d", "link activation  ALPHA "):
        assert said(await kpi(bot, team, admin, typed)) == ("`activation` is already watched for *Alpha* "
                                                            "(2026-11-18); nothing changed."), typed
    assert len(await links(bot, team)) == 1
    assert said(await kpi(bot, team, admin, 'unlink activation "Beta"')) == (
        "`activation` is not linked to *Beta*; nothing changed. `/kpi show activation` lists what it is watched for.")

    said(await kpi(bot, team, admin, "link activation Beta"))
    text, alt = await show(bot, team, owner, "activation")
    assert "Watched for launches: *Alpha* (2026-11-18), *Beta* (2026-11-25)" in text, text
    assert "launches marked: Alpha (Nov 18), Beta (Nov 25)" in alt, alt
    assert said(await kpi(bot, team, admin, 'unlink activation "Alpha"')) == (
        "`activation` is no longer watched for *Alpha*; it is still watched for 1 other launch.")
    text, alt = await show(bot, team, owner, "activation")
    assert "Watched for launches: *Beta*" in text and "Alpha" not in text and "Alpha" not in alt, (text, alt)
    assert said(await kpi(bot, team, admin, 'unlink activation "Beta"')) == (
        "`activation` is no longer watched for *Beta*; with no links left, it marks every launch again.")
    assert await links(bot, team) == []
    text, alt = await show(bot, team, owner, "activation")
    assert "Every launch is marked" in text and "Alpha (Nov 18), Beta (Nov 25)" in alt, (text, alt)


async def test_a_linked_launch_outside_the_chart_or_cancelled_is_not_marked_nor_replaced_by_every_launch(
        bot: Bot, team: str, setup: tuple[str, str, str, int]) -> None:
    admin, owner, _, _ = setup
    await new_launch(bot, team, admin, "Old one", NOW.date() - timedelta(days=200))
    said(await kpi(bot, team, admin, 'link activation "Old one"'))
    text, alt = await show(bot, team, owner, "activation")
    assert "Watched for launches: *Old one*" in text and "Alpha" not in text, text
    assert "launches marked" not in alt, alt  # linked, none in the 90 days: not every launch instead
    said(await kpi(bot, team, admin, 'link activation "Alpha"'))
    status, body = await bot.slack.command(team, admin, "/launch", 'cancel "Alpha"', channel_id=channel_of(team))
    assert status == 200 and "Cancelled" in body["text"], body
    await bot.settle()
    text, alt = await show(bot, team, owner, "activation")
    assert "*Alpha* (2026-11-18, cancelled: not marked)" in text and "Alpha" not in alt, (text, alt)
    refused = said(await kpi(bot, team, admin, 'link activation "Alpha"'))
    assert refused.startswith("*Alpha* was cancelled, so `activation` cannot be watched for it."), refused
    assert said(await kpi(bot, team, admin, 'unlink activation "Alpha"')).startswith(
        "`activation` is no longer watched for *Alpha*")  # a cancelled launch can still be unlinked
    assert len(await links(bot, team)) == 1


async def test_a_double_click_links_once(bot: Bot, team: str, setup: tuple[str, str, str, int]) -> None:
    admin = setup[0]
    answers = await asyncio.gather(*(bot.slack.command(team, admin, "/kpi", 'link activation "Beta"',
                                                       channel_id=channel_of(team)) for _ in range(2)))
    await bot.settle()
    texts = sorted(said(body or {}) for status, body in answers if status == 200)
    assert len(texts) == 2 and texts[0].startswith("`activation` is already watched for *Beta*"), texts
    assert texts[1].startswith("`activation` is now watched for *Beta*"), texts
    assert len(await links(bot, team)) == 1


# -- who may ------------------------------------------------------------------------------------------

async def test_only_ops_admins_link_and_unlink(bot: Bot, team: str, setup: tuple[str, str, str, int]) -> None:
    admin, owner, other, _ = setup
    for who in (owner, other):
        assert said(await kpi(bot, team, who, 'link activation "Alpha"')) == (
            "Only ops admins and Slack workspace admins can link launches to KPIs. "
            "Ask one of them, or see `/prodops admins list`.")
        # the right before the key: a refusal tells nothing about which KPIs exist
        assert said(await kpi(bot, team, who, 'link nope "Alpha"')).startswith("Only ops admins")
    assert await links(bot, team) == []
    said(await kpi(bot, team, admin, 'link activation "Alpha"'))
    for who in (owner, other):
        assert said(await kpi(bot, team, who, 'unlink activation "Alpha"')).startswith(
            "Only ops admins and Slack workspace admins can unlink launches from KPIs.")
    assert len(await links(bot, team)) == 1


# -- bad input ----------------------------------------------------------------------------------------

async def test_bad_input_is_said_in_one_line_with_a_guess_where_one_is_close_and_nothing_changes(
        bot: Bot, team: str, setup: tuple[str, str, str, int]) -> None:
    admin = setup[0]
    bot.fake.reset()
    cases = {
        'link actvation "Alpha"': "There is no KPI with the key `actvation`. Did you mean `activation`? "
                                  "`/kpi` lists them.",
        'unlink nope "Alpha"': "There is no KPI with the key `nope`. `/kpi` lists them.",
        'link activation "Alpah"': "There is no launch named `Alpah`. See `/launch list`. "
                                   "Did you mean `/kpi link activation \"Alpha\"`?",
        'link activation "Gamma"': "There is no launch named `Gamma`. See `/launch list`.",
        'unlink activation "Bet"': "There is no launch named `Bet`. See `/launch list`. "
                                   "Did you mean `/kpi unlink activation \"Beta\"`?",
        "link": 'Usage: `/kpi link <key> "Launch name"`',
        "link activation": 'Usage: `/kpi link <key> "Launch name"`',
        'unlink "Alpha"': 'Usage: `/kpi unlink <key> "Launch name"`',
        'link activation "Alpha" "Beta"': 'Usage: `/kpi link <key> "Launch name"`',
        'link activation "Alpha': "A quote is not closed",
        'link Not!AKey "Alpha"': "is not a KPI key",
        'link activation ""': "Give the launch a name.",
        "link activation " + "x" * 81: "Keep launch names under 80 characters.",
        "lnik activation Alpha": "`lnik` is not a /kpi command. Did you mean `/kpi link`?",
        "unlnik activation Alpha": "`unlnik` is not a /kpi command. Did you mean `/kpi unlink`?",
    }
    for text, expected in cases.items():
        assert expected in said(await kpi(bot, team, admin, text)), text
    assert await links(bot, team) == [] and bot.fake.posted() == []


async def test_help_lists_link_and_unlink_with_an_example(bot: Bot, team: str) -> None:
    shown = await kpi(bot, team, "UANY" + team[-7:], "help")
    assert_valid_blocks(shown["blocks"])
    text = block_text(shown["blocks"])
    assert '`/kpi link activation "Mobile v2"`' in text and '`/kpi unlink activation "Mobile v2"`' in text, text


QUOTES = [('"', '"'), ("\u201c", "\u201d"), ("\u201e", "\u201c"), ("'", "'"), ("\u2018", "\u2019"), ("", "")]


@st.composite
def the_launch_as_typed(draw: st.DrawFn) -> tuple[str, bool]:
    """"Beta" as people type it: any case, quoted any way (or not), spaces around."""
    name = "".join(c.upper() if draw(st.booleans()) else c for c in "beta")
    opening, closing = draw(st.sampled_from(QUOTES))
    spaced = draw(st.sampled_from(["", " ", "  "])) + opening + name + closing + draw(st.sampled_from(["", " "]))
    return spaced, True


def folded(text: str) -> str:
    """An independent reading: no quotes at all, spaces collapsed, case folded."""
    kept = "".join(c for c in text if c not in "\"'\u201c\u201d\u201e\u201f\u2018\u2019\u201a\u201b")
    return " ".join(kept.split()).lower()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=st.one_of(the_launch_as_typed(), st.text(max_size=30).map(lambda t: (t, False))))
async def test_link_through_the_endpoint_links_only_the_launch_named(bot: Bot, team: str,
                                                                    setup: tuple[str, str, str, int],
                                                                    typed: tuple[str, bool]) -> None:
    admin = setup[0]
    text, is_beta = typed
    assume(is_beta or not {"alpha", "beta"} & set(folded(text).split()) and folded(text) not in ("alpha", "beta"))
    wire = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # as Slack sends it
    status, body = await bot.slack.command(team, admin, "/kpi", "link activation " + wire,
                                           channel_id=channel_of(team))
    await bot.settle()
    assert status == 200, body
    answer = said(body or {})
    assert "<!" not in answer and "<@" not in answer, answer  # what was typed never pings
    linked = await links(bot, team)
    if is_beta:
        assert answer.startswith("`activation` is now watched for *Beta*") and len(linked) == 1, (text, answer)
    else:
        assert linked == [] and "now watched" not in answer, (text, answer)
    async with bot.rt.db.unit_of_work() as session:
        await session.execute(delete(KpiLaunch).where(KpiLaunch.team_id == team))


# -- the digest ---------------------------------------------------------------------------------------

async def test_the_digest_names_a_kpis_linked_launch_of_the_period_on_its_line(bot: Bot, team: str,
                                                                               clock: Clock) -> None:
    """Two KPIs in a weekly digest: conv is watched for Checkout, nps for every launch. Checkout
    and Pricing launch in the period; Onboarding, linked to conv too, the week before."""
    clock.set(local(MONDAY - timedelta(days=10), 9, 0))
    admin, owner, _ = await people(bot, team)
    for name, day in (("Onboarding", date(2026, 11, 28)), ("Checkout <v2>", date(2026, 12, 5)),
                      ("Pricing", date(2026, 12, 3)), ("Undecided", date(2026, 12, 4))):
        await new_launch(bot, team, admin, name, day)
    await decided_go(bot, team, "Onboarding", "Checkout &lt;v2&gt;", "Pricing")  # stored representation
    await define(bot, team, admin, key="conv", name="Conversion", target="3", unit="percent", owner=owner)
    await define(bot, team, admin, key="nps", name="NPS", target="40", owner=owner)
    for typed in ('link conv "Checkout <v2>"', 'link conv "Onboarding"'):
        said(await kpi(bot, team, admin, typed))
    clock.set(local(MONDAY - timedelta(days=6), 9, 0))  # Tuesday Dec 1
    await kpi(bot, team, owner, "log conv 2.5%")
    await kpi(bot, team, owner, "log nps 38")
    await set_up(bot, team, admin, "Weekly KPIs", cadence="weekly", days=["0"], time="09:00", timezone=BERLIN,
                 sections=["kpis"])
    clock.set(local(MONDAY, 8, 0))
    await kpi(bot, team, owner, "log conv 3.4%")
    await kpi(bot, team, owner, "log nps 41")
    await tick(bot, clock, local(MONDAY, 9, 0))
    (post,) = digest_posts(bot, channel_of(team))
    text = block_text(blocks_of(post))
    (conv,) = [line for line in text.splitlines() if "(`conv`)" in line]
    (nps,) = [line for line in text.splitlines() if "(`nps`)" in line]
    assert conv.endswith(" · :rocket: *Checkout &lt;v2&gt;* (Sat Dec 5)"), conv
    assert "Pricing" not in conv and "Onboarding" not in conv and ":rocket:" not in nps, (conv, nps)
    # nps is watched for every launch: the period's launches are said under the KPIs, as before.
    assert ":rocket: Launched in this period: *Pricing* (Thu Dec 3), *Checkout &lt;v2&gt;* (Sat Dec 5)" in text, text
    assert "Onboarding" not in text
    assert "Undecided" not in text  # no go decided: it did not launch


async def test_with_every_kpi_linked_the_digest_says_no_other_launch(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY - timedelta(days=6), 9, 0))
    admin, owner, _ = await people(bot, team)
    await new_launch(bot, team, admin, "Checkout", date(2026, 12, 5))
    await new_launch(bot, team, admin, "Pricing", date(2026, 12, 3))
    await decided_go(bot, team, "Checkout", "Pricing")
    await define(bot, team, admin, key="conv", name="Conversion", target="3", unit="percent", owner=owner)
    said(await kpi(bot, team, admin, 'link conv "Checkout"'))
    await kpi(bot, team, owner, "log conv 2.5%")
    await set_up(bot, team, admin, "Weekly KPIs", cadence="weekly", days=["0"], time="09:00", timezone=BERLIN,
                 sections=["kpis"])
    clock.set(local(MONDAY, 8, 0))
    await kpi(bot, team, owner, "log conv 3.1%")
    await tick(bot, clock, local(MONDAY, 9, 0))
    (post,) = digest_posts(bot, channel_of(team))
    text = block_text(blocks_of(post))
    assert ":rocket: *Checkout* (Sat Dec 5)" in text and "Pricing" not in text and "Launched in" not in text, text


# -- tenancy ------------------------------------------------------------------------------------------

async def test_another_workspaces_kpis_and_launches_are_out_of_reach(bot: Bot, team: str,
                                                                     setup: tuple[str, str, str, int]) -> None:
    admin, owner, _, _ = setup
    elsewhere = team[:-1] + "X"  # another workspace (ids are hex: never X)
    their_admin, their_owner, _ = await people(bot, elsewhere)
    await define(bot, elsewhere, their_admin, key="revenue", name="Revenue", owner=their_owner)
    await new_launch(bot, elsewhere, their_admin, "Secret plan", date(2026, 11, 20))
    before = await link_count(bot)
    assert said(await kpi(bot, team, admin, 'link revenue "Alpha"')) == (
        "There is no KPI with the key `revenue`. `/kpi` lists them.")
    for typed in ('link activation "Secret plan"', 'link activation "Secret pla"'):
        assert said(await kpi(bot, team, admin, typed)) == (  # no guess from another workspace's names
            f"There is no launch named `{typed.split(chr(34))[1]}`. See `/launch list`.")
    assert await link_count(bot) == before
    # Their own link changes nothing here, and ours nothing there.
    said(await kpi(bot, elsewhere, their_admin, 'link revenue "Secret plan"'))
    said(await kpi(bot, team, admin, 'link activation "Beta"'))
    text, alt = await show(bot, team, owner, "activation")
    assert "Secret" not in text and "Secret" not in alt and "Watched for launches: *Beta*" in text, (text, alt)
    text, alt = await show(bot, elsewhere, their_owner, "revenue")
    assert "Watched for launches: *Secret plan*" in text and "Beta" not in text and "Alpha" not in alt, (text, alt)
