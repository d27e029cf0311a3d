"""The working calendar's own rows: away periods, workspace holidays and snoozes.

Working hours and a person's holiday country live on the person (models/person.py); the
workspace's defaults (hours, holiday country, nudge budget) in its settings (bot/calendar/).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped


class AwayPeriod(Timestamped, Base):
    """A person is away from `starts_on` to `ends_on` (both included, their local dates)."""

    __tablename__ = "away_periods"
    __table_args__ = (Index("ix_away_periods_team_id_user_id_ends_on", "team_id", "user_id", "ends_on"),
                      Index("ix_away_periods_team_id_ends_on", "team_id", "ends_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    note: Mapped[str] = mapped_column(String(800), default="")  # stored representation (bot/usertext.py)
    created_by: Mapped[str] = mapped_column(String(32))


class Holiday(Timestamped, Base):
    """A day the whole workspace is off, set by an ops admin (country presets are computed)."""

    __tablename__ = "holidays"
    __table_args__ = (UniqueConstraint("team_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    day: Mapped[date]
    name: Mapped[str] = mapped_column(String(400), default="")  # stored representation
    created_by: Mapped[str] = mapped_column(String(32))


class Snooze(Timestamped, Base):
    """No nudge of `kind` reaches the person before `until`."""

    __tablename__ = "snoozes"
    __table_args__ = (UniqueConstraint("team_id", "user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(64))
    until: Mapped[datetime]


class DutyRun(Base):
    """The last run of each duty (any process), for /prodops status: survives restarts."""

    __tablename__ = "duty_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(255))
