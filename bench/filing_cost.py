"""What one filing costs the ack process, one at a time (issue 16's anatomy, free of load).

The HTTP benchmark (bench/ack_latency.py) is at the mercy of whatever else the machine runs;
this one measures CPU (`process_time`) and wall time per filing in one process, sequentially,
through the same unit of work the edge uses (bot/db.py `unit_of_work`) and the real services:

- `command`: what `/feedback <text> #tag` writes (service.file_text), plus the request's
  signature record (bot/edge.py `first_delivery`'s insert);
- `reaction`: a new reaction filing (service.file_message, PENDING) plus its event-id record
  (bot/edge.py `dedupe_events`' insert);
- `vote`: a second person's reaction on a filed message, plus its event-id record.

Also counted: the statements SQLAlchemy executed per filing (`before_cursor_execute`; on SQLite
the statements bot/feedback/store.py runs on the driver's thread are not seen by it, and are
given apart as one "hop"). `--root` measures another tree (e.g. a `git archive` of an earlier
commit), imported in place of this one.

    .venv/bin/python -m bench.filing_cost --backend sqlite
    .venv/bin/python -m bench.filing_cost --backend postgresql --pg-url postgresql+asyncpg://postgres@127.0.0.1:5432/pe_bench
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import event, text
    from sqlalchemy.engine import Engine

    from bot.db import Database
    from bot.feedback import service
    from bot.feedback.parsing import Draft
    from bot.migrate import upgrade
    from bot.sql import insert_ignore
    from bot.workspaces import ensure_workspace
    from models.event import ProcessedEvent
    from models.feedback import FeedbackSource

    if args.backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='prodops-filing-')}/bench.sqlite3"
    else:
        url = args.pg_url
        db = Database(url)
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await db.dispose()
    await upgrade(url)
    db = Database(url)
    team = "TFILING01"
    async with db.unit_of_work() as session:
        await ensure_workspace(session, team)

    statements = [0]

    def count(*_a: Any) -> None:
        statements[0] += 1

    event.listen(Engine, "before_cursor_execute", count)

    async def command(i: int) -> None:
        async with db.unit_of_work() as session:
            await service.file_text(session, team, f"U{i % 50:07d}", "CFILING1",
                                    Draft(text=f"Exports time out {i}", tags=("exports",)))
            await insert_ignore(session, ProcessedEvent, event_id=f"sig:{i:060d}", team_id=team,
                                event_type="signed-request")

    async def reaction(i: int) -> None:
        async with db.unit_of_work() as session:
            await insert_ignore(session, ProcessedEvent, event_id=f"Ev{i:012d}", team_id=team,
                                event_type="reaction_added")
            await service.file_message(session, team, "UREACT001", "CFILING1", f"1720000000.{i:06d}",
                                       FeedbackSource.REACTION, author_id="UAUTHOR01")

    async def vote(i: int) -> None:
        async with db.unit_of_work() as session:
            await insert_ignore(session, ProcessedEvent, event_id=f"Ev{i:012d}v", team_id=team,
                                event_type="reaction_added")
            await service.file_message(session, team, "UVOTER001", "CFILING1", f"1720000000.{i:06d}",
                                       FeedbackSource.REACTION)

    report: dict[str, Any] = {"backend": args.backend, "n": args.n, "root": str(args.root or Path.cwd())}
    for name, step in (("command", command), ("reaction", reaction), ("vote", vote)):
        for i in range(args.warmup):
            await step(10_000_000 + i)  # votes land on the warm-up reactions' messages
        cpu: list[float] = []
        wall: list[float] = []
        statements[0] = 0
        for i in range(args.n):
            c0, w0 = time.process_time(), time.perf_counter()
            await step(i)
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
        cpu.sort()
        wall.sort()
        report[name] = {
            "cpu_ms_mean": round(statistics.fmean(cpu), 3), "cpu_ms_p50": round(cpu[len(cpu) // 2], 3),
            "wall_ms_p50": round(wall[len(wall) // 2], 3), "wall_ms_p99": round(wall[int(len(wall) * 0.99)], 3),
            "sqlalchemy_statements_per_filing": round(statements[0] / args.n, 2),
        }
    event.remove(Engine, "before_cursor_execute", count)
    await db.dispose()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/pe_bench",
                        help="its public schema is dropped and re-migrated; never the tests' `test`")
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--root", type=Path, default=None, help="import the bot from this tree instead")
    args = parser.parse_args()
    if args.root is not None:
        sys.path.insert(0, str(args.root.resolve()))
    print(json.dumps(asyncio.run(run(args)), indent=1))


if __name__ == "__main__":
    main()
