"""Issue 13's scale case: many HTTP KPIs pulled in one tick from a source that answers slowly,
with the pulls side by side up to the duty's bound.

    .venv/bin/python -m bench.kpis [--database sqlite|postgres] [--kpis 500] [--delay-ms 500]
                                   [--jitter-ms 200] [--failing 0.05] [--timeout-share 0.5]
                                   [--off-target 0.1] [--at-once N] [--slack-latency-ms 80]
                                   [--source-host 127.0.0.1] [--pg-url URL] [--out-dir DIR]

The source: an aiohttp server in its own process (this module with `--serve-source PLAN`), so
its CPU is not the bot's and its clock is not the bot's event loop. It answers
`GET /kpi/<n>` after that KPI's delay, drawn once from [delay - jitter, delay + jitter] ms, with
`{"data": [{"value": <n>}]}` (an integer or a number with two decimals), checks the bearer token
every KPI sends in its header (a wrong one gets 401), and for `--failing` of the KPIs does not
answer well: `--timeout-share` of those never answer (the bot's pull gives up after its 10 s
timeout and closes the connection; the source notices and stops counting it), the rest answer
HTTP 500 after their delay. It counts requests in flight (arrived, not yet answered or given up
by the client: aiohttp's handler cancellation on disconnect) and keeps every request with its
arrival, end, status and the value it sent, for the orchestrator (`GET /bench/requests`).

The bot: a fresh database (a SQLite file, or `--pg-url`, default `helper_bench_kpis`, whose
public schema is dropped and re-migrated), the real bot in this process (Runtime.create +
build_app, scheduler stopped, `kpi_allow_private_urls=True` since the source is on loopback),
the fake Slack Web API in its own process (bench/fake_slack_server.py, `--slack-latency-ms` per
call) for the notices the pulls raise. One workspace, 50 owners in Europe/London (10:00 there is
working time), 25 channels, and `--kpis` HTTP KPIs created with bot/kpis/service.create (hourly,
path `data.0.value`, an `Authorization: Bearer` header), all due at Tue 2026-12-01 10:00Z. Each
has a target; `--off-target` of the answered ones come in below it (the first value off target
posts to the KPI's channel), the failing ones DM their owner (first failure of a streak).

Ticks, as bench/tick.py drives them (its Meter, instrument and one_tick: the clock set to the
instant, then `bot.duties.tick(rt, at)`): one at 10:00, when every KPI is due, then one at
10:01, when none is. Measured: the tick's wall time and this process's CPU (`process_time`: the
event loop, SQLAlchemy, aiosqlite's thread, the resolver's executor), statements, and the same
for the `kpi pulls` duty alone (from its due query to its advance; duties run one after another,
so nothing else runs meanwhile); the source's CPU, the fake Slack's, PostgreSQL's backends, the
rest of the machine; the most requests the source had in flight at once (never above the bound);
the floors: the naive one, kpis x delay / bound; the plan's, max(sum of each KPI's service
time / bound, the longest one) with a timeout counting its 10 s; and the plan's in the order the
bot pulled (each KPI to the first free lane, no time but the source's: a timeout that starts
late ends the tick late, whatever the bound); each pull's time in its lane (bot.duties._send,
observed), split into the HTTP pull (bot/kpis/fetch.py pull), the notices it sent, and the rest
(claim, reads, record, mark sent, and the waits for a database connection or the CPU): what a
pull costs besides waiting for its answer; and the event loop's lag (a 20 ms sleeper's
overshoot), what a Slack request arriving meanwhile would wait. `--at-once N` replaces the
duty's bound for the run (an experiment; the bot's is bot/kpis/duties.py PULLS_AT_ONCE).

The check, from the source's records and the database (not from the bot's tick lines): every
KPI got exactly one request in the first tick and none in the second; each answered KPI has
exactly one value, equal to what the source sent, at 10:00, from `pull`; each failing KPI has
exactly one failed pull whose reason is the one its failure gives (`HTTP 500`, `timed out after
10 s`), its `failing_since`/`failing_reason` set, and no value; every KPI's next pull is an
hour on and its `kpi.pull` claim sent; nothing pulled twice; the channel posts and owner DMs the
fake Slack took are the expected ones, once each; the source never had more requests in flight
than the bound.

Everything goes to a /tmp/prodops-bench-kpis-* directory (or `--out-dir`): report.json, the
plan the source served (plan.json), the first tick's statements grouped (statements-tick1.txt),
the requests the source saw in each tick (requests-tick1.json, requests-tick2.json), the logs
(bot.log, source.log, fake_slack.log).
"""
from __future__ import annotations

