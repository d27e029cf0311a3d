"""Feedback capture over the real endpoint: reaction, shortcut and /feedback, votes, failures."""
from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from sqlalchemy import func, select

from bot.clock import Clock
from bot.feedback import flows, service
from models.base import utcnow
from models.feedback import CaptureState, FeedbackItem, FeedbackSource
from tests.blockkit import assert_valid_blocks
from tests.conftest import Bot
from tests.fake_slack import BOT_ID, BOT_USER_ID
from tests.feedback_helpers import file_by_command, items, new_ts, reaction
from tests.slack_requests import view_submission


async def test_reaction_files_the_message_and_confirms_to_the_reactor_only(bot: Bot, team: str) -> None:
    ts = new_ts()
    bot.fake.add_message("CSALES1", ts, "Exports time out on boards over 10k rows <!channel>", user="UAUTHOR1")
    status, _ = await bot.slack.event(team, reaction("UREACT1", "CSALES1", ts))
    assert status == 200
    await bot.settle()
    (item,) = await items(bot, team)
    assert item.text.startswith("Exports time out") and item.author_id == "UAUTHOR1"
    assert item.reporters == ("UREACT1",) and item.channel_id == "CSALES1" and not item.pending
    assert item.permalink and "CSALES1" in item.permalink
    (history,) = bot.fake.calls_to("conversations.history")
    assert history.args["latest"] == ts and history.args["limit"] in ("1", 1)
    assert str(history.args["inclusive"]).lower() in ("1", "true")
    (ephemeral,) = bot.fake.calls_to("chat.postEphemeral")
    assert ephemeral.args["channel"] == "CSALES1" and ephemeral.args["user"] == "UREACT1"
    assert "thread_ts" not in ephemeral.args
    assert f"#{item.number}" in ephemeral.args["text"]
    assert_valid_blocks(ephemeral.args["blocks"])
    rendered = json.dumps(ephemeral.args["blocks"])
    assert "rows @channel" in rendered and "<!channel>" not in rendered  # shown, never a broadcast
    assert "Add details" in rendered
    assert bot.fake.posted() == []  # nothing visible to others: no message, no thread reply


async def test_thread_reply_is_read_with_replies(bot: Bot, team: str) -> None:
    """Slack answers replies with the parent first: the reply itself must still be what is filed."""
    parent, before, reply, after = new_ts(), new_ts(), new_ts(), new_ts()
    bot.fake.add_message("CSUP001", parent, "parent message")
    bot.fake.add_message("CSUP001", before, "an earlier reply", thread_ts=parent, user="UOTHER1")
    bot.fake.add_message("CSUP001", reply, "the reply with the feedback", thread_ts=parent, user="UCUST01")
    bot.fake.add_message("CSUP001", after, "a later reply", thread_ts=parent, user="UOTHER1")
    await bot.slack.event(team, reaction("UREACT1", "CSUP001", reply))
    await bot.settle()
    (item,) = await items(bot, team)
    assert item.text == "the reply with the feedback" and item.author_id == "UCUST01" and not item.pending
    (call,) = bot.fake.calls_to("conversations.replies")
    assert call.args["ts"] == reply and call.args["oldest"] == reply
    (confirmation,) = bot.fake.calls_to("chat.postEphemeral")
    assert f"#{item.number}" in confirmation.args["text"]


async def test_votes_one_per_person_and_retries_change_nothing(bot: Bot, team: str) -> None:
    ts = new_ts()
    bot.fake.add_message("CSALES1", ts, "Need SSO")
    first = reaction("UA00001", "CSALES1", ts)
    await bot.slack.event(team, first, event_id="Ev1" + team)
    await bot.slack.event(team, first, event_id="Ev1" + team, retry_num=1)  # Slack retry
    await bot.slack.event(team, reaction("UB00002", "CSALES1", ts, name="memo::skin-tone-3"))
    await bot.slack.event(team, reaction("UB00002", "CSALES1", ts))  # same person again
    await bot.settle()
    (item,) = await items(bot, team)
    assert item.votes == 2 and set(item.reporters) == {"UA00001", "UB00002"}
    ephemerals = bot.fake.calls_to("chat.postEphemeral")
    by_user = {c.args["user"]: c.args["text"] for c in ephemerals}
    assert len(ephemerals) == 2 and set(by_user) == {"UA00001", "UB00002"}
    assert "Filed as feedback" in by_user["UA00001"] and "Added your vote" in by_user["UB00002"]
    assert len(bot.fake.calls_to("conversations.history")) == 1


