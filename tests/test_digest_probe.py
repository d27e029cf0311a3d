"""What the black-box pass over /digest found (issue 14), each as it was reproduced: names
that could ping through the notification text, a first period that failed and was lost, the
next post said wrongly after `/digest now`, `now` on a paused digest, the empty line naming
sections the digest does not have, a bot as owner, an owner moving a digest to another channel,
and a forged deletion answered with the forged name."""
from __future__ import annotations

from datetime import date, timedelta

from bot.clock import Clock
from bot.digests.enums import DigestView
from tests.blockkit import block_text
from tests.conftest import Bot
from tests.digest_helpers import blocks_of, digest, digest_posts, open_setup, row, set_up
from tests.slack_requests import view_submission
from tests.standup_helpers import BERLIN, channel_of, last_view, local, meet, state_of, submit, tick, uid

MONDAY = date(2026, 12, 7)


async def admin_of(bot: Bot, team: str) -> str:
    admin = uid(team, "ADM")
    await meet(bot, team, admin, BERLIN, "Ada", is_admin=True)
    return admin


async def test_names_that_would_ping_are_escaped_in_the_notification_text_too(bot: Bot, team: str,
                                                                             clock: Clock) -> None:
    from tests.test_kpis import define, kpi
    clock.set(local(MONDAY, 7, 0))
    admin = await admin_of(bot, team)
    await define(bot, team, admin, key="rev", name="<!channel> Revenue & <b>R&D</b>", target="100")
    await kpi(bot, team, admin, "log rev 5")
    await set_up(bot, team, admin, "<!here> <@U0OTHER> R&D", time="09:00", timezone=BERLIN)
    await tick(bot, clock, local(MONDAY, 9, 0))
    (post,) = digest_posts(bot, channel_of(team))
    text = post.args["text"]
    assert text.startswith("&lt;!here&gt; &lt;@U0OTHER&gt; R&amp;D: "), text
    assert "&lt;!channel&gt; Revenue &amp; &lt;b&gt;R&amp;D&lt;/b&gt;" in text, text
    body = blocks_of(post)
    assert body[0]["text"] == {"type": "plain_text", "text": "<!here> <@U0OTHER> R&D", "emoji": True}  # shown as typed
    mrkdwn = text + str(body[1:])
    assert "<!here>" not in mrkdwn and "<!channel>" not in mrkdwn and "<@U0OTHER>" not in mrkdwn


async def test_a_first_period_that_failed_is_not_lost_from_the_next_digest(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 7, 0))
    admin = await admin_of(bot, team)
    lossy = "CLOSS" + team[-5:]
    await set_up(bot, team, admin, "Loss test", channel=lossy, time="10:00", timezone=BERLIN, sections=["feedback"])
    status, said = await bot.slack.command(team, admin, "/feedback", "Item A dashboards flicker #lossy",
                                           channel_id=lossy)
    assert status == 200 and "#1" in said["text"], said
    bot.fake.not_member.add(lossy)
    await tick(bot, clock, local(MONDAY, 10, 0))  # refused
    await tick(bot, clock, local(MONDAY, 16, 1))  # past the grace: recorded as skipped
    bot.fake.not_member.discard(lossy)
    await tick(bot, clock, local(MONDAY + timedelta(days=1), 10, 0))
    (post,) = digest_posts(bot, lossy)
    assert "1 item filed" in block_text(blocks_of(post)), block_text(blocks_of(post))


async def test_after_now_the_next_post_said_is_the_one_after(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 7, 0))
    admin = await admin_of(bot, team)
    await set_up(bot, team, admin, "Early", time="10:00", timezone=BERLIN)
    assert "counts as the digest due Mon Dec 7 10:00" in (await digest(bot, team, admin, "now Early"))["text"]
    listed = block_text((await digest(bot, team, admin, "list"))["blocks"])
    assert "next Tue Dec 8 10:00" in listed and "next Mon Dec 7" not in listed, listed
    assert (await digest(bot, team, admin, "pause Early"))["text"].startswith("Paused")
    assert (await digest(bot, team, admin, "resume Early"))["text"] == "Resumed *Early*. Next post: Tue Dec 8 10:00."


