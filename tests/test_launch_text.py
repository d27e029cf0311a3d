"""Launch names and item titles read as people wrote them, on every surface (issue 19).

Text enters as Slack sends it: after `/launch new`, `/launch add` … as Slack encodes slash-command
text (`&`, `<`, `>` typed become entities; mentions, broadcasts, links arrive as `<…>` tokens),
and into the launch and template forms raw. Every surface it reaches is checked through the
real signed endpoint and the fake Web API:

- plain_text (headers, button and option labels, input initial values) shows exactly the
  characters typed, mentions as names and links as their label;
- mrkdwn (sections, context, thread lines, answers, and a message's `text`, which Slack reads
  as mrkdwn too) reads, once Slack has decoded it, as exactly that text: every `&`, `<`, `>`
  escaped once, `<…>` only as a link, a channel or (on private surfaces) a user mention, never
  `<!here>`, `<!channel>`, `<!everyone>` or `<!subteam…>`; and posted in the channel, it
  mentions nobody but the people the bot itself names (the launch owner, the clicker).

A `<!here>` typed literally into a form is shown as those characters in plain_text fields,
where Slack parses nothing; in mrkdwn it is `&lt;!here&gt;`.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, settings, strategies as st
from sqlalchemy import select

from bot.clock import Clock, now as clock_now
from bot.duties import tick
from bot.launches.parsing import NAME_MAX, TITLE_MAX
from bot.quotes import QUOTES
from bot.usertext import from_typed
from models.launch import Launch, LaunchTemplate
from tests.blockkit import assert_valid_blocks
from tests.conftest import Bot
from tests.slack_requests import view_submission

CHANNEL = "CLTEXT01"
OWNER = "ULTOWNER"
ADMIN = "ULTADMIN"
# What Slack knows and shows for a mention it renders itself (the bot is never told the names).
PEOPLE = {"U0BOB": "bob"}
CHANNELS = {"C0SALES1": "sales", CHANNEL: "launches"}


def days(n: int) -> str:
    return (clock_now().date() + timedelta(days=n)).isoformat()


def as_slack_sends(typed: str) -> str:
    """Slack's encoding of typed characters in slash-command text (docs/architecture.md,
    "Slack's wire format and Block Kit limits")."""
    return typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def squeeze(text: str) -> str:
    return " ".join(text.split())


# -- what Slack shows for what the bot sent ----------------------------------------------------

_TOKEN = re.compile(r"<([^<>]*)>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_BARE_AMP = re.compile(r"&(?!(?:amp|lt|gt);)")


def _unescape(text: str) -> str:
    return _ENTITY.sub(lambda m: {"amp": "&", "lt": "<", "gt": ">"}[m.group(1)], text)


def mentions(mrkdwn: str) -> set[str]:
    return set(re.findall(r"<@([UW][A-Z0-9]+)", mrkdwn))


def shown(mrkdwn: str) -> str:
    """What Slack shows for a mrkdwn string, asserting it is well formed: outside tokens no
    `<`, `>` or bare `&` (each escaped exactly once), tokens only links, channels and users."""
    out: list[str] = []
    pos = 0
    for match in [*_TOKEN.finditer(mrkdwn), None]:
        run = mrkdwn[pos:match.start() if match else len(mrkdwn)]
        assert "<" not in run and ">" not in run, f"unescaped angle bracket in {mrkdwn!r}"
        assert not _BARE_AMP.search(run), f"unescaped & in {mrkdwn!r}"
        out.append(_unescape(run))
        if match is None:
            break
        inner = match.group(1)
        assert not inner.startswith("!"), f"broadcast, user group or command token in {mrkdwn!r}"
        if m := re.fullmatch(r"@([UW][A-Z0-9]+)", inner):
            out.append("@" + PEOPLE.get(m.group(1), m.group(1)))
        elif m := re.fullmatch(r"#([CGD][A-Z0-9]+)(?:\|.*)?", inner):
            out.append("#" + CHANNELS.get(m.group(1), m.group(1)))
        else:
            url, _, label = inner.partition("|")
            assert re.match(r"(https?|mailto):", url), f"not a link: <{inner}> in {mrkdwn!r}"
            assert not _BARE_AMP.search(inner), f"unescaped & in <{inner}>"
            out.append(_unescape(label or url))
        pos = match.end()
    return "".join(out)


def text_objects(node: Any) -> Iterator[tuple[str, str]]:
    """(type, text) of every Block Kit text object in a payload."""
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            yield node["type"], node["text"]
        for value in node.values():
            yield from text_objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from text_objects(value)


def check_payload(text: str | None, blocks: list[dict[str, Any]] | None, *, public: bool) -> None:
    """Every mrkdwn in a message or answer is well formed and pings nobody; in the channel it
    mentions only people the bot names itself."""
    mrkdwn = ([text] if text else []) + [t for kind, t in text_objects(blocks or []) if kind == "mrkdwn"]
    for piece in mrkdwn:
        shown(piece)
        if public:
            assert mentions(piece) <= {OWNER, ADMIN}, piece
    if blocks:
        assert_valid_blocks(blocks)


def check_everything_sent(bot: Bot) -> None:
    for call in bot.fake.calls:
        if call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            public = call.method != "chat.postEphemeral" and call.args.get("channel") == CHANNEL
            check_payload(call.args.get("text"), call.args.get("blocks"), public=public)
        elif call.method.startswith("views."):
            for kind, text in text_objects(call.args["view"]):
                if kind == "mrkdwn":
                    shown(text)


def cut_or_whole(mrkdwn: str, expected: str) -> bool:
    """The text as written, or its start cut at a piece boundary with an ellipsis."""
    seen = shown(mrkdwn)
    return seen == expected or (seen.endswith("…") and expected.startswith(seen[:-1]))


def plain_cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


# -- what people write -------------------------------------------------------------------------

@dataclass(frozen=True)
class Piece:
    wire: str  # as Slack sends it in slash-command text
    shows: str  # what a person reads


CHARS = st.characters(categories=("L", "M", "N", "P", "S", "Zs"), exclude_characters=QUOTES)
FRAGMENTS = ["&", "<", ">", "&amp;", "&lt;", "&gt;", "&amp;amp;", "R&D", "<export>", "a < b > c", "<@U123>",
             "<!here>", "<!channel>", "<https://x.example|label>", "*bold*", "_it_", "~s~", "`code`",
             "🚀", "👩\u200d👩\u200d👧", "שלום עולם", "مرحبا بالعالم", "\u200fRTL\u200e", "é", "日本語"]
# Tokens as Slack sends them after a slash command, and what Slack shows for each.
TOKENS = [Piece("<@U0BOB|bob>", "@bob"), Piece("<@U123>", "@U123"), Piece("<!here>", "@here"),
          Piece("<!channel>", "@channel"), Piece("<!everyone>", "@everyone"),
          Piece("<!subteam^S0PLAT1|@platform>", "@platform"), Piece("<#C0SALES1|sales>", "#sales"),
          Piece("<https://x.example|label>", "label"),
          Piece("<https://x.example/a?b=1&amp;c=2>", "https://x.example/a?b=1&c=2"),
          Piece("<https://x.example/&lt;!here&gt;|a &amp; b>", "a & b"),
          Piece("<mailto:bob@x.example|bob@x.example>", "bob@x.example"),
          Piece("<!date^1392734382^{date_short}|Feb 18, 2014>", "Feb 18, 2014")]


def typed_text(*, bar: bool) -> st.SearchStrategy[str]:
    chars = CHARS if bar else st.characters(categories=("L", "M", "N", "P", "S", "Zs"),
                                            exclude_characters=QUOTES + "|")
    fragments = [f for f in FRAGMENTS if bar or "|" not in f]
    return st.text(chars, min_size=1, max_size=10) | st.sampled_from(fragments)


def typed_piece(typed: str) -> Piece:
    return Piece(as_slack_sends(typed), typed)


def written(max_len: int, *, bar: bool = True) -> st.SearchStrategy[tuple[str, str]]:
    """(slash-command wire, what it shows with whitespace squeezed) of typed text and tokens."""
    pieces = st.lists(st.one_of(typed_text(bar=bar).map(typed_piece), st.sampled_from(TOKENS)), min_size=1, max_size=6)
    return (pieces.map(lambda ps: ("".join(p.wire for p in ps), squeeze("".join(p.shows for p in ps))))
            .filter(lambda w: 0 < len(w[1]) <= max_len))


def typed(max_len: int, *, bar: bool = True) -> st.SearchStrategy[str]:
    """Raw characters typed into a form (a `<!here>` here is just those characters)."""
    return (st.lists(typed_text(bar=bar), min_size=1, max_size=6).map("".join)
            .filter(lambda t: 0 < len(squeeze(t)) and len(t) <= max_len))


PROPERTY = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


# -- helpers over the endpoint -----------------------------------------------------------------

async def new_team(bot: Bot) -> str:
    """A fresh workspace and a clean fake, once the previous example's deferred work is done."""
    await bot.settle()
    bot.fake.reset()
    for user in (OWNER, "U0BOB"):
        bot.fake.add_user(user)
    bot.fake.add_user(ADMIN, is_admin=True)
    return "T" + uuid.uuid4().hex[:10].upper()


