"""The working calendar and the notifier end to end (issue 11): people in their own zones and
hours, days off, quiet hours, the nudge budget, snooze, escalation, restarts, retries and two
processes, all through signed requests to the running app and `duties.tick` at chosen instants.

The session bot's own minute tick is held far away (tests/conftest.py): every instant here is
one the test picks, and the clock fixture is moved to it first, so the bot reads the same time.
A tick covers every workspace in the session database: each test keeps to its own people
(`mine`) and its own channel.
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot import duties
from bot.app import build_app
from bot.blocks import section
from bot.clock import Clock, now as clock_now
from bot.launches.duties import CHANNEL_STEP, NUDGE_KIND, THREAD_STEP
from bot.notify.notice import Message, Notice, NoticeKind
from bot.notify.send import notify
from bot.notify.snooze import SNOOZE_BLOCK, SnoozeAction
from bot.runtime import Runtime
from models.calendar import Snooze
from models.delivery import Delivery, DeliveryStatus as S
from models.launch import Launch, LaunchItem
from models.person import Person
from tests.blockkit import assert_valid_blocks, block_text
from tests.conftest import Bot, bot_settings
from tests.fake_slack import BOT_ID, BOT_USER_ID
from tests.fake_slack import Message as Posted
from tests.slack_requests import block_actions

BERLIN, NEW_YORK, KOLKATA, AUCKLAND = "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Auckland"
TUESDAY = date(2026, 12, 1)  # a working day under the default hours (Mon–Fri 09:00–18:00)
MINUTE = timedelta(minutes=1)


def local(day: date, hour: int, minute: int = 0, zone: str = BERLIN, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), ZoneInfo(zone))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def person_id(team: str, tag: str) -> str:
    """A user id unique to this test: ticks cover every workspace in the session database."""
    return f"U{tag}{team[-7:]}"


def channel_of(team: str) -> str:
    return "C" + team[-9:]


def mine(lines: list[str], person: str) -> list[str]:
    return [line for line in lines if f" {person} " in f"{line} "]


def nudge_lines(lines: list[str], person: str) -> list[str]:
    return [line for line in mine(lines, person) if line.startswith("launch nudges: ")]


async def tick(bot: Bot, clock: Clock, at: datetime) -> list[str]:
    """What the scheduler does at `at`: the clock reads `at`, and every duty runs once."""
    clock.set(at)
    return await duties.tick(bot.rt, at)


async def prodops(bot: Bot, team: str, user: str, text: str) -> dict[str, Any]:
    status, body = await bot.slack.command(team, user, "/prodops", text)
    assert status == 200, body
    await bot.settle()
    return body


async def meet(bot: Bot, team: str, user: str, zone: str) -> None:
    """Slack tells the bot about a person (user_change carries the whole user object)."""
    bot.fake.add_user(user, tz=zone)
    status, _ = await bot.slack.event(team, {"type": "user_change", "user": {
        "id": user, "team_id": team, "name": user.lower(), "real_name": user, "deleted": False, "is_bot": False,
        "tz": zone, "tz_offset": 0, "profile": {"real_name": user, "display_name": user}}})
    assert status == 200
    await bot.settle()


def admin(bot: Bot, team: str) -> str:
    user = person_id(team, "ADM")
    bot.fake.add_user(user, tz=BERLIN, is_admin=True)
    return user


async def new_launch(bot: Bot, team: str, owner: str, zone: str, name: str, launch_date: date) -> Launch:
    """A launch from the default template, owned by `owner`, its items unassigned (so theirs):
    Code complete T-10, Announcement and Terms T-7, QA and Enablement T-5, Macros T-3,
    Release notes T-2, Metrics review T+7."""
    bot.fake.add_user(owner, tz=zone)
    status, body = await bot.slack.command(team, owner, "/launch", f'new "{name}" {launch_date.isoformat()}',
                                           channel_id=channel_of(team))
    assert status == 200 and "Created" in body["text"], body
    await bot.settle()  # the owner is recorded in the people directory after the commit
    await duties.tick(bot.rt, clock_now())  # the scheduler's next minute computes their first start
    async with bot.rt.db.unit_of_work() as session:
        row = await session.scalar(select(Launch).where(Launch.team_id == team, Launch.name == name))
    assert row is not None and row.message_ts
    return row


async def items_of(bot: Bot, launch: Launch) -> dict[str, LaunchItem]:
    async with bot.rt.db.unit_of_work() as session:
        rows = (await session.scalars(select(LaunchItem).where(LaunchItem.launch_id == launch.id))).all()
    return {r.title: r for r in rows}


async def rows(bot: Bot, team: str, kind: str | None = None) -> list[Delivery]:
    async with bot.rt.db.unit_of_work() as session:
        query = select(Delivery).where(Delivery.team_id == team, Delivery.recipient.is_not(None))
        if kind is not None:
            query = query.where(Delivery.kind == kind)
        return list((await session.scalars(query.order_by(Delivery.id))).all())


async def nudge_rows(bot: Bot, team: str, person: str) -> dict[str, Delivery]:
    """The person's launch nudges by local date."""
    return {r.period: r for r in await rows(bot, team, NUDGE_KIND) if r.key == person}


async def next_start(bot: Bot, team: str, user: str) -> datetime | None:
    async with bot.rt.db.unit_of_work() as session:
        return aware(await session.scalar(select(Person.next_start_at).where(Person.team_id == team,
                                                                              Person.user_id == user)))


