"""Shared helpers for the benchmarks: clean child environments, child processes, RSS, ports, CPU
accounting (this process, the machine, PostgreSQL's backends), percentiles, real zones, and
autovacuum's decisions for runs that compress simulated days."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy",
              "NO_PROXY", "no_proxy")
TEAM_FIXED, TEAM_SAT, TEAM_WARM = "TBENCHFIXED", "TBENCHSAT", "TBENCHWARM"
# Messages the fake Slack holds, so reaction captures can read them: CHANNELS x PER_CHANNEL.
CHANNELS = 40
PER_CHANNEL = 1500


def clear_proxies() -> None:
    """slack_sdk's client honours HTTP(S)_PROXY and ignores NO_PROXY: loopback must not go out."""
    for var in PROXY_VARS:
        os.environ.pop(var, None)


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def message_ref(index: int) -> tuple[str, str]:
    """The (channel, ts) of pre-added message number `index`."""
    return f"CBENCH{index % CHANNELS:02d}", f"1690000000.{index // CHANNELS:06d}"


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """utime+stime of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine() -> dict[str, Any]:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "?")
    return {"nproc": os.cpu_count(), "cpu_model": model, "loadavg_start": os.getloadavg()}


class Child:
    """A child process that prints one JSON line when ready, and stops on SIGTERM or stdin EOF."""

    def __init__(self, name: str, args: list[str], log_dir: Path, ready_timeout: float = 60.0,
                 env: dict[str, str] | None = None) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([PYTHON, *args], cwd=ROOT, env=env or child_env(),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log)
        self.info = self._ready(ready_timeout)

    def _ready(self, timeout: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        result: dict[str, Any] = {}

        def read() -> None:
            line = self.proc.stdout.readline()  # type: ignore[union-attr]
            if line:
                result.update(json.loads(line))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        if not result:
            self.stop()
            raise RuntimeError(f"{self.name} did not start; see {self.log_path}:\n{self.log_path.read_text()[-3000:]}")
        return result

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self, timeout: float = 20.0) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stdin:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        self._log.close()


def stop_when_parent_goes(stop: Any, loop: Any) -> None:
    """Children watch stdin (a pipe from the orchestrator); EOF means it is gone, so they stop."""
    fd = sys.stdin.fileno()
    os.set_blocking(fd, False)

    def readable() -> None:
        try:
            data = os.read(fd, 4096)
        except BlockingIOError:
            return
        if not data:
            loop.remove_reader(fd)
            stop.set()

    loop.add_reader(fd, readable)


async def serve_until_stopped(max_seconds: float) -> None:
    """Wait for SIGTERM/SIGINT, stdin EOF, or max_seconds, whichever comes first."""
    import asyncio

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    stop_when_parent_goes(stop, loop)
    try:
        await asyncio.wait_for(stop.wait(), max_seconds)
    except asyncio.TimeoutError:
        print("max lifetime reached; stopping", file=sys.stderr)


def announce(**info: Any) -> None:
    print(json.dumps({"pid": os.getpid(), **info}), flush=True)


def wait_until(predicate: Any, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


async def prepare_database(backend: str, tmp: Path, pg_url: str, name: str = "bench.sqlite3") -> str:
    """A fresh, migrated database: a SQLite file in `tmp`, or `pg_url` emptied first (its database
    created when missing)."""
    from sqlalchemy import text

    from bot.db import create_engine
    from bot.migrate import upgrade

    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp / name}"
    else:
        url = pg_url
        import asyncpg

        dbname = url.rsplit("/", 1)[1]
        admin = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql").rsplit("/", 1)[0] + "/postgres")
        try:
            if not await admin.fetchval("select 1 from pg_database where datname = $1", dbname):
                await admin.execute(f'create database "{dbname}"')
        finally:
            await admin.close()
        engine = create_engine(url)
        async with engine.begin() as conn:  # start from nothing, as the tests do
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    await upgrade(url)
    return url


# 30 real zones, most populated first (weights: a made-up but plausible global company).
ZONES: list[tuple[str, float]] = [
    ("America/New_York", 16), ("Europe/Berlin", 9), ("America/Los_Angeles", 9), ("Europe/London", 8),
    ("Asia/Kolkata", 8),  # +05:30
    ("America/Chicago", 5), ("Europe/Paris", 4), ("America/Sao_Paulo", 4), ("Asia/Singapore", 3),
    ("Australia/Sydney", 3),  # DST in the southern summer (+11 now)
    ("America/Denver", 2), ("Europe/Warsaw", 2), ("Asia/Tokyo", 2), ("Asia/Shanghai", 2),
    ("Europe/Lisbon", 2), ("America/Mexico_City", 2),
    ("Asia/Jerusalem", 2),  # Sun–Thu
    ("Europe/Helsinki", 1.5), ("Europe/Istanbul", 1.5), ("Asia/Dubai", 1.5), ("Africa/Lagos", 1),
    ("Africa/Nairobi", 1), ("America/Bogota", 1),
    ("America/Santiago", 1),  # southern DST (-03 now)
    ("Pacific/Auckland", 1),  # +13 now
    ("America/St_Johns", 0.5),  # -03:30
    ("Asia/Kathmandu", 0.5),  # +05:45
    ("Australia/Adelaide", 0.5),  # +10:30 now
    ("Asia/Tehran", 0.3),  # +03:30
    ("Pacific/Chatham", 0.2),  # +12:45 standard, +13:45 now
]


def zone_counts(people: int, zones: list[tuple[str, float]]) -> list[tuple[str, int]]:
    total = sum(w for _, w in zones)
    counts = [[z, int(people * w / total)] for z, w in zones]
    for i in range(people - sum(c for _, c in counts)):  # the remainder, most populated first
        counts[i % len(counts)][1] += 1
    return [(z, c) for z, c in counts]


async def analyze(engine: Any) -> None:
    from sqlalchemy import text

    async with engine.connect() as conn:
        await conn.execute(text("ANALYZE"))
        await conn.commit()


class Autovacuum:
    """autovacuum's decisions at its default settings, taken once per simulated minute (its
    naptime is a minute): a simulated day runs in a few minutes, so the real daemon alone would
    leave the planner's statistics many simulated hours old. VACUUM a table once its dead rows
    pass 50 + 20% of its live ones, ANALYZE it once its changes since the last analyze pass
    50 + 10%. Runs between ticks, on a connection of its own (never counted)."""

    def __init__(self, url: str) -> None:
        self.url = url.replace("postgresql+asyncpg", "postgresql")
        self.conn: Any = None
        self.pid: int | None = None
        self.done: Counter = Counter()
        self._reported: Counter = Counter()

    async def maybe_run(self) -> None:
        import asyncpg

        if self.conn is None:
            self.conn = await asyncpg.connect(self.url)
            self.pid = await self.conn.fetchval("select pg_backend_pid()")
        await asyncio.sleep(0)
        rows = await self.conn.fetch("select relname, n_live_tup, n_dead_tup, n_mod_since_analyze "
                                     "from pg_stat_user_tables where schemaname = 'public'")
        for name, live, dead, changed in rows:
            if dead > 50 + 0.2 * live:
                await self.conn.execute(f'VACUUM "{name}"')
                self.done[f"vacuum {name}"] += 1
            if changed > 50 + 0.1 * live:
                await self.conn.execute(f'ANALYZE "{name}"')
                self.done[f"analyze {name}"] += 1

    def done_since(self) -> dict[str, int]:
        """What it ran since the last call."""
        since = self.done - self._reported
        self._reported = Counter(self.done)
        return dict(since)

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()


def busy_jiffies() -> float:
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in fields]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class OtherCpu:
    """CPU used on the machine by anything but this process and the fake, over a phase."""

    def __init__(self, fake_pid: int) -> None:
        self.fake_pid = fake_pid

    def __enter__(self) -> "OtherCpu":
        self.t0 = (busy_jiffies(), time.process_time(), cpu_seconds(self.fake_pid), time.perf_counter())
        return self

    def __exit__(self, *exc: Any) -> None:
        b, own, fake, wall = self.t0
        self.busy = busy_jiffies() - b
        self.own = time.process_time() - own
        self.fake = cpu_seconds(self.fake_pid) - fake
        self.other = max(0.0, self.busy - self.own - self.fake)
        self.wall = time.perf_counter() - wall

    def summary(self) -> dict[str, float]:
        return {"wall_s": round(self.wall, 2), "bot_cpu_s": round(self.own, 2), "fake_slack_cpu_s": round(self.fake, 2),
                "other_cpu_s": round(self.other, 2)}


async def backend_cpu(url: str, leave_out: int | None = None) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to the benchmark's database (the
    bot's pool), read from /proc through a connection of our own (left out, as is `leave_out`:
    the emulated autovacuum's)."""
    if not url.startswith("postgresql"):
        return {}
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        pids = [r[0] for r in await conn.fetch(
            "select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()")
            if r[0] != leave_out]
    finally:
        await conn.close()
    found = {}
    for pid in pids:
        try:
            found[pid] = cpu_seconds(pid)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            pass
    return found


def backend_delta(before: dict[int, float], after: dict[int, float]) -> float | None:
    if not after and not before:
        return None
    return round(sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items()), 2)


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]