async def command(bot: Bot, team: str, text: str, user: str = OWNER) -> dict[str, Any]:
    status, body = await bot.slack.command(team, user, "/launch", text, channel_id=CHANNEL)
    assert status == 200, body
    body = body or {}  # a form opens after an empty ack
    check_payload(body.get("text"), body.get("blocks"), public=False)
    return body


async def open_form(bot: Bot, team: str, text: str, user: str = OWNER) -> dict[str, Any]:
    await command(bot, team, text, user)
    await bot.settle()
    view = bot.fake.calls_to("views.open")[-1].args["view"]
    assert_valid_blocks(view["blocks"], limit=100)
    return view


def checklists(bot: Bot) -> list[dict[str, Any]]:
    """Every checklist message the bot sent (posts and updates), in order."""
    return [c.args for c in bot.fake.calls if c.method in ("chat.postMessage", "chat.update")
            and c.args.get("channel") == CHANNEL and (c.args.get("blocks") or [{}])[0].get("type") == "header"
            and c.args["blocks"][0]["text"]["text"].startswith("🚀")]


def thread(bot: Bot) -> list[str]:
    return [c.args["text"] for c in bot.fake.posted(CHANNEL) if c.args.get("thread_ts") and not c.args.get("blocks")]


def header(blocks: list[dict[str, Any]]) -> str:
    return blocks[0]["text"]["text"]


