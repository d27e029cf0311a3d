"""The App Home card "Your standups today": each running standup the viewer takes part in, the
day `/standup` would open for them now (bot/standups/requests.py `day_to_answer`), answered or
its "Fill in standup" button (the prompt's own action, so the same form opens), the deadline on
their clock, and their open blocker."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks import Block, context, section
from bot.home.cards import LIST_MAX, HomeCard, Viewer
from bot.standups import requests, schedule, service
from bot.standups.blocks import counted, day_label, fill_button
from bot.usertext import mrkdwn, plain

NAME_SHOWN = 80
BLOCKER_SHOWN = 200
_DIGITS = re.compile(r"([0-9]+)")


def natural_key(name: str) -> tuple[tuple[int, int, str], ...]:
    """Names as people read them: numbers as numbers, case ignored ("S2" before "S10", "s3"
    between them), so a team's numbered standups come in order."""
    return tuple((0, int(part), "") if part.isdigit() and part.isascii() else (1, 0, part.casefold())
                 for part in _DIGITS.split(plain(name)) if part)


@dataclass(frozen=True)
class Today:
    standup_id: int
    name: str  # stored representation
    day: date | None  # None: the standup has no days
    deadline: datetime | None  # aware, in the viewer's zone
    answered: bool
    late: bool  # past the deadline, still unanswered
    blocker: str | None  # their open blocker's text
    blocker_since: date | None


async def build(session: AsyncSession, viewer: Viewer) -> list[Block] | None:
    """Reads the first LIST_MAX running standups (by name, naturally) in full: four indexed reads
    each, so the card costs the same for someone in 200 standups as in 5."""
    running = sorted((s for s in await service.standups_of(session, viewer.team_id, viewer.user_id)
                      if s.paused_at is None), key=lambda s: (natural_key(s.name), s.id))
    if not running:
        return None
    cal = await requests.answer_calendar(session, viewer.team_id, viewer.user_id)
    rows: list[Today] = []
    for standup in running[:LIST_MAX]:
        day = await requests.day_to_answer(session, standup, viewer.user_id, cal)
        answer = await service.answer_of(session, standup.id, viewer.user_id, day) if day is not None else None
        deadline = schedule.deadline_at(cal, service.times(standup), day) if day is not None else None
        blocker = await service.open_blocker(session, standup.id, viewer.user_id)
        rows.append(Today(standup.id, standup.name, day, deadline.astimezone(viewer.zone) if deadline else None,
                          answer is not None, deadline is not None and answer is None and viewer.now >= deadline,
                          blocker.text if blocker is not None else None,
                          blocker.since if blocker is not None else None))
    return card_blocks(rows, len(running), viewer.today)


def _line(r: Today, today: date) -> str:
    name = f"*{mrkdwn(r.name, limit=NAME_SHOWN)}*"
    if r.day is None or r.deadline is None:
        return f"{name}: no days set; its owner picks them with `/standup edit`"
    when = "today" if r.day == today else day_label(r.day)
    due = r.deadline.strftime("%H:%M") if r.deadline.date() == r.day else \
        f"{day_label(r.deadline.date())} {r.deadline.strftime('%H:%M')}"
    if r.answered:
        state = f":white_check_mark: answered for {when} (due {due})"
    elif r.late:
        state = f":hourglass: not answered for {when}: the deadline {due} has passed, a late answer still counts"
    else:
        state = f"due {when} by *{due}*"
    line = f"{name} · {state}"
    if r.blocker is not None and r.blocker_since is not None:
        line += (f"\n:construction: your open blocker since {day_label(r.blocker_since)}: "
                 f"{mrkdwn(r.blocker, limit=BLOCKER_SHOWN)}")
    return line


def card_blocks(rows: list[Today], total: int, today: date) -> list[Block]:
    blocks: list[Block] = [section("*Your standups today*")]
    for r in rows:
        wants = r.day is not None and not r.answered
        blocks.append(section(_line(r, today), accessory=fill_button(r.standup_id, r.day) if wants and r.day else None))
    more = total - len(rows)
    tail = f"…and {counted(more, 'more standup')}: `/standup` answers any of them · " if more > 0 else ""
    blocks.append(context(f"{tail}Deadlines in your time zone · `/standup stats` for your streak"))
    return blocks


CARD = HomeCard("standups", build, shows_all="`/standup`")
