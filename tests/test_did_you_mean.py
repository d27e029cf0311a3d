"""Every command answers an unknown subcommand with its help and, when the word is one edit from
a subcommand, a "did you mean" (issue 15's help bullet), through the signed endpoint; what was
typed is shown back escaped, never pinging."""
from __future__ import annotations

import pytest

from bot.typos import did_you_mean
from tests.blockkit import assert_valid_blocks, block_text
from tests.conftest import Bot


@pytest.mark.parametrize(("command", "typed", "said"), [
    ("/launch", "lsit", "`lsit` is not a /launch command. Did you mean `/launch list`?"),
    ("/launch", "stauts", "`stauts` is not a /launch command. Did you mean `/launch status`?"),
    ("/launch", "frobnicate", "`frobnicate` is not a /launch command."),
    ("/prodops", "stauts", "`stauts` is not a /prodops command. Did you mean `/prodops status`?"),
    ("/prodops", "admns", "`admns` is not a /prodops command. Did you mean `/prodops admins`?"),
    ("/prodops", "<!here>", "`@here` is not a /prodops command."),  # a real broadcast token, shown as text
    ("/digest", "prevew", "`prevew` is not a /digest command. Did you mean `/digest preview`?"),
])
async def test_an_unknown_subcommand_gets_the_help_and_a_did_you_mean(bot: Bot, team: str, command: str, typed: str,
                                                                      said: str) -> None:
    status, body = await bot.slack.command(team, "UASK1", command, typed)
    assert status == 200
    assert body["text"] == said
    assert_valid_blocks(body["blocks"])
    assert block_text(body["blocks"]).startswith(said) and f"*{command}*" in block_text(body["blocks"])


async def test_help_itself_has_no_unknown_line(bot: Bot, team: str) -> None:
    for command in ("/launch", "/prodops"):
        status, body = await bot.slack.command(team, "UASK1", command, "help")
        assert status == 200 and "is not a" not in body["text"], body


def test_did_you_mean_is_one_edit_of_a_word() -> None:
    words = ("list", "status", "go")
    assert did_you_mean("LSIT", words) == "list"
    assert did_you_mean("og", words) == "go"
    assert did_you_mean("lists", words) == "list"
    assert did_you_mean("lst", words) == "list"
    assert did_you_mean("xyz", words) is None and did_you_mean("l1st", words) is None and did_you_mean("", words) is None