def button_labels(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["elements"][0]["text"]["text"] for b in blocks if b["type"] == "actions"]


def check_checklist(message: dict[str, Any], name: str) -> None:
    """The checklist message in the channel names the launch as written."""
    blocks = message["blocks"]
    assert header(blocks) == plain_cut(f"🚀 {name}", 150)
    assert shown(message["text"]).startswith(f"Launch checklist: {name}, "), message["text"]
    footer = blocks[-1]["elements"][0]["text"]
    assert f'`/launch status "{name}"` for a summary.' in shown(footer), footer


async def check_list_and_status(bot: Bot, team: str, wire: str, name: str) -> dict[str, Any]:
    body = await command(bot, team, "list")
    (row,) = [t for kind, t in text_objects(body["blocks"]) if kind == "mrkdwn" and "% ready" in t]
    assert shown(row).startswith(f"*{name}* · "), row
    body = await command(bot, team, f'status "{wire}"')
    assert shown(body["text"]) == f"{name}: 0% ready"
    assert header(body["blocks"]) == plain_cut(f"{name} · 0% ready", 150)
    return body


async def launch_row(bot: Bot, team: str) -> Launch:
    async with bot.rt.db.unit_of_work() as session:
        (launch,) = (await session.scalars(select(Launch).where(Launch.team_id == team))).all()
        return launch


