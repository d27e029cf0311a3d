"""Text as people wrote it, through every feedback entry path and every surface it reaches.

A person's text is generated as segments: characters they typed (any, including `&`, `<`, `>`,
entities typed literally, emoji, right-to-left script) and tokens their Slack client made
(mentions, channels, links, broadcasts). Slack encodes it (typed `&<>` as entities, tokens as
`<…>`) for messages and slash commands, and sends modal values raw. Each surface must show
what was typed: plain surfaces exactly, mrkdwn ones once decoded as Slack would show them.
"""
from __future__ import annotations

import csv
import io
import json
import re
import uuid
from dataclasses import dataclass

from hypothesis import HealthCheck, assume, given, settings, strategies as st

from bot.feedback.search import normalize
from bot.usertext import from_slack, from_typed, mrkdwn
from tests.conftest import Bot
from tests.feedback_helpers import items, new_ts, reaction
from tests.slack_requests import block_actions, view_submission
from tests.test_feedback_capture import shortcut_payload

# (wire token, what it shows as plain text, what it shows in Slack once rendered as mrkdwn)
TOKENS = [
    ("<@U0BOB42>", "@U0BOB42", "@U0BOB42"),
    ("<#C0SUPP1|support>", "#support", "#C0SUPP1"),
    ("<!here>", "@here", "@here"),
    ("<!subteam^S0DES|@design>", "@design", "@design"),
    ("<https://docs.example.com/a?b=1&amp;c=2|the docs>", "the docs", "the docs"),
    ("<https://example.org/x>", "https://example.org/x", "https://example.org/x"),
]
TYPED_CHARS = st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters="#")
TYPED = st.text(TYPED_CHARS, min_size=1, max_size=25) | st.sampled_from(
    ["R&D", "<export>", "&amp;", "&lt;b&gt;", "<!here>", "<@U123>", "a < b > c", "שלום עולם", "مرحبا", "🚀👩‍👩‍👧",
     "*not bold*", "<https://evil.example|click me>"])


@dataclass(frozen=True)
class Written:
    wire: str  # as Slack sends it in a message or slash command
    plain: str  # what the person sees they wrote
    shown: str  # what Slack shows once our mrkdwn is rendered
    typed_only: bool
    typed_words: tuple[str, ...] = ()  # whitespace-free runs of typed characters: what a search may ask


@st.composite
def written(draw: st.DrawFn, tokens: bool = True) -> Written:
    parts = draw(st.lists(st.one_of(TYPED.map(lambda t: ("t", t)), st.sampled_from(TOKENS).map(lambda k: ("k", k)))
                          if tokens else TYPED.map(lambda t: ("t", t)), min_size=1, max_size=6))
    wire = plain = shown = ""
    for kind, part in parts:
        if kind == "t":
            wire, plain, shown = wire + from_typed(part), plain + part, shown + part
        else:
            wire, plain, shown = wire + part[0], plain + part[1], shown + part[2]
    words = tuple(word for kind, part in parts if kind == "t" for word in part.split())
    w = Written(wire, plain, shown, all(kind == "t" for kind, _ in parts), words)
    # Short enough for every surface's preview (200 characters of mrkdwn), so nothing is cut.
    assume(w.plain.strip() and len(mrkdwn(wire)) <= 190 and "customer:" not in w.plain.lower())
    return w


def squash(text: str) -> str:
    return " ".join(text.split())


def as_slack_shows(mrkdwn: str) -> str:
    """Decode our mrkdwn as Slack renders it: tokens as what they show, entities once."""
    def token(m: re.Match[str]) -> str:
        inner = m.group(1)
        if inner.startswith(("@", "#")):
            return inner.split("|")[0]
        assert not inner.startswith("!") or inner.startswith("!date^"), f"a broadcast or user group was posted: {m.group(0)}"
        return inner.split("|", 1)[1] if "|" in inner else inner
    text = re.sub(r"<([^<>]*)>", token, mrkdwn)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mrkdwn_of(blocks: list[dict]) -> str:
    """All mrkdwn text of a message's blocks, quote markers removed."""
    texts: list[str] = []
    for block in blocks:
        for t in [block.get("text"), *(block.get("fields") or []), *(block.get("elements") or [])]:
            if isinstance(t, dict) and t.get("type") == "mrkdwn":
                texts.append(re.sub(r"(?m)^> ", "", t["text"]))
    return "\n".join(texts)


