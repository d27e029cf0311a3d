"""Standups end to end (issue 12): setup through the form, the daily cycle for participants in
three time zones driven by `duties.tick` at chosen instants, answers through the prompt's button
and form, reminders, the summary, edits and late answers, over signed requests to the running
app and the fake Slack Web API."""
from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select

from bot.clock import Clock
from models.standup import StandupAnswer, StandupMember
from tests.blockkit import assert_valid_blocks
from tests.conftest import Bot
from tests.standup_helpers import (BERLIN, KOLKATA, NEW_YORK, answer, channel_of, channel_posts, dms, fill_value,
                                   local, meet, set_up, tick, uid)

TUESDAY = date(2026, 12, 1)


def _blocks(call_args: dict) -> list[dict]:
    blocks = call_args.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


async def test_a_day_for_three_time_zones(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(TUESDAY, 0, 0, "UTC"))
    admin, ny, berlin, kolkata = (uid(team, t) for t in ("ADM", "NY", "BER", "KOL"))
    for user, zone, name in ((admin, BERLIN, "Ada"), (ny, NEW_YORK, "Nora"), (berlin, BERLIN, "Bernd"), (kolkata, KOLKATA, "Kavya")):
        await meet(bot, team, user, zone, name, is_admin=user == admin)
    standup = await set_up(bot, team, admin, "Core team", [ny, berlin, kolkata], owner=admin)
    await tick(bot, clock, local(TUESDAY, 0, 1, "UTC"))  # computes each participant's first moment

    # 09:30 in Kolkata: only Kavya is prompted.
    lines = await tick(bot, clock, local(TUESDAY, 9, 30, KOLKATA))
    assert [len(dms(bot, u)) for u in (ny, berlin, kolkata)] == [0, 0, 1], lines
    prompt = dms(bot, kolkata)[0]
    assert_valid_blocks(_blocks(prompt.args))
    assert "Due by *11:00*" in json.dumps(_blocks(prompt.args))

    status, body = await answer(bot, team, kolkata, fill_value(_blocks(prompt.args)),
                                ["Shipped the export", "Review PRs", "Waiting on legal for the DPA"])
    assert status == 200 and body["response_action"] == "update", body
    posts = channel_posts(bot, team)
    assert len(posts) == 1 and "Kavya" in json.dumps(posts[0].blocks) and "Blocker" in json.dumps(posts[0].blocks)
    assert dms(bot, admin) == []  # 05:00 in Berlin: the owner hears of it when their day starts

    # 09:30 Berlin, then 09:30 New York: one prompt each, never twice.
    await tick(bot, clock, local(TUESDAY, 9, 30, BERLIN))
    owner_dms = dms(bot, admin)
    assert len(owner_dms) == 1 and "blocker" in owner_dms[0].args["text"].lower()
    await tick(bot, clock, local(TUESDAY, 9, 31, BERLIN))
    assert [len(dms(bot, u)) for u in (ny, berlin, kolkata)] == [0, 1, 1]
    # 10:15 Berlin (half way to the 11:00 deadline: they are 90 minutes apart): Bernd has not answered.
    await tick(bot, clock, local(TUESDAY, 10, 15, BERLIN))
    assert len(dms(bot, berlin)) == 2 and "Reminder" in dms(bot, berlin)[1].args["text"]
    await tick(bot, clock, local(TUESDAY, 9, 30, NEW_YORK))
    assert len(dms(bot, ny)) == 1

    # Bernd answers late (after 11:00 Berlin): posted, marked late.
    clock.set(local(TUESDAY, 11, 30, BERLIN))
    status, body = await answer(bot, team, berlin, fill_value(_blocks(dms(bot, berlin)[0].args)),
                                ["Planning", "Roadmap", "none"])
    assert status == 200
    async with bot.rt.db.unit_of_work() as session:
        row = await session.scalar(select(StandupAnswer).where(StandupAnswer.standup_id == standup.id,
                                                              StandupAnswer.user_id == berlin))
    assert row is not None and row.late and row.day == TUESDAY
    assert len(channel_posts(bot, team)) == 2 and "late" in json.dumps(channel_posts(bot, team)[1].blocks)

    # The summary waits for the last deadline (11:00 New York), then goes up once.
    await tick(bot, clock, local(TUESDAY, 10, 59, NEW_YORK))
    assert len(channel_posts(bot, team)) == 2
    await tick(bot, clock, local(TUESDAY, 11, 0, NEW_YORK))
    await tick(bot, clock, local(TUESDAY, 11, 1, NEW_YORK))
    posts = channel_posts(bot, team)
    assert len(posts) == 3, [p.text for p in posts]
    summary = json.dumps(posts[2].blocks)
    assert "2/3" in summary and "Nora" in summary and "Waiting on legal" in summary, summary
    assert_valid_blocks(posts[2].blocks)

    # Nora answers after the summary: her answer posts late and the summary's count follows.
    status, _ = await answer(bot, team, ny, fill_value(_blocks(dms(bot, ny)[0].args)), ["a", "b", ""])
    updated = [c for c in bot.fake.calls_to("chat.update") if c.args.get("ts") == posts[2].ts]
    assert updated and "3/3" in json.dumps(updated[-1].args.get("blocks")), updated

    # Wednesday: the window opened at Tuesday's deadline; Kavya's blocker carries over with its age.
    wednesday = TUESDAY + timedelta(days=1)
    await tick(bot, clock, local(wednesday, 9, 30, KOLKATA))
    status, _ = await answer(bot, team, kolkata, fill_value(_blocks(dms(bot, kolkata)[-1].args)),
                             ["x", "y", "Waiting on legal for the DPA"])
    latest = channel_posts(bot, team)[-1]
    assert "blocked for 1 day" in json.dumps(latest.blocks)
    assert len(dms(bot, admin)) == 1  # the owner was told once, not again

    async with bot.rt.db.unit_of_work() as session:
        members = (await session.scalars(select(StandupMember).where(StandupMember.standup_id == standup.id))).all()
    assert all(m.next_at is not None for m in members)
    assert channel_of(team)
