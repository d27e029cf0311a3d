"""The standups and KPIs sections of a channel digest (issue 14): data driven in through the
real app (standup setup and answers, away and holidays, KPI definitions and logged values) or,
for volume, through the models in one unit of work; then each section's `build` for chosen
periods, read as a person reads it: numbers, names escaped and never pinged, pointers to the
commands, the filters, tenancy, the period's edges, and limits with large data. The setup
form's inputs, read and check; one digest set up and posted end to end, its KPI chart in the
thread. SQLite and PostgreSQL."""
from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import insert, select

from bot.clock import Clock
from bot.digests.sections import PART_BLOCKS, PART_CHARS, Part, Period
from bot.errors import UserError
from bot.forms import FormData
from bot.kpis import digest as kpi_digest
from bot.kpis.blocks import KPI_VIEW
from bot.standups import digest as standup_digest
from bot.standups.enums import DayRef
from handlers.kpis import FEATURE as KPI_FEATURE
from handlers.standups import FEATURE as STANDUP_FEATURE
from models.kpi import Kpi, KpiValue
from models.person import Person
from models.standup import Standup, StandupBlocker, StandupMember
from models.workspace import Workspace
from tests.blockkit import assert_valid_blocks, block_text
from tests.conftest import Bot
from tests.digest_helpers import blocks_of, digest, digest_posts, row
from tests.slack_requests import view_submission
from tests.standup_helpers import (BERLIN, NEW_YORK, answer, channel_of, last_view, local, meet, set_up, state_of,
                                   submit, uid)

MONDAY = date(2026, 11, 30)
ZONE = ZoneInfo(BERLIN)
WEEK_START = local(MONDAY, 9, 0)  # a weekly digest at 09:00 Berlin, Monday to Monday
WEEK_END = local(MONDAY + timedelta(days=7), 9, 0)


def period(team: str, start: datetime = WEEK_START, end: datetime = WEEK_END, *, weekly: bool = False,
           channel: str | None = None) -> Period:
    return Period(team, channel or channel_of(team), start.astimezone(UTC), end.astimezone(UTC), ZONE, weekly)


async def build(bot: Bot, section: Any, p: Period, f: dict[str, Any]) -> Part | None:
    async with bot.rt.db.unit_of_work() as session:
        return await section.build(session, p, f)


def chars(blocks: list[dict[str, Any]]) -> int:
    return len(block_text(blocks))


def read_as_posted(part: Part) -> str:
    """What a reader sees, checked as Slack would take it: valid blocks, within the part's share."""
    assert_valid_blocks(part.blocks, limit=PART_BLOCKS)
    assert chars(part.blocks) <= PART_CHARS, chars(part.blocks)
    text = block_text(part.blocks)
    assert "<@" not in text and "<!" not in text  # nobody pinged, no broadcast
    return text


async def prodops(bot: Bot, team: str, user: str, text: str) -> dict[str, Any]:
    status, body = await bot.slack.command(team, user, "/prodops", text, channel_id=channel_of(team))
    assert status == 200, body
    await bot.settle()
    return body or {}


def day_ref(standup_id: int, day: date) -> str:
    return DayRef(s=standup_id, d=day.isoformat()).model_dump_json()


async def workspace(bot: Bot, team: str) -> None:
    async with bot.rt.db.unit_of_work() as session:
        if await session.get(Workspace, team) is None:
            session.add(Workspace(team_id=team, name=team, timezone=BERLIN))


# -- standups ---------------------------------------------------------------------------------------

