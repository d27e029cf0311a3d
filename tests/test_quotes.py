"""Quoted values typed on phones and Macs (“ ” ‘ ’) or German keyboards („ “) mean what straight
quotes mean, in every command (bot/quotes.py). Launch names: tests/test_launches.py."""
from __future__ import annotations

import shlex

import pytest
from hypothesis import given, settings, strategies as st

from bot.quotes import UnclosedQuote, split_words
from tests.conftest import Bot
from tests.feedback_helpers import file_by_command, items


async def test_feedback_customer_in_any_quotes(bot: Bot, team: str) -> None:
    typed = {'customer:"Acme Corp"': "Acme Corp", "customer:“Two Words”": "Two Words",
             "customer:„Zwei Wörter“": "Zwei Wörter", "customer:‘Macy’s Inc’": "Macy’s Inc",
             "customer:'Initech Ltd'": "Initech Ltd", "customer:“O’Brien Brothers”": "O’Brien Brothers"}
    for label in typed:
        await file_by_command(bot, team, "UQ00001", f"Exports time out {label}")
    filed = await items(bot, team)
    assert [(i.text, i.customer) for i in filed] == [("Exports time out", name) for name in typed.values()]


@settings(derandomize=True)
@given(st.lists(st.one_of(st.text(st.characters(categories=("L", "N", "P", "S"), exclude_characters="\"'\\"),
                                  min_size=1, max_size=6),
                          st.sampled_from(['"', " ", '" "', "  "])), max_size=12).map("".join))
def test_straight_double_quotes_split_as_shlex_splits_them(text: str) -> None:
    try:
        expected = shlex.split(text)
    except ValueError:  # an unclosed quote
        with pytest.raises(UnclosedQuote):
            split_words(text)
        return
    assert split_words(text) == expected
