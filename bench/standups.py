"""Standup prompts on time under Slack's rate limits: from each due minute to the last prompt
Slack accepted, next to the floor the limits allow.

    .venv/bin/python -m bench.standups [--database sqlite|postgres] [--participants 500] [--zones 20]
                                       [--standups 200] [--people 2000] [--per-channel 1] [--burst 3]
                                       [--workspace-rate R] [--latency-ms 80] [--busy-only] [--pg-url URL]

The workspace: `--people` people over the `--zones` most populated real IANA zones of
bench/common.py's ZONES (Sydney +11 to Los Angeles -8 at 20), about 5% of them starting work at
10:00 (their prompts wait for it), 2% away on the measured day. One standup, "All hands", of
`--participants` people spread over every zone in proportion (09:30 prompt, 11:00 deadline, each
participant on their own clock), and `--standups` more of 5 to 10 people each. Ten of them are
one office's teams (everyone in the most populated zone) sharing one channel and one schedule:
a "#standups" channel whose ten summaries fall due in the same minute, the per-channel limit's
worst case. The rest come in departments of 1 to 3 teams per channel, each with a home zone
(80% of a team there, the rest anywhere), a prompt at 09:00, 09:30 or 10:00 and a deadline at
11:00, 11:30 or 12:00. Nobody is in more than three standups (so reminders stay within the
daily nudge budget), and nobody answers: every participant gets a prompt and a reminder, every
standup a summary. Standups are created with bot/standups/service.create, people with Core
inserts of the real models, on a database migrated through the real migrations (a SQLite file,
or `--pg-url`, default `helper_bench_standups`, whose public schema is dropped first).

The real bot (Runtime.create + build_app) runs in this process with its scheduler stopped, as in
bench/tick.py (whose Meter and one_tick it uses: statements, wall time and CPU per tick),
against bench/fake_slack_server.py in its own process with Slack's limits on: chat.postMessage
`--per-channel` a second per channel with a burst of `--burst`, optionally `--workspace-rate` a
second over the workspace, HTTP 429 with Retry-After beyond, and `--latency-ms` on every call.
The bot's client honours Retry-After (slack_sdk's AsyncRateLimitErrorRetryHandler, two retries).

The clock is set to each minute and `duties.tick(rt, at)` run, from half an hour before the first
prompt of Tuesday 1 December 2026 (no zone's Monday is still open) to a few minutes after the
last summary; `--busy-only` ticks only the minutes with something due and two around each.
After every tick the fake's recorded calls are drained (GET /bench/calls): each accepted
chat.postMessage with the time.time() it was accepted at, and every 429. A simulated minute
takes well under a real one, so the limiter's clock is then moved on by the simulated time to the
next tick (POST /bench/advance): each tick meets the buckets as a minute's wait would leave them,
and within a tick they refill in real time.

Per due minute: what was due (an independent expectation from zoneinfo: each participant's
09:30 or their standup's prompt time on their own clock, or their 10:00 start when later, unless
away; the reminder an hour before the deadline, or half way; the summary at the latest deadline
over its participants' zones), what Slack accepted in that tick, the wall time from the tick's
start to the last prompt accepted, 429s, retries and give-ups, statements and CPU, and the floor
the limits allow for that minute's messages, all asked for at the tick's start: per channel
(n - burst) / rate (a DM is its own channel, so only a person in several standups due at once
shares one), over the workspace (N - workspace burst) / workspace rate when set (any post also
takes one round trip, `--latency-ms`, on top). The check: every
expected prompt, reminder and summary accepted exactly once, in the tick of its minute, and
nothing else posted.

Everything goes to a /tmp/prodops-bench-standups-* directory (or `--out-dir`): report.json, the
per-minute table (minutes.txt), the statements of the minute with the most prompts
(statements-busiest.txt), the bot's log (with every tick line but the plain sends), the fake's.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import re
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
from bench.tick import Meter, instrument, one_tick, write_log

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/helper_bench_standups"
TEAM = "TBSTANDUPS"
DAY = date(2026, 12, 1)  # Tuesday: the standup day measured
SEEDED_AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SEED = 12
WORK_START, LATE_START, WORK_END = 9 * 60, 10 * 60, 18 * 60
LATE_SHARE, AWAY_SHARE = 0.05, 0.02
BIG_NAME, BIG_PROMPT, BIG_DEADLINE = "All hands", 9 * 60 + 30, 11 * 60
PROMPTS = (9 * 60, 9 * 60 + 30, 10 * 60)
DEADLINES = (11 * 60, 11 * 60 + 30, 12 * 60)
SHARED_TEAMS = 10  # teams of one department posting to one channel, on one schedule
SHARED_CHANNEL = "CSTANDUPS"
MAX_STANDUPS_EACH = 3  # the notifier's default nudge budget is 3 a day: reminders stay within it
WEEKDAYS = 0b0011111
PROMPT, REMINDER, SUMMARY = "prompt", "reminder", "summary"

log = logging.getLogger("bench.standups")


# -- the workspace -------------------------------------------------------------------------------

@dataclass
class Member:
    user_id: str
    zone: str
    late: bool  # works 10:00-18:00: a 09:00 or 09:30 prompt waits for 10:00
    away: bool  # away on the measured day
    standups: int = 0


@dataclass
class Plan:
    name: str
    channel: str
    prompt: int
    deadline: int
    mode: str  # "each" | "summary"
    members: list[str] = field(default_factory=list)


def populate(args: argparse.Namespace) -> tuple[list[Member], list[Plan]]:
    rng = random.Random(SEED)
    zones = ZONES[:args.zones]
    people: list[Member] = []
    by_zone: dict[str, list[Member]] = defaultdict(list)
    for zone, count in zone_counts(args.people, zones):
        for _ in range(count):
            m = Member(f"U{len(people) + 1:06d}", zone, rng.random() < LATE_SHARE, rng.random() < AWAY_SHARE)
            people.append(m)
            by_zone[zone].append(m)

    def join(plan: Plan, m: Member) -> bool:
        if m.standups >= MAX_STANDUPS_EACH or m.user_id in plan.members:
            return False
        plan.members.append(m.user_id)
        m.standups += 1
        return True

    big = Plan(BIG_NAME, "CALLHANDS", BIG_PROMPT, BIG_DEADLINE, "summary")
    for zone, count in zone_counts(args.participants, zones):
        if count > len(by_zone[zone]):
            raise SystemExit(f"--people {args.people} is too few for {args.participants} participants in {zone}")
        for m in rng.sample(by_zone[zone], count):
            join(big, m)
    plans = [big]
    weights = [w for _, w in zones]

    def team(plan: Plan, home: str, local: float = 0.8) -> None:
        size = rng.randint(5, 10)
        tries = 0
        while len(plan.members) < size and tries < 1000:
            tries += 1
            zone = home if rng.random() < local else rng.choices([z for z, _ in zones], weights)[0]
            join(plan, rng.choice(by_zone[zone]))

    for _ in range(min(SHARED_TEAMS, args.standups)):  # one office's teams: one channel, one schedule
        plan = Plan(f"Team {len(plans):03d}", SHARED_CHANNEL, 9 * 60 + 30, 11 * 60, "each")
        team(plan, zones[0][0], local=1.0)
        plans.append(plan)
    department = 0
    while len(plans) < args.standups + 1:
        department += 1
        home = rng.choices([z for z, _ in zones], weights)[0]
        prompt, deadline = rng.choice(PROMPTS), rng.choice(DEADLINES)
        for _ in range(min(rng.choices((1, 2, 3), (5, 3, 2))[0], args.standups + 1 - len(plans))):
            plan = Plan(f"Team {len(plans):03d}", f"CDEPT{department:04d}", prompt, deadline,
                        rng.choice(("each", "summary")))
            team(plan, home)
            plans.append(plan)
    return people, plans


# -- the independent expectation (zoneinfo only; not bot/calendar/ or bot/standups/schedule.py) ----

@dataclass(frozen=True)
class Expected:
    kind: str
    standup: str
    to: str  # the user id of a DM, the channel of a summary
    at: datetime  # the minute it is due (UTC)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.standup, self.to)


def local(day: date, minutes: int, zone: str) -> datetime:
    return datetime.combine(day, dtime(minutes // 60, minutes % 60), ZoneInfo(zone)).astimezone(UTC)


def expected(people: list[Member], plans: list[Plan]) -> list[Expected]:
    """Tuesday's prompts, reminders and summaries. A prompt goes at the standup's prompt time on
    the participant's clock, or at their later start of work; the reminder an hour before the
    deadline (half way when the two are closer than two hours); nothing for someone away; the
    summary once the deadline has passed in every participant's zone (the away ones' too)."""
    members = {m.user_id: m for m in people}
    found = []
    for plan in plans:
        zones = set()
        for user_id in plan.members:
            m = members[user_id]
            zones.add(m.zone)
            if m.away:
                continue
            start = LATE_START if m.late else WORK_START
            prompt = max(plan.prompt, start)
            if prompt < plan.deadline:
                found.append(Expected(PROMPT, plan.name, user_id, local(DAY, prompt, m.zone)))
            remind = plan.deadline - min(60, (plan.deadline - plan.prompt) // 2)
            found.append(Expected(REMINDER, plan.name, user_id, local(DAY, max(remind, start), m.zone)))
        found.append(Expected(SUMMARY, plan.name, plan.channel, max(local(DAY, plan.deadline, z) for z in zones)))
    return found


def window(people: list[Member], plans: list[Plan], found: list[Expected]) -> tuple[datetime, datetime]:
    """Half an hour before Tuesday's first moment to five minutes after its last; no Monday
    moment may still be due inside it, nor any of Wednesday's."""
    first = min(e.at for e in found) - timedelta(minutes=30)
    last = max(e.at for e in found) + timedelta(minutes=5)
    zones = {m.zone for m in people}
    monday_last = max(local(DAY - timedelta(days=1), p.deadline, z) for p in plans for z in zones)
    wednesday_first = min(local(DAY + timedelta(days=1), p.prompt, z) for p in plans for z in zones)
    if not (monday_last < first and last < wednesday_first):
        raise SystemExit(f"the zones leave no quiet minute around {DAY}: use at most 20 zones")
    return first, last


