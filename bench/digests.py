"""Issue 14's scale case: building one digest over a big workspace, and 1,000 digests due in the
same minute posted under Slack's rate limits.

    .venv/bin/python -m bench.digests [--database sqlite|postgres] [--phase build|delivery|both]
                                      [--builds 30] [--feedback 100000] [--launches 1000] [--kpis 50]
                                      [--kpi-days 365] [--noise 1.0] [--digests 1000] [--workspaces 5]
                                      [--digests-per-channel 4] [--crowded 2] [--crowded-size 10]
                                      [--weekly-share 0.25] [--per-channel 1] [--burst 3]
                                      [--workspace-rate R] [--workspace-burst 10] [--latency-ms 80]
                                      [--at-once N] [--experiment longest-first|charts-in-background|
                                                                  charts-in-a-process]
                                      [--profile] [--pg-url URL] [--out-dir DIR]

Both phases start from a fresh database migrated through the real migrations (a SQLite file, or
`--pg-url`, default `bench_digests`, whose public schema is dropped first; never the test
suite's `test`), seeded with Core inserts of the real models (bulk executemany, explicit ids), and
run the real bot in this process (Runtime.create + build_app, scheduler stopped), its digests
created with bot/digests/service.create. On PostgreSQL the seed is followed by VACUUM ANALYZE, as
autovacuum would leave a table that size.

**Build.** One workspace, TBDIGEST, as issue 14 sizes it: `--feedback` feedback items (100,000)
over a year (about 270 a day, so the last day and week hold some), each in one of 20 product areas
(8% none, some typed in another case), 0-3 of 40 tags, 1-5 reporters (votes) at filing and over the
following month, statuses by age (a week-old item is mostly still new; older ones triaged,
planned, shipped or declined with `closed_at`, or merged into an earlier one); `--launches`
launches (1,000) with launch days spread over a year either side, 10% of them in the digest's
channel, ~10 checklist items each over the seven functions (owners, done states by due date: some
overdue), 8% with open or cleared standup risks, 3% cancelled; 10 standups of 8 people (three
report in the digest's channel) with a year of weekday answers (85% answered, 5% late), blocker
episodes (some open now), people away this week and a workspace holiday on Thursday; `--kpis` KPIs
(50, ten nudging in the digest's channel) with `--kpi-days` of hourly values (365: 8,760 each,
438,000 rows), targets, bands, both directions, one stale and one whose pulls fail. A second
workspace, TBNOISE, holds the same again at `--noise` scale with the same channel ids, tags,
areas and KPI keys and "NOISE" in every user text: a query missing its tenancy filter reads it,
and a digest showing it fails the check.

Four digests of the channel CPRODUCT, at 09:00 Europe/Berlin, built for Tue 8 Dec 2026 08:00Z:
daily (Mon-Fri, so the period is a day) and weekly (Tuesdays: a week), each with every section's
filter off (feedback all, launches of this channel, the channel's standups, the channel's KPIs)
and on (two tags and two areas, all launches, one standup, five chosen KPIs). For each, `--builds`
builds (after 3 not counted) of what bot/digests/flows.post does in its read transaction: inside
`rt.db.unit_of_work()`, the digest row read and `compose(session, registered sections, digest,
end)`; wall (perf_counter), this process's CPU (process_time) and statements (a
before_cursor_execute listener; SQLite's BEGIN IMMEDIATE included). Then each section's `build`
alone, `--builds` times in its own unit of work, with every statement timed (before/after
cursor_execute): the slowest statements' plans (EXPLAIN QUERY PLAN on SQLite, EXPLAIN (ANALYZE,
BUFFERS) on PostgreSQL, with the parameters they ran with) go to explain.txt. A weekly digest's
chart (the KPI section's attach: drawn after the post) is timed apart, against a stub upload.
Checked: every section of the filter-off digests has something to say, the message fits Slack
(at most 50 blocks) and nothing of TBNOISE shows.

**Delivery.** `--digests` digests (1,000) due at the same minute: `--workspaces` workspaces
(a workspace holds at most 200, bot/digests/service.DIGESTS_MAX), each with its channels holding
`--digests-per-channel` (4) digests, and `--crowded` (2) channels `--crowded-size` (10): 47
channels and 200 digests a workspace at the defaults, 235 channels in all. Every digest posts at
09:00 in one of six zones at +01:00 in December (Berlin, Paris, Madrid, Rome, Warsaw,
Amsterdam), so all fall on Tue 8 Dec 08:00Z; a `--weekly-share` of them (every fourth) are
weekly on Tuesdays with every section (the KPI chart goes in their thread), the others daily
with every section, feedback of one tag with all launches, or standups and KPIs only, in turn.
The data is small enough that building is not the whole cost but leaves every digest something
to say: per workspace 60 people (in New York, whose day has not started, so nothing else is due
at 08:00Z), 3,000 feedback items over 90 days, a launch in the next two weeks in every channel
(and 30 more), a standup of 6 in every channel with three weeks of answers, a KPI per channel
with three weeks of hourly values.

The fake Slack Web API runs in its own process (bench/fake_slack_server.py) with Slack's limits
on: chat.postMessage `--per-channel` a second per channel with a burst of `--burst` (Slack's
documented 1/s with short bursts), optionally `--workspace-rate` a second per workspace with a
burst of `--workspace-burst` (Slack says there is one and publishes no figure; the fake keys it by
the channel id's first three characters, which name the workspace here), 429 with Retry-After
beyond, and `--latency-ms` on every call. The bot's client is the production one (slack_sdk's
429 handler, two retries) behind the bot's own pacer (bot/pacing.py, where present). A tick at
07:59Z first computes what the first tick ever computes (day starts, standup moments) and must
post nothing; the fake's limiter clock and the pacer's clock then move on a minute (POST
/bench/advance) and `duties.tick(rt, at)` runs at 08:00Z, timed as bench/tick.py times a tick. Ticks follow a minute apart (the limiter a minute on each time) until every
digest is in or ten minutes have passed: a post that gave up is retried by a later tick
(bot/digests/duties.py RETRY_EVERY).

Measured, from the fake's recorded calls (GET /bench/calls: each call, whether it was answered
429, and the time.time() it was answered): the wall time from the tick's start to the last digest
accepted, against the floor the limits allow for what was due, all asked at the tick's start
(per channel (n - burst) / rate, per workspace (N - workspace burst) / workspace rate when set,
plus one round trip); the ratio; 429s, retries and give-ups; the last chart shared. The
anatomy: the digest duty's own phases (finding the 1,000, the lanes, the advance), per digest the wait
for its channel's turn (Duty.pace) and the time in its place split into the build
(bot/digests/flows.compose), chat.postMessage (its round trips and the 429 sleeps slack_sdk
takes inside it), the chart (drawn, uploaded) and the rest (claim, record, waiting for a
connection or the CPU), how many lanes were busy over time, the event loop's lag, and, before the tick,
the build alone of 50 of the digests one after another (CPU and statements per build).
`--at-once N` replaces the digest duty's bound (bot/digests/duties.py SEND_AT_ONCE) for the run;
`--experiment` tries a change to the delivery without editing the bot (see `observe`);
`--profile` writes cProfile's view of the measured tick.
The check: every digest accepted exactly once (named by its header text in its channel), none
missing, none twice, nothing else posted; each weekly digest's chart shared once.

Everything goes to a /tmp/prodops-bench-digests-* directory (or `--out-dir`): report.json,
explain.txt, statements-build.txt (each section's statements grouped, with times),
digest-<variant>.json (what each built digest says), statements-delivery.txt, the bot's log and
the fake's.
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import logging
import math
import os
import pstats
import random
import re
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bench.common import (Child, OtherCpu, backend_cpu, backend_delta, busy_jiffies, child_env, clear_proxies,
                          machine, pct, prepare_database)

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_digests"
SEED = 14
END = datetime(2026, 12, 8, 8, 0, tzinfo=UTC)  # Tue 09:00 in Berlin: the occurrence built and posted
TODAY = date(2026, 12, 8)
SEEDED_AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)  # when the digests were set up (Monday noon)
MAIN, NOISE = "TBDIGEST", "TBNOISE"
PRODUCT = "CPRODUCT"  # the build's digest channel: launches, standups and KPIs report here
DIGEST_ZONE = "Europe/Berlin"
ZONES_AT_PLUS_ONE = ("Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Rome", "Europe/Warsaw",
                     "Europe/Amsterdam")  # +01:00 in December: 09:00 there is 08:00Z
WEEKDAYS = 0b0011111
TUESDAY = 0b0000010
CHUNK = 5000
MARK = "NOISE"  # in every user text of the noise workspace: never in a digest of the main one

WORDS = ("export button slow login page crash sync invoice billing mobile app dashboard chart api token timeout "
         "search filter report csv pdf email notification dark mode onboarding sso saml webhook latency android "
         "ios tablet offline upload download permissions admin audit customers renewal seats pricing calendar "
         "reminder integration salesforce jira github slack zapier import mapping fields sorting pagination").split()
AREAS = ["Mobile", "Web", "Billing", "API", "Onboarding", "Search", "Reports", "Integrations", "Admin",
         "Notifications", "Security", "Performance", "Exports", "Dashboard", "Payments", "SSO", "Accessibility",
         "Localization", "Docs", "Support"]
TAGS = ["billing", "mobile-app", "bug", "ux", "performance", "enterprise", "api", "export", "sso", "churn-risk",
        "onboarding", "search", "reports", "integrations", "security", "pricing", "dashboard", "notifications",
        "android", "ios", "csv", "webhooks", "permissions", "audit", "sales", "support", "docs", "a11y", "i18n",
        "dark-mode", "calendar", "import", "salesforce", "jira", "github", "zapier", "latency", "offline",
        "tablet", "admin"]
KPI_NAMES = ["Activation rate", "Weekly active users", "NPS", "Churn", "MRR", "Support tickets", "P95 latency",
             "Trial conversion", "Expansion revenue", "Time to first value", "Uptime", "Bug backlog",
             "Deploys per day", "Lead time", "CSAT", "Signups", "Seats sold", "Refunds", "Open incidents",
             "Docs visits", "API errors", "Crash-free sessions", "Page load", "Onboarding done", "Renewals"]
FILTERS_ON_TAGS, FILTERS_ON_AREAS = ["billing", "mobile-app"], ["Billing", "Mobile"]
DIGEST_RE = re.compile(r"^(Digest [A-Z0-9-]+)")

log = logging.getLogger("bench.digests")


# -- the data generator ----------------------------------------------------------------------------

class Ids:
    """Explicit ids per table, so related rows are written in bulk without reading ids back."""

    def __init__(self) -> None:
        self.next: Counter = Counter()

    def take(self, table: str) -> int:
        self.next[table] += 1
        return self.next[table]


@dataclass
class Shape:
    """How much one workspace holds."""

    people: int = 200
    zone: str = DIGEST_ZONE
    channels: list[str] = field(default_factory=lambda: [PRODUCT] + [f"CTEAM{i:02d}" for i in range(29)])
    feedback: int = 100_000
    feedback_days: int = 365
    launches: list[tuple[str, int]] = field(default_factory=list)  # (channel, launch day - today)
    standups: list[str] = field(default_factory=list)  # the channel of each
    standup_size: int = 8
    answer_days: int = 365
    kpis: list[str] = field(default_factory=list)  # the channel of each
    kpi_days: int = 365
    stale_and_failing: bool = True


@dataclass
class Made:
    """What a workspace's generator wrote that the benchmark refers to later."""

    team_id: str
    people: list[str] = field(default_factory=list)
    standups: dict[str, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))  # channel -> (id, name)
    kpi_keys: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # channel -> keys
    rows: Counter = field(default_factory=Counter)


