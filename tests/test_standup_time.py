"""Standups over time (issue 12): DST on both sides of the Atlantic, away days, holidays and
working hours, a bot that was down, a timezone change mid-day, answers from the evening before,
two replicas ticking at once, the dry run, and blockers that name a launch.

Everything goes through the signed endpoint against the fake Slack, with `duties.tick` at the
instants each test picks (the session bot's own minute tick is held far away). A tick covers
every workspace in the session database: each test keeps to its own people (uid) and channel.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot import duties
from bot.app import build_app
from bot.clock import Clock
from bot.runtime import Runtime
from bot.standups.duties import BLOCKER_KIND, LAUNCH_LINE_KIND, PROMPT_KIND, REMINDER_KIND
from bot.standups.enums import StandupView
from bot.standups.flows import SUMMARY_POST
from models.delivery import Delivery, DeliveryStatus as S
from models.launch import Launch
from models.person import Person
from models.standup import Standup, StandupAnswer, StandupMember
from tests.blockkit import assert_valid_blocks, block_text
from tests.conftest import Bot, bot_settings
from tests.slack_requests import BOT_TOKEN
from tests.standup_helpers import (BERLIN, KOLKATA, NEW_YORK, answer, channel_of, fill_value, last_view, local, meet,
                                   set_up, submit, tick, uid)

EVERY_DAY = [str(d) for d in range(7)]
MINUTE = timedelta(minutes=1)
MONDAY = date(2026, 11, 30)
TUESDAY = date(2026, 12, 1)
WEDNESDAY, THURSDAY, FRIDAY = (TUESDAY + timedelta(days=n) for n in (1, 2, 3))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def at_local(day: date, hour: int, minute: int, zone: str) -> datetime:
    """Local wall time as a UTC instant (aware datetimes in one zone compare as wall times, fold ignored)."""
    return local(day, hour, minute, zone).astimezone(UTC)


def aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def texts(bot: Bot, user: str, lead: str) -> list[str]:
    """What the bot DMed `user` whose notification text starts with `lead`."""
    return [c.args.get("text", "") for c in bot.fake.posted(user) if c.args.get("text", "").startswith(lead)]


def prompts(bot: Bot, user: str) -> list[str]:
    return texts(bot, user, "Time for your")


def reminders(bot: Bot, user: str) -> list[str]:
    return texts(bot, user, "Reminder: your")


def blocks_of(call_args: dict[str, Any]) -> list[dict[str, Any]]:
    raw = call_args.get("blocks") or []
    return json.loads(raw) if isinstance(raw, str) else raw


def prompt_calls(bot: Bot, user: str) -> list[Any]:
    return [c for c in bot.fake.posted(user) if c.args.get("text", "").startswith("Time for your")]


def mine(lines: list[str], *users: str) -> list[str]:
    return [line for line in lines if any(f" {u} " in f"{line} " for u in users)]


def summaries(bot: Bot, team: str, name: str) -> list[Any]:
    """Summaries of standup `name` posted in the team's channel (the fake keeps edits in place)."""
    return [m for m in bot.fake.messages.get(channel_of(team), [])
            if m.thread_ts is None and m.text.startswith(f"{name} standup ")]


async def prodops(bot: Bot, team: str, user: str, text: str) -> str:
    status, body = await bot.slack.command(team, user, "/prodops", text)
    assert status == 200, body
    await bot.settle()
    return json.dumps(body)


async def people(bot: Bot, team: str, *spec: tuple[str, str, str], admin: str | None = None) -> None:
    for user, zone, name in spec:
        await meet(bot, team, user, zone, name, is_admin=user == admin)


async def deliveries(bot: Bot, team: str, kind: str) -> list[Delivery]:
    async with bot.rt.db.unit_of_work() as session:
        return list((await session.scalars(select(Delivery).where(Delivery.team_id == team, Delivery.kind == kind)
                                           .order_by(Delivery.id))).all())


async def of_user(bot: Bot, team: str, kind: str, user: str) -> dict[str, Delivery]:
    """The user's rows of a prompt or reminder kind, by standup day."""
    return {r.period: r for r in await deliveries(bot, team, kind) if r.key.endswith(f":{user}")}


async def members(bot: Bot, standup_id: int) -> dict[str, StandupMember]:
    async with bot.rt.db.unit_of_work() as session:
        rows = (await session.scalars(select(StandupMember).where(StandupMember.standup_id == standup_id))).all()
    return {m.user_id: m for m in rows}


async def next_start(bot: Bot, team: str, user: str) -> datetime | None:
    async with bot.rt.db.unit_of_work() as session:
        return aware(await session.scalar(select(Person.next_start_at).where(Person.team_id == team,
                                                                              Person.user_id == user)))


async def standup_row(bot: Bot, standup_id: int) -> Standup:
    async with bot.rt.db.unit_of_work() as session:
        row = await session.get(Standup, standup_id)
    assert row is not None
    return row


async def answers_of(bot: Bot, standup_id: int, user: str) -> dict[date, StandupAnswer]:
    async with bot.rt.db.unit_of_work() as session:
        rows = (await session.scalars(select(StandupAnswer).where(StandupAnswer.standup_id == standup_id,
                                                                 StandupAnswer.user_id == user))).all()
    return {r.day: r for r in rows}


async def hits(bot: Bot, clock: Clock, instants: list[datetime], who: dict[str, Any],
               of: Any = prompts) -> dict[str, list[datetime]]:
    """Tick at each instant (in order): the instants at which each user got a new prompt DM
    (or reminder, with `of=reminders`)."""
    found: dict[str, list[datetime]] = {user: [] for user in who}
    for at in sorted(instants):
        before = {user: len(of(bot, user)) for user in who}
        await tick(bot, clock, at)
        for user in who:
            got = len(of(bot, user)) - before[user]
            assert got in (0, 1), (user, at, got)
            if got:
                found[user].append(at)
    return found


def around(moment: datetime, *others: datetime) -> list[datetime]:
    """A minute before, at and after `moment`, and other instants to tick at."""
    return [moment - MINUTE, moment, moment + MINUTE, *others]


# -- DST -------------------------------------------------------------------------------------------