def dms(bot: Bot, person: str) -> list[str]:
    """What reached the person (a failed post is recorded by the fake but not kept)."""
    return [block_text(m.blocks) or m.text for m in bot.fake.messages.get(person, [])]


def aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


# -- test notice kinds, registered in the running app for one test -------------------------------

async def render_ping(_rt: Runtime, notice: Notice) -> list[Message]:
    text = f"Ping {notice.data.get('n', notice.key)}"
    return [Message(text, [section(text)])]


WAIT = NoticeKind("test.wait", "test reminders", render_ping, when_quiet="wait")
DROP = NoticeKind("test.drop", "test pings", render_ping, when_quiet="drop")


@contextmanager
def registered(*runtimes: Runtime, kinds: tuple[NoticeKind, ...] = (WAIT, DROP)) -> Iterator[None]:
    """Kinds a feature would declare, in the running app(s) for this test only."""
    saved = [dict(rt.notices) for rt in runtimes]
    try:
        for rt in runtimes:
            rt.notices.update({k.kind: k for k in kinds})
        yield
    finally:
        for rt, notices in zip(runtimes, saved):
            rt.notices.clear()
            rt.notices.update(notices)


def ping(team: str, to: str, kind: NoticeKind, key: str, period: str = "p1") -> Notice:
    return Notice(team, kind.kind, key, period, to, f"test ping {key} to {to}", {"n": key})


# -- 1. zones and DST ----------------------------------------------------------------------------

async def test_three_zones_each_nudged_at_nine_in_their_own_morning_and_not_before(
        bot: Bot, team: str, clock: Clock) -> None:
    monday = date(2026, 11, 30)
    zones = {AUCKLAND: "AKL", KOLKATA: "KOL", BERLIN: "BER"}  # +13:00 (DST), +05:30, +01:00
    people = {zone: person_id(team, tag) for zone, tag in zones.items()}
    clock.set(utc(2026, 11, 29, 10))  # Sunday everywhere (23:00 in Auckland)
    for zone, who in people.items():
        await new_launch(bot, team, who, zone, f"Launch {zones[zone]}", date(2026, 12, 3))
    bot.fake.reset()
    starts = {AUCKLAND: utc(2026, 11, 29, 20), KOLKATA: utc(2026, 11, 30, 3, 30), BERLIN: utc(2026, 11, 30, 8)}
    for zone, start in starts.items():
        assert start == local(monday, 9, zone=zone)
    got: dict[str, int] = {who: 0 for who in people.values()}
    for zone, start in starts.items():
        who = people[zone]
        before = await tick(bot, clock, start - MINUTE)
        assert all(mine(before, p) == [] for p in people.values())
        assert {p: len(dms(bot, p)) for p in people.values()} == got  # not a minute early
        lines = mine(await tick(bot, clock, start), who)
        assert len(lines) == 1 and lines[0].startswith(f"launch nudges: sent launch nudge to {who} in {team} "
                                                       f"for {monday.isoformat()}"), lines
        got[who] = 1
        assert {p: len(dms(bot, p)) for p in people.values()} == got  # theirs only, at their 09:00
        await tick(bot, clock, start + MINUTE)
        await tick(bot, clock, start + timedelta(hours=3))
        assert {p: len(dms(bot, p)) for p in people.values()} == got  # once
    for zone, who in people.items():
        (nudge,) = bot.fake.messages[who]
        assert_valid_blocks(nudge.blocks)
        assert "Good morning" in block_text(nudge.blocks) and "Code complete" in block_text(nudge.blocks)
        row = (await nudge_rows(bot, team, who))[monday.isoformat()]
        assert row.status is S.SENT and aware(row.sent_at) == starts[zone]
        # The next start is Tuesday's 09:00 in their zone, kept on the person (the tick's one query).
        assert await next_start(bot, team, who) == local(monday + timedelta(days=1), 9, zone=zone)


async def test_new_york_nine_on_both_sides_of_both_transitions_once(bot: Bot, team: str, clock: Clock) -> None:
    spring, autumn = person_id(team, "SPR"), person_id(team, "FAL")

    async def sent_at(who: str, instants: list[datetime]) -> list[datetime]:
        """The instants among `instants` (in order: time only moves forward) at which a tick DMed `who`."""
        hits = []
        for at in instants:
            before = len(dms(bot, who))
            await tick(bot, clock, at)
            if len(dms(bot, who)) > before:
                hits.append(at)
        return hits

    # Spring forward on Sunday 2026-03-08: Friday's 09:00 is 14:00 UTC (EST), Monday's 13:00 UTC (EDT).
    clock.set(utc(2026, 3, 5, 20))
    await new_launch(bot, team, spring, NEW_YORK, "Spring", date(2026, 3, 8))
    friday, monday = date(2026, 3, 6), date(2026, 3, 9)
    instants = [utc(2026, 3, 6, 13, 59), utc(2026, 3, 6, 14), utc(2026, 3, 6, 14, 1),
                utc(2026, 3, 9, 12, 59), utc(2026, 3, 9, 13), utc(2026, 3, 9, 13, 1), utc(2026, 3, 9, 14)]
    hits = await sent_at(spring, instants)
    assert hits == [local(friday, 9, zone=NEW_YORK), local(monday, 9, zone=NEW_YORK)]
    assert sorted(await nudge_rows(bot, team, spring)) == [friday.isoformat(), monday.isoformat()]

    # Fall back on Sunday 2026-11-01: Friday's 09:00 is 13:00 UTC (EDT), Monday's 14:00 UTC (EST).
    clock.set(utc(2026, 10, 29, 20))
    await new_launch(bot, team, autumn, NEW_YORK, "Autumn", date(2026, 11, 1))
    friday, monday = date(2026, 10, 30), date(2026, 11, 2)
    instants = [utc(2026, 10, 30, 12, 59), utc(2026, 10, 30, 13), utc(2026, 10, 30, 13, 1),
                utc(2026, 11, 2, 13), utc(2026, 11, 2, 13, 59), utc(2026, 11, 2, 14), utc(2026, 11, 2, 14, 1),
                utc(2026, 11, 2, 20)]
    hits = await sent_at(autumn, instants)
    assert hits == [local(friday, 9, zone=NEW_YORK), local(monday, 9, zone=NEW_YORK)]
    assert [h.astimezone(ZoneInfo(NEW_YORK)).time() for h in hits] == [time(9), time(9)]
    assert sorted(await nudge_rows(bot, team, autumn)) == [friday.isoformat(), monday.isoformat()]


