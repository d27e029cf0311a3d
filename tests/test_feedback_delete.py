"""Undoing feedback mistakes over the real signed endpoint: `/feedback delete <n>` (who may, the
confirmation, tenancy, merged items, what show/list/search say afterwards), the typo question
("Did you mean `/feedback show 3`?" and both its buttons), and plurals in feedback answers.
Each test asserts the answers people see and what the database holds."""
from __future__ import annotations

import json
import time
import uuid
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.errors import UserError
from bot.feedback.parsing import TYPO_TARGETS, SUBCOMMANDS, one_edit, parse_command, parse_draft, typo_of
from models.feedback import FeedbackItem, FeedbackReporter, FeedbackTag
from models.workspace import Workspace
from tests.blockkit import assert_valid_blocks, block_text
from tests.conftest import Bot
from tests.feedback_helpers import file_by_command, items, new_ts, reaction
from tests.slack_requests import block_actions, interaction_form

# -- helpers -----------------------------------------------------------------------------------


async def command(bot: Bot, team: str, user: str, text: str) -> dict[str, Any]:
    status, body = await bot.slack.command(team, user, "/feedback", text)
    assert status == 200, body
    await bot.settle()
    return body


def buttons(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The answer's buttons by their text, as Slack sends one back when clicked."""
    found: dict[str, dict[str, Any]] = {}
    for block in body.get("blocks") or []:
        if block["type"] == "actions":
            for element in block["elements"]:
                found[element["text"]["text"]] = {**element, "block_id": block.get("block_id", "b")}
    return found


async def click(bot: Bot, team: str, user: str, button: dict[str, Any], key: str) -> dict[str, Any]:
    """Click `button` as `user`; the answer sent to the message's response_url."""
    before = len(bot.fake.responses)
    payload = block_actions(team, user, [{**button, "type": "button"}], response_url=bot.fake.response_url(key))
    status, _ = await bot.slack.interaction(payload)
    assert status == 200
    await bot.settle()
    new = [r for k, r in bot.fake.responses[before:] if k == key]
    assert len(new) == 1, bot.fake.responses
    return new[0]


def forged(action_id: str, value: str) -> dict[str, Any]:
    return {"action_id": action_id, "block_id": "b", "value": value, "text": {"type": "plain_text", "text": "x"}}


async def rows(bot: Bot, team: str) -> tuple[int, int, int]:
    """(items, reporter rows, tag rows) of the workspace."""
    async with bot.rt.db.unit_of_work() as session:
        counts = []
        for model in (FeedbackItem, FeedbackReporter, FeedbackTag):
            counts.append(await session.scalar(select(func.count()).select_from(model).where(model.team_id == team)))
        return counts[0], counts[1], counts[2]


async def seq(bot: Bot, team: str) -> int:
    async with bot.rt.db.unit_of_work() as session:
        return int((await session.get(Workspace, team)).feedback_seq)  # type: ignore[union-attr]


def plain_user(bot: Bot, user: str) -> str:
    bot.fake.add_user(user)
    return user


def slack_admin(bot: Bot, user: str = "UADMIN1") -> str:
    bot.fake.add_user(user, is_admin=True)
    return user


async def ops_admin(bot: Bot, team: str, user: str = "UOPS001") -> str:
    """An ops admin of the workspace who is not a Slack admin."""
    boss = slack_admin(bot, "UBOSS01")
    plain_user(bot, user)
    status, body = await bot.slack.command(team, boss, "/prodops", f"admins add <@{user}>")
    assert status == 200 and user in json.dumps(body), body
    return user


async def react(bot: Bot, team: str, user: str, ts: str) -> None:
    status, _ = await bot.slack.event(team, reaction(user, "CSALES1", ts))
    assert status == 200
    await bot.settle()


async def reacted_item(bot: Bot, team: str, *voters: str, text: str = "Please add SAML") -> tuple[int, str]:
    """An item filed by reacting to a message, each of `voters` one vote: (number, message ts)."""
    ts = new_ts()
    bot.fake.add_message("CSALES1", ts, text)
    for voter in voters:
        await react(bot, team, voter, ts)
    (item,) = [v for v in await items(bot, team) if v.text == text]
    return item.number, ts


REFUSED = "Only ops admins, Slack admins, the owner of"

# -- delete: the confirmation ------------------------------------------------------------------


async def test_the_reporter_alone_deletes_after_confirming_and_the_number_is_gone(bot: Bot, team: str) -> None:
    keep = await file_by_command(bot, team, "UR00001", "Keep this one #keep")
    number = await file_by_command(bot, team, "UR00001", "Typo'd feedback #perf #ux customer:Acme")
    plain_user(bot, "UR00001")
    question = await command(bot, team, "UR00001", f"delete #{number}")
    assert question.get("response_type", "ephemeral") == "ephemeral"  # Slack's default for a command reply
    assert_valid_blocks(question["blocks"])
    assert f"Delete feedback #{number}?" in block_text(question["blocks"]) and "1 vote" in block_text(question["blocks"])
    choice = buttons(question)
    assert set(choice) == {f"Delete #{number}", "Keep it"} and choice[f"Delete #{number}"]["style"] == "danger"
    assert await rows(bot, team) == (2, 2, 3)  # nothing is deleted before the click
    answer = await click(bot, team, "UR00001", choice[f"Delete #{number}"], "del")
    assert answer["replace_original"] is True and f"Deleted feedback #{number}" in answer["text"]
    assert [v.number for v in await items(bot, team)] == [keep]
    assert await rows(bot, team) == (1, 1, 1)  # its votes and tags went with it
    assert [c.method for c in bot.fake.calls if c.method.startswith("chat.")] == []  # nobody else is told
    # Afterwards the number does not exist anywhere, and it is never given out again.
    body = await command(bot, team, "UR00001", f"show {number}")
    assert body["text"] == f"There is no feedback #{number} in this workspace."
    body = await command(bot, team, "UR00001", "list")
    assert body["text"] == "1 feedback item" and f"#{number}*" not in json.dumps(body["blocks"])
    body = await command(bot, team, "UR00001", "search Typo")
    assert "0 found" in json.dumps(body["blocks"])
    body = await command(bot, team, "UR00001", f"delete {number}")
    assert body["text"] == f"There is no feedback #{number} in this workspace."
    assert await file_by_command(bot, team, "UR00001", "Next one") == number + 1


async def test_a_second_click_or_a_replay_deletes_once(bot: Bot, team: str) -> None:
    other = await file_by_command(bot, team, "UR00001", "Another item")
    number = await file_by_command(bot, team, "UR00001", "Delete me")
    plain_user(bot, "UR00001")
    button = buttons(await command(bot, team, "UR00001", f"delete {number}"))[f"Delete #{number}"]
    form = interaction_form(block_actions(team, "UR00001", [{**button, "type": "button"}],
                                          response_url=bot.fake.response_url("one")))
    signed_at = int(time.time())
    for _ in range(2):  # the same signed request twice: the second is a replay
        assert (await bot.slack.post(form, "application/x-www-form-urlencoded", timestamp=signed_at))[0] == 200
    await bot.settle()
    first, *replayed = [r for _, r in bot.fake.responses]
    assert first["text"] == f":wastebasket: Deleted feedback #{number}." and first["replace_original"] is True
    # The edge ignores the replay; at most its refusal is told (bot/edge.py tells a failed
    # interaction's reason before it knows the request is a replay), and it replaces nothing.
    assert all(r["text"] == f"There is no feedback #{number} in this workspace." and not r["replace_original"]
               for r in replayed)
    assert [v.number for v in await items(bot, team)] == [other]
    again = await click(bot, team, "UR00001", button, "two")  # a second click, signed anew
    assert again["text"] == f"There is no feedback #{number} in this workspace." and not again["replace_original"]
    assert [v.number for v in await items(bot, team)] == [other]
    assert await seq(bot, team) == number


async def test_keep_it_changes_nothing(bot: Bot, team: str) -> None:
    number = await file_by_command(bot, team, "UR00001", "Second thoughts #maybe")
    plain_user(bot, "UR00001")
    choice = buttons(await command(bot, team, "UR00001", f"delete {number}"))
    answer = await click(bot, team, "UR00001", choice["Keep it"], "keep")
    assert answer["replace_original"] is True and answer["text"] == f"Kept feedback #{number}; nothing was deleted."
    (item,) = await items(bot, team)
    assert (item.number, item.text, item.tags, item.reporters) == (number, "Second thoughts", ("maybe",), ("UR00001",))


async def test_forged_or_stale_values_change_nothing(bot: Bot, team: str) -> None:
    number = await file_by_command(bot, team, "UR00001", "Mine")
    plain_user(bot, "UR00001")
    for key, value, said in (("a", "{not json", "out of date"), ("b", json.dumps({"number": 0}), "out of date"),
                             ("c", json.dumps({"number": 999}), "There is no feedback #999"),
                             ("h", '{"number": 99999999999999999999}', "out of date")):  # not a database error
        answer = await click(bot, team, "UR00001", forged("feedback.delete", value), key)
        assert said in answer["text"], answer
    assert await rows(bot, team) == (1, 1, 0)
    body = await command(bot, team, "UR00001", "delete -3")  # a bad number: a usage line, not feedback
    assert "Usage" in body["text"] or "not a feedback number" in body["text"], body
    assert await rows(bot, team) == (1, 1, 0)
    # Someone else forging a click for this item is refused: the click checks who may.
    plain_user(bot, "USTRANGE")
    answer = await click(bot, team, "USTRANGE", forged("feedback.delete", json.dumps({"number": number})), "d")
    assert answer["text"].startswith(REFUSED)
    assert await rows(bot, team) == (1, 1, 0)


# -- delete: who may ---------------------------------------------------------------------------


async def test_a_reporter_cannot_delete_what_others_voted_for_nor_a_stranger_anything(bot: Bot, team: str) -> None:
    shared, _ = await reacted_item(bot, team, "UR00001", "UR00002")
    mine = await file_by_command(bot, team, "UR00001", "Only mine")
    for user in ("UR00001", "USTRANGE"):
        plain_user(bot, user)
    body = await command(bot, team, "UR00001", f"delete {shared}")
    assert body["text"].startswith(REFUSED) and "Other people voted for it too" in body["text"]
    assert "blocks" not in body or not buttons(body)
    body = await command(bot, team, "USTRANGE", f"delete {mine}")
    assert body["text"] == (f"{REFUSED} #{mine} and the person who filed it (while nobody else has voted "
                            "for it) can delete it.")
    assert await rows(bot, team) == (2, 3, 0)


async def test_the_click_checks_again_a_vote_that_came_meanwhile_keeps_the_item(bot: Bot, team: str) -> None:
    number, ts = await reacted_item(bot, team, "UR00001")
    plain_user(bot, "UR00001")
    button = buttons(await command(bot, team, "UR00001", f"delete {number}"))[f"Delete #{number}"]
    await react(bot, team, "UR00002", ts)  # someone else votes before the click
    answer = await click(bot, team, "UR00001", button, "late")
    assert answer["text"].startswith(REFUSED) and "Other people voted" in answer["text"]
    (item,) = await items(bot, team)
    assert set(item.reporters) == {"UR00001", "UR00002"}


async def test_the_owner_and_an_ops_admin_may_delete_anything(bot: Bot, team: str) -> None:
    owned, _ = await reacted_item(bot, team, "UR00001", "UR00002", text="Owned item")
    other, _ = await reacted_item(bot, team, "UR00003", "UR00004", text="Someone else's")
    boss = slack_admin(bot)
    pick = {"action_id": "feedback.owner", "block_id": f"feedback.item.{owned}", "type": "users_select",
            "selected_user": "UOWNER1"}
    await bot.slack.interaction(block_actions(team, boss, [pick]))
    await bot.settle()
    plain_user(bot, "UOWNER1")
    button = buttons(await command(bot, team, "UOWNER1", f"delete {owned}"))[f"Delete #{owned}"]
    assert "Deleted" in (await click(bot, team, "UOWNER1", button, "own"))["text"]
    body = await command(bot, team, "UOWNER1", f"delete {other}")  # owning one item is not owning all
    assert body["text"].startswith(REFUSED)
    ops = await ops_admin(bot, team)
    button = buttons(await command(bot, team, ops, f"delete {other}"))[f"Delete #{other}"]
    assert "Deleted" in (await click(bot, team, ops, button, "ops"))["text"]
    assert await rows(bot, team) == (0, 0, 0)


async def test_another_workspaces_number_is_not_found(bot: Bot, team: str) -> None:
    number = await file_by_command(bot, team, "UR00001", "Team A's item")
    elsewhere = "T" + uuid.uuid4().hex[:10].upper()
    boss = slack_admin(bot, "UADMINB")
    body = await command(bot, elsewhere, boss, f"delete {number}")
    assert body["text"] == f"There is no feedback #{number} in this workspace."
    answer = await click(bot, elsewhere, boss, forged("feedback.delete", json.dumps({"number": number})), "x")
    assert answer["text"] == f"There is no feedback #{number} in this workspace."
    assert await rows(bot, team) == (1, 1, 0)


# -- delete: merged items ----------------------------------------------------------------------


async def test_a_duplicate_is_deleted_alone_and_a_target_only_once_nothing_points_at_it(bot: Bot, team: str) -> None:
    target = await file_by_command(bot, team, "UR00001", "SSO via Okta #auth")
    dup = await file_by_command(bot, team, "UR00002", "Okta login please #okta")
    dup2 = await file_by_command(bot, team, "UR00003", "Okta again")
    boss = slack_admin(bot)
    for n in (dup, dup2):
        assert "Merged" in (await command(bot, team, boss, f"merge {n} {target}"))["text"]
    body = await command(bot, team, boss, f"delete {target}")
    assert body["text"] == (f"#{target} has 2 items merged into it (#{dup}, #{dup2}); deleting it would leave them "
                            f"pointing nowhere. Delete those first (`/feedback delete {dup}`; a merged item has no "
                            f"reporters of its own, so its owner or an ops admin can), then #{target}.")
    # Deleting a duplicate deletes the duplicate (not what its number shows), and leaves the target as it is.
    question = await command(bot, team, boss, f"delete {dup}")
    assert f"Delete feedback #{dup}?" in block_text(question["blocks"])
    await click(bot, team, boss, buttons(question)[f"Delete #{dup}"], "dup")
    kept = {v.number: v for v in await items(bot, team)}
    assert set(kept) == {target, dup2}
    assert set(kept[target].reporters) == {"UR00001", "UR00002", "UR00003"} and kept[target].tags == ("auth", "okta")
    assert kept[target].merged_numbers == (dup2,)
    assert (await command(bot, team, boss, f"show {dup}"))["text"] == f"There is no feedback #{dup} in this workspace."
    assert (await command(bot, team, boss, f"show {dup2}"))["text"] == f"Feedback #{target}"  # still points at it
    body = await command(bot, team, boss, f"delete {target}")
    assert body["text"].startswith(f"#{target} has 1 item merged into it (#{dup2}); deleting it would leave that")
    await click(bot, team, boss, buttons(await command(bot, team, boss, f"delete {dup2}"))[f"Delete #{dup2}"], "d2")
    await click(bot, team, boss, buttons(await command(bot, team, boss, f"delete {target}"))[f"Delete #{target}"], "t")
    assert await rows(bot, team) == (0, 0, 0)


# -- the typo question -------------------------------------------------------------------------


async def test_a_typo_asks_and_show_runs_the_command_for_the_clicker(bot: Bot, team: str) -> None:
    for i in range(3):
        await file_by_command(bot, team, "UR00001", f"Item {i}")
    body = await command(bot, team, "UR00002", "shwo 3")
    assert body.get("response_type", "ephemeral") == "ephemeral" and "Did you mean" in body["text"]
    assert_valid_blocks(body["blocks"])
    assert "Did you mean `/feedback show 3`?" in block_text(body["blocks"])
    assert set(buttons(body)) == {"Show #3", "File as feedback"}
    assert len(await items(bot, team)) == 3  # nothing filed
    plain_user(bot, "UR00002")
    card = await click(bot, team, "UR00002", buttons(body)["Show #3"], "show")
    assert card["replace_original"] is True and card["text"] == "Feedback #3"
    assert_valid_blocks(card["blocks"])
    assert "Item 2" in block_text(card["blocks"])
    assert len(await items(bot, team)) == 3


async def test_typos_of_each_kind_ask_and_real_feedback_is_filed(bot: Bot, team: str) -> None:
    asked = {"lsit": "/feedback list", "serach export": "/feedback search export",
             "stauts 4 shipped": "/feedback status 4 shipped", "dleete #4": "/feedback delete #4",
             "Merg 14 9": "/feedback merge 14 9", "hlep": "/feedback help", "exprot planned #ux": "/feedback export planned #ux",
             "flie Exports are slow": "/feedback file Exports are slow"}
    for typed, meant in asked.items():
        body = await command(bot, team, "UR00001", typed)
        assert f"Did you mean `{meant}`?" in block_text(body["blocks"]), typed
    assert await items(bot, team) == []
    for typed in ("lists are slow", "files go missing", "shows the wrong total", "fine grained permissions"):
        await file_by_command(bot, team, "UR00001", typed)
    assert [v.text for v in await items(bot, team)] == [
        "lists are slow", "files go missing", "shows the wrong total", "fine grained permissions"]


async def test_file_as_feedback_files_the_text_as_typed_once(bot: Bot, team: str) -> None:
    body = await command(bot, team, "UR00001", "flie Exports   time out #perf customer:Acme")
    assert "Did you mean `/feedback file Exports   time out #perf customer:Acme`?" in block_text(body["blocks"])
    assert set(buttons(body)) == {"File without “flie”", "File as feedback"}
    file_it = buttons(body)["File as feedback"]
    answer = await click(bot, team, "UR00001", file_it, "file")
    assert answer["replace_original"] is True and "Filed as feedback #1" in answer["text"]
    assert_valid_blocks(answer["blocks"])
    again = await click(bot, team, "UR00001", file_it, "again")  # a second click on the same question
    assert "already filed" in again["text"]
    (item,) = await items(bot, team)  # as `/feedback file <text>` files it: the labels at the end lifted
    assert (item.text, item.customer, item.tags, item.reporters) == (
        "flie Exports   time out", "Acme", ("perf",), ("UR00001",))
    body = await command(bot, team, "UR00001", "shwo 3")
    answer = await click(bot, team, "UR00001", buttons(body)["File as feedback"], "shwo")
    assert "Filed as feedback #2" in answer["text"]
    assert [v.text for v in await items(bot, team)] == ["flie Exports   time out", "shwo 3"]


async def test_the_run_button_checks_the_clicker_and_forged_values_run_nothing(bot: Bot, team: str) -> None:
    number = await file_by_command(bot, team, "UR00001", "Ship it")
    body = await command(bot, team, "UR00001", f"stauts {number} shipped")
    run = buttons(body)[f"Set #{number} to shipped"]
    plain_user(bot, "UR00001")
    answer = await click(bot, team, "UR00001", run, "plain")
    assert "Only ops admins and the owner" in answer["text"]
    boss = slack_admin(bot)
    answer = await click(bot, team, boss, run, "boss")
    assert answer["text"] == f"#{number} is now *shipped*. 1 reporter will get a DM."
    (item,) = await items(bot, team)
    assert item.status.value == "shipped"
    value = json.dumps({"text": "hello world", "once": "0123456789abcdef"})  # not a typo of anything
    answer = await click(bot, team, boss, forged("feedback.typo.run", value), "forged")
    assert "out of date" in answer["text"]
    answer = await click(bot, team, boss, forged("feedback.typo.file", "{bad"), "bad")
    assert "out of date" in answer["text"]
    assert len(await items(bot, team)) == 1


# -- plurals -----------------------------------------------------------------------------------


async def test_counts_read_right_in_every_answer(bot: Bot, team: str) -> None:
    await file_by_command(bot, team, "UR00001", "First")
    body = await command(bot, team, "UR00001", "list")
    assert body["text"] == "1 feedback item" and "1 vote" in block_text(body["blocks"])
    assert "1 votes" not in block_text(body["blocks"])
    number, _ = await reacted_item(bot, team, "UR00001", "UR00002")
    body = await command(bot, team, "UR00001", "list")
    assert body["text"] == "2 feedback items" and "2 votes" in block_text(body["blocks"])
    await command(bot, team, "UR00001", "export")
    (complete,) = bot.fake.calls_to("files.completeUploadExternal")
    assert "2 items" in json.dumps(complete.args)
    boss = slack_admin(bot)
    body = await command(bot, team, boss, f"status {number} shipped")
    assert body["text"].endswith("2 reporters will get a DM.")
    question = await command(bot, team, boss, f"delete {number}")
    assert "2 votes" in block_text(question["blocks"])


# -- the decision, as a property ---------------------------------------------------------------


def osa_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment), written independently of the bot's check."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def near_a_subcommand(word: str) -> bool:
    return any(osa_distance(word.lower(), sub) <= 1 for sub in TYPO_TARGETS)