async def core_team(bot: Bot, team: str, clock: Clock) -> tuple[Standup, dict[str, str]]:
    """A week of a standup through the app: three people in two zones, one late answer, a
    blocker carried two days, one person away mid-week and one next week, a workspace holiday."""
    clock.set(local(MONDAY, 8, 0))
    people = {tag: uid(team, tag) for tag in ("ADM", "NIN", "OMA", "LIJ")}
    await meet(bot, team, people["ADM"], BERLIN, "Ada", is_admin=True)
    await meet(bot, team, people["NIN"], BERLIN, "Nina <&>")
    await meet(bot, team, people["OMA"], NEW_YORK, "Omar")
    await meet(bot, team, people["LIJ"], BERLIN, "Li")
    standup = await set_up(bot, team, people["ADM"], "Core team", [people[t] for t in ("NIN", "OMA", "LIJ")],
                           owner=people["ADM"])
    assert "Noted" in (await prodops(bot, team, people["LIJ"], "away 2026-12-02 2026-12-03"))["text"]
    assert "Noted" in (await prodops(bot, team, people["NIN"], "away 2026-12-08 2026-12-10"))["text"]
    await prodops(bot, team, people["ADM"], "holidays add 2026-12-11 Founders <Day>")

    async def says(user: str, day: date, at: datetime, answers: list[str]) -> None:
        clock.set(at)
        status, body = await answer(bot, team, user, day_ref(standup.id, day), answers)
        assert status == 200 and body.get("response_action") == "update", body

    await says(people["NIN"], MONDAY, local(MONDAY, 10, 0), ["a", "b", "none"])
    await says(people["LIJ"], MONDAY, local(MONDAY, 10, 5), ["a", "b", ""])
    await says(people["OMA"], MONDAY, local(MONDAY, 12, 0, NEW_YORK), ["a", "b", "none"])  # after 11:00: late
    tuesday, wednesday = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
    await says(people["NIN"], tuesday, local(tuesday, 10, 0), ["a", "b", "Waiting on <!channel> & legal"])
    await says(people["NIN"], wednesday, local(wednesday, 10, 0), ["a", "b", "Waiting on <!channel> & legal"])
    return standup, people


async def test_standups_section_says_participation_blockers_and_who_is_away(bot: Bot, team: str,
                                                                           clock: Clock) -> None:
    standup, people = await core_team(bot, team, clock)
    clock.set(WEEK_END)
    part = await build(bot, standup_digest.SECTION, period(team), {})
    assert part is not None
    text = read_as_posted(part)
    # 3 people × 5 days, less Li's two away days: 13 asked; Nina 3, Li 1, Omar 1 (late) answered.
    assert "*Core team* · answered *5/13* (38%, 1 late) · `/standup stats Core team`" in text, text
    assert ":rotating_light: *1 open blocker*" in text
    assert "• *Nina &lt;&amp;&gt;* since Tue Dec 1 (6 days): Waiting on &lt;!channel&gt; &amp; legal" in text, text
    assert ":palm_tree: *Away:* Nina &lt;&amp;&gt; (Tue Dec 8–Thu Dec 10)" in text, text
    assert ":calendar: *Fri Dec 11* is a holiday (Founders &lt;Day&gt;): everyone" in text, text
    assert "Li" not in text.split("Away:")[1]  # Li's away days are over
    assert part.text == "Standups: Core team 5/13 answered, 1 open blocker"
    assert part.attach is None
    # The one standup chosen by id says the same.
    chosen = await build(bot, standup_digest.SECTION, period(team), {"standup_id": standup.id})
    assert chosen is not None and chosen.blocks == part.blocks


async def test_back_to_back_periods_count_each_standup_day_once(bot: Bot, team: str, clock: Clock) -> None:
    standup, _ = await core_team(bot, team, clock)
    clock.set(WEEK_END)
    answered = expected = 0
    for n in range(7):  # seven daily digests at 09:00 Berlin cover the week exactly
        day = local(MONDAY + timedelta(days=n), 9, 0)
        part = await build(bot, standup_digest.SECTION, period(team, day, day + timedelta(days=1)),
                           {"standup_id": standup.id})
        assert part is not None
        head = block_text(part.blocks).split("\n")[0]
        if "answered" in head:
            got, asked = head.split("answered *")[1].split("*")[0].split("/")
            answered, expected = answered + int(got), expected + int(asked)
        else:
            assert "no standup days in this period" in head, head  # the weekend's
    assert (answered, expected) == (5, 13)
    # Monday alone (deadlines 11:00 Berlin and 11:00 New York, both after 09:00 Berlin): all three asked.
    monday = await build(bot, standup_digest.SECTION, period(team, WEEK_START, WEEK_START + timedelta(days=1)), {})
    assert monday is not None and "answered *3/3* (100%, 1 late)" in block_text(monday.blocks)


