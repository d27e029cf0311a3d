"""Parsing what people type for KPIs: /kpi subcommands, keys, values as typed (`42%`, `1,200`,
`3.5k`, `$1.2m`), dates, and the definition form's numbers and header.

Text arrives in bot/usertext.py's representation; errors quote it with `usertext.mrkdwn`."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from bot.errors import UserError
from bot.launches.parsing import parse_name
from bot.quotes import QUOTES, UnclosedQuote, split_words
from bot.typos import did_you_mean
from bot.usertext import mrkdwn, plain

KEY_MAX = 40
NAME_MAX = 80
Action = Literal["list", "help", "add", "edit", "remove", "log", "show", "token", "link", "unlink"]
SUBCOMMANDS = ("help", "add", "edit", "remove", "log", "show", "token", "list", "link", "unlink")
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_SUFFIX = {"k": 10**3, "m": 10**6, "b": 10**9, "bn": 10**9}
_VALUE = re.compile(r"^(?P<sign>[+-]?)\s*(?P<cur>[$€£¥])?\s*(?P<num>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)"
                    r"\s*(?P<suffix>k|m|bn|b)?\s*(?P<pct>%)?$", re.I)


@dataclass(frozen=True)
class KpiCommand:
    action: Action
    key: str | None = None
    value: float | None = None
    day: date | None = None
    launch: str | None = None  # link/unlink: the launch's name (the representation, as typed)
    unknown: str | None = None  # an unknown first word: answered with the help
    typo: str | None = None  # …and the subcommand it is one edit from


def parse_key(text: str, field: str | None = None) -> str:
    key = plain(text).strip().lower()
    if not _KEY.match(key):
        raise UserError(f"`{mrkdwn(text)}` is not a KPI key: use lower-case letters, digits, `-` and `_`, "
                        f"up to {KEY_MAX} characters, e.g. `activation` or `tickets-per-week`.", field=field)
    return key


def parse_value(text: str, field: str | None = None) -> float:
    """A number as people type it: `42`, `42%`, `-3.5`, `1,200`, `3.5k`, `$1.2m`, `.5`."""
    match = _VALUE.match(plain(text).strip().replace("\u2212", "-"))
    if not match:
        raise UserError(f"`{mrkdwn(text)}` is not a number (like `42`, `42%`, `1,200` or `3.5k`).", field=field)
    # In decimal, then rounded once: `1.001k` is 1001 (float arithmetic gives 1000.9999999999999,
    # off a target of 1,001).
    exact = Decimal(match.group("num").replace(",", "")) * _SUFFIX.get((match.group("suffix") or "").lower(), 1)
    number = float(-exact if match.group("sign") == "-" else exact)
    if not math.isfinite(number) or abs(number) > 1e15:
        raise UserError(f"`{mrkdwn(text)}` is too large.", field=field)
    return number


def parse_optional(text: str | None, field: str) -> float | None:
    return parse_value(text, field) if text and text.strip() else None


def parse_date(text: str) -> date:
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text.strip())
    if not match:
        raise UserError(f"`{mrkdwn(text)}` is not a date; write it as YYYY-MM-DD, e.g. `2026-11-23`.")
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        raise UserError(f"`{mrkdwn(text)}` is not a real date (check the month and day).") from None


USAGE_LOG = "Usage: `/kpi log <key> <value> [YYYY-MM-DD]`, e.g. `/kpi log activation 42%`."


def parse_command(text: str) -> KpiCommand:
    words = " ".join(text.split()).split(" ") if text.strip() else []
    if not words:
        return KpiCommand("list")
    head, rest = words[0].lower(), words[1:]
    if head in ("help", "add", "list") and not rest:
        return KpiCommand(head)  # type: ignore[arg-type]
    if head in ("edit", "remove", "show", "token"):
        if len(rest) != 1:
            raise UserError(f"Usage: `/kpi {head} <key>`; `/kpi` lists the keys.")
        return KpiCommand(head, parse_key(rest[0]))  # type: ignore[arg-type]
    if head == "log":
        if len(rest) < 2:
            raise UserError(USAGE_LOG)
        return _log(parse_key(rest[0]), rest[1:])
    if head in ("link", "unlink"):
        return _link(head, text.strip()[len(words[0]):])  # type: ignore[arg-type]
    if head in ("help", "add", "list"):
        raise UserError(f"`/kpi {head}` takes nothing after it.")
    return KpiCommand("help", unknown=words[0], typo=did_you_mean(head, SUBCOMMANDS))


def usage_link(action: str) -> str:
    return (f'Usage: `/kpi {action} <key> "Launch name"`, e.g. `/kpi {action} activation "Mobile v2"`; '
            "`/kpi` lists the keys, `/launch list` the launches.")


def _link(action: Literal["link", "unlink"], rest: str) -> KpiCommand:
    """`<key> "Launch name"`: the name quoted as `/launch` takes it (straight or curly quotes,
    bot/quotes.py), or every word after the key unquoted (`/kpi link activation Mobile v2`)."""
    parts = rest.split(maxsplit=1)
    if len(parts) < 2:
        raise UserError(usage_link(action))
    key, tail = parse_key(parts[0]), parts[1].strip()
    if tail[0] in QUOTES:
        try:
            names = split_words(tail)
        except UnclosedQuote:
            raise UserError('A quote is not closed; put the launch name in quotes, e.g. `"Mobile v2"`.') from None
        if len(names) != 1:
            raise UserError(usage_link(action))  # a quoted name and more after it: which is the launch?
        tail = names[0]
    return KpiCommand(action, key, launch=parse_name(tail))


_DATE_SHAPED = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")


def _log(key: str, words: list[str]) -> KpiCommand:
    """The value is every word after the key (`42 %` and `$ 1.2m` are typed with spaces), but a
    last word shaped like a date; a number followed by something else is a bad date."""
    if len(words) > 1 and _DATE_SHAPED.fullmatch(words[-1]):
        return KpiCommand("log", key, parse_value(" ".join(words[:-1])), parse_date(words[-1]))
    try:
        return KpiCommand("log", key, parse_value(" ".join(words)))
    except UserError:
        if len(words) > 1 and _VALUE.match(plain(" ".join(words[:-1])).strip().replace("\u2212", "-")):
            parse_date(words[-1])  # raises: says how to write the date
        raise


def parse_header(text: str | None) -> tuple[str, str] | None:
    """`Name: value` (an API token header), or nothing."""
    if not text or not text.strip():
        return None
    name, sep, value = plain(text).partition(":")
    name, value = name.strip(), value.strip()
    if not sep or not re.fullmatch(r"[A-Za-z0-9-]{1,100}", name) or not value or "\n" in value or "\r" in value:
        raise UserError("Write the header as `Name: value`, e.g. `Authorization: Bearer abc123`.", field="header")
    if name.lower() in SET_BY_THE_BOT:
        raise UserError(f"The header `{name}` is set by the bot; give an API key or token header instead.",
                        field="header")
    if not value.isascii():
        raise UserError("The header value must be plain ASCII text.", field="header")
    return name, value


SET_BY_THE_BOT = frozenset({"host", "content-length", "transfer-encoding", "connection", "user-agent",
                            "accept-encoding", "te", "upgrade", "keep-alive", "proxy-authorization"})


def parse_path(text: str | None) -> str:
    path = plain(text or "").strip()
    if not path or not re.fullmatch(r"[A-Za-z0-9_$@-]+(?:\.[A-Za-z0-9_$@-]+)*", path) or len(path) > 200:
        raise UserError("Give the dotted path to the number in the JSON answer, e.g. `data.0.value`.", field="path")
    return path


def parse_days(text: str | None, field: str = "stale") -> int:
    value = plain(text or "").strip() or "7"
    if not value.isdigit() or not 1 <= int(value) <= 366:
        raise UserError("The staleness limit is a number of days from 1 to 366.", field=field)
    return int(value)