def build_shape(args: argparse.Namespace, scale: float = 1.0) -> Shape:
    rng = random.Random(SEED)
    s = Shape(feedback=int(args.feedback * scale), kpi_days=args.kpi_days)
    launches = max(1, int(args.launches * scale))
    s.launches = [(PRODUCT if rng.random() < 0.10 else rng.choice(s.channels[1:]), rng.randint(-365, 365))
                  for _ in range(launches)]
    s.standups = [PRODUCT] * 3 + [rng.choice(s.channels[1:]) for _ in range(7)]
    kpis = max(1, int(args.kpis * scale))
    s.kpis = [PRODUCT if i < 10 else rng.choice(s.channels[1:]) for i in range(kpis)]
    return s


def stamp(at: datetime) -> dict[str, datetime]:
    return {"created_at": at, "updated_at": at}


def words(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(low, high)))


class Writer:
    """Bulk Core inserts in chunks, in foreign-key order: a full chunk of any table writes every
    table's pending rows, in the order the tables were first given (parents before children)."""

    def __init__(self, conn: Any, made: Made) -> None:
        self.conn, self.made = conn, made
        self.order: list[Any] = []
        self.pending: dict[Any, list[dict[str, Any]]] = {}

    async def add(self, table: Any, row: dict[str, Any]) -> None:
        if table not in self.pending:
            self.order.append(table)
            self.pending[table] = []
        rows = self.pending[table]
        rows.append(row)
        if len(rows) >= CHUNK:
            await self.flush()

    async def flush(self) -> None:
        from sqlalchemy import insert

        for table in self.order:
            rows, self.pending[table] = self.pending[table], []
            if rows:
                await self.conn.execute(insert(table), rows)
                self.made.rows[table.name] += len(rows)