async def test_new_york_at_0930_across_the_fall_back_weekend_and_an_hour_that_happens_twice(
        bot: Bot, team: str, clock: Clock) -> None:
    admin, day_one, night = uid(team, "ADM"), uid(team, "NYD"), uid(team, "NYN")
    clock.set(utc(2026, 10, 30, 12))  # Friday 08:00 EDT
    await people(bot, team, (admin, BERLIN, "Ada"), (day_one, NEW_YORK, "Nora"), (night, NEW_YORK, "Nico"),
                 admin=admin)
    await prodops(bot, team, day_one, "hours 08:00-18:00 daily")
    await prodops(bot, team, night, "hours 00:00-24:00 daily")
    await set_up(bot, team, admin, "Fall", [day_one], owner=admin, days=EVERY_DAY)
    # 01:30 on Sunday 2026-11-01 happens twice in New York (EDT, then EST an hour later).
    await set_up(bot, team, admin, "Night", [night], owner=admin, days=EVERY_DAY, prompt="01:30", deadline="03:00")
    await tick(bot, clock, utc(2026, 10, 30, 12, 1))  # computes each participant's first moment

    saturday, sunday, monday = date(2026, 10, 31), date(2026, 11, 1), date(2026, 11, 2)
    day_at = {d: at_local(d, 9, 30, NEW_YORK) for d in (saturday, sunday, monday)}
    assert [m.astimezone(UTC).hour for m in day_at.values()] == [13, 14, 14]  # EDT, then EST
    night_at = {d: at_local(d, 1, 30, NEW_YORK) for d in (saturday, sunday, monday)}
    assert night_at[sunday] == utc(2026, 11, 1, 5, 30)  # the first 01:30 (EDT); the second is 06:30 UTC
    instants = [*around(day_at[saturday], day_at[saturday] + timedelta(hours=1)),
                *around(day_at[sunday], day_at[sunday] - timedelta(hours=1)),
                *around(day_at[monday], day_at[monday] - timedelta(hours=1)),
                *around(night_at[saturday]),
                *around(night_at[sunday], utc(2026, 11, 1, 6, 29), utc(2026, 11, 1, 6, 30), utc(2026, 11, 1, 6, 31)),
                *around(night_at[monday])]
    got = await hits(bot, clock, instants, {day_one: None, night: None})
    assert got[day_one] == list(day_at.values())  # at 09:30 on their clock each day: once, never skipped
    assert got[night] == list(night_at.values())  # the repeated hour prompts once, at its first 01:30
    for call in prompt_calls(bot, day_one):
        assert "Due by *11:00*" in block_text(blocks_of(call.args))  # the deadline on their own clock
    sent = {d.isoformat(): S.SENT for d in (saturday, sunday, monday)}
    # Friday's 09:30 came while no tick ran (the first one after it was Saturday's): recorded as skipped.
    assert {p: r.status for p, r in (await of_user(bot, team, PROMPT_KIND, day_one)).items()} == {
        "2026-10-30": S.SKIPPED, **sent}
    assert {p: r.status for p, r in (await of_user(bot, team, PROMPT_KIND, night)).items()} == sent


async def test_new_york_and_berlin_at_0930_across_the_spring_changes(bot: Bot, team: str, clock: Clock) -> None:
    admin, ny, berlin = uid(team, "ADM"), uid(team, "NYS"), uid(team, "BES")
    clock.set(utc(2027, 3, 12, 20))  # Friday
    await people(bot, team, (admin, BERLIN, "Ada"), (ny, NEW_YORK, "Nora"), (berlin, BERLIN, "Bernd"), admin=admin)
    for user in (ny, berlin):
        await prodops(bot, team, user, "hours 08:00-18:00 daily")
    await set_up(bot, team, admin, "Spring", [ny, berlin], owner=admin, days=EVERY_DAY)
    await tick(bot, clock, utc(2027, 3, 12, 20, 1))
    us_days = [date(2027, 3, 13), date(2027, 3, 14), date(2027, 3, 15)]  # the US change: Sunday the 14th
    eu_days = [date(2027, 3, 27), date(2027, 3, 28), date(2027, 3, 29)]  # the EU change: Sunday the 28th
    ny_at = [at_local(d, 9, 30, NEW_YORK) for d in us_days]
    berlin_at = [at_local(d, 9, 30, BERLIN) for d in eu_days]
    assert [m.astimezone(UTC).hour for m in ny_at] == [14, 13, 13]
    assert [m.astimezone(UTC).hour for m in berlin_at] == [8, 7, 7]
    # Each day: around the right instant, and the instant 09:30 would be at the other offset.
    instants = [*around(ny_at[0], ny_at[0] - timedelta(hours=1)),
                *[at for m in ny_at[1:] for at in around(m, m + timedelta(hours=1))],
                *around(berlin_at[0], berlin_at[0] - timedelta(hours=1)),
                *[at for m in berlin_at[1:] for at in around(m, m + timedelta(hours=1))]]
    got = await hits(bot, clock, instants, {ny: None, berlin: None})
    assert got[ny] == ny_at
    assert got[berlin] == berlin_at
    for user, days in ((ny, us_days), (berlin, eu_days)):
        sent = {p for p, r in (await of_user(bot, team, PROMPT_KIND, user)).items() if r.status is S.SENT}
        assert sent == {d.isoformat() for d in days}
        for call in prompt_calls(bot, user):
            assert "Due by *11:00*" in block_text(blocks_of(call.args))