async def test_removing_the_reaction_withdraws_the_vote(bot: Bot, team: str) -> None:
    ts = new_ts()
    bot.fake.add_message("CSALES1", ts, "Dark mode please")
    await bot.slack.event(team, reaction("UA00001", "CSALES1", ts))
    await bot.slack.event(team, reaction("UB00002", "CSALES1", ts))
    await bot.settle()
    await bot.slack.event(team, reaction("UB00002", "CSALES1", ts, kind="reaction_removed"))
    (item,) = await items(bot, team)
    assert item.reporters == ("UA00001",)
    await bot.slack.event(team, reaction("UA00001", "CSALES1", ts, kind="reaction_removed"))
    assert await items(bot, team) == []  # nobody stands behind it any more


async def test_fifty_people_reacting_at_once_make_one_item_with_fifty_votes(bot: Bot, team: str) -> None:
    ts = new_ts()
    bot.fake.add_message("CALL001", ts, "Popular request")
    results = await asyncio.gather(*(
        bot.slack.event(team, reaction(f"UV{i:05d}", "CALL001", ts)) for i in range(50)))
    assert [status for status, _ in results] == [200] * 50
    await bot.settle()
    (item,) = await items(bot, team)
    assert item.votes == 50 and not item.pending
    assert len(bot.fake.calls_to("conversations.history")) == 1
    assert len(bot.fake.calls_to("chat.postEphemeral")) == 50


async def test_people_reacting_at_once_on_many_messages_across_two_replicas_all_count(bot: Bot, team: str) -> None:
    """Three people react to each of twelve messages at the same instant, half through each of
    two replicas, in a workspace that already exists (so the filings race on its row lock, not
    on creating it). Each message is one item with three votes and every event is answered 200
    (before: on PostgreSQL the second and third reaction inserted the item again and got 500)."""
    from tests.replicas import second_replica

    await file_by_command(bot, team, "UA00001", "Makes the workspace")
    stamps = [new_ts() for _ in range(12)]
    for ts in stamps:
        bot.fake.add_message("CRACE01", ts, f"Race on {ts}")
    async with second_replica(bot) as other:
        results = await asyncio.gather(*(
            (bot if k % 2 else other).slack.event(team, reaction(f"UR{k:05d}", "CRACE01", ts))
            for ts in stamps for k in range(3)))
        await other.settle()
    await bot.settle()
    assert [status for status, _ in results] == [200] * 36
    filed = [i for i in await items(bot, team) if i.number > 1]
    assert sorted(i.votes for i in filed) == [3] * 12 and not any(i.pending for i in filed)


async def test_other_emoji_and_the_bots_own_messages_are_ignored(bot: Bot, team: str) -> None:
    ts = new_ts()
    bot.fake.add_message("CSALES1", ts, "confirmation", user=BOT_USER_ID, bot_id=BOT_ID)
    await bot.slack.event(team, reaction("UA00001", "CSALES1", ts, name="thumbsup"))
    await bot.slack.event(team, reaction("UA00001", "CSALES1", ts, item_user=BOT_USER_ID))
    await bot.settle()
    assert await items(bot, team) == []
    assert bot.fake.calls == [] or {c.method for c in bot.fake.calls} <= {"auth.test"}


async def test_another_bots_message_is_refused_with_a_reason(bot: Bot, team: str) -> None:
    ts = new_ts()
    bot.fake.add_message("CSALES1", ts, "deploy finished", user=None, bot_id="BOTHER1")
    await bot.slack.event(team, reaction("UA00001", "CSALES1", ts, item_user=None))
    await bot.settle()
    assert await items(bot, team) == []
    (told,) = bot.fake.calls_to("chat.postEphemeral")
    assert "bots" in told.args["text"] and told.args["user"] == "UA00001"


async def test_unreadable_channel_tells_the_reactor_how_to_fix_it(bot: Bot, team: str) -> None:
    ts = new_ts()
    bot.fake.fail("conversations.history", "not_in_channel")
    bot.fake.fail("chat.postEphemeral", "not_in_channel")
    await bot.slack.event(team, reaction("UA00001", "CPRIV01", ts))
    await bot.settle()
    assert await items(bot, team) == []
    (dm,) = bot.fake.posted("UA00001")  # ephemeral impossible there: a DM instead
    assert "/invite @ProdOps" in dm.args["text"]


