"""Start-up time: launching `python -m bot` to the first 200 from GET /healthz.

    .venv/bin/python -m bench.startup [--runs 5]

The database (a SQLite file) is migrated once beforehand, so each start finds migrations
already applied (the bot still checks them, and calls auth.test on the fake Slack Web API,
as it does in production). /healthz is polled every 5 ms. For reference, the time for the
bare interpreter (`python -c pass`) and for importing the bot's modules are measured too.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from bench.common import PYTHON, ROOT, Child, child_env, clear_proxies, free_port, machine

POLL_SECONDS = 0.005
TIMEOUT_SECONDS = 30.0


def healthz_ok(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
            return resp.status == 200
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


def one_start(env: dict[str, str], log: Path) -> float:
    port = free_port()
    with open(log, "ab") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen([PYTHON, "-m", "bot"], cwd=ROOT, env={**env, "PORT": str(port)},
                                stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        try:
            while time.perf_counter() - t0 < TIMEOUT_SECONDS:
                if healthz_ok(port):
                    return time.perf_counter() - t0
                if proc.poll() is not None:
                    raise RuntimeError(f"python -m bot exited with {proc.returncode}; see {log}")
                time.sleep(POLL_SECONDS)
            raise RuntimeError(f"no 200 from /healthz within {TIMEOUT_SECONDS}s; see {log}")
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - t0


def main(runs: int) -> None:
    clear_proxies()
    from bot.migrate import upgrade
    from tests.slack_requests import BOT_TOKEN, SIGNING_SECRET

    tmp = Path(tempfile.mkdtemp(prefix="prodops-bench-startup-"))
    db_url = f"sqlite+aiosqlite:///{tmp / 'startup.sqlite3'}"
    asyncio.run(upgrade(db_url))
    fake = Child("fake_slack", ["-m", "bench.fake_slack_server"], tmp)
    try:
        env = child_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                        SLACK_API_URL=fake.info["api_url"], DATABASE_URL=db_url, HOST="127.0.0.1",
                        LOG_LEVEL="INFO")
        env.pop("SLACK_APP_TOKEN", None)
        times = [one_start(env, tmp / "bot.log") for _ in range(runs)]
        bare = [timed([PYTHON, "-c", "pass"], env) for _ in range(3)]
        imports = [timed([PYTHON, "-c", "import bot.app, bot.server, bot.migrate, bot.runtime"], env) for _ in range(3)]
    finally:
        fake.stop()
    report = {
        "command": " ".join([".venv/bin/python -m bench.startup", *sys.argv[1:]]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
        "startup_s": times, "median_s": statistics.median(times), "max_s": max(times),
        "python_c_pass_median_s": statistics.median(bare), "import_bot_median_s": statistics.median(imports),
    }
    print(json.dumps(report, indent=1))
    print(f"startup to /healthz 200: median {report['median_s']:.3f}s max {report['max_s']:.3f}s "
          f"(python -c pass {report['python_c_pass_median_s']:.3f}s, importing the bot {report['import_bot_median_s']:.3f}s); logs in {tmp}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    main(parser.parse_args().runs)
