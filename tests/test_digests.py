"""Digests end to end (issue 14): scheduled posts in two time zones and across DST driven by
`duties.tick` at chosen instants, once per period (the same instant ticked twice, two
processes at once, a restart between claim and post), grace after downtime, 429s, channel
failures told to the owner once, a digest deleted while due, `/digest now` and `preview`; on
SQLite and PostgreSQL. Commands and forms: tests/test_digest_commands.py."""
from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from bot import duties
from bot.app import build_app
from bot.clock import Clock
from bot.delivery import claim
from bot.digests.enums import DigestView
from bot.runtime import Runtime
from models.delivery import Delivery, DeliveryStatus
from models.digest import Digest
from models.launch import Decision, Launch
from tests.blockkit import assert_valid_blocks, block_text
from tests.conftest import Bot, bot_settings
from tests.digest_helpers import blocks_of, digest, digest_posts, row, set_up
from tests.standup_helpers import BERLIN, NEW_YORK, channel_of, last_view, local, meet, submit, tick, uid

MONDAY = date(2026, 12, 7)


async def admin_of(bot: Bot, team: str, zone: str = BERLIN) -> str:
    admin = uid(team, "ADM")
    await meet(bot, team, admin, zone, "Ada", is_admin=True)
    return admin


def mine(lines: list[str], team: str) -> list[str]:
    return [line for line in lines if f" in {team}" in line]


def dm_texts(bot: Bot, user: str) -> list[str]:
    """What each DM to the person reads: its text and its blocks."""
    return [c.args.get("text", "") + "\n" + block_text(blocks_of(c)) for c in bot.fake.posted(user) if c.ok]


async def delivery(bot: Bot, d: Digest, period: str) -> Delivery | None:
    async with bot.rt.db.unit_of_work() as session:
        return await session.scalar(select(Delivery).where(Delivery.team_id == d.team_id, Delivery.kind == "digest.post",
                                                           Delivery.key == str(d.id), Delivery.period == period))


# -- on time, once ----------------------------------------------------------------------------------

async def test_a_daily_digest_posts_at_its_local_time_once(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 8, 0))
    admin = await admin_of(bot, team)
    d = await set_up(bot, team, admin, "Product daily", time="09:00", timezone=BERLIN)
    assert d.next_at == local(MONDAY, 9, 0).astimezone(UTC) and d.next_period == MONDAY.isoformat()
    channel = channel_of(team)
    assert not mine(await tick(bot, clock, local(MONDAY, 8, 59)), team)
    lines = mine(await tick(bot, clock, local(MONDAY, 9, 0)), team)
    assert lines == [f"digests: sent digest {d.id} in {team} for {MONDAY.isoformat()}"]
    (post,) = digest_posts(bot, channel)
    assert_valid_blocks(blocks_of(post))
    assert "Product daily" in block_text(blocks_of(post))
    assert post.args.get("unfurl_links") in (False, "false", "0", 0)
    again = await asyncio.gather(duties.tick(bot.rt, local(MONDAY, 9, 0)), duties.tick(bot.rt, local(MONDAY, 9, 0)))
    await bot.settle()
    assert not [line for lines in again for line in mine(lines, team) if ": sent " in line]
    await tick(bot, clock, local(MONDAY, 9, 1))
    assert len(digest_posts(bot, channel)) == 1
    after = await row(bot, team, "Product daily")
    assert after.next_at == local(MONDAY + timedelta(days=1), 9, 0).astimezone(UTC)
    assert after.last_ts == digest_posts(bot, channel)[0].args.get("ts") or after.last_ts is not None


async def test_digests_in_two_time_zones_post_at_each_ones_local_time(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 6, 0))
    admin = await admin_of(bot, team)
    berlin, york = channel_of(team), "CNY" + team[-7:]
    await set_up(bot, team, admin, "Berlin", time="09:00", timezone=BERLIN)
    await set_up(bot, team, admin, "New York", channel=york, time="09:00", timezone=NEW_YORK)
    await tick(bot, clock, datetime(2026, 12, 7, 8, 0, tzinfo=UTC))  # 09:00 in Berlin, 03:00 in New York
    assert len(digest_posts(bot, berlin)) == 1 and not digest_posts(bot, york)
    await tick(bot, clock, datetime(2026, 12, 7, 13, 59, tzinfo=UTC))
    assert not digest_posts(bot, york)
    await tick(bot, clock, datetime(2026, 12, 7, 14, 0, tzinfo=UTC))  # 09:00 in New York
    assert len(digest_posts(bot, york)) == 1 and len(digest_posts(bot, berlin)) == 1


