"""/prodops: the command line, parsed into a typed request."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.calendar.parsing import HEADS as CALENDAR_HEADS, CalendarRequest, parse_calendar
from bot.errors import UserError
from bot.typos import did_you_mean
from bot.usertext import mrkdwn

USER_REF = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$|^([UW][A-Z0-9]{2,})$")

Action = Literal["help", "admins_list", "admins_add", "admins_remove", "timezone", "status", "calendar"]


@dataclass(frozen=True)
class ProdopsRequest:
    action: Action
    user_id: str | None = None
    timezone: str | None = None
    calendar: CalendarRequest | None = None  # hours, away, holidays, budget (bot/calendar/parsing.py)
    unknown: str | None = None  # an unknown first word: answered with the help
    typo: str | None = None  # …and the subcommand it is one edit from


def parse_user(token: str) -> str:
    match = USER_REF.match(token.strip())
    if not match:
        raise UserError(
            f"`{mrkdwn(token)}` is not a Slack user. Mention them with @, like `/prodops admins add @maria`."
        )
    return match.group(1) or match.group(2)


SUBCOMMANDS = ("help", "admins", "timezone", "status")


def parse(text: str) -> ProdopsRequest:
    """Unknown or empty input means help: a user who mistypes sees what is possible."""
    words = text.split()
    if not words:
        return ProdopsRequest("help")
    head, rest = words[0].lower(), words[1:]
    if head in CALENDAR_HEADS:
        return ProdopsRequest("calendar", calendar=parse_calendar(head, text.strip()[len(words[0]):]))
    if head == "admins":
        sub = rest[0].lower() if rest else "list"
        if sub == "list" and len(rest) <= 1:
            return ProdopsRequest("admins_list")
        if sub in {"add", "remove"}:
            if len(rest) != 2:
                raise UserError(f"Usage: `/prodops admins {sub} @user` (one user at a time).")
            return ProdopsRequest("admins_add" if sub == "add" else "admins_remove", user_id=parse_user(rest[1]))
        return ProdopsRequest("help")
    if head in {"timezone", "tz"}:
        if len(rest) != 1:
            raise UserError("Usage: `/prodops timezone <IANA name>`, for example `/prodops timezone Europe/Berlin`.")
        return ProdopsRequest("timezone", timezone=rest[0])
    if head == "status" and not rest:
        return ProdopsRequest("status")
    if head in ("help", "status"):
        return ProdopsRequest("help")
    return ProdopsRequest("help", unknown=words[0], typo=did_you_mean(head, (*SUBCOMMANDS, *CALENDAR_HEADS)))