# -- properties --------------------------------------------------------------------------------

@PROPERTY
@given(name=written(NAME_MAX), title=written(TITLE_MAX, bar=False))
@example(name=("R&amp;D &lt;export&gt; <@U0BOB|bob> <!here>", "R&D <export> @bob @here"),
         title=("see <https://x.example/a?b=1&amp;c=2|the docs> &amp;amp; <!channel>", "see the docs &amp; @channel"))
async def test_a_launch_named_after_the_command_reads_as_written_everywhere(
        bot: Bot, name: tuple[str, str], title: tuple[str, str]) -> None:
    (wire, expected), (title_wire, title_expected) = name, title
    team = await new_team(bot)
    body = await command(bot, team, f'new "{wire}" {days(30)}')
    assert shown(body["text"]).startswith(f"Created *{expected}* for "), body
    await bot.settle()
    (first,) = checklists(bot)
    check_checklist(first, expected)

    body = await command(bot, team, f'add "{wire}" sales | {title_wire} | -4')
    assert shown(body["text"]) == f"Added *{title_expected}* to {expected}.", body
    await bot.settle()
    latest = checklists(bot)[-1]
    check_checklist(latest, expected)
    assert plain_cut(f"⬜ {title_expected}", 75) in button_labels(latest["blocks"])
    assert [shown(line) for line in thread(bot)] == [f"@{OWNER} added sales: {title_expected}"]

    body = await check_list_and_status(bot, team, wire, expected)
    sales = next(t for kind, t in text_objects(body["blocks"]) if kind == "mrkdwn" and t.startswith("*Sales*"))
    assert f"\n⬜ {title_expected} · _unassigned_ · due " in shown(sales), sales

    body = await command(bot, team, f'go "{wire}"')
    assert shown(body["text"]) == f"Posting the go/no-go summary for *{expected}* in the checklist thread."
    await bot.settle()
    (summary,) = [c.args for c in bot.fake.posted(CHANNEL) if c.args.get("text", "").startswith("Go/no-go for ")]
    assert header(summary["blocks"]) == plain_cut(f"Go/no-go: {expected}", 150)
    assert shown(summary["text"]) == f"Go/no-go for {expected}: 0% ready"
    (open_items,) = [t for kind, t in text_objects(summary["blocks"]) if kind == "mrkdwn" and "*Open items*" in t]
    (sales_line,) = [line for line in open_items.splitlines() if line.startswith("*Sales*: ")]
    assert cut_or_whole(sales_line.removeprefix("*Sales*: "), f"Enablement deck, {title_expected}"), sales_line
    check_everything_sent(bot)


@PROPERTY
@given(name=typed(80))
@example(name="R&D <export> <@U123> <!here> &amp;")
async def test_a_launch_named_in_the_form_reads_as_typed_everywhere(bot: Bot, name: str) -> None:
    team = await new_team(bot)
    view = await open_form(bot, team, "new")
    values = {"name": {"name": {"type": "plain_text_input", "value": name}},
              "date": {"date": {"type": "datepicker", "selected_date": days(30)}},
              "channel": {"channel": {"type": "conversations_select", "selected_conversation": CHANNEL}},
              "template": {"template": {"type": "static_select", "selected_option": {"value": "default"}}},
              "owner": {"owner": {"type": "users_select", "selected_user": OWNER}}}
    status, body = await bot.slack.interaction(view_submission(team, OWNER, view["callback_id"], values))
    assert status == 200 and not body, body
    await bot.settle()
    expected = squeeze(name)
    (message,) = checklists(bot)
    check_checklist(message, expected)
    # The same name typed after a command (Slack encodes it) finds the launch.
    await check_list_and_status(bot, team, as_slack_sends(name), expected)
    # Typed again into the form, it is the same name: refused under the field, as typed.
    _, body = await bot.slack.interaction(view_submission(team, OWNER, view["callback_id"], values))
    assert body["errors"]["name"].startswith(f"A launch named `{expected}` already exists"), body
    check_everything_sent(bot)


