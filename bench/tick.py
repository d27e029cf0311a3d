"""The minute tick over many people in many zones: statements, wall time and CPU per tick.

    .venv/bin/python -m bench.tick [--people 10000] [--zones 30] [--database sqlite|postgres]
                                   [--days 2] [--pg-url URL] [--json-out FILE]

A fresh database (a SQLite file in a temporary directory, or the PostgreSQL database of
`--pg-url`, default `helper_bench`, whose `public` schema is dropped and re-migrated) is brought
to head through the real migrations (bot/migrate.py, as tests/conftest.py does) and seeded
with `--people` people in four workspaces, spread over `--zones` real IANA zones (DST zones
both sides of the equator, +05:30, +05:45, +03:30, -03:30, +12:45/+13:45), some with their own
hours, some away, some on a leave longer than the calendar's 400-day horizon, some gone or
bots, workspace holidays, country presets, and launches whose open items about a fifth of the
people own (overdue, due today or tomorrow; others only later, or done).

The real bot (Runtime.create + build_app, as bench/bot_server.py builds it) runs in this
process against the fake Slack Web API in its own process (bench/fake_slack_server.py), so the
nudges really go over HTTP and the fake's CPU is not counted as the tick's. Its scheduler is
not started: every tick is `bot.duties.tick(rt, at)` at a chosen instant, with the one clock
(bot/clock.py) set to it first, as the tests drive it.

Measured per tick: statements (a `before_cursor_execute` listener on the engine; an
executemany counts once; SQLite's `BEGIN IMMEDIATE` is counted and also shown apart), wall time
(`time.perf_counter`), this process's CPU (`time.process_time`: the event loop, SQLAlchemy,
aiosqlite's thread), the day starts it read and handed on, and the posts Slack took. Per phase:
the CPU of the PostgreSQL backends serving the bot's pool (/proc/<pid>/stat of the pids
pg_stat_activity lists for the database), and the CPU the rest of the machine used (/proc/stat,
minus this process and the fake: other people's work, and PostgreSQL's own background).

Timeline (simulated, UTC): the first tick ever at Mon 2026-11-30 00:00 (every next_start_at is
NULL), then one tick a minute for `--days` days. Day 1 is (Mon 00:00, Tue 00:00]; day 2, the
steady state with yesterday's escalations due, is (Tue 00:00, Wed 00:00]. The nudges each
window sent are checked against an independent computation (zoneinfo and the holidays package,
not bot/calendar/): every person with open items due by the day after their local working day
whose working day starts inside the window, minus the snoozed, sent exactly once. (No zone
changes its offset on these days: DST zones run at their December offsets; the tests cover the
transitions.)

Everything goes to a /tmp/prodops-bench-tick-* directory (printed): the JSON report, the
statement logs of the interesting ticks, the bot's log, the fake's log.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time as dtime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import (ZONES, Autovacuum, Child, OtherCpu, analyze, backend_cpu, backend_delta, child_env,
                          clear_proxies, machine, pct, prepare_database, zone_counts)

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/helper_bench"
FIRST = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # Monday 00:00 UTC: the first tick ever
MONDAY = date(2026, 11, 30)
SEEDED_AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # when the rows were "created"
NUDGE_KIND = "launch.nudge"
SEED = 11
LONG_LEAVE_EVERY = 3000  # one person in 3,000 is on a leave past the horizon (a long parental leave)

DEFAULT_HOURS = (frozenset(range(5)), 9 * 60, 18 * 60)
# Workspaces: id, zone, default hours (None: the built-in Mon–Fri 09:00–18:00), holiday
# country preset, own holidays. APAC's offsite falls on Tuesday 1 December.
WORKSPACES: list[dict[str, Any]] = [
    {"team_id": "TBTICKAMER", "tz": "America/New_York", "hours": None, "country": None,
     "holidays": {date(2026, 11, 26): "Thanksgiving", date(2026, 11, 27): "Day after Thanksgiving",
                  date(2026, 12, 24): "Christmas Eve", date(2026, 12, 25): "Christmas"}},
    {"team_id": "TBTICKEMEA", "tz": "Europe/Berlin", "hours": (frozenset(range(5)), 9 * 60, 17 * 60 + 30),
     "country": "DE", "holidays": {date(2026, 12, 24): "Heiligabend", date(2026, 12, 31): "Silvester"}},
    {"team_id": "TBTICKAPAC", "tz": "Asia/Singapore", "hours": (frozenset(range(5)), 9 * 60 + 30, 18 * 60 + 30),
     "country": None, "holidays": {date(2026, 12, 1): "Company offsite", date(2026, 12, 25): "Christmas"}},
    {"team_id": "TBTICKGLOBAL", "tz": "UTC", "hours": None, "country": None,
     "holidays": {date(2027, 1, 1): "New Year"}},
]
OWN_HOURS = [  # (days, start, end) some people set for themselves
    (frozenset(range(4)), 8 * 60 + 30, 17 * 60),  # Mon–Thu 08:30–17:00
    (frozenset(range(5)), 10 * 60, 19 * 60),
    (frozenset(range(5)), 7 * 60, 15 * 60 + 30),
    (frozenset(range(5)), 8 * 60, 16 * 60),
    (frozenset(range(1, 6)), 9 * 60, 17 * 60),  # Tue–Sat
]
SUN_THU = (frozenset({6, 0, 1, 2, 3}), 9 * 60, 18 * 60)

log = logging.getLogger("bench.tick")


# -- the population ------------------------------------------------------------------------------

@dataclass
class Member:
    team_id: str
    user_id: str
    tz: str | None  # None: Slack gave none (the workspace's zone applies)
    zone: str  # the zone in effect
    hours: tuple[frozenset[int], int, int] | None  # own hours; None: the workspace's
    country: str | None  # own holiday country
    away: list[tuple[date, date]] = field(default_factory=list)
    deleted: bool = False
    is_bot: bool = False
    snoozed_until: datetime | None = None

    @property
    def present(self) -> bool:
        return not self.deleted and not self.is_bot


@dataclass
class Item:
    launch: int
    owner: str | None
    due: date
    done: bool = False


@dataclass
class Population:
    members: list[Member]
    launches: list[dict[str, Any]]  # id, team_id, owner_id, launch_date
    items: list[Item]

    def by_id(self) -> dict[str, Member]:
        return {m.user_id: m for m in self.members}


def region_team(zone: str) -> str:
    if zone.startswith("America/"):
        return "TBTICKAMER"
    if zone.startswith(("Europe/", "Africa/")) or zone in ("Asia/Jerusalem", "Asia/Dubai", "Asia/Tehran"):
        return "TBTICKEMEA"
    return "TBTICKAPAC"


def populate(people: int, zones: int) -> Population:
    rng = random.Random(SEED)
    members: list[Member] = []
    n = 0
    for zone, count in zone_counts(people, ZONES[:zones]):
        for _ in range(count):
            n += 1
            team = "TBTICKGLOBAL" if rng.random() < 0.15 else region_team(zone)
            tz: str | None = zone
            if rng.random() < 0.01:  # no zone from Slack: the workspace's applies
                tz = None
            ws = next(w for w in WORKSPACES if w["team_id"] == team)
            hours = None
            if zone == "Asia/Jerusalem":
                hours = SUN_THU
            elif rng.random() < 0.10:
                hours = rng.choice(OWN_HOURS)
            country = "PT" if zone == "Europe/Lisbon" and rng.random() < 0.7 else None  # 1 Dec is a PT holiday
            m = Member(team, f"U{n:07d}", tz, tz or ws["tz"], hours, country)
            r = rng.random()
            if n % LONG_LEAVE_EVERY == LONG_LEAVE_EVERY // 2:  # longer than the calendar's 400-day horizon
                m.away.append((date(2026, 9, 1), date(2028, 2, 29)))
            elif r < 0.03:
                m.away.append((date(2026, 11, 30), date(2026, 12, 4)))
            elif r < 0.05:
                m.away.append((date(2026, 12, 1), date(2026, 12, 1)))
            elif r < 0.08:
                m.away.append((date(2026, 12, 21), date(2027, 1, 4)))
            r = rng.random()
            if m.away and m.away[0][1].year == 2028:
                pass  # on leave, still here
            elif r < 0.01:
                m.deleted = True
            elif r < 0.015:
                m.is_bot = True
            members.append(m)
    launches: list[dict[str, Any]] = []
    items: list[Item] = []
    by_team: dict[str, list[Member]] = defaultdict(list)
    for m in members:
        if m.present:
            by_team[m.team_id].append(m)
    team_launches: dict[str, list[int]] = defaultdict(list)
    for team, present in sorted(by_team.items()):
        for _ in range(max(1, len(present) // 25)):
            lid = len(launches) + 1
            launches.append({"id": lid, "team_id": team, "owner_id": rng.choice(present).user_id,
                             "launch_date": MONDAY + timedelta(days=rng.randint(3, 14))})
            team_launches[team].append(lid)
    for m in members:
        if m.is_bot or m.team_id not in team_launches:
            continue
        mine = team_launches[m.team_id]
        if m.deleted:  # left with an open overdue item: the launch owner hears of it
            items.append(Item(rng.choice(mine), m.user_id, MONDAY - timedelta(days=rng.randint(1, 5))))
            continue
        if rng.random() < 0.20:  # open items overdue, due today or due tomorrow
            for _ in range(rng.randint(1, 3)):
                items.append(Item(rng.choice(mine), m.user_id, MONDAY + timedelta(days=rng.randint(-7, 2))))
        if rng.random() < 0.10:  # only later: not nudged these days
            items.append(Item(rng.choice(mine), m.user_id, MONDAY + timedelta(days=rng.randint(14, 30))))
        if rng.random() < 0.15:  # done already
            for _ in range(rng.randint(1, 2)):
                items.append(Item(rng.choice(mine), m.user_id, MONDAY - timedelta(days=rng.randint(1, 10)), done=True))
    for launch in launches[::10]:  # an unassigned item: the launch owner's
        items.append(Item(launch["id"], None, MONDAY + timedelta(days=rng.randint(-3, 1))))
    owners_with_items = sorted({(launch_team(launches, i.launch), i.owner) for i in items if i.owner and not i.done})
    snooze = {owner for _, owner in owners_with_items if rng.random() < 0.02}
    for m in members:
        if m.user_id in snooze and m.present:
            m.snoozed_until = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    return Population(members, launches, items)


def launch_team(launches: list[dict[str, Any]], launch_id: int) -> str:
    return launches[launch_id - 1]["team_id"]


# -- the independent expectation (not bot/calendar/) ----------------------------------------------

class Oracle:
    """Whose working day starts when, computed with zoneinfo and the holidays package only."""

    def __init__(self, pop: Population) -> None:
        import holidays

        self.pop = pop
        self.ws = {w["team_id"]: w for w in WORKSPACES}
        self._country: dict[tuple[str, int], Any] = {}
        self._holidays = holidays
        members = pop.by_id()
        launches = {launch["id"]: launch for launch in pop.launches}
        self.earliest_due: dict[tuple[str, str], date] = {}
        for item in pop.items:
            if item.done:
                continue
            launch = launches[item.launch]
            owner = members.get(item.owner) if item.owner else None
            to = item.owner if owner is not None and not owner.deleted else launch["owner_id"]
            key = (launch["team_id"], to)
            self.earliest_due[key] = min(self.earliest_due.get(key, item.due), item.due)

    def _country_days(self, code: str, year: int) -> Any:
        if (code, year) not in self._country:
            self._country[(code, year)] = self._holidays.country_holidays(code, years=year)
        return self._country[(code, year)]

    def period(self, m: Member, day: date) -> tuple[datetime, datetime] | None:
        ws = self.ws[m.team_id]
        days, start, end = m.hours or ws["hours"] or DEFAULT_HOURS
        if day.weekday() not in days or day in ws["holidays"]:
            return None
        country = m.country or ws["country"]
        if country and day in self._country_days(country, day.year):
            return None
        if any(a <= day <= b for a, b in m.away):
            return None
        zone = ZoneInfo(m.zone)

        def at(minutes: int) -> datetime:
            d = day + timedelta(days=minutes // 1440)
            minutes %= 1440
            return datetime.combine(d, dtime(minutes // 60, minutes % 60), tzinfo=zone).astimezone(UTC)

        return at(start), at(end)

    def wants(self, m: Member, day: date) -> bool:
        """Has open items due by the day after `day`, and no snooze for launch nudges then."""
        due = self.earliest_due.get((m.team_id, m.user_id))
        return due is not None and due <= day + timedelta(days=1)

    def snoozed(self, m: Member, at: datetime) -> bool:
        return m.snoozed_until is not None and m.snoozed_until > at

    def first_tick(self, at: datetime) -> set[tuple[str, str, str]]:
        """Nudges the first tick ever sends: someone never computed counts from now (a start
        already behind them today is not theirs to be nudged for), so only the people whose
        working day starts at exactly that instant."""
        sent = set()
        for m in self.pop.members:
            if not m.present:
                continue
            day = at.astimezone(ZoneInfo(m.zone)).date()
            period = self.period(m, day)
            if period is None or period[0] != at:
                continue
            if self.wants(m, day) and not self.snoozed(m, at):
                sent.add((m.team_id, m.user_id, day.isoformat()))
        return sent

    def window(self, after: datetime, until: datetime) -> set[tuple[str, str, str]]:
        """Nudges of the minute ticks in (after, until]: a start inside it, found on the
        minute it falls on (every start here is on a whole minute)."""
        sent = set()
        for m in self.pop.members:
            if not m.present:
                continue
            first = after.astimezone(ZoneInfo(m.zone)).date() - timedelta(days=1)
            for k in range(4):
                day = first + timedelta(days=k)
                period = self.period(m, day)
                if period is None or not (after < period[0] <= until):
                    continue
                if self.wants(m, day) and not self.snoozed(m, period[0]):
                    sent.add((m.team_id, m.user_id, day.isoformat()))
        return sent

    def starts_in(self, after: datetime, until: datetime) -> int:
        count = 0
        for m in self.pop.members:
            if not m.present:
                continue
            first = after.astimezone(ZoneInfo(m.zone)).date() - timedelta(days=1)
            for k in range(4):
                period = self.period(m, first + timedelta(days=k))
                count += period is not None and after < period[0] <= until
        return count


# -- the database ------------------------------------------------------------------------------

async def seed(url: str, pop: Population) -> dict[str, int]:
    from sqlalchemy import insert, text

    from bot.calendar.hours import WorkingHours
    from bot.calendar.load import COUNTRY_KEY, HOURS_KEY
    from bot.clock import CLOCK
    from bot.db import create_engine
    from models.calendar import AwayPeriod, Holiday, Snooze
    from models.launch import Launch, LaunchItem
    from models.person import Person
    from models.workspace import Workspace

    CLOCK.set(SEEDED_AT)
    engine = create_engine(url)
    now = SEEDED_AT
    stamp = {"created_at": now, "updated_at": now}
    launches = {launch["id"]: launch for launch in pop.launches}
    people = [{
        "team_id": m.team_id, "user_id": m.user_id, "display_name": f"Person {m.user_id}", "tz": m.tz,
        "tz_offset": None, "is_bot": m.is_bot, "deleted": m.deleted, "left_at": now if m.deleted else None,
        "refreshed_at": now, "checked_at": now,
        "work_days": WorkingHours(*m.hours).mask if m.hours else None,
        "work_start": m.hours[1] if m.hours else None, "work_end": m.hours[2] if m.hours else None,
        "holiday_country": m.country, "next_start_at": None, **stamp} for m in pop.members]
    async with engine.begin() as conn:
        await conn.execute(insert(Workspace.__table__), [{
            "team_id": w["team_id"], "name": w["team_id"], "timezone": w["tz"], "feedback_seq": 0,
            "settings": {**({HOURS_KEY: WorkingHours(*w["hours"]).to_settings()} if w["hours"] else {}),
                         **({COUNTRY_KEY: w["country"]} if w["country"] else {})}, **stamp} for w in WORKSPACES])
        for i in range(0, len(people), 2000):
            await conn.execute(insert(Person.__table__), people[i:i + 2000])
        await conn.execute(insert(Holiday.__table__), [
            {"team_id": w["team_id"], "day": day, "name": name, "created_by": "UADMIN", **stamp}
            for w in WORKSPACES for day, name in w["holidays"].items()])
        away = [{"team_id": m.team_id, "user_id": m.user_id, "starts_on": a, "ends_on": b, "note": "",
                 "created_by": m.user_id, **stamp} for m in pop.members for a, b in m.away]
        if away:
            await conn.execute(insert(AwayPeriod.__table__), away)
        snoozes = [{"team_id": m.team_id, "user_id": m.user_id, "kind": NUDGE_KIND, "until": m.snoozed_until, **stamp}
                   for m in pop.members if m.snoozed_until is not None]
        if snoozes:
            await conn.execute(insert(Snooze.__table__), snoozes)
        await conn.execute(insert(Launch.__table__), [{
            "id": launch["id"], "team_id": launch["team_id"], "name": f"Launch {launch['id']}",
            "name_key": f"launch {launch['id']}", "launch_date": launch["launch_date"],
            "channel_id": f"CLAUNCH{launch['id']:05d}", "owner_id": launch["owner_id"], "template_name": "default",
            "message_ts": f"1764000000.{launch['id']:06d}", "decision": None, "created_by": launch["owner_id"],
            **stamp} for launch in pop.launches])
        rows = [{"team_id": launches[i.launch]["team_id"], "launch_id": i.launch, "function": "engineering",
                 "title": f"Checklist item {n}", "offset_days": (i.due - launches[i.launch]["launch_date"]).days,
                 "owner_id": i.owner, "done": i.done, "done_by": i.owner if i.done else None,
                 "done_at": now if i.done else None, "position": n, **stamp} for n, i in enumerate(pop.items)]
        for i in range(0, len(rows), 2000):
            await conn.execute(insert(LaunchItem.__table__), rows[i:i + 2000])
        if engine.dialect.name == "postgresql":
            await conn.execute(text("SELECT setval(pg_get_serial_sequence('launches', 'id'), (SELECT max(id) FROM launches))"))
    if engine.dialect.name == "postgresql":  # autovacuum would; SQLite gets no ANALYZE (the bot never runs one)
        await analyze(engine)
    await engine.dispose()
    return {"people": len(people), "present": sum(m.present for m in pop.members),
            "with own hours": sum(m.hours is not None for m in pop.members),
            "away periods": len(away), "snoozed": len(snoozes), "launches": len(pop.launches),
            "items": len(pop.items), "open items": sum(not i.done for i in pop.items)}


async def explain(rt: Any, statement: str, parameters: Any, analyze: bool = True) -> list[str]:
    """The plan of a statement the bot ran, with the parameters it ran with."""
    async with rt.db.engine.connect() as conn:
        if rt.db.backend == "postgresql":
            how = "EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN "
            rows = await conn.exec_driver_sql(how + statement, tuple(parameters))
            return [r[0] for r in rows]
        rows = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, tuple(parameters))
        return [str(r[-1]) for r in rows]


# -- measuring -------------------------------------------------------------------------------------

@dataclass
class Meter:
    statements: int = 0
    begins: int = 0
    record: bool = False
    log: list[str] = field(default_factory=list)
    posts: Counter = field(default_factory=Counter)  # dm / thread / channel
    dms: list[str] = field(default_factory=list)
    start_query: tuple[str, Any] | None = None  # the start query as run, for its plan
    read: int = 0  # person rows the start query returned
    started: int = 0  # day starts handed to the duties
    starts_ms: float = 0.0  # starts_due: the query, the calendars, the checks (wall)
    starts_cpu_ms: float = 0.0
    advance_ms: float = 0.0  # advance: writing the next starts (wall)

    def reset(self, record: bool = False) -> None:
        self.statements = self.begins = self.read = self.started = 0
        self.starts_ms = self.starts_cpu_ms = self.advance_ms = 0.0
        self.start_query = None
        self.record = record
        self.log = []
        self.posts = Counter()
        self.dms = []


@dataclass
class TickStat:
    at: str
    statements: int
    begins: int
    wall_ms: float
    cpu_ms: float
    read: int
    started: int
    dms: int
    threads: int
    channels: int
    lines: dict[str, int]
    starts_ms: float = 0.0
    starts_cpu_ms: float = 0.0
    advance_ms: float = 0.0


def instrument(rt: Any, meter: Meter) -> None:
    from sqlalchemy import event

    import bot.duties

    def count(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        meter.statements += 1
        if statement.lstrip().upper().startswith("BEGIN"):
            meter.begins += 1
        if meter.start_query is None and "FROM people" in statement and "next_start_at <=" in statement \
                and statement.lstrip().startswith("SELECT"):
            meter.start_query = (statement, parameters)
        if meter.record:
            n = len(parameters) if executemany else 1
            meter.log.append(" ".join(statement.split())[:400] + (f"  [executemany x{n}]" if executemany else ""))

    event.listen(rt.db.engine.sync_engine, "before_cursor_execute", count)

    real_starts_due = bot.duties.starts_due

    async def starts_due(session: Any, at: datetime) -> Any:  # observes, changes nothing
        wall, cpu = time.perf_counter(), time.process_time()
        starts = await real_starts_due(session, at)
        meter.starts_ms += (time.perf_counter() - wall) * 1000
        meter.starts_cpu_ms += (time.process_time() - cpu) * 1000
        meter.read += len(starts.moves)
        meter.started += len(starts.started)
        return starts

    real_advance = bot.duties.advance

    async def advance(session: Any, starts: Any) -> int:
        wall = time.perf_counter()
        written = await real_advance(session, starts)
        meter.advance_ms += (time.perf_counter() - wall) * 1000
        return written

    bot.duties.starts_due = starts_due  # type: ignore[assignment]
    bot.duties.advance = advance  # type: ignore[assignment]

    post = rt.client.chat_postMessage

    async def counted(**kwargs: Any) -> Any:
        response = await post(**kwargs)
        channel = str(kwargs.get("channel") or "")
        if kwargs.get("thread_ts"):
            meter.posts["thread"] += 1
        elif channel.startswith("U"):
            meter.posts["dm"] += 1
            meter.dms.append(channel)
        else:
            meter.posts["channel"] += 1
        return response

    rt.client.chat_postMessage = counted  # type: ignore[method-assign]


async def one_tick(rt: Any, meter: Meter, at: datetime, record: bool = False) -> tuple[TickStat, list[str]]:
    from bot.clock import CLOCK
    from bot.duties import tick

    CLOCK.set(at)
    meter.reset(record)
    wall, cpu = time.perf_counter(), time.process_time()
    lines = await tick(rt, at)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    verbs = Counter(line.split(": ", 1)[1].split(" ", 1)[0] for line in lines if ": " in line)
    return TickStat(at.isoformat(timespec="minutes"), meter.statements, meter.begins, round(wall * 1000, 2),
                    round(cpu * 1000, 2), meter.read, meter.started, meter.posts["dm"], meter.posts["thread"],
                    meter.posts["channel"], dict(verbs), round(meter.starts_ms, 2), round(meter.starts_cpu_ms, 2),
                    round(meter.advance_ms, 2)), list(meter.dms)


def spread(stats: list[TickStat]) -> dict[str, Any]:
    wall = [s.wall_ms for s in stats]
    cpu = [s.cpu_ms for s in stats]
    st = [s.statements for s in stats]
    return {"ticks": len(stats), "statements_total": sum(st), "statements_min": min(st, default=0),
            "statements_p50": pct(st, 0.5), "statements_max": max(st, default=0),
            "wall_total_s": round(sum(wall) / 1000, 2), "cpu_total_s": round(sum(cpu) / 1000, 2),
            "wall_p50_ms": round(pct(wall, 0.5), 2), "wall_p99_ms": round(pct(wall, 0.99), 2),
            "wall_max_ms": round(max(wall, default=0), 2), "cpu_p50_ms": round(pct(cpu, 0.5), 2),
            "cpu_p99_ms": round(pct(cpu, 0.99), 2),
            "dms": sum(s.dms for s in stats), "thread_posts": sum(s.threads for s in stats),
            "channel_posts": sum(s.channels for s in stats), "starts": sum(s.started for s in stats),
            "rows_read": sum(s.read for s in stats)}


def grouped(log_lines: list[str]) -> list[tuple[int, str]]:
    counts = Counter(line[:140] for line in log_lines)
    return sorted(((n, s) for s, n in counts.items()), reverse=True)


async def sent_nudges(rt: Any, after: datetime | None, until: datetime) -> set[tuple[str, str, str]]:
    from sqlalchemy import select

    from models.delivery import Delivery, DeliveryStatus

    async with rt.db.unit_of_work() as session:
        q = select(Delivery.team_id, Delivery.key, Delivery.period).where(
            Delivery.kind == NUDGE_KIND, Delivery.status == DeliveryStatus.SENT, Delivery.sent_at <= until)
        if after is not None:
            q = q.where(Delivery.sent_at > after)
        return {tuple(r) for r in (await session.execute(q)).all()}  # type: ignore[misc]


def check(name: str, expected: set[tuple[str, str, str]], stored: set[tuple[str, str, str]],
          dms: list[str]) -> dict[str, Any]:
    per_person = Counter(dms)
    result = {"expected": len(expected), "stored_sent": len(stored), "dms_posted": len(dms),
              "missing": len(expected - stored), "unexpected": len(stored - expected),
              "people_dmed_twice": sum(1 for n in per_person.values() if n > 1)}
    result["ok"] = (result["missing"] == 0 and result["unexpected"] == 0 and len(dms) == len(expected)
                    and result["people_dmed_twice"] == 0)
    if not result["ok"]:
        result["missing_sample"] = sorted(expected - stored)[:10]
        result["unexpected_sample"] = sorted(stored - expected)[:10]
    print(f"  check {name}: expected {len(expected)} nudges, sent {len(stored)} (rows), {len(dms)} DMs posted, "
          f"missing {result['missing']}, unexpected {result['unexpected']}, twice {result['people_dmed_twice']}: "
          f"{'OK' if result['ok'] else 'MISMATCH'}", flush=True)
    return result


def write_log(out: Path, name: str, stat: TickStat, lines: list[str]) -> None:
    with open(out / f"statements-{name}.txt", "w") as f:
        f.write(json.dumps(stat.__dict__) + "\n\n")
        for n, s in grouped(lines):
            f.write(f"{n:6d}  {s}\n")
        f.write("\n-- in order --\n")
        f.write("\n".join(lines) + "\n")


# -- the run ---------------------------------------------------------------------------------------

async def run(args: argparse.Namespace) -> dict[str, Any]:
    clear_proxies()
    from bot.app import build_app
    from bot.clock import CLOCK
    from bot.config import load_settings
    from bot.runtime import Runtime
    from tests.slack_requests import BOT_TOKEN, SIGNING_SECRET

    out = Path(tempfile.mkdtemp(prefix="prodops-bench-tick-"))
    print(f"output: {out}", flush=True)
    report: dict[str, Any] = {"args": vars(args), "machine": machine(), "started": datetime.now(UTC).isoformat()}
    handler = logging.FileHandler(out / "bot.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.getLogger().handlers[:] = [handler]
    logging.getLogger().setLevel(logging.INFO)

    t = time.perf_counter()
    pop = populate(args.people, args.zones)
    oracle = Oracle(pop)
    backend = "postgresql" if args.database == "postgres" else "sqlite"
    url = await prepare_database(backend, out, args.pg_url, "tick.sqlite3")
    report["seed"] = await seed(url, pop)
    report["zones"] = zone_counts(args.people, ZONES[:args.zones])
    report["seed"]["seconds"] = round(time.perf_counter() - t, 1)
    print(f"seeded {report['seed']} on {backend}", flush=True)

    fake = Child("fake_slack", ["-m", "bench.fake_slack_server", "--max-seconds", str(args.max_seconds)], out,
                 env=child_env())
    rt = None
    pg: Autovacuum | None = None
    try:
        settings = load_settings(_env_file=None, slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
                                 slack_api_url=fake.info["api_url"], database_url=url, host="127.0.0.1", port=0,
                                 log_level="INFO")
        rt = Runtime.create(settings)
        build_app(rt)
        meter = Meter()
        instrument(rt, meter)

        # (b) the first tick ever: every next_start_at is NULL.
        pg0 = await backend_cpu(url)
        with OtherCpu(fake.pid) as phase:
            first, first_dms = await one_tick(rt, meter, FIRST, record=True)
        pg_first = backend_delta(pg0, await backend_cpu(url))
        write_log(out, "first", first, meter.log)
        report["first_tick"] = {**first.__dict__, **phase.summary(), "postgres_backend_cpu_s": pg_first,
                                "check": check("first tick", oracle.first_tick(FIRST),
                                               await sent_nudges(rt, None, FIRST), first_dms)}
        print(f"first tick: {first}", flush=True)
        pg = Autovacuum(url) if rt.db.backend == "postgresql" else None
        if pg is not None:
            await pg.maybe_run()
            report["first_tick"]["autovacuum_emulated"] = pg.done_since()

        meter.start_query = None
        # (d) then a tick every minute, day after day.
        most = report["zones"][0][0]
        days = []
        previous = FIRST
        for d in range(args.days):
            start = FIRST + timedelta(days=d)
            stats: list[TickStat] = []
            dms: list[str] = []
            morning = datetime.combine(MONDAY + timedelta(days=d), dtime(9, 0), ZoneInfo(most)).astimezone(UTC)
            steady_logged = False
            pg0 = await backend_cpu(url, pg.pid if pg is not None else None)
            plans: Counter = Counter()  # PostgreSQL: the start query's plan in each steady tick
            with OtherCpu(fake.pid) as phase:
                for minute in range(1, 24 * 60 + 1):
                    at = start + timedelta(minutes=minute)
                    is_morning = at == morning
                    record = is_morning or (d == args.days - 1 and not steady_logged)
                    stat, ticked = await one_tick(rt, meter, at, record=record)
                    stats.append(stat)
                    dms.extend(ticked)
                    if is_morning:
                        write_log(out, f"day{d + 1}-0900-{most.replace('/', '_')}", stat, meter.log)
                        morning_stat = stat
                    elif record and stat.started == 0 and not stat.lines:
                        write_log(out, f"day{d + 1}-steady", stat, meter.log)
                        steady_logged = True
                        if meter.start_query is not None:
                            report["start_query_plan"] = {"at": stat.at, "statement": meter.start_query[0],
                                                          "plan": await explain(rt, *meter.start_query)}
                    if pg is not None:  # outside the tick's measurement
                        if stat.started == 0 and not stat.lines and meter.start_query is not None:
                            plans[(await explain(rt, *meter.start_query, analyze=False))[0].split("  (")[0]] += 1
                        await pg.maybe_run()
                    if minute % 120 == 0:
                        print(f"  day {d + 1} {at.isoformat(timespec='minutes')}: {sum(s.dms for s in stats)} DMs so far, "
                              f"{sum(s.wall_ms for s in stats) / 1000:.1f} s", flush=True)
            pg_day = backend_delta(pg0, await backend_cpu(url, pg.pid if pg is not None else None))
            until = start + timedelta(days=1)
            steady = [s for s in stats if s.started == 0 and not s.lines]
            busy = [s for s in stats if s.started or s.lines]
            day = {"window": [previous.isoformat(), until.isoformat()], **spread(stats), **phase.summary(),
                   "postgres_backend_cpu_s": pg_day, "postgres_steady_start_plans": dict(plans),
                   "autovacuum_emulated": pg.done_since() if pg is not None else None,
                   "oracle_starts": oracle.starts_in(previous, until),
                   "steady": spread(steady), "busy": spread(busy),
                   "morning": {"zone": most, **morning_stat.__dict__},
                   "top": [s.__dict__ for s in sorted(stats, key=lambda s: -s.wall_ms)[:5]],
                   "check": check(f"day {d + 1}", oracle.window(previous, until),
                                  await sent_nudges(rt, previous, until), dms)}
            days.append(day)
            print(f"day {d + 1}: {json.dumps({k: v for k, v in day.items() if k not in ('top',)})}", flush=True)
            previous = until
        report["days"] = days
        report["out"] = str(out)
        report["finished"] = datetime.now(UTC).isoformat()
    finally:
        if pg is not None:
            await pg.close()
        if rt is not None:
            await rt.close()
        fake.stop()
        CLOCK.reset()
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2, default=str))
    return report


def print_summary(report: dict[str, Any]) -> None:
    f = report["first_tick"]
    print("\n== summary ==")
    print(f"people {report['seed']['people']} in {len(report['zones'])} zones on {report['args']['database']}")
    print(f"(b) first tick: {f['statements']} statements ({f['begins']} BEGIN), {f['wall_ms']} ms wall, "
          f"{f['cpu_ms']} ms CPU, {f['read']} rows read, {f['started']} starts, {f['dms']} DMs, "
          f"starts_due {f['starts_ms']} ms ({f['starts_cpu_ms']} ms CPU), advance {f['advance_ms']} ms, "
          f"other CPU {f['other_cpu_s']} s, PostgreSQL backends {f['postgres_backend_cpu_s']} s")
    for n, d in enumerate(report["days"], 1):
        s, m = d["steady"], d["morning"]
        print(f"day {n}: {d['ticks']} ticks, {d['statements_total']} statements, {d['wall_total_s']} s wall, "
              f"{d['cpu_total_s']} s CPU, p50 {d['wall_p50_ms']} ms, p99 {d['wall_p99_ms']} ms, max {d['wall_max_ms']} ms; "
              f"{d['dms']} DMs, {d['thread_posts']} thread posts, {d['channel_posts']} channel posts; "
              f"other CPU {d['other_cpu_s']} s, PostgreSQL backends {d['postgres_backend_cpu_s']} s; "
              f"check {'OK' if d['check']['ok'] else 'MISMATCH'}")
        print(f"  (a) steady ticks: {s['ticks']}, statements {s['statements_min']}–{s['statements_max']} "
              f"(p50 {s['statements_p50']}), wall p50 {s['wall_p50_ms']} ms p99 {s['wall_p99_ms']} ms, "
              f"CPU p50 {s['cpu_p50_ms']} ms")
        if d.get("postgres_steady_start_plans"):
            print(f"  PostgreSQL start query plans in steady ticks: {d['postgres_steady_start_plans']}; "
                  f"autovacuum emulated: {d['autovacuum_emulated']}")
        print(f"  (c) 09:00 {m['zone']} ({m['at']}): {m['statements']} statements, {m['wall_ms']} ms wall, "
              f"{m['cpu_ms']} ms CPU, {m['started']} starts, {m['dms']} DMs, {m['threads']} thread posts; "
              f"starts_due {m['starts_ms']} ms ({m['starts_cpu_ms']} ms CPU), advance {m['advance_ms']} ms")
    plan = report.get("start_query_plan")
    if plan:
        print("start query plan (a steady tick):\n  " + "\n  ".join(plan["plan"]))
    print(f"output: {report['out']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10000)
    parser.add_argument("--zones", type=int, default=30, choices=range(1, len(ZONES) + 1), metavar="1..30")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_TICK_DATABASE_URL", DEFAULT_PG),
                        help="PostgreSQL URL (its public schema is dropped and re-migrated)")
    parser.add_argument("--days", type=int, default=2, help="simulated days of minute ticks after the first tick")
    parser.add_argument("--json-out", default=None)
    parser.add_argument("--max-seconds", type=float, default=3600, help="the fake Slack's lifetime cap")
    print_summary(asyncio.run(run(parser.parse_args())))