async def generate(conn: Any, ids: Ids, team: str, shape: Shape, noise: bool, seed: int) -> Made:
    """One workspace's people, feedback, launches, standups and KPIs (see the module's docstring)."""
    from bot.launches.parsing import FUNCTIONS, name_key as launch_key
    from bot.names import name_key as standup_key
    from bot.standups.parsing import DEFAULT_QUESTIONS
    from bot.usertext import from_typed
    from models.calendar import AwayPeriod, Holiday
    from models.feedback import (CaptureState, FeedbackItem, FeedbackReporter, FeedbackSource, FeedbackStatus,
                                 FeedbackTag, Importance)
    from models.kpi import Direction, Kpi, KpiSource, KpiUnit, KpiValue
    from models.launch import Decision, Launch, LaunchItem, LaunchRisk
    from models.person import Person
    from models.standup import PostMode, Standup, StandupAnswer, StandupBlocker, StandupMember
    from models.workspace import Workspace

    rng = random.Random(seed)
    made = Made(team)
    w = Writer(conn, made)
    mark = f" {MARK}" if noise else ""
    long_ago = END - timedelta(days=400)

    def text(raw: str) -> str:
        return from_typed(raw + mark)

    await w.add(Workspace.__table__, {"team_id": team, "name": team, "timezone": shape.zone,
                                      "feedback_seq": shape.feedback, "settings": {}, **stamp(long_ago)})
    await w.flush()
    for i in range(shape.people):
        user = f"U{team[2:5]}{i:05d}"
        made.people.append(user)
        await w.add(Person.__table__, {
            "team_id": team, "user_id": user, "display_name": text(f"Person {i:03d} {rng.choice(WORDS).title()}"),
            "tz": shape.zone, "tz_offset": None, "is_bot": False, "deleted": False, "left_at": None,
            "refreshed_at": SEEDED_AT, "checked_at": SEEDED_AT, "work_days": None, "work_start": None,
            "work_end": None, "holiday_country": None, "next_start_at": None, **stamp(long_ago)})
    people = made.people
    for user in rng.sample(people, max(1, len(people) // 10)):  # away this week (some already)
        first = TODAY + timedelta(days=rng.randint(-3, 5))
        await w.add(AwayPeriod.__table__, {"team_id": team, "user_id": user, "starts_on": first,
                                           "ends_on": first + timedelta(days=rng.randint(0, 6)),
                                           "note": text("off"), "created_by": user, **stamp(long_ago)})
    await w.add(Holiday.__table__, {"team_id": team, "day": TODAY + timedelta(days=2), "name": text("Company offsite"),
                                    "created_by": people[0], **stamp(long_ago)})
    await w.flush()

    # feedback: items, tags, reporters
    item_ids: list[int] = []
    area_weights = [1 / (k + 1) for k in range(len(AREAS))]
    tag_weights = [1 / (k + 1) ** 0.8 for k in range(len(TAGS))]
    span = shape.feedback_days * 86400
    created = sorted(END - timedelta(seconds=rng.uniform(60, span)) for _ in range(shape.feedback))
    for n, at in enumerate(created, start=1):
        item_id = ids.take("feedback_items")
        age = (END - at).days
        r = rng.random()
        if age < 7:
            status = (FeedbackStatus.NEW if r < 0.7 else FeedbackStatus.TRIAGED if r < 0.9
                      else FeedbackStatus.PLANNED if r < 0.95 else FeedbackStatus.DECLINED)
        else:
            status = (FeedbackStatus.NEW if r < 0.10 else FeedbackStatus.TRIAGED if r < 0.30
                      else FeedbackStatus.PLANNED if r < 0.45 else FeedbackStatus.SHIPPED if r < 0.75
                      else FeedbackStatus.DECLINED if r < 0.92 else FeedbackStatus.MERGED)
        closed = None
        if status in (FeedbackStatus.SHIPPED, FeedbackStatus.DECLINED, FeedbackStatus.MERGED):
            closed = min(END - timedelta(minutes=5), at + timedelta(days=rng.uniform(0.5, min(age, 120))))
        merged = rng.choice(item_ids[-5000:]) if status is FeedbackStatus.MERGED and item_ids else None
        area = None if rng.random() < 0.08 else rng.choices(AREAS, area_weights)[0]
        if area and rng.random() < 0.05:
            area = area.lower()
        source = rng.choices((FeedbackSource.REACTION, FeedbackSource.COMMAND, FeedbackSource.SHORTCUT), (5, 4, 1))[0]
        by = rng.choice(people)
        await w.add(FeedbackItem.__table__, {
            "id": item_id, "team_id": team, "number": n, "text": text(words(rng, 8, 60) + (" & <more>" if n % 17 == 0 else "")),
            "customer": text(f"Customer {rng.randint(1, 500)}") if rng.random() < 0.4 else None,
            "product_area": text(area) if area else None,
            "importance": rng.choice(list(Importance)) if rng.random() < 0.5 else None,
            "status": status, "capture_state": CaptureState.READY, "capture_attempts": 0, "capture_next_at": None,
            "source": source,
            "channel_id": rng.choice(shape.channels) if source is not FeedbackSource.COMMAND else None,
            "message_ts": f"{1600000000 + n}.{item_id % 1000000:06d}" if source is not FeedbackSource.COMMAND else None,
            "author_id": rng.choice(people), "permalink": None, "created_by": by,
            "owner_id": rng.choice(people) if status is not FeedbackStatus.NEW and rng.random() < 0.5 else None,
            "outcome_note": text("Shipped in the December release") if status is FeedbackStatus.SHIPPED else None,
            "closed_at": closed, "merged_into_id": merged, **stamp(at)})
        item_ids.append(item_id)
        for tag in set(rng.choices(TAGS, tag_weights, k=rng.choices((0, 1, 2, 3), (2, 4, 3, 1))[0])):
            await w.add(FeedbackTag.__table__, {"id": ids.take("feedback_tags"), "team_id": team, "item_id": item_id,
                                                "tag": tag})
        votes = rng.choices((1, 2, 3, 4, 5), (45, 25, 15, 10, 5))[0]
        voters = [by] + rng.sample([p for p in people if p != by], votes - 1)
        for k, user in enumerate(voters):
            when = at if k == 0 else min(END - timedelta(seconds=30), at + timedelta(days=rng.uniform(0, 30)))
            await w.add(FeedbackReporter.__table__, {
                "id": ids.take("feedback_reporters"), "team_id": team, "item_id": item_id, "user_id": user,
                "source": source if k == 0 else FeedbackSource.REACTION, "details": None, **stamp(when)})
    await w.flush()

    # launches: checklist items and risks
    for n, (channel, offset) in enumerate(shape.launches):
        launch_id = ids.take("launches")
        day = TODAY + timedelta(days=offset)
        name = text(f"Launch {n:04d} {rng.choice(WORDS)} {rng.choice(WORDS)}")
        decided = offset < 0 or (offset < 4 and rng.random() < 0.3)
        decision = (Decision.GO if rng.random() < 0.9 else Decision.NO_GO) if decided else None
        cancelled = rng.random() < 0.03
        created_at = min(SEEDED_AT, datetime.combine(day, datetime.min.time(), UTC) - timedelta(days=45))
        await w.add(Launch.__table__, {
            "id": launch_id, "team_id": team, "name": name, "name_key": launch_key(name), "launch_date": day,
            "channel_id": channel, "owner_id": rng.choice(people), "template_name": "Standard",
            "message_ts": f"1650000000.{launch_id:06d}", "decision": decision,
            "decided_by": rng.choice(people) if decision else None,
            "decided_at": created_at + timedelta(days=40) if decision else None,
            "cancelled_at": created_at + timedelta(days=10) if cancelled else None,
            "cancelled_by": people[0] if cancelled else None, "created_by": people[0], **stamp(created_at)})
        for position in range(rng.randint(8, 12)):
            off = rng.randint(-21, 7)
            due = day + timedelta(days=off)
            late = due < TODAY
            done = rng.random() < (0.93 if late and (TODAY - due).days > 10 else 0.75 if late else 0.25)
            await w.add(LaunchItem.__table__, {
                "id": ids.take("launch_items"), "team_id": team, "launch_id": launch_id,
                "function": rng.choice(FUNCTIONS), "title": text(f"{words(rng, 2, 6)}".capitalize()),
                "offset_days": off, "owner_id": rng.choice(people) if rng.random() < 0.85 else None,
                "done": done, "done_by": rng.choice(people) if done else None,
                "done_at": min(END, created_at + timedelta(days=30)) if done else None, "position": position,
                **stamp(created_at)})
        if rng.random() < 0.08:
            for k in range(rng.randint(1, 2)):
                await w.add(LaunchRisk.__table__, {
                    "id": ids.take("launch_risks"), "team_id": team, "launch_id": launch_id, "source": "standup",
                    "ref": f"blocker:{launch_id}-{k}", "text": text(f"Blocked on {words(rng, 3, 10)}"),
                    "raised_by": rng.choice(people),
                    "cleared_at": END - timedelta(days=1) if rng.random() < 0.5 else None, **stamp(created_at)})
    await w.flush()

    # standups: members, a year of answers, blockers
    first_day = TODAY - timedelta(days=shape.answer_days)
    for n, channel in enumerate(shape.standups):
        standup_id = ids.take("standups")
        name = text(f"Team {n:02d} standup")
        members = rng.sample(people, min(shape.standup_size, len(people)))
        made.standups[channel].append((standup_id, name))
        await w.add(Standup.__table__, {
            "id": standup_id, "team_id": team, "name": name, "name_key": standup_key(name), "channel_id": channel,
            "owner_id": members[0], "questions": list(DEFAULT_QUESTIONS), "days": WEEKDAYS,
            "prompt_at": 9 * 60 + 30, "deadline_at": 11 * 60, "mode": rng.choice(list(PostMode)), "paused_at": None,
            "created_by": members[0], "next_summary_at": None, "next_summary_day": None, **stamp(long_ago)})
        await w.flush()
        for user in members:
            await w.add(StandupMember.__table__, {"id": ids.take("standup_members"), "standup_id": standup_id,
                                                  "team_id": team, "user_id": user, "joined_at": long_ago,
                                                  "next_at": None, "next_day": None, "next_event": None})
        day = first_day
        while day < TODAY:
            if day.weekday() < 5:
                for user in members:
                    if rng.random() < 0.85:
                        at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=9)
                        late = rng.random() < 0.05
                        await w.add(StandupAnswer.__table__, {
                            "id": ids.take("standup_answers"), "standup_id": standup_id, "team_id": team,
                            "user_id": user, "day": day,
                            "answers": [text(words(rng, 3, 15)), text(words(rng, 3, 15)),
                                        text("none" if rng.random() < 0.85 else words(rng, 3, 10))],
                            "late": late, "version": 1, "posted_version": 1, "unposted": False,
                            "message_channel": channel, "message_ts": f"1660000000.{ids.next['standup_answers']:06d}",
                            **stamp(at + timedelta(hours=3 if late else 0))})
            day += timedelta(days=1)
        for user in members:
            start = first_day + timedelta(days=rng.randint(0, 30))
            while start < TODAY:
                length = rng.randint(1, 12)
                cleared = start + timedelta(days=length)
                still_open = cleared >= TODAY
                await w.add(StandupBlocker.__table__, {
                    "id": ids.take("standup_blockers"), "standup_id": standup_id, "team_id": team, "user_id": user,
                    "text": text(f"Waiting on {words(rng, 3, 12)}"), "since": start,
                    "last_day": min(cleared, TODAY - timedelta(days=1)),
                    "cleared_on": None if still_open else cleared, "launch_id": None, **stamp(long_ago)})
                start = cleared + timedelta(days=rng.randint(10, 60))
    await w.flush()

    # KPIs: hourly values
    units = list(KpiUnit)
    hours = shape.kpi_days * 24
    for n, channel in enumerate(shape.kpis):
        kpi_id = ids.take("kpis")
        key = f"kpi-{n:02d}"
        made.kpi_keys[channel].append(key)
        unit = units[n % len(units)]
        base = rng.uniform(10, 1000) if unit is not KpiUnit.PERCENT else rng.uniform(20, 90)
        direction = Direction.HIGHER if n % 3 else Direction.LOWER
        band = (base * 0.9, base * 1.1) if n % 10 == 7 else None
        target = None if band or n % 5 == 4 else base * (1.02 if direction is Direction.HIGHER else 0.98)
        stale = shape.stale_and_failing and n == 1
        failing = shape.stale_and_failing and n == 2
        last = END - timedelta(days=12) if stale else END - timedelta(minutes=30)
        await w.add(Kpi.__table__, {
            "id": kpi_id, "team_id": team, "key": key,
            "name": text(KPI_NAMES[n % len(KPI_NAMES)] + (f" {n // len(KPI_NAMES) + 1}" if n >= len(KPI_NAMES) else "")),
            "unit": unit, "direction": direction, "target": target, "band_low": band[0] if band else None,
            "band_high": band[1] if band else None, "owner_id": rng.choice(people), "channel_id": channel,
            "stale_days": 7, "change_pct": 20.0, "change_baseline": None,
            "source": KpiSource.HTTP if failing else KpiSource.MANUAL,
            "pull_url": "https://metrics.example.com/kpi" if failing else None, "pull_header_name": None,
            "pull_header_value": None, "pull_path": "value" if failing else None, "pull_every": 60 if failing else None,
            "next_pull_at": END + timedelta(days=1) if failing else None, "push_token_hash": None,
            "failing_since": END - timedelta(hours=3) if failing else None,
            "failing_reason": "HTTP 500" if failing else None, "stale_at": None, "created_by": people[0],
            **stamp(long_ago)})
        await w.flush()
        value = base
        for h in range(hours):
            at = last - timedelta(hours=hours - 1 - h)
            value = max(0.0, value + rng.gauss(0, base * 0.004) + (base - value) * 0.01)
            season = 1 + 0.05 * math.sin(2 * math.pi * (at.hour / 24))
            await w.add(KpiValue.__table__, {"id": ids.take("kpi_values"), "kpi_id": kpi_id, "team_id": team,
                                             "at": at, "value": round(value * season, 3), "source": "pull",
                                             "by": None, "recorded_at": at})
    await w.flush()
    return made


async def seed(rt: Any, ids: Ids, plans: list[tuple[str, Shape, bool]]) -> dict[str, Made]:
    made = {}
    for n, (team, shape, noise) in enumerate(plans):
        async with rt.db.engine.begin() as conn:
            made[team] = await generate(conn, ids, team, shape, noise, SEED + n)
    await settle_statistics(rt)
    return made


async def settle_statistics(rt: Any) -> None:
    """PostgreSQL: sequences past the explicit ids, then VACUUM ANALYZE (the visibility map and
    statistics autovacuum would leave). SQLite: ANALYZE, as nothing else would run it."""
    from sqlalchemy import text

    if rt.db.backend == "postgresql":
        import asyncpg

        conn = await asyncpg.connect(rt.db.url.replace("postgresql+asyncpg", "postgresql"))
        try:
            for table in ("feedback_items", "feedback_tags", "feedback_reporters", "launches", "launch_items",
                          "launch_risks", "standups", "standup_members", "standup_answers", "standup_blockers",
                          "kpis", "kpi_values"):
                await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                   f"(SELECT coalesce(max(id), 1) FROM {table}))")
            await conn.execute("VACUUM ANALYZE")
        finally:
            await conn.close()
    else:
        async with rt.db.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))


# -- measuring statements --------------------------------------------------------------------------

