"""Claims on outgoing posts (digests, nudges): one claimer per (team, kind, key, period)."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped, enum_column, utcnow


class DeliveryStatus(enum.StrEnum):
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"


class Delivery(Timestamped, Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("team_id", "kind", "key", "period"),
        Index("ix_deliveries_status_claimed_at", "status", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    period: Mapped[str] = mapped_column(String(64))
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column(DeliveryStatus),
        default=DeliveryStatus.CLAIMED,
    )
    claim_token: Mapped[str] = mapped_column(String(36))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(default=1)
    last_error: Mapped[str | None] = mapped_column(String(255), default=None)
