"""Duties and `tick` (bot/duties.py): the minute tick runs every feature's due work once per
instant, with the delivery claims, across processes; `prodops-bot tick` runs it from the CLI.

The session bot's own minute tick is held far in the future (tests/conftest.py), so these tests
choose every instant: the clock fixture for what the bot reads, `tick(at)` for due work.
"""
from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot import duties
from bot.__main__ import parse_at
from bot.app import build_app
from bot.calendar.starts import RECHECK_AFTER, Starts, advance, due_query, starts_due
from bot.duties import Duties, Duty, WorkItem
from bot.clock import Clock
from bot.launches.duties import NUDGE_KIND
from bot.runtime import Runtime
from models.calendar import AwayPeriod
from models.delivery import Delivery, DeliveryStatus
from models.person import Person
from models.workspace import Workspace
from tests.blockkit import block_text
from tests.conftest import Bot, bot_settings
from tests.slack_requests import BOT_TOKEN

CHANNEL = "CDUTY01"


ZONE = "Europe/Berlin"
TUESDAY = date(2026, 12, 1)  # a working day under the default hours (Mon–Fri 09:00–18:00)


def local(day: date, hour: int, minute: int = 0, zone: str = ZONE) -> datetime:
    return datetime.combine(day, time(hour, minute), ZoneInfo(zone))


async def launch_for(bot: Bot, team: str, owner: str, clock: Clock, zone: str = ZONE) -> None:
    """A launch in 3 days from the default template, created early on TUESDAY in `zone`: its
    items are overdue or due by tomorrow, unassigned, so they go to the owner."""
    clock.set(local(TUESDAY, 6, zone=zone))
    bot.fake.add_user(owner, tz=zone)
    when = (TUESDAY + timedelta(days=3)).isoformat()
    status, _ = await bot.slack.command(team, owner, "/launch", f'new "Duty launch" {when}', channel_id=CHANNEL)
    assert status == 200
    await bot.settle()
    await duties.tick(bot.rt, clock.now())  # the scheduler's next minute: their first start is computed
    bot.fake.reset()
    bot.fake.add_user(owner, tz=zone)


def mine(lines: list[str], person: str) -> list[str]:
    """The session database holds every test's launches: keep this test's person's lines."""
    return [line for line in lines if f" {person} " in line]


async def test_a_tick_at_the_start_of_the_working_day_sends_the_launch_nudge_once(
        bot: Bot, team: str, clock: Clock) -> None:
    owner = "UD" + team[-7:]
    await launch_for(bot, team, owner, clock)
    at = local(TUESDAY, 9, 5)
    assert mine(await duties.tick(bot.rt, local(TUESDAY, 8, 55)), owner) == []  # before their day starts
    lines = mine(await duties.tick(bot.rt, at), owner)
    assert len(lines) == 1 and lines[0].startswith(f"launch nudges: sent launch nudge to {owner} in {team}")
    assert mine(await duties.tick(bot.rt, at + timedelta(minutes=1)), owner) == []  # the start moved on
    (dm,) = bot.fake.posted(owner)
    text = block_text(dm.args["blocks"])
    assert "Code complete" in text and "unassigned" in text
    assert "Snooze until tomorrow" in text and "Snooze 1 week" in text
    assert bot.rt.duties.last["launch nudges"].at == at + timedelta(minutes=1)
    # The next start is Wednesday's 09:00 in Berlin, kept on the person (the tick's indexed query).
    async with bot.rt.db.unit_of_work() as session:
        start = await session.scalar(select(Person.next_start_at).where(Person.team_id == team,
                                                                         Person.user_id == owner))
    assert start == local(TUESDAY + timedelta(days=1), 9)
    # The scheduler runs the one tick, not a nudge job of its own.
    assert bot.rt.scheduler.aps.get_job("system:duties") is not None
    assert bot.rt.scheduler.aps.get_job("system:launch-nudges") is None


