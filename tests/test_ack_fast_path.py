"""Events no feature acts on cost nothing (issue 16, its first way there): a reaction with
another emoji than the workspace's feedback emoji is acked at the edge from the workspace's
cached snapshot, without a transaction or a record of its event id; the feedback emoji still
files, a workspace not cached yet takes the full path once, and a changed emoji is followed at
once. Statements are counted on the engine itself, through the real signed endpoint."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select

from models.event import ProcessedEvent
from tests.conftest import Bot
from tests.feedback_helpers import items, new_ts, reaction


@contextmanager
def statements(bot: Bot) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = bot.rt.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def recorded(bot: Bot, event_id: str) -> bool:
    async with bot.rt.db.unit_of_work() as session:
        return await session.scalar(select(ProcessedEvent.event_id).where(ProcessedEvent.event_id == event_id)) \
            is not None


async def react(bot: Bot, team: str, name: str, event_id: str, kind: str = "reaction_added") -> int:
    channel = "C" + team[-9:]
    bot.fake.add_message(channel, ts := new_ts(), f"a message for {name}")
    status, _ = await bot.slack.event(team, reaction("UREACT1", channel, ts, name=name, kind=kind), event_id=event_id)
    await bot.settle()
    return status


async def test_a_reaction_with_another_emoji_is_acked_without_touching_the_database(bot: Bot, team: str) -> None:
    assert await react(bot, team, "memo", f"Ev{team}1") == 200  # first contact: the workspace is cached
    assert len(await items(bot, team)) == 1
    with statements(bot) as seen:
        for i, name in enumerate(("thumbsup", "tada", "eyes::skin-tone-2", "heart")):
            assert await react(bot, team, name, f"Ev{team}x{i}") == 200
        assert await react(bot, team, "thumbsup", f"Ev{team}r", kind="reaction_removed") == 200
    assert seen == []
    assert not await recorded(bot, f"Ev{team}x0")
    with statements(bot) as seen:
        assert await react(bot, team, "memo::skin-tone-3", f"Ev{team}2") == 200  # the feedback emoji files
    assert seen and await recorded(bot, f"Ev{team}2")
    assert len(await items(bot, team)) == 2


async def test_a_workspace_not_cached_takes_the_full_path_once_and_a_new_emoji_is_followed(bot: Bot,
                                                                                           team: str) -> None:
    with statements(bot) as seen:
        assert await react(bot, team, "thumbsup", f"Ev{team}cold") == 200
    assert seen and await recorded(bot, f"Ev{team}cold")  # not cached: the listener decided
    bot.fake.add_user("UADMIN1", is_admin=True)
    status, body = await bot.slack.command(team, "UADMIN1", "/feedback", "config emoji bulb")
    assert status == 200 and "bulb" in body["text"], body
    await bot.settle()
    assert await react(bot, team, "bulb", f"Ev{team}b1") == 200  # re-cached on this path
    assert len(await items(bot, team)) == 1
    with statements(bot) as seen:
        assert await react(bot, team, "memo", f"Ev{team}m1") == 200  # the old emoji: nothing now
    assert seen == [] and len(await items(bot, team)) == 1