async def test_deleted_message_is_explained(bot: Bot, team: str) -> None:
    bot.fake.add_message("CSALES1", new_ts(), "another message")
    await bot.slack.event(team, reaction("UA00001", "CSALES1", "1600000000.000001"))
    await bot.settle()
    assert await items(bot, team) == []
    (told,) = bot.fake.calls_to("chat.postEphemeral")
    assert "deleted" in told.args["text"]


async def test_slack_outage_leaves_the_capture_pending_and_the_sweeper_finishes_it(bot: Bot, team: str, clock: Clock) -> None:
    ts = new_ts()
    bot.fake.add_message("CSALES1", ts, "Webhooks retry forever")
    bot.fake.fail("conversations.history", status=503, times=3)  # the first try and both retries
    await bot.slack.event(team, reaction("UA00001", "CSALES1", ts))
    await bot.settle()
    async with bot.rt.db.unit_of_work() as session:
        state = await session.scalar(select(FeedbackItem.capture_state).where(FeedbackItem.team_id == team))
    assert state is CaptureState.PENDING  # stored, not lost
    assert bot.fake.calls_to("chat.postEphemeral") == []
    _, body = await bot.slack.command(team, "UA00001", "/feedback", "list")
    assert "0 found" in json.dumps(body["blocks"])  # half-captured items stay out of lists
    clock.advance(timedelta(minutes=2))
    await flows.sweep_pending_captures(bot.rt)
    clock.advance(timedelta(minutes=1))
    await flows.sweep_pending_captures(bot.rt)
    (item,) = await items(bot, team)
    assert item.text == "Webhooks retry forever" and not item.pending
    assert len(bot.fake.calls_to("chat.postEphemeral")) == 1  # confirmed once


async def test_failed_confirmation_keeps_the_item_and_falls_back_to_a_dm(bot: Bot, team: str) -> None:
    ts = new_ts()
    bot.fake.add_message("CEXT001", ts, "From a Slack Connect channel")
    bot.fake.fail("chat.postEphemeral", "channel_not_found")
    await bot.slack.event(team, reaction("UA00001", "CEXT001", ts))
    await bot.settle()
    (item,) = await items(bot, team)
    assert item.text == "From a Slack Connect channel"
    (dm,) = bot.fake.posted("UA00001")
    assert f"#{item.number}" in dm.args["text"]


async def test_slash_command_files_text_with_tags_and_customer(bot: Bot, team: str) -> None:
    status, body = await bot.slack.command(
        team, "UA00001", "/feedback", 'Bulk edit for #Exports please <@U123> customer:"Acme Corp" #perf')
    assert status == 200
    assert_valid_blocks(body["blocks"])
    assert "please <@U123>" in json.dumps(body["blocks"])  # a mention, in an ephemeral only the filer sees
    (item,) = await items(bot, team)
    assert item.text == "Bulk edit for #Exports please <@U123>"  # stored as typed; trailing labels lifted
    assert item.customer == "Acme Corp" and item.tags == ("exports", "perf")
    assert f"#{item.number}" in body["text"]


async def test_empty_feedback_is_refused_and_nothing_is_stored(bot: Bot, team: str) -> None:
    _, body = await bot.slack.command(team, "UA00001", "/feedback", "#onlytags customer:Acme")
    assert "Write the feedback itself" in body["text"]
    assert await items(bot, team) == []


async def test_bare_command_opens_the_form_and_the_form_files(bot: Bot, team: str) -> None:
    status, _ = await bot.slack.command(team, "UA00001", "/feedback", "")
    assert status == 200
    await bot.settle()
    (opened,) = bot.fake.calls_to("views.open")
    view = opened.args["view"]
    assert_valid_blocks(view["blocks"], limit=100)
    values = {
        "text": {"text": {"type": "plain_text_input", "value": "Calendar sync drops events"}},
        "customer": {"customer": {"type": "plain_text_input", "value": "Globex"}},
        "area": {"area": {"type": "plain_text_input", "value": "Integrations"}},
        "tags": {"tags": {"type": "plain_text_input", "value": "calendar, sync"}},
        "importance": {"importance": {"type": "static_select", "selected_option": {"value": "high"}}},
    }
    status, body = await bot.slack.interaction(view_submission(
        team, "UA00001", view["callback_id"], values, private_metadata=view["private_metadata"]))
    assert status == 200 and not body
    await bot.settle()
    (item,) = await items(bot, team)
    assert (item.text, item.customer, item.product_area, item.tags) == (
        "Calendar sync drops events", "Globex", "Integrations", ("calendar", "sync"))
    assert item.importance is not None and item.importance.value == "high"
    (confirmation,) = bot.fake.calls_to("chat.postEphemeral")
    assert confirmation.args["channel"] == "C_GENERAL"