async def test_a_start_inside_the_spring_forward_gap_is_started_once_that_day(
        bot: Bot, team: str, clock: Clock) -> None:
    early = person_id(team, "GAP")
    clock.set(utc(2026, 3, 7, 12))  # Saturday
    await new_launch(bot, team, early, NEW_YORK, "Night shift", date(2026, 3, 10))
    await prodops(bot, team, early, "hours 02:30-18:00 every day")  # 02:30 does not exist on 2026-03-08
    async with bot.rt.db.unit_of_work() as session:
        row = await session.scalar(select(Person).where(Person.team_id == team, Person.user_id == early))
    assert row is not None and (row.work_days, row.work_start, row.work_end) == (0b1111111, 150, 1080)
    bot.fake.reset()
    sunday = [utc(2026, 3, 8, 6, 29), utc(2026, 3, 8, 6, 59), utc(2026, 3, 8, 7), utc(2026, 3, 8, 7, 1),
              utc(2026, 3, 8, 7, 29), utc(2026, 3, 8, 7, 30), utc(2026, 3, 8, 7, 31), utc(2026, 3, 8, 8, 30),
              utc(2026, 3, 8, 15)]
    hits = []
    for at in sunday:
        before = len(dms(bot, early))
        await tick(bot, clock, at)
        if len(dms(bot, early)) > before:
            hits.append(at)
    assert hits == [utc(2026, 3, 8, 7, 30)]  # once, not skipped: 02:30 at the offset before the gap, 03:30 EDT
    # Monday's 02:30 exists again (EDT): 06:30 UTC.
    await tick(bot, clock, utc(2026, 3, 9, 6, 29))
    assert len(dms(bot, early)) == 1
    await tick(bot, clock, utc(2026, 3, 9, 6, 30))
    assert len(dms(bot, early)) == 2
    assert sorted(await nudge_rows(bot, team, early)) == ["2026-03-08", "2026-03-09"]


# -- 2. working hours, holidays, country presets, away ---------------------------------------------

async def test_days_off_get_no_nudge_and_the_next_working_day_does(bot: Bot, team: str, clock: Clock) -> None:
    short, away, german = person_id(team, "MTH"), person_id(team, "AWY"), person_id(team, "DEU")
    ops = admin(bot, team)
    clock.set(local(TUESDAY, 10))
    for who in (short, away, german):
        await new_launch(bot, team, who, BERLIN, f"Launch {who}", TUESDAY + timedelta(days=3))
    await prodops(bot, team, short, "hours 09:00-18:00 mon-thu")
    await prodops(bot, team, away, "away 2026-12-07 2026-12-08 conference")
    await prodops(bot, team, ops, "holidays add 2026-12-09 Offsite")
    bot.fake.reset()
    days = {d: local(d, 9) for d in (date(2026, 12, 3), date(2026, 12, 4), date(2026, 12, 7), date(2026, 12, 8),
                                      date(2026, 12, 9), date(2026, 12, 10))}  # Thu Fri Mon Tue Wed Thu
    for at in days.values():  # each working morning (the bot runs every day; nothing else is due)
        await tick(bot, clock, at)
        await tick(bot, clock, at + timedelta(hours=4))
    got = {who: sorted(await nudge_rows(bot, team, who)) for who in (short, away)}
    assert got[short] == ["2026-12-03", "2026-12-07", "2026-12-08", "2026-12-10"]  # not Friday; not the holiday
    assert got[away] == ["2026-12-03", "2026-12-04", "2026-12-10"]  # not while away; not the holiday
    assert len(dms(bot, short)) == 4 and len(dms(bot, away)) == 3
    for who in (short, away):
        assert all(r.status is S.SENT for r in (await nudge_rows(bot, team, who)).values())
    # Nothing was even attempted on a day off: the day start skipped it.
    assert await next_start(bot, team, short) == local(date(2026, 12, 14), 9)

    # A country preset: Germany's Christmas Day (a Friday) is off; Monday the 28th is not.
    await prodops(bot, team, ops, "holidays country DE")
    bot.fake.reset()
    for day in (date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 28)):
        await tick(bot, clock, local(day, 9))
    got_de = sorted(await nudge_rows(bot, team, german))
    assert "2026-12-25" not in got_de and got_de[-2:] == ["2026-12-24", "2026-12-28"]
    assert await next_start(bot, team, german) == local(date(2026, 12, 29), 9)


# -- 3. quiet hours --------------------------------------------------------------------------------