# -- the database ----------------------------------------------------------------------------------

async def seed(rt: Any, url: str, people: list[Member], plans: list[Plan]) -> dict[str, Any]:
    from sqlalchemy import insert

    from bot.calendar.hours import WorkingHours
    from bot.clock import CLOCK
    from bot.standups import service
    from bot.standups.parsing import DEFAULT_QUESTIONS
    from models.calendar import AwayPeriod
    from models.person import Person
    from models.standup import PostMode
    from models.workspace import Workspace

    CLOCK.set(SEEDED_AT)
    stamp = {"created_at": SEEDED_AT, "updated_at": SEEDED_AT}
    late = WorkingHours(frozenset(range(5)), LATE_START, WORK_END)
    async with rt.db.engine.begin() as conn:
        await conn.execute(insert(Workspace.__table__), [{"team_id": TEAM, "name": TEAM, "timezone": "UTC",
                                                          "feedback_seq": 0, "settings": {}, **stamp}])
        rows = [{"team_id": TEAM, "user_id": m.user_id, "display_name": f"Person {m.user_id}", "tz": m.zone,
                 "tz_offset": None, "is_bot": False, "deleted": False, "left_at": None, "refreshed_at": SEEDED_AT,
                 "checked_at": SEEDED_AT, "work_days": late.mask if m.late else None,
                 "work_start": late.start if m.late else None, "work_end": late.end if m.late else None,
                 "holiday_country": None, "next_start_at": None, **stamp} for m in people]
        for i in range(0, len(rows), 2000):
            await conn.execute(insert(Person.__table__), rows[i:i + 2000])
        away = [{"team_id": TEAM, "user_id": m.user_id, "starts_on": DAY, "ends_on": DAY, "note": "",
                 "created_by": m.user_id, **stamp} for m in people if m.away]
        if away:
            await conn.execute(insert(AwayPeriod.__table__), away)
    async with rt.db.unit_of_work() as session:
        for plan in plans:
            await service.create(session, TEAM, service.Setup(
                name=plan.name, channel_id=plan.channel, members=plan.members, questions=list(DEFAULT_QUESTIONS),
                days=WEEKDAYS, prompt=plan.prompt, deadline=plan.deadline, mode=PostMode(plan.mode),
                owner_id=plan.members[0]), plan.members[0])
    if rt.db.backend == "postgresql":
        await analyze(rt.db.engine)
    sizes = [len(p.members) for p in plans[1:]]
    channels = Counter(p.channel for p in plans)
    memberships = Counter(m.standups for m in people)
    return {"people": len(people), "late_starters": sum(m.late for m in people), "away": len(away),
            "standups": len(plans), "big_standup": len(plans[0].members),
            "small_standups_size_min_max_mean": [min(sizes, default=0), max(sizes, default=0),
                                                 round(sum(sizes) / max(1, len(sizes)), 1)],
            "seats": sum(len(p.members) for p in plans), "channels": len(channels),
            "standups_per_channel": dict(sorted(Counter(channels.values()).items())),
            "people_by_standups": dict(sorted(memberships.items()))}


