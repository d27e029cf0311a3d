"""Schedules live in the database; the scheduler mirrors them into jobs in their timezone."""
from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.scheduler import ScheduledJob, parse_cron
from bot.workspaces import ensure_workspace
from models.schedule import Schedule
from tests.conftest import Bot


async def add_schedule(bot: Bot, team: str, **values: object) -> int:
    async with bot.rt.db.unit_of_work() as session:
        await ensure_workspace(session, team)
        row = Schedule(team_id=team, **values)
        session.add(row)
        await session.flush()
        return row.id


async def test_reload_mirrors_schedules_in_their_timezone(bot: Bot, team: str) -> None:
    good = await add_schedule(bot, team, kind="digest", cron="0 9 * * 1-5", timezone="America/New_York")
    bad = await add_schedule(bot, team, kind="digest", cron="not a cron", timezone="UTC")
    await bot.rt.scheduler.reload()
    job = bot.rt.scheduler.aps.get_job(f"schedule:{good}")
    assert job is not None
    local = job.next_run_time.astimezone(ZoneInfo("America/New_York"))
    assert (local.hour, local.minute) == (9, 0) and local.weekday() < 5
    assert bot.rt.scheduler.aps.get_job(f"schedule:{bad}") is None

    async with bot.rt.db.unit_of_work() as session:
        (await session.get(Schedule, good)).enabled = False  # type: ignore[union-attr]
    await bot.rt.scheduler.reload()
    assert bot.rt.scheduler.aps.get_job(f"schedule:{good}") is None


async def test_job_runs_with_its_own_session(bot: Bot, team: str) -> None:
    async def job(session: AsyncSession, scheduled: ScheduledJob) -> None:
        await bot.rt.client.chat_postMessage(channel=scheduled.channel_id or "", text=f"run {scheduled.id}")
        workspace = await ensure_workspace(session, scheduled.team_id)
        workspace.name = f"ran {scheduled.id}"  # committed by the job's own unit of work

    kind = "test-" + team
    bot.rt.scheduler.register_kind(kind, job)
    sid = await add_schedule(bot, team, kind=kind, cron="*/5 * * * *", timezone="UTC", channel_id="CJOB")
    assert await bot.rt.scheduler.run_now(sid) is True
    async with bot.rt.db.unit_of_work() as session:
        assert (await ensure_workspace(session, team)).name == f"ran {sid}"
    assert [c.args["text"] for c in bot.fake.posted("CJOB")] == [f"run {sid}"]
    assert await bot.rt.scheduler.run_now(sid + 10_000) is False  # gone: nothing runs


def test_parse_cron_rejects_bad_lines() -> None:
    with pytest.raises(UserError):
        parse_cron("61 * * * *", "UTC")
    assert parse_cron("30 8 * * *", "Asia/Tokyo") is not None


async def test_timezone_change_is_picked_up_on_reload(bot: Bot, team: str) -> None:
    sid = await add_schedule(bot, team, kind="digest", cron="0 9 * * *", timezone="UTC")
    await bot.rt.scheduler.reload()
    before = bot.rt.scheduler.aps.get_job(f"schedule:{sid}").next_run_time
    async with bot.rt.db.unit_of_work() as session:
        (await session.get(Schedule, sid)).timezone = "Asia/Tokyo"  # type: ignore[union-attr]
    await bot.rt.scheduler.reload()
    after = bot.rt.scheduler.aps.get_job(f"schedule:{sid}").next_run_time
    assert after.astimezone(ZoneInfo("Asia/Tokyo")).hour == 9 and after != before