async def test_quiet_hours_hold_a_waiting_notice_until_the_next_working_morning(
        bot: Bot, team: str, clock: Clock) -> None:
    who = person_id(team, "QUI")
    await meet(bot, team, who, KOLKATA)
    friday = date(2026, 12, 4)
    evening, monday = local(friday, 20, zone=KOLKATA), local(date(2026, 12, 7), 9, zone=KOLKATA)
    with registered(bot.rt):
        clock.set(evening)
        held = await notify(bot.rt, ping(team, who, WAIT, "report"))
        dropped = await notify(bot.rt, ping(team, who, DROP, "blip"))
        assert held.verb == "held" and dropped.verb == "dropped"
        assert bot.fake.posted(who) == []
        by_kind = {r.kind: r for r in await rows(bot, team)}
        wait_row, drop_row = by_kind[WAIT.kind], by_kind[DROP.kind]
        assert wait_row.status is S.HELD and aware(wait_row.next_at) == monday == utc(2026, 12, 7, 3, 30)
        assert wait_row.note == "outside working hours: held until Mon 2026-12-07 09:00 IST"
        assert drop_row.status is S.DROPPED and drop_row.next_at is None and drop_row.note == "outside working hours"
        assert (await notify(bot.rt, ping(team, who, WAIT, "report"))).verb == "skipped"  # stored once
        for at in (local(date(2026, 12, 5), 9, zone=KOLKATA), monday - MINUTE):  # the weekend, then not yet
            assert mine(await tick(bot, clock, at), who) == []
        lines = mine(await tick(bot, clock, monday), who)
        assert lines == [f"notifications: sent test ping report to {who}"]
        (sent,) = bot.fake.posted(who)
        assert "Ping report" in block_text(sent.args["blocks"])
        await tick(bot, clock, monday + MINUTE)
        assert len(bot.fake.posted(who)) == 1
        by_kind = {r.kind: r for r in await rows(bot, team)}
        assert by_kind[WAIT.kind].status is S.SENT and aware(by_kind[WAIT.kind].sent_at) == monday
        assert by_kind[DROP.kind].status is S.DROPPED  # never sent later


# -- 4. the budget ---------------------------------------------------------------------------------

async def test_the_daily_budget_folds_the_third_nudge_into_the_next_days_first(
        bot: Bot, team: str, clock: Clock) -> None:
    who, ops = person_id(team, "BUD"), admin(bot, team)
    clock.set(local(TUESDAY, 7))
    await new_launch(bot, team, who, BERLIN, "Budgeted", TUESDAY + timedelta(days=3))
    await prodops(bot, team, ops, "budget 2")
    bot.fake.reset()
    wednesday = TUESDAY + timedelta(days=1)
    with registered(bot.rt):
        await tick(bot, clock, local(TUESDAY, 9))  # 1: the launch nudge
        clock.set(local(TUESDAY, 10))
        assert (await notify(bot.rt, ping(team, who, WAIT, "second"))).verb == "sent"  # 2
        clock.set(local(TUESDAY, 11))
        third = await notify(bot.rt, ping(team, who, WAIT, "third"))
        assert third.verb == "folded" and third.detail == "over the budget of 2 nudges a day"
        assert len(dms(bot, who)) == 2
        (folded,) = [r for r in await rows(bot, team, WAIT.kind) if r.key == "third"]
        assert folded.status is S.FOLDED and folded.folded_into is None and folded.next_at is None
        # The next local day's first nudge says what was held back.
        await tick(bot, clock, local(wednesday, 9))
        assert len(dms(bot, who)) == 3
        text = dms(bot, who)[-1]
        assert "Good morning" in text and "…and 1 more nudge held back by your daily limit (test reminders)." in text
        first = (await nudge_rows(bot, team, who))[wednesday.isoformat()]
        (folded,) = [r for r in await rows(bot, team, WAIT.kind) if r.key == "third"]
        assert folded.status is S.FOLDED and folded.folded_into == first.id
        # Said once: the day's second nudge carries no fold line.
        clock.set(local(wednesday, 10))
        assert (await notify(bot.rt, ping(team, who, WAIT, "fourth"))).verb == "sent"
        assert "more nudge" not in dms(bot, who)[-1] and "Ping fourth" in dms(bot, who)[-1]


# -- 5. snooze -------------------------------------------------------------------------------------

def snooze_click(bot: Bot, team: str, who: str, posted: Posted, action_id: str, key: str,
                 value: str | None = None) -> dict[str, Any]:
    """The block_actions payload Slack sends for a click on the posted DM's snooze button."""
    (block,) = [b for b in posted.blocks if b.get("block_id") == SNOOZE_BLOCK]
    (element,) = [e for e in block["elements"] if e["action_id"] == action_id]
    action = {"action_id": element["action_id"], "block_id": SNOOZE_BLOCK, "type": "button",
              "text": element["text"], "value": element["value"] if value is None else value}
    message = {"type": "message", "ts": posted.ts, "text": posted.text, "blocks": posted.blocks,
               "user": BOT_USER_ID, "bot_id": BOT_ID, "team": team}
    payload = block_actions(team, who, [action], channel_id=posted.channel, message=message,
                            response_url=bot.fake.response_url(key))
    payload["container"] = {"type": "message", "message_ts": posted.ts, "channel_id": posted.channel,
                            "is_ephemeral": False}
    payload["channel"] = {"id": posted.channel, "name": "directmessage"}
    return payload