def assert_shows(blocks: list[dict], w: Written) -> None:
    rendered = mrkdwn_of(blocks)
    assert not re.search(r"<!(?!date\^)", rendered), rendered  # the bot's own dates only
    assert squash(w.shown) in squash(as_slack_shows(rendered)), (w, rendered)


async def check_item_surfaces(bot: Bot, team: str, w: Written, stored_plain: str, stored_shown: str) -> None:
    """show, list, search, the shipped DM and the CSV export of the team's one item."""
    (item,) = await items(bot, team)
    check = Written(w.wire, stored_plain, stored_shown, w.typed_only, w.typed_words)
    _, body = await bot.slack.command(team, "UADMIN1", "/feedback", f"show {item.number}")
    assert_shows(body["blocks"], check)
    _, body = await bot.slack.command(team, "UADMIN1", "/feedback", "list")
    lines = as_slack_shows(mrkdwn_of(body["blocks"])).splitlines()
    preview = lines[lines.index(next(line for line in lines if "*#1*" in line)) + 1]  # cut to a preview
    assert preview and squash(stored_shown).startswith(squash(preview.removesuffix("…"))), (preview, stored_shown)
    words = [word for word in w.typed_words if normalize(from_typed(word))]  # the index holds letters and digits
    if words:  # search for what a person would type: Slack sends it entity-escaped
        _, body = await bot.slack.command(team, "UADMIN1", "/feedback", "search " + from_typed(words[0]))
        assert "1 found" in json.dumps(body["blocks"]), words[0]
    _, body = await bot.slack.command(team, "UADMIN1", "/feedback", f"status {item.number} shipped")
    await bot.settle()
    dm = next(c for c in bot.fake.posted() if c.args["channel"] == item.reporters[0])
    assert_shows(dm.args["blocks"], check)
    await bot.slack.command(team, "UADMIN1", "/feedback", "export")
    await bot.settle()
    (content,) = bot.fake.uploads.values()
    (row,) = list(csv.DictReader(io.StringIO(content.decode())))
    expected = stored_plain
    for wire_token, plain, _ in TOKENS:
        if wire_token.startswith("<https://docs"):
            expected = expected.replace(plain, "the docs (https://docs.example.com/a?b=1&c=2)") if wire_token in w.wire else expected
    assert row["text"] == ("'" + expected if expected[:1] in "=+-@" else expected)  # formulas stay neutralised


def fresh(bot: Bot) -> str:
    bot.fake.reset()
    bot.fake.add_user("UADMIN1", is_admin=True)
    return "T" + uuid.uuid4().hex[:10].upper()


SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(w=written())
async def test_slash_command_text_reaches_every_surface_as_written(bot: Bot, w: Written) -> None:
    team = fresh(bot)
    status, body = await bot.slack.command(team, "UREP001", "/feedback", "file " + w.wire)
    assert status == 200 and "Filed as feedback" in body["text"], body
    assert_shows(body["blocks"], w)
    (item,) = await items(bot, team)
    await check_item_surfaces(bot, team, w, w.plain.strip(), w.shown.strip())


@SETTINGS
@given(w=written())
async def test_a_reacted_message_reaches_every_surface_as_written(bot: Bot, w: Written) -> None:
    team, ts = fresh(bot), new_ts()
    bot.fake.add_message("CSALES1", ts, w.wire, user="UAUTHOR1")
    await bot.slack.event(team, reaction("UREP001", "CSALES1", ts))
    await bot.settle()
    (confirmation,) = bot.fake.calls_to("chat.postEphemeral")
    assert_shows(confirmation.args["blocks"], w)
    await check_item_surfaces(bot, team, w, w.plain, w.shown)  # the message as Slack has it


