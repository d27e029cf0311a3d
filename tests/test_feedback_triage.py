"""Feedback triage over the real endpoint: list/search/show, status and owner, merge, close the
loop, export, add details, and who may do what."""
from __future__ import annotations

import csv
import io
import json

from hypothesis import given, strategies as st

from bot.errors import UserError
from bot.feedback import flows
from bot.feedback.parsing import parse_command
from tests.blockkit import assert_valid_blocks
from tests.conftest import Bot
from tests.feedback_helpers import file_by_command, items, new_ts, reaction
from tests.slack_requests import block_actions, view_submission


async def admin(bot: Bot, team: str, user: str = "UADMIN1") -> str:
    bot.fake.add_user(user, is_admin=True)
    return user


def plain_user(bot: Bot, user: str) -> str:
    bot.fake.add_user(user)
    return user


async def test_list_newest_and_top_with_filters_and_pages(bot: Bot, team: str) -> None:
    numbers = [await file_by_command(bot, team, "UA00001", f"Request {i} #bulk") for i in range(11)]
    top = await file_by_command(bot, team, "UA00001", "Popular one #exports")
    ts = new_ts()
    bot.fake.add_message("CSALES1", ts, "Voted message")
    for user in ("UV00001", "UV00002", "UV00003"):
        await bot.slack.event(team, reaction(user, "CSALES1", ts))
    await bot.settle()
    _, body = await bot.slack.command(team, "UA00001", "/feedback", "list")
    assert_valid_blocks(body["blocks"])
    rendered = json.dumps(body["blocks"])
    assert "13 found" in rendered and "Page 1 of 2" in rendered
    assert rendered.index("Voted message") < rendered.index(f"*#{top}*")  # newest first
    _, body = await bot.slack.command(team, "UA00001", "/feedback", "list top")
    first_item = body["blocks"][2]["text"]["text"]
    assert "3 votes" in first_item
    _, body = await bot.slack.command(team, "UA00001", "/feedback", "list new #exports")
    rendered = json.dumps(body["blocks"])
    assert "1 found" in rendered and "Popular one" in rendered
    # Next page, as Slack sends the button click.
    _, body = await bot.slack.command(team, "UA00001", "/feedback", "list #bulk")
    nav = next(b for b in body["blocks"] if b["type"] == "actions")
    next_button = nav["elements"][-1]
    payload = block_actions(team, "UA00001", [{**next_button, "block_id": "nav", "type": "button"}],
                            response_url=bot.fake.response_url("page"))
    status, _ = await bot.slack.interaction(payload)
    assert status == 200
    await bot.settle()
    ((_, page2),) = bot.fake.responses
    assert page2["replace_original"] is True
    assert "Page 2 of 2" in json.dumps(page2["blocks"]) and f"*#{numbers[0]}*" in json.dumps(page2["blocks"])


async def test_bad_filters_and_unknown_numbers_are_explained(bot: Bot, team: str) -> None:
    _, body = await bot.slack.command(team, "UA00001", "/feedback", "list shipped ux mobile")
    assert "I don't understand `mobile`" in body["text"]
    _, body = await bot.slack.command(team, "UA00001", "/feedback", "show 999")
    assert "There is no feedback #999" in body["text"]
    _, body = await bot.slack.command(team, "UA00001", "/feedback", "merge 1 two")
    assert "is not a feedback number" in body["text"] and "/feedback file merge" in body["text"]
    _, body = await bot.slack.command(team, "UA00001", "/feedback", "status 1 done")
    assert "is not a status" in body["text"]
    _, body = await bot.slack.command(team, "UA00001", "/feedback", "search")
    assert "Usage" in body["text"]


async def test_text_starting_with_a_command_word_is_still_feedback(bot: Bot, team: str) -> None:
    await file_by_command(bot, team, "UA00001", "status page is confusing")
    await file_by_command(bot, team, "UA00001", "file list view is slow")
    assert [v.text for v in await items(bot, team)] == ["status page is confusing", "list view is slow"]


