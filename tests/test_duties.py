"""Duties and `tick` (bot/duties.py): the minute tick runs every feature's due work once per
instant, with the delivery claims, across processes; `prodops-bot tick` runs it from the CLI.

The session bot's own scheduler ticks on the real clock while these tests run. So that it cannot
nudge this test's people first, they live in a zone where it is 04:xx now, and the tests tick at
09:05 there (later today): the real clock is before their 09:00 throughout.
"""
from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot import duties
from bot.__main__ import parse_at
from bot.app import build_app
from bot.duties import Duties, Duty, WorkItem
from bot.launches import flows
from bot.runtime import Runtime
from models.delivery import Delivery, DeliveryStatus
from tests.blockkit import block_text
from tests.conftest import Bot, bot_settings
from tests.slack_requests import BOT_TOKEN

CHANNEL = "CDUTY01"


def early_zone() -> str:
    """A fixed-offset zone where the real clock reads 04:xx now."""
    offset = (4 - datetime.now(UTC).hour) % 24
    if offset > 14:
        offset -= 24
    return "UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def nine_oh_five(zone: str) -> datetime:
    local = datetime.now(UTC).astimezone(ZoneInfo(zone))
    return local.replace(hour=9, minute=5, second=0, microsecond=0)


async def launch_for(bot: Bot, team: str, owner: str, zone: str) -> None:
    """A launch in 3 days from the default template: its items are overdue or due by tomorrow,
    unassigned, so they go to the owner."""
    bot.fake.add_user(owner, tz=zone)
    when = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()
    status, _ = await bot.slack.command(team, owner, "/launch", f'new "Duty launch" {when}', channel_id=CHANNEL)
    assert status == 200
    await bot.settle()
    bot.fake.reset()
    bot.fake.add_user(owner, tz=zone)


def mine(lines: list[str], person: str) -> list[str]:
    """The session database holds every test's launches: keep this test's person's lines."""
    return [line for line in lines if f" {person} " in line]


async def test_a_tick_at_nine_local_sends_the_launch_nudge_once(bot: Bot, team: str) -> None:
    owner, zone = "UD" + team[-7:], early_zone()
    await launch_for(bot, team, owner, zone)
    at = nine_oh_five(zone)
    assert mine(await duties.tick(bot.rt, at - timedelta(minutes=10)), owner) == []  # 08:55 there
    lines = mine(await duties.tick(bot.rt, at), owner)
    assert len(lines) == 1 and lines[0].startswith(f"launch nudges: sent launch nudge to {owner} in {team}")
    again = mine(await duties.tick(bot.rt, at + timedelta(minutes=1)), owner)
    assert len(again) == 1 and again[0].startswith("launch nudges: skipped") and again[0].endswith("(already sent)")
    (dm,) = bot.fake.posted(owner)
    text = block_text(dm.args["blocks"])
    assert "Code complete" in text and "unassigned" in text
    assert bot.rt.duties.last["launch nudges"].at == at + timedelta(minutes=1)
    # The scheduler runs the one tick, not a nudge job of its own.
    assert bot.rt.scheduler.aps.get_job("system:duties") is not None
    assert bot.rt.scheduler.aps.get_job("system:launch-nudges") is None


async def test_send_nudges_and_the_tick_share_the_claim(bot: Bot, team: str) -> None:
    owner, zone = "UF" + team[-7:], early_zone()
    await launch_for(bot, team, owner, zone)
    at = nine_oh_five(zone)
    await flows.send_nudges(bot.rt, bot.rt.client, now=at)
    assert mine(await duties.tick(bot.rt, at), owner)[0].endswith("(already sent)")
    assert len(bot.fake.posted(owner)) == 1


async def test_two_processes_ticking_the_same_instant_send_once(bot: Bot, team: str) -> None:
    owner, zone = "UT" + team[-7:], early_zone()
    await launch_for(bot, team, owner, zone)
    other = Runtime.create(bot_settings(bot.rt.settings.database_url, bot.fake.api_url))
    build_app(other)  # a second process: its own engine, caches and duties; no server, no scheduler
    try:
        at = nine_oh_five(zone)
        first, second = await asyncio.gather(duties.tick(bot.rt, at), duties.tick(other, at))
    finally:
        await other.close()
    outcomes = sorted(mine(first, owner) + mine(second, owner))
    assert len(outcomes) == 2
    assert outcomes[0].startswith("launch nudges: sent") and outcomes[1].startswith("launch nudges: skipped")
    assert len(bot.fake.posted(owner)) == 1


# -- the mechanism, on a duty of the test's own -------------------------------------------

def tiny_runtime(bot: Bot, *registered: Duty) -> SimpleNamespace:
    return SimpleNamespace(db=bot.rt.db, duties=Duties(registered))


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
    assert sorted((r.key, r.status) for r in rows) == [("late-ok", DeliveryStatus.SENT), ("on-time", DeliveryStatus.SENT)]


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


async def test_status_lists_each_duty_with_its_next_run_and_last_outcome(bot: Bot, team: str) -> None:
    await duties.tick(bot.rt, datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    await bot.slack.command(team, "U1", "/prodops", "status", response_url=bot.fake.response_url("status"))
    await bot.settle()
    (_, reply), = bot.fake.responses
    rendered = json.dumps(reply["blocks"])
    assert "*Duties* (checked every minute)" in rendered and "launch nudges: next " in rendered
    assert "launch nudges: next paused" not in rendered  # the session's scheduler runs: a real time
    assert "; last " in rendered and "remembered by this process only" in rendered


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
                                                                           tmp_path: Path) -> None:
    owner, zone = "UC" + team[-7:], early_zone()
    await launch_for(bot, team, owner, zone)
    at = nine_oh_five(zone).isoformat()
    code, out, err = await cli(bot, tmp_path, "--at", at, "--dry-run")
    assert code == 0, err
    lines = mine(out.splitlines(), owner)
    assert len(lines) == 1 and lines[0].startswith(f"launch nudges: would send launch nudge to {owner} in {team}")
    assert bot.fake.posted(owner) == []
    async with bot.rt.db.unit_of_work() as session:  # nothing claimed (the checklist's own post is)
        assert (await session.scalars(select(Delivery).where(Delivery.team_id == team,
                                                             Delivery.kind == flows.NUDGE_KIND))).all() == []
    # Without --dry-run the same command sends it, under the scheduler's claim.
    code, out, err = await cli(bot, tmp_path, "--at", at)
    assert code == 0, err
    assert mine(out.splitlines(), owner)[0].startswith(f"launch nudges: sent launch nudge to {owner}")
    assert len(bot.fake.posted(owner)) == 1
    assert mine(await duties.tick(bot.rt, datetime.fromisoformat(at)), owner)[0].endswith("(already sent)")


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
