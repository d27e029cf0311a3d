"""mrkdwn escaping and Block Kit limits, shared by every feature's block builders."""
from __future__ import annotations

import re

# Block Kit limits (docs/architecture.md, "Slack's wire format and Block Kit limits"); kept here
# because slack_sdk does not check them all.
SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
BUTTON_TEXT_MAX = 75
OPTION_TEXT_MAX = 75
MESSAGE_BLOCKS_MAX = 50
MODAL_TITLE_MAX = 24
ELLIPSIS = "…"


def escape(text: str) -> str:
    """Make user text inert in mrkdwn: no pings (<!channel>, <@U…>) and no forged links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS


def mrkdwn_user_text(text: str, limit: int = SECTION_TEXT_MAX) -> str:
    """Escape, then cut so an escape sequence is never split in half."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - len(ELLIPSIS)]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + ELLIPSIS


def user_mention(user_id: str) -> str:
    return f"<@{user_id}>"


def channel_mention(channel_id: str) -> str:
    return f"<#{channel_id}>"


_CODE = re.compile(r"(`[^`\n]*`)")
_EMPHASIS = re.compile(r"(?<!\w)([*_~])(?=\S)([^*_~`\n]*?\S)\1(?!\w)")


def unformatted(text: str) -> str:
    """An answer written in mrkdwn, for a surface that shows plain text (a modal's field error):
    bold, italics and strikes lose their marks, the words stay; `code` keeps its backticks,
    which read as quotes around what was typed."""
    parts = _CODE.split(text)  # odd parts are code spans: what was typed, kept whole
    for at in range(0, len(parts), 2):
        previous = None
        while previous != parts[at]:  # nested marks (`*_x_*`) come off one layer a pass
            previous, parts[at] = parts[at], _EMPHASIS.sub(r"\2", parts[at])
    return "".join(parts)