async def test_search_finds_words_in_text_and_customer(bot: Bot, team: str) -> None:
    await file_by_command(bot, team, "UA00001", "Exports time out customer:Initech")
    await file_by_command(bot, team, "UA00001", "Dark mode")
    await file_by_command(bot, team, "UA00001", "100% CPU on sync")
    _, body = await bot.slack.command(team, "UA00001", "/feedback", "search initech")
    assert "1 found" in json.dumps(body["blocks"]) and "Exports time out" in json.dumps(body["blocks"])
    _, body = await bot.slack.command(team, "UA00001", "/feedback", "search 100%")
    assert "1 found" in json.dumps(body["blocks"])


async def test_show_offers_triage_only_to_those_allowed(bot: Bot, team: str) -> None:
    # Typed link syntax arrives entity-escaped (as Slack sends it) and must stay inert text.
    number = await file_by_command(bot, team, "UA00001", "Webhooks &lt;https://evil.example|click me&gt; please")
    plain_user(bot, "UA00001")
    _, body = await bot.slack.command(team, "UA00001", "/feedback", f"show {number}")
    assert_valid_blocks(body["blocks"])
    rendered = json.dumps(body["blocks"])
    assert "&lt;https://evil.example|click me&gt;" in rendered and "<https://evil" not in rendered
    assert "users_select" not in rendered and "Add details" in rendered
    boss = await admin(bot, team)
    _, body = await bot.slack.command(team, boss, "/feedback", f"show {number}")
    rendered = json.dumps(body["blocks"])
    assert "users_select" in rendered and "static_select" in rendered


async def test_status_owner_and_closing_the_loop(bot: Bot, team: str) -> None:
    ts = new_ts()
    bot.fake.add_message("CSALES1", ts, "Please add SAML")
    for user in ("UR00001", "UR00002"):
        await bot.slack.event(team, reaction(user, "CSALES1", ts))
    await bot.settle()
    (item,) = await items(bot, team)
    n = item.number
    plain_user(bot, "UR00001")
    _, body = await bot.slack.command(team, "UR00001", "/feedback", f"status {n} planned")
    assert "Only ops admins and the owner" in body["text"]
    boss = await admin(bot, team)
    # The admin assigns an owner with the user select on the item card.
    owner_pick = {"action_id": "feedback.owner", "block_id": f"feedback.item.{n}", "type": "users_select",
                  "selected_user": "UOWNER1"}
    await bot.slack.interaction(block_actions(team, boss, [owner_pick], response_url=bot.fake.response_url("own")))
    await bot.settle()
    ((_, card),) = bot.fake.responses
    assert "<@UOWNER1>" in json.dumps(card["blocks"])
    (item,) = await items(bot, team)
    assert item.owner_id == "UOWNER1" and item.status.value == "triaged"
    # The owner (not an admin) may now triage it and ship it with a note.
    plain_user(bot, "UOWNER1")
    _, body = await bot.slack.command(team, "UOWNER1", "/feedback", f"status {n} shipped Live in 2.4 <!here>")
    assert "shipped" in body["text"] and "2 reporters will get a DM" in body["text"]
    await bot.settle()
    dms = {c.args["channel"]: c.args for c in bot.fake.posted() if c.args["channel"].startswith("UR")}
    assert set(dms) == {"UR00001", "UR00002"}
    for dm in dms.values():
        assert_valid_blocks(dm["blocks"])
        rendered = json.dumps(dm["blocks"])
        assert "Live in 2.4 @here" in rendered and "<!here>" not in rendered  # the note, never a broadcast
        assert "CSALES1" in rendered  # the original link
    # Running it again (the sweeper, a retry) sends nothing twice.
    await flows.sweep_outcomes(bot.rt)
    await bot.slack.command(team, "UOWNER1", "/feedback", f"status {n} shipped")
    await bot.settle()
    assert len([c for c in bot.fake.posted() if c.args["channel"].startswith("UR")]) == 2


