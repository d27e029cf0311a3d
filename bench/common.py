"""Shared helpers for the benchmarks: clean child environments, child processes, RSS, ports."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
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