async def test_a_weekly_digest_posts_on_its_one_day(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 8, 0))
    admin = await admin_of(bot, team)
    d = await set_up(bot, team, admin, "Weekly", cadence="weekly", days=["4"], time="16:00", timezone=BERLIN)
    friday = MONDAY + timedelta(days=4)
    assert d.next_period == friday.isoformat()
    for day in range(4):
        await tick(bot, clock, local(MONDAY + timedelta(days=day), 16, 0))
    assert not digest_posts(bot, channel_of(team))
    await tick(bot, clock, local(friday, 16, 0))
    (post,) = digest_posts(bot, channel_of(team))
    assert "weekly, every Fri at 16:00 (Europe/Berlin)" in block_text(blocks_of(post))
    assert (await row(bot, team, "Weekly")).next_period == (friday + timedelta(days=7)).isoformat()


async def test_across_dst_a_digest_posts_once_a_day_at_its_wall_time(bot: Bot, team: str, clock: Clock) -> None:
    """Europe/Berlin: 02:30 does not exist on 28 March 2027 (02:00 -> 03:00) and happens twice on
    31 October 2027; the digest posts once each day, at the same distance past the jump and at
    the first 02:30."""
    clock.set(datetime(2027, 3, 26, 12, 0, tzinfo=UTC))
    admin = await admin_of(bot, team)
    d = await set_up(bot, team, admin, "Nightly", days=[str(i) for i in range(7)], time="02:30", timezone=BERLIN)
    channel = channel_of(team)
    await tick(bot, clock, datetime(2027, 3, 27, 1, 30, tzinfo=UTC))  # Saturday 02:30 CET
    assert len(digest_posts(bot, channel)) == 1
    assert (await row(bot, team, "Nightly")).next_at == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # 03:30 CEST
    await tick(bot, clock, datetime(2027, 3, 28, 0, 30, tzinfo=UTC))
    assert len(digest_posts(bot, channel)) == 1
    await tick(bot, clock, datetime(2027, 3, 28, 1, 30, tzinfo=UTC))
    assert len(digest_posts(bot, channel)) == 2
    assert (await row(bot, team, "Nightly")).next_at == datetime(2027, 3, 29, 0, 30, tzinfo=UTC)  # 02:30 CEST

    clock.set(datetime(2027, 10, 29, 12, 0, tzinfo=UTC))
    await digest(bot, team, admin, "edit Nightly")  # any edit recomputes the next occurrence from now
    view = last_view(bot, DigestView.SETUP)
    status, body = await submit(bot, team, admin, view, {})
    assert status == 200 and not (body or {}).get("errors"), body
    before = len(digest_posts(bot, channel))
    await tick(bot, clock, datetime(2027, 10, 31, 0, 30, tzinfo=UTC))  # the first 02:30 (CEST)
    assert len(digest_posts(bot, channel)) == before + 1
    await tick(bot, clock, datetime(2027, 10, 31, 1, 30, tzinfo=UTC))  # the second 02:30 (CET)
    assert len(digest_posts(bot, channel)) == before + 1
    assert (await row(bot, team, "Nightly")).next_at == datetime(2027, 11, 1, 1, 30, tzinfo=UTC)
    assert d.id == (await row(bot, team, "Nightly")).id


# -- empty periods ----------------------------------------------------------------------------------