async def test_status_select_asks_for_a_note_before_declining(bot: Bot, team: str) -> None:
    number = await file_by_command(bot, team, "UR00001", "Blockchain integration")
    boss = await admin(bot, team)
    pick = {"action_id": "feedback.status", "block_id": f"feedback.item.{number}", "type": "static_select",
            "selected_option": {"value": "declined", "text": {"type": "plain_text", "text": "Declined"}}}
    await bot.slack.interaction(block_actions(team, boss, [pick]))
    await bot.settle()
    (opened,) = bot.fake.calls_to("views.open")
    view = opened.args["view"]
    assert_valid_blocks(view["blocks"], limit=100)
    (item,) = await items(bot, team)
    assert item.status.value == "new"  # nothing changes until the note is confirmed
    note = {"note": {"note": {"type": "plain_text_input", "value": "Not on our roadmap"}}}
    status, _ = await bot.slack.interaction(view_submission(team, boss, view["callback_id"], note,
                                                            private_metadata=view["private_metadata"]))
    assert status == 200
    await bot.settle()
    (item,) = await items(bot, team)
    assert item.status.value == "declined" and item.outcome_note == "Not on our roadmap"
    (dm,) = bot.fake.posted("UR00001")
    assert "declined" in dm.args["text"]


async def test_merge_joins_reporters_tags_and_resolves_the_old_number(bot: Bot, team: str) -> None:
    into = await file_by_command(bot, team, "UR00001", "SSO via Okta #auth")
    dup = await file_by_command(bot, team, "UR00002", "Okta login please #okta customer:Acme")
    plain_user(bot, "UR00001")
    _, body = await bot.slack.command(team, "UR00001", "/feedback", f"merge {dup} {into}")
    assert "Only ops admins" in body["text"]
    boss = await admin(bot, team)
    _, body = await bot.slack.command(team, boss, "/feedback", f"merge #{dup} #{into}")
    assert f"Merged #{dup} into #{into}" in body["text"]
    merged = {v.number: v for v in await items(bot, team)}
    target = merged[into]
    assert set(target.reporters) == {"UR00001", "UR00002"} and target.tags == ("auth", "okta")
    assert target.customer == "Acme" and target.merged_numbers == (dup,)
    _, body = await bot.slack.command(team, boss, "/feedback", f"show {dup}")
    assert f"Feedback #{into}" in json.dumps(body["blocks"])
    _, body = await bot.slack.command(team, boss, "/feedback", "list")
    assert "1 found" in json.dumps(body["blocks"])
    _, body = await bot.slack.command(team, boss, "/feedback", f"merge {dup} {into}")
    assert "already part of" in body["text"]
    _, body = await bot.slack.command(team, boss, "/feedback", f"merge 404 {into}")
    assert "There is no feedback #404" in body["text"]


async def test_export_uploads_a_csv_to_the_requesters_dm(bot: Bot, team: str) -> None:
    ts = new_ts()
    bot.fake.add_message("CSALES1", ts, "=HYPERLINK(\"http://x\") in feedback")
    await bot.slack.event(team, reaction("UR00001", "CSALES1", ts))
    await file_by_command(bot, team, "UR00002", "Second, typed #typed customer:Globex")
    await bot.settle()
    status, body = await bot.slack.command(team, "UR00003", "/feedback", "export")
    assert status == 200 and "DMs" in body["text"]
    await bot.settle()
    (complete,) = bot.fake.calls_to("files.completeUploadExternal")
    assert complete.args["channel_id"] == "DUR00003"
    (content,) = bot.fake.uploads.values()
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    assert len(rows) == 2
    by_text = {r["text"]: r for r in rows}
    assert "'=HYPERLINK(\"http://x\") in feedback" in by_text  # formula neutralised
    assert by_text["'=HYPERLINK(\"http://x\") in feedback"]["permalink"].startswith("https://fake.slack.com/archives/CSALES1")
    assert by_text["Second, typed"]["customer"] == "Globex" and by_text["Second, typed"]["tags"] == "typed"