# -- what the fake saw -----------------------------------------------------------------------------

_PROMPT = re.compile(r"^Time for your (.+?) standup \(")
_REMINDER = re.compile(r"^Reminder: your (.+?) standup for ")
_SUMMARY = re.compile(r"^(.+?) standup .*: \d+/\d+ answered$")


def classify(call: dict[str, Any]) -> tuple[str, str, str] | None:
    """(kind, standup name, recipient) of a chat.postMessage the bench expects; None: another."""
    channel, text = str(call.get("channel") or ""), call.get("text") or ""
    for kind, pattern in ((PROMPT, _PROMPT), (REMINDER, _REMINDER), (SUMMARY, _SUMMARY)):
        found = pattern.match(text)
        if found and (kind == SUMMARY) != channel.startswith("U"):
            return kind, found.group(1), channel
    return None


def floor_seconds(due: list[Expected], per_channel: float, burst: int, workspace: float | None,
                  workspace_burst: int) -> float:
    """The least time the limits allow for the last of `due` to be accepted, all asked at once."""
    per = Counter(e.to for e in due)
    floor = max((max(0, n - burst) / per_channel for n in per.values()), default=0.0)
    if workspace is not None:
        floor = max(floor, max(0, len(due) - workspace_burst) / workspace)
    return floor