async def test_an_empty_digest_says_so_in_one_line_or_posts_nothing_as_set(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 8, 0))
    admin = await admin_of(bot, team)
    quiet = "CQ" + team[-8:]
    await set_up(bot, team, admin, "Says", time="09:00", timezone=BERLIN)
    await set_up(bot, team, admin, "Skips", channel=quiet, time="09:00", timezone=BERLIN,
                 when_empty="skip")
    lines = mine(await tick(bot, clock, local(MONDAY, 9, 0)), team)
    (said,) = digest_posts(bot, channel_of(team))
    assert "Nothing new in feedback, launches, standups or KPIs since" in block_text(blocks_of(said))
    assert not bot.fake.posted(quiet)
    assert any("nothing to say: not posted, as set" in line for line in lines), lines
    skipped = await row(bot, team, "Skips")
    assert skipped.last_posted_at is not None and skipped.last_ts is None  # the period counts as done


# -- downtime ---------------------------------------------------------------------------------------

async def test_back_within_the_grace_it_posts_late_and_after_it_records_the_skip(bot: Bot, team: str,
                                                                                 clock: Clock) -> None:
    clock.set(local(MONDAY, 8, 0))
    admin = await admin_of(bot, team)
    late = "CL" + team[-8:]
    on_time = await set_up(bot, team, admin, "Late", time="09:00", timezone=BERLIN)
    missed = await set_up(bot, team, admin, "Missed", channel=late, time="03:00", timezone=BERLIN)
    lines = mine(await tick(bot, clock, local(MONDAY, 14, 30)), team)  # down from 08:00 to 14:30
    assert len(digest_posts(bot, channel_of(team))) == 1  # 5 h 30 late: within 6 h
    assert not bot.fake.posted(late)
    tuesday = (MONDAY + timedelta(days=1)).isoformat()
    assert any(f"skipped digest {missed.id} in {team} for {tuesday}" in line and "past the 6 h grace" in line
               for line in lines) is False  # Tuesday's 03:00 is not due yet: Monday's wasn't scheduled (created at 08:00)
    clock.set(local(MONDAY + timedelta(days=1), 2, 0))
    lines = mine(await tick(bot, clock, local(MONDAY + timedelta(days=1), 9, 30)), team)  # 6 h 30 after 03:00
    assert f"digests: skipped digest {missed.id} in {team} for {tuesday} (due " in "\n".join(lines)
    assert "past the 6 h grace" in "\n".join(lines)
    assert (await delivery(bot, missed, tuesday)).status is DeliveryStatus.SKIPPED
    assert not bot.fake.posted(late)
    await tick(bot, clock, local(MONDAY + timedelta(days=2), 3, 0))  # the next day posts as usual
    assert len(digest_posts(bot, late)) == 1
    assert on_time.id != missed.id


async def test_the_grace_is_a_setting(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 8, 0))
    admin = await admin_of(bot, team)
    d = await set_up(bot, team, admin, "Short grace", time="09:00", timezone=BERLIN)
    bot.rt.settings.digest_grace_hours = 1
    try:
        lines = mine(await tick(bot, clock, local(MONDAY, 10, 30)), team)
    finally:
        bot.rt.settings.digest_grace_hours = 6
    assert not digest_posts(bot, channel_of(team))
    assert any(f"skipped digest {d.id}" in line and "past the 1 h grace" in line for line in lines), lines


async def test_a_restart_between_claim_and_post_posts_once_not_zero_not_two(bot: Bot, team: str,
                                                                            clock: Clock) -> None:
    """A process claimed Monday's post and died before posting: the claim holds for 10 minutes
    (another process may still be posting), then the next tick takes it over and posts once."""
    clock.set(local(MONDAY, 8, 0))
    admin = await admin_of(bot, team)
    d = await set_up(bot, team, admin, "Crashed", time="09:00", timezone=BERLIN)
    async with bot.rt.db.unit_of_work() as session:
        assert await claim(session, team, "digest.post", str(d.id), MONDAY.isoformat(), now=local(MONDAY, 9, 0))
    lines = mine(await tick(bot, clock, local(MONDAY, 9, 1)), team)
    assert not digest_posts(bot, channel_of(team)), lines
    assert any("being sent by another process" in line for line in lines), lines
    await tick(bot, clock, local(MONDAY, 9, 5))
    assert not digest_posts(bot, channel_of(team))
    await tick(bot, clock, local(MONDAY, 9, 11))
    assert len(digest_posts(bot, channel_of(team))) == 1
    for minute in (12, 20, 40):
        await tick(bot, clock, local(MONDAY, 9, minute))
    assert len(digest_posts(bot, channel_of(team))) == 1
    assert (await delivery(bot, d, MONDAY.isoformat())).status is DeliveryStatus.SENT


