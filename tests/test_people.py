"""People: records kept from Slack's user_change event and users.info, through the signed endpoint."""
from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot.feature import Feature
from bot.people.directory import PersonInfo, get_person
from bot.people.flows import REFRESH_AFTER, STALE_AFTER, ensure_people, refresh_people
from bot.workspaces import ensure_workspace
from models.base import utcnow
from models.person import Person
from tests.conftest import Bot

# The user object of Slack's user_change example (docs.slack.dev/reference/events/user_change).
SLACK_USER: dict[str, Any] = {
    "id": "U1234567", "team_id": "T1234567", "name": "some-user", "deleted": False, "color": "4bbe2e",
    "real_name": "Some User", "tz": "America/Los_Angeles", "tz_label": "Pacific Daylight Time",
    "tz_offset": -25200,
    "profile": {
        "title": "", "phone": "", "skype": "", "real_name": "Some User", "real_name_normalized": "Some User",
        "display_name": "", "display_name_normalized": "", "fields": {}, "status_text": "riding a train",
        "status_emoji": ":mountain_railway:", "status_emoji_display_info": [], "status_expiration": 0,
        "avatar_hash": "g12345678910", "first_name": "Some", "last_name": "User",
        "image_24": "https://secure.gravatar.com/avatar/cb0c2b2ca5e8de16be31a55a734d0f31.jpg?s=24",
        "team": "T1234567",
    },
    "is_admin": False, "is_owner": False, "is_primary_owner": False, "is_restricted": False,
    "is_ultra_restricted": False, "is_bot": False, "is_app_user": False, "updated": 1648596421,
    "is_email_confirmed": True, "who_can_share_contact_card": "EVERYONE", "locale": "en-US",
}


def slack_user(user_id: str, team: str, **changes: Any) -> dict[str, Any]:
    user = copy.deepcopy(SLACK_USER)
    profile = changes.pop("profile", {})
    user.update(id=user_id, team_id=team, **changes)
    user["profile"].update(team=team, **profile)
    return user


def grid_user(user_id: str, team: str, teams: list[str], **changes: Any) -> dict[str, Any]:
    """An Enterprise Grid member: a W id, and `enterprise_user` listing the org's workspaces they are in."""
    user = slack_user(user_id, team, **changes)
    user["enterprise_user"] = {"id": user_id, "enterprise_id": "E0123ABC", "enterprise_name": "Acme Org",
                               "is_admin": False, "is_owner": False, "is_primary_owner": False, "teams": teams}
    return user


async def user_change(bot: Bot, team: str, user: dict[str, Any]) -> None:
    status, _ = await bot.slack.event(team, {"type": "user_change", "user": user, "cache_ts": 1648596421,
                                             "event_ts": "1648596712.000001"})
    assert status == 200


async def person(bot: Bot, team: str, user_id: str) -> PersonInfo | None:
    async with bot.rt.db.unit_of_work() as session:
        return await get_person(session, team, user_id)


async def workspace(bot: Bot, team: str) -> None:
    async with bot.rt.db.unit_of_work() as session:
        await ensure_workspace(session, team)


@contextmanager
def departures(bot: Bot) -> Iterator[list[tuple[str, str]]]:
    """A feature that records every departure handed to it (Feature.on_leave)."""
    seen: list[tuple[str, str]] = []

    async def hand_over(_session: object, team_id: str, user_id: str) -> None:
        seen.append((team_id, user_id))

    features = bot.rt.features
    bot.rt.features = (*features, Feature("probe", None, listeners=lambda _app: None, on_leave=(hand_over,)))
    try:
        yield seen
    finally:
        bot.rt.features = features


async def test_user_change_records_time_zone_name_and_flags(bot: Bot, team: str) -> None:
    await user_change(bot, team, slack_user("U1234567", team))
    first = await person(bot, team, "U1234567")
    assert first is not None
    assert (first.display_name, first.tz, first.tz_offset, first.is_bot, first.deleted) == \
        ("Some User", "America/Los_Angeles", -25200, False, False)

    await user_change(bot, team, slack_user("U1234567", team, tz="Asia/Kolkata", tz_offset=19800,
                                            profile={"display_name": "Some <&> One"}))
    moved = await person(bot, team, "U1234567")
    assert moved is not None
    assert (moved.display_name, moved.tz, moved.tz_offset) == ("Some &lt;&amp;&gt; One", "Asia/Kolkata", 19800)
    assert moved.refreshed_at >= first.refreshed_at
    assert bot.fake.calls_to("users.info") == []  # the event carries the user: nothing to look up

    await user_change(bot, team, slack_user("U1234567", team, tz="Not/AZone", is_bot=True))
    odd = await person(bot, team, "U1234567")
    assert odd is not None and odd.tz is None and odd.is_bot
    assert odd.zone("Europe/Berlin").key == "Europe/Berlin"  # callers fall back to the workspace's zone


