"""Feedback items, their reporters (votes) and tags."""
from __future__ import annotations

import enum
from typing import Any
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped, enum_column


class FeedbackStatus(enum.StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    PLANNED = "planned"
    SHIPPED = "shipped"
    DECLINED = "declined"
    MERGED = "merged"


class CaptureState(enum.StrEnum):
    """A reaction is stored at once as PENDING; reading the message happens after the ack."""

    PENDING = "pending"
    READY = "ready"


class FeedbackSource(enum.StrEnum):
    REACTION = "reaction"
    SHORTCUT = "shortcut"
    COMMAND = "command"


class Importance(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class FeedbackItem(Timestamped, Base):
    __tablename__ = "feedback_items"
    __table_args__ = (
        UniqueConstraint("team_id", "number"),
        # One item per Slack message; NULL ts (typed with /feedback) never collides.
        UniqueConstraint("team_id", "channel_id", "message_ts"),
        Index("ix_feedback_items_team_id_status_created_at", "team_id", "status", "created_at"),
        # What a person owns (their App Home card).
        Index("ix_feedback_items_team_id_owner_id", "team_id", "owner_id"),
        # The digest's feedback section (bot/feedback/digest.py): items filed in a period, any
        # status; and items shipped in a period (closed_at is when the status was set).
        Index("ix_feedback_items_team_id_created_at", "team_id", "created_at"),
        Index("ix_feedback_items_team_id_status_closed_at", "team_id", "status", "closed_at"),
        # The sweeper's queue: pending captures by when they are next due, soonest first.
        Index("ix_feedback_items_capture_state_capture_next_at", "capture_state", "capture_next_at"),
        # The feedback a launch ships (its checklist's count, and shipping on launch day).
        Index("ix_feedback_items_launch_id", "launch_id"),
        # `/feedback list top`: most votes first, served by the maintained count.
        Index("ix_feedback_items_team_id_votes_number", "team_id", "votes", "number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text, default="")
    customer: Mapped[str | None] = mapped_column(String(1200), default=None)
    product_area: Mapped[str | None] = mapped_column(String(500), default=None)
    importance: Mapped[Importance | None] = mapped_column(enum_column(Importance), default=None)
    status: Mapped[FeedbackStatus] = mapped_column(enum_column(FeedbackStatus), default=FeedbackStatus.NEW)
    capture_state: Mapped[CaptureState] = mapped_column(enum_column(CaptureState), default=CaptureState.READY)
    # While PENDING: how often reading the message failed, and when to try next (or when a
    # sweeper's lease on it runs out); NULL once the capture is done.
    capture_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    capture_next_at: Mapped[datetime | None] = mapped_column(default=None)
    source: Mapped[FeedbackSource] = mapped_column(enum_column(FeedbackSource))
    channel_id: Mapped[str | None] = mapped_column(String(32), default=None)
    message_ts: Mapped[str | None] = mapped_column(String(32), default=None)
    author_id: Mapped[str | None] = mapped_column(String(32), default=None)
    permalink: Mapped[str | None] = mapped_column(String(512), default=None)
    created_by: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[str | None] = mapped_column(String(32), default=None)
    outcome_note: Mapped[str | None] = mapped_column(Text, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    # When it first left `new` (triaged, planned, closed, merged): time to triage (issue 18).
    triaged_at: Mapped[datetime | None] = mapped_column(default=None)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_items.id", ondelete="SET NULL"), default=None, index=True
    )
    # The launch that ships it (`/feedback link`): when that launch is launched, the item is
    # shipped and its reporters are told, with `ship_note` (what to say) as the outcome note.
    launch_id: Mapped[int | None] = mapped_column(ForeignKey("launches.id", ondelete="SET NULL"), default=None)
    # Its reporters, counted: kept by the database's own triggers on feedback_reporters
    # (migration 0014), whichever path adds, moves or removes a reporter.
    votes: Mapped[int] = mapped_column(default=0, server_default="0")
    ship_note: Mapped[str | None] = mapped_column(Text, default=None)
    # What search finds it by (bot/feedback/search.py `document`: text, customer, area, tags,
    # normalized in Python), indexed by FTS5 on SQLite and a GIN index on PostgreSQL (0015).
    search_doc: Mapped[str] = mapped_column(Text, default="", server_default="")


class FeedbackReporter(Timestamped, Base):
    """A person who filed or +1'd an item: one vote per person per item."""

    __tablename__ = "feedback_reporters"
    __table_args__ = (
        UniqueConstraint("item_id", "user_id"),
        # The digest's votes in a period, grouped by item without reading the rows.
        Index("ix_feedback_reporters_team_id_created_at_item_id", "team_id", "created_at", "item_id"),
        # What a person reported (their App Home card).
        Index("ix_feedback_reporters_team_id_user_id", "team_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_items.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    source: Mapped[FeedbackSource] = mapped_column(enum_column(FeedbackSource))
    details: Mapped[str | None] = mapped_column(Text, default=None)


class FeedbackTag(Base):
    __tablename__ = "feedback_tags"
    __table_args__ = (
        UniqueConstraint("item_id", "tag"),
        Index("ix_feedback_tags_team_id_tag", "team_id", "tag"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_items.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(64))


class ExportStatus(enum.StrEnum):
    PENDING = "pending"  # asked for; a worker takes it (a lease)
    RUNNING = "running"
    DONE = "done"  # the file was shared with the person
    FAILED = "failed"  # given up; the person was told why


class ExportJob(Timestamped, Base):
    """A `/feedback export`: stored when asked, so a restart resumes it and its file is
    delivered once."""

    __tablename__ = "export_jobs"
    __table_args__ = (Index("ix_export_jobs_status_lease_until", "status", "lease_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[ExportStatus] = mapped_column(enum_column(ExportStatus), default=ExportStatus.PENDING)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)  # a worker's hold; past it, free
    attempts: Mapped[int] = mapped_column(default=0)
    rows: Mapped[int | None] = mapped_column(default=None)
    file_id: Mapped[str | None] = mapped_column(String(32), default=None)  # Slack's, once uploaded
    error: Mapped[str | None] = mapped_column(String(255), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
