"""Working agreements (issue 18): a target on a process metric the bot computes from its own
data. The agreement IS a KPI (`kpis.source = builtin`): its target, owner, channel, values,
charts, nudges, digest section and home cards are the KPI feature's. This table holds what the
KPI row cannot: which metric, its scope and parameters, and when its next daily value is due.
`agreement_days` is the once-per-day arbiter: one row per agreement and local day."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped
from models.launch import NO_ID_REUSE


class Agreement(Timestamped, Base):
    __tablename__ = "agreements"
    __table_args__ = (
        Index("ix_agreements_next_at", "next_at"),
        Index("ix_agreements_team_id", "team_id"),
        NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"), unique=True)
    metric: Mapped[str] = mapped_column(String(40))  # bot/agreements/metrics.py METRICS
    function: Mapped[str | None] = mapped_column(String(32), default=None)  # a checklist function, or all
    standup_id: Mapped[int | None] = mapped_column(ForeignKey("standups.id", ondelete="CASCADE"), default=None)
    within_days: Mapped[int] = mapped_column(default=3)  # working days the agreement allows
    window_days: Mapped[int] = mapped_column(default=30)  # the calendar days one daily value covers
    next_at: Mapped[datetime | None] = mapped_column(default=None)  # the next daily value is due
    created_by: Mapped[str] = mapped_column(String(32))


class AgreementDay(Base):
    __tablename__ = "agreement_days"
    __table_args__ = (UniqueConstraint("agreement_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"))
    team_id: Mapped[str] = mapped_column(String(32))
    day: Mapped[date]
    value: Mapped[float | None] = mapped_column(default=None)  # None: nothing to measure that day
    kept: Mapped[int] = mapped_column(default=0)
    broken: Mapped[int] = mapped_column(default=0)
    kpi_value_id: Mapped[int | None] = mapped_column(ForeignKey("kpi_values.id", ondelete="SET NULL"), default=None)
    computed_at: Mapped[datetime]