async def snoozes(bot: Bot, team: str) -> dict[tuple[str, str], datetime]:
    async with bot.rt.db.unit_of_work() as session:
        found = (await session.execute(select(Snooze.user_id, Snooze.kind, Snooze.until)
                                       .where(Snooze.team_id == team))).all()
    return {(u, k): aware(until) for u, k, until in found}  # type: ignore[misc]


async def test_snooze_until_tomorrow_and_for_a_week_from_a_real_nudge(bot: Bot, team: str, clock: Clock) -> None:
    day_one, week_one = person_id(team, "SND"), person_id(team, "SNW")
    clock.set(local(TUESDAY, 7))
    for who in (day_one, week_one):
        await new_launch(bot, team, who, BERLIN, f"Launch {who}", TUESDAY + timedelta(days=9))
    bot.fake.reset()
    await tick(bot, clock, local(TUESDAY, 9))
    (nudge,) = bot.fake.messages[day_one]
    assert "Snooze until tomorrow" in block_text(nudge.blocks)

    clock.set(local(TUESDAY, 10))
    status, _ = await bot.slack.interaction(snooze_click(bot, team, day_one, nudge, SnoozeAction.DAY, "day"))
    assert status == 200
    await bot.settle()
    wednesday = TUESDAY + timedelta(days=1)
    assert await snoozes(bot, team) == {(day_one, NUDGE_KIND): local(wednesday, 9)}  # the start of tomorrow's day
    ((key, reply),) = bot.fake.responses
    assert key == "day" and reply["replace_original"] is True
    assert_valid_blocks(reply["blocks"])
    assert all(b.get("block_id") != SNOOZE_BLOCK for b in reply["blocks"])
    replaced = block_text(reply["blocks"])
    assert "Launch nudges snoozed until Wed 02 Dec 09:00 CET" in replaced
    assert "Snooze" not in replaced.replace("snoozed", "") and "Mark done" in replaced  # the rest is kept
    assert reply["text"] == nudge.text

    (nudge,) = bot.fake.messages[week_one]
    status, _ = await bot.slack.interaction(snooze_click(bot, team, week_one, nudge, SnoozeAction.WEEK, "week"))
    assert status == 200
    await bot.settle()
    week_end = local(TUESDAY + timedelta(days=7), 10)
    assert (await snoozes(bot, team))[(week_one, NUDGE_KIND)] == week_end
    assert "Launch nudges snoozed until Tue 08 Dec 10:00 CET" in block_text(dict(bot.fake.responses)["week"]["blocks"])

    # Every working morning: until tomorrow ends at tomorrow's start; a week covers the next seven days.
    mornings = [TUESDAY + timedelta(days=n) for n in (1, 2, 3, 6, 7, 8)]  # Wed Thu Fri Mon Tue Wed
    for day in mornings:
        await tick(bot, clock, local(day, 9))
    day_rows = await nudge_rows(bot, team, day_one)
    assert {p: r.status for p, r in day_rows.items()} == {d.isoformat(): S.SENT for d in [TUESDAY, *mornings]}
    week_rows = await nudge_rows(bot, team, week_one)
    assert week_rows[TUESDAY.isoformat()].status is S.SENT
    for day in mornings[:-1]:
        row = week_rows[day.isoformat()]
        assert row.status is S.DROPPED and row.note == "snoozed until Tue 2026-12-08 10:00 CET", (day, row.note)
    assert week_rows[mornings[-1].isoformat()].status is S.SENT  # the day after the week
    assert len(dms(bot, week_one)) == 2 and len(dms(bot, day_one)) == 1 + len(mornings)


async def test_a_snooze_holds_a_waiting_kind_until_it_ends(bot: Bot, team: str, clock: Clock) -> None:
    who = person_id(team, "SNH")
    await meet(bot, team, who, BERLIN)
    with registered(bot.rt):
        clock.set(local(TUESDAY, 10))
        assert (await notify(bot.rt, ping(team, who, WAIT, "first"))).verb == "sent"
        (first,) = bot.fake.messages[who]
        status, _ = await bot.slack.interaction(snooze_click(bot, team, who, first, SnoozeAction.DAY, "s"))
        assert status == 200
        await bot.settle()
        assert "Test reminders snoozed until Wed 02 Dec 09:00 CET" in block_text(bot.fake.responses[0][1]["blocks"])
        clock.set(local(TUESDAY, 11))
        held = await notify(bot.rt, ping(team, who, WAIT, "second"))
        assert held.verb == "held" and held.detail == "snoozed until Wed 2026-12-02 09:00 CET"
        other = await notify(bot.rt, ping(team, who, DROP, "other kind"))  # a snooze is for its kind only
        assert other.verb == "sent"
        wednesday = local(TUESDAY + timedelta(days=1), 9)
        assert mine(await tick(bot, clock, wednesday - MINUTE), who) == []
        assert mine(await tick(bot, clock, wednesday), who) == [f"notifications: sent test ping second to {who}"]
        assert [t.split("\n")[0] for t in dms(bot, who)] == ["Ping first", "Ping other kind", "Ping second"]