@dataclass
class Minute:
    at: str
    due: dict[str, int]
    sent: dict[str, int]
    limited: int  # 429s answered in this tick
    retried: int  # of them, followed by another attempt of the same message in this tick
    gave_up: int  # messages whose last attempt in this tick was a 429
    statements: int
    cpu_ms: float
    wall_ms: float
    to_last_prompt_s: float | None  # from the tick's start to the last prompt accepted in it
    to_last_message_s: float | None
    to_last_s: dict[str, float]  # the same per kind (prompt, reminder, summary)
    floor_s: float  # what the limits allow for this minute's messages
    floor_dm_s: float  # the same for its DMs (prompts and reminders)


def spread(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50": round(pct(values, 0.5), 3), "p90": round(pct(values, 0.9), 3),
            "p99": round(pct(values, 0.99), 3), "max": round(max(values, default=0.0), 3)}


def log_lines(rt: Any) -> None:
    """Every tick's lines but the plain sends go to bot.log (skips, failures, holds)."""
    import bot.duties

    real = bot.duties.tick

    async def tick(rt: Any, at: datetime | None = None, dry_run: bool = False) -> list[str]:
        lines = await real(rt, at, dry_run)
        for line in lines:
            if ": sent " not in line:
                log.info("tick %s: %s", at.isoformat(timespec="minutes") if at else "-", line)
        return lines

    bot.duties.tick = tick  # type: ignore[assignment]


# -- the run ---------------------------------------------------------------------------------------

