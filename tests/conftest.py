"""Test harness: the real app over real HTTP against a fake Slack Web API.

One fake Slack and one running bot per backend for the whole session (SQLite always,
PostgreSQL too when TEST_DATABASE_URL is set). Each test gets its own workspace id, so tests
never see each other's rows or cached users, and the fake is reset between tests.
"""
from __future__ import annotations

import os
from datetime import UTC, datetime
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import build_app
from bot.clock import CLOCK, Clock
from bot.config import Settings, load_settings
from bot.duties import TICK_JOB
from bot.db import create_engine
from bot.edge import ProdOpsApp
from bot.migrate import upgrade
from bot.pacing import Pacer
from bot.runtime import Runtime
from bot.server import HttpServer
from models.agreement import Agreement
from models.delivery import Delivery
from models.digest import Digest
from models.kpi import Kpi
from models.person import Person
from models.standup import Standup, StandupMember
from tests.fake_slack import FakeSlack
from tests.slack_requests import BOT_TOKEN, SIGNING_SECRET, SlackSender

# The Web API client honours HTTP(S)_PROXY and ignores NO_PROXY: loopback calls must not go out.
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_var, None)

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def bot_settings(database_url: str, api_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {"slack_bot_token": BOT_TOKEN, "slack_signing_secret": SIGNING_SECRET,
                                 "slack_api_url": api_url, "database_url": database_url, "host": "127.0.0.1",
                                 "port": 0, **overrides}
    return load_settings(_env_file=None, **values)


async def reset_postgres(url: str) -> None:
    """Start from an empty schema so every run migrates up from nothing."""
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(scope="session")
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture(params=BACKENDS)
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database with nothing in it, for migration tests: a SQLite file, or a throwaway
    PostgreSQL database beside TEST_DATABASE_URL's (dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/empty.sqlite3"
        return
    server = Settings.model_validate({"database_url": os.environ["TEST_DATABASE_URL"]}).database_url
    name = "mig_" + uuid.uuid4().hex[:10]
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "prodops.sqlite3"
        return f"sqlite+aiosqlite:///{path}"
    url = Settings.model_validate({"database_url": os.environ["TEST_DATABASE_URL"]}).database_url
    await reset_postgres(url)
    return url


@dataclass
class Bot:
    url: str
    rt: Runtime
    app: ProdOpsApp
    slack: SlackSender
    fake: FakeSlack
    http: aiohttp.ClientSession

    async def settle(self) -> None:
        """Wait for work deferred past the ack (the bot's own task set), instead of sleeping."""
        await self.rt.tasks.drain(timeout=30)


def hold_background_ticks(rt: Runtime) -> None:
    """Tests drive due work with `duties.tick` at the instants they choose: the scheduler's own
    minute tick (real time, or a test's driven clock) must not send it first. The job stays
    registered, with a real next run, only far away."""
    rt.scheduler.aps.modify_job(TICK_JOB, next_run_time=datetime(2999, 1, 1, tzinfo=UTC))


@pytest.fixture(scope="session")
async def bot_session(database_url: str, fake_slack: FakeSlack) -> AsyncIterator[Bot]:
    await upgrade(database_url)
    rt = Runtime.create(bot_settings(database_url, fake_slack.api_url))
    # Tests tick days by in milliseconds of real time: a channel's scheduled posts are not paced
    # to Slack's one a second here (tests/test_pacing.py paces with its own Pacer and clock).
    rt.pacer = Pacer(per_channel=1_000_000.0, burst=1_000_000)
    app = build_app(rt)
    server = HttpServer(rt, app)
    await server.start()
    hold_background_ticks(rt)
    url = f"http://127.0.0.1:{server.port}"
    async with aiohttp.ClientSession() as http:
        yield Bot(url, rt, app, SlackSender(url, http), fake_slack, http)
    await server.stop()


@pytest.fixture
async def bot(bot_session: Bot) -> AsyncIterator[Bot]:
    bot_session.fake.reset()
    yield bot_session
    await bot_session.settle()
    await stop_due_work(bot_session)


NEVER = datetime(9999, 1, 1, tzinfo=UTC)  # a next-due instant no test ticks at


async def stop_due_work(bot: Bot) -> None:
    """A test's scheduled work stops with it: later tests tick other days (years ahead, across
    DST changes) of the same database, and every earlier test's digests, day starts, standup
    prompts, KPI pulls and held notices due at each of their ticks were minutes of the suite
    (one standup test: 2 s alone, 84 s after the rest). Only what is already over is stopped:
    each test has its own workspace."""
    async with bot.rt.db.unit_of_work() as session:
        await session.execute(update(Digest).where(Digest.next_at.is_not(None)).values(next_at=None))
        await session.execute(update(Person).values(next_start_at=NEVER))
        await session.execute(update(StandupMember).values(next_at=NEVER))
        await session.execute(update(Standup).where(Standup.next_summary_at.is_not(None))
                              .values(next_summary_at=NEVER))
        await session.execute(update(Kpi).values(next_pull_at=NEVER, stale_at=None))
        await session.execute(update(Delivery).where(Delivery.next_at.is_not(None)).values(next_at=NEVER))
        await session.execute(update(Agreement).where(Agreement.next_at.is_not(None)).values(next_at=NEVER))


@pytest.fixture
def team() -> str:
    """A fresh workspace id per test: tenancy keeps tests apart."""
    return "T" + uuid.uuid4().hex[:10].upper()


@pytest.fixture
def clock() -> Iterator[Clock]:
    """The one clock (bot/clock.py) for this test to drive: `clock.set(instant)`,
    `clock.advance(delta)`. The bot, its sweepers and column defaults read it; it stands still
    between moves and is back on the wall clock after the test."""
    CLOCK.reset()
    try:
        yield CLOCK
    finally:
        CLOCK.reset()