async def test_two_processes_ticking_the_same_instant_post_once(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 8, 0))
    admin = await admin_of(bot, team)
    channels = [channel_of(team), "CW" + team[-8:], "CX" + team[-8:]]
    await set_up(bot, team, admin, "One", time="09:00", timezone=BERLIN)
    await set_up(bot, team, admin, "Two", channel=channels[1], time="09:00", timezone=BERLIN)
    await set_up(bot, team, admin, "Three", channel=channels[2], time="09:00",
                 timezone=BERLIN)
    first, second = (Runtime.create(bot_settings(bot.rt.settings.database_url, bot.fake.api_url)) for _ in range(2))
    build_app(first)
    build_app(second)
    try:
        at = local(MONDAY, 9, 0)
        clock.set(at)
        both = await asyncio.gather(duties.tick(first, at), duties.tick(second, at))
        sent = [line for lines in both for line in mine(lines, team) if ": sent " in line]
        assert len(sent) == 3, both
        assert [len(digest_posts(bot, c)) for c in channels] == [1, 1, 1]
        again = await asyncio.gather(duties.tick(first, at + timedelta(minutes=1)),
                                     duties.tick(second, at + timedelta(minutes=1)))
        assert not [line for lines in again for line in mine(lines, team) if ": sent " in line]
        assert [len(digest_posts(bot, c)) for c in channels] == [1, 1, 1]
    finally:
        await first.close()
        await second.close()


# -- Slack refusing ---------------------------------------------------------------------------------

async def test_a_429_is_waited_out_and_the_digest_posts_once(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 8, 0))
    admin = await admin_of(bot, team)
    channel = channel_of(team)
    await set_up(bot, team, admin, "Limited", time="09:00", timezone=BERLIN)
    bot.fake.fail("chat.postMessage", retry_after=0, match={"channel": channel})
    lines = mine(await tick(bot, clock, local(MONDAY, 9, 0)), team)
    assert len([c for c in bot.fake.posted(channel)]) == 2, lines  # the 429, then the post
    assert len(digest_posts(bot, channel)) == 1


async def test_a_channel_that_refuses_tells_the_owner_once_and_does_not_hold_up_the_others(
        bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 8, 0))
    admin = await admin_of(bot, team)
    owner = uid(team, "OWN")
    await meet(bot, team, owner, BERLIN, "Olga")
    gone, fine = "CG" + team[-8:], channel_of(team)
    refused = await set_up(bot, team, admin, "Refused", channel=gone, time="09:00",
                           timezone=BERLIN, owner=owner)
    await set_up(bot, team, admin, "Fine", time="09:00", timezone=BERLIN)
    bot.fake.not_member.add(gone)  # the bot was removed from the channel after the setup
    lines = mine(await tick(bot, clock, local(MONDAY, 9, 0)), team)
    assert len(digest_posts(bot, fine)) == 1, lines
    assert any(f"failed digest {refused.id}" in line and "not_in_channel" in line for line in lines), lines
    told = [t for t in dm_texts(bot, owner) if "couldn't be posted" in t]
    assert len(told) == 1 and f"<#{gone}>" in told[0] and "not_in_channel" in told[0]
    for minute in (1, 5, 10, 15):  # retried every 5 minutes within the grace; told once
        await tick(bot, clock, local(MONDAY, 9, minute))
    attempts = [c for c in bot.fake.posted(gone)]
    assert 2 <= len(attempts) <= 4, len(attempts)
    assert len([t for t in dm_texts(bot, owner) if "couldn't be posted" in t]) == 1
    listed = await digest(bot, team, admin, "list")
    assert "not_in_channel" in block_text(listed["blocks"])
    bot.fake.not_member.discard(gone)  # invited back
    await tick(bot, clock, local(MONDAY, 9, 25))
    assert len(digest_posts(bot, gone)) == 1
    assert (await row(bot, team, "Refused")).failing_since is None
    for minute in (30, 45):
        await tick(bot, clock, local(MONDAY, 9, minute))
    assert len(digest_posts(bot, gone)) == 1 and len(digest_posts(bot, fine)) == 1


