"""Parsing /feedback text: subcommands, `#tags`, `customer:Name`, item numbers and filters."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from bot.errors import UserError
from bot.text import escape
from models.feedback import FeedbackStatus

TAG = re.compile(r"(?<![\w&])#([A-Za-z0-9][\w-]{0,62})")
TRAILING_TAGS = re.compile(r"(?:(?:^|\s+)#[A-Za-z0-9][\w-]{0,62})+\s*$")
CUSTOMER = re.compile(r"(?i)\bcustomer:(?:\"([^\"]{1,255})\"|(\S{1,255}))")
NUMBER = re.compile(r"^#?(\d{1,9})$")
EMOJI = re.compile(r"^:?([a-z0-9_+'-]{1,100}):?$")
OPEN_STATUSES = (FeedbackStatus.NEW, FeedbackStatus.TRIAGED, FeedbackStatus.PLANNED)
SETTABLE_STATUSES = tuple(s for s in FeedbackStatus if s is not FeedbackStatus.MERGED)
SUBCOMMANDS = {"help", "list", "search", "show", "export", "merge", "config", "status", "file"}
NUMBER_LIKE = re.compile(r"^#?\d+$")
TEXT_LIMIT = 40_000
FORM_TEXT_MAX = 3000  # a modal text field holds this much (Slack's max_length)


@dataclass(frozen=True)
class Draft:
    """Feedback as the user wrote it, before it is stored."""

    text: str
    customer: str | None = None
    tags: tuple[str, ...] = ()
    product_area: str | None = None
    importance: str | None = None


@dataclass(frozen=True)
class Filters:
    status: FeedbackStatus | None = None
    tags: tuple[str, ...] = ()
    area: str | None = None
    words: tuple[str, ...] = ()
    sort: Literal["new", "top"] = "new"


@dataclass(frozen=True)
class FeedbackCommand:
    action: Literal["help", "file", "modal", "list", "search", "show", "export", "merge", "emoji", "status"]
    draft: Draft | None = None
    filters: Filters = field(default_factory=Filters)
    numbers: tuple[int, ...] = ()
    status: FeedbackStatus | None = None
    note: str | None = None
    emoji: str | None = None


def normalise_tag(tag: str) -> str:
    return tag.strip().lstrip("#").lower()[:64]


def parse_tags(text: str) -> tuple[str, ...]:
    """Tags from a free field: `#a b, c` -> (a, b, c); invalid words are refused."""
    tags: list[str] = []
    for word in re.split(r"[\s,]+", text.strip()):
        if not word:
            continue
        tag = normalise_tag(word)
        if not re.fullmatch(r"[a-z0-9][\w-]{0,62}", tag):
            raise UserError(f"`{escape(word)}` is not a tag: use letters, digits, `-` and `_`.", field="tags")
        if tag not in tags:
            tags.append(tag)
    return tuple(tags)


def parse_draft(text: str) -> Draft:
    """`/feedback <text>`: `#tag` words become tags and `customer:Name` sets the customer."""
    customer = None
    match = CUSTOMER.search(text)
    if match:
        customer = (match.group(1) or match.group(2)).strip()
        text = text[: match.start()] + text[match.end():]
    tags = tuple(dict.fromkeys(normalise_tag(t) for t in TAG.findall(text)))
    body = TRAILING_TAGS.sub("", text)  # "... #perf #ux" at the end are labels, not words
    body = TAG.sub(lambda m: m.group(1), body)  # an inline "#exports" keeps its word
    body = re.sub(r"[ \t]+", " ", body).strip()
    if not body:
        raise UserError("Write the feedback itself, e.g. `/feedback Exports time out on big boards #exports customer:Acme`.")
    if len(body) > TEXT_LIMIT:
        raise UserError(f"That feedback is {len(body):,} characters; the limit is {TEXT_LIMIT:,}.")
    return Draft(text=body, customer=customer, tags=tags)


def parse_number(token: str) -> int:
    match = NUMBER.match(token.strip())
    if not match:
        raise UserError(f"`{escape(token)}` is not a feedback number; use one like `#12` or `12`.")
    return int(match.group(1))


def parse_status(word: str) -> FeedbackStatus:
    try:
        status = FeedbackStatus(word.lower())
    except ValueError:
        status = None
    if status is None or status not in SETTABLE_STATUSES:
        allowed = ", ".join(s.value for s in SETTABLE_STATUSES)
        raise UserError(f"`{escape(word)}` is not a status. Use one of: {allowed}.")
    return status


def parse_filters(words: list[str]) -> Filters:
    status: FeedbackStatus | None = None
    tags: list[str] = []
    area: str | None = None
    sort: Literal["new", "top"] = "new"
    for word in words:
        lowered = word.lower()
        if lowered.startswith("#"):
            tag = normalise_tag(word)
            if not re.fullmatch(r"[a-z0-9][\w-]{0,62}", tag):
                raise UserError(f"`{escape(word)}` is not a tag: use letters, digits, `-` and `_`.")
            tags.append(tag)
        elif lowered in {"top", "votes"}:
            sort = "top"
        elif lowered == "newest":
            sort = "new"
        elif lowered in {s.value for s in FeedbackStatus}:
            status = FeedbackStatus(lowered)
        elif area is None:
            area = lowered.removeprefix("area:")
        else:
            raise UserError(
                f"I don't understand `{escape(word)}`. Filters are a status ({', '.join(s.value for s in SETTABLE_STATUSES)}), "
                "`#tag`, one product area and `top` for most-voted first."
            )
    return Filters(status=status, tags=tuple(tags), area=area, sort=sort)


def parse_command(text: str) -> FeedbackCommand:
    """Subcommand words win; feedback that starts with one goes through `/feedback file …`.

    `show`, `status` and `merge` followed by something that is not a number read as feedback
    ("status page is confusing"), since nobody means a command there.
    """
    stripped = text.strip()
    if not stripped:
        return FeedbackCommand("modal")
    head, _, rest = stripped.partition(" ")
    head = head.lower()
    words = rest.split()
    if head == "file":
        return FeedbackCommand("file", draft=parse_draft(rest))
    if head in {"show", "status", "merge"} and words and not NUMBER_LIKE.match(words[0]):
        return FeedbackCommand("file", draft=parse_draft(stripped))
    if head not in SUBCOMMANDS:
        return FeedbackCommand("file", draft=parse_draft(stripped))
    try:
        return _parse_subcommand(head, rest, words)
    except UserError as exc:
        raise UserError(f"{exc.message}\n_To file feedback that starts with “{escape(head)}”, write "
                        f"`/feedback file {escape(head)} …`._") from None


def _parse_subcommand(head: str, rest: str, words: list[str]) -> FeedbackCommand:
    if head == "help":
        return FeedbackCommand("help")
    if head in {"list", "export"}:
        return FeedbackCommand(head, filters=parse_filters(words))  # type: ignore[arg-type]
    if head == "search":
        if not words:
            raise UserError("Usage: `/feedback search <words>`, e.g. `/feedback search export timeout`.")
        return FeedbackCommand("search", filters=Filters(words=tuple(w.lower() for w in words[:10])))
    if head == "show":
        if len(words) != 1:
            raise UserError("Usage: `/feedback show <number>`, e.g. `/feedback show 12`.")
        return FeedbackCommand("show", numbers=(parse_number(words[0]),))
    if head == "merge":
        if len(words) != 2:
            raise UserError("Usage: `/feedback merge <from> <into>`, e.g. `/feedback merge 14 9`.")
        source, target = parse_number(words[0]), parse_number(words[1])
        if source == target:
            raise UserError("An item cannot be merged into itself.")
        return FeedbackCommand("merge", numbers=(source, target))
    if head == "status":
        if len(words) < 2:
            raise UserError("Usage: `/feedback status <number> <new|triaged|planned|shipped|declined> [note]`.")
        note = rest.split(None, 2)[2].strip() if len(words) > 2 else None
        return FeedbackCommand("status", numbers=(parse_number(words[0]),), status=parse_status(words[1]), note=note)
    # config
    if len(words) == 2 and words[0].lower() == "emoji":
        match = EMOJI.match(words[1].lower())
        if not match:
            raise UserError(f"`{escape(words[1])}` is not an emoji name; use one like `memo` or `:bulb:`.")
        return FeedbackCommand("emoji", emoji=match.group(1))
    raise UserError("Usage: `/feedback config emoji <name>`, e.g. `/feedback config emoji bulb`.")
