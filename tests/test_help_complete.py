"""Every command's help lists every subcommand with an example, and an unknown subcommand gets
that help with a "did you mean" (issue 15's help bullet, and the probe that found gaps).

The subcommands are the parsers' own constants (SUBCOMMANDS, the request kinds a parser can
return), so a subcommand added without an example line fails here. The help is read as Slack
shows it (`/<command> help` through the signed endpoint), and every example in it must be a
command its parser accepts. Also the App Home's standups card in natural name order and the
digests card's zone label."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, get_args, get_type_hints

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from bot.calendar import parsing as calendar_parsing
from bot.digests import parsing as digests
from bot.feedback import parsing as feedback
from bot.kpis import parsing as kpis
from bot.launches import parsing as launches
from bot.prodops import parsing as prodops
from bot.standups import parsing as standups
from bot.typos import did_you_mean
from bot.usertext import from_slack
from tests.blockkit import assert_valid_blocks, block_text
from tests.conftest import Bot
from tests.digest_helpers import set_up as digest_set_up
from tests.standup_helpers import BERLIN, NEW_YORK, channel_of, meet, set_up, uid
from tests.test_home_standups_kpis_time import card, home

ALIASES = {"/prodops": {"holiday": "holidays"}}  # accepted spellings of a subcommand with its own line
SUBCOMMANDS: dict[str, tuple[str, ...]] = {
    "/feedback": tuple(sorted(feedback.SUBCOMMANDS)),
    "/launch": launches.SUBCOMMANDS,
    "/standup": standups.SUBCOMMANDS,
    "/kpi": kpis.SUBCOMMANDS,
    "/digest": digests.SUBCOMMANDS,
    "/prodops": (*prodops.SUBCOMMANDS, *sorted(calendar_parsing.HEADS - set(ALIASES["/prodops"]))),
}
# Examples are written as people read them; Slack sends a mention or a channel like this.
SENT_AS = {"@maria": "<@U0MARIA01|maria>", "#product": "<#C0PRODUCT1|product>"}


def _literal(cls: type, field: str = "action") -> set[str]:
    return set(get_args(get_type_hints(cls)[field]))


def kind_of(command: str, text: str) -> str:
    """What the command's own parser makes of `text` (as the handler hands it over): a request
    kind, or `unknown` for a word it answers with the help."""
    if command == "/prodops":
        req = prodops.parse(text)
        if req.unknown is not None:
            return "unknown"
        return type(req.calendar).__name__ if req.calendar is not None else req.action
    parse = {"/feedback": feedback.parse_command, "/launch": launches.parse_command,
             "/standup": standups.parse_command, "/kpi": kpis.parse_command,
             "/digest": digests.parse_command}[command]
    req = parse(from_slack(text))
    if command != "/standup" and getattr(req, "unknown", None) is not None:
        return "unknown"
    return req.action


# Every request each parser can return; those no typed example can reach are left out, said why.
KINDS: dict[str, set[str]] = {
    "/feedback": _literal(feedback.FeedbackCommand) - {"typo"},  # typo: a question about a mistyped word
    "/launch": _literal(launches.LaunchCommand),
    "/standup": set(get_args(standups.Action)),
    "/kpi": set(get_args(kpis.Action)),
    "/digest": set(get_args(digests.Action)),
    "/prodops": (set(get_args(prodops.Action)) - {"calendar"})
    | {cls.__name__ for cls in get_args(calendar_parsing.CalendarRequest)},
}


async def examples_shown(bot: Bot, team: str, command: str) -> list[str]:
    """The example lines of `command`'s own help, as `/<command> help` shows them."""
    status, body = await bot.slack.command(team, uid(team, "HLP"), command, "help")
    assert status == 200 and body.get("response_type", "ephemeral") == "ephemeral", body
    assert_valid_blocks(body["blocks"])
    shown = re.findall(r"^• `([^`]+)`: ", block_text(body["blocks"]), re.M)
    mine = [e for e in shown if e == command or e.startswith(command + " ")]
    assert mine, (command, shown)
    return mine