async def test_a_stale_or_forged_snooze_button_changes_nothing(bot: Bot, team: str, clock: Clock) -> None:
    who = person_id(team, "SNF")
    clock.set(local(TUESDAY, 7))
    await new_launch(bot, team, who, BERLIN, "Forged", TUESDAY + timedelta(days=3))
    bot.fake.reset()
    await tick(bot, clock, local(TUESDAY, 9))
    (nudge,) = bot.fake.messages[who]
    bot.fake.reset()
    clock.set(local(TUESDAY, 10))
    forged = ["{not json", json.dumps({"k": "no.such.kind"}), json.dumps({"k": THREAD_STEP}), json.dumps({}), ""]
    for n, value in enumerate(forged):
        payload = snooze_click(bot, team, who, nudge, SnoozeAction.DAY, f"f{n}", value=value)
        status, _ = await bot.slack.interaction(payload)
        assert status == 200
    await bot.settle()
    assert await snoozes(bot, team) == {}
    told = [c.args["text"] for c in bot.fake.calls if c.method == "chat.postEphemeral" and c.args.get("user") == who]
    assert told == ["That button is out of date; nothing was snoozed."] * len(forged)  # privately, where clicked
    assert bot.fake.posted(who) == []
    assert all(not r[1].get("replace_original") for r in bot.fake.responses)  # the nudge is left as it was
    await tick(bot, clock, local(TUESDAY + timedelta(days=1), 9))
    assert (await nudge_rows(bot, team, who))["2026-12-02"].status is S.SENT


# -- 6. escalation ---------------------------------------------------------------------------------

async def test_an_overdue_item_escalates_to_the_thread_then_the_channel_each_step_once(
        bot: Bot, team: str, clock: Clock) -> None:
    who = person_id(team, "ESC")
    clock.set(local(TUESDAY, 7))
    # Launch on Thu 10 Dec: Code complete was due Mon 30 Nov (overdue); Announcement and Terms Thu 3 Dec.
    launch = await new_launch(bot, team, who, BERLIN, "Escalating", date(2026, 12, 10))
    items = await items_of(bot, launch)
    channel = channel_of(team)  # the fake keeps the checklist message: a check-off updates it in place
    assert dms(bot, who) == []

    def thread_lines(title: str) -> list[str]:
        return [m.text for m in bot.fake.messages.get(channel, [])
                if m.thread_ts == launch.message_ts and title in m.text and "is still open" in m.text]

    def channel_posts(title: str) -> list[str]:
        return [m.text for m in bot.fake.messages.get(channel, [])
                if m.thread_ts is None and title in m.text and "is still open" in m.text]

    # A scheduler ticks a few seconds into each minute; day 3's morning tick comes a few minutes late.
    day = [TUESDAY + timedelta(days=n) for n in range(8)]  # Tue … the next Tue
    await tick(bot, clock, local(day[0], 9, 0, second=20))  # day 1: the DM
    assert len(dms(bot, who)) == 1 and "Code complete" in dms(bot, who)[0]
    assert thread_lines("Code complete") == [] and channel_posts("Code complete") == []
    steps = {(r.kind, r.key): r for r in await rows(bot, team) if r.kind in (THREAD_STEP, CHANNEL_STEP)}
    code = items["Code complete"]
    assert set(steps) == {(THREAD_STEP, f"item:{code.id}")}  # the channel step follows only a thread line

    await tick(bot, clock, local(day[1], 9, 0, second=10))  # not yet 24 h
    assert thread_lines("Code complete") == []
    await tick(bot, clock, local(day[1], 9, 1, second=10))  # day 2, after 24 h: a line in the checklist thread
    (line,) = thread_lines("Code complete")
    assert f"<@{who}>" in line and "was due 2026-11-30" in line
    assert channel_posts("Code complete") == []
    await tick(bot, clock, local(day[1], 15))  # re-ticks repeat nothing
    assert len(thread_lines("Code complete")) == 1

    await tick(bot, clock, local(day[2], 9, 5, second=10))  # day 3: once in the channel
    (post,) = channel_posts("Code complete")
    assert "Overdue on *Escalating*" in post and f"<@{who}>" in post
    assert len(thread_lines("Code complete")) == 1

    # Day 4: Announcement and Terms are overdue now; Terms is checked off before its step fires.
    await tick(bot, clock, local(day[3], 9, 0, second=10))
    clock.set(local(day[3], 12))
    terms = items["Terms review"]
    toggle = {"action_id": "launch.item.toggle", "block_id": f"launch.item.{launch.id}.{terms.id}", "type": "button",
              "value": json.dumps({"l": launch.id, "i": terms.id, "d": True})}
    status, _ = await bot.slack.interaction(block_actions(team, who, [toggle], channel_id=channel))
    assert status == 200
    await bot.settle()
    # The steps name the person: held over the weekend (not their working days), sent on Monday.
    for at in (local(day[4], 9, 0, second=30), local(day[4], 9, 1, second=30), local(day[5], 9, 1, second=30),
               local(day[5], 12)):
        await tick(bot, clock, at)
    assert thread_lines("Announcement drafted") == []
    await tick(bot, clock, local(day[6], 9, 0, second=30))  # Monday: the thread line
    assert len(thread_lines("Announcement drafted")) == 1 and channel_posts("Announcement drafted") == []
    for at in (local(day[6], 15), local(day[7], 9, 0, second=20), local(day[7], 9, 1, second=20)):
        await tick(bot, clock, at)  # Tuesday, a day after the thread line: the channel
    assert len(thread_lines("Announcement drafted")) == 1 and len(channel_posts("Announcement drafted")) == 1
    assert thread_lines("Terms review") == [] and channel_posts("Terms review") == []
    steps = {(r.kind, r.key): r for r in await rows(bot, team) if r.kind in (THREAD_STEP, CHANNEL_STEP)}
    assert steps[(THREAD_STEP, f"item:{terms.id}")].status is S.DROPPED
    assert steps[(THREAD_STEP, f"item:{terms.id}")].note == "nothing left to say"
    assert (CHANNEL_STEP, f"item:{terms.id}") not in steps  # a chain stops where a step had nothing to say
    for kind in (THREAD_STEP, CHANNEL_STEP):
        assert steps[(kind, f"item:{code.id}")].status is S.SENT
    # The daily nudges went on naming Code complete; its steps never came again.
    assert len(dms(bot, who)) == 6 and all("Code complete" in t for t in dms(bot, who))  # Tue–Fri, Mon, Tue
    assert len(thread_lines("Code complete")) == 1 and len(channel_posts("Code complete")) == 1
    async with bot.rt.db.unit_of_work() as session:
        assert await session.scalar(select(Launch.message_ts).where(Launch.id == launch.id)) == launch.message_ts


