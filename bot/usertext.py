"""User text: one representation inside the bot, converted at the edge, rendered per surface.

The representation is Slack's own message format, normalised: a literal `&`, `<` or `>` is
`&amp;`, `&lt;`, `&gt;`, and `<…>` is always a token Slack made (a mention, a channel, a user
group, a broadcast, a date or a link). It is the only form that tells a typed `<!here>` (text)
from a real one (a token), so nothing typed can become a ping or a link on the way out.

- `from_slack` takes message and slash-command text as Slack sends it.
- `from_typed` takes what arrives raw: modal inputs, button values, CSV, tests.
- `mrkdwn`, `plain` and `export` render it for messages, plain-text fields and spreadsheets.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

ELLIPSIS = "…"
ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}
_ENTITY = re.compile(r"&(?:amp|lt|gt);")
_PIECES = re.compile(r"<([^<>]*)>|&(?:amp|lt|gt);|[^<>&]+|[<>&]")
_USER = re.compile(r"@([UW][A-Z0-9]+)(?:\|(.*))?", re.S)
_CHANNEL = re.compile(r"#([CGD][A-Z0-9]+)(?:\|(.*))?", re.S)
_SUBTEAM = re.compile(r"!subteam\^([A-Z0-9]+)(?:\|(.*))?", re.S)
_BROADCAST = re.compile(r"!(here|channel|everyone)(?:\|.*)?", re.S)
_DATE = re.compile(r"!date\^[^|]*\|(.*)", re.S)
_LINK = re.compile(r"((?:https?|mailto|tel|slack):[^|\s]+)(?:\|(.*))?", re.S | re.I)

Kind = Literal["text", "user", "channel", "subteam", "broadcast", "link", "other"]


@dataclass(frozen=True)
class Piece:
    """A run of text (`value` unescaped) or one token (`value` its id or URL, `label` shown)."""

    kind: Kind
    value: str
    label: str = ""


def from_typed(raw: str) -> str:
    """Raw characters (a modal value) in the representation: every `&`, `<`, `>` is literal.
    NUL is dropped: nobody can see it, and PostgreSQL refuses it in text."""
    return raw.replace("\x00", "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def from_slack(wire: str) -> str:
    """Slack's format, normalised: stray `&`, `<`, `>` that are not Slack's own become entities,
    and a `<…>` that is not a token Slack makes is kept as the text it shows. Idempotent."""
    return "".join(_canonical(p) for p in pieces(wire.replace("\x00", "")))


def looks_like_slack(text: str) -> bool:
    """True when `text` could be Slack's own format: every `<…>` is a token Slack makes and no
    `&`, `<` or `>` stands bare. A raw `<x>` or `R&D` proves the text was typed, not Slack's."""
    for match in _PIECES.finditer(text):
        whole, inner = match.group(0), match.group(1)
        if inner is not None and _token(inner).kind == "text":
            return False
        if inner is None and whole in {"&", "<", ">"}:
            return False
    return True


def pieces(text: str) -> Iterator[Piece]:
    """The text split into runs and tokens (adjacent runs merged)."""
    run: list[str] = []
    for match in _PIECES.finditer(text):
        whole, inner = match.group(0), match.group(1)
        if inner is None:
            run.append(ENTITIES.get(whole, whole))
            continue
        token = _token(inner)
        if token.kind == "text":
            run.append(token.value)
            continue
        if run:
            yield Piece("text", "".join(run))
            run = []
        yield token
    if run:
        yield Piece("text", "".join(run))


def _token(inner: str) -> Piece:
    if m := _USER.fullmatch(inner):
        return Piece("user", m.group(1), _unescape(m.group(2) or ""))
    if m := _CHANNEL.fullmatch(inner):
        return Piece("channel", m.group(1), _unescape(m.group(2) or ""))
    if m := _SUBTEAM.fullmatch(inner):
        return Piece("subteam", m.group(1), _unescape(m.group(2) or ""))
    if m := _BROADCAST.fullmatch(inner):
        return Piece("broadcast", m.group(1))
    if m := _DATE.fullmatch(inner):
        return Piece("text", _unescape(m.group(1)))
    if m := _LINK.fullmatch(inner):
        return Piece("link", _unescape(m.group(1)), _unescape(m.group(2) or ""))
    # Not a token Slack makes (e.g. `<b>` from text that was never escaped): show it as text.
    return Piece("text", "<" + _unescape(inner) + ">")


def _unescape(text: str) -> str:
    return _ENTITY.sub(lambda m: ENTITIES[m.group()], text)