@dataclass
class Statements:
    """Every statement on the engine: counted always; timed and kept, with its parameters, while
    `label` is set (the section being built)."""

    count: int = 0
    label: str | None = None
    kept: list[tuple[str, str, Any, float]] = field(default_factory=list)  # label, statement, parameters, ms

    def install(self, engine: Any) -> None:
        from sqlalchemy import event

        def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
            self.count += 1
            conn.info.setdefault("bench_t", []).append(time.perf_counter())

        def after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
            started = conn.info["bench_t"].pop()
            if self.label is not None and not executemany:
                self.kept.append((self.label, statement, parameters, (time.perf_counter() - started) * 1000))

        event.listen(engine.sync_engine, "before_cursor_execute", before)
        event.listen(engine.sync_engine, "after_cursor_execute", after)


def spread_ms(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50": round(pct(values, 0.5), 2), "p95": round(pct(values, 0.95), 2),
            "max": round(max(values, default=0.0), 2), "mean": round(sum(values) / max(1, len(values)), 2)}


PLAN_LINES = 40  # of a plan written out (a UNION ALL of 200 LIMITs repeats one line per term)


def cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[:most] + f" ... ({len(text) - most} more characters)"


def shape_of(statement: str) -> str:
    return " ".join(statement.split())


async def explain(rt: Any, statement: str, parameters: Any) -> list[str]:
    async with rt.db.engine.connect() as conn:
        if rt.db.backend == "postgresql":
            rows = await conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, tuple(parameters))
            return [r[0] for r in rows]
        rows = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, tuple(parameters))
        return [f"{r[0]}|{r[1]}| {r[-1]}" for r in rows]


# -- phase 1: building one digest over a big workspace -----------------------------------------------

@dataclass(frozen=True)
class Variant:
    name: str
    weekly: bool
    filtered: bool


VARIANTS = (Variant("daily", False, False), Variant("daily-filtered", False, True),
            Variant("weekly", True, False), Variant("weekly-filtered", True, True))


def section_filters(made: Made, filtered: bool, names: list[str]) -> dict[str, dict[str, Any]]:
    sid, sname = made.standups[PRODUCT][0]
    keys = made.kpi_keys[PRODUCT][:3] + ["kpi-01", "kpi-02"]  # and the stale one and the failing one
    filters = {"feedback": {"tags": FILTERS_ON_TAGS, "areas": FILTERS_ON_AREAS} if filtered else {},
               "launches": {"scope": "all" if filtered else "channel"},
               "standups": {"standup_id": sid, "name": sname} if filtered else {},
               "kpis": {"keys": list(dict.fromkeys(keys))} if filtered else {}}
    return {n: filters.get(n, {}) for n in names}


async def create_digests(rt: Any, team: str, owner: str, specs: list[dict[str, Any]]) -> list[int]:
    from bot.clock import CLOCK
    from bot.digests import service
    from models.digest import Cadence, WhenEmpty

    CLOCK.set(SEEDED_AT)
    found = []
    async with rt.db.unit_of_work() as session:
        for spec in specs:
            digest = await service.create(session, team, service.Setup(
                name=spec["name"], channel_id=spec["channel"],
                cadence=Cadence.WEEKLY if spec["weekly"] else Cadence.DAILY,
                days=TUESDAY if spec["weekly"] else WEEKDAYS, minutes=9 * 60, timezone=spec["zone"],
                sections=spec["sections"], when_empty=WhenEmpty.SAY, owner_id=owner), owner, SEEDED_AT)
            found.append(digest.id)
    return found


