"""Action, view, shortcut and block ids for feedback, and the small models carried in them."""
from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from models.feedback import FeedbackStatus


class FeedbackAction(StrEnum):
    ADD_DETAILS = "feedback.add_details"
    STATUS = "feedback.status"
    OWNER = "feedback.owner"
    EDIT = "feedback.edit"
    PAGE = "feedback.page"
    DELETE = "feedback.delete"
    KEEP = "feedback.keep"
    TYPO_RUN = "feedback.typo.run"
    TYPO_FILE = "feedback.typo.file"
    LINK = "feedback.link"  # the card's "Ships with…" button: the launch picker


class FeedbackView(StrEnum):
    CAPTURE = "feedback.capture"
    DETAILS = "feedback.details"
    CLOSE = "feedback.close"
    EDIT = "feedback.edit"
    LINK = "feedback.link"


class FeedbackShortcut(StrEnum):
    FILE_MESSAGE = "feedback.file_message"


class Field_(StrEnum):
    """block_id and action_id of modal inputs (the same string for both)."""

    TEXT = "text"
    CUSTOMER = "customer"
    AREA = "area"
    TAGS = "tags"
    IMPORTANCE = "importance"
    NOTE = "note"
    DETAILS = "details"
    LAUNCH = "launch"


class CaptureMeta(BaseModel):
    """private_metadata of the capture modal: where the feedback came from."""

    channel_id: str | None = None
    message_ts: str | None = None
    author_id: str | None = None
    shortcut: bool = False


class ItemRef(BaseModel):
    number: int = Field(ge=1, le=2**31 - 1)  # a forged huge number is "out of date", not a crash


class DeleteRef(ItemRef):
    """The delete question's buttons: the item asked about (numbers are never reused, so a
    number names one item for good; the click still re-reads it and re-checks who may)."""


class TypoRef(BaseModel):
    """The typo question's buttons: the text as typed, and a key that files it at most once."""

    text: str = Field(min_length=1, max_length=1500)
    once: str = Field(min_length=8, max_length=40, pattern=r"^[0-9a-f]+$")


class CloseMeta(ItemRef):
    status: FeedbackStatus  # metadata that names no status is out of date, like any other


class PageRef(BaseModel):
    """A list page button: the filters travel with it (well under the 2,000-char value limit)."""

    # Bounded as the buttons the bot draws are: a forged value is refused as stale, not a crash.
    status: FeedbackStatus | None = None
    tags: list[str] = Field(default_factory=list, max_length=10)
    area: str | None = Field(default=None, max_length=100)
    words: list[str] = Field(default_factory=list, max_length=10)
    sort: Literal["new", "top"] = "new"
    page: int = Field(1, ge=1, le=100_000)