def _canonical(piece: Piece) -> str:
    if piece.kind == "text":
        return from_typed(piece.value)
    label = "|" + from_typed(piece.label) if piece.label else ""
    prefix = {"user": "@", "channel": "#", "subteam": "!subteam^", "broadcast": "!", "link": ""}[piece.kind]
    return f"<{prefix}{from_typed(piece.value)}{label}>"


def _name(piece: Piece, names: Mapping[str, str] | None) -> str:
    if piece.kind == "user":
        return "@" + ((names or {}).get(piece.value) or piece.label or piece.value)
    if piece.kind == "channel":
        return "#" + (piece.label or piece.value)
    if piece.kind == "subteam":
        return piece.label if piece.label.startswith("@") else "@" + (piece.label or "group")
    return "@" + piece.value  # broadcast


def mrkdwn(text: str, *, public: bool = False, names: Mapping[str, str] | None = None,
           limit: int | None = None) -> str:
    """For messages, sections and DMs: what the person wrote, links as links, nothing that pings.

    Broadcasts and user groups always read as text. A user mention stays a mention only on
    private surfaces (an ephemeral, a DM to someone else, a modal), where Slack shows the name
    and notifies nobody; in a channel post (`public`) it reads as the person's name instead.
    `limit` cuts between pieces, never inside an escape or a token.
    """
    out: list[str] = []
    size = 0
    budget = None if limit is None else limit - len(ELLIPSIS)
    for piece in pieces(text):
        rendered = _mrkdwn_piece(piece, public, names)
        if budget is not None and size + len(rendered) > budget:
            if piece.kind == "text":
                out.append(_cut_escaped(rendered, budget - size))
            out.append(ELLIPSIS)
            return "".join(out)
        out.append(rendered)
        size += len(rendered)
    return "".join(out)


def mrkdwn_chunks(text: str, limit: int, *, public: bool = False,
                  names: Mapping[str, str] | None = None) -> list[str]:
    """`mrkdwn` in consecutive parts of at most `limit` characters each, for text too long for
    one block: cut between pieces, or inside a run of text but never inside an escape."""
    chunks: list[str] = []
    current = ""
    for piece in pieces(text):
        rendered = _mrkdwn_piece(piece, public, names)
        while len(current) + len(rendered) > limit:
            if piece.kind != "text" or not rendered:
                if current:
                    chunks.append(current)
                    current = ""
                if len(rendered) > limit:  # a token longer than a block: shown as its text
                    rendered = from_typed(_name(piece, names) if piece.kind != "link" else piece.value)[:limit]
                break
            head = _cut_escaped(rendered, limit - len(current))
            if not head and not current:
                head = rendered[:limit]
            current += head
            rendered = rendered[len(head):]
            chunks.append(current)
            current = ""
        current += rendered
    if current or not chunks:
        chunks.append(current)
    return chunks


def _mrkdwn_piece(piece: Piece, public: bool, names: Mapping[str, str] | None) -> str:
    if piece.kind == "text":
        return from_typed(piece.value)
    if piece.kind == "link":  # the URL escaped as Slack sends it: a `<!here>` inside it stays inert
        url = from_typed(piece.value)
        return f"<{url}|{from_typed(piece.label)}>" if piece.label else f"<{url}>"
    if piece.kind == "channel":
        return f"<#{piece.value}>"
    if piece.kind == "user" and not public:
        return f"<@{piece.value}>"
    return from_typed(_name(piece, names))


def _cut_escaped(escaped: str, room: int) -> str:
    if room <= 0:
        return ""
    cut = escaped[:room]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut


def plain(text: str, *, names: Mapping[str, str] | None = None) -> str:
    """For plain_text fields, modal initial values, titles and fallbacks: the characters typed,
    mentions as names, links as their label."""
    return "".join(_plain_piece(p, names, export=False) for p in pieces(text))


def export(text: str, *, names: Mapping[str, str] | None = None) -> str:
    """For CSV cells: plain text, a labelled link as "label (url)"."""
    return "".join(_plain_piece(p, names, export=True) for p in pieces(text))


def _plain_piece(piece: Piece, names: Mapping[str, str] | None, export: bool) -> str:
    if piece.kind == "text":
        return piece.value
    if piece.kind == "link":
        shown = piece.value.removeprefix("mailto:") if not piece.label else piece.label
        if export and piece.label and piece.label != piece.value:
            return f"{piece.label} ({piece.value})"
        return shown
    return _name(piece, names)


def mentioned_users(text: str) -> list[str]:
    """User ids the text mentions, in order, once each (to look their names up)."""
    seen: dict[str, None] = {}
    for piece in pieces(text):
        if piece.kind == "user":
            seen.setdefault(piece.value, None)
    return list(seen)
