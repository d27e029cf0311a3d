"""Action, view and block ids for launches, and the small models carried in them."""
from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, Field

# A database id fits 32 bits: a forged bigger one is "out of date", not a database error.
ID_MAX = 2**31 - 1


class Command(StrEnum):
    LAUNCH = "/launch"  # the manifest declares it (bot/help.py's LAUNCH)


class LaunchAction(StrEnum):
    """action_id of the checklist's controls, the nudge's "Mark done" and the go/no-go buttons."""

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
    DELETE = "launch.delete"  # the confirmation `/launch delete` opens


class Field_(StrEnum):
    """block_id and action_id of modal inputs (the same string for both)."""

    NAME = "name"
    DATE = "date"
    CHANNEL = "channel"
    TEMPLATE = "template"
    OWNER = "owner"
    ITEMS = "items"


ITEM_BLOCK = re.compile(r"^launch\.item\.(\d+)\.(\d+)$")

# What a stale control says (bot/launches/forms.py reads the controls back): the checklist message is
# re-rendered on every change, so the fresh controls are right there.
STALE_CHECKLIST = "That control is out of date; see the checklist message."
STALE_GO_NO_GO = "That button is out of date; run `/launch go` again."
STALE_TEMPLATE_FORM = "That form is out of date; run `/launch template edit` again."
STALE_DELETE_FORM = "That confirmation is out of date; run `/launch delete \"Name\"` again."


def item_block_id(launch_id: int, item_id: int) -> str:
    return f"launch.item.{launch_id}.{item_id}"


class ItemRef(BaseModel):
    """A check-off click: the item and the state the clicker asked for, so a double click or
    two people checking the same item leave it checked instead of flipping it back."""

    l: int = Field(ge=1, le=ID_MAX)  # noqa: E741 - short keys keep button values small
    i: int = Field(ge=1, le=ID_MAX)
    d: bool = True


class LaunchRef(BaseModel):
    l: int = Field(ge=1, le=ID_MAX)  # noqa: E741


class TemplateMeta(BaseModel):
    editing: str | None = None


class DeleteMeta(BaseModel):
    """The delete confirmation's private_metadata: the launch by id (never found by name again,
    so a launch made since under the same name is not the one deleted), its name for the
    answer, and the channel the command came from, where the outcome is said."""

    l: int  # noqa: E741
    n: str = ""
    c: str = ""