async def test_two_processes_ticking_the_same_instant_send_once(bot: Bot, team: str, clock: Clock) -> None:
    owner = "UT" + team[-7:]
    await launch_for(bot, team, owner, clock)
    other = Runtime.create(bot_settings(bot.rt.settings.database_url, bot.fake.api_url))
    build_app(other)  # a second process: its own engine, caches and duties; no server, no scheduler
    try:
        at = local(TUESDAY, 9, 5)
        first, second = await asyncio.gather(duties.tick(bot.rt, at), duties.tick(other, at))
    finally:
        await other.close()
    outcomes = mine(first, owner) + mine(second, owner)
    assert [line for line in outcomes if line.startswith("launch nudges: sent")] != [], (first, second)
    assert len([line for line in outcomes if line.startswith("launch nudges: sent")]) == 1
    assert all(line.startswith(("launch nudges: sent", "launch nudges: skipped")) for line in outcomes), outcomes
    assert len(bot.fake.posted(owner)) == 1


# -- the mechanism, on a duty of the test's own -------------------------------------------

def tiny_runtime(bot: Bot, *registered: Duty) -> SimpleNamespace:
    return SimpleNamespace(db=bot.rt.db, duties=Duties(registered), notices={}, features=())


async def test_grace_dry_run_and_a_failed_send_retried(bot: Bot, team: str) -> None:
    at = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    sent: list[str] = []
    failing = {"late-ok"}

    async def due(_rt: object, instant: datetime) -> list[WorkItem]:
        assert instant == at
        return [WorkItem(team, "test.duty", key, "2026-11-24", at - late, f"item {key}")
                for key, late in (("on-time", timedelta(0)), ("late-ok", timedelta(minutes=50)),
                                  ("too-late", timedelta(hours=2)))]

    async def send(_rt: object, item: WorkItem) -> None:
        if item.key in failing:
            failing.discard(item.key)
            raise RuntimeError("slack said no")
        sent.append(item.key)

    rt = tiny_runtime(bot, Duty("test duty", due, send, grace=timedelta(hours=1)))
    assert await duties.tick(rt, at, dry_run=True) == [  # type: ignore[arg-type]
        "test duty: would send item on-time",
        "test duty: would send item late-ok",
        "test duty: skipped item too-late (due 2026-11-24T07:00+01:00, 2 h ago: past the 1 h grace)",
    ]
    assert sent == [] and rt.duties.last == {}  # a dry run claims, sends and records nothing
    async with bot.rt.db.unit_of_work() as session:
        assert (await session.scalars(select(Delivery).where(Delivery.team_id == team))).all() == []
    lines = await duties.tick(rt, at)  # type: ignore[arg-type]
    assert lines[0] == "test duty: sent item on-time"
    assert lines[1] == "test duty: failed item late-ok (RuntimeError; retried on a later tick)"
    assert lines[2].startswith("test duty: skipped item too-late")
    assert rt.duties.last["test duty"].outcome == "1 sent, 1 failed, 1 skipped"
    assert (await duties.tick(rt, at, dry_run=True))[:2] == [  # type: ignore[arg-type]
        "test duty: skipped item on-time (already sent)",
        "test duty: would send item late-ok (again: the last try failed)",
    ]
    lines = await duties.tick(rt, at)  # type: ignore[arg-type]
    assert lines[:2] == ["test duty: skipped item on-time (already sent)", "test duty: sent item late-ok"]
    assert sent == ["on-time", "late-ok"]
    async with bot.rt.db.unit_of_work() as session:
        rows = (await session.scalars(select(Delivery).where(Delivery.team_id == team))).all()
    assert sorted((r.key, r.status) for r in rows) == [("late-ok", DeliveryStatus.SENT), ("on-time", DeliveryStatus.SENT),
                                                       ("too-late", DeliveryStatus.SKIPPED)]  # kept: status lists it


async def test_a_duty_that_fails_does_not_stop_the_others(bot: Bot, team: str) -> None:
    at = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)

    async def broken(_rt: object, _at: datetime) -> list[WorkItem]:
        raise TimeoutError

    async def one(_rt: object, _at: datetime) -> list[WorkItem]:
        return [WorkItem(team, "test.other", "k", "p", _at, "the other item")]

    async def send(_rt: object, _item: WorkItem) -> None:
        return None

    async def hidden(_rt: object, _at: datetime) -> list[WorkItem]:
        raise AssertionError("a duty that cannot describe its work is not run by a dry run")

    rt = tiny_runtime(bot, Duty("broken", broken, send), Duty("other", one, send),
                      Duty("opaque", hidden, send, describes=False))
    assert await duties.tick(rt, at, dry_run=True) == [  # type: ignore[arg-type]
        "broken: failed (TimeoutError)", "other: would send the other item",
        "opaque: would run (its work cannot be listed without running it)"]
    rt.duties = Duties(rt.duties.duties[:2])
    assert await duties.tick(rt, at) == ["broken: failed (TimeoutError)", "other: sent the other item"]  # type: ignore[arg-type]
    assert rt.duties.last["broken"].outcome == "failed (TimeoutError)"
    assert rt.duties.last["other"].outcome == "1 sent"