import argparse
import asyncio
import heapq
import json
import logging
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import (Child, OtherCpu, analyze, announce, backend_cpu, backend_delta, child_env, clear_proxies,
                          cpu_seconds, machine, pct, prepare_database, serve_until_stopped)
from bench.tick import Meter, instrument, one_tick, write_log

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/helper_bench_kpis"
TEAM = "TBKPIS"
AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # Tuesday 10:00Z: every KPI due
SEEDED_AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SEED = 13
OWNERS, CHANNELS = 50, 25
ZONE = "Europe/London"
TOKEN = "bench-warehouse-token-7f3a9c"
PATH = "data.0.value"
EVERY = 60  # minutes
HANG_MAX_S = 60.0  # a source that "never answers" gives a 504 after this, should nobody hang up
OK, ERROR, HANG = "ok", "error", "hang"

log = logging.getLogger("bench.kpis")


# -- the plan: what the source does for each KPI ---------------------------------------------------

def plan(args: argparse.Namespace) -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    n = args.kpis
    failing = set(rng.sample(range(1, n + 1), round(n * args.failing)))
    hangs = set(sorted(failing)[::max(1, round(1 / args.timeout_share))] if args.timeout_share > 0 else [])
    rows = []
    for i in range(1, n + 1):
        delay = max(0.0, rng.uniform(args.delay_ms - args.jitter_ms, args.delay_ms + args.jitter_ms))
        value: float = rng.randint(0, 100_000) if rng.random() < 0.5 else round(rng.uniform(0, 1000), 2)
        off = rng.random() < args.off_target
        outcome = HANG if i in hangs else ERROR if i in failing else OK
        rows.append({"kpi": i, "key": f"kpi-{i:04d}", "delay_ms": round(delay, 1), "outcome": outcome,
                     "value": value, "target": value + 1 if off else value - 1,
                     "owner": f"UOWNER{(i - 1) % OWNERS:03d}", "channel": f"CKPIS{(i - 1) % CHANNELS:03d}"})
    return rows


def pull_timeout() -> float:
    """The pull's time limit as bot/kpis/fetch.py has it (flows.py passes none of its own)."""
    import inspect

    from bot.kpis import fetch

    if hasattr(fetch, "PULL_TIMEOUT_SECONDS"):
        return float(fetch.PULL_TIMEOUT_SECONDS)
    return float(inspect.signature(fetch.pull).parameters["timeout"].default)


def service_s(row: dict[str, Any]) -> float:
    """How long the source keeps the KPI's pull waiting (a hang: until the pull times out)."""
    return pull_timeout() if row["outcome"] == HANG else row["delay_ms"] / 1000


# -- the source (a child process) ------------------------------------------------------------------

async def serve_source(args: argparse.Namespace) -> None:
    clear_proxies()
    from aiohttp import web

    rows = {r["kpi"]: r for r in json.loads(Path(args.serve_source).read_text())}
    records: list[dict[str, Any]] = []
    state = {"in_flight": 0, "max_in_flight": 0}
    at_arrival: Counter = Counter()

    async def kpi(request: web.Request) -> web.Response:
        arrived = time.time()
        state["in_flight"] += 1
        state["max_in_flight"] = max(state["max_in_flight"], state["in_flight"])
        at_arrival[state["in_flight"]] += 1
        record: dict[str, Any] = {"kpi": None, "path": request.path, "arrived": arrived, "ended": None,
                                  "status": None, "value": None, "in_flight_at_arrival": state["in_flight"]}
        records.append(record)
        try:
            try:
                n = int(request.match_info["n"])
            except ValueError:
                n = -1
            row = rows.get(n)
            record["kpi"] = n
            if row is None:
                record["status"] = 404
                return web.json_response({"error": "no such metric"}, status=404)
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                record["status"] = 401
                return web.json_response({"error": "unauthorized"}, status=401)
            if row["outcome"] == HANG:
                await asyncio.sleep(HANG_MAX_S)
                record["status"] = 504
                return web.json_response({"error": "gave up"}, status=504)
            await asyncio.sleep(row["delay_ms"] / 1000)
            if row["outcome"] == ERROR:
                record["status"] = 500
                return web.json_response({"error": "warehouse query failed"}, status=500)
            record["status"], record["value"] = 200, row["value"]
            return web.json_response({"data": [{"value": row["value"]}]})
        except asyncio.CancelledError:  # the client hung up (the pull timed out)
            record["status"] = "abandoned"
            raise
        finally:
            record["ended"] = time.time()
            state["in_flight"] -= 1

    async def taken(request: web.Request) -> web.Response:
        return web.json_response({"max_in_flight": state["max_in_flight"], "in_flight": state["in_flight"],
                                  "in_flight_at_arrival": dict(sorted(at_arrival.items())), "requests": records})

    app = web.Application()
    app.router.add_get("/kpi/{n}", kpi)
    app.router.add_get("/bench/requests", taken)
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    announce(url=f"http://127.0.0.1:{port}", port=port)
    await serve_until_stopped(args.max_seconds)
    await runner.cleanup()


