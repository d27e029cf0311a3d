"""KPIs: their definitions (target, owner, source), their values, and the pulls that failed."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped, enum_column, utcnow
from models.launch import NO_ID_REUSE


class KpiUnit(enum.StrEnum):
    PERCENT = "percent"
    COUNT = "count"
    CURRENCY = "currency"
    RATIO = "ratio"
    DURATION = "duration"


class Direction(enum.StrEnum):
    HIGHER = "higher"  # higher is better
    LOWER = "lower"


class KpiSource(enum.StrEnum):
    MANUAL = "manual"  # logged with /kpi log (and pushed, when it has a token)
    HTTP = "http"  # pulled on a schedule
    BUILTIN = "builtin"  # computed by the bot from its own data: a working agreement (models/agreement.py)


class Kpi(Timestamped, Base):
    __tablename__ = "kpis"
    __table_args__ = (
        UniqueConstraint("team_id", "key"),
        Index("ix_kpis_next_pull_at", "next_pull_at"),  # the minute tick's pulls
        Index("ix_kpis_stale_at", "stale_at"),  # the minute tick's staleness check
        Index("ix_kpis_push_token_hash", "push_token_hash"),  # a push finds its KPI by the token's hash
        Index("ix_kpis_team_id_channel_id", "team_id", "channel_id"),  # a channel digest's KPIs (bot/kpis/digest.py)
        NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))  # a slug: activation, nps, tickets-per-week
    name: Mapped[str] = mapped_column(String(400))  # stored representation (bot/usertext.py)
    unit: Mapped[KpiUnit] = mapped_column(enum_column(KpiUnit, length=10), default=KpiUnit.COUNT)
    direction: Mapped[Direction] = mapped_column(enum_column(Direction, length=8), default=Direction.HIGHER)
    target: Mapped[float | None] = mapped_column(default=None)
    band_low: Mapped[float | None] = mapped_column(default=None)  # on target within [low, high]
    band_high: Mapped[float | None] = mapped_column(default=None)
    owner_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    stale_days: Mapped[int] = mapped_column(default=7)
    change_pct: Mapped[float | None] = mapped_column(default=None)  # a move larger than this % gets a note
    change_baseline: Mapped[float | None] = mapped_column(default=None)  # …when the previous value is at least this
    source: Mapped[KpiSource] = mapped_column(enum_column(KpiSource, length=8), default=KpiSource.MANUAL)
    pull_url: Mapped[str | None] = mapped_column(Text, default=None)
    pull_header_name: Mapped[str | None] = mapped_column(String(100), default=None)
    pull_header_value: Mapped[str | None] = mapped_column(Text, default=None)  # a secret: never shown back
    pull_path: Mapped[str | None] = mapped_column(String(200), default=None)
    pull_every: Mapped[int | None] = mapped_column(default=None)  # minutes
    next_pull_at: Mapped[datetime | None] = mapped_column(default=None)
    push_token_hash: Mapped[str | None] = mapped_column(String(64), default=None)  # sha256 hex of the token
    # Episodes, so each nudge goes once: failing since (a failed pull), stale at (no value by then).
    failing_since: Mapped[datetime | None] = mapped_column(default=None)
    failing_reason: Mapped[str | None] = mapped_column(String(255), default=None)
    stale_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[str] = mapped_column(String(32))


class KpiValue(Base):
    __tablename__ = "kpi_values"
    __table_args__ = (Index("ix_kpi_values_kpi_id_at", "kpi_id", "at"), NO_ID_REUSE)

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"))
    team_id: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]  # the instant the value is for
    value: Mapped[float]
    source: Mapped[str] = mapped_column(String(8))  # manual | pull | push
    by: Mapped[str | None] = mapped_column(String(32), default=None)  # who logged it
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class KpiPull(Base):
    """A pull that failed, with why (the ones that worked are values)."""

    __tablename__ = "kpi_pulls"
    __table_args__ = (Index("ix_kpi_pulls_kpi_id_at", "kpi_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"))
    team_id: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text)


class KpiLaunch(Base):
    """A launch a KPI is watched for (`/kpi link`): its charts and `/kpi show` mark the linked
    launches' dates instead of every launch's."""

    __tablename__ = "kpi_launches"
    __table_args__ = (UniqueConstraint("kpi_id", "launch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"))
    launch_id: Mapped[int] = mapped_column(ForeignKey("launches.id", ondelete="CASCADE"), index=True)
    linked_by: Mapped[str] = mapped_column(String(32))
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