async def test_items_of_one_lane_go_one_after_another_while_lanes_go_side_by_side(bot: Bot, team: str) -> None:
    """A channel's posts share a lane (Slack takes about one a second per channel); a DM is its own."""
    at = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    events: list[tuple[str, str]] = []

    async def due(_rt: object, instant: datetime) -> list[WorkItem]:
        return [WorkItem(team, "test.lane", key, "p", instant, f"item {key}", lane=lane)
                for key, lane in (("a1", "CSHARED"), ("b1", None), ("a2", "CSHARED"), ("a3", "CSHARED"))]

    async def send(_rt: object, item: WorkItem) -> None:
        events.append(("start", item.key))
        await asyncio.sleep(0.02)
        events.append(("end", item.key))

    lines = await duties.tick(tiny_runtime(bot, Duty("lanes", due, send)), at)  # type: ignore[arg-type]
    assert lines == [f"lanes: sent item {key}" for key in ("a1", "b1", "a2", "a3")]  # in the items' order
    assert [e for e in events if e[1].startswith("a")] == [
        ("start", "a1"), ("end", "a1"), ("start", "a2"), ("end", "a2"), ("start", "a3"), ("end", "a3")]
    assert events.index(("start", "b1")) < events.index(("end", "a1"))  # its own lane, meanwhile


