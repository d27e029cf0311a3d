"""Claims on outgoing posts (digests, nudges): one claimer per (team, kind, key, period)."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped, enum_column, utcnow


class DeliveryStatus(enum.StrEnum):
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    # The notifier's (bot/notify/): waiting for a working period, a snooze or a retry (`next_at`);
    # given up on, with the reason in `note`; folded into a later nudge by the budget; past
    # its duty's grace when the tick found it (the bot was down).
    HELD = "held"
    DROPPED = "dropped"
    FOLDED = "folded"
    SKIPPED = "skipped"


class Delivery(Timestamped, Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("team_id", "kind", "key", "period"),
        Index("ix_deliveries_status_claimed_at", "status", "claimed_at"),
        # The notifier's sweep: held and failed rows whose next try is due.
        Index("ix_deliveries_status_next_at", "status", "next_at"),
        # The nudge budget: what a person was sent on their local day.
        Index("ix_deliveries_team_id_recipient_sent_at", "team_id", "recipient", "sent_at"),
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
    # The notifier's columns (bot/notify/); None on claims made without it.
    recipient: Mapped[str | None] = mapped_column(String(32), default=None)  # a user or channel id
    next_at: Mapped[datetime | None] = mapped_column(default=None)  # when a held or failed row is tried again
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)  # what the kind's render needs
    what: Mapped[str] = mapped_column(String(255), default="")  # one line for people and logs
    nudge: Mapped[bool] = mapped_column(default=False)  # counts against the budget, carries snooze
    folded_into: Mapped[int | None] = mapped_column(default=None)  # the nudge that said "and N more"
    note: Mapped[str | None] = mapped_column(String(255), default=None)  # why held, dropped or skipped