def sent(example_line: str, command: str) -> str:
    text = example_line[len(command):].strip()
    for shown, as_sent in SENT_AS.items():
        text = text.replace(shown, as_sent)
    return text


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
async def test_every_subcommand_has_an_example_line_of_its_own(bot: Bot, team: str, command: str) -> None:
    lines = await examples_shown(bot, team, command)
    firsts = {line.split()[1].lower() for line in lines if len(line.split()) > 1}
    missing = [sub for sub in SUBCOMMANDS[command] if sub not in firsts]
    assert not missing, f"{command} help has no example line for {missing}"
    for alias, meant in ALIASES.get(command, {}).items():
        assert meant in firsts and kind_of(command, f"{alias}") == kind_of(command, meant), alias


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
async def test_every_example_is_a_command_and_every_request_kind_has_one(bot: Bot, team: str, command: str) -> None:
    lines = await examples_shown(bot, team, command)
    reached = {}
    for line in lines:
        kind = kind_of(command, sent(line, command))  # raises (UserError) on an example its parser refuses
        assert kind != "unknown", line
        reached.setdefault(kind, line)
    assert not KINDS[command] - set(reached), f"{command} help has no example for {KINDS[command] - set(reached)}"


async def test_the_probes_missing_lines_are_there(bot: Bot, team: str) -> None:
    """Named by the probe: each its own line (not a mention inside another one's description)."""
    shown = {c: await examples_shown(bot, team, c) for c in ("/launch", "/standup", "/digest", "/kpi", "/prodops")}
    for command, start in (("/launch", "reopen"), ("/launch", "template new"), ("/launch", "template edit"),
                           ("/standup", "resume"), ("/digest", "resume"), ("/kpi", "remove"),
                           ("/prodops", "holidays remove"), ("/prodops", "holidays country off")):
        assert any(line.startswith(f"{command} {start}") for line in shown[command]), (command, start)
    requests = [prodops.parse(sent(line, "/prodops")).calendar for line in shown["/prodops"]]
    user = "U0MARIA01"
    assert calendar_parsing.HoursShow(user) in requests  # someone's hours
    assert any(isinstance(r, calendar_parsing.AwayAdd) and r.user_id == user for r in requests)  # someone away
    assert calendar_parsing.AwayOff(user) in requests


# -- unknown subcommands: the help and a did-you-mean ------------------------------------------------

def unknown_answered(body: dict[str, Any], command: str, said: str) -> None:
    assert body.get("response_type", "ephemeral") == "ephemeral", body
    assert body["text"] == said, body
    assert_valid_blocks(body["blocks"])
    text = block_text(body["blocks"])
    assert text.startswith(said) and f"*{command}*" in text, text  # the line, then the command's help


@pytest.mark.parametrize(("command", "typed", "said"), [
    ("/kpi", "frob", "`frob` is not a /kpi command."),
    ("/kpi", "shwo activation", "`shwo` is not a /kpi command. Did you mean `/kpi show`?"),
    ("/kpi", "<!here>", "`@here` is not a /kpi command."),  # shown as text, never a broadcast
    ("/standup", "frob", "There is no standup named `frob`. `frob` is not a /standup command."),
    ("/standup", "resme Core", "There is no standup named `resme Core`. `resme` is not a /standup command. "
                               "Did you mean `/standup resume`?"),
    ("/standup", "<!channel>", "There is no standup named `@channel`. `@channel` is not a /standup command."),
    ("/standup", "x" * 90, f"`{'x' * 79}…` is not a /standup command."),  # too long to be a name
])
async def test_kpi_and_standup_answer_an_unknown_subcommand_with_the_help(bot: Bot, team: str, command: str,
                                                                         typed: str, said: str) -> None:
    user = uid(team, "UNK")
    await meet(bot, team, user, BERLIN, "Una")
    bot.fake.reset()
    status, body = await bot.slack.command(team, user, command, typed, channel_id=channel_of(team))
    await bot.settle()
    assert status == 200
    unknown_answered(body, command, said)
    assert bot.fake.calls_to("views.open") == [] and bot.fake.posted() == []