async def run(args: argparse.Namespace) -> dict[str, Any]:
    clear_proxies()
    import aiohttp

    from bot.app import build_app
    from bot.clock import CLOCK
    from bot.config import load_settings
    from bot.runtime import Runtime
    from tests.slack_requests import BOT_TOKEN, SIGNING_SECRET

    out = Path(args.out_dir) if args.out_dir else Path(tempfile.mkdtemp(prefix="prodops-bench-standups-"))
    out.mkdir(parents=True, exist_ok=True)
    print(f"output: {out}", flush=True)
    report: dict[str, Any] = {"args": vars(args), "machine": machine(), "started": datetime.now(UTC).isoformat()}
    handler = logging.FileHandler(out / "bot.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.getLogger().handlers[:] = [handler]
    logging.getLogger().setLevel(logging.INFO)

    people, plans = populate(args)
    due = expected(people, plans)
    first, last = window(people, plans, due)
    due_at: dict[datetime, list[Expected]] = defaultdict(list)
    for e in due:
        due_at[e.at].append(e)
    backend = "postgresql" if args.database == "postgres" else "sqlite"
    (out / "standups.sqlite3").unlink(missing_ok=True)  # an --out-dir used before: start from nothing
    url = await prepare_database(backend, out, args.pg_url, "standups.sqlite3")

    limits = ["--rate-limit", "--per-channel", str(args.per_channel), "--burst", str(args.burst),
              "--latency-ms", str(args.latency_ms), "--messages", "0", "--drain", "--max-seconds", str(args.max_seconds)]
    if args.workspace_rate is not None:
        limits += ["--workspace-rate", str(args.workspace_rate), "--workspace-burst", str(args.workspace_burst)]
    fake = Child("fake_slack", ["-m", "bench.fake_slack_server", *limits], out, env=child_env())
    rt = None
    pg: Autovacuum | None = None
    http = aiohttp.ClientSession(trust_env=False)
    try:
        settings = load_settings(_env_file=None, slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
                                 slack_api_url=fake.info["api_url"], database_url=url, host="127.0.0.1", port=0,
                                 log_level="INFO")
        rt = Runtime.create(settings)
        build_app(rt)
        t = time.perf_counter()
        report["seed"] = await seed(rt, url, people, plans)
        report["seed"]["seconds"] = round(time.perf_counter() - t, 1)
        report["seed"]["zones"] = Counter(m.zone for m in people)
        report["due"] = dict(Counter(e.kind for e in due))
        print(f"seeded {json.dumps({k: v for k, v in report['seed'].items() if k != 'zones'})} on {backend}; "
              f"due {report['due']}; ticks {first.isoformat()} .. {last.isoformat()}", flush=True)
        meter = Meter()
        instrument(rt, meter)
        log_lines(rt)

        async def drain() -> list[dict[str, Any]]:
            async with http.get(f"{fake.info['url']}/bench/calls") as response:
                return [c for c in await response.json() if c["method"] == "chat.postMessage"]

        async def advance(seconds: float) -> None:
            async with http.post(f"{fake.info['url']}/bench/advance", json={"seconds": seconds}) as response:
                response.raise_for_status()

        await drain()
        minutes = [first + timedelta(minutes=k) for k in range(int((last - first).total_seconds() // 60) + 1)]
        if args.busy_only:
            near = {m + timedelta(minutes=d) for m in due_at for d in (-2, -1, 0, 1, 2)}
            minutes = [first] + [m for m in minutes[1:] if m in near]
        busiest = max(due_at, key=lambda m: sum(e.kind == PROMPT for e in due_at[m]))
        pg = Autovacuum(url) if rt.db.backend == "postgresql" else None
        accepted: dict[tuple[str, str, str], list[datetime]] = defaultdict(list)  # key -> ticks it was accepted in
        unknown: list[dict[str, Any]] = []
        limited_calls: list[dict[str, Any]] = []  # the first 500 429s: which message, how long into its tick
        table: list[Minute] = []
        prompt_delays: list[float] = []
        limited_total = retried_total = gave_up_total = 0
        ticks = []
        pg0 = await backend_cpu(url)
        with OtherCpu(fake.pid) as phase:
            for n, at in enumerate(minutes):
                t0 = time.time()
                stat, _ = await one_tick(rt, meter, at, record=at == busiest)
                calls = await drain()
                if at == busiest:  # its statements, grouped: where a prompt's cost goes
                    write_log(out, "busiest", stat, meter.log)
                ticks.append(stat)
                sent: Counter = Counter()
                last_prompt = last_any = None
                last_of: dict[str, float] = {}
                attempts: dict[tuple[str, str, str], list[bool]] = defaultdict(list)
                for c in calls:
                    key = classify(c)
                    if key is None:
                        unknown.append(c)
                        continue
                    attempts[key].append(c["limited"])
                    if c["limited"]:
                        if len(limited_calls) < 500:
                            limited_calls.append({"tick": at.isoformat(timespec="minutes"), "kind": key[0],
                                                  "standup": key[1], "to": key[2], "after_s": round(c["at"] - t0, 3)})
                        continue
                    accepted[key].append(at)
                    sent[key[0]] += 1
                    delay = c["at"] - t0
                    last_any = max(last_any or delay, delay)
                    last_of[key[0]] = round(max(last_of.get(key[0], delay), delay), 3)
                    if key[0] == PROMPT:
                        last_prompt = max(last_prompt or delay, delay)
                        prompt_delays.append(delay)
                limited = sum(sum(a) for a in attempts.values())
                gave_up = sum(1 for a in attempts.values() if a[-1])
                limited_total += limited
                retried_total += limited - gave_up
                gave_up_total += gave_up
                here = due_at.get(at, [])
                if here or calls:
                    dms = [e for e in here if e.kind != SUMMARY]
                    table.append(Minute(
                        at.isoformat(timespec="minutes"), dict(Counter(e.kind for e in here)), dict(sent), limited,
                        limited - gave_up, gave_up, stat.statements, stat.cpu_ms, stat.wall_ms,
                        round(last_prompt, 3) if last_prompt is not None else None,
                        round(last_any, 3) if last_any is not None else None, last_of,
                        round(floor_seconds(here, args.per_channel, args.burst, args.workspace_rate,
                                            args.workspace_burst), 3),
                        round(floor_seconds(dms, args.per_channel, args.burst, args.workspace_rate,
                                            args.workspace_burst), 3)))
                    row = table[-1]
                    print(f"  {row.at}: due {row.due}, sent {row.sent}, 429s {row.limited} (gave up {row.gave_up}), "
                          f"last prompt {row.to_last_prompt_s} s, last message {row.to_last_message_s} s, "
                          f"floor {row.floor_s} s; {row.statements} statements, {row.cpu_ms:.0f} ms CPU, "
                          f"{row.wall_ms:.0f} ms wall", flush=True)
                if pg is not None:  # outside the tick's measurement
                    await pg.maybe_run()
                if n + 1 < len(minutes):  # Slack's buckets refill over the simulated time to the next tick
                    await advance((minutes[n + 1] - at).total_seconds())
        report["run"] = {**phase.summary(), "postgres_backend_cpu_s": backend_delta(pg0, await backend_cpu(
            url, pg.pid if pg is not None else None)), "ticks": len(minutes),
            "autovacuum_emulated": pg.done_since() if pg is not None else None}

        # the check, from the fake's recorded calls
        tick_of = {e.key: e.at for e in due}
        missing = [k for k in tick_of if k not in accepted]
        twice = [k for k, ats in accepted.items() if len(ats) > 1]
        unexpected = [k for k in accepted if k not in tick_of]
        late = [k for k, ats in accepted.items() if k in tick_of and ats[0] != tick_of[k]]
        check = {"expected": len(tick_of), "accepted": sum(len(a) for a in accepted.values()),
                 "missing": len(missing), "twice": len(twice), "unexpected": len(unexpected),
                 "not_in_their_minute": len(late), "other_posts": len(unknown),
                 "missing_by_kind": dict(Counter(k[0] for k in missing)),
                 "late_by_kind": dict(Counter(k[0] for k in late))}
        check["ok"] = not (missing or twice or unexpected or late or unknown)
        check["samples"] = {"missing": missing[:10], "twice": twice[:10], "unexpected": unexpected[:10],
                            "late": [(k, tick_of[k].isoformat(), accepted[k][0].isoformat()) for k in late[:10]],
                            "other_posts": unknown[:5]}
        report["check"] = check
        report["minutes"] = [m.__dict__ for m in table]
        report["limited_calls"] = limited_calls
        busy = [m for m in table if m.due]
        prompt_minutes = [m for m in busy if m.due.get(PROMPT)]
        report["summary"] = {
            "limits": {"per_channel": args.per_channel, "burst": args.burst, "workspace": args.workspace_rate,
                       "workspace_burst": args.workspace_burst, "latency_ms": args.latency_ms},
            "due_minutes": len(busy), "prompt_minutes": len(prompt_minutes),
            "limited": limited_total, "retried": retried_total, "gave_up": gave_up_total,
            "to_last_prompt_s": spread([m.to_last_prompt_s for m in prompt_minutes if m.to_last_prompt_s is not None]),
            "prompt_delay_s": spread(prompt_delays),
            "floor_s": spread([m.floor_s for m in busy]),
            "statements": sum(s.statements for s in ticks), "cpu_s": round(sum(s.cpu_ms for s in ticks) / 1000, 2),
            "wall_s": round(sum(s.wall_ms for s in ticks) / 1000, 2),
            "busiest_prompt_minutes": [m.__dict__ for m in sorted(prompt_minutes, key=lambda m: -m.due[PROMPT])[:5]],
            "slowest_minutes": [m.__dict__ for m in sorted(busy, key=lambda m: -(m.to_last_message_s or 0))[:5]],
        }
        report["out"] = str(out)
        report["finished"] = datetime.now(UTC).isoformat()
    finally:
        await http.close()
        if pg is not None:
            await pg.close()
        if rt is not None:
            await rt.close()
        fake.stop()
        CLOCK.reset()
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str))
    with open(out / "minutes.txt", "w") as f:
        for m in report.get("minutes", []):
            f.write(json.dumps(m) + "\n")
    return report


def print_summary(report: dict[str, Any]) -> None:
    s, c, seed = report["summary"], report["check"], report["seed"]
    lim = s["limits"]
    print("\n== summary ==")
    print(f"{seed['standups']} standups ({seed['big_standup']} in {BIG_NAME}), {seed['seats']} seats, "
          f"{seed['people']} people in {len(seed['zones'])} zones, on {report['args']['database']}; "
          f"limits: {lim['per_channel']}/s per channel, burst {lim['burst']}, workspace "
          f"{lim['workspace'] or 'none'}, latency {lim['latency_ms']} ms")
    print(f"ticks {report['run']['ticks']}: {s['statements']} statements, {s['cpu_s']} s CPU, {s['wall_s']} s wall; "
          f"other CPU {report['run']['other_cpu_s']} s, PostgreSQL backends {report['run']['postgres_backend_cpu_s']} s")
    print(f"due minutes {s['due_minutes']} ({s['prompt_minutes']} with prompts); 429s {s['limited']}, "
          f"retried {s['retried']}, gave up {s['gave_up']}")
    print(f"tick start -> last prompt accepted, per prompt minute: {s['to_last_prompt_s']}")
    print(f"tick start -> each prompt accepted: {s['prompt_delay_s']}")
    print(f"floor per due minute: {s['floor_s']}")
    print("busiest prompt minutes:")
    for m in s["busiest_prompt_minutes"]:
        print(f"  {m['at']}: due {m['due']}, sent {m['sent']}, last prompt {m['to_last_prompt_s']} s, "
              f"last message {m['to_last_message_s']} s, floor {m['floor_s']} s (DMs {m['floor_dm_s']} s), "
              f"429s {m['limited']}, {m['statements']} statements, {m['cpu_ms']:.0f} ms CPU")
    print("slowest minutes:")
    for m in s["slowest_minutes"]:
        print(f"  {m['at']}: due {m['due']}, sent {m['sent']}, last message {m['to_last_message_s']} s "
              f"(by kind {m['to_last_s']}), floor {m['floor_s']} s, 429s {m['limited']} (gave up {m['gave_up']}), "
              f"{m['cpu_ms']:.0f} ms CPU")
    print(f"check: {json.dumps({k: v for k, v in c.items() if k != 'samples'})}")
    if not c["ok"]:
        print(f"  samples: {json.dumps(c['samples'], default=str)[:3000]}")
    print(f"output: {report['out']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_STANDUPS_DATABASE_URL", DEFAULT_PG),
                        help="PostgreSQL URL (its public schema is dropped and re-migrated)")
    parser.add_argument("--participants", type=int, default=500, help="participants of the big standup")
    parser.add_argument("--zones", type=int, default=20, choices=range(1, 21), metavar="1..20")
    parser.add_argument("--standups", type=int, default=200, help="standups besides the big one")
    parser.add_argument("--people", type=int, default=2000, help="people in the workspace")
    parser.add_argument("--per-channel", type=float, default=1.0, help="chat.postMessage a second per channel")
    parser.add_argument("--burst", type=int, default=3, help="posts a channel may make at once")
    parser.add_argument("--workspace-rate", type=float, default=None, help="posts a second over the workspace")
    parser.add_argument("--workspace-burst", type=int, default=10)
    parser.add_argument("--latency-ms", type=float, default=80.0, help="how long the fake takes per call")
    parser.add_argument("--busy-only", action="store_true", help="tick only minutes with something due, +-2")
    parser.add_argument("--out-dir", default=None)
    parser.add_argument("--max-seconds", type=float, default=3600, help="the fake Slack's lifetime cap")
    print_summary(asyncio.run(run(parser.parse_args())))