async def test_an_archived_channel_is_told_to_the_owner_with_what_to_do(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 8, 0))
    admin = await admin_of(bot, team)
    archived = "CZ" + team[-8:]
    await set_up(bot, team, admin, "Archived", channel=archived, time="09:00", timezone=BERLIN)
    bot.fake.archived.add(archived)
    await tick(bot, clock, local(MONDAY, 9, 0))
    (told,) = [t for t in dm_texts(bot, admin) if "couldn't be posted" in t]
    assert "is_archived" in told and "/digest edit" in told
    await tick(bot, clock, local(MONDAY + timedelta(days=1), 9, 0))  # the next day fails too: still told once
    assert len([t for t in dm_texts(bot, admin) if "couldn't be posted" in t]) == 1


async def test_a_digest_deleted_while_its_post_is_due_posts_nothing(bot: Bot, team: str, clock: Clock) -> None:
    """Two digests due the same minute in one channel post one after the other; the second is
    deleted (through its confirmation form) while the first is being posted."""
    clock.set(local(MONDAY, 8, 0))
    admin = await admin_of(bot, team)
    first = await set_up(bot, team, admin, "First", time="09:00", timezone=BERLIN)
    second = await set_up(bot, team, admin, "Second", time="09:00", timezone=BERLIN)
    await digest(bot, team, admin, "delete Second")
    confirm = last_view(bot, DigestView.DELETE)

    async def meanwhile(_args: dict[str, Any]) -> None:
        status, _ = await submit(bot, team, admin, confirm, {})
        assert status == 200

    bot.fake.before["chat.postMessage"] = meanwhile
    lines = mine(await tick(bot, clock, local(MONDAY, 9, 0)), team)
    posts = digest_posts(bot, channel_of(team))
    assert len(posts) == 1 and "First" in block_text(blocks_of(posts[0])), lines
    assert f"sent digest {first.id} in {team} for {MONDAY.isoformat()}" in "\n".join(lines)
    assert f"digest {second.id} in {team} for {MONDAY.isoformat()} (nothing posted: the digest was deleted)" \
        in "\n".join(lines), lines
    await tick(bot, clock, local(MONDAY, 9, 5))
    assert len(digest_posts(bot, channel_of(team))) == 1


# -- now and preview --------------------------------------------------------------------------------

async def test_now_posts_at_once_and_counts_as_that_periods_post(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 7, 0))
    admin = await admin_of(bot, team)
    await set_up(bot, team, admin, "Morning", time="09:00", timezone=BERLIN)
    body = await digest(bot, team, admin, "now")
    assert body["text"] == (f"Posting *Morning* in <#{channel_of(team)}> now. It counts as the digest due Mon Dec 7 "
                            "09:00, which won't post again.")
    assert len(digest_posts(bot, channel_of(team))) == 1
    again = await digest(bot, team, admin, "now Morning")
    assert "was already posted" in again["text"]
    await tick(bot, clock, local(MONDAY, 9, 0))
    assert len(digest_posts(bot, channel_of(team))) == 1
    await tick(bot, clock, local(MONDAY + timedelta(days=1), 9, 0))
    assert len(digest_posts(bot, channel_of(team))) == 2


async def test_preview_is_private_and_posts_nothing(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 7, 0))
    admin = await admin_of(bot, team)
    member = uid(team, "MEM")
    await meet(bot, team, member, BERLIN, "Mo")
    await set_up(bot, team, admin, "Peek", time="09:00", timezone=BERLIN)
    body = await digest(bot, team, member, "preview")  # anyone in the digest's channel
    assert body.get("response_type", "ephemeral") == "ephemeral"
    assert_valid_blocks(body["blocks"])
    assert "Preview: Peek" in block_text(body["blocks"])
    elsewhere = await digest(bot, team, member, "preview Peek", channel="CELSE" + team[-5:])
    assert elsewhere["text"].startswith("Only its owner")
    assert not digest_posts(bot, channel_of(team))
    assert (await row(bot, team, "Peek")).last_posted_at is None


