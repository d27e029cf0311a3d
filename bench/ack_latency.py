"""Ack latency, throughput, stored rows and memory: the real server against bare Bolt.

    .venv/bin/python -m bench.ack_latency --backend sqlite
    .venv/bin/python -m bench.ack_latency --backend postgresql

Separate processes: the fake Slack Web API (bench.fake_slack_server), the bot in HTTP mode
(bench.bot_server, on a fresh SQLite file or a freshly reset PostgreSQL database), bare Bolt
(bench.bare_bolt) and, for each measurement, the load generator (bench.loadgen). Phases, each
for every target in turn: a warm-up, fixed rate (open loop), saturation (closed loop). After
each of the bot's phases the database is polled until the deferred work settles, then the
stored rows are compared with what the bot acknowledged.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import (
    PYTHON, ROOT, TEAM_FIXED, TEAM_SAT, TEAM_WARM, Child, child_env, clear_proxies, cpu_seconds, machine,
    message_ref, prepare_database, rss_kb,
)

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench"
BARE_VARIANTS = {"bare": [], "bare-pbr": ["--process-before-response"],
                 "bare-lazy": ["--process-before-response", "--lazy"]}
COMMAND_TOKEN = re.compile(r"bench (\S+-cmd-\d+):")


# -- database ---------------------------------------------------------------------------------

async def snapshot(url: str, team: str) -> dict[str, Any]:
    from sqlalchemy import text

    from bot.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            items = (await conn.execute(text(
                "select id, source, channel_id, message_ts, text, capture_state from feedback_items where team_id = :t"),
                {"t": team})).all()
            reporters = (await conn.execute(text(
                "select r.user_id, i.source, i.channel_id, i.message_ts, i.text from feedback_reporters r "
                "join feedback_items i on i.id = r.item_id where r.team_id = :t"), {"t": team})).all()
            events = (await conn.execute(text("select count(*) from processed_events where team_id = :t"),
                                         {"t": team})).scalar_one()
            deliveries = (await conn.execute(text(
                "select status, count(*) from deliveries where team_id = :t group by status"), {"t": team})).all()
    finally:
        await engine.dispose()
    return {"items": items, "reporters": reporters, "events": int(events),
            "deliveries": {str(s): int(n) for s, n in deliveries}}


async def settle(url: str, team: str, timeout: float = 120.0) -> tuple[dict[str, Any], float]:
    """Poll until nothing is pending and the counts stay the same for three polls in a row."""
    start = time.perf_counter()
    last, same = None, 0
    while True:
        snap = await snapshot(url, team)
        pending = sum(1 for row in snap["items"] if row.capture_state == "pending")
        counts = (len(snap["items"]), len(snap["reporters"]), snap["events"], pending,
                  tuple(sorted(snap["deliveries"].items())))
        same = same + 1 if counts == last else 0
        last = counts
        if (pending == 0 and same >= 3) or time.perf_counter() - start > timeout:
            return snap, time.perf_counter() - start
        await asyncio.sleep(0.25)


def check(snap: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """Stored rows against what the bot acknowledged with a 200."""
    exp_msgs = {message_ref(index) for index, _user in sent["acked_events"].values()}
    exp_votes = {(*message_ref(index), user) for index, user in sent["acked_events"].values()}
    exp_cmds = set(sent["acked_commands"])
    got_msgs = Counter((r.channel_id, r.message_ts) for r in snap["items"] if r.source == "reaction")
    got_cmds = Counter(m.group(1) for r in snap["items"] if r.source == "command"
                       for m in [COMMAND_TOKEN.search(r.text or "")] if m)
    got_votes = Counter((r.channel_id, r.message_ts, r.user_id) for r in snap["reporters"] if r.source == "reaction")
    cmd_reporters = sum(1 for r in snap["reporters"] if r.source == "command")
    # Rows from requests that got no 200 (client timeout, error) are allowed, not duplicates.
    un = sent.get("unacked", {})
    ok_cmds = exp_cmds | {k for k, v in un.items() if v is None}
    ok_msgs = exp_msgs | {message_ref(v[0]) for v in un.values() if v is not None}
    ok_votes = exp_votes | {(*message_ref(v[0]), v[1]) for v in un.values() if v is not None}
    stored_unacked = len(set(got_cmds) - exp_cmds) + len(set(got_msgs) - exp_msgs)
    lost_items = len(exp_msgs - set(got_msgs)) + len(exp_cmds - set(got_cmds))
    dup_items = (sum(n - 1 for n in got_msgs.values()) + sum(n - 1 for n in got_cmds.values())
                 + len(set(got_msgs) - ok_msgs) + len(set(got_cmds) - ok_cmds))
    lost_rep = len(exp_votes - set(got_votes)) + max(0, len(exp_cmds) - cmd_reporters)
    dup_rep = (sum(n - 1 for n in got_votes.values()) + len(set(got_votes) - ok_votes)
               + max(0, cmd_reporters - len(ok_cmds)))
    return {
        "expected_items": len(exp_msgs) + len(exp_cmds), "stored_items": len(snap["items"]),
        "expected_reporters": len(exp_votes) + len(exp_cmds), "stored_reporters": len(snap["reporters"]),
        "expected_event_ids": len(sent["acked_events"]), "stored_event_ids": snap["events"],
        "lost_items": lost_items, "duplicated_items": dup_items,
        "lost_reporters": lost_rep, "duplicated_reporters": dup_rep,
        "unacked_requests": len(un), "items_stored_without_200": stored_unacked,
        "pending_captures": sum(1 for r in snap["items"] if r.capture_state == "pending"),
        "deliveries": snap["deliveries"],
    }


# -- measurement ------------------------------------------------------------------------------

def busy_jiffies() -> int:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields[:8]) - idle


def run_loadgen(port: int, args: list[str], servers: dict[str, int]) -> dict[str, Any]:
    """One load-generator process; also the CPU each server and everything else used meanwhile."""
    before = {name: cpu_seconds(pid) for name, pid in servers.items()}
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy0, t0 = busy_jiffies(), time.perf_counter()
    out = subprocess.run([PYTHON, "-m", "bench.loadgen", "--url", f"http://127.0.0.1:{port}", *args],
                         cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"loadgen failed: {out.stderr[-3000:]}")
    result = json.loads(out.stdout)
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    tick = os.sysconf("SC_CLK_TCK")
    busy = (busy_jiffies() - busy0) / tick
    server_cpu = {name: cpu_seconds(pid) - before[name] for name, pid in servers.items()}
    loadgen_cpu = (children1.ru_utime - children0.ru_utime) + (children1.ru_stime - children0.ru_stime)
    result["cpu"] = {
        "window_s": wall, "server_s": server_cpu, "loadgen_s": loadgen_cpu,
        # CPU used by processes that are not part of this benchmark (e.g. a test run).
        "other_s": max(0.0, busy - sum(server_cpu.values()) - loadgen_cpu),
    }
    return result


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    keep = {k: v for k, v in result.items() if k not in {"acked_commands", "acked_events"}}
    return keep


def fmt_row(name: str, r: dict[str, Any]) -> str:
    lat = r["latency"]
    errs = sum(r["errors"].values())
    cpu = r["cpu"]
    return (f"  {name:10s} n={r['requests']:6d} rps={r['rps']:8.1f} p50={lat['p50_ms']:7.2f}ms "
            f"p99={lat['p99_ms']:7.2f}ms max={lat['max_ms']:7.1f}ms errors={errs} "
            f"server_cpu={sum(cpu['server_s'].values()) / cpu['window_s']:.2f} "
            f"client_cpu={r['client_cpu_util']:.2f} other_cpu={cpu['other_s']:.1f}s")


async def main(args: argparse.Namespace) -> dict[str, Any]:
    clear_proxies()
    tmp = Path(tempfile.mkdtemp(prefix=f"prodops-bench-{args.backend}-"))
    report: dict[str, Any] = {"command": " ".join([".venv/bin/python -m bench.ack_latency", *sys.argv[1:]]), "mix": args.mix,
                              "date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
                              "backend": args.backend, "experiment": args.experiment, "logs": str(tmp), "phases": {}}
    url = await prepare_database(args.backend, tmp, args.pg_url)
    targets = args.targets.split(",")
    children: list[Child] = []
    try:
        fake = Child("fake_slack", ["-m", "bench.fake_slack_server"], tmp)
        children.append(fake)
        servers: dict[str, Child] = {}
        if "ours" in targets:
            extra = ["--profile", str(tmp / "profile.txt")] if args.profile else []
            extra += ["--experiment", args.experiment]
            servers["ours"] = Child("bot", ["-m", "bench.bot_server", "--database-url", url,
                                            "--api-url", fake.info["api_url"], "--log-level", args.log_level, *extra], tmp)
            children.append(servers["ours"])
        for name in targets:
            if name in BARE_VARIANTS:
                servers[name] = Child(name, ["-m", "bench.bare_bolt", "--api-url", fake.info["api_url"],
                                             *BARE_VARIANTS[name]], tmp)
                children.append(servers[name])
        time.sleep(1.0)  # let the freshly started servers go idle before reading RSS
        report["rss_idle_kb"] = {name: rss_kb(c.pid) for name, c in servers.items()}
        pids = {name: c.pid for name, c in servers.items()} | {"fake_slack": fake.pid}

        phases = [("warmup", TEAM_WARM, ["--mode", "fixed", "--rate", "50", "--duration", "2"], 0),
                  ("fixed", TEAM_FIXED, ["--mode", "fixed", "--rate", str(args.rate), "--duration", str(args.duration)], 2_000),
                  ("saturate", TEAM_SAT, ["--mode", "saturate", "--concurrency", str(args.concurrency),
                                          "--duration", str(args.sat_duration)], 6_000)]
        for phase, team, load_args, offset in phases:
            report["phases"][phase] = {}
            print(f"{phase}:", flush=True)
            for name, child in servers.items():
                result = run_loadgen(child.info["port"], [*load_args, "--team", team, "--msg-offset", str(offset),
                                                          "--mix", args.mix], pids)
                entry = summarise(result)
                if name == "ours":
                    snap, waited = await settle(url, team)
                    entry["settle_s"] = waited
                    entry["correctness"] = check(snap, result)
                report["phases"][phase][name] = entry
                print(fmt_row(name, entry), flush=True)
                if "correctness" in entry:
                    c = entry["correctness"]
                    print(f"  {'':10s} items {c['stored_items']}/{c['expected_items']} reporters "
                          f"{c['stored_reporters']}/{c['expected_reporters']} lost={c['lost_items']}+{c['lost_reporters']} "
                          f"duplicated={c['duplicated_items']}+{c['duplicated_reporters']} "
                          f"pending={c['pending_captures']} stored-without-200={c['items_stored_without_200']} "
                          f"settled in {entry['settle_s']:.2f}s", flush=True)
        report["rss_after_saturation_kb"] = {name: rss_kb(c.pid) for name, c in servers.items()}
        report["ratios"] = ratios(report)
        report["machine"]["loadavg_end"] = os.getloadavg()
    finally:
        for child in reversed(children):
            child.stop()
    print("RSS idle (MB):", {k: round(v / 1024, 1) for k, v in report.get("rss_idle_kb", {}).items()})
    print("RSS after saturation (MB):", {k: round(v / 1024, 1) for k, v in report.get("rss_after_saturation_kb", {}).items()})
    print("ratios:", json.dumps(report.get("ratios", {}), indent=1))
    out = Path(args.json_out) if args.json_out else tmp / "report.json"
    out.write_text(json.dumps(report, indent=1))
    print(f"report: {out}  (logs in {tmp})")
    return report


def ratios(report: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    phases = report["phases"]
    for base in ("bare", "bare-pbr", "bare-lazy"):
        if "ours" not in phases.get("fixed", {}) or base not in phases["fixed"]:
            continue
        f_o, f_b = phases["fixed"]["ours"]["latency"], phases["fixed"][base]["latency"]
        s_o, s_b = phases["saturate"]["ours"], phases["saturate"][base]
        out[f"ours/{base}"] = {
            "fixed_p50": f_o["p50_ms"] / f_b["p50_ms"], "fixed_p99": f_o["p99_ms"] / f_b["p99_ms"],
            "saturate_throughput": s_o["rps"] / s_b["rps"],
            "saturate_p50": s_o["latency"]["p50_ms"] / s_b["latency"]["p50_ms"],
            "saturate_p99": s_o["latency"]["p99_ms"] / s_b["latency"]["p99_ms"],
        }
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG),
                        help="a database of its own: its public schema is dropped at the start")
    parser.add_argument("--targets", default="ours,bare",
                        help="comma list of ours, bare, bare-pbr (process_before_response), bare-lazy (+ lazy listeners)")
    parser.add_argument("--mix", choices=["all-write", "realistic"], default="all-write",
                        help="all-write: 40%% filings, 55%% feedback-emoji reactions, 5%% retries; realistic (issue 16): "
                             "85%% reactions with other emoji, 5%% feedback-emoji reactions, 5%% /feedback list, 5%% filings")
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--sat-duration", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--log-level", default="INFO", help="the bot's LOG_LEVEL (INFO as deployed)")
    parser.add_argument("--profile", action="store_true", help="profile the bot with pyinstrument (report in the log dir)")
    parser.add_argument("--experiment", choices=["none", "shared-session"], default="none",
                        help="run the bot with a bench-only patch (see bench/bot_server.py); not the bot as shipped")
    parser.add_argument("--json-out", default=None)
    asyncio.run(main(parser.parse_args()))