async def test_a_prompt_time_inside_the_spring_forward_gap_goes_at_0330_once(bot: Bot, team: str, clock: Clock) -> None:
    admin, early = uid(team, "ADM"), uid(team, "GAP")
    clock.set(utc(2027, 3, 13, 12))  # Saturday
    await people(bot, team, (admin, BERLIN, "Ada"), (early, NEW_YORK, "Gail"), admin=admin)
    await prodops(bot, team, early, "hours 00:00-24:00 daily")
    await set_up(bot, team, admin, "Gap", [early], owner=admin, days=EVERY_DAY, prompt="02:30", deadline="04:30")
    await tick(bot, clock, utc(2027, 3, 13, 12, 1))
    sunday, monday = date(2027, 3, 14), date(2027, 3, 15)
    # 02:30 does not exist on Sunday 2027-03-14 in New York: read at the offset before the gap, 03:30 EDT.
    assert at_local(sunday, 2, 30, NEW_YORK) == at_local(sunday, 3, 30, NEW_YORK) == utc(2027, 3, 14, 7, 30)
    instants = [utc(2027, 3, 14, 6, 29), utc(2027, 3, 14, 6, 30), utc(2027, 3, 14, 7), utc(2027, 3, 14, 7, 29),
                utc(2027, 3, 14, 7, 30), utc(2027, 3, 14, 7, 31), utc(2027, 3, 14, 8, 30),
                utc(2027, 3, 15, 6, 29), utc(2027, 3, 15, 6, 30), utc(2027, 3, 15, 6, 31)]
    got = await hits(bot, clock, instants, {early: None})
    assert got[early] == [utc(2027, 3, 14, 7, 30), at_local(monday, 2, 30, NEW_YORK)]
    first = prompt_calls(bot, early)[0]
    assert "Due by *04:30*" in block_text(blocks_of(first.args)) and "Sun Mar 14" in first.args["text"]
    rows = await of_user(bot, team, PROMPT_KIND, early)
    assert {p: r.status for p, r in rows.items()} == {"2027-03-14": S.SENT, "2027-03-15": S.SENT}


async def test_the_reminder_comes_an_hour_before_the_deadline_or_half_way_when_they_are_closer(
        bot: Bot, team: str, clock: Clock) -> None:
    admin, wide, two, one = uid(team, "ADM"), uid(team, "RW3"), uid(team, "RW2"), uid(team, "RW1")
    clock.set(local(MONDAY, 12))
    await people(bot, team, (admin, BERLIN, "Ada"), (wide, BERLIN, "Wim"), (two, BERLIN, "Tom"), (one, BERLIN, "Ole"),
                 admin=admin)
    for name, user, deadline in (("Three hours", wide, "12:00"), ("Two hours", two, "11:00"),
                                 ("One hour", one, "10:00")):
        await set_up(bot, team, admin, name, [user], owner=admin, prompt="09:00", deadline=deadline)
    await tick(bot, clock, local(MONDAY, 12, 1))
    await tick(bot, clock, local(TUESDAY, 9))
    assert all(len(prompts(bot, user)) == 1 for user in (wide, two, one))
    instants = [at for hour, minute in ((9, 30), (10, 0), (11, 0)) for at in around(local(TUESDAY, hour, minute))]
    got = await hits(bot, clock, instants, {wide: None, two: None, one: None}, of=reminders)
    assert got == {wide: [local(TUESDAY, 11)], two: [local(TUESDAY, 10)], one: [local(TUESDAY, 9, 30)]}
    assert reminders(bot, one) == ["Reminder: your One hour standup for Tue Dec 1 is due at 10:00."]


# -- away, holidays, working hours -------------------------------------------------------------------

async def test_away_holiday_and_working_hours_decide_who_is_prompted_and_the_summary_says_who_is_off(
        bot: Bot, team: str, clock: Clock) -> None:
    admin, nina, arno, emil, lena = (uid(team, t) for t in ("ADM", "NIN", "ARN", "EMI", "LEN"))
    clock.set(local(MONDAY, 12))
    await people(bot, team, (admin, BERLIN, "Ada"), (nina, BERLIN, "Nina"), (arno, BERLIN, "Arno"),
                 (emil, BERLIN, "Emil"), (lena, BERLIN, "Lena"), admin=admin)
    assert "2026-12-01" in await prodops(bot, team, arno, "away 2026-12-01 conference")
    assert "10:00" in await prodops(bot, team, emil, "hours 10:00-18:00")  # starts after the 09:30 prompt
    assert "09:00" in await prodops(bot, team, lena, "hours 06:00-09:00")  # ends before it
    assert "Offsite" in await prodops(bot, team, admin, "holidays add 2026-12-02 Offsite")
    await set_up(bot, team, admin, "Daily", [nina, arno, emil, lena], owner=admin)
    await tick(bot, clock, local(MONDAY, 12, 1))
    everyone = (nina, arno, emil, lena)

    def counts(of: Any) -> dict[str, int]:
        return {user: len(of(bot, user)) for user in everyone}

    # Tuesday: Arno is away, Emil starts at 10:00, Lena's day ended at 09:00.
    await tick(bot, clock, local(TUESDAY, 9, 29))
    assert counts(prompts) == {nina: 0, arno: 0, emil: 0, lena: 0}
    await tick(bot, clock, local(TUESDAY, 9, 30))
    assert counts(prompts) == {nina: 1, arno: 0, emil: 0, lena: 0}
    held = (await of_user(bot, team, PROMPT_KIND, emil))[TUESDAY.isoformat()]
    assert held.status is S.HELD and aware(held.next_at) == local(TUESDAY, 10)
    await tick(bot, clock, local(TUESDAY, 9, 59))
    assert counts(prompts)[emil] == 0  # not before their start
    status, _ = await answer(bot, team, nina, fill_value(blocks_of(prompt_calls(bot, nina)[0].args)),
                             ["Invoices", "Refunds", "none"])
    assert status == 200
    await tick(bot, clock, local(TUESDAY, 10))
    assert counts(prompts) == {nina: 1, arno: 0, emil: 1, lena: 0}  # Emil at his start
    await tick(bot, clock, local(TUESDAY, 10, 15))
    assert counts(reminders) == {nina: 0, arno: 0, emil: 1, lena: 0}  # Nina answered; the away get none
    await tick(bot, clock, local(TUESDAY, 11))
    (summary,) = summaries(bot, team, "Daily")
    text = block_text(summary.blocks)
    off = next(line for line in text.splitlines() if "Away or off" in line)
    missing = next(line for line in text.splitlines() if "Not answered yet" in line)
    assert "Arno (away)" in off and "Arno" not in missing and "Emil" in missing and "Nina" not in missing, text
    assert "Lena (outside working hours)" in off and "Lena" not in missing, text  # never asked

    # Wednesday is the workspace's holiday: nobody is prompted or reminded; all four are off.
    before = (counts(prompts), counts(reminders))
    for at in (local(WEDNESDAY, 9, 30), local(WEDNESDAY, 10), local(WEDNESDAY, 10, 15)):
        await tick(bot, clock, at)
    assert (counts(prompts), counts(reminders)) == before
    await tick(bot, clock, local(WEDNESDAY, 11))
    summary = summaries(bot, team, "Daily")[-1]
    text = block_text(summary.blocks)
    assert "Wed Dec 2" in text and "Not answered yet" not in text, text
    assert all(f"{name} (holiday: Offsite)" in text for name in ("Nina", "Arno", "Emil", "Lena")), text
    assert_valid_blocks(summary.blocks)

    # Thursday: Arno is back and prompted for Thursday; Tuesday's held prompt was given up, never sent late.
    for at in (local(THURSDAY, 6), local(THURSDAY, 9), local(THURSDAY, 9, 30)):  # Lena's start, Arno's, the prompt
        await tick(bot, clock, at)
    assert prompts(bot, arno) == ["Time for your Daily standup (Thu Dec 3)."]
    assert counts(prompts)[lena] == 0 and counts(reminders)[lena] == 0  # her day ends before the prompt
    for user in (arno, lena):
        tuesday = (await of_user(bot, team, PROMPT_KIND, user))[TUESDAY.isoformat()]
        assert tuesday.status is S.DROPPED and tuesday.note == "nothing left to say", (user, tuesday.note)
    assert (await of_user(bot, team, PROMPT_KIND, arno))[THURSDAY.isoformat()].status is S.SENT