@given(st.text(alphabet="abcdefghilmnoprstuvwxy", max_size=8), st.sampled_from(TYPO_TARGETS))
def test_one_edit_is_damerau_levenshtein_distance_one(typed: str, word: str) -> None:
    assert (one_edit(typed, word) is not None) == (osa_distance(typed, word) == 1)


EDITS = st.tuples(st.sampled_from(TYPO_TARGETS), st.integers(0, 6),
                  st.sampled_from(["insert", "delete", "substitute", "transpose"]), st.sampled_from("aeiourstlnx"))


def edited(word: str, i: int, kind: str, letter: str) -> str:
    """`word` with one edit at `i`: what a quick typist makes of it."""
    i = min(i, len(word) - 1)
    if kind == "insert":
        return word[:i] + letter + word[i:]
    if kind == "delete":
        return word[:i] + word[i + 1:]
    if kind == "substitute":
        return word[:i] + letter + word[i + 1:]
    return word[:i] + word[i + 1: i + 2] + word[i] + word[i + 2:] if i + 1 < len(word) else word


FIRST_WORDS = st.one_of(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzé", min_size=1, max_size=9),
    st.sampled_from(["lists", "files", "fine", "shows", "helps", "status", "exports", "Search", "listing",
                     "deleted", "merged", "configure", "showcase", "lsit", "shwo", "stauts", "1", "#show"]),
    EDITS.map(lambda e: edited(*e)),  # one typo from a subcommand (or, rarely, the word itself)
)
REST = st.lists(st.sampled_from(["3", "#4", "12 9", "shipped", "planned", "#ux", "top", "area:billing", "emoji bulb",
                                 "are slow", "customer:Acme", "the export", "x", "4 shipped", ""]), max_size=3).map(" ".join)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=FIRST_WORDS, rest=REST)