class StubClient:
    """Where a chart would be uploaded in the build phase: takes it, says it went."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    async def files_upload_v2(self, **kwargs: Any) -> dict[str, Any]:
        self.sizes.append(len(kwargs.get("file") or b""))
        return {"files": [{"id": "FBENCH"}]}


def noise_in(blocks: Any) -> bool:
    return MARK.lower() in json.dumps(blocks).lower()


async def build_phase(args: argparse.Namespace, out: Path, backend: str) -> dict[str, Any]:
    from bot.app import build_app
    from bot.clock import CLOCK
    from bot.config import load_settings
    from bot.digests.compose import compose, period_of
    from bot.digests.sections import registered
    from bot.runtime import Runtime
    from models.digest import Digest
    from tests.slack_requests import BOT_TOKEN, SIGNING_SECRET

    (out / "build.sqlite3").unlink(missing_ok=True)
    url = await prepare_database(backend, out, args.pg_url, "build.sqlite3")
    settings = load_settings(_env_file=None, slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
                             slack_api_url="http://127.0.0.1:9/api/", database_url=url, host="127.0.0.1", port=0,
                             log_level="INFO")
    rt = Runtime.create(settings)
    report: dict[str, Any] = {}
    try:
        build_app(rt)
        sections = registered(rt.features)
        names = [s.name for s in sections]
        report["sections"] = names
        print(f"build: sections registered: {names}", flush=True)
        t = time.perf_counter()
        ids = Ids()
        main_shape = build_shape(args)
        plans = [(MAIN, main_shape, False)]
        if args.noise > 0:
            plans.append((NOISE, build_shape(args, args.noise), True))
        made = await seed(rt, ids, plans)
        report["seed"] = {team: dict(m.rows) for team, m in made.items()}
        report["seed_seconds"] = round(time.perf_counter() - t, 1)
        print(f"build: seeded in {report['seed_seconds']} s: "
              f"{json.dumps({team: sum(m.rows.values()) for team, m in made.items()})} rows", flush=True)
        main = made[MAIN]
        specs = [{"name": f"Digest {v.name}", "channel": PRODUCT, "weekly": v.weekly, "zone": DIGEST_ZONE,
                  "sections": section_filters(main, v.filtered, names)} for v in VARIANTS]
        digest_ids = await create_digests(rt, MAIN, main.people[0], specs)
        if NOISE in made:  # the same digests in the noise workspace: same names, same channel
            await create_digests(rt, NOISE, made[NOISE].people[0],
                                 [{**s, "sections": section_filters(made[NOISE], "filtered" in s["name"], names)}
                                  for s in specs])
        CLOCK.set(END)
        st = Statements()
        st.install(rt.db.engine)
        variants: dict[str, Any] = {}
        machine0 = (busy_jiffies(), time.process_time(), time.perf_counter())
        for v, digest_id in zip(VARIANTS, digest_ids):
            walls, cpus, counts = [], [], []
            composed = None
            for i in range(args.warmup + args.builds):
                c0, w0, cpu0 = st.count, time.perf_counter(), time.process_time()
                async with rt.db.unit_of_work() as session:
                    digest = await session.get(Digest, digest_id)
                    composed = await compose(session, sections, digest, END)
                if i >= args.warmup:
                    walls.append((time.perf_counter() - w0) * 1000)
                    cpus.append((time.process_time() - cpu0) * 1000)
                    counts.append(st.count - c0)
            assert composed is not None
            (out / f"digest-{v.name}.json").write_text(json.dumps({"text": composed.text, "blocks": composed.blocks},
                                                                  indent=1))
            said = [b["text"]["text"].strip("*") for b in composed.blocks
                    if b.get("type") == "section" and b.get("text", {}).get("text", "").startswith("*")
                    and b["text"]["text"].strip("*") in {s.label for s in sections}]
            # each section alone, its statements timed
            per_section: dict[str, Any] = {}
            async with rt.db.unit_of_work() as session:
                digest = await session.get(Digest, digest_id)
                period = period_of(digest, END)
                filters = dict(digest.sections)
            for section in sections:
                if section.name not in filters:
                    continue
                times, scpu, scount = [], [], []
                for i in range(args.warmup + args.builds):
                    async with rt.db.unit_of_work() as session:
                        c0, w0, cpu0 = st.count, time.perf_counter(), time.process_time()
                        st.label = f"{v.name}:{section.name}" if i >= args.warmup else None
                        part = await section.build(session, period, dict(filters[section.name] or {}))
                        st.label = None
                        if i >= args.warmup:
                            times.append((time.perf_counter() - w0) * 1000)
                            scpu.append((time.process_time() - cpu0) * 1000)
                            scount.append(st.count - c0)
                per_section[section.name] = {"wall_ms": spread_ms(times), "cpu_ms": spread_ms(scpu),
                                             "statements": round(sum(scount) / max(1, len(scount)), 1),
                                             "said_something": part is not None,
                                             "blocks": len(part.blocks) if part is not None else 0}
            chart = None
            if composed.attaches:
                stub = SimpleNamespace(client=StubClient())
                chart_ms = []
                for _ in range(args.chart_runs):
                    w0 = time.perf_counter()
                    for attach in composed.attaches:
                        await attach(stub, PRODUCT, "1700000000.000001")  # type: ignore[arg-type]
                    chart_ms.append((time.perf_counter() - w0) * 1000)
                chart = {"attach_ms": spread_ms(chart_ms), "png_bytes": stub.client.sizes[-1] if stub.client.sizes else 0}
            variants[v.name] = {
                "wall_ms": spread_ms(walls), "cpu_ms": spread_ms(cpus),
                "statements": {"mean": round(sum(counts) / max(1, len(counts)), 1), "max": max(counts, default=0)},
                "period": [period.start.isoformat(), period.end.isoformat()],
                "sections_shown": said, "blocks": len(composed.blocks), "text_chars": len(composed.text),
                "noise_shown": noise_in(composed.blocks) or MARK.lower() in composed.text.lower(),
                "attaches": len(composed.attaches), "chart": chart, "per_section": per_section}
            row = variants[v.name]
            print(f"  {v.name}: build p50 {row['wall_ms']['p50']} ms, p95 {row['wall_ms']['p95']} ms, max "
                  f"{row['wall_ms']['max']} ms; CPU p50 {row['cpu_ms']['p50']} ms; {row['statements']['mean']} "
                  f"statements; shown {said}; {row['blocks']} blocks; noise {row['noise_shown']}" +
                  (f"; chart {chart['attach_ms']['p50']} ms" if chart else ""), flush=True)
            for name, s in per_section.items():
                print(f"      {name}: p50 {s['wall_ms']['p50']} ms, p95 {s['wall_ms']['p95']} ms, max "
                      f"{s['wall_ms']['max']} ms, {s['statements']} statements, said {s['said_something']}",
                      flush=True)
        report["variants"] = variants
        busy, own, wall = busy_jiffies() - machine0[0], time.process_time() - machine0[1], time.perf_counter() - machine0[2]
        report["measuring"] = {"wall_s": round(wall, 1), "bot_cpu_s": round(own, 1),
                               "other_cpu_s": round(max(0.0, busy - own), 1)}  # PostgreSQL's backends included
        report["statements"] = await statement_report(rt, st, out, args.explain_top)
        checks = {
            "under_200ms_p95": all(v["wall_ms"]["p95"] < 200 for v in variants.values()),
            "every_section_said_something_unfiltered": all(
                s["said_something"] for n in ("daily", "weekly") for s in variants[n]["per_section"].values()),
            "no_noise": not any(v["noise_shown"] for v in variants.values()),
            "fits_one_message": all(v["blocks"] <= 50 for v in variants.values())}
        checks["ok"] = checks["no_noise"] and checks["fits_one_message"] and checks[
            "every_section_said_something_unfiltered"]
        report["check"] = checks
    finally:
        await rt.close()
        CLOCK.reset()
    return report


async def statement_report(rt: Any, st: Statements, out: Path, top: int) -> list[dict[str, Any]]:
    """Statements grouped by section and shape, the slowest first; their plans to explain.txt."""
    groups: dict[tuple[str, str], list[tuple[float, Any, str]]] = defaultdict(list)
    for label, statement, parameters, ms in st.kept:
        groups[(label.split(":", 1)[1], shape_of(statement))].append((ms, parameters, statement))
    rows = []
    for (section, shape), runs in groups.items():
        times = [r[0] for r in runs]
        slowest = max(runs, key=lambda r: r[0])
        rows.append({"section": section, "runs": len(runs), "mean_ms": round(sum(times) / len(times), 3),
                     "p95_ms": round(pct(times, 0.95), 3), "max_ms": round(max(times), 3),
                     "statement": shape, "_slowest": slowest})
    rows.sort(key=lambda r: -r["mean_ms"])
    with open(out / "statements-build.txt", "w") as f:
        for r in rows:
            f.write(f"{r['section']:10s} {r['runs']:5d} runs  mean {r['mean_ms']:8.3f} ms  p95 {r['p95_ms']:8.3f}  "
                    f"max {r['max_ms']:8.3f}  {r['statement'][:600]}\n")
    chosen = rows[:top]
    for section in {r["section"] for r in rows}:  # and each section's slowest, whatever its rank
        best = next(r for r in rows if r["section"] == section)
        if best not in chosen:
            chosen.append(best)
    with open(out / "explain.txt", "w") as f:
        f.write(f"backend: {rt.db.backend}; statements of the sections' builds, slowest mean first\n\n")
        for r in chosen:
            _, parameters, statement = r["_slowest"]
            try:
                plan = await explain(rt, statement, parameters)
            except Exception as exc:  # noqa: BLE001 - a plan we cannot get is said, not fatal
                plan = [f"(no plan: {type(exc).__name__}: {exc})"]
            r["plan"] = plan
            f.write(f"== {r['section']}: mean {r['mean_ms']} ms, max {r['max_ms']} ms over {r['runs']} runs\n")
            f.write(cut(" ".join(statement.split()), 1500) + "\n")
            f.write("-- parameters: " + cut(repr(list(parameters)), 400) + "\n")
            shown = plan if len(plan) <= PLAN_LINES else [*plan[:PLAN_LINES], f"(... {len(plan) - PLAN_LINES} more lines)"]
            f.write("\n".join(shown) + "\n\n")
    for r in rows:
        r.pop("_slowest", None)
        r["statement"] = r["statement"][:400]
    return rows[:40]


# -- phase 2: 1,000 digests due at the same minute -----------------------------------------------------

@dataclass
class Planned:
    team_id: str
    name: str
    channel: str
    weekly: bool
    charts: bool  # a weekly digest whose KPI section has values: one chart in its thread


def delivery_plan(args: argparse.Namespace) -> tuple[dict[str, Shape], list[dict[str, Any]]]:
    """Per workspace its shape and its digests' channels; the digests themselves (spec dicts)."""
    rng = random.Random(SEED + 100)
    per_ws = args.digests // args.workspaces
    crowded = [args.crowded_size] * args.crowded
    rest = per_ws - sum(crowded)
    if rest < 0 or rest % args.digests_per_channel:
        raise SystemExit(f"{per_ws} digests a workspace do not split into {args.crowded} x {args.crowded_size} "
                         f"and channels of {args.digests_per_channel}")
    counts = crowded + [args.digests_per_channel] * (rest // args.digests_per_channel)
    shapes: dict[str, Shape] = {}
    specs: list[dict[str, Any]] = []
    n = 0
    every = round(1 / args.weekly_share) if args.weekly_share > 0 else 0
    for w in range(1, args.workspaces + 1):
        team = f"TBDLV{w}"
        channels = [f"CW{w}{c:03d}" for c in range(len(counts))]
        shape = Shape(people=60, zone="America/New_York", channels=channels, feedback=3000, feedback_days=90,
                      launches=[(ch, rng.randint(-1, 13)) for ch in channels]
                      + [(rng.choice(channels), rng.randint(-120, 120)) for _ in range(30)],
                      standups=list(channels), standup_size=6, answer_days=21, kpis=list(channels), kpi_days=21,
                      stale_and_failing=False)
        shapes[team] = shape
        for ch, count in zip(channels, counts):
            for k in range(count):
                n += 1
                weekly = bool(every) and n % every == 0
                kind = "all" if weekly else ("all", "tagged", "team")[k % 3]
                specs.append({"team": team, "name": f"Digest W{w}-{n:04d}", "channel": ch, "weekly": weekly,
                              "zone": ZONES_AT_PLUS_ONE[n % len(ZONES_AT_PLUS_ONE)], "kind": kind})
    return shapes, specs


def delivery_sections(kind: str, names: list[str]) -> dict[str, dict[str, Any]]:
    if kind == "tagged":
        chosen = {"feedback": {"tags": [TAGS[0]]}, "launches": {"scope": "all"}}
    elif kind == "team":
        chosen = {"standups": {}, "kpis": {}}
    else:
        chosen = {"feedback": {}, "launches": {"scope": "channel"}, "standups": {}, "kpis": {}}
    return {n: f for n, f in chosen.items() if n in names}


def floor_seconds(due: list[Planned], per_channel: float, burst: int, workspace: float | None,
                  workspace_burst: int) -> dict[str, float]:
    """The least time the limits allow for the last of `due` to be accepted, all asked at once."""
    per = Counter(p.channel for p in due)
    channel = max((max(0, n - burst) / per_channel for n in per.values()), default=0.0)
    team = 0.0
    if workspace is not None:
        teams = Counter(p.team_id for p in due)
        team = max((max(0, n - workspace_burst) / workspace for n in teams.values()), default=0.0)
    return {"per_channel_s": round(channel, 3), "workspace_s": round(team, 3), "limits_s": round(max(channel, team), 3)}


@dataclass
class Anatomy:
    """Where each digest's lane time goes (observing the real functions; changing nothing)."""

    compose_ms: list[float] = field(default_factory=list)
    post_ms: list[float] = field(default_factory=list)  # chat.postMessage, its 429 sleeps included
    chart_render_ms: list[float] = field(default_factory=list)
    upload_ms: list[float] = field(default_factory=list)
    lane_ms: list[float] = field(default_factory=list)  # bot.duties._send of a digest: claim to record
    pace_ms: list[float] = field(default_factory=list)  # waiting for the channel's turn (Duty.pace), before a place
    busy: list[tuple[float, int]] = field(default_factory=list)  # (time.time(), +1/-1) digest sends in flight
    duty: dict[str, float] = field(default_factory=dict)  # the duty's phases (time.time())
    duty_statements: dict[str, int] = field(default_factory=dict)
    on: bool = False

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]
        self.on = True