async def test_a_prompt_and_reminder_held_for_a_late_start_go_in_order_prompt_first(
        bot: Bot, team: str, clock: Clock) -> None:
    """People who start at 10:30 get the 09:30 prompt and the 10:15 reminder at 10:30, both held to
    the same instant: the reminder never comes before the prompt it reminds of."""
    admin = uid(team, "ADM")
    late = [uid(team, f"LT{i}") for i in range(8)]  # several: the order of equal instants is the database's
    clock.set(local(MONDAY, 12))
    await people(bot, team, (admin, BERLIN, "Ada"), *((u, BERLIN, f"Late {i}") for i, u in enumerate(late)),
                 admin=admin)
    for user in late:
        await prodops(bot, team, user, "hours 10:30-18:00")
    await set_up(bot, team, admin, "Late start", late, owner=admin)
    await tick(bot, clock, local(MONDAY, 12, 1))
    for at in (local(TUESDAY, 9, 30), local(TUESDAY, 10, 15), local(TUESDAY, 10, 29)):
        await tick(bot, clock, at)
    assert all(bot.fake.posted(user) == [] for user in late)
    await tick(bot, clock, local(TUESDAY, 10, 30))
    for user in late:
        assert [c.args["text"].split(" your")[0] for c in bot.fake.posted(user)] == ["Time for", "Reminder:"], user


# -- a bot that was down ----------------------------------------------------------------------------

async def test_downtime_sends_late_prompts_before_the_deadline_and_records_the_skip_after(
        bot: Bot, team: str, clock: Clock) -> None:
    admin, pia = uid(team, "ADM"), uid(team, "PIA")
    clock.set(local(MONDAY, 12))
    await people(bot, team, (admin, BERLIN, "Ada"), (pia, BERLIN, "Pia"), admin=admin)
    standup = await set_up(bot, team, admin, "Ops", [pia], owner=admin)
    await tick(bot, clock, local(MONDAY, 12, 1))

    # Down from 09:00 to 10:15: the late prompt and the reminder due then, in that order.
    assert mine(await tick(bot, clock, local(TUESDAY, 9)), pia) == []
    lines = mine(await tick(bot, clock, local(TUESDAY, 10, 15)), pia)
    assert [line.split(f" to {pia}")[0] for line in lines] == [
        "standup prompts: sent standup prompt", "standup prompts: sent standup reminder"], lines
    assert [c.args["text"].split(":")[0] for c in bot.fake.posted(pia)] == [
        "Time for your Ops standup (Tue Dec 1).", "Reminder"]
    # Down from 10:15 to 20:00, over the 11:00 summary: back within 12 h, it goes up.
    lines = await tick(bot, clock, local(TUESDAY, 20))
    assert f"standup summaries: sent standup summary of standup {standup.id} in {team} for 2026-12-01" in lines
    assert len(summaries(bot, team, "Ops")) == 1

    # Down from 09:00 to 11:05 on Wednesday: past the deadline, both are skipped and recorded.
    await tick(bot, clock, local(WEDNESDAY, 9))
    lines = mine(await tick(bot, clock, local(WEDNESDAY, 11, 5)), pia)
    assert len(lines) == 2 and all(line.startswith("standup prompts: skipped standup ") for line in lines), lines
    assert all("past its deadline 2026-12-02T10:00+00:00" in line for line in lines), lines
    for kind in (PROMPT_KIND, REMINDER_KIND):
        row = (await of_user(bot, team, kind, pia))[WEDNESDAY.isoformat()]
        assert row.status is S.SKIPPED and "past its deadline" in (row.note or "")
    for at in (local(WEDNESDAY, 11, 6), local(WEDNESDAY, 12), local(WEDNESDAY, 17)):
        assert mine(await tick(bot, clock, at), pia) == []
    assert len(bot.fake.posted(pia)) == 2  # never sent afterwards
    assert len(summaries(bot, team, "Ops")) == 2  # Wednesday's went up at 11:05

    # Thursday: down from 10:15 to 00:30 the next night, 13.5 h after the summary: skipped and recorded.
    await tick(bot, clock, local(THURSDAY, 9, 30))
    await tick(bot, clock, local(THURSDAY, 10, 15))
    assert len(prompts(bot, pia)) == 2 and len(reminders(bot, pia)) == 2
    lines = await tick(bot, clock, local(FRIDAY, 0, 30))
    skipped = [line for line in lines if f"summary of standup {standup.id} in {team} " in line]
    assert skipped == [f"standup summaries: skipped standup summary of standup {standup.id} in {team} for 2026-12-03 "
                       "(due 2026-12-03T10:00+00:00, 13 h 30 min ago: past the 12 h grace)"], lines
    (row,) = [r for r in await deliveries(bot, team, SUMMARY_POST) if r.period == THURSDAY.isoformat()]
    assert row.status is S.SKIPPED and row.key == str(standup.id) and "past the 12 h grace" in (row.note or "")
    await tick(bot, clock, local(FRIDAY, 0, 31))
    assert len(summaries(bot, team, "Ops")) == 2
    # Friday is a day like any other.
    await tick(bot, clock, local(FRIDAY, 9, 30))
    await tick(bot, clock, local(FRIDAY, 11))
    assert len(prompts(bot, pia)) == 3 and [s.text.split(": ")[0] for s in summaries(bot, team, "Ops")] == [
        "Ops standup Tue Dec 1", "Ops standup Wed Dec 2", "Ops standup Fri Dec 4"]


