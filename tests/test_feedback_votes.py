"""The maintained vote count (migration 0014's triggers): whichever path adds, moves or removes a
reporter (a reaction, its removal, a merge, a delete), `feedback_items.votes` is the number of
reporters, on both backends."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.clock import Clock

from models.feedback import FeedbackItem, FeedbackReporter
from tests.conftest import Bot
from tests.feedback_helpers import new_ts, reaction


async def counts(bot: Bot, team: str) -> list[tuple[int, int, int]]:
    """(number, votes column, reporters counted) for every item of the workspace."""
    counted = (select(func.count(FeedbackReporter.id)).where(FeedbackReporter.item_id == FeedbackItem.id)
               .correlate(FeedbackItem).scalar_subquery())
    async with bot.rt.db.unit_of_work() as session:
        return [tuple(r) for r in (await session.execute(
            select(FeedbackItem.number, FeedbackItem.votes, counted).where(FeedbackItem.team_id == team)
            .order_by(FeedbackItem.number))).all()]


async def test_the_vote_count_follows_reactions_removals_merges_and_deletes(bot: Bot, team: str) -> None:
    first, second = new_ts(), new_ts()
    for ts in (first, second):
        bot.fake.add_message("CVOTES01", ts, f"Message {ts}", user="UVAUTHOR")
    for user in ("UVOTE001", "UVOTE002", "UVOTE003"):
        bot.fake.add_user(user)
        await bot.slack.event(team, reaction(user, "CVOTES01", first))
    for user in ("UVOTE003", "UVOTE004"):
        bot.fake.add_user(user)
        await bot.slack.event(team, reaction(user, "CVOTES01", second))
    await bot.settle()
    assert [(votes, counted) for _, votes, counted in await counts(bot, team)] == [(3, 3), (2, 2)]
    await bot.slack.event(team, reaction("UVOTE002", "CVOTES01", first, kind="reaction_removed"))
    await bot.settle()
    assert [(votes, counted) for _, votes, counted in await counts(bot, team)] == [(2, 2), (2, 2)]
    bot.fake.add_user("UVADMIN1", is_admin=True)
    (a, _, _), (b, _, _) = await counts(bot, team)
    _, body = await bot.slack.command(team, "UVADMIN1", "/feedback", f"merge {b} {a}")
    assert "Merged" in body["text"]
    # UVOTE003 reported both: one vote on the target, none left on the merged item.
    assert [(votes, counted) for _, votes, counted in await counts(bot, team)] == [(3, 3), (0, 0)]
    assert all(votes == counted for _, votes, counted in await counts(bot, team))


async def test_a_filed_items_instant_compares_with_every_other_stored_instant(bot: Bot, team: str,
                                                                             clock: Clock) -> None:
    """The filing's own statements store its created_at as the ORM stores every other instant
    (on SQLite a string): an item filed at the very instant a digest period starts is in it."""
    at = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    clock.set(at)
    bot.fake.add_user("UVINST01")
    status, _ = await bot.slack.command(team, "UVINST01", "/feedback", "Filed on the dot")
    assert status == 200
    async with bot.rt.db.unit_of_work() as session:
        found = await session.scalar(select(func.count(FeedbackItem.id)).where(
            FeedbackItem.team_id == team, FeedbackItem.created_at >= at, FeedbackItem.created_at <= at))
    assert found == 1
