"""Launches, their checklist items, the audit trail, and workspace checklist templates."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped, enum_column, utcnow


class Decision(enum.StrEnum):
    GO = "go"
    NO_GO = "no_go"


class LaunchTemplate(Timestamped, Base):
    __tablename__ = "launch_templates"
    __table_args__ = (UniqueConstraint("team_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    # User text is stored in bot/usertext.py's form (longer than typed): widths leave room for it.
    name: Mapped[str] = mapped_column(String(400))
    name_key: Mapped[str] = mapped_column(String(400))  # lower-cased name: unique per workspace
    # [{"function": "engineering", "title": "Code complete", "offset_days": -10}, …]
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(32))


# Ids of deleted launches and items are never handed out again (SQLite would reuse the largest
# one): a stale button, modal or delivery claim keyed by an old id must not reach a new launch.
NO_ID_REUSE = {"sqlite_autoincrement": True}


class Launch(Timestamped, Base):
    __tablename__ = "launches"
    __table_args__ = (
        UniqueConstraint("team_id", "name_key"),
        Index("ix_launches_team_id_launch_date", "team_id", "launch_date"),
        # The minute tick's "launched" check: go decided, not yet marked, by launch day.
        Index("ix_launches_decision_launched_at_launch_date", "decision", "launched_at", "launch_date"),
        NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(400))
    name_key: Mapped[str] = mapped_column(String(400))
    launch_date: Mapped[date]
    channel_id: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[str] = mapped_column(String(32))
    template_name: Mapped[str] = mapped_column(String(400))
    message_ts: Mapped[str | None] = mapped_column(String(32), default=None)
    decision: Mapped[Decision | None] = mapped_column(
        enum_column(Decision, length=8), default=None)
    decided_by: Mapped[str | None] = mapped_column(String(32), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    # Cancelled: kept with its history, out of lists, nudges and escalations; `/launch reopen` clears it.
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)
    cancelled_by: Mapped[str | None] = mapped_column(String(32), default=None)
    created_by: Mapped[str] = mapped_column(String(32))
    # Launched: go decided and launch day reached (in the workspace's zone), set once by the tick
    # that ships the feedback linked to it (bot/launches/shipping.py).
    launched_at: Mapped[datetime | None] = mapped_column(default=None)


class LaunchItem(Timestamped, Base):
    __tablename__ = "launch_items"
    __table_args__ = (Index("ix_launch_items_team_id_owner_id_done", "team_id", "owner_id", "done"), NO_ID_REUSE)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    launch_id: Mapped[int] = mapped_column(ForeignKey("launches.id", ondelete="CASCADE"), index=True)
    function: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(800))
    offset_days: Mapped[int]  # due date relative to launch day: moving the launch moves it
    owner_id: Mapped[str | None] = mapped_column(String(32), default=None)
    done: Mapped[bool] = mapped_column(default=False)
    done_by: Mapped[str | None] = mapped_column(String(32), default=None)
    done_at: Mapped[datetime | None] = mapped_column(default=None)
    position: Mapped[int] = mapped_column(default=0)


class LaunchAudit(Base):
    """Every change to a launch, who made it and when: the trail behind the checklist."""

    __tablename__ = "launch_audit"
    __table_args__ = (Index("ix_launch_audit_launch_id_at", "launch_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    launch_id: Mapped[int] = mapped_column(ForeignKey("launches.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("launch_items.id", ondelete="SET NULL"), default=None)
    actor_id: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class LaunchRisk(Timestamped, Base):
    """Something outside the checklist that holds a launch back (a standup blocker that names
    it): shown on the checklist and counted against go/no-go until it is cleared. Raised once
    per (source, ref), however often the source reports it."""

    __tablename__ = "launch_risks"
    __table_args__ = (UniqueConstraint("launch_id", "source", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    launch_id: Mapped[int] = mapped_column(ForeignKey("launches.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(32))  # "standup"
    ref: Mapped[str] = mapped_column(String(64))  # the source's own id ("blocker:12")
    text: Mapped[str] = mapped_column(Text)  # stored representation
    raised_by: Mapped[str] = mapped_column(String(32))
    cleared_at: Mapped[datetime | None] = mapped_column(default=None)
