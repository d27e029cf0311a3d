"""Action, view and field ids for digests, and the small models carried in them."""
from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

ID = Field(ge=1, le=2**31 - 1)  # a forged value out of range is stale, not a database error


class Command(StrEnum):
    DIGEST = "/digest"  # the manifest declares it (bot/digests/help.py)


class DigestView(StrEnum):
    SETUP = "digest.setup"
    DELETE = "digest.delete"


class Field_(StrEnum):
    """block_id and action_id of the setup form's own inputs (a section's start with its name)."""

    NAME = "name"
    CHANNEL = "channel"
    CADENCE = "cadence"
    DAYS = "days"
    TIME = "time"
    TIMEZONE = "timezone"
    SECTIONS = "sections"
    WHEN_EMPTY = "when_empty"
    OWNER = "owner"


STALE_FORM = "That form is out of date; run the command again."


class SetupMeta(BaseModel):
    d: int | None = Field(default=None, ge=1, le=2**31 - 1)  # the digest being edited; None for a new one
    c: str = Field(default="", max_length=32)  # the channel the command came from (where the outcome is said)


class DeleteMeta(BaseModel):
    d: int = ID
    n: str = Field(default="", max_length=2000)
    c: str = Field(default="", max_length=32)