# -- the database ----------------------------------------------------------------------------------

async def seed(rt: Any, rows: list[dict[str, Any]], base_url: str) -> dict[str, Any]:
    from sqlalchemy import insert

    from bot.clock import CLOCK
    from bot.kpis import service
    from models.kpi import Direction, KpiSource, KpiUnit
    from models.person import Person
    from models.workspace import Workspace

    CLOCK.set(SEEDED_AT)
    stamp = {"created_at": SEEDED_AT, "updated_at": SEEDED_AT}
    owners = sorted({r["owner"] for r in rows})
    async with rt.db.engine.begin() as conn:
        await conn.execute(insert(Workspace.__table__), [{"team_id": TEAM, "name": TEAM, "timezone": "UTC",
                                                          "feedback_seq": 0, "settings": {}, **stamp}])
        await conn.execute(insert(Person.__table__), [
            {"team_id": TEAM, "user_id": u, "display_name": f"Owner {u}", "tz": ZONE, "tz_offset": None,
             "is_bot": False, "deleted": False, "left_at": None, "refreshed_at": SEEDED_AT, "checked_at": SEEDED_AT,
             "work_days": None, "work_start": None, "work_end": None, "holiday_country": None,
             "next_start_at": None, **stamp} for u in owners])
    async with rt.db.unit_of_work() as session:
        for r in rows:
            await service.create(session, TEAM, service.Definition(
                key=r["key"], name=f"Warehouse metric {r['kpi']}", unit=KpiUnit.COUNT, direction=Direction.HIGHER,
                target=r["target"], band=None, owner_id=r["owner"], channel_id=r["channel"], stale_days=7,
                change_pct=None, change_baseline=None, source=KpiSource.HTTP, pull_url=f"{base_url}/kpi/{r['kpi']}",
                header=("Authorization", f"Bearer {TOKEN}"), pull_path=PATH, pull_every=EVERY), r["owner"], AT)
    if rt.db.backend == "postgresql":
        await analyze(rt.db.engine)
    return {"kpis": len(rows), "owners": len(owners), "channels": len({r["channel"] for r in rows}),
            "outcomes": dict(Counter(r["outcome"] for r in rows)),
            "off_target": sum(1 for r in rows if r["outcome"] == OK and r["value"] < r["target"])}