async def test_a_paused_standup_counts_until_its_pause_and_lists_nobody_away(bot: Bot, team: str,
                                                                           clock: Clock) -> None:
    standup, people = await core_team(bot, team, clock)
    wednesday = MONDAY + timedelta(days=2)
    clock.set(local(wednesday, 10, 30))
    status, body = await bot.slack.command(team, people["ADM"], "/standup", "pause Core team",
                                           channel_id=channel_of(team))
    assert status == 200 and "Paused" in body["text"], body
    clock.set(WEEK_END)
    part = await build(bot, standup_digest.SECTION, period(team), {})
    assert part is not None
    text = read_as_posted(part)
    # Monday and Tuesday for all three (Wednesday's 11:00 deadline came after the pause).
    assert "*Core team* · :double_vertical_bar: paused · answered *4/6* (67%, 1 late)" in text, text
    assert "1 open blocker" in text and "Away:" not in text and "is a holiday" not in text


async def test_standups_section_is_left_out_with_nothing_to_say_and_keeps_to_its_workspace(
        bot: Bot, team: str, clock: Clock) -> None:
    standup, people = await core_team(bot, team, clock)
    clock.set(WEEK_END)
    # Another channel has no standup; a standup chosen and since deleted, or another workspace's.
    assert await build(bot, standup_digest.SECTION, period(team, channel="COTHER"), {}) is None
    other = "T" + team[1:][::-1]
    await workspace(bot, other)
    async with bot.rt.db.unit_of_work() as session:
        theirs = Standup(team_id=other, name="Theirs", name_key="theirs", channel_id=channel_of(team),
                         owner_id="UX", created_by="UX")
        session.add(theirs)
        await session.flush()
        session.add(StandupBlocker(standup_id=theirs.id, team_id=other, user_id="UX", text="their secret",
                                   since=MONDAY, last_day=MONDAY))
        session.add(StandupMember(standup_id=theirs.id, team_id=other, user_id="UX"))
        session.add(Person(team_id=other, user_id="UX", display_name="X", tz=BERLIN))  # known: no people sweep
    part = await build(bot, standup_digest.SECTION, period(team), {})
    assert part is not None and "their secret" not in block_text(part.blocks) and "Theirs" not in block_text(part.blocks)
    assert await build(bot, standup_digest.SECTION, period(team), {"standup_id": theirs.id}) is None
    assert await build(bot, standup_digest.SECTION, period(other, channel=channel_of(team)), {}) is not None  # theirs
    # A period with no standup days, no open blocker and nobody away in the coming week: nothing.
    async with bot.rt.db.unit_of_work() as session:
        quiet = Standup(team_id=team, name="Quiet", name_key="quiet", channel_id="CQUIET", owner_id=people["ADM"],
                        created_by=people["ADM"], days=0b0000001)  # Mondays only
        session.add(quiet)
        await session.flush()
        session.add(StandupMember(standup_id=quiet.id, team_id=team, user_id=people["OMA"]))
    saturday = local(MONDAY + timedelta(days=5), 9, 0)
    assert await build(bot, standup_digest.SECTION, period(team, saturday, saturday + timedelta(days=1),
                                                            channel="CQUIET"), {}) is None
    # Deleted: the stored choice finds nothing, and the section is left out.
    async with bot.rt.db.unit_of_work() as session:
        await session.delete(await session.get(Standup, standup.id))
    assert await build(bot, standup_digest.SECTION, period(team), {"standup_id": standup.id}) is None
    assert await build(bot, standup_digest.SECTION, period(team), {"standup_id": "1; drop"}) is None