# -- a timezone change between prompt and deadline ------------------------------------------------------

async def test_a_timezone_change_after_the_prompt_moves_the_reminder_and_the_summary_not_the_prompt(
        bot: Bot, team: str, clock: Clock) -> None:
    admin, bea, max_ = uid(team, "ADM"), uid(team, "BEA"), uid(team, "MAX")
    clock.set(local(MONDAY, 12))
    await people(bot, team, (admin, BERLIN, "Ada"), (bea, BERLIN, "Bea"), (max_, BERLIN, "Max"), admin=admin)
    standup = await set_up(bot, team, admin, "Movers", [bea, max_], owner=admin)
    await tick(bot, clock, local(MONDAY, 12, 1))
    await tick(bot, clock, local(TUESDAY, 9, 30))
    assert len(prompts(bot, bea)) == len(prompts(bot, max_)) == 1
    assert aware((await standup_row(bot, standup.id)).next_summary_at) == local(TUESDAY, 11)

    clock.set(local(TUESDAY, 9, 40))
    await meet(bot, team, max_, NEW_YORK, "Max")  # Max flew to New York: Slack says so
    await tick(bot, clock, local(TUESDAY, 10, 15))
    assert len(reminders(bot, bea)) == 1 and reminders(bot, max_) == []  # his 10:15 is New York's now
    await tick(bot, clock, local(TUESDAY, 11))
    assert summaries(bot, team, "Movers") == []  # his deadline is 11:00 New York
    lines = mine(await tick(bot, clock, at_local(TUESDAY, 9, 30, NEW_YORK)), max_)
    assert lines == [f"standup prompts: skipped standup prompt to {max_} in {team} (standup {standup.id}) "
                     f"for 2026-12-01 (already sent)"], lines
    assert len(prompts(bot, max_)) == 1  # the same day's prompt, not a second one
    await tick(bot, clock, at_local(TUESDAY, 10, 14, NEW_YORK))
    assert reminders(bot, max_) == []
    await tick(bot, clock, at_local(TUESDAY, 10, 15, NEW_YORK))
    assert reminders(bot, max_) == ["Reminder: your Movers standup for Tue Dec 1 is due at 11:00."]
    await tick(bot, clock, at_local(TUESDAY, 10, 59, NEW_YORK))
    assert summaries(bot, team, "Movers") == []
    await tick(bot, clock, at_local(TUESDAY, 11, 0, NEW_YORK))
    await tick(bot, clock, at_local(TUESDAY, 11, 1, NEW_YORK))
    (summary,) = summaries(bot, team, "Movers")
    assert "answered *0/2*" in block_text(summary.blocks)
    # Wednesday: each at 09:30 on their own clock.
    await tick(bot, clock, local(WEDNESDAY, 9, 30))
    assert (len(prompts(bot, bea)), len(prompts(bot, max_))) == (2, 1)
    await tick(bot, clock, at_local(WEDNESDAY, 9, 30, NEW_YORK))
    assert (len(prompts(bot, bea)), len(prompts(bot, max_))) == (2, 2)


# -- answers from the evening before ------------------------------------------------------------------

async def open_standup(bot: Bot, team: str, user: str) -> dict[str, Any]:
    """`/standup` alone: the answer form it opens."""
    status, body = await bot.slack.command(team, user, "/standup", "", channel_id="D" + user)
    assert status == 200, body
    await bot.settle()
    return last_view(bot, StandupView.ANSWER)