async def test_a_digest_whose_owner_left_tells_its_creator_about_a_failing_channel(bot: Bot, team: str,
                                                                                   clock: Clock) -> None:
    clock.set(local(MONDAY, 8, 0))
    admin = await admin_of(bot, team)
    owner = uid(team, "OWN")
    await meet(bot, team, owner, BERLIN, "Olga")
    gone = "CG" + team[-8:]
    await set_up(bot, team, admin, "Orphan", channel=gone, time="09:00", timezone=BERLIN, owner=owner)
    status, _ = await bot.slack.event(team, {"type": "user_change", "user": {
        "id": owner, "team_id": team, "name": "olga", "deleted": True, "is_bot": False, "tz": BERLIN,
        "profile": {"real_name": "Olga", "display_name": "Olga"}}})
    assert status == 200
    await bot.settle()
    assert (await row(bot, team, "Orphan")).owner_id == admin
    bot.fake.not_member.add(gone)
    await tick(bot, clock, local(MONDAY, 9, 0))
    assert len([t for t in dm_texts(bot, admin) if "couldn't be posted" in t]) == 1
    assert not [t for t in dm_texts(bot, owner) if "couldn't be posted" in t]


# -- all four sections in one post ------------------------------------------------------------------

async def test_one_post_holds_feedback_launches_standups_and_kpis_within_slacks_limits(bot: Bot, team: str,
                                                                                     clock: Clock) -> None:
    """Something in each area, filed through the app with text that tries to ping and forge: the
    digest has a part per feature under its label, valid, within 50 blocks and Slack's message
    size, pinging nobody but an overdue owner."""
    from bot.standups.enums import StandupView
    from tests.standup_helpers import set_up as standup_set_up
    from tests.test_kpis import define, kpi
    clock.set(local(MONDAY, 7, 0))
    admin = await admin_of(bot, team)
    channel = channel_of(team)
    hostile = "<!here> & <https://evil.example|click> <@U0BOSS>"
    for i in range(3):
        status, said = await bot.slack.command(team, admin, "/feedback", f"Dashboards load slowly ({i}) {hostile} #perf",
                                               channel_id=channel)
        assert status == 200
        assert "Filed" in said["text"] or "filed" in said["text"], said
    status, _ = await bot.slack.command(team, admin, "/launch", f'new "Mobile {i} &lt;v2&gt;" 2026-12-10',
                                        channel_id=channel)
    assert status == 200
    await bot.settle()
    await define(bot, team, admin, key="activation", name="Activation <!channel>", target="40", unit="percent")
    await kpi(bot, team, admin, "log activation 35%")
    await standup_set_up(bot, team, admin, "Core", [admin], prompt="07:30", deadline="08:30")
    clock.set(local(MONDAY, 7, 45))
    status, _ = await bot.slack.command(team, admin, "/standup", "Core", channel_id=channel)
    await bot.settle()
    status, body = await submit(bot, team, admin, last_view(bot, StandupView.ANSWER),
                                {"q0": "Shipping", "q1": "More", "q2": hostile})
    assert status == 200, body
    await set_up(bot, team, admin, "Everything", time="09:00", timezone=BERLIN)
    await tick(bot, clock, local(MONDAY, 9, 0))
    posts = digest_posts(bot, channel)
    (post,) = posts
    body = blocks_of(post)
    assert_valid_blocks(body)
    text = block_text(body)
    for label in ("*Feedback*", "*Launches*", "*Standups*", "*KPIs*"):
        assert label in text, (label, text)
    assert sum(len(str(b)) for b in body) < 13_000
    shown = " ".join(str(b) for b in body)
    assert "<!here>" not in shown and "<!channel>" not in shown and "<@U0BOSS>" not in shown


