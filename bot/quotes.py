"""Quoted values as people type them: phones and Macs turn `"` into `“ ”` and `'` into `‘ ’`,
German keyboards write `„ “`. Every parser that reads a quoted name uses these rules, so a
quote means the same in every command.

Two families: double quotes (" “ ” „ ‟), any of which opens and any of which closes, and
single quotes (' ‘ ’ ‚ ‛). A single quote is also the apostrophe, so it opens only at the
start of a word and closes only where no letter or digit follows: `‘Bob’s launch’` and
`“Bob’s launch”` are both `Bob’s launch`, and `Bob's` alone is just a word.
"""
from __future__ import annotations

import re

DOUBLE = '"\u201c\u201d\u201e\u201f'  # " “ ” „ ‟
SINGLE = "'\u2018\u2019\u201a\u201b"  # ' ‘ ’ ‚ ‛
QUOTES = DOUBLE + SINGLE
_D, _S = re.escape(DOUBLE), re.escape(SINGLE)


class UnclosedQuote(ValueError):
    """A quote was opened and never closed."""


def _closes_single(text: str, at: int) -> bool:
    """A single quote closes where no word character follows it (else it is an apostrophe)."""
    return at + 1 == len(text) or not (text[at + 1].isalnum() or text[at + 1] == "_")


def split_words(text: str) -> list[str]:
    """Whitespace-separated words, a quoted span keeping its spaces (as `shlex.split` does for
    straight quotes), with the quotes removed. Backslashes are kept as typed: Slack users do
    not escape. Raises UnclosedQuote."""
    words: list[str] = []
    word: list[str] = []
    in_word = False
    family = ""  # the open span's quote family, "" outside a span
    for at, char in enumerate(text):
        if family:
            if char in family and (family == DOUBLE or _closes_single(text, at)):
                family = ""
            else:
                word.append(char)
        elif char.isspace():
            if in_word:
                words.append("".join(word))
            word, in_word = [], False
        elif char in DOUBLE or (char in SINGLE and not in_word):
            family, in_word = (DOUBLE if char in DOUBLE else SINGLE), True
        else:
            word.append(char)
            in_word = True
    if family:
        raise UnclosedQuote(text)
    if in_word:
        words.append("".join(word))
    return words


def quoted(group: str, max_chars: int) -> str:
    """A regex for one quoted value, its text (1 to `max_chars` characters on one line) in the
    named `group`, by the same rules as `split_words`: inside double quotes anything but a
    double quote, inside single quotes anything up to a single quote no word character follows."""
    return (rf"[{_D}{_S}](?P<{group}>(?<=[{_D}])[^{_D}\n]{{1,{max_chars}}}(?=[{_D}])"
            rf"|(?<=[{_S}])[^\n]{{1,{max_chars}}}?(?=[{_S}](?!\w)))[{_D}{_S}]")