async def test_a_standups_own_name_still_opens_it(bot: Bot, team: str, clock: Any) -> None:
    """A bare word can be a standup's name: that one opens, the help is only for names nobody has."""
    clock.set(datetime(2027, 1, 11, 8, 0, tzinfo=UTC))
    admin = uid(team, "ADM")
    await meet(bot, team, admin, BERLIN, "Ada", is_admin=True)
    await set_up(bot, team, admin, "Frob", [admin])
    before = len(bot.fake.calls_to("views.open"))
    status, body = await bot.slack.command(team, admin, "/standup", "frob", channel_id=channel_of(team))
    await bot.settle()
    assert status == 200 and not body, body
    assert len(bot.fake.calls_to("views.open")) == before + 1


WORD = st.text(st.characters(whitelist_categories=("Ll", "Lu", "Nd")), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(word=WORD)
@example(word="lnik")
@example(word="REMOVE")
async def test_any_first_word_is_a_subcommand_or_gets_the_help(bot: Bot, team: str, word: str) -> None:
    """Through the endpoint, for /kpi: a subcommand word never gets the unknown line; any other
    word gets it, with a did-you-mean exactly when bot/typos.py finds one a single edit away."""
    status, body = await bot.slack.command(team, uid(team, "ANY"), "/kpi", word, channel_id=channel_of(team))
    await bot.settle()
    assert status == 200
    text = (body or {}).get("text", "")
    if word.lower() in kpis.SUBCOMMANDS:
        assert "is not a /kpi command" not in text, text
        return
    typo = did_you_mean(word, kpis.SUBCOMMANDS)
    said = f"`{word}` is not a /kpi command." + (f" Did you mean `/kpi {typo}`?" if typo else "")
    unknown_answered(body, "/kpi", said)


# -- App Home ----------------------------------------------------------------------------------------

async def test_the_standups_card_sorts_names_as_people_read_them(bot: Bot, team: str, clock: Any) -> None:
    clock.set(datetime(2027, 1, 11, 7, 0, tzinfo=UTC))
    admin = uid(team, "ADM")
    await meet(bot, team, admin, BERLIN, "Ada", is_admin=True)
    for name in ("S10", "S2", "s11", "S1", "Alpha", "S0"):
        await set_up(bot, team, admin, name, [admin])
    text = block_text(card(await home(bot, team, admin), "*Your standups today*"))
    order = [m for m in re.findall(r"\*([^*]+)\* ·", text)]
    # As text the first five would be Alpha, S0, S1, S10, s11 (and S2 left out).
    assert order == ["Alpha", "S0", "S1", "S2", "S10"] and "…and 1 more standup" in text, text


async def test_the_digests_card_says_whose_clock_its_times_are_on(bot: Bot, team: str, clock: Any) -> None:
    clock.set(datetime(2026, 11, 30, 7, 0, tzinfo=UTC))
    admin = uid(team, "ADM")
    await meet(bot, team, admin, NEW_YORK, "Ada", is_admin=True)
    await digest_set_up(bot, team, admin, "Weekly", time="09:00", timezone="UTC")
    shown = card(await home(bot, team, admin), "*Digests*")
    text = block_text(shown)
    assert "times in your zone, America/New_York" in text and "• *Weekly*" in text, text
    assert "04:00" in text, text  # 09:00 UTC on a New York clock, as labelled


async def test_prodops_help_shows_every_command_s_every_line_in_full(bot: Bot, team: str) -> None:
    """A command with many lines takes two sections rather than being cut at a section's 3,000
    characters (the probe found `/prodops`'s cut after `report`)."""
    status, body = await bot.slack.command(team, uid(team, "HLP"), "/prodops", "help")
    assert status == 200
    assert_valid_blocks(body["blocks"])
    shown = block_text(body["blocks"])
    for cmd in bot.rt.commands:
        for shown_as, what in cmd.usage:
            line = next((x for x in shown.splitlines() if x.startswith(f"• `{shown_as}`: ")), None)
            assert line is not None, shown_as
            assert line.endswith(what.split()[-1].replace("<", "&lt;").replace(">", "&gt;")), (line, what)
