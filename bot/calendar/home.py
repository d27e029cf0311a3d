"""The App Home card "Your time": the viewer's working hours and zone (`hours_view`, what
`/prodops hours` shows), their away periods in the next 30 days and the next holiday of theirs
(their calendar, `calendar_of`, as every prompt and nudge reads it), with the commands that
change them."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks import Block, context, section
from bot.calendar import service
from bot.calendar.blocks import NAME_SHOWN, span_text
from bot.calendar.load import calendar_of
from bot.calendar.working import Away, Calendar
from bot.home.cards import LIST_MAX, HomeCard, Viewer
from bot.usertext import mrkdwn

AHEAD_DAYS = 30
NOTE_SHOWN = 80


def next_holiday(cal: Calendar, today: date) -> tuple[date, str, str] | None:
    """The first day from today on that is a holiday for them: the workspace's own first, else
    their country's preset (`Calendar.holiday` decides, as for prompts)."""
    own = min((d for d in cal.holidays if d >= today), default=None)
    if cal.country and cal.country_days is not None:
        for year in (today.year, today.year + 1):
            preset = min((d for d in cal.country_days(cal.country, year) if d >= today), default=None)
            if preset is not None:
                if own is None or preset < own:
                    return preset, cal.holiday(preset) or "holiday", "public holiday"
                break
    if own is None:
        return None
    return own, cal.holidays[own] or "holiday", "workspace holiday"


async def build(session: AsyncSession, viewer: Viewer) -> list[Block] | None:
    today = viewer.today
    hours = await service.hours_view(viewer.team_id, viewer.user_id, session=session)
    cal = await calendar_of(session, viewer.team_id, viewer.user_id, from_day=today)
    last = today + timedelta(days=AHEAD_DAYS)
    away = [a for a in cal.away if a.ends_on >= today and a.starts_on <= last]
    return card_blocks(hours, away, next_holiday(cal, today), today)


def _away_line(a: Away, today: date) -> str:
    now = " *(away now)*" if a.covers(today) else ""
    note = f" · {mrkdwn(a.note, limit=NOTE_SHOWN)}" if a.note else ""
    return f"• {span_text(a.starts_on, a.ends_on)}{now}{note}"


def card_blocks(hours: service.HoursView, away: list[Away], holiday: tuple[date, str, str] | None,
                today: date) -> list[Block]:
    source = "your own" if hours.own else "the workspace default"
    zone = "from Slack" if hours.zone_own else "the workspace's"
    lines = [f"*Working hours:* {hours.hours.describe()} ({source}) · *Time zone:* {hours.zone} ({zone})"]
    if away:
        lines.append(f"*Away in the next {AHEAD_DAYS} days:*")
        lines += [_away_line(a, today) for a in away[:LIST_MAX]]
        if len(away) > LIST_MAX:
            lines.append(f"…and {len(away) - LIST_MAX} more: `/prodops away`")
    else:
        lines.append(f"*Away:* nothing in the next {AHEAD_DAYS} days")
    if holiday is not None:
        day, name, kind = holiday
        lines.append(f"*Next holiday:* {day.isoformat()} ({day.strftime('%a')}) {mrkdwn(name, limit=NAME_SHOWN)} "
                     f"({kind})")
    first, back = today + timedelta(days=14), today + timedelta(days=18)
    return [section("*Your time*"), section("\n".join(lines)),
            context(f"Change them: `/prodops hours 08:30-17:00 mon-thu` · `/prodops away {first.isoformat()} "
                    f"{back.isoformat()}` (`/prodops away off` when back) · `/prodops holidays` lists the days off")]


CARD = HomeCard("calendar", build, shows_all="`/prodops away list`")