async def test_now_on_a_paused_digest_is_refused_and_posts_nothing(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 7, 0))
    admin = await admin_of(bot, team)
    await set_up(bot, team, admin, "Resting", time="10:00", timezone=BERLIN)
    await digest(bot, team, admin, "pause Resting")
    body = await digest(bot, team, admin, "now Resting")
    assert body["text"] == ("*Resting* is paused, so nothing posts; `/digest resume Resting` first, or "
                            "`/digest preview Resting` to see it.")
    assert not digest_posts(bot, channel_of(team)) and (await row(bot, team, "Resting")).last_posted_at is None


async def test_an_empty_digest_names_only_its_own_sections(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 7, 0))
    admin = await admin_of(bot, team)
    await set_up(bot, team, admin, "Only feedback", time="09:00", timezone=BERLIN, sections=["feedback"])
    await set_up(bot, team, admin, "Two parts", channel="CTWO" + team[-6:], time="09:00", timezone=BERLIN,
                 sections=["launches", "kpis"])
    await tick(bot, clock, local(MONDAY, 9, 0))
    (one,) = digest_posts(bot, channel_of(team))
    assert "Nothing new in feedback since Fri Dec 4 09:00." in block_text(blocks_of(one))
    (two,) = digest_posts(bot, "CTWO" + team[-6:])
    assert "Nothing new in launches or KPIs since" in block_text(blocks_of(two))


async def test_a_bot_cannot_own_a_digest(bot: Bot, team: str, clock: Clock) -> None:
    clock.set(local(MONDAY, 7, 0))
    admin = await admin_of(bot, team)
    robot = uid(team, "BOT")
    bot.fake.add_user(robot, tz=BERLIN, name="Robot")
    status, _ = await bot.slack.event(team, {"type": "user_change", "user": {
        "id": robot, "team_id": team, "name": "robot", "deleted": False, "is_bot": True, "tz": BERLIN,
        "profile": {"real_name": "Robot", "display_name": "Robot"}}})
    assert status == 200
    await bot.settle()
    view = await open_setup(bot, team, admin)
    status, body = await submit(bot, team, admin, view, {"name": "Robotic", "owner": robot})
    assert body["response_action"] == "errors" and "Pick a person as the owner" in body["errors"]["owner"]


async def test_an_owner_who_is_no_admin_cannot_move_the_digest_to_another_channel(bot: Bot, team: str,
                                                                                  clock: Clock) -> None:
    clock.set(local(MONDAY, 7, 0))
    admin = await admin_of(bot, team)
    owner = uid(team, "OWN")
    await meet(bot, team, owner, BERLIN, "Olga")
    await set_up(bot, team, admin, "Hers", time="09:00", timezone=BERLIN, owner=owner)
    await digest(bot, team, owner, "edit Hers")
    view = last_view(bot, DigestView.SETUP)
    status, body = await submit(bot, team, owner, view, {"channel": "CELSE" + team[-5:]})
    assert body["response_action"] == "errors"
    assert body["errors"]["channel"].startswith("Only ops admins can move a digest to another channel.")
    status, body = await submit(bot, team, owner, view, {"time": "10:00"})  # the rest an owner may change
    assert status == 200 and not (body or {}).get("errors"), body
    assert (await row(bot, team, "Hers")).at_minutes == 600


async def test_a_forged_deletion_from_another_workspace_deletes_nothing_and_echoes_nothing(bot: Bot, team: str,
                                                                                          clock: Clock) -> None:
    clock.set(local(MONDAY, 7, 0))
    admin = await admin_of(bot, team)
    d = await set_up(bot, team, admin, "Kept")
    await digest(bot, team, admin, "delete Kept")
    confirm = last_view(bot, DigestView.DELETE)
    intruder_team = "TZZ" + team[3:]
    intruder = uid(intruder_team, "ADM")
    await meet(bot, intruder_team, intruder, BERLIN, "Eve", is_admin=True)
    forged = confirm["private_metadata"].replace('"n":"Kept"', '"n":"<!channel> gone"')
    payload = view_submission(intruder_team, intruder, confirm["callback_id"], state_of(confirm, {}),
                              private_metadata=forged)
    status, body = await bot.slack.interaction(payload)
    await bot.settle()
    assert status == 200 and "That digest was already deleted" in block_text(body["view"]["blocks"])
    assert "gone" not in str(body)
    assert (await row(bot, team, "Kept")).id == d.id