async def test_prodops_bot_tick_dry_run_says_what_would_post_and_changes_nothing(bot: Bot, team: str,
                                                                                 clock: Clock) -> None:
    """The CLI, as an operator runs it: `prodops-bot tick --at … --dry-run` names the digest it
    would post and claims nothing; then `prodops-bot tick --at …` posts it, once."""
    from tests.test_standup_time import run_cli
    clock.set(local(MONDAY, 8, 0))
    admin = await admin_of(bot, team)
    d = await set_up(bot, team, admin, "From the CLI", time="09:00", timezone=BERLIN)
    line = f"digests: would send digest {d.id} in {team} for {MONDAY.isoformat()}"
    code, output = await run_cli(bot, "tick", "--at", "2026-12-07T09:00:00+01:00", "--dry-run")
    assert code == 0 and line in output.splitlines(), output
    assert not digest_posts(bot, channel_of(team)) and await delivery(bot, d, MONDAY.isoformat()) is None
    assert (await row(bot, team, "From the CLI")).next_at == d.next_at
    code, output = await run_cli(bot, "tick", "--at", "2026-12-07T09:00:00+01:00")
    assert code == 0 and line.replace("would send", "sent") in output.splitlines(), output
    code, output = await run_cli(bot, "tick", "--at", "2026-12-07T09:00:00+01:00")
    assert code == 0 and f"digest {d.id} in {team}" not in output  # moved on: nothing due again
    assert len(digest_posts(bot, channel_of(team))) == 1


async def test_a_part_that_does_not_depend_on_the_channel_is_built_once_per_tick(bot: Bot, team: str,
                                                                                 clock: Clock) -> None:
    """Two digests on one schedule in two channels: the feedback part (the workspace's) is
    built once and shared; launches "in this channel" are built per channel; and the period
    is the same for both, so they share at all."""
    from bot.digests.compose import compose
    from bot.digests.sections import registered
    clock.set(local(MONDAY, 7, 0))
    admin = await admin_of(bot, team)
    other = "CSHARE" + team[-4:]
    first = await set_up(bot, team, admin, "Here", time="09:00", timezone=BERLIN, sections=["feedback", "launches"])
    second = await set_up(bot, team, admin, "There", channel=other, time="09:00", timezone=BERLIN,
                          sections=["feedback", "launches"])
    status, _ = await bot.slack.command(team, admin, "/feedback", "Dashboards flicker #ui", channel_id=other)
    assert status == 200
    await bot.settle()
    shared: dict = {}
    at = local(MONDAY, 9, 0)
    async with bot.rt.db.unit_of_work() as session:
        texts = [block_text((await compose(session, registered(bot.rt.features), await session.get(Digest, d.id),
                                           at, shared=shared)).blocks) for d in (first, second)]
    assert [key[0] for key in shared] == ["feedback", "launches", "launches"], list(shared)
    assert [key[2] for key in shared] == [None, channel_of(team), other]
    assert all("1 item filed" in text for text in texts), texts


async def test_the_kpi_part_says_which_launch_happened_in_the_period(bot: Bot, team: str, clock: Clock) -> None:
    from tests.test_kpis import define, kpi
    clock.set(local(MONDAY - timedelta(days=3), 9, 0))  # Friday
    admin = await admin_of(bot, team)
    status, _ = await bot.slack.command(team, admin, "/launch", 'new "Checkout <v2>" 2026-12-05', channel_id=channel_of(team))
    assert status == 200
    status, _ = await bot.slack.command(team, admin, "/launch", 'new "Never decided" 2026-12-04', channel_id=channel_of(team))
    assert status == 200
    await bot.settle()
    async with bot.rt.db.unit_of_work() as session:  # a go on Checkout (the go/no-go flow is tests/test_launches.py's)
        await session.execute(update(Launch).where(Launch.team_id == team, Launch.name_key == "checkout &lt;v2&gt;")
                              .values(decision=Decision.GO))
    await define(bot, team, admin, key="conv", name="Conversion", target="3", unit="percent")
    await kpi(bot, team, admin, "log conv 2.5% 2026-12-04")
    await set_up(bot, team, admin, "Weekly KPIs", cadence="weekly", days=["0"], time="09:00", timezone=BERLIN,
                 sections=["kpis"])
    clock.set(local(MONDAY, 8, 0))
    await kpi(bot, team, admin, "log conv 3.4%")
    await tick(bot, clock, local(MONDAY, 9, 0))
    (post,) = digest_posts(bot, channel_of(team))
    text = block_text(blocks_of(post))
    assert ":rocket: Launched in this period: *Checkout &lt;v2&gt;* (Sat Dec 5)" in text, text
    assert "Never decided" not in text  # no go: it did not launch
