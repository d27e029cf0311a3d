"""A person as Slack last told us (users.info or the user_change event), per workspace.

Kept, never deleted, when the person leaves: `deleted` is set once (with `left_at`), so every
feature can hand that person's work to someone else exactly once (bot/people/directory.py).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped, utcnow


class Person(Timestamped, Base):
    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("team_id", "user_id"),
        # The refresh sweeper's queue: people still here, least recently checked first.
        Index("ix_people_deleted_checked_at", "deleted", "checked_at"),
        # The minute tick's one query: whose working period has started (bot/calendar/starts.py).
        Index("ix_people_next_start_at", "next_start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    # As typed in Slack, in the one stored representation (usertext.from_typed); render per surface.
    display_name: Mapped[str] = mapped_column(String(400), default="")
    # IANA zone name from Slack; None when Slack gave none we know (callers fall back to the workspace's).
    tz: Mapped[str | None] = mapped_column(String(64), default=None)
    # Seconds east of UTC as Slack last said (informational: Slack sends no event when DST moves it).
    tz_offset: Mapped[int | None] = mapped_column(default=None)
    is_bot: Mapped[bool] = mapped_column(default=False)
    deleted: Mapped[bool] = mapped_column(default=False)
    left_at: Mapped[datetime | None] = mapped_column(default=None)  # when we first saw `deleted`
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow)  # when Slack last confirmed the row
    # When we last asked Slack (answered or not): the sweeper's order, so a person Slack keeps
    # failing to describe does not hold up everyone behind them.
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Working hours (bot/calendar/hours.py); None: the workspace's default.
    work_days: Mapped[int | None] = mapped_column(default=None)  # bit 0 = Monday … bit 6 = Sunday
    work_start: Mapped[int | None] = mapped_column(default=None)  # minutes after local midnight
    work_end: Mapped[int | None] = mapped_column(default=None)
    # Public holidays of this country (the `holidays` package) instead of the workspace's preset.
    holiday_country: Mapped[str | None] = mapped_column(String(8), default=None)
    # The next start of a working period (UTC), kept by the calendar; None: not computed yet.
    next_start_at: Mapped[datetime | None] = mapped_column(default=None)
