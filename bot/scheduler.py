"""APScheduler wiring: schedules live in the database and are (re)loaded from it.

The job store stays in memory (APScheduler 3 must not share stores between schedulers); every
replica runs the same jobs and the delivery claims in the database make each post happen once.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.db import Database
from bot.errors import UserError
from bot.logs import request_id
from bot.text import escape
from models.event import ProcessedEvent
from models.schedule import Schedule

log = logging.getLogger(__name__)

RELOAD_SECONDS = 60
SWEEP_SECONDS = 60
EVENT_RETENTION = timedelta(days=3)  # Slack retries for minutes, not days


@dataclass(frozen=True)
class ScheduledJob:
    """A detached copy of a Schedule row, handed to the job function."""

    id: int
    team_id: str
    kind: str
    cron: str
    timezone: str
    channel_id: str | None
    options: dict[str, Any]


JobFunc = Callable[[AsyncSession, ScheduledJob], Awaitable[None]]
Sweeper = Callable[[], Awaitable[None]]


def parse_cron(expression: str, timezone: str) -> CronTrigger:
    """A five-field crontab line in the given timezone; UserError when it is not one."""
    try:
        return CronTrigger.from_crontab(expression.strip(), timezone=ZoneInfo(timezone))
    except (ValueError, KeyError) as exc:
        raise UserError(f"`{escape(expression)}` is not a valid cron line (minute hour day month weekday): {exc}") from None


class Scheduler:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.aps = AsyncIOScheduler(timezone=ZoneInfo("UTC"))
        self.kinds: dict[str, JobFunc] = {}
        self.sweepers: list[Sweeper] = [self._prune_events]
        self.intervals: list[tuple[str, str, Sweeper, int]] = []
        # job id -> (team, cron, timezone) as loaded: what reload compares and status filters on
        self._loaded: dict[str, tuple[str, str, str]] = {}

    def register_kind(self, kind: str, func: JobFunc) -> None:
        self.kinds[kind] = func

    def register_sweeper(self, sweeper: Sweeper) -> None:
        self.sweepers.append(sweeper)

    def register_interval(self, job_id: str, name: str, func: Sweeper, seconds: int) -> None:
        """A system job every replica runs; what it posts is claimed, so it posts once."""
        self.intervals.append((job_id, name, func, seconds))

    async def start(self) -> None:
        self.aps.start()
        self.aps.add_job(self.reload, "interval", seconds=RELOAD_SECONDS, id="system:reload",
                         name="reload schedules", coalesce=True, max_instances=1)
        self.aps.add_job(self.sweep, "interval", seconds=SWEEP_SECONDS, id="system:sweep",
                         name="sweep pending work", coalesce=True, max_instances=1)
        for job_id, name, func, seconds in self.intervals:
            self.aps.add_job(self._guarded(name, func), "interval", seconds=seconds, id=job_id, name=name,
                             coalesce=True, max_instances=1)
        await self.reload()

    def shutdown(self) -> None:
        if self.aps.running:
            self.aps.shutdown(wait=False)

    @property
    def running(self) -> bool:
        return self.aps.running

    async def reload(self) -> int:
        """Mirror enabled schedules from the database into jobs; returns how many are loaded."""
        async with self.db.unit_of_work() as session:
            rows = (await session.scalars(select(Schedule).where(Schedule.enabled.is_(True)))).all()
        wanted: set[str] = set()
        for row in rows:
            job_id = f"schedule:{row.id}"
            try:
                trigger = parse_cron(row.cron, row.timezone)
            except UserError:
                log.warning("schedule %s has an invalid cron line %r; skipped", row.id, row.cron)
                continue
            wanted.add(job_id)
            signature = (row.team_id, row.cron, row.timezone)
            if self._loaded.get(job_id) == signature and self.aps.get_job(job_id) is not None:
                continue
            self._loaded[job_id] = signature
            self.aps.add_job(self._run_schedule, trigger, args=[row.id], id=job_id,
                             name=f"{row.kind} for {row.team_id}", replace_existing=True,
                             coalesce=True, misfire_grace_time=300, max_instances=1)
        for job in self.aps.get_jobs():
            if job.id.startswith("schedule:") and job.id not in wanted:
                job.remove()
                self._loaded.pop(job.id, None)
        return len(wanted)

    def next_runs(self, team_id: str, limit: int = 5) -> list[tuple[str, datetime | None]]:
        """The bot's own jobs and this workspace's schedules, soonest first."""
        mine = [j for j in self.aps.get_jobs()
                if not j.id.startswith("schedule:") or self._loaded.get(j.id, ("",))[0] == team_id]
        jobs = sorted(
            mine,
            key=lambda j: (j.next_run_time is None, j.next_run_time or datetime.max.replace(tzinfo=ZoneInfo("UTC"))),
        )
        return [(job.name, job.next_run_time) for job in jobs[:limit]]

    async def _run_schedule(self, schedule_id: int) -> None:
        await self.run_now(schedule_id)

    async def run_now(self, schedule_id: int) -> bool:
        """Run one schedule's job in its own unit of work; False when it is gone or unknown."""
        token = request_id.set(f"schedule:{schedule_id}")
        try:
            async with self.db.unit_of_work() as session:
                row = await session.get(Schedule, schedule_id)
                if row is None or not row.enabled:
                    return False
                func = self.kinds.get(row.kind)
                if func is None:
                    log.warning("no job registered for kind %r (schedule %s)", row.kind, row.id)
                    return False
                job = ScheduledJob(row.id, row.team_id, row.kind, row.cron, row.timezone,
                                   row.channel_id, dict(row.options or {}))
                await func(session, job)
                return True
        except Exception:
            log.exception("schedule %s failed", schedule_id)
            return False
        finally:
            request_id.reset(token)

    @staticmethod
    def _guarded(name: str, func: Sweeper) -> Sweeper:
        async def run() -> None:
            token = request_id.set(name)
            try:
                await func()
            except Exception:
                log.exception("%s failed", name)
            finally:
                request_id.reset(token)

        return run

    async def sweep(self) -> None:
        for sweeper in self.sweepers:
            try:
                await sweeper()
            except Exception:
                log.exception("sweeper %s failed", getattr(sweeper, "__name__", sweeper))

    async def _prune_events(self) -> None:
        async with self.db.unit_of_work() as session:
            await session.execute(
                delete(ProcessedEvent).where(ProcessedEvent.received_at < clock.now() - EVENT_RETENTION)
            )