async def test_after_the_deadline_standup_opens_tomorrow_for_who_answered_and_today_late_for_who_did_not(
        bot: Bot, team: str, clock: Clock) -> None:
    admin, xena, yann = uid(team, "ADM"), uid(team, "XEN"), uid(team, "YAN")
    clock.set(local(MONDAY - timedelta(days=1), 12))  # set up on Sunday: Monday is everyone's first day
    await people(bot, team, (admin, BERLIN, "Ada"), (xena, BERLIN, "Xena"), (yann, KOLKATA, "Yann"), admin=admin)
    standup = await set_up(bot, team, admin, "Evening", [xena, yann], owner=admin)
    await tick(bot, clock, local(MONDAY, 8, 1))
    await tick(bot, clock, local(MONDAY, 9, 30))
    status, _ = await answer(bot, team, xena, fill_value(blocks_of(prompt_calls(bot, xena)[0].args)),
                             ["Monday work", "More", "none"])
    assert status == 200

    clock.set(local(MONDAY, 18))  # after Monday's deadline in both zones
    view = await open_standup(bot, team, xena)
    assert json.loads(view["private_metadata"])["d"] == TUESDAY.isoformat()
    assert "Tue Dec 1" in block_text(view["blocks"]) and "after the deadline" not in block_text(view["blocks"])
    status, _ = await submit(bot, team, xena, view, {"q0": "Planned tonight", "q1": "Tuesday things", "q2": "none"})
    assert status == 200
    view = await open_standup(bot, team, yann)
    assert json.loads(view["private_metadata"])["d"] == MONDAY.isoformat()
    assert "after the deadline: posted marked late" in block_text(view["blocks"])
    status, _ = await submit(bot, team, yann, view, {"q0": "Late", "q1": "Later", "q2": ""})
    assert status == 200
    xena_answers, yann_answers = await answers_of(bot, standup.id, xena), await answers_of(bot, standup.id, yann)
    assert {d: a.late for d, a in xena_answers.items()} == {MONDAY: False, TUESDAY: False}
    assert {d: a.late for d, a in yann_answers.items()} == {MONDAY: True}
    posted = [m for m in bot.fake.messages.get(channel_of(team), []) if "'s standup for" in m.text]
    assert [m.text for m in posted] == ["Xena's standup for Mon Nov 30", "Xena's standup for Tue Dec 1",
                                        "Yann's standup for Mon Nov 30"]
    view = await open_standup(bot, team, yann)  # answered Monday now: the next one is Tuesday's
    assert json.loads(view["private_metadata"])["d"] == TUESDAY.isoformat()

    # Tuesday: Xena answered already, so no prompt and no reminder; Yann gets both, at his 09:30 and 10:15.
    for at in (at_local(TUESDAY, 9, 30, KOLKATA), at_local(TUESDAY, 10, 15, KOLKATA),
               local(TUESDAY, 9, 30), local(TUESDAY, 10, 15), local(TUESDAY, 11)):
        await tick(bot, clock, at)
    assert len(prompts(bot, xena)) == 1 and reminders(bot, xena) == []
    # Yann's Monday prompt (09:30 in Kolkata) was before the standup existed; Tuesday's came.
    assert prompts(bot, yann) == ["Time for your Evening standup (Tue Dec 1)."] and len(reminders(bot, yann)) == 1
    for kind in (PROMPT_KIND, REMINDER_KIND):
        row = (await of_user(bot, team, kind, xena))[TUESDAY.isoformat()]
        assert row.status is S.DROPPED and row.note == "nothing left to say"
    tuesday = summaries(bot, team, "Evening")[-1]
    assert "Tue Dec 1" in tuesday.text and "answered *1/2*" in block_text(tuesday.blocks)


# -- two replicas -------------------------------------------------------------------------------------

async def test_two_replicas_ticking_at_once_send_each_prompt_reminder_and_summary_once(
        bot: Bot, team: str, clock: Clock) -> None:
    admin, rosa, omar = uid(team, "ADM"), uid(team, "ROS"), uid(team, "OMA")
    clock.set(local(MONDAY, 12))
    await people(bot, team, (admin, BERLIN, "Ada"), (rosa, BERLIN, "Rosa"), (omar, NEW_YORK, "Omar"), admin=admin)
    standup = await set_up(bot, team, admin, "Twice", [rosa, omar], owner=admin)
    await tick(bot, clock, local(MONDAY, 12, 1))
    other = Runtime.create(bot_settings(bot.rt.settings.database_url, bot.fake.api_url))
    build_app(other)  # a second process on the same database: its own engine, caches and duties
    try:
        instants = [local(TUESDAY, 9, 30), local(TUESDAY, 10, 15), at_local(TUESDAY, 9, 30, NEW_YORK),
                    at_local(TUESDAY, 10, 15, NEW_YORK), at_local(TUESDAY, 11, 0, NEW_YORK)]
        outcomes: list[str] = []
        for at in instants:
            clock.set(at)
            first, second = await asyncio.gather(duties.tick(bot.rt, at), duties.tick(other, at))
            await bot.settle()
            outcomes += mine(first, rosa, omar) + mine(second, rosa, omar)
            outcomes += [line for line in first + second if f"summary of standup {standup.id} in {team} " in line]
        sent = [line for line in outcomes if ": sent " in line]
        assert len(sent) == 5, outcomes  # two prompts, two reminders, one summary
        assert all(": sent " in line or ": skipped " in line for line in outcomes), outcomes
        assert (len(prompts(bot, rosa)), len(reminders(bot, rosa))) == (1, 1)
        assert (len(prompts(bot, omar)), len(reminders(bot, omar))) == (1, 1)
        assert len(summaries(bot, team, "Twice")) == 1

        # Wednesday: one replica claims the summary and its post fails (it crashed there); a later
        # tick, on the other replica, posts it once.
        for at in (local(WEDNESDAY, 9, 30), at_local(WEDNESDAY, 9, 30, NEW_YORK)):
            clock.set(at)
            await asyncio.gather(duties.tick(bot.rt, at), duties.tick(other, at))
        due = at_local(WEDNESDAY, 11, 0, NEW_YORK)
        bot.fake.fail("chat.postMessage", "fatal_error", match={"channel": channel_of(team)})
        lines = await tick(bot, clock, due)
        failed = [line for line in lines if f"summary of standup {standup.id} in {team} " in line]
        assert len(failed) == 1 and failed[0].startswith("standup summaries: failed"), failed
        assert summaries(bot, team, "Twice") == [summaries(bot, team, "Twice")[0]]  # Tuesday's only
        clock.set(due + MINUTE)  # a failed summary is tried again five minutes on, not every minute
        lines = await duties.tick(other, due + MINUTE)
        assert f"standup summaries: skipped standup summary of standup {standup.id} in {team} for 2026-12-02 " \
               "(failed recently; retried on a later tick)" in lines
        clock.set(due + 5 * MINUTE)
        lines = await duties.tick(other, due + 5 * MINUTE)
        await bot.settle()
        assert f"standup summaries: sent standup summary of standup {standup.id} in {team} for 2026-12-02" in lines
        for at in (due + 6 * MINUTE, due + timedelta(hours=1)):
            clock.set(at)
            await asyncio.gather(duties.tick(bot.rt, at), duties.tick(other, at))
        assert [s.text.split(":")[0] for s in summaries(bot, team, "Twice")] == [
            "Twice standup Tue Dec 1", "Twice standup Wed Dec 2"]
        (row,) = [r for r in await deliveries(bot, team, SUMMARY_POST) if r.period == WEDNESDAY.isoformat()]
        assert row.status is S.SENT and row.attempts == 2
        # Thursday's comes as usual.
        assert aware((await standup_row(bot, standup.id)).next_summary_at) == at_local(THURSDAY, 11, 0, NEW_YORK)
    finally:
        await other.close()