class DutyMeter:
    """The `kpi pulls` duty alone: from its due query to the end of its advance (the tick runs
    its duties one after another, so the statements and CPU in between are its own)."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter
        self.reset()

    def reset(self) -> None:
        self.t0 = self.cpu0 = self.wall_s = self.cpu_s = 0.0
        self.st0 = self.statements = self.items = 0
        self.started_at = 0.0  # time.time() at its due query (the source's clock is time.time too)
        self.lane: list[float] = []  # per item: claim, read, pull, record, notices, marked sent
        self.http: list[float] = []  # per item: bot/kpis/fetch.pull alone
        self.notices: list[float] = []  # per item: sending the notices it raised (Slack)

    def wrap(self, rt: Any, at_once: int | None) -> int:
        from bot.duties import Due

        found = [d for d in rt.duties.duties if d.name == "kpi pulls"]
        if len(found) != 1:
            raise SystemExit(f"expected one 'kpi pulls' duty, found {[d.name for d in rt.duties.duties]}")
        duty = found[0]
        real_due = duty.due

        async def due(rt: Any, at: datetime) -> Any:
            self.started_at = time.time()
            self.t0, self.cpu0, self.st0 = time.perf_counter(), time.process_time(), self.meter.statements
            got = await real_due(rt, at)
            got = got if isinstance(got, Due) else Due(got)
            self.items = len(got.items)

            async def advance() -> None:
                if got.advance is not None:
                    await got.advance()
                self.wall_s = time.perf_counter() - self.t0
                self.cpu_s = time.process_time() - self.cpu0
                self.statements = self.meter.statements - self.st0

            return Due(got.items, advance)

        changed = replace(duty, due=due, at_once=at_once if at_once is not None else duty.at_once)
        rt.duties.duties = tuple(changed if d is duty else d for d in rt.duties.duties)
        self._time_items()
        return changed.at_once

    def _time_items(self) -> None:
        """Each pull's time in its lane, split: the HTTP pull, the notices, the rest (claims,
        reads and writes, waiting for a database connection or the CPU). Observes only."""
        import bot.duties
        import bot.kpis.flows

        real_send, real_pull, real_notices = bot.duties._send, bot.kpis.flows.pull, bot.kpis.flows.send_notices

        async def send(rt: Any, duty: Any, item: Any, at: datetime) -> str:
            t = time.perf_counter()
            try:
                return await real_send(rt, duty, item, at)
            finally:
                if duty.name == "kpi pulls":
                    self.lane.append(time.perf_counter() - t)

        async def pull(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return await real_pull(*args, **kwargs)
            finally:
                self.http.append(time.perf_counter() - t)

        async def send_notices(rt: Any, notices: list[Any]) -> None:
            t = time.perf_counter()
            try:
                await real_notices(rt, notices)
            finally:
                if notices:
                    self.notices.append(time.perf_counter() - t)

        bot.duties._send = send  # type: ignore[assignment]
        bot.kpis.flows.pull = pull  # type: ignore[assignment]
        bot.kpis.flows.send_notices = send_notices  # type: ignore[assignment]

    def split(self) -> dict[str, Any]:
        def ms(values: list[float]) -> dict[str, float]:
            return {"n": len(values), "mean": round(sum(values) * 1000 / max(1, len(values)), 1),
                    "p50": round(pct(values, 0.5) * 1000, 1), "p90": round(pct(values, 0.9) * 1000, 1),
                    "max": round(max(values, default=0.0) * 1000, 1)}

        rest = sum(self.lane) - sum(self.http) - sum(self.notices)
        return {"lane_ms": ms(self.lane), "http_ms": ms(self.http), "notices_ms": ms(self.notices),
                "rest_mean_ms": round(rest * 1000 / max(1, len(self.lane)), 1)}


# -- the check -------------------------------------------------------------------------------------

_FAILING = re.compile(r"^Pulls of \*.+?\* \(`(kpi-\d+)`\) are failing")
_OFF = re.compile(r"^:red_circle: \*.+?\* \(`(kpi-\d+)`\) is off target")


def expected_reason(row: dict[str, Any]) -> str | None:
    return {OK: None, ERROR: "HTTP 500", HANG: f"timed out after {pull_timeout():g} s"}[row["outcome"]]


async def check(rt: Any, rows: list[dict[str, Any]], first: list[dict[str, Any]], second: list[dict[str, Any]],
                posts: list[dict[str, Any]], bound: int, max_in_flight: int, due_second: int) -> dict[str, Any]:
    from sqlalchemy import select

    from models.delivery import Delivery, DeliveryStatus
    from models.kpi import Kpi, KpiPull, KpiValue

    by_key = {r["key"]: r for r in rows}
    by_n = {r["kpi"]: r for r in rows}
    async with rt.db.unit_of_work() as session:
        kpis = {k.key: k for k in (await session.scalars(select(Kpi).where(Kpi.team_id == TEAM))).all()}
        ids = {k.id: key for key, k in kpis.items()}
        values: dict[str, list[Any]] = defaultdict(list)
        for v in (await session.scalars(select(KpiValue))).all():
            values[ids.get(v.kpi_id, f"?{v.kpi_id}")].append(v)
        failures: dict[str, list[Any]] = defaultdict(list)
        for p in (await session.scalars(select(KpiPull))).all():
            failures[ids.get(p.kpi_id, f"?{p.kpi_id}")].append(p)
        claims = (await session.execute(select(Delivery.key, Delivery.period, Delivery.status)
                                        .where(Delivery.kind == "kpi.pull"))).all()

    def aware(at: datetime | None) -> datetime | None:
        return at if at is None or at.tzinfo else at.replace(tzinfo=UTC)

    problems: dict[str, list[Any]] = defaultdict(list)
    if max_in_flight > bound:
        problems["over_the_bound"].append({"max_in_flight": max_in_flight, "bound": bound})
    if due_second:
        problems["due_in_second_tick"].append(due_second)
    requests = Counter(r["kpi"] for r in first)
    served = {r["kpi"]: r for r in first if r["status"] == 200}
    for n, row in by_n.items():
        if requests[n] != 1:
            problems["not_one_request"].append((row["key"], requests[n]))
    problems["unknown_requests"] = [r for r in first if r["kpi"] not in by_n][:10]
    problems["requests_in_second_tick"] = second[:10]
    for r in first:
        want = {OK: 200, ERROR: 500, HANG: "abandoned"}.get(by_n.get(r["kpi"], {}).get("outcome"))
        if r["status"] != want:
            problems["source_answered_otherwise"].append((r["kpi"], r["status"], want))
    for key, row in by_key.items():
        kpi, got, failed = kpis.get(key), values.get(key, []), failures.get(key, [])
        if kpi is None:
            problems["kpi_missing"].append(key)
            continue
        if len(got) + len(failed) != 1:
            problems["not_one_outcome"].append((key, len(got), len(failed)))
        if aware(kpi.next_pull_at) != AT + timedelta(minutes=EVERY):
            problems["next_pull_at"].append((key, str(kpi.next_pull_at)))
        if row["outcome"] == OK:
            sent = served.get(row["kpi"])
            if len(got) != 1 or sent is None or got[0].value != float(sent["value"]):
                problems["value_not_the_source_answer"].append(
                    (key, [v.value for v in got], sent and sent["value"]))
            elif aware(got[0].at) != AT or got[0].source != "pull":
                problems["value_at_or_source"].append((key, str(got[0].at), got[0].source))
            if failed or kpi.failing_since is not None:
                problems["ok_but_failing"].append(key)
        else:
            reason = expected_reason(row)
            if got:
                problems["failing_but_value"].append((key, [v.value for v in got]))
            if len(failed) != 1 or not failed[0].reason or failed[0].reason != reason:
                problems["failure_reason"].append((key, [p.reason for p in failed], reason))
            if aware(kpi.failing_since) != AT or kpi.failing_reason != reason:
                problems["failing_state"].append((key, str(kpi.failing_since), kpi.failing_reason))
    by_claim = Counter(k for k, _, _ in claims)
    for key, n in ((str(k.id), 1) for k in kpis.values()):
        if by_claim[key] != n:
            problems["claims"].append((ids[int(key)], by_claim[key]))
    problems["claims_not_sent"] = [(k, p, str(s)) for k, p, s in claims
                                   if s is not DeliveryStatus.SENT or p != AT.isoformat(timespec="minutes")][:10]
    # the notices the pulls raised, as the fake Slack took them
    dms, offs, other = Counter(), Counter(), []
    for c in posts:
        text, channel = c.get("text") or "", c.get("channel") or ""
        if (m := _FAILING.match(text)) and channel == by_key.get(m.group(1), {}).get("owner"):
            dms[m.group(1)] += 1
        elif (m := _OFF.match(text)) and channel == by_key.get(m.group(1), {}).get("channel"):
            offs[m.group(1)] += 1
        else:
            other.append({"channel": channel, "text": text[:120]})
    want_dms = {r["key"] for r in rows if r["outcome"] != OK}
    want_offs = {r["key"] for r in rows if r["outcome"] == OK and r["value"] < r["target"]}
    if set(dms) != want_dms or any(n != 1 for n in dms.values()):
        problems["failing_dms"] = [sorted(want_dms - set(dms))[:10], sorted(set(dms) - want_dms)[:10],
                                   [k for k, n in dms.items() if n > 1][:10]]
    if set(offs) != want_offs or any(n != 1 for n in offs.values()):
        problems["off_target_posts"] = [sorted(want_offs - set(offs))[:10], sorted(set(offs) - want_offs)[:10],
                                        [k for k, n in offs.items() if n > 1][:10]]
    problems["other_posts"] = other[:10]
    problems = {k: v[:10] for k, v in problems.items() if v}
    return {"ok": not problems, "bound": bound, "max_in_flight": max_in_flight, "requests": len(first),
            "requests_second_tick": len(second),
            "values": sum(len(v) for v in values.values()), "failures": sum(len(v) for v in failures.values()),
            "failure_reasons": dict(Counter(p.reason for v in failures.values() for p in v)),
            "claims": len(claims), "failing_dms": sum(dms.values()), "off_target_posts": sum(offs.values()),
            "expected": {"requests": len(rows), "values": sum(r["outcome"] == OK for r in rows),
                         "failures": sum(r["outcome"] != OK for r in rows), "failing_dms": len(want_dms),
                         "off_target_posts": len(want_offs)},
            "problems": problems}


# -- the run ---------------------------------------------------------------------------------------

def concurrency(reqs: list[dict[str, Any]], t0: float, t1: float) -> dict[str, Any]:
    """In flight over time, from the requests' [arrived, ended] at the source."""
    events = sorted([(r["arrived"], 1) for r in reqs] + [(r["ended"], -1) for r in reqs], key=lambda e: (e[0], e[1]))
    level = peak = 0
    at_level: Counter = Counter()
    last = t0
    for t, step in events:
        at_level[level] += max(0.0, t - last)
        last = t
        level += step
        peak = max(peak, level)
    at_level[level] += max(0.0, t1 - last)
    busy = sum(r["ended"] - r["arrived"] for r in reqs)
    return {"peak": peak, "mean_in_flight": round(busy / max(1e-9, t1 - t0), 2),
            "seconds_at_level": {k: round(v, 2) for k, v in sorted(at_level.items())},
            "at_source_s": round(busy, 2)}