@settings(PROPERTY, max_examples=25)
@given(name=typed(NAME_MAX), title=typed(TITLE_MAX, bar=False))
@example(name="R&D <export> &amp;", title="<!here> &lt;b&gt; & <https://x.example> &amp;")
async def test_a_template_typed_into_the_form_comes_back_as_typed(bot: Bot, name: str, title: str) -> None:
    team = await new_team(bot)
    lines = f"sales | {title} | -4\nengineering | Ship | -1"
    shown_lines = f"sales | {title.strip()} | -4\nengineering | Ship | -1"
    expected = squeeze(name)
    view = await open_form(bot, team, "template new", ADMIN)
    values = {"name": {"name": {"type": "plain_text_input", "value": name}},
              "items": {"items": {"type": "plain_text_input", "value": lines}}}
    status, body = await bot.slack.interaction(view_submission(team, ADMIN, view["callback_id"], values,
                                                               private_metadata=view["private_metadata"]))
    assert status == 200 and not body, body
    body = await command(bot, team, "template list", ADMIN)
    assert f"`{expected}`" in shown(body["blocks"][0]["text"]["text"])

    # The edit form shows what was typed, and saving it unchanged changes nothing.
    edit = await open_form(bot, team, f'template edit "{as_slack_sends(name)}"', ADMIN)
    fields = {b["block_id"]: b["element"] for b in edit["blocks"]}
    assert fields["name"]["initial_value"] == expected
    assert fields["items"]["initial_value"] == shown_lines
    async with bot.rt.db.unit_of_work() as session:
        before = [(t.name, t.items) for t in await session.scalars(
            select(LaunchTemplate).where(LaunchTemplate.team_id == team))]
    again = {"name": {"name": {"type": "plain_text_input", "value": fields["name"]["initial_value"]}},
             "items": {"items": {"type": "plain_text_input", "value": fields["items"]["initial_value"]}}}
    status, body = await bot.slack.interaction(view_submission(team, ADMIN, edit["callback_id"], again,
                                                               private_metadata=edit["private_metadata"]))
    assert status == 200 and not body, body
    async with bot.rt.db.unit_of_work() as session:
        after = [(t.name, t.items) for t in await session.scalars(
            select(LaunchTemplate).where(LaunchTemplate.team_id == team))]
    assert after == before

    # The launch form offers it by the name typed, and a launch made from it lists its items.
    form = await open_form(bot, team, "new", ADMIN)
    (template_field,) = [b["element"] for b in form["blocks"] if b["block_id"] == "template"]
    (choice,) = [o for o in template_field["options"] if o["value"] == expected]
    assert choice["text"]["text"] == plain_cut(expected, 75)
    values = {"name": {"name": {"type": "plain_text_input", "value": "From a template"}},
              "date": {"date": {"type": "datepicker", "selected_date": days(30)}},
              "channel": {"channel": {"type": "conversations_select", "selected_conversation": CHANNEL}},
              "template": {"template": {"type": "static_select", "selected_option": choice}},
              "owner": {"owner": {"type": "users_select", "selected_user": ADMIN}}}
    status, body = await bot.slack.interaction(view_submission(team, ADMIN, form["callback_id"], values))
    assert status == 200 and not body, body
    await bot.settle()
    (message,) = checklists(bot)
    assert button_labels(message["blocks"]) == ["⬜ Ship", plain_cut(f"⬜ {title.strip()}", 75)]  # by function
    check_everything_sent(bot)


# -- examples ------------------------------------------------------------------------------------

