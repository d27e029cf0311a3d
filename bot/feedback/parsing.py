"""Parsing /feedback text: subcommands, `#tags`, `customer:Name`, item numbers and filters."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Literal

from bot.typos import Edit, one_edit  # noqa: F401 - one_edit is this module's too
from bot.errors import UserError
from bot.quotes import QUOTES, quoted
from bot.usertext import mrkdwn
from models.feedback import FeedbackStatus

# `/feedback <text>`: the text is kept exactly as typed between its first and last word. Only
# labels at its ends are lifted out: a run of `#tag` / `customer:` tokens at the very end, and one
# `customer:` token at the very start. An inline `#tag` also tags the item but keeps its place in
# the text; a `#` with digits only (`#4521`) is a reference, not a tag. See README "/feedback".
TAG_TOKEN = r"#(?P<tag>[A-Za-z0-9][\w-]{0,62})"
CUSTOMER_TOKEN = (r"(?i:customer):(?:" + quoted("quoted", 255)  # straight or curly quotes (bot/quotes.py)
                  + r"|(?P<name>[^\s" + re.escape(QUOTES) + r"]\S{0,254}))")
# An inline tag starts a word: "#exports." tags the item; "C#", "a/#b" and "#R&D" do not.
TAG = re.compile(r"(?<!\S)" + TAG_TOKEN + r"(?![\w&-])")
END_TOKEN = re.compile(r"(?<!\S)(?:" + TAG_TOKEN + "|" + CUSTOMER_TOKEN + r")\Z")
LEADING_CUSTOMER = re.compile(r"\s*" + CUSTOMER_TOKEN + r"(?=\s|\Z)")
END_TOKEN_MAX = 300  # no end token is longer (customer:"<255>"), so a search looks this far back
NUMBER = re.compile(r"^#?(\d{1,9})$")
EMOJI = re.compile(r"^:?([a-z0-9_+'-]{1,100}):?$")
OPEN_STATUSES = (FeedbackStatus.NEW, FeedbackStatus.TRIAGED, FeedbackStatus.PLANNED)
SETTABLE_STATUSES = tuple(s for s in FeedbackStatus if s is not FeedbackStatus.MERGED)
SUBCOMMANDS = {"help", "list", "search", "show", "export", "merge", "config", "status", "delete", "file", "link",
               "unlink"}
# Followed by a word that is not a number, these start feedback ("status page is confusing").
NUMBERED = {"show", "status", "merge", "delete", "link", "unlink"}
NUMBER_LIKE = re.compile(r"^[#+-]?\d+$")  # `-3` is a bad number (a usage line), not feedback
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

    @property
    def ranked(self) -> bool:
        """Words alone: a search, ranked by relevance through the text index (the rest are lists)."""
        return bool(self.words) and not (self.status or self.tags or self.area or self.sort == "top")


@dataclass(frozen=True)
class FeedbackCommand:
    action: Literal["help", "file", "modal", "list", "search", "show", "export", "merge", "emoji", "status",
                    "delete", "typo", "link", "unlink"]
    draft: Draft | None = None
    filters: Filters = field(default_factory=Filters)
    numbers: tuple[int, ...] = ()
    status: FeedbackStatus | None = None
    note: str | None = None
    emoji: str | None = None
    typo: Typo | None = None
    launch: str | None = None  # `link`: the launch's name as typed
    launch_quoted: bool = True  # False: an unquoted name may run on into what reads as the note


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
            raise UserError(f"`{mrkdwn(word)}` is not a tag: use letters, digits, `-` and `_`.", field="tags")
        if tag not in tags:
            tags.append(tag)
    return tuple(tags)


def tag_of(word: str) -> str | None:
    """The tag `#word` stands for, or None: a tag has a letter (`#4521` is a ticket reference)."""
    tag = normalise_tag(word)
    if re.fullmatch(r"[a-z0-9][\w-]{0,62}", tag) and any(c.isalpha() for c in tag):
        return tag
    return None


def _customer(match: re.Match[str]) -> str | None:
    name = (match.group("quoted") or match.group("name") or "").strip()
    return name or None


@dataclass(frozen=True)
class DraftParts:
    """Where the labels end and the text begins: `text[start:end]` is kept as typed."""

    start: int
    end: int
    customers: tuple[str, ...]
    end_tags: tuple[str, ...]


def split_draft(text: str) -> DraftParts:
    """Lift the labels off the ends of `text`, scanning back from the end, then the start."""
    end = len(text.rstrip())
    customers: list[str] = []
    end_tags: list[str] = []
    while end:
        match = END_TOKEN.search(text, max(0, end - END_TOKEN_MAX), end)
        if match is None:
            break
        if match.group("tag") is not None:
            tag = tag_of(match.group("tag"))
            if tag is None:
                break
            end_tags.insert(0, tag)
        else:
            name = _customer(match)
            if name is None:
                break
            customers.insert(0, name)
        end = match.start()
        while end and text[end - 1].isspace():
            end -= 1
    start, lead = 0, []
    while (match := LEADING_CUSTOMER.match(text, start, end)) and (name := _customer(match)):
        lead.append(name)
        start = match.end()
    start = min(end, len(text) - len(text[start:].lstrip()))
    customers[:0] = lead
    return DraftParts(start, end, tuple(customers), tuple(end_tags))


def parse_draft(text: str) -> Draft:
    """`/feedback <text>`: the text as typed; `#tags` and `customer:Name` at its ends are labels."""
    parts = split_draft(text)
    body = text[parts.start: parts.end]
    if not body:
        raise UserError("Write the feedback itself, e.g. `/feedback Exports time out on big boards "
                        "#exports customer:Acme` (`#tags` at the end and `customer:` are read as "
                        "labels, not as the feedback).")
    if len(parts.customers) > 1:
        names = " and ".join(f"`{mrkdwn(c)}`" for c in parts.customers)
        raise UserError(f"Name one customer per feedback; I read {names}. "
                        'For a name with spaces write `customer:"Two Words"`.')
    if len(body) > TEXT_LIMIT:
        raise UserError(f"That feedback is {len(body):,} characters; the limit is {TEXT_LIMIT:,}.")
    inline = (tag for word in TAG.findall(body) if (tag := tag_of(word)))
    tags = tuple(dict.fromkeys([*inline, *parts.end_tags]))
    return Draft(text=body, customer=parts.customers[0] if parts.customers else None, tags=tags)


def parse_number(token: str) -> int:
    match = NUMBER.match(token.strip())
    if not match:
        raise UserError(f"`{mrkdwn(token)}` is not a feedback number; use one like `#12` or `12`.")
    return int(match.group(1))


def parse_status(word: str) -> FeedbackStatus:
    try:
        status = FeedbackStatus(word.lower())
    except ValueError:
        status = None
    if status is None or status not in SETTABLE_STATUSES:
        allowed = ", ".join(s.value for s in SETTABLE_STATUSES)
        raise UserError(f"`{mrkdwn(word)}` is not a status. Use one of: {allowed}.")
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
                raise UserError(f"`{mrkdwn(word)}` is not a tag: use letters, digits, `-` and `_`.")
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
                f"I don't understand `{mrkdwn(word)}`. Filters are a status ({', '.join(s.value for s in SETTABLE_STATUSES)}), "
                "`#tag`, one product area and `top` for most-voted first."
            )
    return Filters(status=status, tags=tuple(tags), area=area, sort=sort)


def parse_command(text: str) -> FeedbackCommand:
    """Subcommand words win; feedback that starts with one goes through `/feedback file …`.

    `show`, `status`, `merge` and `delete` followed by something that is not a number read as
    feedback ("status page is confusing"), since nobody means a command there. A first word one
    typo away from a subcommand, followed by that subcommand's arguments, is a question (`typo`),
    not feedback: filing "shwo 3" would be a mistake nobody meant.
    """
    stripped = text.strip()
    if not stripped:
        return FeedbackCommand("modal")
    head, rest = _head(stripped)
    words = rest.split()
    if head == "file":
        return FeedbackCommand("file", draft=parse_draft(rest))
    if head in NUMBERED and words and not NUMBER_LIKE.match(words[0]):
        return FeedbackCommand("file", draft=parse_draft(stripped))
    if head not in SUBCOMMANDS:
        typo = typo_of(stripped)
        if typo is not None:
            return FeedbackCommand("typo", typo=typo)
        return FeedbackCommand("file", draft=parse_draft(stripped))
    try:
        return _parse_subcommand(head, rest, words)
    except UserError as exc:
        raise UserError(f"{exc.message}\n_To file feedback that starts with “{mrkdwn(head)}”, write "
                        f"`/feedback file {mrkdwn(head)} …`._") from None


def _head(text: str) -> tuple[str, str]:
    """The first word (lower case) and everything after the whitespace that follows it, as typed."""
    match = re.match(r"(\S+)\s*", text)
    assert match is not None  # text is stripped and not empty
    return match.group(1).lower(), text[match.end():]


def _parse_subcommand(head: str, rest: str, words: list[str]) -> FeedbackCommand:
    if head == "help":
        return FeedbackCommand("help")
    if head in {"list", "export"}:
        return FeedbackCommand(head, filters=parse_filters(words))  # type: ignore[arg-type]
    if head == "search":
        if not words:
            raise UserError("Usage: `/feedback search <words>`, e.g. `/feedback search export timeout`.")
        # Case is folded by the database on both sides (Python's and PostgreSQL's folding differ).
        return FeedbackCommand("search", filters=Filters(words=tuple(words[:10])))
    if head == "link":
        return _parse_link(rest)
    if head in {"show", "delete", "unlink"}:
        if len(words) != 1:
            raise UserError(f"Usage: `/feedback {head} <number>`, e.g. `/feedback {head} 12`.")
        return FeedbackCommand(head, numbers=(parse_number(words[0]),))  # type: ignore[arg-type]
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
            raise UserError(f"`{mrkdwn(words[1])}` is not an emoji name; use one like `memo` or `:bulb:`.")
        return FeedbackCommand("emoji", emoji=match.group(1))
    raise UserError("Usage: `/feedback config emoji <name>`, e.g. `/feedback config emoji bulb`.")


USAGE_LINK = ('Usage: `/feedback link <number> "Launch name" [note to the reporters]`, e.g. '
              '`/feedback link 12 "Mobile v2" Offline mode is in 2.4`.')
LINK_NAME = re.compile(r"\s*(?:" + quoted("quoted", 400) + r"|(?P<word>[^\s\"\u201c\u201d\u201e\u201f'\u2018\u2019\u201a\u201b]\S*))(?=\s|\Z)")


def _parse_link(rest: str) -> FeedbackCommand:
    """The number, the launch (quoted when it has spaces) and the note, kept as typed."""
    match = re.match(r"(\S+)", rest)
    if match is None:
        raise UserError(USAGE_LINK)
    number = parse_number(match.group(1))
    name = LINK_NAME.match(rest, match.end())
    if name is None:
        raise UserError(USAGE_LINK)
    launch = " ".join((name.group("quoted") or name.group("word")).split())
    if not launch:
        raise UserError(USAGE_LINK)
    note = rest[name.end():].strip() or None
    return FeedbackCommand("link", numbers=(number,), launch=launch, note=note,
                           launch_quoted=name.group("quoted") is not None)


# -- a subcommand with a typo ------------------------------------------------------------------

TYPO_TARGETS = ("list", "search", "show", "export", "merge", "config", "status", "delete", "help", "file", "link",
                "unlink")
TYPO_VALUE_MAX = 1500  # the question's buttons carry the text; Slack allows 2,000 characters a value
SEARCH_WORDS_MAX = 5  # a search is a few words; a longer sentence is feedback


@dataclass(frozen=True)
class Typo:
    """`/feedback shwo 3`: the subcommand the first word is one edit from, and the text as typed."""

    subcommand: str
    arguments: str  # what followed the first word, as typed
    text: str  # the whole text, filed as is if it was feedback after all

    @property
    def command(self) -> str:
        """The text with the subcommand spelled right: `show 3`."""
        return f"{self.subcommand} {self.arguments}".rstrip()


def typo_of(text: str) -> Typo | None:
    """The subcommand `text` most likely meant, when its first word is one edit from one and the
    rest reads as that subcommand's arguments; None for anything else (feedback, filed as today).

    Text too long to carry in the question's buttons is filed as before."""
    stripped = text.strip()
    if not stripped or len(json.dumps(stripped)) > TYPO_VALUE_MAX:
        return None
    head, rest = _head(stripped)
    if head in SUBCOMMANDS or not head.isalpha():
        return None
    for subcommand in TYPO_TARGETS:
        edit = one_edit(head, subcommand)
        if edit is not None and _reads_as_arguments(subcommand, edit, rest):
            return Typo(subcommand, rest, stripped)
    return None


