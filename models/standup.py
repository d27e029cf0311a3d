"""Standups: their setup, who takes part (with each one's next due instant), the answers per
person and day, the day's summary post, and blockers carried from day to day."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped, enum_column, utcnow
from models.launch import NO_ID_REUSE


class PostMode(enum.StrEnum):
    EACH = "each"  # each answer goes up as it arrives; the summary at the deadline
    SUMMARY = "summary"  # one summary at the deadline, each answer in its thread


class Standup(Timestamped, Base):
    __tablename__ = "standups"
    __table_args__ = (
        UniqueConstraint("team_id", "name_key"),
        # The minute tick's query for the day's summaries (bot/standups/duties.py).
        Index("ix_standups_next_summary_at", "next_summary_at"),
        # A channel digest's standups: those reporting in its channel (bot/standups/digest.py).
        Index("ix_standups_team_id_channel_id", "team_id", "channel_id"),
        NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(400))  # stored representation (bot/usertext.py)
    name_key: Mapped[str] = mapped_column(String(400))  # lower-cased plain name: unique per workspace
    channel_id: Mapped[str] = mapped_column(String(32))  # the report channel
    owner_id: Mapped[str] = mapped_column(String(32))  # told about blockers; manages it with ops admins
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)  # stored representation each
    days: Mapped[int] = mapped_column(default=0b0011111)  # bit 0 = Monday … bit 6 = Sunday
    prompt_at: Mapped[int] = mapped_column(default=9 * 60 + 30)  # minutes after each participant's local midnight
    deadline_at: Mapped[int] = mapped_column(default=11 * 60)
    mode: Mapped[PostMode] = mapped_column(enum_column(PostMode, length=8), default=PostMode.EACH)
    paused_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[str] = mapped_column(String(32))
    # The next day's summary: the latest participant deadline that day (None: compute it).
    next_summary_at: Mapped[datetime | None] = mapped_column(default=None)
    next_summary_day: Mapped[date | None] = mapped_column(default=None)


class StandupMember(Base):
    """A participant, with the next prompt or reminder due for them (in their own zone)."""

    __tablename__ = "standup_members"
    __table_args__ = (
        UniqueConstraint("standup_id", "user_id"),
        Index("ix_standup_members_next_at", "next_at"),
        Index("ix_standup_members_team_id_user_id", "team_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    standup_id: Mapped[int] = mapped_column(ForeignKey("standups.id", ondelete="CASCADE"))
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_at: Mapped[datetime | None] = mapped_column(default=None)  # None: compute it
    next_day: Mapped[date | None] = mapped_column(default=None)  # the standup day next_at belongs to
    next_event: Mapped[str | None] = mapped_column(String(8), default=None)  # prompt | remind


class StandupAnswer(Timestamped, Base):
    """One person's answers for one standup day, and where they are posted."""

    __tablename__ = "standup_answers"
    __table_args__ = (
        UniqueConstraint("standup_id", "user_id", "day"),
        Index("ix_standup_answers_standup_id_day", "standup_id", "day"),
        NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    standup_id: Mapped[int] = mapped_column(ForeignKey("standups.id", ondelete="CASCADE"))
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    day: Mapped[date]
    answers: Mapped[list[str]] = mapped_column(JSON, default=list)  # per question, stored representation
    late: Mapped[bool] = mapped_column(default=False)  # first given after that day's deadline
    version: Mapped[int] = mapped_column(default=1)  # bumped by every edit
    posted_version: Mapped[int] = mapped_column(default=0)  # what the posted message shows
    # True until the posted message shows `version`: the sweeper's queue (a crash after the
    # commit, Slack down) is this index, not a scan of the day's answers.
    unposted: Mapped[bool] = mapped_column(default=True, index=True)
    message_channel: Mapped[str | None] = mapped_column(String(32), default=None)
    message_ts: Mapped[str | None] = mapped_column(String(32), default=None)


class StandupDay(Base):
    """A day's summary message (its thread holds the answers of a summary-mode standup)."""

    __tablename__ = "standup_days"
    __table_args__ = (UniqueConstraint("standup_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    standup_id: Mapped[int] = mapped_column(ForeignKey("standups.id", ondelete="CASCADE"))
    team_id: Mapped[str] = mapped_column(String(32))
    day: Mapped[date]
    channel_id: Mapped[str] = mapped_column(String(32))
    summary_ts: Mapped[str | None] = mapped_column(String(32), default=None)
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)


class StandupBlocker(Timestamped, Base):
    """A blocker from the day it was first reported until an answer says there is none."""

    __tablename__ = "standup_blockers"
    __table_args__ = (
        Index("ix_standup_blockers_standup_id_user_id_cleared_on", "standup_id", "user_id", "cleared_on"),
        NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    standup_id: Mapped[int] = mapped_column(ForeignKey("standups.id", ondelete="CASCADE"))
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)  # stored representation, as last reported
    since: Mapped[date]  # the standup day it was first reported
    last_day: Mapped[date]  # the latest day an answer reported it
    cleared_on: Mapped[date | None] = mapped_column(default=None)
    launch_id: Mapped[int | None] = mapped_column(default=None)  # the launch it names, when it names one
