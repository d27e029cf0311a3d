"""`/feedback list` at size (issue 20): a page is two statements whatever the workspace holds
(rows with votes from the maintained column and a bounded count, then their tags), a long list
says "200+" instead of counting every row, and `top` orders by votes then number."""
from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, insert
from sqlalchemy.engine import Engine

from bot.feedback.listing import COUNT_AHEAD, PAGE_SIZE
from models.feedback import FeedbackItem, FeedbackReporter, FeedbackSource, FeedbackStatus, FeedbackTag
from tests.blockkit import assert_valid_blocks
from tests.conftest import Bot
from tests.feedback_helpers import file_by_command
from tests.slack_requests import block_actions


@contextmanager
def feedback_reads() -> Iterator[list[str]]:
    """The SELECTs on feedback tables run meanwhile, but for the scheduler's jobs: a sweeper that
    happens to run beside the request (retrying outcome DMs) is not the list's statement. The
    async engine runs a statement in the awaiting task, so the task says whose it is."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        text = statement.lstrip().upper()
        task = asyncio.current_task()
        if task is not None and "run_coroutine_job" in getattr(task.get_coro(), "__qualname__", ""):
            return
        if text.startswith("SELECT") and "FEEDBACK_" in text:
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def bulk_items(bot: Bot, team: str, count: int, *, first: int = 1000, votes: dict[int, int] | None = None,
                     tag: str | None = None, status: FeedbackStatus = FeedbackStatus.NEW) -> list[int]:
    """`count` items numbered from `first`, inserted with Core (arranging data, not filing it);
    `votes` gives some of them that many reporters (the triggers keep `votes`)."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    numbers = list(range(first, first + count))
    async with bot.rt.db.unit_of_work() as session:
        ids = list((await session.execute(insert(FeedbackItem).returning(FeedbackItem.id, FeedbackItem.number), [
            {"team_id": team, "number": n, "text": f"Bulk item {n}", "source": FeedbackSource.COMMAND,
             "status": status, "created_by": "UBULK01", "created_at": start + timedelta(minutes=n),
             "updated_at": start} for n in numbers])).all())
        by_number = {n: i for i, n in ids}
        reporters = [{"team_id": team, "item_id": by_number[n], "user_id": f"UV{k:07d}",
                      "source": FeedbackSource.COMMAND} for n, k_max in (votes or {}).items() for k in range(k_max)]
        if reporters:
            await session.execute(insert(FeedbackReporter), reporters)
        if tag:
            await session.execute(insert(FeedbackTag), [{"team_id": team, "item_id": i, "tag": tag}
                                                        for i in by_number.values()])
    return numbers


async def test_a_long_list_says_plus_and_reads_two_statements(bot: Bot, team: str) -> None:
    await file_by_command(bot, team, "UA00001", "The first one #first")
    await bulk_items(bot, team, COUNT_AHEAD + 15, tag="bulk")
    with feedback_reads() as reads:
        _, body = await bot.slack.command(team, "UA00001", "/feedback", "list")
    assert_valid_blocks(body["blocks"])
    rendered = json.dumps(body["blocks"])
    assert f"{COUNT_AHEAD}+ found" in rendered and f"Page 1 of {COUNT_AHEAD // PAGE_SIZE}+" in rendered
    assert f"*#{1000 + COUNT_AHEAD + 14}*" in rendered  # newest first
    assert "#bulk" in rendered  # tags, read for the page at once
    assert len(reads) == 2, reads  # the page with its bounded count, then the page's tags
    # Filtered by a tag: few enough to count exactly.
    _, body = await bot.slack.command(team, "UA00001", "/feedback", "list #first")
    assert "1 found" in json.dumps(body["blocks"]) and "The first one" in json.dumps(body["blocks"])


async def test_the_next_page_past_the_bound_goes_on(bot: Bot, team: str) -> None:
    await file_by_command(bot, team, "UA00001", "Makes the workspace")
    await bulk_items(bot, team, COUNT_AHEAD + 5)
    _, body = await bot.slack.command(team, "UA00001", "/feedback", "list")
    page = 1
    while page < COUNT_AHEAD // PAGE_SIZE + 1:  # click Next as Slack sends it, up to the last page
        nav = next(b for b in body["blocks"] if b["type"] == "actions")
        next_button = nav["elements"][-1]
        assert next_button["text"]["text"].startswith("Next")
        bot.fake.responses.clear()
        status, _ = await bot.slack.interaction(block_actions(
            team, "UA00001", [{**next_button, "block_id": "nav", "type": "button"}],
            response_url=bot.fake.response_url("page")))
        assert status == 200
        await bot.settle()
        ((_, body),) = bot.fake.responses
        page += 1
    rendered = json.dumps(body["blocks"])
    # 206 items, page 21 of 21: the count from there on is exact again.
    assert f"Page {page} of {page}" in rendered and f"{COUNT_AHEAD + 6} found" in rendered
    buttons = [e["text"]["text"] for b in body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["◀ Previous"]


async def test_top_is_by_maintained_votes_then_newest_number(bot: Bot, team: str) -> None:
    await file_by_command(bot, team, "UA00001", "Makes the workspace")
    await bulk_items(bot, team, 30, votes={1003: 7, 1010: 7, 1020: 12, 1001: 2})
    other = "T" + team[1:][::-1]
    await file_by_command(bot, other, "UB00001", "Another workspace's")
    await bulk_items(bot, other, 3, votes={1000: 40})  # never shown here
    _, body = await bot.slack.command(team, "UA00001", "/feedback", "list top")
    lines = [b["text"]["text"] for b in body["blocks"] if b["type"] == "section"]
    firsts = [line.split("*")[1] for line in lines]
    assert firsts[:4] == ["#1020", "#1010", "#1003", "#1001"]
    assert "12 votes" in lines[0] and "7 votes" in lines[1] and "2 votes" in lines[3]
    assert "31 found" in json.dumps(body["blocks"])