async def test_status_lists_each_duty_with_its_next_run_and_last_outcome(bot: Bot, team: str) -> None:
    await duties.tick(bot.rt, datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    await bot.slack.command(team, "U1", "/prodops", "status", response_url=bot.fake.response_url("status"))
    await bot.settle()
    (_, reply), = bot.fake.responses
    rendered = json.dumps(reply["blocks"])
    assert "*Duties* (checked every minute)" in rendered and "launch nudges: next " in rendered
    assert "launch nudges: next paused" not in rendered  # the session's scheduler runs: a real time
    assert "; last " in rendered and "notifications: next " in rendered
    # The last run is kept in the database: a process that never ran a tick shows it too.
    other = Runtime.create(bot_settings(bot.rt.settings.database_url, bot.fake.api_url))
    build_app(other)
    try:
        assert (await duties.last_runs(other))["launch nudges"].at == datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    finally:
        await other.close()


# -- the day starts, at scale ------------------------------------------------------------

async def test_the_minute_start_query_reads_the_next_start_index(bot: Bot) -> None:
    """Each minute's start query is answered from ix_people_next_start_at, not by walking every
    person through the deleted flag's index (what SQLite chose for `deleted = 0`)."""
    if bot.rt.db.backend != "sqlite":
        return  # PostgreSQL plans by its statistics: a BitmapOr on the index once the table is large
    statement = due_query(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    async with bot.rt.db.engine.connect() as conn:
        compiled = statement.compile(dialect=conn.dialect)
        plan = [str(row[-1]) for row in await conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + str(compiled), tuple(None for _ in compiled.positiontup or ()))]
    assert any("ix_people_next_start_at" in step for step in plan), plan
    assert not any("ix_people_deleted_checked_at" in step or step.startswith("SCAN") for step in plan), plan


async def test_someone_away_past_the_horizon_is_looked_at_again_a_day_later_not_every_minute(
        bot: Bot, team: str) -> None:
    """No working period within the calendar's 400 days: the row gets a time to look again, so
    the minute tick neither reads them each minute nor, on their last day before the leave,
    hands their start to the duties again each minute."""
    gone_long, last_day = "UL" + team[-7:], "UE" + team[-7:]
    async with bot.rt.db.unit_of_work() as session:
        session.add(Workspace(team_id=team, timezone=ZONE))
        await session.flush()
        for user, first in ((gone_long, date(2026, 11, 1)), (last_day, TUESDAY + timedelta(days=1))):
            session.add(Person(team_id=team, user_id=user, tz=ZONE))
            session.add(AwayPeriod(team_id=team, user_id=user, starts_on=first, ends_on=date(2028, 6, 30),
                                   created_by=user))
    async with bot.rt.db.unit_of_work() as session:
        ids = dict((await session.execute(select(Person.user_id, Person.id).where(Person.team_id == team))).all())

    async def tick_at(at: datetime) -> tuple[list[str], dict[str, datetime | None]]:
        """starts_due and advance as the tick runs them, kept to this test's people."""
        async with bot.rt.db.unit_of_work() as session:
            found = await starts_due(session, at)
            moves = tuple(m for m in found.moves if m[0] in ids.values())
            await advance(session, Starts(at, (), moves))
            rows = dict((await session.execute(select(Person.user_id, Person.next_start_at)
                                                .where(Person.team_id == team))).all())
        return sorted(s.user_id for s in found.started if s.team_id == team), rows

    early = local(TUESDAY, 8)
    started, rows = await tick_at(early)  # first computed: today's 09:00 for the one still here today
    assert started == [] and rows == {gone_long: early + RECHECK_AFTER, last_day: local(TUESDAY, 9)}
    at = local(TUESDAY, 9, 5)
    started, rows = await tick_at(at)
    assert started == [last_day]  # their last working day before the leave: started once
    assert rows == {gone_long: early + RECHECK_AFTER, last_day: at + RECHECK_AFTER}
    assert await tick_at(at + timedelta(minutes=1)) == ([], rows)  # not read again, not started again
    later = at + RECHECK_AFTER
    assert await tick_at(later) == ([], {gone_long: later + RECHECK_AFTER, last_day: later + RECHECK_AFTER})


# -- the CLI --------------------------------------------------------------------------------

async def cli(bot: Bot, cwd: Path, *args: str) -> tuple[int, str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "PORT", "LOG_"))}
    env = {**clean, "PYTHONPATH": str(Path.cwd()), "SLACK_BOT_TOKEN": BOT_TOKEN,
           "SLACK_API_URL": bot.fake.api_url, "DATABASE_URL": bot.rt.settings.database_url}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "tick", *args, cwd=str(cwd), env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_cli_tick_dry_run_prints_what_would_be_sent_and_sends_nothing(bot: Bot, team: str,
                                                                           tmp_path: Path, clock: Clock) -> None:
    owner = "UC" + team[-7:]
    await launch_for(bot, team, owner, clock)
    at = local(TUESDAY, 9, 5).isoformat()
    code, out, err = await cli(bot, tmp_path, "--at", at, "--dry-run")
    assert code == 0, err
    lines = mine(out.splitlines(), owner)
    assert len(lines) == 1 and lines[0].startswith(f"launch nudges: would send launch nudge to {owner} in {team}")
    assert bot.fake.posted(owner) == []
    async with bot.rt.db.unit_of_work() as session:  # nothing claimed (the checklist's own post is)
        assert (await session.scalars(select(Delivery).where(Delivery.team_id == team,
                                                             Delivery.kind == NUDGE_KIND))).all() == []
    # Without --dry-run the same command sends it, under the scheduler's claim.
    code, out, err = await cli(bot, tmp_path, "--at", at)
    assert code == 0, err
    assert mine(out.splitlines(), owner)[0].startswith(f"launch nudges: sent launch nudge to {owner}")
    assert len(bot.fake.posted(owner)) == 1
    assert mine(await duties.tick(bot.rt, datetime.fromisoformat(at)), owner) == []  # the CLI moved the start on


async def test_cli_tick_refuses_a_bad_instant_in_one_line(bot: Bot, tmp_path: Path) -> None:
    for bad in ("tomorrow", "2026-11-24T09:00:00", "2026-13-01T09:00:00Z"):
        code, out, err = await cli(bot, tmp_path, "--at", bad)
        assert code == 2 and out == ""
        (line,) = err.strip().splitlines()
        assert line.startswith("prodops-bot: error: --at ") and repr(bad) in line


def test_parse_at_takes_offsets_and_z() -> None:
    assert parse_at("2026-11-24T09:00:00+01:00") == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert parse_at("2026-11-24T08:00:00Z") == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert parse_at(None) is None
