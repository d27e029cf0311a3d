"""Names people give things (a standup, a digest): typed after a command or in a form, unique
per workspace by their key, never starting with a word of their command (`/digest now list`
must stay the list's digest, so a digest called "List" could never be named)."""
from __future__ import annotations

from collections.abc import Iterable

from bot.errors import UserError
from bot.quotes import QUOTES
from bot.usertext import mrkdwn, plain


def name_key(name: str) -> str:
    """The plain name, whitespace collapsed, lower-cased: unique per workspace."""
    return " ".join(plain(name).split()).lower()


def unquoted(text: str) -> str:
    text = " ".join(text.split())
    if len(text) >= 2 and text[0] in QUOTES and text[-1] in QUOTES:
        text = text[1:-1].strip()
    return text


def parse_name(text: str, noun: str, example: str, limit: int, field: str | None = None) -> str:
    """A name as typed (quotes optional), not empty, at most `limit` characters as shown."""
    name = unquoted(text)
    if not name:
        raise UserError(f"Give the {noun} a name, e.g. `{example}`.", field=field)
    if len(plain(name)) > limit:
        raise UserError(f"Keep {noun} names under {limit} characters.", field=field)
    return name


def refuse_command_word(name: str, noun: str, command: str, words: Iterable[str], field: str | None = None) -> str:
    """`name`, unless its first word is one of the command's subcommands."""
    first = plain(name).split()[0].lower()
    if first in set(words):
        raise UserError(f"A {noun} name can't start with `{mrkdwn(first)}` (a {command} command word); "
                        f"try e.g. `Team {mrkdwn(name)}`.", field=field)
    return name