async def test_a_summary_whose_poster_died_mid_post_is_posted_once_after_its_claim_goes_stale(
        bot: Bot, team: str, clock: Clock) -> None:
    admin, una = uid(team, "ADM"), uid(team, "UNA")
    channel = channel_of(team)
    clock.set(local(MONDAY, 12))
    await people(bot, team, (admin, BERLIN, "Ada"), (una, BERLIN, "Una"), admin=admin)
    standup = await set_up(bot, team, admin, "Crash", [una], owner=admin)
    await tick(bot, clock, local(MONDAY, 12, 1))
    await tick(bot, clock, local(TUESDAY, 9, 30))
    arrived, release = asyncio.Event(), asyncio.Event()

    async def hang(args: dict[str, Any]) -> None:
        """The summary's post reaches Slack and the process dies before the answer comes back."""
        if args.get("channel") != channel:  # another workspace's post in the same tick: let it through
            bot.fake.before["chat.postMessage"] = hang
            return
        arrived.set()
        await release.wait()
        raise RuntimeError("nobody is left to read the answer")  # the fake answers 500: nothing was posted

    bot.fake.before["chat.postMessage"] = hang
    due = local(TUESDAY, 11)
    clock.set(due)
    crashed = asyncio.create_task(duties.tick(bot.rt, due))
    await asyncio.wait_for(arrived.wait(), 30)
    crashed.cancel()  # the claim was committed; no mark, no advance
    with contextlib.suppress(asyncio.CancelledError):
        await crashed
    release.set()
    (row,) = await deliveries(bot, team, SUMMARY_POST)
    assert row.status is S.CLAIMED and summaries(bot, team, "Crash") == []

    def about(lines: list[str]) -> list[str]:
        return [line for line in lines if f"summary of standup {standup.id} in {team} " in line]

    for at in (due + MINUTE, due + 9 * MINUTE):  # the claim is fresh: whoever holds it may still post
        assert about(await tick(bot, clock, at)) == [
            f"standup summaries: skipped standup summary of standup {standup.id} in {team} for 2026-12-01 "
            "(being sent by another process)"]
    assert summaries(bot, team, "Crash") == []
    lines = about(await tick(bot, clock, due + 11 * MINUTE))  # stale after 10 minutes: taken over
    assert lines == [f"standup summaries: sent standup summary of standup {standup.id} in {team} for 2026-12-01"]
    await tick(bot, clock, due + 12 * MINUTE)
    assert len(summaries(bot, team, "Crash")) == 1
    assert aware((await standup_row(bot, standup.id)).next_summary_at) == local(WEDNESDAY, 11)


# -- the dry run ------------------------------------------------------------------------------------------

