"""Working hours: which weekdays, from when to when, in the person's own zone.

Stored as three integers on the person (models/person.py: a weekday bit mask and two minute
counts), or in the workspace's settings as its default; None on the person means "the
workspace's". The parser of what people type lives in bot/calendar/parsing.py.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_LONG = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class WorkingHours:
    """Weekdays (0 = Monday) and a start and end in minutes after local midnight (end may be
    1440, the end of the day); start < end: a working period lies within one local day."""

    days: frozenset[int]
    start: int
    end: int

    def __post_init__(self) -> None:
        if not self.days or not self.days <= set(range(7)):
            raise ValueError(f"working days must be a non-empty subset of 0..6, not {sorted(self.days)}")
        if not 0 <= self.start < self.end <= MINUTES_PER_DAY:
            raise ValueError(f"working hours must start before they end within a day ({self.start}..{self.end})")

    @property
    def mask(self) -> int:
        return sum(1 << d for d in self.days)

    @classmethod
    def of_mask(cls, mask: int, start: int, end: int) -> "WorkingHours":
        return cls(frozenset(d for d in range(7) if mask & (1 << d)), start, end)

    def describe(self) -> str:
        """`Mon–Fri 09:00–18:00`, the way people write it."""
        return f"{describe_days(self.days)} {clock_text(self.start)}–{clock_text(self.end)}"

    def to_settings(self) -> dict[str, int]:
        return {"days": self.mask, "start": self.start, "end": self.end}

    @classmethod
    def from_settings(cls, raw: Any) -> "WorkingHours":
        """The workspace default from its settings; anything unreadable is the built-in default."""
        if isinstance(raw, Mapping):
            try:
                return cls.of_mask(int(raw["days"]), int(raw["start"]), int(raw["end"]))
            except (KeyError, TypeError, ValueError):
                pass
        return DEFAULT_HOURS


DEFAULT_HOURS = WorkingHours(frozenset(range(5)), 9 * 60, 18 * 60)  # Mon–Fri 09:00–18:00


def clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def describe_days(days: frozenset[int]) -> str:
    """Runs of consecutive days as ranges: `Mon–Thu`, `Mon, Wed, Fri`, `every day`."""
    if len(days) == 7:
        return "every day"
    ordered = sorted(days)
    runs: list[list[int]] = []
    for d in ordered:
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    parts = []
    for run in runs:
        first, last = DAY_NAMES[run[0]].title(), DAY_NAMES[run[-1]].title()
        parts.append(first if len(run) == 1 else f"{first}, {last}" if len(run) == 2 else f"{first}–{last}")
    return ", ".join(parts)
