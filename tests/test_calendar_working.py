"""The pure working calendar (bot/calendar/working.py): DST-correct starts, a half-hour offset,
holidays and away as days off. No database, no app: fast."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.calendar.holidays import public_holidays
from bot.calendar.hours import WorkingHours
from bot.calendar.working import Away, Calendar

NEW_YORK = ZoneInfo("America/New_York")
EVERY_DAY = frozenset(range(7))


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def starts(cal: Calendar, after: datetime, count: int) -> list[datetime]:
    found: list[datetime] = []
    for _ in range(count):
        nxt = cal.next_start(after)
        assert nxt is not None
        found.append(nxt)
        after = nxt
    return found


def test_nine_local_on_both_sides_of_new_york_transitions() -> None:
    cal = Calendar("T", "U", NEW_YORK, WorkingHours(EVERY_DAY, 9 * 60, 18 * 60))
    spring = starts(cal, at(2026, 3, 6, 0), 4)  # 2026-03-08: clocks go forward at 02:00
    assert spring == [at(2026, 3, 6, 14), at(2026, 3, 7, 14), at(2026, 3, 8, 13), at(2026, 3, 9, 13)]
    autumn = starts(cal, at(2026, 10, 31, 0), 3)  # 2026-11-01: clocks go back at 02:00
    assert autumn == [at(2026, 10, 31, 13), at(2026, 11, 1, 14), at(2026, 11, 2, 14)]
    for start in spring + autumn:
        local = start.astimezone(NEW_YORK)
        assert (local.hour, local.minute) == (9, 0)
    assert cal.working_days_between(date(2026, 3, 6), date(2026, 3, 9)) == 4


def test_a_start_in_the_spring_gap_is_neither_skipped_nor_doubled() -> None:
    cal = Calendar("T", "U", NEW_YORK, WorkingHours(EVERY_DAY, 2 * 60 + 30, 5 * 60))  # 02:30 never happens on 03-08
    week = starts(cal, at(2026, 3, 7, 12), 3)
    assert [cal.local_date(s) for s in week] == [date(2026, 3, 8), date(2026, 3, 9), date(2026, 3, 10)]
    assert at(2026, 3, 8, 7) <= week[0] <= at(2026, 3, 8, 7, 30)  # just after the gap (03:00–03:30 EDT)
    assert week[1] == at(2026, 3, 9, 6, 30)


def test_a_start_in_the_autumn_fold_is_its_first_occurrence_once() -> None:
    cal = Calendar("T", "U", NEW_YORK, WorkingHours(EVERY_DAY, 90, 5 * 60))  # 01:30 happens twice on 11-01
    week = starts(cal, at(2026, 10, 31, 12), 3)
    assert week == [at(2026, 11, 1, 5, 30), at(2026, 11, 2, 6, 30), at(2026, 11, 3, 6, 30)]


def test_half_hour_offset_of_kolkata() -> None:
    cal = Calendar("T", "U", ZoneInfo("Asia/Kolkata"))  # Mon–Fri 09:00–18:00
    assert cal.next_start(at(2026, 6, 1, 0)) == at(2026, 6, 1, 3, 30)
    assert not cal.is_working(at(2026, 6, 1, 3, 29)) and cal.is_working(at(2026, 6, 1, 3, 30))
    period = cal.period_on(date(2026, 6, 1))
    assert period is not None and period.end == at(2026, 6, 1, 12, 30)
    assert cal.next_start(at(2026, 6, 5, 4)) == at(2026, 6, 8, 3, 30)  # Friday's has begun: Monday's


def test_holidays_and_away_are_days_off() -> None:
    cal = Calendar("T", "U", ZoneInfo("Europe/Berlin"), holidays={date(2026, 12, 24): "Christmas Eve"},
                   country="DE", away=(Away(date(2026, 12, 28), date(2026, 12, 31), "skiing"),),
                   country_days=public_holidays)
    assert cal.day_off(date(2026, 12, 24)) == "holiday (Christmas Eve)"
    assert cal.day_off(date(2026, 12, 25)) == "holiday (Christmas Day)"
    assert cal.day_off(date(2026, 12, 26)) == "not a working day"  # a Saturday first
    assert cal.day_off(date(2026, 12, 29)) == "away"
    assert cal.is_working_day(date(2026, 12, 23))
    # After Wednesday the 23rd: holidays, a weekend, away, New Year's Day, a weekend, then Monday.
    assert cal.next_start(at(2026, 12, 23, 12)) == at(2027, 1, 4, 8)
    assert cal.resume_at(at(2026, 12, 24, 10)) == at(2027, 1, 4, 8)
    assert cal.working_days_between(date(2026, 12, 21), date(2027, 1, 8)) == 3 + 5
    assert cal.working_days_between(date(2027, 1, 8), date(2027, 1, 1)) == 0
    assert cal.start_of_day(at(2026, 12, 23, 12)) == at(2026, 12, 22, 23)
    assert cal.next_start(at(2026, 12, 23, 12)) - at(2026, 12, 23, 12) > timedelta(days=11)


def test_holiday_names_are_english_whatever_the_servers_locale(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The `holidays` package follows LANG; names shown to people must not change with it."""
    from datetime import date

    from bot.calendar.holidays import public_holidays

    public_holidays.cache_clear()
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    monkeypatch.setenv("LC_ALL", "de_DE.UTF-8")
    try:
        assert public_holidays("DE", 2026)[date(2026, 12, 25)] == "Christmas Day"
    finally:
        public_holidays.cache_clear()