async def test_reporters_add_details_others_cannot(bot: Bot, team: str) -> None:
    number = await file_by_command(bot, team, "UR00001", "Audit log export")
    click = {"action_id": "feedback.add_details", "block_id": "b", "type": "button",
             "value": json.dumps({"number": number})}
    await bot.slack.interaction(block_actions(team, "USTRANGER", [click], response_url=bot.fake.response_url("no")))
    await bot.settle()
    ((_, refusal),) = bot.fake.responses
    assert "Only people who filed or voted" in refusal["text"]
    assert bot.fake.calls_to("views.open") == []
    await bot.slack.interaction(block_actions(team, "UR00001", [click]))
    await bot.settle()
    (opened,) = bot.fake.calls_to("views.open")
    view = opened.args["view"]
    values = {"details": {"details": {"type": "plain_text_input", "value": "Needed for SOC2 by March"}}}
    await bot.slack.interaction(view_submission(team, "UR00001", view["callback_id"], values,
                                                private_metadata=view["private_metadata"]))
    (item,) = await items(bot, team)
    assert item.details == (("UR00001", "Needed for SOC2 by March"),)


async def test_feedback_emoji_is_configurable_by_ops_admins(bot: Bot, team: str) -> None:
    plain_user(bot, "UR00001")
    _, body = await bot.slack.command(team, "UR00001", "/feedback", "config emoji bulb")
    assert "Only ops admins" in body["text"]
    boss = await admin(bot, team)
    _, body = await bot.slack.command(team, boss, "/feedback", "config emoji :bulb:")
    assert ":bulb:" in body["text"]
    _, body = await bot.slack.command(team, boss, "/feedback", "config emoji <!channel>")
    assert "is not an emoji name" in body["text"]
    ts = new_ts()
    bot.fake.add_message("CSALES1", ts, "Idea!")
    await bot.slack.event(team, reaction("UR00001", "CSALES1", ts))  # memo no longer files
    await bot.slack.event(team, reaction("UR00002", "CSALES1", ts, name="bulb"))
    await bot.settle()
    (item,) = await items(bot, team)
    assert item.reporters == ("UR00002",)


async def test_stale_button_value_is_refused_cleanly(bot: Bot, team: str) -> None:
    click = {"action_id": "feedback.page.next", "block_id": "nav", "type": "button", "value": "{not json"}
    status, _ = await bot.slack.interaction(block_actions(team, "UR00001", [click],
                                                          response_url=bot.fake.response_url("stale")))
    assert status == 200
    await bot.settle()
    ((_, reply),) = bot.fake.responses
    assert "out of date" in reply["text"]


@given(st.text(max_size=300))
def test_command_parser_only_raises_user_errors(text: str) -> None:
    try:
        command = parse_command(text)
    except UserError as exc:
        assert exc.message
    else:
        if command.action == "file":
            assert command.draft is not None and command.draft.text.strip()
            assert all(t == t.lower() and not t.startswith("#") for t in command.draft.tags)


async def test_failed_export_is_reported_to_the_requester(bot: Bot, team: str) -> None:
    await file_by_command(bot, team, "UR00001", "Something")
    bot.fake.fail("files.getUploadURLExternal", "not_allowed_token_type")
    await bot.slack.command(team, "UR00009", "/feedback", "export")
    await bot.settle()
    (dm,) = bot.fake.posted("UR00009")
    assert "couldn't upload your feedback export" in dm.args["text"] and "not_allowed_token_type" in dm.args["text"]


async def test_bad_edit_and_empty_details_show_field_errors_and_change_nothing(bot: Bot, team: str) -> None:
    number = await file_by_command(bot, team, "UR00001", "Keep my tags #keep")
    boss = await admin(bot, team)
    edit = {"tags": {"tags": {"type": "plain_text_input", "value": "ok, not!ok"}},
            "area": {"area": {"type": "plain_text_input", "value": "Billing"}}}
    _, body = await bot.slack.interaction(view_submission(team, boss, "feedback.edit", edit,
                                                          private_metadata=json.dumps({"number": number})))
    assert body["response_action"] == "errors" and "tags" in body["errors"]
    empty = {"details": {"details": {"type": "plain_text_input", "value": "   "}}}
    _, body = await bot.slack.interaction(view_submission(team, "UR00001", "feedback.details", empty,
                                                          private_metadata=json.dumps({"number": number})))
    assert body["response_action"] == "errors" and "details" in body["errors"]
    (item,) = await items(bot, team)
    assert item.tags == ("keep",) and item.product_area is None and item.details == ()
