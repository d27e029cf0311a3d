"""Working agreements at size (issue 18): every metric for one day, and the 90-day report.

    .venv/bin/python -m bench.agreements --backend sqlite
    .venv/bin/python -m bench.agreements --backend postgresql     # postgresql+asyncpg://postgres@127.0.0.1:5432/agr_bench

One workspace (UTC, Mon-Fri, three holidays), a year ending 2026-11-30, written with bulk Core
inserts into a freshly migrated database: 100,000 feedback items (three quarters triaged 0-10
days after filing, shipped ones with a reporter and, for most, the outcome DM), 1,000 launches
with 30 checklist items each (30,000; 85% done around their due date; date moves and go/no-go
decisions in the audit trail), 10 standups of 20 people with a year of weekday answers (about
52,000) and blockers, and a year of standup reminders and launch nudges. Then, in this process
through the bot's own functions (bot/agreements/metrics.py, bot/agreements/report.py) on the
bot's read engine: each metric as of 2026-11-30 over a 30-day window (the daily computation of
one agreement each: `--repeat` runs, the median), their sum, and `/prodops report 90d`'s build.
The plan of every statement one daily computation runs is printed (EXPLAIN [QUERY PLAN]).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import machine, prepare_database

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/agr_bench"
TEAM = "TAGRBENCH1"
DAY = date(2026, 11, 30)
START = datetime(2025, 12, 1, tzinfo=UTC)
FUNCTIONS = ("engineering", "product", "marketing", "sales", "support", "legal")


def _at(rng: random.Random) -> datetime:
    return START + timedelta(seconds=rng.uniform(0, 365 * 86400))


async def generate(url: str, seed: int, items: int, launches: int, people: int) -> dict[str, Any]:
    from sqlalchemy import insert, select

    from bot.db import create_engine
    from models.calendar import Holiday
    from models.delivery import Delivery
    from models.feedback import FeedbackItem, FeedbackReporter
    from models.launch import Launch, LaunchAudit, LaunchItem
    from models.standup import Standup, StandupAnswer, StandupBlocker, StandupMember
    from models.workspace import Workspace

    rng = random.Random(seed)
    t0 = time.perf_counter()
    engine = create_engine(url)
    counts: dict[str, int] = {}

    async def bulk(conn: Any, model: Any, rows: list[dict[str, Any]]) -> None:
        # One executemany takes its columns from its first row: every row must name the same keys.
        assert all(r.keys() == rows[0].keys() for r in rows), model.__tablename__
        for i in range(0, len(rows), 5000):
            await conn.execute(insert(model.__table__), rows[i:i + 5000])
        counts[model.__tablename__] = counts.get(model.__tablename__, 0) + len(rows)

    try:
        async with engine.begin() as conn:
            now = datetime.now(UTC)
            await conn.execute(insert(Workspace.__table__).values(team_id=TEAM, name="Bench Co", timezone="UTC",
                                                                  settings={}, feedback_seq=items, created_at=now,
                                                                  updated_at=now))
            await bulk(conn, Holiday, [{"team_id": TEAM, "day": d, "name": n, "created_by": "UOWNER0001"} for d, n in (
                (date(2025, 12, 25), "Christmas"), (date(2026, 1, 1), "New Year"), (date(2026, 11, 26), "Thanks"))])
            feedback = []
            for number in range(1, items + 1):
                created = START + timedelta(seconds=365 * 86400 * number / items)
                triaged = rng.random() < 0.75
                status = rng.choice(["triaged", "planned", "shipped", "declined"]) if triaged else "new"
                feedback.append({"team_id": TEAM, "number": number, "text": f"Feedback {number} about exports",
                                 "status": status, "capture_state": "ready", "capture_attempts": 0,
                                 "source": "command", "created_by": f"U{rng.randrange(2000):09d}",
                                 "created_at": created, "updated_at": created,
                                 "triaged_at": created + timedelta(hours=rng.uniform(0, 240)) if triaged else None,
                                 "closed_at": created + timedelta(days=20) if status in ("shipped", "declined") else None,
                                 "search_doc": f"feedback {number} about exports"})
            await bulk(conn, FeedbackItem, feedback)
            shipped = (await conn.execute(select(FeedbackItem.id, FeedbackItem.number).where(
                FeedbackItem.team_id == TEAM, FeedbackItem.status == "shipped").order_by(FeedbackItem.id))).all()
            await bulk(conn, FeedbackReporter, [{"team_id": TEAM, "item_id": i, "user_id": "UREPORTER1",
                                                 "source": "command"} for i, _ in shipped])
            deliveries = [{"team_id": TEAM, "kind": "feedback.outcome", "key": f"{n}:UREPORTER1", "period": "shipped",
                           "status": "sent", "claim_token": "bench", "sent_at": now, "recipient": "UREPORTER1",
                           "nudge": False, "data": None} for _, n in shipped if rng.random() < 0.8]
            launch_rows = []
            for k in range(launches):
                launch_rows.append({"team_id": TEAM, "name": f"Launch {k}", "name_key": f"launch {k}",
                                    "launch_date": (START + timedelta(days=rng.uniform(0, 365))).date(),
                                    "channel_id": "CBENCH0001", "owner_id": "UOWNER0001", "template_name": "default",
                                    "created_by": "UOWNER0001",
                                    "cancelled_at": now if rng.random() < 0.03 else None})
            await bulk(conn, Launch, launch_rows)
            # Ordered: the same seed gives the same data on both backends (their unordered reads differ).
            ids = (await conn.execute(select(Launch.id, Launch.launch_date).where(Launch.team_id == TEAM)
                                      .order_by(Launch.id))).all()
            checklist, audit = [], []
            for launch_id, launch_date in ids:
                for j in range(30):
                    offset = rng.randint(-30, 7)
                    due = datetime.combine(launch_date + timedelta(days=offset), datetime.min.time(), UTC)
                    done = rng.random() < 0.85
                    checklist.append({"team_id": TEAM, "launch_id": launch_id, "function": FUNCTIONS[j % 6],
                                      "title": f"Item {j}", "offset_days": offset, "position": j, "done": done,
                                      "done_at": due + timedelta(hours=rng.uniform(-72, 96)) if done else None})
                if rng.random() < 0.3:
                    old = launch_date - timedelta(days=rng.randint(1, 14))
                    audit.append({"team_id": TEAM, "launch_id": launch_id, "actor_id": "UOWNER0001", "action": "date",
                                  "detail": f"{old.isoformat()} → {launch_date.isoformat()}",
                                  "at": datetime.combine(old - timedelta(days=10), datetime.min.time(), UTC)})
                audit.append({"team_id": TEAM, "launch_id": launch_id, "actor_id": "UOWNER0001", "action": "decision",
                              "detail": "go", "at": datetime.combine(launch_date - timedelta(days=rng.randint(-1, 3)),
                                                                     datetime.min.time(), UTC)})
            await bulk(conn, LaunchItem, checklist)
            item_ids = [r[0] for r in (await conn.execute(select(LaunchItem.id).where(LaunchItem.team_id == TEAM)
                                                          .order_by(LaunchItem.id)))]
            await bulk(conn, LaunchAudit, audit)
            standups = [{"team_id": TEAM, "name": f"Team {s}", "name_key": f"team {s}", "channel_id": f"CSTAND{s:04d}",
                         "owner_id": "UOWNER0001", "questions": ["Yesterday?", "Today?", "Blockers?"],
                         "created_by": "UOWNER0001"} for s in range(max(1, people // 20))]
            await bulk(conn, Standup, standups)
            sids = [r[0] for r in (await conn.execute(select(Standup.id).where(Standup.team_id == TEAM)
                                                      .order_by(Standup.id)))]
            members = [(sid, f"UP{p:08d}") for p in range(people) for sid in [sids[p % len(sids)]]]
            await bulk(conn, StandupMember, [{"team_id": TEAM, "standup_id": s, "user_id": u, "joined_at": START}
                                             for s, u in members])
            answers, blockers = [], []
            day = START.date()
            while day <= DAY:
                if day.weekday() < 5:
                    for sid, user in members:
                        if rng.random() < 0.9:
                            at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=9)
                            answers.append({"team_id": TEAM, "standup_id": sid, "user_id": user, "day": day,
                                            "answers": ["a", "b", "none"], "late": False, "created_at": at,
                                            "updated_at": at})
                        elif rng.random() < 0.5:
                            deliveries.append({"team_id": TEAM, "kind": "standup.reminder", "key": f"{sid}:{user}",
                                               "period": day.isoformat(), "status": "sent", "claim_token": "bench",
                                               "sent_at": datetime.combine(day, datetime.min.time(), UTC)
                                               + timedelta(hours=10), "recipient": user, "nudge": True,
                                               "data": None})
                        if rng.random() < 0.01:
                            cleared = day + timedelta(days=rng.randint(0, 8))
                            blockers.append({"team_id": TEAM, "standup_id": sid, "user_id": user,
                                             "text": "Waiting on review", "since": day, "last_day": day,
                                             "cleared_on": cleared if cleared <= DAY else None})
                    if rng.random() < 0.6:
                        user = f"UP{rng.randrange(people):08d}"
                        overdue = [[rng.choice(item_ids), day.isoformat()] for _ in range(3)]
                        deliveries.append({"team_id": TEAM, "kind": "launch.nudge", "key": user,
                                           "period": day.isoformat(), "status": "sent", "claim_token": "bench",
                                           "sent_at": datetime.combine(day, datetime.min.time(), UTC)
                                           + timedelta(hours=9), "recipient": user, "nudge": True,
                                           "data": {"day": day.isoformat(), "overdue": overdue}})
                day += timedelta(days=1)
            await bulk(conn, StandupAnswer, answers)
            await bulk(conn, StandupBlocker, blockers)
            await bulk(conn, Delivery, deliveries)
        async with engine.connect() as conn:
            from sqlalchemy import text

            await conn.execute(text("ANALYZE"))
            await conn.commit()
    finally:
        await engine.dispose()
    return {**counts, "generate_s": round(time.perf_counter() - t0, 1)}


async def measure(url: str, repeat: int) -> dict[str, Any]:
    from sqlalchemy import event

    from bot.agreements import metrics, report
    from bot.agreements.metrics import Scope
    from bot.db import Database

    db = Database(url)
    out: dict[str, Any] = {}
    try:
        daily: list[float] = []
        for key, metric in metrics.METRICS.items():
            times = []
            for _ in range(repeat):
                async with db.reading() as session:
                    t = time.perf_counter()
                    reading = await metric.compute(session, TEAM, DAY, Scope(within=metric.within or 2, window=30))
                    times.append((time.perf_counter() - t) * 1000)
            out[key] = {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1),
                        "kept": reading.kept, "broken": reading.broken, "value": reading.value}
            daily.append(statistics.median(times))
        out["daily_computation_ms"] = round(sum(daily), 1)
        times = []
        for _ in range(repeat):
            async with db.reading() as session:
                t = time.perf_counter()
                _, blocks = await report.build(session, TEAM, "90d", DAY + timedelta(days=1))
                times.append((time.perf_counter() - t) * 1000)
        out["report_90d"] = {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1),
                             "blocks": len(blocks)}
        # The plans of what one daily computation runs.
        seen: list[tuple[str, Any]] = []

        def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
            if statement.lstrip().upper().startswith("SELECT"):
                seen.append((statement, parameters))

        engine = db.read_engine.sync_engine
        event.listen(engine, "before_cursor_execute", record)
        async with db.reading() as session:
            for metric in metrics.METRICS.values():
                await metric.compute(session, TEAM, DAY, Scope(within=metric.within or 2, window=30))
        event.remove(engine, "before_cursor_execute", record)
        plans = []
        async with db.read_engine.connect() as conn:
            explain = "EXPLAIN QUERY PLAN " if db.backend == "sqlite" else "EXPLAIN "
            for statement, parameters in seen:
                rows = (await conn.exec_driver_sql(explain + statement, parameters)).all()
                plan = [r[-1] for r in rows] if db.backend == "sqlite" else [r[0] for r in rows]
                plans.append({"statement": " ".join(statement.split())[:160], "plan": plan[:8]})
        out["plans"] = plans
    finally:
        await db.dispose()
    return out


async def run(a: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = await prepare_database(a.backend, Path(tmp), a.pg_url, "agreements.sqlite3")
        data = await generate(url, a.seed, a.items, a.launches, a.people)
        result = await measure(url, a.repeat)
    return {"backend": a.backend, "machine": machine(), "started": datetime.now(UTC).isoformat(), "data": data,
            **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--launches", type=int, default=1_000)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json-out", default=None)
    a = parser.parse_args()
    report = asyncio.run(run(a))
    text = json.dumps(report, indent=1, default=str)
    if a.json_out:
        Path(a.json_out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