async def test_standups_section_stays_within_its_share_with_three_hundred_blockers(bot: Bot, team: str,
                                                                                  clock: Clock) -> None:
    clock.set(WEEK_END)
    await workspace(bot, team)
    long = "blocked by <!here> " + "a very long explanation & more " * 40
    async with bot.rt.db.unit_of_work() as session:
        standups = [Standup(team_id=team, name=f"Team {i} &lt;{'&amp;' * 30}&gt;", name_key=f"team {i}",
                            channel_id=channel_of(team), owner_id="UOWN", created_by="UOWN") for i in range(6)]
        session.add_all(standups)
        await session.flush()
        users = [f"UMANY{i:03d}" for i in range(300)]
        await session.execute(insert(Person), [dict(team_id=team, user_id=u, display_name=f"Person {u} " + "&" * 60,
                                                    tz=BERLIN) for u in users])
        for s in standups:
            await session.execute(insert(StandupMember), [dict(standup_id=s.id, team_id=team, user_id=u,
                                                               joined_at=WEEK_START.astimezone(UTC)) for u in users])
            await session.execute(insert(StandupBlocker), [dict(standup_id=s.id, team_id=team, user_id=u, text=long,
                                                                since=MONDAY - timedelta(days=i % 9),
                                                                last_day=MONDAY) for i, u in enumerate(users)])
    part = await build(bot, standup_digest.SECTION, period(team), {})
    assert part is not None
    text = read_as_posted(part)
    assert len(part.blocks) == standup_digest.STANDUPS_SHOWN + 1
    assert "*300 open blockers*" in text and "…and 3 more standups: `/standup list`" in text
    assert "…and 299 more: `/standup stats Team 0 &lt;&amp;&amp;" in text  # the rest point to the stats
    assert text.count("/standup stats Team 0") == 1
    assert "since Sun Nov 22 (15 days): blocked by @here a very long explanation &amp; more" in text  # the oldest
    assert "answered *0/1500* (0%)" in text


# -- KPIs -------------------------------------------------------------------------------------------

async def kpi_command(bot: Bot, team: str, user: str, text: str) -> dict[str, Any]:
    status, body = await bot.slack.command(team, user, "/kpi", text, channel_id=channel_of(team))
    assert status == 200, body
    await bot.settle()
    return body or {}


async def define(bot: Bot, team: str, admin: str, **values: Any) -> Kpi:
    await kpi_command(bot, team, admin, "add")
    status, body = await submit(bot, team, admin, last_view(bot, KPI_VIEW),
                                {"channel": channel_of(team), "owner": admin, **values})
    assert status == 200 and not (body or {}).get("errors"), body
    async with bot.rt.db.unit_of_work() as session:
        found = await session.scalar(select(Kpi).where(Kpi.team_id == team, Kpi.key == values["key"]))
    assert found is not None
    return found


async def kpi_week(bot: Bot, team: str, clock: Clock) -> str:
    """KPIs defined through the form and values logged with `/kpi log` over the week."""
    clock.set(local(MONDAY, 8, 0))
    admin = uid(team, "ADM")
    await meet(bot, team, admin, BERLIN, "Ada", is_admin=True)
    await define(bot, team, admin, key="activation", name="Activation <!here> & co", unit="percent", target="40%")
    await define(bot, team, admin, key="latency", name="Latency", unit="duration", direction="lower", target="2")
    await define(bot, team, admin, key="nps", name="NPS", band="30 - 50")
    await define(bot, team, admin, key="old", name="Old count", stale="3")
    await define(bot, team, admin, key="fresh", name="Fresh")
    await define(bot, team, admin, key="elsewhere", name="Elsewhere", channel="CELSEWHERE")
    clock.set(WEEK_END)
    for text in ("activation 35 2026-11-25", "activation 38 2026-12-01", "activation 41 2026-12-03",
                 "activation 42% 2026-12-06", "latency 1.5 2026-11-29", "latency 2.5 2026-12-02", "nps 45 2026-12-02",
                 "old 10 2026-11-20", "elsewhere 7 2026-12-02"):
        assert (await kpi_command(bot, team, admin, f"log {text}"))["text"].startswith("Logged"), text
    return admin