async def test_enterprise_grid_user_change_updates_each_workspace_they_are_in(bot: Bot, team: str) -> None:
    other, outside = team + "B", team + "C"
    for where in (team, other, outside):
        await user_change(bot, where, grid_user("W0123ABC", where, [team, other]))
    await user_change(bot, team, grid_user("W0123ABC", team, [team, other], tz="Europe/Berlin", tz_offset=3600))
    here, there, elsewhere = [await person(bot, t, "W0123ABC") for t in (team, other, outside)]
    assert here is not None and there is not None and elsewhere is not None
    assert here.tz == there.tz == "Europe/Berlin"
    assert elsewhere.tz == "America/Los_Angeles"  # not a workspace Slack listed for them: untouched
    assert await person(bot, team + "D", "W0123ABC") is None  # no record made where none was kept


async def test_a_person_who_leaves_is_kept_deleted_and_handed_over_once(bot: Bot, team: str) -> None:
    await user_change(bot, team, slack_user("ULEAVER1", team))
    with departures(bot) as seen:
        await user_change(bot, team, slack_user("ULEAVER1", team, deleted=True))
        await user_change(bot, team, slack_user("ULEAVER1", team, deleted=True))  # Slack says it again
        assert await ensure_people(bot.rt, team, ["ULEAVER1"], now=utcnow() + 2 * STALE_AFTER)
        gone = await person(bot, team, "ULEAVER1")
        assert gone is not None and gone.deleted and gone.left_at is not None
        assert gone.display_name == "Some User" and gone.tz == "America/Los_Angeles"
        assert seen == [(team, "ULEAVER1")]
        assert not [c for c in bot.fake.calls_to("users.info") if c.args.get("user") == "ULEAVER1"]

        await user_change(bot, team, slack_user("ULEAVER1", team))  # reactivated
        back = await person(bot, team, "ULEAVER1")
        assert back is not None and not back.deleted and back.left_at is None
        await user_change(bot, team, slack_user("ULEAVER1", team, deleted=True))
        assert seen == [(team, "ULEAVER1"), (team, "ULEAVER1")]  # a second departure is a new one


async def test_ensure_people_looks_up_the_unknown_once_and_the_stale_again(bot: Bot, team: str) -> None:
    await workspace(bot, team)
    bot.fake.add_user("UKOLKATA", tz="Asia/Kolkata", name="Priya")
    bot.fake.add_user("UNEWYORK", tz="America/New_York", name="Sam")
    with departures(bot) as seen:
        people = await ensure_people(bot.rt, team, ["UKOLKATA", "UNEWYORK", "UNOBODY1", "UKOLKATA"])
        assert {u: (p.tz, p.display_name, p.deleted) for u, p in people.items()} == {
            "UKOLKATA": ("Asia/Kolkata", "Priya", False), "UNEWYORK": ("America/New_York", "Sam", False),
            "UNOBODY1": (None, "UNOBODY1", True)}  # user_not_found: gone, recorded once
        assert seen == [(team, "UNOBODY1")]
    assert sorted(c.args["user"] for c in bot.fake.calls_to("users.info")) == ["UKOLKATA", "UNEWYORK", "UNOBODY1"]

    bot.fake.calls.clear()
    again = await ensure_people(bot.rt, team, ["UKOLKATA", "UNEWYORK", "UNOBODY1"])
    assert again == people and bot.fake.calls_to("users.info") == []  # fresh: no lookup per nudge

    bot.fake.add_user("UKOLKATA", tz="Europe/London", name="Priya")
    later = await ensure_people(bot.rt, team, ["UKOLKATA", "UNEWYORK"], now=utcnow() + STALE_AFTER + timedelta(hours=1))
    assert later["UKOLKATA"].tz == "Europe/London"
    assert sorted(c.args["user"] for c in bot.fake.calls_to("users.info")) == ["UKOLKATA", "UNEWYORK"]


async def test_ensure_people_keeps_the_last_known_record_when_slack_cannot_say(bot: Bot, team: str) -> None:
    await workspace(bot, team)
    bot.fake.add_user("UKNOWN01", tz="Australia/Adelaide")
    await ensure_people(bot.rt, team, ["UKNOWN01"])
    bot.fake.fail("users.info", "internal_error", times=2)
    people = await ensure_people(bot.rt, team, ["UKNOWN01", "UMISSING"], now=utcnow() + 2 * STALE_AFTER)
    assert list(people) == ["UKNOWN01"] and people["UKNOWN01"].tz == "Australia/Adelaide"
    assert await person(bot, team, "UMISSING") is None  # not known, not invented


async def test_ensure_people_calls_slack_outside_any_transaction(bot: Bot, team: str) -> None:
    if bot.rt.db.backend != "sqlite":
        pytest.skip("a held connection is observable on SQLite's single connection")
    await workspace(bot, team)
    bot.fake.add_user("UFREE001")
    held: list[bool] = []

    async def check(_args: dict[str, Any]) -> None:
        try:
            await asyncio.wait_for(bot.rt.db.ping(), 0.5)
        except TimeoutError:
            held.append(True)

    bot.fake.before["users.info"] = check
    assert (await ensure_people(bot.rt, team, ["UFREE001"]))["UFREE001"].tz == "Europe/London"
    assert held == []