def scheduled_floor(order: list[float], bound: int) -> float:
    """When the last of `order` would end with `bound` lanes taking the next one as soon as one
    is free and no time spent but the source's: the floor for the order the bot pulled in."""
    lanes = [0.0] * bound
    for s in order:
        heapq.heappush(lanes, heapq.heappop(lanes) + s)
    return max(lanes)


class LoopLag:
    """How late the event loop wakes a sleeper during a phase: what a request from Slack (which
    wants its ack within 3 s) waits behind the pulls' CPU in this one process."""

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
        return {"samples": len(self.lags), "p50_ms": round(pct(self.lags, 0.5) * 1000, 1),
                "p99_ms": round(pct(self.lags, 0.99) * 1000, 1), "max_ms": round(max(self.lags, default=0) * 1000, 1)}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    clear_proxies()
    import aiohttp

    from bot.app import build_app
    from bot.clock import CLOCK
    from bot.config import load_settings
    from bot.runtime import Runtime
    from tests.slack_requests import BOT_TOKEN, SIGNING_SECRET

    out = Path(args.out_dir) if args.out_dir else Path(tempfile.mkdtemp(prefix="prodops-bench-kpis-"))
    out.mkdir(parents=True, exist_ok=True)
    print(f"output: {out}", flush=True)
    report: dict[str, Any] = {"args": {k: v for k, v in vars(args).items() if k != "serve_source"},
                              "machine": machine(), "started": datetime.now(UTC).isoformat()}
    handler = logging.FileHandler(out / "bot.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.getLogger().handlers[:] = [handler]
    logging.getLogger().setLevel(logging.INFO)

    rows = plan(args)
    plan_path = out / "plan.json"
    plan_path.write_text(json.dumps(rows))
    backend = "postgresql" if args.database == "postgres" else "sqlite"
    (out / "kpis.sqlite3").unlink(missing_ok=True)  # an --out-dir used before: start from nothing
    url = await prepare_database(backend, out, args.pg_url, "kpis.sqlite3")

    fake = Child("fake_slack", ["-m", "bench.fake_slack_server", "--messages", "0", "--drain", "--latency-ms",
                                str(args.slack_latency_ms), "--max-seconds", str(args.max_seconds)], out,
                 env=child_env())
    source = Child("source", ["-m", "bench.kpis", "--serve-source", str(plan_path), "--max-seconds",
                              str(args.max_seconds)], out, env=child_env())
    rt = None
    http = aiohttp.ClientSession(trust_env=False)
    try:
        settings = load_settings(_env_file=None, slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
                                 slack_api_url=fake.info["api_url"], database_url=url, host="127.0.0.1", port=0,
                                 log_level="INFO", kpi_allow_private_urls=True)
        rt = Runtime.create(settings)
        build_app(rt)
        t = time.perf_counter()
        base = f"http://{args.source_host}:{source.info['port']}"
        report["seed"] = await seed(rt, rows, base)
        report["seed"]["seconds"] = round(time.perf_counter() - t, 1)
        meter = Meter()
        instrument(rt, meter)
        duty = DutyMeter(meter)
        bound = duty.wrap(rt, args.at_once)
        report["bound"] = bound
        report["duties_in_order"] = [d.name for d in rt.duties.duties]
        print(f"seeded {json.dumps(report['seed'])} on {backend}; bound {bound}; source {base}", flush=True)

        async def requests() -> dict[str, Any]:
            async with http.get(f"{source.info['url']}/bench/requests") as response:
                return await response.json()

        async def drain() -> list[dict[str, Any]]:
            async with http.get(f"{fake.info['url']}/bench/calls") as response:
                return [c for c in await response.json() if c["method"] == "chat.postMessage"]

        await drain()
        ticks = {}
        seen = 0
        posts: list[dict[str, Any]] = []
        for name, at in (("tick1", AT), ("tick2", AT + timedelta(minutes=1))):
            duty.reset()
            src0 = cpu_seconds(source.pid)
            pg0 = await backend_cpu(url)
            with OtherCpu(fake.pid) as phase:
                async with LoopLag() as lag:
                    stat, _ = await one_tick(rt, meter, at, record=name == "tick1")
            src = cpu_seconds(source.pid) - src0
            pg = backend_delta(pg0, await backend_cpu(url))
            if name == "tick1":
                write_log(out, name, stat, meter.log)
            got = await requests()
            reqs, seen = got["requests"][seen:], len(got["requests"])
            calls = await drain()
            posts.extend(calls)
            summary = phase.summary()
            summary["other_cpu_s"] = round(max(0.0, phase.other - src), 2)
            n = max(1, duty.items)
            entry: dict[str, Any] = {
                **stat.__dict__, **summary, "source_cpu_s": round(src, 2), "postgres_backend_cpu_s": pg,
                "slack_posts": len(calls),
                "duty": {"items": duty.items, "wall_s": round(duty.wall_s, 3), "cpu_s": round(duty.cpu_s, 3),
                         "statements": duty.statements,
                         "per_pull": {"statements": round(duty.statements / n, 1),
                                      "cpu_ms": round(duty.cpu_s * 1000 / n, 2)}},
                "lanes": duty.split(), "loop_lag": lag.summary(), "requests": len(reqs),
                "source_max_in_flight_so_far": got["max_in_flight"]}
            if reqs:
                t0, t1 = duty.started_at, duty.started_at + duty.wall_s
                conc = concurrency(reqs, t0, t1)
                entry["concurrency"] = conc
                entry["first_request_after_s"] = round(min(r["arrived"] for r in reqs) - t0, 3)
                entry["last_answer_before_end_s"] = round(t1 - max(r["ended"] for r in reqs), 3)
                waits = [r["ended"] - r["arrived"] for r in reqs]
                entry["at_source_s"] = {"p50": round(pct(waits, 0.5), 3), "max": round(max(waits), 3)}
                entry["in_flight_at_arrival"] = got["in_flight_at_arrival"]
                (out / f"requests-{name}.json").write_text(json.dumps(reqs))
            ticks[name] = entry
            print(f"{name} {at.isoformat(timespec='minutes')}: {json.dumps(entry, default=str)}", flush=True)
        first = json.loads((out / "requests-tick1.json").read_text()) if (out / "requests-tick1.json").exists() else []
        second = json.loads((out / "requests-tick2.json").read_text()) if (out / "requests-tick2.json").exists() else []
        planned = [service_s(r) for r in rows]
        by_n = {r["kpi"]: r for r in rows}
        order = [service_s(by_n[r["kpi"]]) for r in sorted(first, key=lambda r: r["arrived"]) if r["kpi"] in by_n]
        report["floors"] = {
            "naive_s": round(args.kpis * args.delay_ms / 1000 / bound, 2),
            "plan_s": round(max(sum(planned) / bound, max(planned)), 2),
            "plan_sum_s": round(sum(planned), 2),
            "in_pull_order_s": round(scheduled_floor(order, bound), 2)}
        report["ticks"] = ticks
        report["check"] = await check(rt, rows, first, second, posts, bound,
                                      ticks["tick2"]["source_max_in_flight_so_far"], ticks["tick2"]["duty"]["items"])
        report["out"] = str(out)
        report["finished"] = datetime.now(UTC).isoformat()
    finally:
        await http.close()
        if rt is not None:
            await rt.close()
        fake.stop()
        source.stop()
        CLOCK.reset()
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str))
    return report


