"""Second-check Block Kit payloads with slack_sdk's models, plus the limits they skip."""
from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block

KNOWN_TYPES = {"section", "header", "context", "divider", "actions", "input", "image", "rich_text"}


def assert_valid_blocks(blocks: list[dict[str, Any]], *, limit: int = 50) -> None:
    assert 0 < len(blocks) <= limit, f"{len(blocks)} blocks (limit {limit})"
    for raw in blocks:
        assert raw.get("type") in KNOWN_TYPES, f"unknown block type {raw.get('type')}"
        parsed = Block.parse(raw)
        assert parsed is not None
        parsed.to_dict()  # raises SlackObjectFormationError on a violated limit
        if raw["type"] == "section" and "text" in raw:
            assert len(raw["text"]["text"]) <= 3000
        if raw["type"] == "header":
            assert len(raw["text"]["text"]) <= 150


def block_text(blocks: list[dict[str, Any]]) -> str:
    """All the text a person would read in the blocks, joined (no JSON escaping)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                if isinstance(value, (dict, list)):
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return "\n".join(out)
