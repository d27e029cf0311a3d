"""Digests: a channel's scheduled summary of feedback, launches, standups and KPIs, with the
next occurrence it is due (indexed: the minute tick's one query) and what became of the last."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped, enum_column
from models.launch import NO_ID_REUSE


class Cadence(enum.StrEnum):
    DAILY = "daily"  # on each chosen weekday
    WEEKLY = "weekly"  # on one weekday


class WhenEmpty(enum.StrEnum):
    SKIP = "skip"  # nothing to say: nothing posted (the period still counts as done)
    SAY = "say"  # one line saying there was nothing


class Digest(Timestamped, Base):
    __tablename__ = "digests"
    __table_args__ = (
        UniqueConstraint("team_id", "name_key"),
        Index("ix_digests_next_at", "next_at"),  # the minute tick's query (bot/digests/duties.py)
        NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(400))  # stored representation (bot/usertext.py)
    name_key: Mapped[str] = mapped_column(String(400))  # lower-cased plain name: unique per workspace
    channel_id: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[str] = mapped_column(String(32))  # told when a post fails; manages it with ops admins
    cadence: Mapped[Cadence] = mapped_column(enum_column(Cadence, length=8), default=Cadence.DAILY)
    days: Mapped[int] = mapped_column(default=0b0011111)  # bit 0 = Monday … bit 6 = Sunday (weekly: one bit)
    at_minutes: Mapped[int] = mapped_column(default=9 * 60)  # local time, minutes after midnight
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # {"feedback": {"tags": [...]}, "kpis": {"keys": [...]}}: the sections included, each with
    # its filter, read by that section's feature (bot/digests/sections.py).
    sections: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    when_empty: Mapped[WhenEmpty] = mapped_column(enum_column(WhenEmpty, length=8), default=WhenEmpty.SAY)
    paused_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[str] = mapped_column(String(32))
    # The next occurrence (None while paused) and its period: the local date it falls on.
    next_at: Mapped[datetime | None] = mapped_column(default=None)
    next_period: Mapped[str | None] = mapped_column(String(16), default=None)
    # The last post: what "since the last digest" counts from, and where /digest list points.
    last_posted_at: Mapped[datetime | None] = mapped_column(default=None)
    last_period: Mapped[str | None] = mapped_column(String(16), default=None)
    last_channel: Mapped[str | None] = mapped_column(String(32), default=None)
    last_ts: Mapped[str | None] = mapped_column(String(32), default=None)
    # A failure episode (not_in_channel, archived): its owner is told once, when it starts.
    failing_since: Mapped[datetime | None] = mapped_column(default=None)
    failing_reason: Mapped[str | None] = mapped_column(String(255), default=None)