async def test_form_with_a_bad_tag_shows_a_field_error(bot: Bot, team: str) -> None:
    values = {"text": {"text": {"type": "plain_text_input", "value": "ok"}},
              "tags": {"tags": {"type": "plain_text_input", "value": "fine, no!good"}}}
    status, body = await bot.slack.interaction(view_submission(
        team, "UA00001", "feedback.capture", values, private_metadata="{}"))
    assert status == 200
    assert body["response_action"] == "errors" and "tags" in body["errors"]
    assert await items(bot, team) == []


def shortcut_payload(team: str, user: str, channel: str, message: dict[str, object]) -> dict[str, object]:
    return {"type": "message_action", "callback_id": "feedback.file_message", "team": {"id": team, "domain": "acme"},
            "user": {"id": user, "team_id": team}, "channel": {"id": channel, "name": "sales"},
            "message": {"type": "message", **message}, "trigger_id": "trig.shortcut", "message_ts": message["ts"],
            "response_url": "", "api_app_id": "A_APP", "token": "t"}


async def test_shortcut_opens_a_prefilled_form_and_joins_an_existing_item(bot: Bot, team: str) -> None:
    ts = new_ts()
    long_text = "Customers want audit logs. " * 200  # over 3,000 characters
    bot.fake.add_message("CSALES1", ts, long_text, user="UCUST01")
    await bot.slack.event(team, reaction("UA00001", "CSALES1", ts))
    await bot.settle()
    status, _ = await bot.slack.interaction(shortcut_payload(
        team, "UB00002", "CSALES1", {"ts": ts, "text": long_text, "user": "UCUST01"}))
    assert status == 200
    await bot.settle()
    (opened,) = bot.fake.calls_to("views.open")
    view = opened.args["view"]
    assert_valid_blocks(view["blocks"], limit=100)
    assert json.loads(view["private_metadata"])["message_ts"] == ts
    values = {"text": {"text": {"type": "plain_text_input", "value": long_text[:3000]}},
              "customer": {"customer": {"type": "plain_text_input", "value": "Initech"}},
              "tags": {"tags": {"type": "plain_text_input", "value": "audit"}}}
    await bot.slack.interaction(view_submission(team, "UB00002", view["callback_id"], values,
                                                private_metadata=view["private_metadata"]))
    await bot.settle()
    (item,) = await items(bot, team)
    assert item.votes == 2 and item.customer == "Initech" and item.tags == ("audit",)
    assert item.text == long_text  # stored whole
    _, body = await bot.slack.command(team, "UB00002", "/feedback", f"show {item.number}")
    assert_valid_blocks(body["blocks"])  # shown truncated within limits


async def test_shortcut_on_a_bot_message_is_refused(bot: Bot, team: str) -> None:
    payload = shortcut_payload(team, "UA00001", "CSALES1", {"ts": new_ts(), "text": "beep", "bot_id": "B1"})
    payload["response_url"] = bot.fake.response_url("shortcut")
    status, _ = await bot.slack.interaction(payload)
    assert status == 200
    await bot.settle()
    assert bot.fake.calls_to("views.open") == []
    ((key, reply),) = bot.fake.responses
    assert "bots" in reply["text"]


async def test_numbers_are_per_workspace_and_do_not_cross(bot: Bot, team: str) -> None:
    other = team + "B"
    first = await file_by_command(bot, team, "UA00001", "Team A feedback")
    assert await file_by_command(bot, other, "UA00001", "Team B feedback") == first
    _, body = await bot.slack.command(other, "UA00001", "/feedback", f"show {first}")
    assert "Team A" not in json.dumps(body)
    async with bot.rt.db.unit_of_work() as session:
        count = await session.scalar(select(func.count()).select_from(FeedbackItem)
                                     .where(FeedbackItem.team_id.in_([team, other]),
                                            FeedbackItem.source == FeedbackSource.COMMAND))
    assert count == 2