@example(first="lists", rest="are slow")
@example(first="shwo", rest="3")
@example(first="#show", rest="")
async def test_text_not_near_a_subcommand_files_as_before_and_near_one_asks_or_files(
        bot: Bot, first: str, rest: str) -> None:
    text = f"{first} {rest}".strip()
    team = "T" + uuid.uuid4().hex[:10].upper()  # a fresh workspace per example
    bot.fake.reset()
    body = await command(bot, team, "UT00001", text)
    filed = await items(bot, team)
    head = text.split()[0].lower()
    if head in SUBCOMMANDS:
        return  # a subcommand spelled right: answered as it always was (test_feedback_triage)
    if not near_a_subcommand(head):  # exactly as before the typo question existed
        assert typo_of(text) is None
        try:
            draft = parse_draft(text)
        except UserError as exc:
            assert body == {"response_type": "ephemeral", "text": exc.message} and filed == []
            return
        (item,) = filed
        assert "Filed as feedback" in body["text"]
        assert (item.text, item.customer, sorted(item.tags)) == (draft.text, draft.customer, sorted(draft.tags))
        return
    try:
        expected = parse_command(text)
    except UserError as exc:
        assert body == {"response_type": "ephemeral", "text": exc.message} and filed == []
        return
    if expected.action == "typo":  # asked, nothing filed
        assert "Did you mean" in body["text"] and filed == []
        assert_valid_blocks(body["blocks"])
        assert "File as feedback" in buttons(body) and len(buttons(body)) == 2
    else:  # real feedback that starts like a subcommand ("lists are slow")
        assert expected.action == "file" and expected.draft is not None
        (item,) = filed
        assert item.text == expected.draft.text