# -- 7. restarts: inside and outside the grace -----------------------------------------------------

async def test_a_restart_inside_the_grace_sends_and_outside_it_records_the_skip(
        bot: Bot, team: str, clock: Clock) -> None:
    who = person_id(team, "RST")
    clock.set(local(TUESDAY, 7))
    await new_launch(bot, team, who, BERLIN, "Restarted", TUESDAY + timedelta(days=3))
    bot.fake.reset()
    await tick(bot, clock, local(TUESDAY, 8, 59))  # up before the day starts; then down over 09:00
    lines = nudge_lines(await tick(bot, clock, local(TUESDAY, 14)), who)  # back 5 h later: inside the 12 h grace
    assert len(lines) == 1 and lines[0].startswith("launch nudges: sent"), lines
    assert len(dms(bot, who)) == 1

    wednesday = TUESDAY + timedelta(days=1)
    await tick(bot, clock, local(wednesday, 8, 59))
    lines = nudge_lines(await tick(bot, clock, local(wednesday, 23)), who)  # back 14 h later: past the grace
    (line,) = lines
    assert line.startswith(f"launch nudges: skipped launch nudge to {who} in {team} for 2026-12-02 ")
    assert line.endswith("(due 2026-12-02T08:00+00:00, 14 h ago: past the 12 h grace)"), line
    skipped = (await nudge_rows(bot, team, who))[wednesday.isoformat()]
    assert skipped.status is S.SKIPPED and "past the 12 h grace" in (skipped.note or "")
    for at in (local(wednesday, 23, 1), local(wednesday, 23, 30)):
        assert nudge_lines(await tick(bot, clock, at), who) == []
    assert len(dms(bot, who)) == 1  # never sent later

    await bot.slack.command(team, who, "/prodops", "status", response_url=bot.fake.response_url("status"))
    await bot.settle()
    (_, reply), = bot.fake.responses
    rendered = block_text(reply["blocks"])
    assert "*Skipped* (past their grace while the bot was down):" in rendered
    assert f"launch nudge to {who} in {team} for 2026-12-02" in rendered and "past the 12 h grace" in rendered

    thursday = wednesday + timedelta(days=1)
    await tick(bot, clock, local(thursday, 9))  # the next day is its own
    assert len(dms(bot, who)) == 2
    assert (await nudge_rows(bot, team, who))[wednesday.isoformat()].status is S.SKIPPED


async def test_back_after_days_down_the_missed_start_is_skipped_and_todays_is_sent(
        bot: Bot, team: str, clock: Clock) -> None:
    who = person_id(team, "OUT")
    clock.set(local(TUESDAY, 7))
    await new_launch(bot, team, who, BERLIN, "Outage", TUESDAY + timedelta(days=3))
    bot.fake.reset()
    await tick(bot, clock, local(TUESDAY, 8, 59))  # up before Tuesday's start; then down until Wednesday
    wednesday = TUESDAY + timedelta(days=1)
    lines = nudge_lines(await tick(bot, clock, local(wednesday, 10)), who)
    assert [line.split(" launch nudge")[0] for line in lines] == ["launch nudges: skipped", "launch nudges: sent"], lines
    got = await nudge_rows(bot, team, who)
    assert got[TUESDAY.isoformat()].status is S.SKIPPED  # Tuesday's: past the grace, recorded
    assert got[wednesday.isoformat()].status is S.SENT  # Wednesday's began an hour ago: inside it
    assert len(dms(bot, who)) == 1
    assert await next_start(bot, team, who) == local(wednesday + timedelta(days=1), 9)
    assert nudge_lines(await tick(bot, clock, local(wednesday, 10, 1)), who) == []


# -- 8. a failed post, retried with backoff --------------------------------------------------------

async def test_a_failed_post_is_retried_with_backoff_and_sent_once(bot: Bot, team: str, clock: Clock) -> None:
    who = person_id(team, "RTY")
    clock.set(local(TUESDAY, 7))
    await new_launch(bot, team, who, BERLIN, "Retried", TUESDAY + timedelta(days=3))
    bot.fake.reset()
    bot.fake.fail("chat.postMessage", "fatal_error", match={"channel": who})
    start = local(TUESDAY, 9)
    lines = mine(await tick(bot, clock, start), who)
    assert len(lines) == 1 and lines[0].startswith("launch nudges: failed") and "fatal_error" in lines[0], lines
    row = (await nudge_rows(bot, team, who))[TUESDAY.isoformat()]
    assert row.status is S.FAILED and aware(row.next_at) == start + MINUTE and row.attempts == 1
    assert row.last_error == "fatal_error" and dms(bot, who) == []
    assert mine(await tick(bot, clock, start + timedelta(seconds=30)), who) == []  # not before its time
    lines = mine(await tick(bot, clock, start + MINUTE), who)
    assert lines == [f"notifications: sent {row.what}"]
    assert len(bot.fake.posted(who)) == 2 and len(dms(bot, who)) == 1  # one failed call, one message
    row = (await nudge_rows(bot, team, who))[TUESDAY.isoformat()]
    assert row.status is S.SENT and row.attempts == 2 and row.next_at is None
    await tick(bot, clock, start + 2 * MINUTE)
    assert len(dms(bot, who)) == 1