async def test_kpi_section_says_value_target_change_sparkline_and_stale(bot: Bot, team: str, clock: Clock) -> None:
    await kpi_week(bot, team, clock)
    part = await build(bot, kpi_digest.SECTION, period(team), {})
    assert part is not None and part.attach is None  # a daily digest: no chart
    text = read_as_posted(part)
    lines = {line.split("(`")[1].split("`)")[0]: line for line in text.split("\n") if "(`" in line}
    assert set(lines) == {"activation", "fresh", "latency", "nps", "old"}  # not "elsewhere": another channel
    assert lines["activation"] == (":white_check_mark: *Activation &lt;!here&gt; &amp; co* (`activation`): *42%* · "
                                   "target ≥ 40% · ▲ 7% this period · `▁▆█`"), lines["activation"]
    assert lines["latency"] == (":red_circle: *Latency* (`latency`): *2.5 h* · target ≤ 2 h · ▲ 1 h (+67%) this period"
                                ), lines["latency"]
    assert lines["nps"] == ":white_check_mark: *NPS* (`nps`): *45* · band 30–50 · first value this period"
    assert lines["old"] == ":warning: *Old count* (`old`): *stale*, no value since 2026-11-20 (last 10, not current)"
    assert lines["fresh"] == "*Fresh* (`fresh`): no value yet"
    assert "`/kpi show <key>` for a KPI's history and chart" in text
    assert part.text == "KPIs: 2 on target, 1 off (Latency), 1 stale"
    chosen = await build(bot, kpi_digest.SECTION, period(team), {"keys": ["latency", "elsewhere", "gone"]})
    assert chosen is not None
    shown = block_text(chosen.blocks)
    assert "(`latency`)" in shown and "(`elsewhere`): *7*" in shown and "activation" not in shown