async def test_r_and_d_export_is_shown_as_written(bot: Bot, team: str) -> None:
    bot.fake.add_user(OWNER)
    body = await command(bot, team, f'new "R&amp;D &lt;export&gt;" {days(30)}')
    assert body["text"].startswith("Created *R&amp;D &lt;export&gt;* for ")
    await bot.settle()
    (message,) = checklists(bot)
    assert header(message["blocks"]) == "🚀 R&D <export>"
    assert message["text"].startswith("Launch checklist: R&amp;D &lt;export&gt;, 0% ready")
    assert (await launch_row(bot, team)).name == "R&amp;D &lt;export&gt;"  # the one representation
    body = await command(bot, team, "status 'r&amp;d &lt;EXPORT&gt;'")  # any case, any quotes
    assert header(body["blocks"]) == "R&D <export> · 0% ready"
    body = await command(bot, team, "list")
    assert "*R&amp;D &lt;export&gt;* · " in body["blocks"][1]["text"]["text"]
    # The same name typed into the form is the same launch: the form's error reads as typed.
    view = await open_form(bot, team, "new")
    values = {"name": {"name": {"type": "plain_text_input", "value": "R&D   <export>"}},
              "date": {"date": {"type": "datepicker", "selected_date": days(9)}},
              "channel": {"channel": {"type": "conversations_select", "selected_conversation": CHANNEL}}}
    _, body = await bot.slack.interaction(view_submission(team, OWNER, view["callback_id"], values))
    assert body["errors"]["name"].startswith("A launch named `R&D <export>` already exists")


async def test_mentions_and_broadcasts_in_a_name_ping_nobody_in_the_channel(bot: Bot, team: str) -> None:
    bot.fake.add_user(OWNER)
    name = "Ping <!here> <!channel> <@U0BOB|bob> <!subteam^S1|@design> in <#C0SALES1|sales>"
    body = await command(bot, team, f'new "{name}" {days(30)}')
    # Only the asker sees the answer: the mention stays a mention (Slack notifies nobody).
    assert body["text"].startswith("Created *Ping @here @channel <@U0BOB> @design in <#C0SALES1>* for ")
    await bot.settle()
    (message,) = checklists(bot)
    assert header(message["blocks"]) == "🚀 Ping @here @channel @bob @design in #sales"
    assert message["text"].startswith("Launch checklist: Ping @here @channel @bob @design in <#C0SALES1>, ")
    check_everything_sent(bot)


async def test_item_titles_with_links_and_entities(bot: Bot, team: str) -> None:
    bot.fake.add_user(OWNER)
    await command(bot, team, f'new "Mobile" {days(30)}')
    body = await command(bot, team, 'add "Mobile" sales | see <https://x.example/a?b=1&amp;c=2|the docs> &amp; FAQ | -4')
    assert body["text"] == "Added *see <https://x.example/a?b=1&amp;c=2|the docs> &amp; FAQ* to Mobile."
    await bot.settle()
    assert "⬜ see the docs & FAQ" in button_labels(checklists(bot)[-1]["blocks"])
    assert thread(bot) == [f"<@{OWNER}> added sales: see <https://x.example/a?b=1&amp;c=2|the docs> &amp; FAQ"]
    check_everything_sent(bot)


async def test_a_link_whose_address_holds_a_broadcast_stays_inert(bot: Bot, team: str) -> None:
    """Slack escapes `<` and `>` inside a link's address; the bot must send them escaped too, or
    `<https://x.example/<!here>>` would notify the channel."""
    bot.fake.add_user(OWNER)
    await command(bot, team, f'new "Docs <https://x.example/&lt;!here&gt;>" {days(30)}')
    await bot.settle()
    (message,) = checklists(bot)
    assert "<!here>" not in message["text"] and "<https://x.example/&lt;!here&gt;>" in message["text"]
    check_everything_sent(bot)


async def test_errors_quote_the_input_escaped_once(bot: Bot, team: str) -> None:
    bot.fake.add_user(OWNER)
    cases = {
        'status "&lt;nope&gt; &amp; co"': "There is no launch named `&lt;nope&gt; &amp; co`.",
        'new "X" 2027-&lt;01': "`2027-&lt;01` is not a date",
        f'new "X" {days(5)} "R&amp;D"': "There is no template `R&amp;D`.",
    }
    for text, expected in cases.items():
        body = await command(bot, team, text)
        assert expected in body["text"], (text, body)
    await command(bot, team, f'new "Mobile" {days(30)}')
    body = await command(bot, team, 'add "Mobile" fin&amp;ance | Budget | -4')
    assert "`fin&amp;ance` is not a function" in body["text"]
    body = await command(bot, team, 'add "Mobile" sales | Budget | &lt;3')
    assert "`&lt;3` is not a number of days" in body["text"]


