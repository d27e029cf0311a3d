"""Action, view and block ids for launches, and the small models carried in them."""
from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel


class LaunchAction(StrEnum):
    TOGGLE = "launch.item.toggle"
    OWNER = "launch.item.owner"
    DUE = "launch.item.due"
    COMPACT_TOGGLE = "launch.compact.toggle"
    GO = "launch.decide.go"
    NO_GO = "launch.decide.no_go"


class LaunchView(StrEnum):
    NEW = "launch.new"
    TEMPLATE = "launch.template"


class Field_(StrEnum):
    NAME = "name"
    DATE = "date"
    CHANNEL = "channel"
    TEMPLATE = "template"
    OWNER = "owner"
    ITEMS = "items"


ITEM_BLOCK = re.compile(r"^launch\.item\.(\d+)\.(\d+)$")


def item_block_id(launch_id: int, item_id: int) -> str:
    return f"launch.item.{launch_id}.{item_id}"


class ItemRef(BaseModel):
    """A check-off click: the item and the state the clicker asked for, so a double click or
    two people checking the same item leave it checked instead of flipping it back."""

    l: int  # noqa: E741 - short keys keep button values small
    i: int
    d: bool = True


class LaunchRef(BaseModel):
    l: int  # noqa: E741


class TemplateMeta(BaseModel):
    editing: str | None = None