def _reads_as_arguments(subcommand: str, edit: Edit, rest: str) -> bool:
    """Stricter than the subcommand's own parser: "lists are slow" is feedback, not a list whose
    product area is "are". A filter must be a status, `#tag`, `top`/`newest` or `area:x`; any
    text reads as `file`'s, so only a misspelling of it that no word resembles counts (`flie`,
    `fiel`, `fil`: not `fine`, `fire`, `files`)."""
    words = rest.split()
    if subcommand == "file":
        return edit in {"delete", "transpose"} and _drafts(rest)
    if subcommand in {"list", "export"}:
        return all(_filter_word(w) for w in words)
    if subcommand == "search":
        return 1 <= len(words) <= SEARCH_WORDS_MAX
    if subcommand == "help":
        return not words
    try:
        _parse_subcommand(subcommand, rest, words)
    except UserError:
        return False
    return True


def _filter_word(word: str) -> bool:
    lowered = word.lower()
    if lowered.startswith("#"):
        return bool(re.fullmatch(r"[a-z0-9][\w-]{0,62}", normalise_tag(word)))
    return (lowered in {"top", "votes", "newest"} or lowered in {s.value for s in FeedbackStatus}
            or (lowered.startswith("area:") and len(lowered) > len("area:")))


def _drafts(text: str) -> bool:
    try:
        parse_draft(text)
    except UserError:
        return False
    return True


def meant_command(text: str) -> FeedbackCommand:
    """The typo question's [Show #3]: the command `text` was one typo from, read again from the
    text the button carries (so a forged value runs nothing the person could not type)."""
    typo = typo_of(text)
    if typo is None:
        raise UserError("That button is out of date; run the command again.")
    return parse_command(typo.command)
