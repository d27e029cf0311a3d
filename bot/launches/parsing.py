"""Parsing /launch text: subcommands, quoted names, dates and template lines.

Text arrives here in bot/usertext.py's representation (the handler converts it at the edge):
names and titles are kept in it, lengths are measured on what the person typed (`plain`), and
an error that quotes the input renders it with `usertext.mrkdwn`, so nothing is escaped twice."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from bot.errors import UserError
from bot.typos import did_you_mean
from bot.quotes import UnclosedQuote, split_words
from bot.usertext import mrkdwn, plain

# The functions a checklist is grouped by, in the order it shows them (the one list: parsing,
# the checklist's groups and labels, and the template form's hint all read it).
FUNCTIONS = ("engineering", "product", "marketing", "sales", "support", "legal", "post-launch")
NAME_MAX = 80
TITLE_MAX = 150
OFFSET_LIMIT = 365


@dataclass(frozen=True)
class TemplateItem:
    function: str
    title: str
    offset_days: int

    def as_dict(self) -> dict[str, object]:
        return {"function": self.function, "title": self.title, "offset_days": self.offset_days}


@dataclass(frozen=True)
class LaunchCommand:
    action: Literal["help", "modal", "new", "list", "status", "go", "date", "add", "cancel", "reopen", "delete",
                    "template_list", "template_new", "template_edit"]
    name: str | None = None
    when: date | None = None
    template: str | None = None
    item: TemplateItem | None = None
    unknown: str | None = None  # an unknown first word: answered with the help
    typo: str | None = None  # …and the subcommand it is one edit from


SUBCOMMANDS = ("new", "list", "status", "go", "date", "add", "cancel", "reopen", "delete", "template", "help")


@dataclass(frozen=True)
class NewLaunch:
    """A launch as `/launch new` or the form asked for it (user text already converted)."""

    name: str
    when: date
    channel_id: str
    template: str | None
    owner_id: str


def parse_date(text: str) -> date:
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text.strip())
    if not match:
        raise UserError(f"`{mrkdwn(text)}` is not a date; write it as YYYY-MM-DD, e.g. `2027-03-01`.")
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        raise UserError(f"`{mrkdwn(text)}` is not a real date (check the month and day).") from None


def name_key(name: str) -> str:
    """A stored launch or template name's key, whitespace collapsed and lower-cased: unique per
    workspace. A name typed after a command arrives through `usertext.from_slack`, so it finds the row."""
    return " ".join(name.split()).lower()


def parse_name(text: str) -> str:
    name = " ".join(text.split())
    if not name:
        raise UserError("Give the launch a name.", field="name")
    if len(plain(name)) > NAME_MAX:
        raise UserError(f"Keep launch names under {NAME_MAX} characters.", field="name")
    return name


def parse_function(text: str) -> str:
    value = text.strip().lower().replace(" ", "-")
    value = {"post": "post-launch", "postlaunch": "post-launch", "eng": "engineering"}.get(value, value)
    if value not in FUNCTIONS:
        raise UserError(f"`{mrkdwn(text)}` is not a function; use one of: {', '.join(FUNCTIONS)}.")
    return value


def parse_offset(text: str) -> int:
    match = re.fullmatch(r"(?i)\s*(?:T\s*)?([+-]?\s*\d{1,3})\s*", text)
    if not match:
        raise UserError(f"`{mrkdwn(text)}` is not a number of days relative to launch (like `-7`, `0` or `+7`).")
    days = int(match.group(1).replace(" ", ""))
    if abs(days) > OFFSET_LIMIT:
        raise UserError(f"{days} days is more than a year from launch day.")
    return days


# A `|` inside a Slack token (`<https://…|label>`) is part of the token, not a column: in the
# representation every `>` closes a token, so a `|` followed by a `>` before any `<` is inside one.
_COLUMN = re.compile(r"\|(?![^<]*>)")


def parse_item(text: str) -> TemplateItem:
    """`function | title | days relative to launch`."""
    parts = [p.strip() for p in _COLUMN.split(text)]
    if len(parts) != 3 or not all(parts):
        raise UserError("Write each item as `function | title | days`, e.g. `marketing | Blog post | -7`.")
    title = parts[1]
    if len(plain(title)) > TITLE_MAX:
        raise UserError(f"Keep item titles under {TITLE_MAX} characters.")
    return TemplateItem(parse_function(parts[0]), title, parse_offset(parts[2]))


def parse_template_lines(text: str) -> list[TemplateItem]:
    """One item per line; the error names the first bad line."""
    items: list[TemplateItem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.strip().startswith("#"):
            continue
        try:
            items.append(parse_item(line))
        except UserError as exc:
            raise UserError(f"Line {number}: {exc.message}", field="items") from None
    if not items:
        raise UserError("Add at least one item, one per line: `function | title | days`.", field="items")
    if len(items) > 200:
        raise UserError("A template holds at most 200 items.", field="items")
    return items


def _split(text: str) -> list[str]:
    """Words, with names quoted the way people type them: straight or curly (bot/quotes.py)."""
    try:
        return split_words(text)
    except UnclosedQuote:
        raise UserError("A quote is not closed; put names with spaces in quotes, e.g. `\"Mobile v2\"`.") from None


USAGE_NEW = 'Usage: `/launch new "Name" YYYY-MM-DD [template]`, or `/launch new` for the form.'


def parse_command(text: str) -> LaunchCommand:
    words = _split(text)
    if not words:
        return LaunchCommand("help")
    head, rest = words[0].lower(), words[1:]
    if head == "new":
        if not rest:
            return LaunchCommand("modal")
        if len(rest) not in (2, 3):
            raise UserError(USAGE_NEW)
        return LaunchCommand("new", name=parse_name(rest[0]), when=parse_date(rest[1]),
                             template=rest[2] if len(rest) == 3 else None)
    if head == "list" and not rest:
        return LaunchCommand("list")
    if head in {"status", "go", "cancel", "reopen", "delete"}:
        if len(rest) != 1:
            raise UserError(f'Usage: `/launch {head} "Name"` (quote names with spaces).')
        return LaunchCommand(head, name=parse_name(rest[0]))  # type: ignore[arg-type]
    if head == "date":
        if len(rest) != 2:
            raise UserError('Usage: `/launch date "Name" YYYY-MM-DD` moves the launch and its open items.')
        return LaunchCommand("date", name=parse_name(rest[0]), when=parse_date(rest[1]))
    if head == "add":
        if len(rest) < 2:
            raise UserError('Usage: `/launch add "Name" function | title | days`, e.g. '
                            '`/launch add "Mobile v2" sales | Pricing FAQ | -4`.')
        return LaunchCommand("add", name=parse_name(rest[0]), item=parse_item(" ".join(rest[1:])))
    if head == "template":
        sub = rest[0].lower() if rest else "list"
        if sub == "list" and len(rest) <= 1:
            return LaunchCommand("template_list")
        if sub == "new" and len(rest) == 1:
            return LaunchCommand("template_new")
        if sub == "edit" and len(rest) == 2:
            return LaunchCommand("template_edit", template=rest[1])
        raise UserError('Usage: `/launch template list`, `/launch template new`, `/launch template edit "Name"`.')
    if head == "help" or (head == "list" and rest):
        return LaunchCommand("help")
    return LaunchCommand("help", unknown=words[0], typo=did_you_mean(head, SUBCOMMANDS))