async def run_cli(bot: Bot, *args: str) -> tuple[int, str]:
    """`prodops-bot` (python -m bot) against the session database and the fake Slack."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "PRODOPS_"))}
    env.update(PYTHONPATH=os.getcwd(), SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=bot.fake.api_url,
               DATABASE_URL=bot.rt.settings.database_url)
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", *args, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode or 0, (out + err).decode()


async def test_a_dry_run_lists_standup_prompts_and_the_summary_and_changes_nothing(
        bot: Bot, team: str, clock: Clock) -> None:
    admin, dora = uid(team, "ADM"), uid(team, "DOR")
    clock.set(local(MONDAY, 12))
    await people(bot, team, (admin, BERLIN, "Ada"), (dora, BERLIN, "Dora"), admin=admin)
    await prodops(bot, team, dora, "hours 09:30-18:00")  # her day starts with the prompt: a start due then too
    standup = await set_up(bot, team, admin, "Dry", [dora], owner=admin)
    await tick(bot, clock, local(MONDAY, 12, 1))
    await tick(bot, clock, local(TUESDAY, 9))
    before = (await members(bot, standup.id))[dora].next_at
    assert aware(before) == local(TUESDAY, 9, 30)
    start = await next_start(bot, team, dora)
    assert start == local(TUESDAY, 9, 30)
    prompt_line = (f"standup prompts: would send standup prompt to {dora} in {team} (standup {standup.id}) "
                   "for 2026-12-01")

    at = local(TUESDAY, 9, 30)
    clock.set(at)
    assert mine(await duties.tick(bot.rt, at, dry_run=True), dora) == [prompt_line]
    code, output = await run_cli(bot, "tick", "--at", "2026-12-01T09:30:00+01:00", "--dry-run")
    assert code == 0 and prompt_line in output.splitlines(), output
    after = await members(bot, standup.id)
    assert (after[dora].next_at, after[dora].next_event) == (before, "prompt")  # nothing moved
    assert await next_start(bot, team, dora) == start
    assert await of_user(bot, team, PROMPT_KIND, dora) == {} and bot.fake.posted(dora) == []  # nothing claimed or sent

    lines = mine(await tick(bot, clock, at), dora)  # the real tick does what the dry run said
    assert lines == [prompt_line.replace("would send", "sent")]
    assert await next_start(bot, team, dora) == local(WEDNESDAY, 9, 30)
    summary_at = (await standup_row(bot, standup.id)).next_summary_at
    clock.set(local(TUESDAY, 11))
    dry = [line for line in await duties.tick(bot.rt, local(TUESDAY, 11), dry_run=True)
           if f"of standup {standup.id} in {team} " in line]
    assert dry == [f"standup summaries: would send standup summary of standup {standup.id} in {team} for 2026-12-01"]
    assert (await standup_row(bot, standup.id)).next_summary_at == summary_at
    assert summaries(bot, team, "Dry") == [] and await deliveries(bot, team, SUMMARY_POST) == []
    await tick(bot, clock, local(TUESDAY, 11))
    assert len(summaries(bot, team, "Dry")) == 1


# -- blockers: the owner's DM, and the launch they name ---------------------------------------------------

async def test_the_owner_hears_of_each_blocker_once_at_their_working_time(bot: Bot, team: str, clock: Clock) -> None:
    owner, kavya = uid(team, "OWN"), uid(team, "KAV")
    clock.set(local(MONDAY, 12))
    await people(bot, team, (owner, BERLIN, "Olga"), (kavya, KOLKATA, "Kavya"), admin=owner)
    await set_up(bot, team, owner, "Blocked", [kavya], owner=owner)
    await tick(bot, clock, local(MONDAY, 12, 1))

    async def report(day: date, text: str, minute: int = 40) -> None:
        clock.set(at_local(day, 9, minute, KOLKATA))
        value = fill_value(blocks_of(prompt_calls(bot, kavya)[-1].args))
        status, _ = await answer(bot, team, kavya, value, ["Work", "More work", text])
        assert status == 200

    def told() -> list[str]:
        return [block_text(blocks_of(c.args)) for c in bot.fake.posted(owner)]

    await tick(bot, clock, at_local(TUESDAY, 9, 30, KOLKATA))
    await report(TUESDAY, "Waiting on legal")  # 05:10 in Berlin: the owner's day has not started
    await report(TUESDAY, "Waiting on legal for the DPA", minute=45)  # an edit: the same blocker
    (row,) = await deliveries(bot, team, BLOCKER_KIND)
    assert row.status is S.HELD and aware(row.next_at) == local(TUESDAY, 9)
    await tick(bot, clock, local(TUESDAY, 8, 59))
    assert told() == []
    await tick(bot, clock, local(TUESDAY, 9))
    (dm,) = told()
    assert "reported a blocker in *Blocked*" in dm and "Waiting on legal for the DPA" in dm  # as it reads now

    # Carried on Wednesday: no second DM. Cleared Thursday. Friday's is withdrawn before Olga's day
    # starts: nothing to tell. Monday's is new: told once, at 09:00 Berlin.
    next_monday = MONDAY + timedelta(days=7)
    days = ((WEDNESDAY, ["Waiting on legal for the DPA"]), (THURSDAY, ["none"]),
            (FRIDAY, ["Waiting on the vendor", "nothing"]), (next_monday, ["Waiting on the vendor again"]))
    for day, answers in days:
        await tick(bot, clock, at_local(day, 9, 30, KOLKATA))
        for minute, text in zip((40, 45), answers):
            await report(day, text, minute)
        await tick(bot, clock, local(day, 9))
        await tick(bot, clock, local(day, 10))
    assert len(told()) == 2 and "Waiting on the vendor again" in told()[1], told()
    statuses = [r.status for r in await deliveries(bot, team, BLOCKER_KIND)]
    assert statuses == [S.SENT, S.DROPPED, S.SENT]  # Friday's: nothing left to say


async def test_a_blocker_naming_a_launch_shows_on_its_checklist_and_go_no_go_until_cleared(
        bot: Bot, team: str, clock: Clock) -> None:
    admin, pat = uid(team, "ADM"), uid(team, "PAT")
    channel = channel_of(team)
    clock.set(local(MONDAY, 12))
    await people(bot, team, (admin, BERLIN, "Ada"), (pat, BERLIN, "Pat"), admin=admin)
    status, body = await bot.slack.command(team, admin, "/launch", 'new "Atlas" 2027-01-15', channel_id=channel)
    assert status == 200 and "Created" in body["text"], body
    await bot.settle()
    async with bot.rt.db.unit_of_work() as session:
        launch = await session.scalar(select(Launch).where(Launch.team_id == team, Launch.name == "Atlas"))
    assert launch is not None and launch.message_ts
    await set_up(bot, team, admin, "Core", [pat], owner=admin)
    await tick(bot, clock, local(MONDAY, 12, 1))

    async def report(day: date, text: str) -> None:
        await tick(bot, clock, local(day, 9, 30))
        clock.set(local(day, 9, 40))
        status, _ = await answer(bot, team, pat, fill_value(blocks_of(prompt_calls(bot, pat)[-1].args)),
                                 ["Work", "More work", text])
        assert status == 200

    def thread_lines() -> list[str]:
        return [m.text for m in bot.fake.messages.get(channel, [])
                if m.thread_ts == launch.message_ts and "Standup blocker" in m.text]

    def checklist() -> str:
        (message,) = [m for m in bot.fake.messages.get(channel, []) if m.ts == launch.message_ts]
        assert_valid_blocks(message.blocks)
        return block_text(message.blocks)

    async def go_no_go() -> str:
        status, _ = await bot.slack.command(team, admin, "/launch", 'go "Atlas"', channel_id=channel)
        assert status == 200
        await bot.settle()
        posted = [c for c in bot.fake.posted(channel) if c.args.get("text", "").startswith("Go/no-go for Atlas")]
        return block_text(blocks_of(posted[-1].args))

    assert "open blocker" not in checklist() and "NO-GO" not in await go_no_go()
    await report(TUESDAY, "Waiting on the Atlas API keys from legal")
    assert len(thread_lines()) == 1 and "Waiting on the Atlas API keys from legal" in thread_lines()[0]
    assert "1 open blocker" in checklist() and "Waiting on the Atlas API keys from legal" in checklist()
    decision = await go_no_go()
    assert "Recommendation: NO-GO* until the standup blocker naming it is cleared" in decision, decision
    assert "Waiting on the Atlas API keys from legal" in decision
    owner_dm = block_text(blocks_of(bot.fake.posted(admin)[-1].args))
    assert "It names the launch *Atlas*" in owner_dm

    await report(WEDNESDAY, "Waiting on the Atlas API keys from legal")  # carried: not said again
    assert len(thread_lines()) == 1 and "1 open blocker" in checklist()
    await report(THURSDAY, "none")  # cleared
    assert "open blocker" not in checklist() and "Waiting on the Atlas" not in checklist()
    decision = await go_no_go()
    assert "NO-GO" not in decision and "standup" not in decision.lower(), decision

    # A link to the checklist message names the launch too.
    link = f"https://acme.slack.com/archives/{channel}/p{launch.message_ts.replace('.', '')}"
    await report(FRIDAY, f"Sign-off on {link} is stuck")
    assert len(thread_lines()) == 2 and "1 open blocker" in checklist() and "Sign-off on" in checklist()
    assert "NO-GO" in await go_no_go()
    rows = await deliveries(bot, team, LAUNCH_LINE_KIND)
    assert [(r.status, r.period) for r in rows] == [(S.SENT, f"launch:{launch.id}")] * 2