def observe(rt: Any, anatomy: Anatomy, st: Statements, at_once: int | None, experiments: list[str]) -> int:
    """Wraps the digest duty and the functions a post goes through, to time them; and applies
    the bench-only experiments (changes the lead may make in the bot, tried here first):
    `longest-first` hands the duty's lanes out longest first (bot/duties.py `_run` starts them
    in the order of their first item), `charts-in-background` shares a weekly digest's chart
    from a background task (rt.tasks) instead of in the lane, so the lane's next post does not
    wait for the drawing; `charts-in-a-process` draws the charts in a worker process
    (in_a_process)."""
    import bot.digests.flows
    import bot.duties
    import bot.kpis.digest
    from bot.duties import Due

    found = [d for d in rt.duties.duties if d.name == "digests"]
    if len(found) != 1:
        raise SystemExit(f"expected one 'digests' duty, found {[d.name for d in rt.duties.duties]}")
    duty = found[0]
    real_due = duty.due

    async def due(rt_: Any, at: datetime) -> Any:
        anatomy.duty["due_start"] = time.time()
        anatomy.duty_statements["due_start"] = st.count
        got = await real_due(rt_, at)
        got = got if isinstance(got, Due) else Due(got)
        anatomy.duty["due_end"] = time.time()
        anatomy.duty_statements["due_end"] = st.count
        anatomy.duty["items"] = len(got.items)
        items = got.items
        if "longest-first" in experiments:
            lanes: dict[str, list[Any]] = defaultdict(list)
            for item in items:
                lanes[item.lane or item.key].append(item)
            items = [i for lane in sorted(lanes.values(), key=len, reverse=True) for i in lane]

        async def advance() -> None:
            anatomy.duty["advance_start"] = time.time()
            anatomy.duty_statements["advance_start"] = st.count
            if got.advance is not None:
                await got.advance()
            anatomy.duty["advance_end"] = time.time()
            anatomy.duty_statements["advance_end"] = st.count

        return Due(items, advance)

    real_pace = getattr(duty, "pace", None)
    extra: dict[str, Any] = {}
    if real_pace is not None:
        async def pace(rt_: Any, item: Any) -> None:
            t = time.perf_counter()
            try:
                await real_pace(rt_, item)
            finally:
                anatomy.pace_ms.append((time.perf_counter() - t) * 1000)

        extra["pace"] = pace
    changed = replace(duty, due=due, at_once=at_once if at_once is not None else duty.at_once, **extra)
    rt.duties.duties = tuple(changed if d is duty else d for d in rt.duties.duties)

    real_send = bot.duties._send

    async def send(rt_: Any, duty_: Any, item: Any, at: datetime) -> str:
        if duty_.name != "digests":
            return await real_send(rt_, duty_, item, at)
        t = time.perf_counter()
        anatomy.busy.append((time.time(), 1))
        try:
            return await real_send(rt_, duty_, item, at)
        finally:
            anatomy.busy.append((time.time(), -1))
            anatomy.lane_ms.append((time.perf_counter() - t) * 1000)

    bot.duties._send = send  # type: ignore[assignment]

    real_compose = bot.digests.flows.compose

    def in_background(attach: Any) -> Any:
        async def spawn(rt_: Any, channel: str, ts: str) -> None:
            rt_.tasks.spawn(lambda: attach(rt_, channel, ts), "digest chart")
        return spawn

    async def compose(*a: Any, **k: Any) -> Any:
        t = time.perf_counter()
        try:
            composed = await real_compose(*a, **k)
        finally:
            anatomy.compose_ms.append((time.perf_counter() - t) * 1000)
        if "charts-in-background" in experiments and composed.attaches:
            composed = replace(composed, attaches=[in_background(x) for x in composed.attaches])
        return composed

    bot.digests.flows.compose = compose  # type: ignore[assignment]

    real_post = rt.client.chat_postMessage

    async def post(**kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return await real_post(**kwargs)
        finally:
            anatomy.post_ms.append((time.perf_counter() - t) * 1000)

    rt.client.chat_postMessage = post  # type: ignore[method-assign]

    real_render = getattr(bot.kpis.digest, "render_many_png", None)
    if real_render is not None and "charts-in-a-process" in experiments:
        real_render = in_a_process()
    if real_render is not None:
        async def render(*a: Any, **k: Any) -> Any:
            t = time.perf_counter()
            try:
                return await real_render(*a, **k)
            finally:
                anatomy.chart_render_ms.append((time.perf_counter() - t) * 1000)

        bot.kpis.digest.render_many_png = render  # type: ignore[attr-defined]

    real_upload = rt.client.files_upload_v2

    async def upload(**kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return await real_upload(**kwargs)
        finally:
            anatomy.upload_ms.append((time.perf_counter() - t) * 1000)

    rt.client.files_upload_v2 = upload  # type: ignore[method-assign]
    return changed.at_once


def _draw_nothing() -> None:
    """In the chart worker process: matplotlib imported before the tick."""
    import bot.kpis.chart as chart

    chart._matplotlib()


def in_a_process() -> Any:
    """The `charts-in-a-process` experiment: bot/kpis/chart.py's drawing (`_render_many`, the
    function its worker thread runs) in one worker process instead of a thread of the bot's
    own, so matplotlib's CPU leaves the event loop's core (and its GIL). Started, and matplotlib
    imported in it, before the tick."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import bot.kpis.chart as chart

    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    pool.submit(_draw_nothing).result()

    async def render(charts: list[Any]) -> bytes:
        return await asyncio.get_running_loop().run_in_executor(pool, chart._render_many, charts[:chart.MAX_PANELS])

    return render


def in_flight(busy: list[tuple[float, int]], t0: float, t1: float) -> dict[str, Any]:
    level = peak = 0
    at_level: Counter = Counter()
    last = t0
    for t, step in sorted(busy):
        at_level[level] += max(0.0, t - last)
        last = t
        level += step
        peak = max(peak, level)
    at_level[level] += max(0.0, t1 - last)
    total = sum(at_level.values()) or 1e-9
    return {"peak": peak, "mean": round(sum(k * v for k, v in at_level.items()) / total, 2),
            "seconds_at_peak": round(at_level.get(peak, 0.0), 2)}


class LoopLag:
    """How late the event loop wakes a 20 ms sleeper: what a Slack request arriving meanwhile
    (which wants its ack within 3 s) would wait behind the digests' CPU."""

    def __init__(self, every: float = 0.02) -> None:
        self.every = every
        self.lags: list[float] = []

    async def __aenter__(self) -> "LoopLag":
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._watch())
        return self

    async def _watch(self) -> None:
        while not self._stop.is_set():
            t = time.perf_counter()
            await asyncio.sleep(self.every)
            self.lags.append(time.perf_counter() - t - self.every)

    async def __aexit__(self, *exc: Any) -> None:
        self._stop.set()
        await self._task

    def summary(self) -> dict[str, float]:
        return {"p50_ms": round(pct(self.lags, 0.5) * 1000, 1), "p99_ms": round(pct(self.lags, 0.99) * 1000, 1),
                "max_ms": round(max(self.lags, default=0) * 1000, 1)}


async def delivery_phase(args: argparse.Namespace, out: Path, backend: str) -> dict[str, Any]:
    import aiohttp

    from bot.app import build_app
    from bot.clock import CLOCK
    from bot.config import load_settings
    from bot.digests.compose import compose, period_of
    from bot.digests.sections import registered
    from bot.runtime import Runtime
    from bench.tick import Meter, instrument, one_tick, write_log
    from models.digest import Digest
    from tests.slack_requests import BOT_TOKEN, SIGNING_SECRET
    from sqlalchemy import select

    (out / "delivery.sqlite3").unlink(missing_ok=True)
    url = await prepare_database(backend, out, args.pg_url, "delivery.sqlite3")
    limits = ["--rate-limit", "--per-channel", str(args.per_channel), "--burst", str(args.burst),
              "--latency-ms", str(args.latency_ms), "--messages", "0", "--drain", "--max-seconds", str(args.max_seconds)]
    if args.workspace_rate is not None:
        limits += ["--workspace-rate", str(args.workspace_rate), "--workspace-burst", str(args.workspace_burst),
                   "--workspace-of", "3"]
    fake = Child("fake_slack", ["-m", "bench.fake_slack_server", *limits], out, env=child_env())
    http = aiohttp.ClientSession(trust_env=False)
    rt = None
    report: dict[str, Any] = {}
    try:
        settings = load_settings(_env_file=None, slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
                                 slack_api_url=fake.info["api_url"], database_url=url, host="127.0.0.1", port=0,
                                 log_level="INFO")
        rt = Runtime.create(settings)
        build_app(rt)
        sections = registered(rt.features)
        names = [s.name for s in sections]
        shapes, specs = delivery_plan(args)
        t = time.perf_counter()
        ids = Ids()
        made = await seed(rt, ids, [(team, shape, False) for team, shape in shapes.items()])
        by_team: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for spec in specs:
            by_team[spec["team"]].append({**spec, "sections": delivery_sections(spec["kind"], names)})
        for team, team_specs in by_team.items():
            await create_digests(rt, team, made[team].people[0], team_specs)
        report["seed"] = {"rows": sum(sum(m.rows.values()) for m in made.values()),
                          "by_table": dict(sum((m.rows for m in made.values()), Counter())),
                          "seconds": round(time.perf_counter() - t, 1)}
        async with rt.db.unit_of_work() as session:
            due_at = Counter((await session.scalars(select(Digest.next_at))).all())
        if list(due_at) != [END]:
            raise SystemExit(f"the digests are not all due at {END}: {due_at}")
        planned = [Planned(s["team"], s["name"], s["channel"], s["weekly"], s["weekly"] and "kpis" in names)
                   for s in specs]
        per_channel = Counter(p.channel for p in planned)
        report["plan"] = {"digests": len(planned), "workspaces": len(shapes), "channels": len(per_channel),
                          "digests_per_channel": dict(sorted(Counter(per_channel.values()).items())),
                          "weekly": sum(p.weekly for p in planned), "sections": names}
        print(f"delivery: seeded {report['seed']['rows']} rows in {report['seed']['seconds']} s; "
              f"{json.dumps(report['plan'])}", flush=True)

        st = Statements()
        st.install(rt.db.engine)
        # the build alone, one digest after another: what each post costs before it asks Slack
        CLOCK.set(END)
        sample_walls, sample_cpus, sample_counts = [], [], []
        async with rt.db.unit_of_work() as session:
            ids_all = list((await session.scalars(select(Digest.id).order_by(Digest.id))).all())
        sample = ids_all[::max(1, len(ids_all) // args.sample_builds)][:args.sample_builds]
        for digest_id in sample[:1] * args.warmup + sample:  # the first builds warm caches: not counted
            c0, w0, cpu0 = st.count, time.perf_counter(), time.process_time()
            async with rt.db.unit_of_work() as session:
                digest = await session.get(Digest, digest_id)
                composed = await compose(session, sections, digest, END)
            sample_walls.append((time.perf_counter() - w0) * 1000)
            sample_cpus.append((time.process_time() - cpu0) * 1000)
            sample_counts.append(st.count - c0)
            if composed.empty:
                raise SystemExit(f"digest {digest_id} has nothing to say: the delivery data is too thin")
        del sample_walls[:args.warmup], sample_cpus[:args.warmup], sample_counts[:args.warmup]
        section_cpu: dict[str, list[float]] = defaultdict(list)  # each section's build alone, in the same digests
        for digest_id in sample:
            async with rt.db.unit_of_work() as session:
                digest = await session.get(Digest, digest_id)
                period = period_of(digest, END)
                for section in sections:
                    if section.name in (digest.sections or {}):
                        cpu0 = time.process_time()
                        await section.build(session, period, dict(digest.sections[section.name] or {}))
                        section_cpu[section.name].append((time.process_time() - cpu0) * 1000)
        report["build_alone"] = {"wall_ms": spread_ms(sample_walls), "cpu_ms": spread_ms(sample_cpus),
                                 "statements": round(sum(sample_counts) / max(1, len(sample_counts)), 1),
                                 "section_cpu_ms": {k: spread_ms(v) for k, v in section_cpu.items()}}
        print(f"delivery: one build alone ({len(sample_walls)} digests): wall {report['build_alone']['wall_ms']}, "
              f"CPU {report['build_alone']['cpu_ms']}, {report['build_alone']['statements']} statements", flush=True)
        # a weekly digest's chart alone: drawn (a stub upload), then drawn and shared through the fake
        weekly_ids = [digest_id for digest_id, p in zip(ids_all, planned) if p.charts][:args.sample_charts]
        drawn: dict[str, list[float]] = defaultdict(list)
        for n, digest_id in enumerate(weekly_ids[:1] + weekly_ids):  # the first draws matplotlib in: not counted
            async with rt.db.unit_of_work() as session:
                digest = await session.get(Digest, digest_id)
                composed = await compose(session, sections, digest, END)
            for how, target in (("drawn", SimpleNamespace(client=StubClient())), ("drawn_and_shared", rt)):
                w0, cpu0 = time.perf_counter(), time.process_time()
                for attach in composed.attaches:
                    await attach(target, digest.channel_id, "1700000000.000001")
                if n:
                    drawn[f"{how}_wall"].append((time.perf_counter() - w0) * 1000)
                    drawn[f"{how}_cpu"].append((time.process_time() - cpu0) * 1000)
        report["chart_alone"] = {k: spread_ms(v) for k, v in drawn.items()}
        if weekly_ids:
            print(f"delivery: one chart alone ({len(weekly_ids)}): " + ", ".join(
                f"{k} p50 {v['p50']} ms" for k, v in report["chart_alone"].items()), flush=True)

        meter = Meter()
        instrument(rt, meter)
        anatomy = Anatomy()
        bound = observe(rt, anatomy, st, args.at_once, args.experiment)
        report["bound"] = bound

        async def drain() -> list[dict[str, Any]]:
            async with http.get(f"{fake.info['url']}/bench/calls") as response:
                return list(await response.json())

        skew = [0.0]
        if hasattr(rt, "pacer"):  # the bot's own buckets (bot/pacing.py) live on the fake's clock too
            rt.pacer.clock = lambda: time.monotonic() + skew[0]

        async def advance(seconds: float) -> None:
            async with http.post(f"{fake.info['url']}/bench/advance", json={"seconds": seconds}) as response:
                response.raise_for_status()
            skew[0] += seconds

        # the minute before: what the first tick ever computes; it must post nothing
        await drain()
        warm, _ = await one_tick(rt, meter, END - timedelta(minutes=1))
        warm_calls = [c for c in await drain() if c["method"] in ("chat.postMessage", "files.completeUploadExternal")]
        report["warmup_tick"] = {"wall_ms": warm.wall_ms, "statements": warm.statements, "posts": len(warm_calls)}
        if warm_calls:
            raise SystemExit(f"the tick before {END} posted {len(warm_calls)} messages: {warm_calls[:3]}")
        await advance(60)

        expected = {(p.channel, p.name): p for p in planned}
        accepted: dict[tuple[str, str], list[str]] = defaultdict(list)  # -> the ticks it was accepted in
        charts: Counter = Counter()
        unknown: list[dict[str, Any]] = []
        empty: list[tuple[str, str]] = []  # digests that said "nothing new": the data must give each something
        ticks: list[dict[str, Any]] = []
        floor = floor_seconds(planned, args.per_channel, args.burst, args.workspace_rate, args.workspace_burst)
        floor["round_trip_s"] = args.latency_ms / 1000
        floor["floor_s"] = round(floor["limits_s"] + floor["round_trip_s"], 3)
        pg0 = await backend_cpu(url)
        at = END
        with OtherCpu(fake.pid) as phase:
            for n in range(args.follow_minutes + 1):
                anatomy.reset()
                lag = LoopLag()
                t0 = time.time()
                profiler = cProfile.Profile() if args.profile and n == 0 else None
                async with lag:
                    if profiler is not None:
                        profiler.enable()
                    stat, _ = await one_tick(rt, meter, at, record=n == 0)
                    if profiler is not None:
                        profiler.disable()
                        write_profile(profiler, out / "profile-delivery.txt")
                t_end = time.time()
                await rt.tasks.drain(timeout=300)  # charts shared in the background (an experiment)
                if n == 0:
                    write_log(out, "delivery", stat, meter.log)
                calls = await drain()
                row = tick_row(at, t0, t_end, stat, calls, expected, accepted, charts, unknown, empty, lag)
                ticks.append(row)
                print(f"  tick {row['at']}: {row['accepted']} digests accepted, last at {row['to_last_digest_s']} s, "
                      f"last chart {row['to_last_chart_s']} s; 429s {row['limited']} (retried {row['retried']}, "
                      f"gave up {row['gave_up']}); tick {row['wall_s']} s, {row['statements']} statements, "
                      f"{row['cpu_s']} s CPU", flush=True)
                if n == 0:
                    report["anatomy"] = anatomy_of(anatomy, t0, bound, args.latency_ms)
                if len(accepted) >= len(expected) and n > 0 or n == args.follow_minutes:
                    break
                await advance(60)
                at += timedelta(minutes=1)
        report["run"] = {**phase.summary(), "postgres_backend_cpu_s": backend_delta(pg0, await backend_cpu(url))}
        first = ticks[0]
        missing = [k for k in expected if k not in accepted]
        twice = [k for k, v in accepted.items() if len(v) > 1]
        weekly_charts = sum(1 for p in expected.values() if p.charts)
        check = {"expected": len(expected), "accepted": sum(len(v) for v in accepted.values()),
                 "missing": len(missing), "twice": len(twice), "other_posts": len(unknown),
                 "said_nothing_new": len(empty),
                 "in_first_tick": first["accepted"], "charts_expected": weekly_charts,
                 "charts_shared": sum(charts.values()), "threads_with_two_charts": sum(1 for n in charts.values() if n > 1)}
        check["ok"] = (not (missing or twice or unknown or empty) and check["charts_shared"] == weekly_charts
                       and not check["threads_with_two_charts"])
        check["samples"] = {"missing": missing[:10], "twice": twice[:10], "other_posts": unknown[:5]}
        report["check"] = check
        report["floor"] = floor
        report["ticks"] = ticks
        last = first["to_last_digest_s"]
        report["summary"] = {
            "limits": {"per_channel": args.per_channel, "burst": args.burst, "workspace": args.workspace_rate,
                       "workspace_burst": args.workspace_burst, "latency_ms": args.latency_ms},
            "to_last_digest_s": last, "floor_s": floor["floor_s"],
            "ratio": round(last / floor["floor_s"], 2) if last is not None and floor["floor_s"] else None,
            "all_in_first_tick": first["accepted"] == len(expected),
            "minutes_to_all": next((i for i, _ in enumerate(ticks) if sum(r["accepted"] for r in ticks[:i + 1])
                                    >= len(expected)), None),
            "limited": sum(r["limited"] for r in ticks), "retried": sum(r["retried"] for r in ticks),
            "gave_up": sum(r["gave_up"] for r in ticks)}
    finally:
        await http.close()
        if rt is not None:
            await rt.close()
        fake.stop()
        CLOCK.reset()
    return report


def write_profile(profiler: cProfile.Profile, path: Path) -> None:
    """The measured tick's functions by their own time and by cumulative time (cProfile: the
    event loop's thread only; matplotlib's worker thread is not in it)."""
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer)
    stats.sort_stats("tottime").print_stats(60)
    stats.sort_stats("cumulative").print_stats(80)
    path.write_text(buffer.getvalue())


def tick_row(at: datetime, t0: float, t_end: float, stat: Any, calls: list[dict[str, Any]],
             expected: dict[tuple[str, str], Planned], accepted: dict[tuple[str, str], list[str]], charts: Counter,
             unknown: list[dict[str, Any]], empty: list[tuple[str, str]], lag: LoopLag) -> dict[str, Any]:
    attempts: dict[tuple[str, str], list[bool]] = defaultdict(list)
    last = last_chart = None
    got = 0
    for c in calls:
        if c["method"] == "files.completeUploadExternal":  # a chart shared in its digest's thread
            if not c["limited"]:
                charts[str(c.get("thread_ts") or "")] += 1
                last_chart = max(last_chart or 0.0, c["at"] - t0)
            continue
        if c["method"] != "chat.postMessage":
            continue
        found = DIGEST_RE.match(c.get("text") or "")
        key = (str(c.get("channel") or ""), found.group(1) if found else "")
        if key not in expected:
            unknown.append(c)
            continue
        attempts[key].append(c["limited"])
        if c["limited"]:
            continue
        if ": nothing new since" in (c.get("text") or ""):
            empty.append(key)
        accepted[key].append(at.isoformat(timespec="minutes"))
        got += 1
        last = max(last or 0.0, c["at"] - t0)
    limited = sum(sum(a) for a in attempts.values())
    gave_up = sum(1 for a in attempts.values() if a[-1])
    per_channel = Counter(p.channel for p in expected.values())
    met = Counter(per_channel[key[0]] for key, a in attempts.items() for limited_ in a if limited_)
    return {"at": at.isoformat(timespec="minutes"), "accepted": got,
            "to_last_digest_s": round(last, 3) if last is not None else None,
            "to_last_chart_s": round(last_chart, 3) if last_chart is not None else None,
            "limited": limited, "retried": limited - gave_up, "gave_up": gave_up,
            "limited_by_channel_size": dict(sorted(met.items())),  # digests in the channel -> 429s there
            "wall_s": round(stat.wall_ms / 1000, 2), "cpu_s": round(stat.cpu_ms / 1000, 2),
            "statements": stat.statements, "loop_lag": lag.summary(),
            "digest_lines": stat.lines}


def anatomy_of(a: Anatomy, t0: float, bound: int, latency_ms: float) -> dict[str, Any]:
    d = a.duty
    s = a.duty_statements
    lanes_end = max((t for t, step in a.busy if step < 0), default=d.get("due_end", t0))
    posts = a.post_ms
    rest = [max(0.0, lane) for lane in a.lane_ms]
    out = {
        "bound": bound,
        "duty_starts_s": round(d.get("due_start", t0) - t0, 3),
        "finding_due_s": round(d.get("due_end", t0) - d.get("due_start", t0), 3),
        "finding_due_statements": s.get("due_end", 0) - s.get("due_start", 0),
        "lanes_s": round(lanes_end - d.get("due_end", t0), 3),
        "advance_s": round(d.get("advance_end", t0) - d.get("advance_start", t0), 3),
        "advance_statements": s.get("advance_end", 0) - s.get("advance_start", 0),
        "in_flight": in_flight(a.busy, d.get("due_end", t0), lanes_end),
        "per_digest_ms": {"pace": spread_ms(a.pace_ms), "lane": spread_ms(a.lane_ms), "compose": spread_ms(a.compose_ms),
                          "chat_postMessage": spread_ms(posts), "chart_render": spread_ms(a.chart_render_ms),
                          "chart_upload": spread_ms(a.upload_ms)},
        "totals_s": {"pace": round(sum(a.pace_ms) / 1000, 2),
                     "lanes": round(sum(rest) / 1000, 2), "compose": round(sum(a.compose_ms) / 1000, 2),
                     "chat_postMessage": round(sum(posts) / 1000, 2),
                     "of_which_429_waits": round(sum(max(0.0, p - latency_ms * 1.5) for p in posts) / 1000, 2),
                     "chart_render": round(sum(a.chart_render_ms) / 1000, 2),
                     "chart_upload": round(sum(a.upload_ms) / 1000, 2)},
    }
    out["totals_s"]["rest"] = round(out["totals_s"]["lanes"] - out["totals_s"]["compose"]
                                    - out["totals_s"]["chat_postMessage"] - out["totals_s"]["chart_render"]
                                    - out["totals_s"]["chart_upload"], 2)
    return out


# -- the run ---------------------------------------------------------------------------------------------

async def run(args: argparse.Namespace) -> dict[str, Any]:
    clear_proxies()
    out = Path(args.out_dir) if args.out_dir else Path(tempfile.mkdtemp(prefix="prodops-bench-digests-"))
    out.mkdir(parents=True, exist_ok=True)
    print(f"output: {out}", flush=True)
    handler = logging.FileHandler(out / "bot.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.getLogger().handlers[:] = [handler]
    logging.getLogger().setLevel(logging.INFO)
    backend = "postgresql" if args.database == "postgres" else "sqlite"
    report: dict[str, Any] = {"args": vars(args), "machine": machine(), "started": datetime.now(UTC).isoformat(),
                              "out": str(out)}
    try:
        if args.phase in ("build", "both"):
            t = time.perf_counter()
            report["build"] = await build_phase(args, out, backend)
            report["build"]["seconds"] = round(time.perf_counter() - t, 1)
        if args.phase in ("delivery", "both"):
            t = time.perf_counter()
            report["delivery"] = await delivery_phase(args, out, backend)
            report["delivery"]["seconds"] = round(time.perf_counter() - t, 1)
    finally:
        report["finished"] = datetime.now(UTC).isoformat()
        (out / "report.json").write_text(json.dumps(report, indent=2, default=str))
    return report


def print_summary(report: dict[str, Any]) -> None:
    print("\n== summary ==")
    b = report.get("build")
    if b:
        print(f"build ({report['args']['database']}), sections {b['sections']}, seed {b['seed_seconds']} s:")
        for name, v in b["variants"].items():
            per = ", ".join(f"{s} {x['wall_ms']['p50']}/{x['wall_ms']['p95']}" for s, x in v["per_section"].items())
            print(f"  {name:16s} p50 {v['wall_ms']['p50']:7.1f}  p95 {v['wall_ms']['p95']:7.1f}  max "
                  f"{v['wall_ms']['max']:7.1f} ms; CPU p50 {v['cpu_ms']['p50']:6.1f} ms; {v['statements']['mean']} "
                  f"statements; sections p50/p95 ms: {per}")
        print(f"  while measuring: {json.dumps(b['measuring'])}")
        print(f"  check: {json.dumps(b['check'])}")
        print("  slowest statements (mean ms): " + "; ".join(
            f"{r['section']} {r['mean_ms']}" for r in b["statements"][:6]))
    d = report.get("delivery")
    if d:
        s, c, a = d["summary"], d["check"], d["anatomy"]
        lim = s["limits"]
        print(f"delivery ({report['args']['database']}): {d['plan']['digests']} digests, {d['plan']['channels']} "
              f"channels in {d['plan']['workspaces']} workspaces ({d['plan']['weekly']} weekly); limits "
              f"{lim['per_channel']}/s per channel, burst {lim['burst']}, workspace {lim['workspace'] or 'none'}, "
              f"latency {lim['latency_ms']} ms; bound {d['bound']}")
        print(f"  build alone: wall {d['build_alone']['wall_ms']}, CPU {d['build_alone']['cpu_ms']}")
        print(f"  chart alone: {json.dumps(d.get('chart_alone'))}")
        print(f"  tick start -> last digest accepted: {s['to_last_digest_s']} s; floor {s['floor_s']} s "
              f"({json.dumps(d['floor'])}); ratio {s['ratio']}; all in the first tick: {s['all_in_first_tick']}")
        print(f"  429s {s['limited']}, retried {s['retried']}, gave up {s['gave_up']}")
        print(f"  anatomy: {json.dumps(a)}")
        for r in d["ticks"]:
            print(f"  tick {r['at']}: {r['accepted']} accepted, last {r['to_last_digest_s']} s, chart "
                  f"{r['to_last_chart_s']} s, wall {r['wall_s']} s, CPU {r['cpu_s']} s, {r['statements']} statements, "
                  f"lag {r['loop_lag']}, lines {r['digest_lines']}")
        print(f"  run: {json.dumps(d['run'])}")
        print(f"  check: {json.dumps({k: v for k, v in c.items() if k != 'samples'})}")
        if not c["ok"]:
            print(f"    samples: {json.dumps(c['samples'], default=str)[:2000]}")
    print(f"output: {report['out']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_DIGESTS_DATABASE_URL", DEFAULT_PG),
                        help="PostgreSQL URL (its public schema is dropped and re-migrated)")
    parser.add_argument("--phase", choices=["build", "delivery", "both"], default="both")
    parser.add_argument("--builds", type=int, default=30, help="measured builds per digest and per section")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--chart-runs", type=int, default=5)
    parser.add_argument("--explain-top", type=int, default=12)
    parser.add_argument("--feedback", type=int, default=100_000)
    parser.add_argument("--launches", type=int, default=1000)
    parser.add_argument("--kpis", type=int, default=50)
    parser.add_argument("--kpi-days", type=int, default=365, help="days of hourly values per KPI")
    parser.add_argument("--noise", type=float, default=1.0, help="the noise workspace's size, as a share of the main")
    parser.add_argument("--digests", type=int, default=1000)
    parser.add_argument("--workspaces", type=int, default=5)
    parser.add_argument("--digests-per-channel", type=int, default=4)
    parser.add_argument("--crowded", type=int, default=2, help="channels per workspace with --crowded-size digests")
    parser.add_argument("--crowded-size", type=int, default=10)
    parser.add_argument("--weekly-share", type=float, default=0.25)
    parser.add_argument("--sample-builds", type=int, default=50)
    parser.add_argument("--sample-charts", type=int, default=10)
    parser.add_argument("--per-channel", type=float, default=1.0, help="chat.postMessage a second per channel")
    parser.add_argument("--burst", type=int, default=3)
    parser.add_argument("--workspace-rate", type=float, default=None, help="posts a second per workspace (assumed)")
    parser.add_argument("--workspace-burst", type=int, default=10)
    parser.add_argument("--latency-ms", type=float, default=80.0)
    parser.add_argument("--at-once", type=int, default=None, help="override the digest duty's bound (bench-only)")
    parser.add_argument("--follow-minutes", type=int, default=10)
    parser.add_argument("--profile", action="store_true", help="cProfile the measured tick (slows it)")
    parser.add_argument("--experiment", action="append", default=[], choices=["longest-first", "charts-in-background",
                                                                         "charts-in-a-process"],
                        help="a bench-only change to the bot's delivery (see observe); repeatable")
    parser.add_argument("--out-dir", default=None)
    parser.add_argument("--max-seconds", type=float, default=3600, help="the fake Slack's lifetime cap")
    print_summary(asyncio.run(run(parser.parse_args())))
