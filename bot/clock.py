"""The one clock: every domain read of the time goes through `now()` (docs/architecture.md, "Time").

In production `now()` is the wall clock (aware UTC). Tests drive it through `CLOCK` (the
`clock` fixture in tests/conftest.py): `set` an instant, `advance` it, `reset` back to the
wall clock. A driven clock stands still between moves, so a test sees exactly the instants
it chose. The whole process shares one clock: the bot under test, its sweepers and the
column defaults in models/base.py all read the driven time.

Not for monotonic timers (cache TTLs, timeouts, backoff: `time.monotonic`, `loop.time`) nor for
the request-signature freshness check in bot/ingress.py, which must compare against real time.

This module imports nothing from the project, so models/ may use it too.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo


class Clock:
    """The wall clock until `set`; then a fixed instant that moves only when told."""

    __slots__ = ("_fixed",)

    def __init__(self) -> None:
        self._fixed: datetime | None = None

    def now(self) -> datetime:
        fixed = self._fixed
        return datetime.now(UTC) if fixed is None else fixed

    @property
    def driven(self) -> bool:
        return self._fixed is not None

    def set(self, instant: datetime) -> datetime:
        """Stand still at `instant` (aware; any offset, kept as UTC). Returns it in UTC."""
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("naive datetime given to the clock; give an aware instant")
        self._fixed = instant.astimezone(UTC)
        return self._fixed

    def advance(self, delta: timedelta) -> datetime:
        """Move forward (or back, with a negative delta) from the driven instant, or from the
        wall clock's current time when not driven yet. Returns the new instant."""
        return self.set(self.now() + delta)

    def reset(self) -> None:
        """Back to the wall clock."""
        self._fixed = None


CLOCK = Clock()


def now() -> datetime:
    """The current instant, aware UTC (the driven one in tests)."""
    return CLOCK.now()


def today_in(tz: str | tzinfo, at: datetime | None = None) -> date:
    """The calendar date in `tz` (a zone name or tzinfo) at `at` (default: now). An unknown
    zone name reads as UTC."""
    where = zone(tz) if isinstance(tz, str) else tz
    return (at or now()).astimezone(where).date()


def zone(name: str | None) -> ZoneInfo:
    """The zone called `name`; UTC for None or a name this server does not know."""
    try:
        return ZoneInfo(name) if name else _UTC
    except (KeyError, ValueError):
        return _UTC


_UTC = ZoneInfo("UTC")
