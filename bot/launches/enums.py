"""Action, view and block ids for launches, and the small models carried in them."""
from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel

from bot.errors import UserError


class Command(StrEnum):
    LAUNCH = "/launch"


class LaunchAction(StrEnum):
    TOGGLE = "launch.item.toggle"
    OWNER = "launch.item.owner"
    DUE = "launch.item.due"
    COMPACT_TOGGLE = "launch.compact.toggle"
    GO = "launch.decide.go"
    NO_GO = "launch.decide.no_go"


class LaunchView(StrEnum):
    """Modal callback ids (the launch data the surfaces show is service.LaunchSummary)."""

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

# What a stale control says (bot/forms.py's read_meta raises it): the checklist message is
# re-rendered on every change, so the fresh controls are right there.
STALE_CHECKLIST = "That control is out of date; see the checklist message."
STALE_GO_NO_GO = "That button is out of date; run `/launch go` again."
STALE_TEMPLATE_FORM = "That form is out of date; run `/launch template edit` again."


def item_block_id(launch_id: int, item_id: int) -> str:
    return f"launch.item.{launch_id}.{item_id}"


class ItemRef(BaseModel):
    """A check-off click: the item and the state the clicker asked for, so a double click or
    two people checking the same item leave it checked instead of flipping it back."""

    l: int  # noqa: E741 - short keys keep button values small
    i: int
    d: bool = True


def item_of_block(block_id: str) -> ItemRef:
    """The item a row's owner or due-date control belongs to (its block id names it)."""
    match = ITEM_BLOCK.match(block_id)
    if not match:
        raise UserError(STALE_CHECKLIST)
    return ItemRef(l=int(match.group(1)), i=int(match.group(2)))


class LaunchRef(BaseModel):
    l: int  # noqa: E741


class TemplateMeta(BaseModel):
    editing: str | None = None
