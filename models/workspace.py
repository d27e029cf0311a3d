"""A Slack workspace (created on first contact) and its configured ops admins."""
from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped


class Workspace(Timestamped, Base):
    __tablename__ = "workspaces"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Per-feature settings (e.g. the feedback emoji) that need no query of their own.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Last feedback number handed out; incremented with UPDATE … RETURNING, so never reused.
    feedback_seq: Mapped[int] = mapped_column(default=0, server_default="0")


class OpsAdmin(Timestamped, Base):
    __tablename__ = "ops_admins"

    team_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.team_id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    added_by: Mapped[str] = mapped_column(String(32))
