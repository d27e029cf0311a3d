"""Parsing what people type for digests: the /digest subcommands and names, and the setup
form's cadence, days, time and timezone.

Text arrives in bot/usertext.py's representation; the time and weekday rules are the standup
form's (bot/standups/parsing.py), so "09:30" and a day mask mean the same in both forms."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from zoneinfo import available_timezones

from bot import names
from bot.errors import UserError
from bot.typos import one_edit
from bot.standups.parsing import days_text, parse_days, parse_time, time_text
from bot.usertext import mrkdwn, plain
from models.digest import Cadence

__all__ = ["DigestCommand", "days_text", "parse_cadence", "parse_command", "parse_days_for",
           "parse_name", "parse_setup_name", "parse_time", "parse_timezone", "time_text"]

NAME_MAX = 80
Action = Literal["help", "setup", "list", "edit", "pause", "resume", "delete", "preview", "now"]
NAMED = ("edit", "pause", "resume", "delete")  # need a name
OPTIONAL_NAME = ("preview", "now")  # the channel's only digest when no name is given
SUBCOMMANDS: tuple[str, ...] = ("help", "setup", "list", *NAMED, *OPTIONAL_NAME)
_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]{2,})(?:\|[^>]*)?>$")


@dataclass(frozen=True)
class DigestCommand:
    action: Action
    name: str | None = None
    channel_id: str | None = None  # `/digest setup #channel`
    unknown: str | None = None  # an unknown first word: answered with the help
    typo: str | None = None  # …and the subcommand it is one edit from


def parse_name(text: str, field: str | None = None) -> str:
    return names.parse_name(text, "digest", "Product weekly", NAME_MAX, field)


def parse_setup_name(text: str, field: str | None = None) -> str:
    """A new or renamed digest's name, not starting with a subcommand word."""
    return names.refuse_command_word(parse_name(text, field), "digest", "/digest", SUBCOMMANDS, field)


def parse_command(text: str) -> DigestCommand:
    stripped = " ".join(text.split())
    if not stripped:
        return DigestCommand("help")
    head, _, rest = stripped.partition(" ")
    verb = head.lower()
    if verb in ("help", "list"):
        if rest:
            raise UserError(f"`/digest {verb}` takes nothing after it.")
        return DigestCommand(verb)  # type: ignore[arg-type]
    if verb == "setup":
        if not rest:
            return DigestCommand("setup")
        match = _CHANNEL.match(rest)
        if match is None:
            raise UserError("Usage: `/digest setup` (for this channel) or `/digest setup #channel`.")
        return DigestCommand("setup", channel_id=match.group(1))
    if verb in NAMED:
        if not rest:
            raise UserError(f"Usage: `/digest {verb} <name>`; `/digest list` shows the names.")
        return DigestCommand(verb, parse_name(rest))  # type: ignore[arg-type]
    if verb in OPTIONAL_NAME:
        return DigestCommand(verb, parse_name(rest) if rest else None)  # type: ignore[arg-type]
    typo = next((s for s in SUBCOMMANDS if head.isalpha() and one_edit(verb, s) is not None), None)
    return DigestCommand("help", unknown=head, typo=typo)


def parse_cadence(value: str | None, field: str) -> Cadence:
    try:
        return Cadence(value or Cadence.DAILY.value)
    except ValueError:
        raise UserError("That form is out of date; run the command again.", field=field) from None


def parse_days_for(cadence: Cadence, values: list[str], field: str) -> int:
    """Daily: the chosen weekdays; weekly: exactly one."""
    try:
        mask = parse_days(values)
    except UserError as exc:
        raise UserError(exc.message, field=field) from None
    if cadence is Cadence.WEEKLY and bin(mask).count("1") != 1:
        raise UserError(f"A weekly digest posts on one day; {days_text(mask)} are {bin(mask).count('1')}. "
                        "Pick one, or choose daily.", field=field)
    return mask


_ZONES: frozenset[str] | None = None


def parse_timezone(text: str | None, field: str) -> str:
    """An IANA zone name as this server knows it (`Europe/Berlin`, `UTC`), in its own spelling."""
    global _ZONES
    typed = plain(text or "").strip()
    if not typed:
        raise UserError("Give a time zone, e.g. `Europe/Berlin` or `UTC`.", field=field)
    if _ZONES is None:
        _ZONES = frozenset(available_timezones() | {"UTC"})
    found = next((z for z in _ZONES if z.lower() == typed.lower()), None)
    if found is None:
        raise UserError(f"`{mrkdwn(text or '', limit=80)}` is not a time zone I know; use a name like `Europe/Berlin`, "
                        "`America/New_York` or `UTC`.", field=field)
    return found