def print_summary(report: dict[str, Any]) -> None:
    a, s, c, f = report["args"], report["seed"], report["check"], report["floors"]
    t1, t2 = report["ticks"]["tick1"], report["ticks"]["tick2"]
    d1 = t1["duty"]
    print("\n== summary ==")
    print(f"{s['kpis']} HTTP KPIs on {a['database']} ({s['outcomes']}), "
          f"source {a['delay_ms']:g} ± {a['jitter_ms']:g} ms, "
          f"bound {report['bound']}, Slack {a['slack_latency_ms']:g} ms a call")
    print(f"tick 1 (all due): {t1['wall_ms'] / 1000:.2f} s wall, {t1['cpu_ms'] / 1000:.2f} s CPU, "
          f"{t1['statements']} statements; the kpi pulls duty {d1['wall_s']:.2f} s, {d1['cpu_s']:.2f} s CPU, "
          f"{d1['statements']} statements: per pull {d1['per_pull']['cpu_ms']} ms CPU, "
          f"{d1['per_pull']['statements']} statements")
    print(f"  floors: naive {f['naive_s']} s ({s['kpis']} x {a['delay_ms']:g} ms / {report['bound']}), "
          f"plan {f['plan_s']} s (timeouts count {pull_timeout():g} s), in the order pulled {f['in_pull_order_s']} s")
    if "concurrency" in t1:
        k = t1["concurrency"]
        print(f"  source: {t1['requests']} requests, max in flight {k['peak']} (bound {report['bound']}), "
              f"mean {k['mean_in_flight']}; first request {t1['first_request_after_s']} s after the duty began, "
              f"last answer {t1['last_answer_before_end_s']} s before it ended")
        ln = t1["lanes"]
        print(f"  a pull in its lane: mean {ln['lane_ms']['mean']} ms (p50 {ln['lane_ms']['p50']}, p90 "
              f"{ln['lane_ms']['p90']}): HTTP mean {ln['http_ms']['mean']} ms (p50 {ln['http_ms']['p50']}; "
              f"at the source "
              f"p50 {t1['at_source_s']['p50'] * 1000:.1f}), notices {ln['notices_ms']['mean']} ms "
              f"x {ln['notices_ms']['n']}, the rest (claims, database, waits) {ln['rest_mean_ms']} ms a pull")
    print(f"  CPU: bot {t1['bot_cpu_s']} s, source {t1['source_cpu_s']} s, fake Slack {t1['fake_slack_cpu_s']} s, "
          f"PostgreSQL backends {t1['postgres_backend_cpu_s']} s, other {t1['other_cpu_s']} s; "
          f"Slack posts {t1['slack_posts']}; event loop lag p99 {t1['loop_lag']['p99_ms']} ms, "
          f"max {t1['loop_lag']['max_ms']} ms")
    print(f"tick 2 (nothing due): {t2['wall_ms']:.1f} ms wall, {t2['cpu_ms']:.1f} ms CPU, {t2['statements']} "
          f"statements (kpi pulls duty: {t2['duty']['statements']}, {t2['duty']['items']} items), "
          f"{t2['requests']} requests")
    print(f"check: {'OK' if c['ok'] else 'MISMATCH'} {json.dumps({k: v for k, v in c.items() if k != 'problems'})}")
    if not c["ok"]:
        print(f"  problems: {json.dumps(c['problems'], default=str)[:3000]}")
    print(f"output: {report['out']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_KPIS_DATABASE_URL", DEFAULT_PG),
                        help="PostgreSQL URL (its public schema is dropped and re-migrated)")
    parser.add_argument("--kpis", type=int, default=500)
    parser.add_argument("--delay-ms", type=float, default=500.0, help="the source's mean answer time")
    parser.add_argument("--jitter-ms", type=float, default=200.0, help="answer times spread uniformly by this much")
    parser.add_argument("--failing", type=float, default=0.05, help="share of KPIs the source fails")
    parser.add_argument("--timeout-share", type=float, default=0.5,
                        help="of the failing: never answered (the rest 500)")
    parser.add_argument("--off-target", type=float, default=0.1, help="share of values below their target")
    parser.add_argument("--at-once", type=int, default=None, help="override the duty's bound (bench-only)")
    parser.add_argument("--slack-latency-ms", type=float, default=80.0, help="the fake Slack's time per call")
    parser.add_argument("--source-host", default="127.0.0.1", help="how the KPI URLs name the source")
    parser.add_argument("--out-dir", default=None)
    parser.add_argument("--max-seconds", type=float, default=900, help="the children's lifetime cap")
    parser.add_argument("--serve-source", default=None, help=argparse.SUPPRESS)  # the child: serve this plan
    parsed = parser.parse_args()
    if parsed.serve_source:
        asyncio.run(serve_source(parsed))
        sys.exit(0)
    print_summary(asyncio.run(run(parsed)))