async def test_lengths_count_the_characters_typed(bot: Bot, team: str) -> None:
    bot.fake.add_user(OWNER)
    body = await command(bot, team, f'new "{"&amp;" * NAME_MAX}" {days(30)}')
    assert body["text"].startswith("Created *" + "&amp;" * NAME_MAX + "*"), body
    body = await command(bot, team, f'new "{"&lt;" * (NAME_MAX + 1)}" {days(30)}')
    assert f"under {NAME_MAX} characters" in body["text"]
    body = await command(bot, team, f'add "{"&amp;" * NAME_MAX}" sales | {"&gt;" * TITLE_MAX} | -4')
    assert body["text"].startswith("Added *"), body
    body = await command(bot, team, f'add "{"&amp;" * NAME_MAX}" sales | {"&gt;" * (TITLE_MAX + 1)} | -4')
    assert f"under {TITLE_MAX} characters" in body["text"]
    await bot.settle()
    message = checklists(bot)[-1]
    assert header(message["blocks"]) == "🚀 " + "&" * NAME_MAX
    assert plain_cut("⬜ " + ">" * TITLE_MAX, 75) in button_labels(message["blocks"])
    assert thread(bot) == [f"<@{OWNER}> added sales: " + "&gt;" * TITLE_MAX]  # whole, escaped once
    check_everything_sent(bot)


async def test_a_template_name_at_the_limit_in_ampersands(bot: Bot, team: str) -> None:
    """80 typed `&` are 400 characters stored: the template, and a launch made from it, keep
    them (the launch records the template's name)."""
    bot.fake.add_user(ADMIN, is_admin=True)
    name = "&" * NAME_MAX
    view = await open_form(bot, team, "template new", ADMIN)
    values = {"name": {"name": {"type": "plain_text_input", "value": name}},
              "items": {"items": {"type": "plain_text_input", "value": "sales | R&D <deck> | -4"}}}
    _, body = await bot.slack.interaction(view_submission(team, ADMIN, view["callback_id"], values,
                                                          private_metadata=view["private_metadata"]))
    assert not body, body
    body = await command(bot, team, f'new "Big" {days(30)} "{as_slack_sends(name)}"', ADMIN)
    assert body["text"].startswith("Created *Big*"), body
    await bot.settle()
    assert button_labels(checklists(bot)[-1]["blocks"]) == ["⬜ R&D <deck>"]
    assert (await launch_row(bot, team)).template_name == from_typed(name)


async def test_nudge_dms_show_names_and_titles_as_written(bot: Bot, team: str, clock: Clock) -> None:
    owner = "UO" + team[-7:]  # the tick covers every workspace: keep this owner unique
    clock.set(datetime(2026, 12, 1, 7, 0, tzinfo=UTC))  # a Tuesday: a working day
    bot.fake.add_user(owner, tz="UTC")
    wire = "R&amp;D &lt;export&gt;"
    await command(bot, team, f'new "{wire}" {days(3)}', owner)
    await command(bot, team, f'add "{wire}" sales | Ping <@U0BOB|bob> <!here> &amp; co | -4', owner)
    await bot.settle()
    await tick(bot.rt, datetime(2026, 12, 1, 7, 1, tzinfo=UTC))  # the next minute: their first start is computed
    await tick(bot.rt, datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    (dm,) = bot.fake.posted(owner)
    check_payload(dm.args["text"], dm.args["blocks"], public=False)
    lines = [t for kind, t in text_objects(dm.args["blocks"]) if kind == "mrkdwn"]
    assert any(line.startswith("*R&amp;D &lt;export&gt;*: Ping <@U0BOB> @here &amp; co · *overdue*") for line in lines)
