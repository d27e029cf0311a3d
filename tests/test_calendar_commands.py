"""/prodops hours, away, holidays and budget: through the real app over signed HTTP, asserting
on the answer and on the database (roles, tenancy, bad input changing nothing, and the
next-start recompute the minute tick relies on)."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import delete, select, update

from bot.calendar.holidays import public_holidays
from bot.calendar.hours import DAY_LONG, DAY_NAMES, WorkingHours, clock_text
from bot.calendar.parsing import HEADS
from bot.clock import Clock
from bot.prodops.help import PRODOPS
from models.calendar import AwayPeriod, Holiday
from models.person import Person
from models.workspace import Workspace
from tests.blockkit import assert_valid_blocks, block_text
from tests.conftest import Bot

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # a Monday
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

ADMIN, PLAIN, MARIA = "UADMIN0001", "UPLAIN0001", "UMARIA0001"


TEAMS: list[str] = []  # the workspaces this test used


def new_team() -> str:
    team = "T" + uuid.uuid4().hex[:10].upper()
    TEAMS.append(team)
    return team


@pytest.fixture(autouse=True)
async def leave_no_people(bot: Bot, team: str) -> AsyncIterator[None]:
    """The people sweep reads every workspace: rows written here (checked at the driven clock's
    instant, or never when Slack did not answer) would be the first it picks in later tests."""
    TEAMS[:] = [team]
    yield
    await bot.settle()
    async with bot.rt.db.unit_of_work() as session:
        await session.execute(delete(Person).where(Person.team_id.in_(TEAMS)))


def people(bot: Bot) -> None:
    bot.fake.add_user(ADMIN, is_admin=True, tz="Europe/Berlin", name="Ada")
    bot.fake.add_user(PLAIN, tz="America/New_York", name="Pat")
    bot.fake.add_user(MARIA, tz="Asia/Kolkata", name="Maria")


async def run(bot: Bot, team: str, user: str, text: str) -> dict[str, Any]:
    """One `/prodops` command, its after-commit work finished."""
    status, body = await bot.slack.command(team, user, "/prodops", text)
    assert status == 200, body
    await bot.settle()
    if body.get("blocks"):
        assert_valid_blocks(body["blocks"])
    return body


def shown(body: dict[str, Any]) -> str:
    return body.get("text", "") + "\n" + (block_text(body["blocks"]) if body.get("blocks") else "")


def refusal(body: dict[str, Any]) -> str:
    """An error answer: one ephemeral line."""
    assert body.get("response_type") == "ephemeral" and not body.get("blocks"), body
    text: str = body["text"]
    assert text and "\n" not in text, text
    return text


async def person(bot: Bot, team: str, user: str) -> Person | None:
    async with bot.rt.db.unit_of_work() as session:
        return await session.scalar(select(Person).where(Person.team_id == team, Person.user_id == user))


async def aways(bot: Bot, team: str) -> list[tuple[str, date, date, str]]:
    async with bot.rt.db.unit_of_work() as session:
        rows = await session.scalars(select(AwayPeriod).where(AwayPeriod.team_id == team)
                                     .order_by(AwayPeriod.user_id, AwayPeriod.starts_on))
        return [(r.user_id, r.starts_on, r.ends_on, r.note) for r in rows]


async def holidays(bot: Bot, team: str) -> list[tuple[date, str]]:
    async with bot.rt.db.unit_of_work() as session:
        rows = await session.execute(select(Holiday.day, Holiday.name).where(Holiday.team_id == team)
                                     .order_by(Holiday.day))
        return [(d, n) for d, n in rows]


async def ws_settings(bot: Bot, team: str) -> dict[str, Any]:
    async with bot.rt.db.unit_of_work() as session:
        return dict(await session.scalar(select(Workspace.settings).where(Workspace.team_id == team)) or {})


async def snapshot(bot: Bot, team: str) -> tuple[Any, ...]:
    """Everything a calendar command could change in the workspace."""
    async with bot.rt.db.unit_of_work() as session:
        rows = (await session.scalars(select(Person).where(Person.team_id == team).order_by(Person.user_id))).all()
        persons = [(p.user_id, p.work_days, p.work_start, p.work_end, p.holiday_country, p.next_start_at) for p in rows]
    return persons, await aways(bot, team), await holidays(bot, team), await ws_settings(bot, team)


async def seed_people(bot: Bot, team: str, *users: str) -> datetime:
    """People rows whose next start the tick has already computed."""
    start = NOW + timedelta(hours=20)
    async with bot.rt.db.unit_of_work() as session:
        for user in users:
            session.add(Person(team_id=team, user_id=user, display_name=user, tz="Europe/Berlin", next_start_at=start))
    return start


async def next_starts(bot: Bot, team: str) -> dict[str, datetime | None]:
    async with bot.rt.db.unit_of_work() as session:
        rows = await session.execute(select(Person.user_id, Person.next_start_at).where(Person.team_id == team))
        return {u: n for u, n in rows}


async def reseed(bot: Bot, team: str, start: datetime) -> None:
    async with bot.rt.db.unit_of_work() as session:
        await session.execute(update(Person).where(Person.team_id == team).values(next_start_at=start))


# -- help --------------------------------------------------------------------------------------
async def test_help_lists_every_calendar_subcommand(bot: Bot, team: str) -> None:
    body = await run(bot, team, "UHELP0001", "help")
    rendered = shown(body)
    examples = [example for example, _ in PRODOPS.usage]
    for word in ("hours", "away", "holidays", "budget"):
        assert any(e.startswith(f"/prodops {word}") for e in examples), word
    for example in examples:
        assert example in rendered, example
    assert {"hours", "away", "holidays", "budget"} <= HEADS


# -- hours -------------------------------------------------------------------------------------
async def test_hours_show_set_keep_days_and_reset(bot: Bot, team: str) -> None:
    people(bot)
    body = await run(bot, team, PLAIN, "hours")
    text = shown(body)
    assert "Mon–Fri 09:00–18:00" in text and "the workspace default" in text and "America/New_York" in text
    assert await person(bot, team, PLAIN) is None  # showing writes nothing

    body = await run(bot, team, PLAIN, "hours 08:30-17:00 mon-thu")
    assert body["text"] == "Your working hours are now Mon–Thu 08:30–17:00, in America/New_York."
    row = await person(bot, team, PLAIN)
    assert row is not None and (row.work_days, row.work_start, row.work_end) == (0b1111, 510, 1020)
    assert row.tz == "America/New_York" and row.display_name == "Pat"  # Slack described the new row after the commit

    assert "Mon–Thu 08:30–17:00 (your own)" in shown(await run(bot, team, PLAIN, "hours"))
    await run(bot, team, PLAIN, "hours 9-17")  # no days: keep Mon–Thu
    row = await person(bot, team, PLAIN)
    assert row is not None and (row.work_days, row.work_start, row.work_end) == (0b1111, 540, 1020)

    body = await run(bot, team, PLAIN, "hours reset")
    assert "back to the workspace default, Mon–Fri 09:00–18:00" in body["text"]
    row = await person(bot, team, PLAIN)
    assert row is not None and (row.work_days, row.work_start, row.work_end) == (None, None, None)
    assert "already" in (await run(bot, team, PLAIN, "hours reset"))["text"]


async def test_hours_accepts_the_ways_people_write_them(bot: Bot, team: str) -> None:
    people(bot)
    cases = [
        ("9:30am-5pm mon,wed,fri", 0b10101, 570, 1020),
        ("9am - 5pm Monday Wednesday Friday", 0b10101, 540, 1020),
        ("10:00-24:00 every day", 0b1111111, 600, 1440),
        ("7-15 daily", 0b1111111, 420, 900),
        ("07:15-15:45 weekdays", 0b11111, 435, 945),
        ("12pm-8pm sat-sun", 0b1100000, 720, 1200),
        ("6-14 fri-mon", 0b1110001, 360, 840),
        ("8-16 mon wed fri", 0b10101, 480, 960),
    ]
    for text, mask, start, end in cases:
        body = await run(bot, team, PLAIN, "hours " + text)
        assert WorkingHours.of_mask(mask, start, end).describe() in body["text"], (text, body)
        row = await person(bot, team, PLAIN)
        assert row is not None and (row.work_days, row.work_start, row.work_end) == (mask, start, end), text


async def test_hours_for_someone_else_and_the_default_are_for_admins(bot: Bot, team: str) -> None:
    people(bot)
    before = await snapshot(bot, team)
    for text in (f"hours <@{MARIA}|maria> 10:00-19:00 mon-fri", "hours default 08:00-16:00 mon-fri",
                 f"hours reset <@{MARIA}>"):
        assert refusal(await run(bot, team, PLAIN, text)).startswith("Only ops admins and Slack workspace admins")
    assert await snapshot(bot, team) == before

    body = await run(bot, team, ADMIN, f"hours <@{MARIA}|maria> 10:00-19:00 mon-fri")
    assert body["text"] == (f"<@{MARIA}>'s working hours are now Mon–Fri 10:00–19:00, in the workspace's time zone "
                            "(UTC) until Slack tells me theirs.")
    row = await person(bot, team, MARIA)
    assert row is not None and (row.work_days, row.work_start, row.work_end) == (0b11111, 600, 1140)
    assert row.tz == "Asia/Kolkata" and row.display_name == "Maria"  # Slack described her after the commit
    assert "Asia/Kolkata (from Slack)" in shown(await run(bot, team, ADMIN, f"hours <@{MARIA}>"))
    assert "(their own)" in shown(await run(bot, team, PLAIN, f"hours <@{MARIA}>"))  # anyone may look

    body = await run(bot, team, ADMIN, "hours default 08:00-16:00 mon-thu")
    assert "Mon–Thu 08:00–16:00" in body["text"]
    assert (await ws_settings(bot, team))["hours"] == {"days": 0b1111, "start": 480, "end": 960}
    await run(bot, team, ADMIN, "hours default 7-15")  # days kept
    assert (await ws_settings(bot, team))["hours"] == {"days": 0b1111, "start": 420, "end": 900}
    assert "Mon–Thu 07:00–15:00" in shown(await run(bot, team, PLAIN, "hours default"))
    assert "Mon–Thu 07:00–15:00 (the workspace default)" in shown(await run(bot, team, PLAIN, "hours"))

    await run(bot, team, ADMIN, f"hours reset <@{MARIA}>")
    row = await person(bot, team, MARIA)
    assert row is not None and row.work_days is None

    # An ops admin who is not a Slack admin may too.
    await run(bot, team, ADMIN, f"admins add <@{PLAIN}>")
    await run(bot, team, PLAIN, f"hours <@{MARIA}> 11-19")
    row = await person(bot, team, MARIA)
    assert row is not None and (row.work_start, row.work_end) == (660, 1140)


async def test_a_new_row_keeps_the_id_as_name_until_slack_describes_it(bot: Bot, team: str) -> None:
    people(bot)
    bot.fake.fail("users.info", "ratelimited", match={"user": MARIA})
    await run(bot, team, ADMIN, f"hours <@{MARIA}> 10-18")
    row = await person(bot, team, MARIA)
    assert row is not None and row.display_name == MARIA and not row.deleted and row.work_start == 600


async def test_changes_forget_the_next_start_of_whom_they_move(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    people(bot)
    await run(bot, team, ADMIN, "help")  # first contact creates the workspace
    start = await seed_people(bot, team, PLAIN, MARIA, ADMIN)
    personal = ["hours 8-16", "hours reset", "away 2026-07-01 2026-07-03", "away off", "holidays country FR @me"]
    for text in personal:
        await reseed(bot, team, start)
        await run(bot, team, PLAIN, text.replace("@me", f"<@{PLAIN}>"))
        assert await next_starts(bot, team) == {PLAIN: None, MARIA: start, ADMIN: start}, text
    workspace = ["hours default 8-17", "holidays add 2026-12-24 Christmas Eve", "holidays remove 2026-12-24",
                 "holidays country DE", "holidays country off"]
    for text in workspace:
        await reseed(bot, team, start)
        await run(bot, team, ADMIN, text)
        assert await next_starts(bot, team) == {PLAIN: None, MARIA: None, ADMIN: None}, text
    for text in ("hours", "away list", "holidays", "budget", "budget 4"):  # reads (and the budget) move nobody
        await reseed(bot, team, start)
        await run(bot, team, ADMIN, text)
        assert set((await next_starts(bot, team)).values()) == {start}, text


# -- away --------------------------------------------------------------------------------------
async def test_away_add_list_and_off(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    people(bot)
    body = await run(bot, team, PLAIN, "away 2026-12-20 2027-01-03 skiing <!here> & back Jan 4")
    assert body["text"].startswith("Noted: you are away 2026-12-20 – 2027-01-03 (15 days)")
    assert "<!here>" not in body["text"] and "@here" in body["text"] and "&amp;" in body["text"]
    await run(bot, team, PLAIN, "away 2026-07-10 home move")
    await run(bot, team, MARIA, "away 2026-06-01 2026-06-05")
    assert await aways(bot, team) == [
        (MARIA, date(2026, 6, 1), date(2026, 6, 5), ""),
        (PLAIN, date(2026, 7, 10), date(2026, 7, 10), "home move"),
        (PLAIN, date(2026, 12, 20), date(2027, 1, 3), "skiing <!here> &amp; back Jan 4"),
    ]
    body = await run(bot, team, PLAIN, "away list")
    text = shown(body)
    mine, everyone = text.split("Everyone away now or soon")
    assert "2026-07-10 · home move" in mine and "2026-12-20 – 2027-01-03" in mine and MARIA not in mine
    assert f"<@{MARIA}> 2026-06-01 – 2026-06-05 (5 days) *(away now)*" in everyone
    assert f"<@{PLAIN}> 2026-07-10" in everyone
    assert "<!here>" not in str(body["blocks"])

    # Ending: Maria's current period ends yesterday; Pat's upcoming ones go.
    clock.set(NOW + timedelta(days=2))
    body = await run(bot, team, MARIA, "away off")
    assert "Welcome back: ended the away period 2026-06-01 – 2026-06-05" in body["text"]
    body = await run(bot, team, PLAIN, "away off")
    assert body["text"] == "Done: removed 2 upcoming away periods."
    assert await aways(bot, team) == [(MARIA, date(2026, 6, 1), date(2026, 6, 2), "")]
    assert "nothing changed" in (await run(bot, team, PLAIN, "away off"))["text"]
    # A period that began today is removed rather than ending before it started.
    await run(bot, team, PLAIN, "away 2026-06-03 2026-06-04")
    await run(bot, team, PLAIN, "away off")
    assert await aways(bot, team) == [(MARIA, date(2026, 6, 1), date(2026, 6, 2), "")]


async def test_away_refuses_overlaps_the_past_and_others_unless_admin(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    people(bot)
    await run(bot, team, PLAIN, "away 2026-12-20 2027-01-03 skiing")
    before = await snapshot(bot, team)
    text = refusal(await run(bot, team, PLAIN, "away 2027-01-02 2027-01-10"))
    assert "overlaps the away period 2026-12-20 – 2027-01-03 (skiing)" in text
    assert "entirely in the past (today is 2026-06-01 in America/New_York)" in refusal(
        await run(bot, team, PLAIN, "away 2026-05-20 2026-05-31"))
    assert refusal(await run(bot, team, PLAIN, f"away <@{MARIA}> 2026-07-01")).startswith("Only ops admins")
    assert refusal(await run(bot, team, PLAIN, f"away <@{MARIA}> off")).startswith("Only ops admins")
    assert await snapshot(bot, team) == before
    body = await run(bot, team, ADMIN, f"away <@{MARIA}|maria> 2026-07-01 conference")
    assert body["text"].startswith(f"Noted: <@{MARIA}> is away 2026-07-01")
    async with bot.rt.db.unit_of_work() as session:
        row = await session.scalar(select(AwayPeriod).where(AwayPeriod.team_id == team, AwayPeriod.user_id == MARIA))
        assert row is not None and row.created_by == ADMIN
    await run(bot, team, ADMIN, f"away <@{MARIA}> off")
    assert [a for a in await aways(bot, team) if a[0] == MARIA] == []


async def test_away_today_is_the_persons_local_today(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(datetime(2026, 6, 1, 11, 0, tzinfo=UTC))  # 2026-06-02 01:00 in Kiritimati, 2026-06-01 00:00 in Pago Pago
    bot.fake.add_user("UEARLY0001", tz="Pacific/Kiritimati")
    bot.fake.add_user("ULATE00001", tz="Pacific/Pago_Pago")
    assert "today is 2026-06-02 in Pacific/Kiritimati" in refusal(await run(bot, team, "UEARLY0001", "away 2026-06-01"))
    assert (await run(bot, team, "ULATE00001", "away 2026-06-01"))["text"].startswith("Noted")
    assert await aways(bot, team) == [("ULATE00001", date(2026, 6, 1), date(2026, 6, 1), "")]


async def test_away_list_is_capped(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    await run(bot, team, PLAIN, "help")
    async with bot.rt.db.unit_of_work() as session:
        for i in range(40):
            first = date(2026, 7, 1) + timedelta(days=i)
            session.add(AwayPeriod(team_id=team, user_id=f"UAWAY{i:05d}", starts_on=first,
                                   ends_on=first + timedelta(days=1), note="x" * 700, created_by="UX"))
    body = await run(bot, team, PLAIN, "away list")
    text = shown(body)
    assert "…and 15 more" in text and "UAWAY00024" in text and "UAWAY00025" not in text


# -- holidays ----------------------------------------------------------------------------------
async def test_holidays_add_list_remove_and_duplicates(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    people(bot)
    body = await run(bot, team, PLAIN, "holidays")
    assert "None from today on" in shown(body) and "no country preset" in shown(body)
    assert refusal(await run(bot, team, PLAIN, "holidays add 2026-12-25 Christmas")).startswith("Only ops admins")
    assert await holidays(bot, team) == []

    body = await run(bot, team, ADMIN, "holidays add 2026-12-25 Christmas <!channel>")
    assert body["text"].startswith("2026-12-25 (Fri) is now a workspace holiday: Christmas @channel")
    await run(bot, team, ADMIN, "holidays add 2026-12-31")
    before = await snapshot(bot, team)
    assert "2026-12-25 is already a workspace holiday (Christmas @channel); nothing changed." == refusal(
        await run(bot, team, ADMIN, "holidays add 2026-12-25 Boxing"))
    assert "is in the past" in refusal(await run(bot, team, ADMIN, "holidays add 2026-05-01 May Day"))
    assert await snapshot(bot, team) == before
    assert await holidays(bot, team) == [(date(2026, 12, 25), "Christmas <!channel>"), (date(2026, 12, 31), "")]

    text = shown(await run(bot, team, PLAIN, "holidays list"))
    assert "2026-12-25 (Fri) Christmas @channel" in text and "2026-12-31 (Thu)" in text

    assert refusal(await run(bot, team, PLAIN, "holidays remove 2026-12-25")).startswith("Only ops admins")
    body = await run(bot, team, ADMIN, "holidays remove 2026-12-25")
    assert body["text"] == "2026-12-25 (Christmas @channel) is no longer a workspace holiday."
    body = await run(bot, team, ADMIN, "holidays remove 2026-12-25")
    assert "not a workspace holiday; nothing changed" in body["text"]
    assert await holidays(bot, team) == [(date(2026, 12, 31), "")]


async def test_holiday_country_for_the_workspace_and_a_person(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    people(bot)
    await run(bot, team, PLAIN, "help")
    assert refusal(await run(bot, team, PLAIN, "holidays country DE")).startswith("Only ops admins")
    body = await run(bot, team, ADMIN, "holidays country de")
    assert "Germany (DE)" in body["text"]
    assert (await ws_settings(bot, team))["holiday_country"] == "DE"
    text = shown(await run(bot, team, PLAIN, "holidays"))
    expected = sorted(d for d in public_holidays("DE", 2026) if d >= NOW.date())[:3]
    assert "Public holidays of Germany (DE)" in text and all(d.isoformat() in text for d in expected)
    assert "Germany (DE)" in (await run(bot, team, PLAIN, "holidays country"))["text"]
    # Not a preset day to remove: says where it comes from.
    assert "public holiday of Germany (DE)" in (await run(bot, team, ADMIN, "holidays remove 2026-10-03"))["text"]

    body = await run(bot, team, PLAIN, f"holidays country FR <@{PLAIN}>")
    assert body["text"] == "Your public holidays are now those of France (FR)."
    row = await person(bot, team, PLAIN)
    assert row is not None and row.holiday_country == "FR"
    assert "France (FR) (set for you)" in shown(await run(bot, team, PLAIN, "hours"))
    assert "Yours: France (FR)" in shown(await run(bot, team, PLAIN, "holidays"))
    assert refusal(await run(bot, team, PLAIN, f"holidays country US <@{MARIA}>")).startswith("Only ops admins")
    assert await person(bot, team, MARIA) is None
    await run(bot, team, ADMIN, f"holidays country <@{MARIA}> US")
    row = await person(bot, team, MARIA)
    assert row is not None and row.holiday_country == "US"
    await run(bot, team, PLAIN, f"holidays country off <@{PLAIN}>")
    row = await person(bot, team, PLAIN)
    assert row is not None and row.holiday_country is None

    before = await snapshot(bot, team)
    assert refusal(await run(bot, team, ADMIN, "holidays country XX")) == (
        "`XX` is not a country code the holiday calendar knows; use a two-letter ISO code like DE, US, GB.")
    assert "not a country code" in refusal(await run(bot, team, ADMIN, f"holidays country Germany <@{MARIA}>"))
    assert await snapshot(bot, team) == before
    await run(bot, team, ADMIN, "holidays country off")
    assert (await ws_settings(bot, team))["holiday_country"] is None
    assert "no country preset" in shown(await run(bot, team, PLAIN, "holidays"))


# -- budget ------------------------------------------------------------------------------------
async def test_budget_show_and_set(bot: Bot, team: str) -> None:
    people(bot)
    assert "3 nudges per person per local day (the default)" in (await run(bot, team, PLAIN, "budget"))["text"]
    assert refusal(await run(bot, team, PLAIN, "budget 5")).startswith("Only ops admins")
    assert "nudge_budget" not in await ws_settings(bot, team)
    assert "set to 5 nudges" in (await run(bot, team, ADMIN, "budget 5"))["text"]
    assert (await ws_settings(bot, team))["nudge_budget"] == 5
    assert "5 nudges per person per local day;" in (await run(bot, team, PLAIN, "budget"))["text"]
    for bad in ("0", "21", "lots", "5 6", "-1"):
        assert "from 1 to 20" in refusal(await run(bot, team, ADMIN, f"budget {bad}")), bad
    assert (await ws_settings(bot, team))["nudge_budget"] == 5


# -- tenancy -----------------------------------------------------------------------------------
async def test_another_workspace_sees_none_of_it(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    people(bot)
    for text in ("holidays add 2026-12-25 Christmas", "holidays country DE", "budget 7", "hours default 7-15",
                 f"away <@{MARIA}> 2026-07-01 2026-07-05 offsite", f"hours <@{MARIA}> 10-18"):
        await run(bot, team, ADMIN, text)
    other = new_team()
    before = await snapshot(bot, team)
    text = shown(await run(bot, other, MARIA, "holidays"))
    assert "2026-12-25 (Fri)" not in text and "None from today on" in text and "no country preset" in text
    text = shown(await run(bot, other, MARIA, "away list"))
    assert "offsite" not in text and MARIA not in text
    assert "Mon–Fri 09:00–18:00 (the workspace default)" in shown(await run(bot, other, MARIA, "hours"))
    assert "3 nudges" in (await run(bot, other, MARIA, "budget"))["text"]
    assert "not a workspace holiday" in (await run(bot, other, ADMIN, "holidays remove 2026-12-25"))["text"]
    await run(bot, other, ADMIN, f"away <@{MARIA}> off")
    assert await snapshot(bot, team) == before


# -- bad input ---------------------------------------------------------------------------------
BAD = [
    ("hours 25:00-26:00", "`25:00` is not a time of day"),
    ("hours 9-25:00", "`25:00` is not a time of day"),
    ("hours 17:00-09:00", "ends before it starts"),
    ("hours 9-9", "starts and ends at the same time"),
    ("hours 9:60-17", "minutes go from 00 to 59"),
    ("hours 13pm-5pm", "with am/pm"),
    ("hours 24:00-24:00", "can't start at `24:00`"),
    ("hours 9-17 funday", "`funday` is not a day"),
    ("hours 9", "is not a time range"),
    ("hours nine-five", "is not a time range"),
    ("hours @maria 9-17", "`@maria` is not a Slack user"),
    ("hours default 9-25", "is not a time of day"),
    ("away 2026-02-30", "`2026-02-30` is not a date on the calendar: February 2026 has 28 days"),
    ("away 2026-13-01", "months go from 01 to 12"),
    ("away 2026/12/20", "is not a date"),
    ("away 2026-12-20 2026-12-01", "ends (2026-12-01) before it starts (2026-12-20)"),
    ("away 2026-12-20 to", "Give the last day too"),
    ("away 2026-07-01 2027-07-02", "at most 366 days"),
    ("away 2026-05-01 2026-05-31", "entirely in the past"),
    ("away someday", "is not a date"),
    ("holidays add 2026-02-29 Leap", "February 2026 has 28 days"),
    ("holidays add", "Usage"),
    ("holidays remove next-friday", "is not a date"),
    ("holidays country XX", "not a country code the holiday calendar knows"),
    ("holidays country DE FR", "Usage"),
    ("holidays frobnicate", "Usage"),
    ("budget 0", "from 1 to 20"),
]


async def test_bad_input_answers_one_line_and_changes_nothing(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(NOW)
    people(bot)
    await run(bot, team, ADMIN, "away 2026-12-20 2027-01-03")
    await run(bot, team, ADMIN, "holidays add 2026-12-25 Christmas")
    before = await snapshot(bot, team)
    for text, expected in BAD:
        answer = refusal(await run(bot, team, ADMIN, text))
        assert expected in answer, (text, answer)
    assert await snapshot(bot, team) == before


# -- properties through the endpoint -------------------------------------------------------------
@st.composite
def hours_text(draw: st.DrawFn) -> tuple[str, WorkingHours]:
    start = draw(st.integers(0, 1439))
    end = draw(st.integers(start + 1, 1440))
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    names = [draw(st.sampled_from([DAY_NAMES[d], DAY_LONG[d], DAY_NAMES[d].upper(), DAY_LONG[d].lower()]))
             for d in sorted(days)]
    written = draw(st.sampled_from([",", " ", ", "])).join(names)
    return f"{clock_text(start)}-{clock_text(end)} {written}", WorkingHours(days, start, end)


@SETTINGS
@given(case=hours_text())
async def test_any_valid_hours_round_trip(bot: Bot, case: tuple[str, WorkingHours]) -> None:
    text, hours = case
    team = new_team()
    bot.fake.add_user(PLAIN, tz="America/New_York")
    body = await run(bot, team, PLAIN, "hours " + text)
    assert body["text"] == f"Your working hours are now {hours.describe()}, in America/New_York.", text
    row = await person(bot, team, PLAIN)
    assert row is not None and (row.work_days, row.work_start, row.work_end) == (hours.mask, hours.start, hours.end)
    assert f"{hours.describe()} (your own)" in shown(await run(bot, team, PLAIN, "hours"))


@st.composite
def bad_hours_text(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["hour", "minute", "order", "day", "shape"]))
    if kind == "hour":
        return f"{draw(st.integers(25, 99))}:00-{draw(st.integers(0, 23)):02d}:00"
    if kind == "minute":
        return f"09:{draw(st.integers(60, 99))}-17:00"
    if kind == "order":
        end = draw(st.integers(0, 1439))
        start = draw(st.integers(end, 1439))
        return f"{clock_text(start)}-{clock_text(end)}"
    if kind == "day":
        word = draw(st.text("xyzqj", min_size=2, max_size=8))
        return f"09:00-17:00 mon {word}"
    return draw(st.sampled_from(["9", "9to5", "9--17", "-17", "9-", "9-17-18", "0900-1700"]))


@SETTINGS
@given(text=bad_hours_text())
async def test_any_invalid_hours_are_refused_and_stored_nowhere(bot: Bot, text: str) -> None:
    team = new_team()
    bot.fake.add_user(PLAIN, tz="America/New_York")
    refusal(await run(bot, team, PLAIN, "hours " + text))
    assert await person(bot, team, PLAIN) is None


@st.composite
def away_dates(draw: st.DrawFn) -> tuple[date, date]:
    first = NOW.date() + timedelta(days=draw(st.integers(-30, 800)))
    last = first + timedelta(days=draw(st.integers(0, 365)))
    return first, last


@SETTINGS
@given(span=away_dates())
async def test_any_valid_away_period_is_stored_as_given(bot: Bot, clock: Clock, span: tuple[date, date]) -> None:
    clock.set(NOW)
    first, last = span
    team = new_team()
    bot.fake.add_user(PLAIN, tz="UTC")
    text = first.isoformat() if first == last else f"{first.isoformat()} {last.isoformat()}"
    body = await run(bot, team, PLAIN, f"away {text} a note")
    if last < NOW.date():
        assert "entirely in the past" in refusal(body)
        assert await aways(bot, team) == []
        return
    assert body["text"].startswith("Noted: you are away " + first.isoformat()), body
    assert await aways(bot, team) == [(PLAIN, first, last, "a note")]


@st.composite
def bad_away(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["order", "long", "day", "month"]))
    first = NOW.date() + timedelta(days=draw(st.integers(0, 400)))
    if kind == "order":
        return f"{first.isoformat()} {(first - timedelta(days=draw(st.integers(1, 400)))).isoformat()}"
    if kind == "long":
        return f"{first.isoformat()} {(first + timedelta(days=draw(st.integers(366, 2000)))).isoformat()}"
    if kind == "month":
        return f"2027-{draw(st.integers(13, 99))}-01"
    year, month = draw(st.integers(2026, 2030)), draw(st.integers(1, 12))
    last_day = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return f"{year}-{month:02d}-{draw(st.integers(last_day + 1, 99))}"


@SETTINGS
@given(text=bad_away())
async def test_any_invalid_away_period_is_refused_and_stored_nowhere(bot: Bot, clock: Clock, text: str) -> None:
    clock.set(NOW)
    team = new_team()
    bot.fake.add_user(PLAIN, tz="UTC")
    refusal(await run(bot, team, PLAIN, "away " + text))
    assert await aways(bot, team) == []
    assert await person(bot, team, PLAIN) is None