async def test_refresh_sweeper_refreshes_the_stale_oldest_first_in_bounded_batches(bot: Bot, team: str) -> None:
    ids = [f"USTALE0{i}" for i in range(5)]
    for user_id in ids:
        await user_change(bot, team, slack_user(user_id, team))
    await user_change(bot, team, slack_user("UFRESH01", team))
    long_ago = datetime(2001, 1, 1, tzinfo=UTC)
    async with bot.rt.db.unit_of_work() as session:
        for age, user_id in enumerate(ids):  # USTALE00 checked longest ago
            await session.execute(update(Person).where(Person.team_id == team, Person.user_id == user_id)
                                  .values(checked_at=long_ago + timedelta(minutes=age),
                                          refreshed_at=long_ago + timedelta(minutes=age)))
    for user_id in ids[:4]:
        bot.fake.add_user(user_id, tz="Europe/Berlin", name=user_id.title())  # USTALE04 is gone from Slack
    bot.fake.add_user("UFRESH01", tz="Europe/Berlin")

    # The sweep runs a day after long_ago: only this test's rows are due then, not the ones other
    # tests left in the session database at their own (fixed, by now past) instants.
    sweep_at = long_ago + REFRESH_AFTER + timedelta(hours=1)
    with departures(bot) as seen:
        asked: list[list[str]] = []
        while count := await refresh_people(bot.rt, now=sweep_at, batch=2):
            assert count <= 2
            asked.append([c.args["user"] for c in bot.fake.calls_to("users.info")])
            bot.fake.calls.clear()
    assert [sorted(batch) for batch in asked] == [ids[0:2], ids[2:4], ids[4:5]]
    for user_id in ids[:4]:
        refreshed = await person(bot, team, user_id)
        assert refreshed is not None and refreshed.tz == "Europe/Berlin" and refreshed.refreshed_at > long_ago
    gone = await person(bot, team, ids[4])
    assert gone is not None and gone.deleted and gone.tz == "America/Los_Angeles"
    assert seen == [(team, ids[4])]
    fresh = await person(bot, team, "UFRESH01")
    assert fresh is not None and fresh.tz == "America/Los_Angeles"  # checked recently: not asked


async def test_a_failed_refresh_goes_to_the_back_of_the_queue(bot: Bot, team: str) -> None:
    await user_change(bot, team, slack_user("UFLAKY01", team))
    await user_change(bot, team, slack_user("USTEADY1", team))
    long_ago = datetime(2001, 1, 1, tzinfo=UTC)
    async with bot.rt.db.unit_of_work() as session:
        await session.execute(update(Person).where(Person.team_id == team).values(checked_at=long_ago))
    bot.fake.add_user("USTEADY1", tz="Asia/Tokyo")
    bot.fake.fail("users.info", "internal_error", match={"user": "UFLAKY01"})
    while await refresh_people(bot.rt, now=long_ago + REFRESH_AFTER + timedelta(hours=1), batch=1):
        pass
    flaky, steady = await person(bot, team, "UFLAKY01"), await person(bot, team, "USTEADY1")
    assert flaky is not None and not flaky.deleted and flaky.tz == "America/Los_Angeles"
    assert steady is not None and steady.tz == "Asia/Tokyo"
    assert sorted(c.args["user"] for c in bot.fake.calls_to("users.info")) == ["UFLAKY01", "USTEADY1"]


async def test_another_workspaces_person_is_not_visible(bot: Bot, team: str) -> None:
    other = team + "X"
    await user_change(bot, team, slack_user("USHARED1", team, tz="Asia/Kolkata"))
    await workspace(bot, other)
    assert await person(bot, other, "USHARED1") is None
    bot.fake.add_user("USHARED1", tz="America/Chicago")
    theirs = await ensure_people(bot.rt, other, ["USHARED1"])
    assert theirs["USHARED1"].tz == "America/Chicago" and theirs["USHARED1"].team_id == other
    ours = await person(bot, team, "USHARED1")
    assert ours is not None and ours.tz == "Asia/Kolkata"
    assert [c.args["user"] for c in bot.fake.calls_to("users.info")] == ["USHARED1"]


async def test_simultaneous_reports_of_a_departure_hand_over_once(bot: Bot, team: str) -> None:
    """The event and Slack's retry-like duplicates (distinct event ids) racing on two connections."""
    await user_change(bot, team, slack_user("URACER01", team))
    with departures(bot) as seen:
        gone = slack_user("URACER01", team, deleted=True)
        await asyncio.gather(*(user_change(bot, team, gone) for _ in range(4)),
                             ensure_people(bot.rt, team, ["UNEWRACE"]), ensure_people(bot.rt, team, ["UNEWRACE"]))
    assert sorted(seen) == [(team, "UNEWRACE"), (team, "URACER01")]