# -- 9. two processes ------------------------------------------------------------------------------

async def test_two_processes_ticking_the_same_instant_send_one_dm(bot: Bot, team: str, clock: Clock) -> None:
    starter, waiter = person_id(team, "TWA"), person_id(team, "TWB")
    clock.set(local(TUESDAY, 7))
    await new_launch(bot, team, starter, BERLIN, "Twice", TUESDAY + timedelta(days=3))
    await meet(bot, team, waiter, BERLIN)
    other = Runtime.create(bot_settings(bot.rt.settings.database_url, bot.fake.api_url))
    build_app(other)  # a second process: its own engine, caches and duties; no server, no scheduler
    try:
        with registered(bot.rt, other):
            clock.set(local(TUESDAY - timedelta(days=1), 20))
            assert (await notify(bot.rt, ping(team, waiter, WAIT, "overnight"))).verb == "held"
            bot.fake.reset()
            at = local(TUESDAY, 9)
            clock.set(at)
            first, second = await asyncio.gather(duties.tick(bot.rt, at), duties.tick(other, at))
    finally:
        await other.close()
    for who in (starter, waiter):
        outcomes = mine(first, who) + mine(second, who)
        assert len([line for line in outcomes if ": sent " in line]) == 1, outcomes
        assert all(": sent " in line or ": skipped " in line for line in outcomes), outcomes
        assert len(bot.fake.posted(who)) == 1
    # Whether the second process still finds the day start depends on whether the first has moved
    # it on yet (the sweep now runs first, so that interleaving varies): either way one DM is sent.
    assert mine(first, starter) or mine(second, starter)
    assert (await nudge_rows(bot, team, starter))[TUESDAY.isoformat()].attempts == 1


# -- 10. a dry run decides as the notifier would ----------------------------------------------------

async def test_a_dry_run_says_what_the_real_tick_will_do_with_quiet_hours(bot: Bot, team: str, clock: Clock) -> None:
    """A person whose day is 08:00–09:00, back at 10:00 (within the nudge's grace): the real tick
    drops the nudge (outside working hours) and the dry run says so, instead of "would send"."""
    who = person_id(team, "DRY")
    clock.set(local(TUESDAY, 6))
    await new_launch(bot, team, who, BERLIN, "Short days", TUESDAY + timedelta(days=3))
    await prodops(bot, team, who, "hours 08:00-09:00 mon-fri")
    await tick(bot, clock, local(TUESDAY, 7))  # the start is 08:00 today
    bot.fake.reset()
    at = local(TUESDAY, 10)
    clock.set(at)
    (dry,) = nudge_lines(await duties.tick(bot.rt, at, dry_run=True), who)
    assert dry.startswith(f"launch nudges: would drop launch nudge to {who}") and dry.endswith("(outside working hours)")
    (real,) = nudge_lines(await duties.tick(bot.rt, at), who)
    assert real.startswith(f"launch nudges: dropped launch nudge to {who}") and real.endswith("(outside working hours)")
    assert dms(bot, who) == []


async def test_status_counts_only_this_workspaces_notifications(bot: Bot, team: str, clock: Clock) -> None:
    who = person_id(team, "STA")
    clock.set(local(TUESDAY, 7))
    await new_launch(bot, team, who, BERLIN, "Counted", TUESDAY + timedelta(days=3))
    await tick(bot, clock, local(TUESDAY, 8))
    await tick(bot, clock, local(TUESDAY, 9, 1))
    assert len(dms(bot, who)) == 1

    async def status_of(team_id: str, user: str) -> str:
        bot.fake.reset()
        await bot.slack.command(team_id, user, "/prodops", "status", response_url=bot.fake.response_url("status"))
        await bot.settle()
        (_, reply), = bot.fake.responses
        return block_text(reply["blocks"])

    assert "launch nudges, last 24 h: 1 sent" in await status_of(team, who)
    other = "T" + team[1:-1] + "Z"
    bot.fake.add_user("UOTHERSTA", tz=BERLIN)
    shown = await status_of(other, "UOTHERSTA")
    assert "launch nudges, last 24 h" not in shown and "Notifications in this workspace:* 0 waiting" in shown


async def test_someone_met_after_their_day_started_is_first_nudged_next_morning_not_skipped(
        bot: Bot, team: str, clock: Clock) -> None:
    """The bot was up all along: a start that was behind them when the bot met them is not
    'skipped while the bot was down', and no 'Good morning' arrives late in their afternoon."""
    who = person_id(team, "NEW")
    clock.set(local(TUESDAY, 15))
    await new_launch(bot, team, who, BERLIN, "Met late", TUESDAY + timedelta(days=3))
    assert nudge_lines(await tick(bot, clock, local(TUESDAY, 15, 1)), who) == []
    assert dms(bot, who) == [] and await nudge_rows(bot, team, who) == {}
    lines = nudge_lines(await tick(bot, clock, local(TUESDAY + timedelta(days=1), 9)), who)
    assert len(lines) == 1 and lines[0].startswith("launch nudges: sent") and len(dms(bot, who)) == 1