@SETTINGS
@given(w=written())
async def test_the_shortcut_form_shows_the_message_as_written_and_keeps_it(bot: Bot, w: Written) -> None:
    team, ts = fresh(bot), new_ts()
    bot.fake.add_message("CSALES1", ts, w.wire, user="UAUTHOR1")
    await bot.slack.interaction(shortcut_payload(team, "UREP001", "CSALES1", {"ts": ts, "text": w.wire, "user": "UAUTHOR1"}))
    await bot.settle()
    (opened,) = bot.fake.calls_to("views.open")
    view = opened.args["view"]
    field = next(b for b in view["blocks"] if b.get("block_id") == "text")["element"]
    assert field["initial_value"] == w.plain  # characters, mentions as names, links as labels
    values = {"text": {"text": {"type": "plain_text_input", "value": field["initial_value"]}}}
    await bot.slack.interaction(view_submission(team, "UREP001", view["callback_id"], values,
                                                private_metadata=view["private_metadata"]))
    await bot.settle()
    (item,) = await items(bot, team)
    assert item.text == from_slack(w.wire)  # unedited: the message itself, mentions and links kept
    await check_item_surfaces(bot, team, w, w.plain, w.shown)


@SETTINGS
@given(w=written(tokens=False))
async def test_the_feedback_form_keeps_typed_characters(bot: Bot, w: Written) -> None:
    team = fresh(bot)
    values = {"text": {"text": {"type": "plain_text_input", "value": w.plain}},
              "customer": {"customer": {"type": "plain_text_input", "value": w.plain[:100]}}}
    status, _ = await bot.slack.interaction(view_submission(team, "UREP001", "feedback.capture", values,
                                                            private_metadata="{}"))
    assert status == 200
    await bot.settle()
    (item,) = await items(bot, team)
    await check_item_surfaces(bot, team, w, w.plain.strip(), w.plain.strip())
    # The edit form shows the customer as it was typed, never its entities.
    _, body = await bot.slack.command(team, "UADMIN1", "/feedback", f"show {item.number}")
    edit = next(e for b in body["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e.get("action_id") == "feedback.edit")
    await bot.slack.interaction(block_actions(team, "UADMIN1", [{**edit, "block_id": f"feedback.item.{item.number}"}]))
    await bot.settle()
    opened = bot.fake.calls_to("views.open")[-1].args["view"]
    customer = next(b for b in opened["blocks"] if b.get("block_id") == "customer")["element"]
    assert customer["initial_value"] == w.plain[:100].strip()


async def test_the_shortcut_form_names_mentioned_people_and_confirms_what_was_stored(bot: Bot) -> None:
    team, ts = fresh(bot), new_ts()
    bot.fake.add_user("U0BOB42", name="Bob Ng")
    wire = "See <https://docs.example.com/x|the docs> cc <@U0BOB42> about R&amp;D"
    bot.fake.add_message("CSALES1", ts, wire, user="UAUTHOR1")
    await bot.slack.interaction(shortcut_payload(team, "UREP001", "CSALES1", {"ts": ts, "text": wire, "user": "UAUTHOR1"}))
    await bot.settle()
    view = bot.fake.calls_to("views.open")[0].args["view"]
    field = next(b for b in view["blocks"] if b.get("block_id") == "text")["element"]
    assert field["initial_value"] == "See the docs cc @Bob Ng about R&D"  # a name, not an id
    values = {"text": {"text": {"type": "plain_text_input", "value": field["initial_value"]}}}
    await bot.slack.interaction(view_submission(team, "UREP001", view["callback_id"], values,
                                                private_metadata=view["private_metadata"]))
    await bot.settle()
    (item,) = await items(bot, team)
    assert item.text == wire  # unedited: the message, with its link and mention
    (confirmation,) = bot.fake.calls_to("chat.postEphemeral")
    assert "<https://docs.example.com/x|the docs>" in mrkdwn_of(confirmation.args["blocks"])  # what was stored