async def test_shortcut_alone_stores_a_long_message_whole(bot: Bot, team: str) -> None:
    ts = new_ts()
    long_text = "Our admins need an audit log of every permission change. " * 80  # ~4,600 characters
    bot.fake.add_message("CSALES2", ts, long_text, user="UCUST02")
    await bot.slack.interaction(shortcut_payload(team, "UB00002", "CSALES2", {"ts": ts, "text": long_text, "user": "UCUST02"}))
    await bot.settle()
    view = bot.fake.calls_to("views.open")[-1].args["view"]
    prefilled = next(b for b in view["blocks"] if b.get("block_id") == "text")["element"]["initial_value"]
    assert len(prefilled) == 3000  # all the form can hold
    values = {"text": {"text": {"type": "plain_text_input", "value": prefilled}}}
    await bot.slack.interaction(view_submission(team, "UB00002", view["callback_id"], values,
                                                private_metadata=view["private_metadata"]))
    await bot.settle()
    (item,) = await items(bot, team)
    assert item.text == long_text and item.permalink and item.source.value == "shortcut"


async def test_shortcut_on_a_long_thread_reply_stores_it_whole(bot: Bot, team: str) -> None:
    parent, reply = new_ts(), new_ts()
    long_text = "The export dialog forgets the chosen columns every time. " * 80  # ~4,600 characters
    bot.fake.add_message("CSUP002", parent, "How do you like the new exports?")
    bot.fake.add_message("CSUP002", reply, long_text, thread_ts=parent, user="UCUST02")
    await bot.slack.interaction(shortcut_payload(
        team, "UB00002", "CSUP002", {"ts": reply, "thread_ts": parent, "text": long_text, "user": "UCUST02"}))
    await bot.settle()
    view = bot.fake.calls_to("views.open")[-1].args["view"]
    values = {"text": {"text": {"type": "plain_text_input", "value": long_text[:3000]}}}
    await bot.slack.interaction(view_submission(team, "UB00002", view["callback_id"], values,
                                                private_metadata=view["private_metadata"]))
    await bot.settle()
    (item,) = await items(bot, team)
    assert item.text == long_text and item.message_ts == reply


async def test_votes_during_a_pending_capture_are_confirmed_when_it_completes(bot: Bot, team: str) -> None:
    ts = new_ts()
    bot.fake.add_message("CSALES1", ts, "Slow exports")
    bot.fake.fail("conversations.history", status=503, times=3)
    await bot.slack.event(team, reaction("UA00001", "CSALES1", ts))
    await bot.settle()
    await bot.slack.event(team, reaction("UB00002", "CSALES1", ts))  # a vote while still pending
    await bot.settle()
    assert bot.fake.calls_to("chat.postEphemeral") == []  # nothing about an item nobody can see yet
    await flows.sweep_pending_captures(bot.rt, now=utcnow() + timedelta(minutes=2))
    texts = {c.args["user"]: c.args["text"] for c in bot.fake.calls_to("chat.postEphemeral")}
    assert set(texts) == {"UA00001", "UB00002"}
    assert "Filed as feedback" in texts["UA00001"] and "Added your vote" in texts["UB00002"]


async def test_everyone_who_reacted_hears_why_nothing_was_filed(bot: Bot, team: str) -> None:
    ts = new_ts()
    bot.fake.add_message("CSALES1", ts, "will be deleted")
    bot.fake.fail("conversations.history", status=503, times=3)
    await bot.slack.event(team, reaction("UA00001", "CSALES1", ts))
    await bot.settle()
    await bot.slack.event(team, reaction("UB00002", "CSALES1", ts))
    await bot.settle()
    bot.fake.delete_message("CSALES1", ts)
    await flows.sweep_pending_captures(bot.rt, now=utcnow() + timedelta(minutes=2))
    told = {c.args["user"]: c.args["text"] for c in bot.fake.calls_to("chat.postEphemeral")}
    assert set(told) == {"UA00001", "UB00002"} and all("deleted" in t for t in told.values())
    assert await items(bot, team) == []


