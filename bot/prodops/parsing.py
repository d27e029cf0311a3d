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

Action = Literal["help", "admins_list", "admins_add", "admins_remove", "timezone", "status", "calendar", "agree",
                 "agreements_list", "agreements_edit", "agreements_remove", "report"]


@dataclass(frozen=True)
class ProdopsRequest:
    action: Action
    user_id: str | None = None
    timezone: str | None = None
    calendar: CalendarRequest | None = None  # hours, away, holidays, budget (bot/calendar/parsing.py)
    unknown: str | None = None  # an unknown first word: answered with the help
    typo: str | None = None  # …and the subcommand it is one edit from
    key: str | None = None  # a working agreement's KPI key (`agreements edit|remove <key>`)
    period: str | None = None  # `report 30d|90d|quarter`


def parse_user(token: str) -> str:
    match = USER_REF.match(token.strip())
    if not match:
        raise UserError(
            f"`{mrkdwn(token)}` is not a Slack user. Mention them with @, like `/prodops admins add @maria`."
        )
    return match.group(1) or match.group(2)


SUBCOMMANDS = ("help", "admins", "timezone", "status", "agree", "agreements", "report")
KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def _agreements(rest: list[str]) -> ProdopsRequest:
    if not rest or (len(rest) == 1 and rest[0].lower() == "list"):
        return ProdopsRequest("agreements_list")
    sub = rest[0].lower()
    if sub in {"edit", "remove"}:
        if len(rest) != 2 or not KEY.match(rest[1].lower()):
            raise UserError(f"Usage: `/prodops agreements {sub} <key>`, with the key `/prodops agreements` shows.")
        return ProdopsRequest("agreements_edit" if sub == "edit" else "agreements_remove", key=rest[1].lower())
    raise UserError(f"`{mrkdwn(rest[0])}` is not something agreements do. Use `/prodops agreements`, "
                    "`/prodops agreements edit <key>` or `/prodops agreements remove <key>`.")


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
    if head == "agree":
        if rest:
            raise UserError("Usage: `/prodops agree` opens the form (no words after it). "
                            "To change one: `/prodops agreements edit <key>`.")
        return ProdopsRequest("agree")
    if head == "agreements":
        return _agreements(rest)
    if head == "report":
        if len(rest) > 1:
            raise UserError("Usage: `/prodops report [30d|90d|quarter]`.")
        return ProdopsRequest("report", period=rest[0].lower() if rest else None)
    if head in ("help", "status"):
        return ProdopsRequest("help")
    return ProdopsRequest("help", unknown=words[0], typo=did_you_mean(head, (*SUBCOMMANDS, *CALENDAR_HEADS)))
