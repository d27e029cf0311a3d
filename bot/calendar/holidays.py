"""Public-holiday presets by country, from the `holidays` package (computed, never stored)."""
from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

import holidays as holiday_data


LANGUAGE = "en_US"  # holiday names as shown to people; a country without it falls back to its own


@lru_cache(maxsize=1)
def supported_countries() -> frozenset[str]:
    return frozenset(holiday_data.list_supported_countries())


def known_country(code: str) -> str | None:
    """The ISO 3166-1 alpha-2 code in canonical form, or None when the package has no such country."""
    code = code.strip().upper()
    return code if code in supported_countries() else None


@lru_cache(maxsize=512)
def public_holidays(code: str, year: int) -> dict[date, str]:
    """The country's public holidays in `year` (name per day), cached: a tick asks often."""
    try:
        # In English whatever the server's locale (the package otherwise follows LANG).
        return dict(holiday_data.country_holidays(code, years=year, language=LANGUAGE).items())
    except NotImplementedError:  # a code stored before the package dropped it
        return {}


def country_name(code: str) -> str:
    """`Germany` for `DE` (the package's class name for the country), else the code itself."""
    cls = holiday_data.country_holidays(code).__class__ if known_country(code) else None
    base = cls.__mro__[1].__name__ if cls is not None and len(cls.__mro__) > 1 else ""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", base) if base and base != "HolidayBase" else code
