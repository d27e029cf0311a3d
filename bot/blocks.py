"""Small pure helpers for Block Kit dicts, with the limits applied where text enters a block."""
from __future__ import annotations

from typing import Any

from bot.text import BUTTON_TEXT_MAX, HEADER_TEXT_MAX, MODAL_TITLE_MAX, OPTION_TEXT_MAX, SECTION_TEXT_MAX, truncate

Block = dict[str, Any]


def text_chars(node: Any) -> int:
    """Characters of text in blocks (what Slack's message and view size limits count, near
    enough): a part or card held to its share measures itself with this."""
    if isinstance(node, dict):
        return sum(len(v) if k == "text" and isinstance(v, str) else text_chars(v) for k, v in node.items())
    if isinstance(node, list):
        return sum(text_chars(v) for v in node)
    return 0


def mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": truncate(text, SECTION_TEXT_MAX)}


def plain(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_TEXT_MAX)}


def section(text: str, accessory: dict[str, Any] | None = None, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = block_id
    return block


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(t) for t in texts[:10]]}


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str = "", style: str | None = None, url: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "text": plain(text, BUTTON_TEXT_MAX), "action_id": action_id}
    if value:
        element["value"] = value
    if style:
        element["style"] = style
    if url:
        element["url"] = url
    return element


def actions(*elements: dict[str, Any], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)[:25]}
    if block_id:
        block["block_id"] = block_id
    return block


def input_block(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False,
                hint: str | None = None) -> Block:
    """A modal input whose block_id and action_id are the same string (easy to read back)."""
    block: Block = {"type": "input", "block_id": block_id, "label": plain(label, 2000),
                    "element": {**element, "action_id": block_id}, "optional": optional}
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def option(label: str, value: str) -> dict[str, Any]:
    return {"text": plain(truncate(label, OPTION_TEXT_MAX), OPTION_TEXT_MAX), "value": value}


def modal(callback_id: str, title: str, blocks: list[Block], *, submit: str = "Save",
          metadata: str | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {"type": "modal", "callback_id": callback_id, "title": plain(title, MODAL_TITLE_MAX),
                            "submit": plain(submit, MODAL_TITLE_MAX), "close": plain("Cancel", MODAL_TITLE_MAX),
                            "blocks": blocks}
    if metadata is not None:
        view["private_metadata"] = metadata
    return view