async def test_a_capture_the_sweeper_finishes_meanwhile_is_confirmed_once(bot: Bot, team: str) -> None:
    """The after-ack read is still waiting on Slack when the sweeper's grace runs out: both
    finish the capture, and still each person hears about it once."""
    ts = new_ts()
    bot.fake.add_message("CSALES1", ts, "Exports need a progress bar")

    async def meanwhile(args: dict[str, object]) -> None:
        await bot.slack.event(team, reaction("UB00002", "CSALES1", ts))  # a vote while it is pending
        await flows.sweep_pending_captures(bot.rt, now=utcnow() + service.PENDING_GRACE + timedelta(seconds=1))

    bot.fake.before["conversations.history"] = meanwhile
    await bot.slack.event(team, reaction("UA00001", "CSALES1", ts))
    await bot.settle()
    (item,) = await items(bot, team)
    assert item.text == "Exports need a progress bar" and not item.pending and item.votes == 2
    told = [c.args["user"] for c in bot.fake.calls_to("chat.postEphemeral")]
    assert sorted(told) == ["UA00001", "UB00002"]


async def test_a_capture_both_find_unreadable_is_explained_once(bot: Bot, team: str) -> None:
    bot.fake.add_message("CSALES1", new_ts(), "another message")

    async def meanwhile(args: dict[str, object]) -> None:
        await flows.sweep_pending_captures(bot.rt, now=utcnow() + service.PENDING_GRACE + timedelta(seconds=1))

    bot.fake.before["conversations.history"] = meanwhile
    await bot.slack.event(team, reaction("UA00001", "CSALES1", "1600000000.000002"))
    await bot.settle()
    assert await items(bot, team) == []
    (told,) = bot.fake.calls_to("chat.postEphemeral")
    assert "deleted" in told.args["text"]


async def capture_states(bot: Bot, team: str) -> list[CaptureState]:
    async with bot.rt.db.unit_of_work() as session:
        return list(await session.scalars(select(FeedbackItem.capture_state).where(FeedbackItem.team_id == team)))


async def test_poison_captures_are_given_up_and_never_starve_a_recovering_one(bot: Bot, team: str, clock: Clock) -> None:
    """60 captures Slack refuses with an error the bot does not know, and a newer one waiting
    on a 503: the newer one is filed as soon as Slack recovers, and each poison capture is
    retried with a growing pause, then dropped with one message to its reactor."""
    poison = {f"UP{i:05d}": new_ts() for i in range(60)}
    for ts in poison.values():
        bot.fake.add_message("CEKM001", ts, "behind a revoked key")
    good = new_ts()
    bot.fake.add_message("CSALES1", good, "Webhooks retry forever")
    bot.fake.fail("conversations.history", "ekm_access_denied", times=10**6, match={"channel": "CEKM001"})
    bot.fake.fail("conversations.history", status=503, times=3, match={"channel": "CSALES1"})
    await asyncio.gather(*(bot.slack.event(team, reaction(user, "CEKM001", ts)) for user, ts in poison.items()))
    await bot.settle()
    await bot.slack.event(team, reaction("UGOOD01", "CSALES1", good))
    await bot.settle()
    start, filed_after = clock.set(clock.now()), None
    for minute in range(2, 120):
        clock.set(start + timedelta(minutes=minute))
        await flows.sweep_pending_captures(bot.rt)
        states = await capture_states(bot, team)
        if filed_after is None and CaptureState.READY in states:
            filed_after = minute
        if CaptureState.PENDING not in states:
            break
    assert filed_after is not None and filed_after <= 3  # the second sweep: right behind 50 older ones
    (item,) = await items(bot, team)
    assert item.text == "Webhooks retry forever" and item.reporters == ("UGOOD01",)
    told: dict[str, list[str]] = {}
    for call in bot.fake.calls_to("chat.postEphemeral") + bot.fake.posted():
        told.setdefault(call.args["user" if "user" in call.args else "channel"], []).append(call.args["text"])
    assert len(told.pop("UGOOD01")) == 1 and set(told) == set(poison)
    assert all(len(texts) == 1 and "ekm_access_denied" in texts[0] and "nothing was filed" in texts[0]
               for texts in told.values())
    reads = [c.args["latest"] for c in bot.fake.calls_to("conversations.history") if c.args["channel"] == "CEKM001"]
    assert max(reads.count(ts) for ts in poison.values()) <= 10  # backed off, not retried every sweep
