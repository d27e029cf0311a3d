"""Action, view and field ids for standups, and the small models carried in them."""
from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

ID = Field(ge=1, le=2**31 - 1)  # a row id: a forged value out of range is stale, not a database error


class Command(StrEnum):
    STANDUP = "/standup"  # the manifest declares it (bot/standups/help.py)


class StandupAction(StrEnum):
    FILL = "standup.fill"  # the prompt's, the reminder's and /standup's "Fill in standup" button


class StandupView(StrEnum):
    SETUP = "standup.setup"
    ANSWER = "standup.answer"
    DELETE = "standup.delete"


class Field_(StrEnum):
    """block_id and action_id of the setup form's inputs (the same string for both)."""

    NAME = "name"
    CHANNEL = "channel"
    MEMBERS = "members"
    QUESTIONS = "questions"
    DAYS = "days"
    PROMPT = "prompt"
    DEADLINE = "deadline"
    MODE = "mode"
    OWNER = "owner"


def answer_field(index: int) -> str:
    return f"q{index}"


STALE_BUTTON = "That button is out of date; run `/standup` to fill in today's standup."
STALE_FORM = "That form is out of date; run the command again."


class DayRef(BaseModel):
    """A standup and the day an answer is for: the button's value and the answer form's metadata."""

    s: int = ID
    d: str  # ISO date


class SetupMeta(BaseModel):
    s: int | None = Field(default=None, ge=1, le=2**31 - 1)  # the standup being edited; None for a new one
    c: str = ""  # the channel the command came from (where the outcome is said)


class DeleteMeta(BaseModel):
    s: int = ID
    n: str = ""
    c: str = ""
