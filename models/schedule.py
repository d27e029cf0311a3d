"""Recurring jobs a workspace configured (digests, nudges); the scheduler loads them from here."""
from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped


class Schedule(Timestamped, Base):
    __tablename__ = "schedules"
    __table_args__ = (Index("ix_schedules_team_id_kind", "team_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    cron: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    channel_id: Mapped[str | None] = mapped_column(String(32), default=None)
    enabled: Mapped[bool] = mapped_column(default=True)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