async def test_kpi_section_edges_tenancy_and_nothing_to_say(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(WEEK_END)
    await workspace(bot, team)
    other = "T" + team[1:][::-1]
    await workspace(bot, other)
    start, end = WEEK_START.astimezone(UTC), WEEK_END.astimezone(UTC)
    async with bot.rt.db.unit_of_work() as session:
        mine = Kpi(team_id=team, key="signups", name="Signups", owner_id="UO", channel_id=channel_of(team),
                   created_by="UO", target=10)
        theirs = Kpi(team_id=other, key="signups", name="Their signups", owner_id="UO", channel_id=channel_of(team),
                     created_by="UO")
        empty = Kpi(team_id=team, key="empty", name="Empty", owner_id="UO", channel_id="CEMPTY", created_by="UO")
        session.add_all([mine, theirs, empty])
        await session.flush()
        session.add_all([KpiValue(kpi_id=mine.id, team_id=team, at=start, value=5, source="push"),  # the baseline
                         KpiValue(kpi_id=mine.id, team_id=team, at=start + timedelta(days=3), value=8, source="push"),
                         KpiValue(kpi_id=mine.id, team_id=team, at=end, value=12, source="push"),  # the latest
                         KpiValue(kpi_id=mine.id, team_id=team, at=end + timedelta(seconds=1), value=99, source="push"),
                         KpiValue(kpi_id=theirs.id, team_id=other, at=end, value=777, source="push")])
    part = await build(bot, kpi_digest.SECTION, period(team), {})
    assert part is not None
    text = read_as_posted(part)
    assert "*12* · target ≥ 10 · ▲ 7 (+140%) this period · `▁█`" in text, text  # 8 and 12 in the period; 5 before
    assert "99" not in text and "777" not in text and "Their" not in text
    assert await build(bot, kpi_digest.SECTION, period(team, channel="CEMPTY"), {}) is None  # no value yet
    assert await build(bot, kpi_digest.SECTION, period(team, channel="CNONE"), {}) is None  # no KPI there
    assert await build(bot, kpi_digest.SECTION, period(team), {"keys": ["gone"]}) is None
    # Before any value: nothing to say either.
    assert await build(bot, kpi_digest.SECTION, period(team, start - timedelta(days=9), start - timedelta(days=8)),
                       {}) is None


async def test_a_year_of_hourly_values_reads_a_bounded_sparkline_and_a_weekly_chart_in_the_thread(
        bot: Bot, team: str, clock: Clock) -> None:
    clock.set(WEEK_END)
    await workspace(bot, team)
    end = WEEK_END.astimezone(UTC)
    async with bot.rt.db.unit_of_work() as session:
        kpis = [Kpi(team_id=team, key=f"hourly-{i}", name=f"Hourly {i}", unit="percent", owner_id="UO",
                    channel_id=channel_of(team), created_by="UO", band_low=20, band_high=60) for i in range(2)]
        session.add_all(kpis)
        await session.flush()
        hours = 24 * 365
        for k in kpis:
            await session.execute(insert(KpiValue), [
                dict(kpi_id=k.id, team_id=team, at=end - timedelta(hours=hours - h), value=40 + (h % 24) - k.id % 3,
                     source="pull", recorded_at=end) for h in range(hours + 1)])
    part = await build(bot, kpi_digest.SECTION, period(team, weekly=True), {})
    assert part is not None and part.attach is not None
    text = read_as_posted(part)
    sparks = [line.split("`")[-2] for line in text.split("\n") if "this period" in line]
    assert len(sparks) == 2 and all(0 < len(s) <= kpi_digest.SPARK_POINTS for s in sparks), sparks
    # The chart: drawn from the values read in the build (no session), shared in the digest's thread.
    channel = channel_of(team)
    posted = await bot.rt.client.chat_postMessage(channel=channel, text="the digest")
    await part.attach(bot.rt, channel, posted["ts"])
    uploads = [u for u in bot.fake.files.values() if u.completed]
    assert len(uploads) == 1
    upload = uploads[0]
    assert (upload.channel, upload.thread_ts, upload.filename) == (channel, posted["ts"], "kpis.png")
    assert upload.title == "KPIs, Nov 30 to Dec 7" and "Hourly 0, Hourly 1" in (upload.alt_txt or "")
    image = Image.open(io.BytesIO(upload.data or b""))
    assert image.format == "PNG" and image.size == (800, 520)  # two panels of 260 px


async def test_kpi_section_stays_within_its_share_with_many_long_named_kpis(bot: Bot, team: str,
                                                                           clock: Clock) -> None:
    clock.set(WEEK_END)
    await workspace(bot, team)
    async with bot.rt.db.unit_of_work() as session:
        kpis = [Kpi(team_id=team, key=f"k{i:03d}", name=f"<@U123> {'&' * 300}", owner_id="UO",
                    channel_id=channel_of(team), created_by="UO", target=1) for i in range(150)]
        session.add_all(kpis)
        await session.flush()
        await session.execute(insert(KpiValue), [dict(kpi_id=k.id, team_id=team, at=WEEK_START.astimezone(UTC)
                                                      + timedelta(hours=h), value=h, source="push")
                                                 for k in kpis for h in range(0, 168, 12)])
    part = await build(bot, kpi_digest.SECTION, period(team), {})
    assert part is not None
    text = read_as_posted(part)
    assert text.count("(`k") <= kpi_digest.KPIS_MAX and "more: `/kpi`" in text
    assert f"…and {150 - text.count('(`k')} more" in text


# -- the setup form ---------------------------------------------------------------------------------

def form_of(field: str, element: dict[str, Any]) -> FormData:
    return FormData({"state": {"values": {field: {field: element}}}})


async def test_standup_inputs_read_check_and_describe(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(WEEK_END)
    await workspace(bot, team)
    async with bot.rt.db.unit_of_work() as session:
        standups = [Standup(team_id=team, name=f"S{i:03d} &amp; co", name_key=f"s{i:03d} & co", channel_id="C1",
                            owner_id="UO", created_by="UO") for i in range(120)]
        session.add_all(standups)
        await session.flush()
        last = standups[-1]
        blocks = await standup_digest.inputs(session, team, {"standup_id": last.id})
        fresh = await standup_digest.inputs(session, team, None)
        with pytest.raises(UserError) as gone:
            await standup_digest.check(session, team, {"standup_id": 2**31 - 1})
        checked = await standup_digest.check(session, team, {"standup_id": last.id})
    assert_valid_blocks(blocks)
    [block] = blocks
    assert block["block_id"] == "standups.standup" and block["optional"]
    options = block["element"]["options"]
    assert len(options) == 100 and options[0]["value"] == "channel" and options[-1]["value"] == str(last.id)
    assert block["element"]["initial_option"]["value"] == str(last.id)
    assert fresh[0]["element"]["initial_option"]["value"] == "channel"
    assert gone.value.field == "standups.standup" and "no longer exists" in gone.value.message
    assert checked == {"standup_id": last.id, "name": "S119 &amp; co"}
    assert standup_digest.describe(checked) == "S119 &amp; co"
    assert standup_digest.describe({}) == "reporting in this channel"
    select_ = {"type": "static_select"}
    assert standup_digest.read(form_of("standups.standup", {**select_, "selected_option": {"value": "channel"}})) == {}
    assert standup_digest.read(FormData({})) == {}
    assert standup_digest.read(form_of("standups.standup", {**select_, "selected_option": {"value": "12"}})) == {
        "standup_id": 12}
    with pytest.raises(UserError) as forged:
        standup_digest.read(form_of("standups.standup", {**select_, "selected_option": {"value": "99999999999"}}))
    assert forged.value.field == "standups.standup"


async def test_kpi_inputs_read_check_and_describe(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(WEEK_END)
    await workspace(bot, team)
    async with bot.rt.db.unit_of_work() as session:
        assert await kpi_digest.inputs(session, team, None) == []  # no KPI yet: nothing to choose
        session.add_all([Kpi(team_id=team, key=f"k{i:03d}", name=f"KPI <{i}>", owner_id="UO", channel_id="C1",
                             created_by="UO") for i in range(120)])
        await session.flush()
        blocks = await kpi_digest.inputs(session, team, {"keys": ["k119", "k005"]})
        with pytest.raises(UserError) as unknown:
            await kpi_digest.check(session, team, {"keys": ["k001", "nope", "gone-too"]})
        checked = await kpi_digest.check(session, team, {"keys": ["k119", "k005"]})
    assert_valid_blocks(blocks)
    element = blocks[0]["element"]
    assert blocks[0]["block_id"] == "kpis.keys" and element["type"] == "multi_static_select"
    assert len(element["options"]) == 100 and element["max_selected_items"] == 10
    assert [o["value"] for o in element["initial_options"]] == ["k005", "k119"]
    assert element["options"][0]["text"]["text"] == "KPI <5> (k005)"  # plain text: shown as typed
    assert unknown.value.field == "kpis.keys" and "`nope`, `gone-too`" in unknown.value.message
    assert checked == {"keys": ["k119", "k005"]}
    assert kpi_digest.describe(checked) == "k119, k005"
    assert kpi_digest.describe({}) == "those nudging in this channel"
    chosen = {"type": "multi_static_select"}
    assert kpi_digest.read(form_of("kpis.keys", {**chosen, "selected_options": []})) == {}
    assert kpi_digest.read(form_of("kpis.keys", {**chosen, "selected_options": [{"value": "nps"}, {"value": "nps"}]})
                           ) == {"keys": ["nps"]}
    with pytest.raises(UserError) as many:
        kpi_digest.read(form_of("kpis.keys", {**chosen, "selected_options": [{"value": f"k{i}"} for i in range(11)]}))
    assert many.value.field == "kpis.keys" and "at most 10" in many.value.message
    with pytest.raises(UserError) as forged:
        kpi_digest.read(form_of("kpis.keys", {**chosen, "selected_options": [{"value": "Not A Key!"}]}))
    assert forged.value.field == "kpis.keys"


def test_both_sections_are_registered_by_their_features() -> None:
    assert STANDUP_FEATURE.digest_sections == (standup_digest.SECTION,)
    assert KPI_FEATURE.digest_sections == (kpi_digest.SECTION,)
    assert (standup_digest.SECTION.name, standup_digest.SECTION.label) == ("standups", "Standups")
    assert (kpi_digest.SECTION.name, kpi_digest.SECTION.label) == ("kpis", "KPIs")


# -- end to end: the setup form, /digest list and a weekly post -------------------------------------

def filled(view: dict[str, Any], values: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """The setup form's state as Slack sends it, the KPIs' multi-select with `keys` chosen."""
    without = {**view, "blocks": [b for b in view["blocks"] if b.get("block_id") != "kpis.keys"]}
    state = state_of(without, values)
    [kpis] = [b for b in view["blocks"] if b.get("block_id") == "kpis.keys"]
    options = {o["value"]: o for o in kpis["element"]["options"]}
    state["kpis.keys"] = {"kpis.keys": {"type": "multi_static_select",
                                        "selected_options": [options[k] for k in keys]}}
    return state


async def test_a_weekly_digest_set_up_with_both_filters_posts_them_and_its_chart(bot: Bot, team: str,
                                                                                clock: Clock) -> None:
    standup, people = await core_team(bot, team, clock)
    await kpi_week(bot, team, clock)
    admin = people["ADM"]
    clock.set(local(MONDAY + timedelta(days=7), 8, 0))
    await digest(bot, team, admin, "setup")
    view = last_view(bot, "digest.setup")
    values = {"name": "Product weekly", "cadence": "weekly", "days": ["0"], "time": "09:00", "timezone": BERLIN,
              "sections": ["standups", "kpis"], "standups.standup": str(standup.id)}
    async def send(state: dict[str, Any]) -> Any:
        status, body = await bot.slack.interaction(view_submission(team, admin, view["callback_id"], state,
                                                                   private_metadata=view.get("private_metadata", "")))
        await bot.settle()
        assert status == 200
        return body or {}

    # A KPI removed while the form was open: refused under the KPIs' field, naming it.
    state = filled(view, values, ["activation", "latency", "old"])
    await kpi_command(bot, team, admin, "remove old")
    refused = await send(state)
    assert "`old`" in refused["errors"]["kpis.keys"], refused
    assert not (await send(filled(view, values, ["activation", "latency"]))).get("errors")
    saved = await row(bot, team, "Product weekly")
    assert saved.sections == {"standups": {"standup_id": standup.id, "name": "Core team"},
                              "kpis": {"keys": ["activation", "latency"]}}
    listed = json.dumps(await digest(bot, team, admin, "list"))
    assert "Standups (Core team)" in listed and "KPIs (activation, latency)" in listed, listed

    clock.set(WEEK_END)
    await digest(bot, team, admin, "now Product weekly")
    [post] = digest_posts(bot, channel_of(team))
    shown = block_text(blocks_of(post))
    assert "*Standups*" in shown and "answered *5/13*" in shown and "*KPIs*" in shown and "(`latency`)" in shown
    assert "(`nps`)" not in shown  # only the chosen KPIs
    assert_valid_blocks(blocks_of(post))
    uploads = [u for u in bot.fake.files.values() if u.completed]
    [message] = [m for m in bot.fake.messages[channel_of(team)] if any(b.get("type") == "header" for b in m.blocks)]
    assert len(uploads) == 1 and uploads[0].thread_ts == message.ts, uploads
    assert Image.open(io.BytesIO(uploads[0].data or b"")).size == (800, 520)  # activation and latency

