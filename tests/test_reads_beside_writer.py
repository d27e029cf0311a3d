"""Reads beside the writer (issue 20, "no request waits behind another's long read"): a
read-only unit of work neither takes nor waits for the write lock, a request that only reads
never takes the request's writer, and the PostgreSQL pool size is a validated setting.

"Holding the writer" is, on SQLite, an open BEGIN IMMEDIATE on the writer's one connection (the
write lock, and the pool's only connection); on PostgreSQL a transaction holding EXCLUSIVE locks
on the feedback tables (every write to them waits; plain reads do not)."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from bot.config import ConfigError, load_settings
from bot.db import SQLITE_READERS, Database
from handlers.home import publish_home
from models.event import ProcessedEvent
from models.feedback import FeedbackItem
from tests.blockkit import block_text
from tests.conftest import Bot
from tests.feedback_helpers import file_by_command, items
from tests.slack_requests import command_form, signed_headers
from tests.test_ingress import post_answer


@asynccontextmanager
async def writer_held(bot: Bot) -> AsyncIterator[None]:
    async with bot.rt.db.unit_of_work() as session:
        if bot.rt.db.backend == "postgresql":
            await session.execute(text("LOCK TABLE feedback_items, feedback_reporters IN EXCLUSIVE MODE"))
        else:
            await session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the write lock is ours
        yield


async def count_items(session, team: str) -> int:  # noqa: ANN001 - any session
    return int(await session.scalar(select(func.count()).select_from(FeedbackItem)
                                    .where(FeedbackItem.team_id == team)) or 0)


async def test_an_open_read_does_not_block_a_filing(bot: Bot, team: str) -> None:
    await file_by_command(bot, team, "UREAD01", "Please add PDF export")
    async with bot.rt.db.reading() as reading:
        assert await count_items(reading, team) == 1  # the read's transaction is open from here
        number = await file_by_command(bot, team, "UREAD02", "Dark mode for the dashboard")
        assert number == 2
        await count_items(reading, team)  # still usable, its transaction still open
    assert [i.text for i in await items(bot, team)] == ["Please add PDF export", "Dark mode for the dashboard"]


async def test_a_read_unit_of_work_refuses_to_write(bot: Bot, team: str) -> None:
    async with bot.rt.db.reading() as reading:
        with pytest.raises(DBAPIError):
            await reading.execute(text("UPDATE feedback_items SET text = 'changed' WHERE team_id = :t"),
                                  {"t": team})


async def test_list_search_and_show_answer_while_the_writer_is_held(bot: Bot, team: str) -> None:
    await file_by_command(bot, team, "UREAD03", "Dark mode for the dashboard")
    async with writer_held(bot):
        status, listed = await bot.slack.command(team, "UREAD03", "/feedback", "list")
        assert status == 200 and "Dark mode" in block_text(listed["blocks"]), listed
        status, found = await bot.slack.command(team, "UREAD03", "/feedback", "search dark")
        assert status == 200 and "Dark mode" in block_text(found["blocks"]), found
        status, shown = await bot.slack.command(team, "UREAD03", "/feedback", "show 1")
        assert status == 200 and shown["text"] == "Feedback #1", shown
        assert "Dark mode" in block_text(shown["blocks"])
    await bot.settle()


async def test_a_burst_larger_than_the_pool_is_answered(bot: Bot, team: str) -> None:
    """More simultaneous requests than the pool has connections (a replica with a pool of one:
    two connections on PostgreSQL) all answer: no request holds a connection while it waits for
    a second, so a burst cannot take every connection and wait for ever (before: on PostgreSQL
    each waited out the pool's 30 s timeout and answered "something went wrong")."""
    import asyncio

    from tests.replicas import second_replica

    await file_by_command(bot, team, "UREAD05", "Dark mode for the dashboard")
    async with second_replica(bot, database_pool_size=1) as small:
        answers = await asyncio.gather(
            *[small.slack.command(team, f"UREAD{k:02d}", "/feedback", "search dark") for k in range(10, 18)],
            *[small.slack.command(team, f"UREAD{k:02d}", "/feedback", f"Burst filing {k}") for k in range(20, 24)])
        await small.settle()
    for status, body in answers[:8]:
        assert status == 200 and "Dark mode" in block_text(body["blocks"]), body
    assert all(status == 200 for status, _ in answers[8:]), answers[8:]
    async with bot.rt.db.reading() as session:
        assert await count_items(session, team) == 5  # every filing stored, once


async def test_a_home_is_drawn_while_the_writer_is_held(bot: Bot, team: str) -> None:
    user = "UREAD04"
    await file_by_command(bot, team, user, "Keyboard shortcuts")
    await publish_home(bot.rt, bot.rt.client, team, user)  # first contact records the person
    before = len(bot.fake.calls_to("views.publish"))
    async with writer_held(bot):
        await publish_home(bot.rt, bot.rt.client, team, user)
    calls = bot.fake.calls_to("views.publish")
    assert len(calls) == before + 1 and calls[-1].args["user_id"] == user


async def test_a_replayed_read_only_command_gets_nothing_once_recorded(bot: Bot, team: str) -> None:
    """Its record is written after the answer (not on the ack path): a replay after that is ignored."""
    await file_by_command(bot, team, "UREAD05", "Offline mode")
    assert await signed_requests(bot, team) == 1  # the filing's
    body = command_form(team, "UREAD05", "/feedback", "list")
    headers = signed_headers(body)
    status, first = await post_answer(bot, body.encode(), headers)
    assert status == 200 and first == "1 feedback item"
    await bot.settle()
    assert await signed_requests(bot, team) == 2
    assert await post_answer(bot, body.encode(), headers) == (200, "")


async def signed_requests(bot: Bot, team: str) -> int:
    async with bot.rt.db.reading() as reading:
        return int(await reading.scalar(select(func.count()).select_from(ProcessedEvent).where(
            ProcessedEvent.team_id == team, ProcessedEvent.event_type == "signed-request")) or 0)


@pytest.mark.parametrize("value", ["0", "-3", "201", "ten", "1.5", ""])
def test_the_pool_size_setting_is_validated(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DATABASE_POOL_SIZE", value)
    with pytest.raises(ConfigError, match="^DATABASE_POOL_SIZE is invalid"):
        load_settings(_env_file=None)


def test_the_pool_size_defaults_to_ten_and_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_POOL_SIZE", raising=False)
    assert load_settings(_env_file=None).database_pool_size == 10
    monkeypatch.setenv("DATABASE_POOL_SIZE", "25")
    assert load_settings(_env_file=None).database_pool_size == 25


async def test_the_pool_size_sizes_postgresql_and_sqlite_keeps_one_writer(database_url: str) -> None:
    db = Database(database_url, pool_size=3)
    try:
        if db.backend == "postgresql":
            assert db.engine.pool.size() == 3  # type: ignore[attr-defined]
            assert db.read_engine.pool is db.engine.pool  # the same connections, READ ONLY transactions
        else:
            assert db.engine.pool.size() == 1  # type: ignore[attr-defined]
            assert db.read_engine.pool.size() == SQLITE_READERS  # type: ignore[attr-defined]
        async with db.reading() as reading:
            assert await reading.scalar(text("SELECT 1")) == 1
    finally:
        await db.dispose()
