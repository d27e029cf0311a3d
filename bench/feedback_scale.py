"""Feedback at 100,000 items (issue 20): a data generator and a benchmark of the real bot over HTTP.

    .venv/bin/python -m bench.feedback_scale --backend sqlite
    .venv/bin/python -m bench.feedback_scale --backend postgresql      # postgresql+asyncpg://postgres@127.0.0.1:5432/pd_bench
    .venv/bin/python -m bench.feedback_scale --backend sqlite --bot-root /tmp/pd_before   # the bot of another tree

The generator writes `--items` realistic items into one workspace (texts of 3-250 words drawn
from a product vocabulary with a Zipf-like skew, 0-3 tags, a customer on a third, a product area
on half, statuses mostly new/triaged, 0-50 reporters each, skewed low) with bulk Core inserts,
into a database migrated to revision 0014 (the schema every tree since 7dadaed shares), then
upgrades it to the bot tree's head, so later migrations (a search index, say) build what they
need for existing rows as they would in production. The SQLite file is generated once per
`--items`/`--seed` and copied for each run; PostgreSQL is regenerated each run.

Then, in separate processes (bench/fake_slack_server.py, bench/bot_server.py of `--bot-root`,
default this tree), measured from this process over HTTP with Slack-signed requests:
- sequential acks: `/feedback list`, `list top`, `search <word>` (a common, a rare and an absent
  word in turn), `--repeat` each: median, p99, max;
- 20 simultaneous searches, `--rounds` times: the slowest answer of each round;
- one `/feedback export` of every item while a background client sends a `/feedback list` or
  a `/feedback <text>` filing every 50 ms: time until the fake Slack sees the file shared (or
  the failure DM), the bot's RSS before and at its peak (VmRSS every 100 ms), and the
  background requests' p50/p99/max and failures (non-200, a timeout at 10 s, or an answer
  saying the database is unavailable).
The report is printed as JSON (and written with --json-out).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bench import common
from bench.common import Child, busy_jiffies, child_env, clear_proxies, cpu_seconds, machine, pct, rss_kb

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/pd_bench"
TEAM = "TSCALE0001"
USER = "UBENCH0001"
BASE_REVISION = "0014"  # generated against this schema, then upgraded to the bot tree's head
COMMON_WORD, RARE_WORD, ABSENT_WORD = "export", "kerberos", "zyzzyva"

# -- the generator ------------------------------------------------------------------------------

AREAS = ["exports", "billing", "onboarding", "search", "notifications", "mobile", "integrations",
         "reporting", "permissions", "api", "dashboard", "calendar", "sso", "performance"]
TAGS = ["bug", "ux", "enterprise", "churn-risk", "quick-win", "a11y", "performance", "docs", "mobile",
        "security", "pricing", "api", "import", "export", "slack", "jira", "sso", "reports", "beta", "ios"]
STATUS_WEIGHTS = {"new": 45, "triaged": 25, "planned": 12, "shipped": 10, "declined": 8}
VOCAB = ("export csv timeout large workspace button dashboard report filter search slow page load "
         "login password reset email notification mobile app crash android ios sync calendar invite "
         "permission admin role billing invoice plan upgrade downgrade seat trial onboarding tutorial "
         "integration jira slack github webhook api token rate limit error message confusing missing "
         "feature request customer wants able to please would love if could we need better faster "
         "dark mode chart graph kpi digest standup launch checklist template bulk edit delete archive "
         "restore undo history audit log compliance gdpr retention sso saml okta kerberos ldap scim "
         "import spreadsheet column date timezone locale translation german french japanese accessibility "
         "screen reader keyboard shortcut tooltip label font contrast layout sidebar navigation tab "
         "settings profile avatar team channel thread reply mention reaction emoji attachment file upload "
         "download preview print share link public private guest external partner vendor contract renewal "
         "pricing discount annual monthly usage quota storage limit warning alert threshold schedule "
         "recurring weekly daily hourly reminder snooze priority owner assignee status label tag "
         "the a to and of in for on with is it that this when after before every each our their my").split()
COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Tyrell", "Cyberdyne",
             "Soylent", "Massive", "Vandelay", "Pied Piper", "Aperture", "Oscorp", "Gringotts", "Monarch"]


def _words(rng: random.Random, n: int) -> str:
    """`n` words, Zipf-like: low indexes of VOCAB (shuffled once per run) far more often."""
    picks = [VOCAB[min(len(VOCAB) - 1, int(rng.paretovariate(1.1)) - 1)] if rng.random() < 0.6
             else rng.choice(VOCAB) for _ in range(n)]
    text = " ".join(picks)
    return text[:1].upper() + text[1:] + "."


def _length(rng: random.Random) -> int:
    return max(3, min(250, int(rng.lognormvariate(2.6, 0.8))))


def _votes(rng: random.Random) -> int:
    return 0 if rng.random() < 0.03 else min(50, 1 + int(rng.expovariate(1 / 2.5)))


def rows(n: int, seed: int, team: str) -> tuple[list[dict], list[tuple[int, list[str]]], list[tuple[int, str]]]:
    """Items (numbers 1..n), per number its reporters, and (number, tag) pairs."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    span = timedelta(days=365).total_seconds()
    statuses, weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    items, reporters, tags = [], [], []
    for number in range(1, n + 1):
        created = start + timedelta(seconds=span * number / n)
        status = rng.choices(statuses, weights)[0]
        creator = f"U{rng.randrange(2000):09d}"
        items.append({
            "team_id": team, "number": number, "text": _words(rng, _length(rng)),
            "customer": f"{rng.choice(COMPANIES)} {rng.randrange(1, 400)}" if rng.random() < 0.33 else None,
            "product_area": rng.choice(AREAS) if rng.random() < 0.5 else None,
            "importance": rng.choice(["low", "medium", "high", "critical", None, None]),
            "status": status, "capture_state": "ready", "capture_attempts": 0, "source": "command",
            "channel_id": f"C{rng.randrange(40):09d}", "created_by": creator,
            "owner_id": f"U{rng.randrange(50):09d}" if status != "new" else None,
            "closed_at": created + timedelta(days=30) if status in {"shipped", "declined"} else None,
            "outcome_note": "Thanks, this is live." if status == "shipped" else None,
            "created_at": created, "updated_at": created,
        })
        voters = {creator}
        want = _votes(rng)
        while len(voters) < want:
            voters.add(f"U{rng.randrange(2000):09d}")
        reporters.append((number, sorted(voters)[:want] if want else []))
        tags += [(number, t) for t in rng.sample(TAGS, rng.choice([0, 0, 1, 1, 1, 2, 3]))]
    return items, reporters, tags


def _tables() -> tuple[Any, Any, Any, Any]:
    """Light table objects with the 0014 columns only (the models may hold later ones), typed as
    the models type them, so datetimes are stored as the bot stores them."""
    from sqlalchemy import JSON, Integer, String, Text, column, table

    from models.base import UTCDateTime

    items = table("feedback_items", *[column(c, String) for c in (
        "team_id", "customer", "product_area", "importance", "status", "capture_state", "source", "channel_id",
        "created_by", "owner_id")], column("text", Text), column("outcome_note", Text),
        column("number", Integer), column("capture_attempts", Integer), column("id", Integer),
        *[column(c, UTCDateTime()) for c in ("closed_at", "created_at", "updated_at")])
    reporters = table("feedback_reporters", column("team_id", String), column("item_id", Integer),
                      column("user_id", String), column("source", String),
                      column("created_at", UTCDateTime()), column("updated_at", UTCDateTime()))
    tags = table("feedback_tags", column("team_id", String), column("item_id", Integer), column("tag", String))
    workspaces = table("workspaces", column("team_id", String), column("name", String), column("timezone", String),
                       column("settings", JSON), column("feedback_seq", Integer),
                       column("created_at", UTCDateTime()), column("updated_at", UTCDateTime()))
    return items, reporters, tags, workspaces


async def generate(url: str, n: int, seed: int, team: str = TEAM) -> dict[str, Any]:
    """Bulk-insert the data set into a database at BASE_REVISION; returns what was written and how long."""
    from sqlalchemy import insert, select, text

    from bot.db import create_engine

    t0 = time.perf_counter()
    items, reporters, tags = rows(n, seed, team)
    t_rows = time.perf_counter() - t0
    items_t, reporters_t, tags_t, workspaces_t = _tables()
    engine = create_engine(url)
    chunk = 5000
    try:
        async with engine.begin() as conn:
            now = datetime.now(UTC)
            await conn.execute(insert(workspaces_t).values(team_id=team, name="Scale Co", timezone="UTC",
                                                           settings={}, feedback_seq=n, created_at=now,
                                                           updated_at=now))
            for i in range(0, n, chunk):
                await conn.execute(insert(items_t), items[i:i + chunk])
            ids = dict((await conn.execute(select(items_t.c.number, items_t.c.id)
                                           .where(items_t.c.team_id == team))).all())
            flat = [{"team_id": team, "item_id": ids[num], "user_id": u, "source": "command",
                     "created_at": items[num - 1]["created_at"], "updated_at": items[num - 1]["created_at"]}
                    for num, users in reporters for u in users]
            for i in range(0, len(flat), chunk):
                await conn.execute(insert(reporters_t), flat[i:i + chunk])
            tag_rows = [{"team_id": team, "item_id": ids[num], "tag": t} for num, t in tags]
            for i in range(0, len(tag_rows), chunk):
                await conn.execute(insert(tags_t), tag_rows[i:i + chunk])
        async with engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
    finally:
        await engine.dispose()
    return {"items": n, "reporters": len(flat), "tags": len(tag_rows), "build_rows_s": round(t_rows, 1),
            "insert_s": round(time.perf_counter() - t0 - t_rows, 1)}


async def prepare(backend: str, tmp: Path, pg_url: str, n: int, seed: int, cache: Path, bot_root: Path) -> tuple[str, dict]:
    """A database holding the data set, migrated to the bot tree's head."""
    from bot.migrate import upgrade

    if backend == "sqlite":
        cached = cache / f"feedback-scale-{n}-{seed}-r{BASE_REVISION}.sqlite3"
        info: dict[str, Any] = {"cached": cached.exists()}
        if not cached.exists():
            partial = cached.with_suffix(".partial")
            partial.unlink(missing_ok=True)
            url = f"sqlite+aiosqlite:///{partial}"
            await upgrade(url, BASE_REVISION)
            info.update(await generate(url, n, seed))
            partial.rename(cached)
        target = tmp / "bench.sqlite3"
        shutil.copyfile(cached, target)
        url = f"sqlite+aiosqlite:///{target}"
    else:
        url = await _fresh_pg(pg_url)
        await upgrade(url, BASE_REVISION)
        info = await generate(url, n, seed)
    t0 = time.perf_counter()
    await _upgrade_with(bot_root, url)
    info["upgrade_to_head_s"] = round(time.perf_counter() - t0, 1)
    if backend == "sqlite":
        info["file_mb"] = round(Path(url.split("///", 1)[1]).stat().st_size / 1e6, 1)
    return url, info


async def _fresh_pg(url: str) -> str:
    import asyncpg

    dbname = url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql").rsplit("/", 1)[0] + "/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
        await admin.execute(f'CREATE DATABASE "{dbname}"')
    finally:
        await admin.close()
    return url


async def _upgrade_with(bot_root: Path, url: str) -> None:
    """`migrate` of the bot tree being measured (its own migrations), in a child process."""
    proc = await asyncio.create_subprocess_exec(
        common.PYTHON, "-c", "import asyncio, sys; from bot.migrate import upgrade; asyncio.run(upgrade(sys.argv[1]))",
        url, cwd=bot_root, env=child_env(PYTHONPATH=str(bot_root)))
    if await proc.wait() != 0:
        raise RuntimeError(f"migrating {url} with {bot_root} failed")


# -- the benchmark ------------------------------------------------------------------------------

def start(name: str, args: list[str], log_dir: Path, root: Path) -> Child:
    """bench.common.Child run from `root` (another tree's bot, for the before figures)."""
    saved = common.ROOT
    common.ROOT = root  # Child's cwd; restored at once
    try:
        return Child(name, args, log_dir, env=child_env(PYTHONPATH=str(root)))
    finally:
        common.ROOT = saved


class Client:
    """Slack-signed requests to the bot, each timed from just before the POST to the end of the body."""

    def __init__(self, url: str, http: aiohttp.ClientSession) -> None:
        from tests.slack_requests import SlackSender

        self.sender = SlackSender(url, http)

    async def command(self, text: str, user: str = USER) -> tuple[float, bool, str]:
        t0 = time.perf_counter()
        try:
            status, body = await asyncio.wait_for(self.sender.command(TEAM, user, "/feedback", text), 10)
        except (TimeoutError, aiohttp.ClientError) as exc:
            return time.perf_counter() - t0, False, type(exc).__name__
        took = time.perf_counter() - t0
        said = json.dumps(body)[:300] if body else ""
        ok = status == 200 and "unavailable" not in said
        return took, ok, "" if ok else f"{status} {said[:120]}"


def stats(times: list[float]) -> dict[str, float]:
    ms = [t * 1000 for t in times]
    return {"n": len(ms), "median_ms": round(pct(ms, 0.5), 1), "p99_ms": round(pct(ms, 0.99), 1),
            "max_ms": round(max(ms, default=0), 1)}


async def sequential(client: Client, repeat: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    kinds = {"list": lambda i: "list", "list top": lambda i: "list top",
             "search": lambda i: f"search {(COMMON_WORD, RARE_WORD, ABSENT_WORD)[i % 3]}"}
    for kind, text in kinds.items():
        for i in range(5):  # warm caches and connections
            await client.command(text(i))
        times, failed = [], []
        for i in range(repeat):
            took, ok, why = await client.command(text(i))
            times.append(took)
            if not ok:
                failed.append(why)
        out[kind] = {**stats(times), "failed": len(failed), "failures": failed[:3]}
    for word in (COMMON_WORD, RARE_WORD, ABSENT_WORD):
        times = [(await client.command(f"search {word}"))[0] for _ in range(max(5, repeat // 10))]
        out[f"search {word}"] = stats(times)
    return out


async def simultaneous(client: Client, rounds: int, width: int = 20) -> dict[str, Any]:
    slowest, failed = [], 0
    words = (COMMON_WORD, RARE_WORD, ABSENT_WORD, "csv", "timeout")
    for r in range(rounds):
        results = await asyncio.gather(*(client.command(f"search {words[(r + i) % len(words)]}",
                                                        user=f"UBENCH{i:04d}") for i in range(width)))
        slowest.append(max(t for t, _, _ in results))
        failed += sum(1 for _, ok, _ in results if not ok)
    ms = [round(s * 1000, 1) for s in slowest]
    return {"width": width, "rounds": rounds, "slowest_per_round_ms": ms, "worst_ms": max(ms),
            "rounds_all_within_500ms": sum(1 for s in ms if s <= 500), "failed": failed}


async def calls(http: aiohttp.ClientSession, fake_url: str) -> list[dict[str, Any]]:
    async with http.get(f"{fake_url}/bench/calls") as resp:
        return await resp.json()


async def export_under_load(client: Client, http: aiohttp.ClientSession, fake_url: str, bot_pid: int,
                            timeout: float) -> dict[str, Any]:
    await calls(http, fake_url)  # forget earlier calls
    rss0 = rss_kb(bot_pid)
    peak = [rss0]
    done = asyncio.Event()
    background: list[tuple[str, float, bool, str]] = []

    async def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_kb(bot_pid))
            await asyncio.sleep(0.1)

    async def load() -> None:
        i = 0
        while not done.is_set():
            kind, text = ("list", "list") if i % 2 == 0 else ("file", f"bench scale filing {i} #bench")
            loop_t0 = time.perf_counter()
            took, ok, why = await client.command(text)
            background.append((kind, took, ok, why))
            i += 1
            await asyncio.sleep(max(0.0, 0.05 - (time.perf_counter() - loop_t0)))

    sampler, loader = asyncio.create_task(sample()), asyncio.create_task(load())
    t0, t0_wall = time.perf_counter(), time.time()
    took, ok, why = await client.command("export")
    delivered, outcome = None, "timeout"
    while time.perf_counter() - t0 < timeout:
        for call in await calls(http, fake_url):
            if call["method"] == "files.completeUploadExternal":
                delivered, outcome = call["at"], "shared"
            elif call["method"] == "chat.postMessage" and "export" in call["text"].lower():
                delivered, outcome = call["at"], "failure message: " + call["text"][:120]
        if delivered:
            break
        await asyncio.sleep(0.1)
    elapsed = delivered - t0_wall if delivered else None
    done.set()
    await asyncio.gather(sampler, loader)
    times = [t for _, t, _, _ in background]
    failures = [w for _, _, ok_, w in background if not ok_]
    return {
        "export_ack_ms": round(took * 1000, 1), "export_ack_ok": ok, "outcome": outcome,
        "delivered_after_s": round(elapsed, 2) if elapsed is not None else None,
        "rss_before_mb": round(rss0 / 1024, 1), "rss_peak_mb": round(peak[0] / 1024, 1),
        "rss_growth_mb": round((peak[0] - rss0) / 1024, 1),
        "background": {**stats(times), "failed": len(failures), "failures": failures[:3],
                       "by_kind": {k: stats([t for kk, t, _, _ in background if kk == k]) for k in ("list", "file")}},
    }


async def explain(url: str) -> dict[str, list[str]]:
    """The plans of the list page's statement, newest and top, on this database."""
    from sqlalchemy import text

    from bot.db import create_engine

    try:
        from bot.feedback import listing
        from bot.feedback.parsing import Filters
    except ImportError:  # a tree without bot/feedback/listing.py
        return {}
    from models.feedback import FeedbackStatus

    engine = create_engine(url)
    plans: dict[str, list[str]] = {}
    try:
        async with engine.connect() as conn:
            for name, filters in (("list", Filters()), ("list top", Filters(sort="top")),
                                  ("list new #bug", Filters(status=FeedbackStatus.NEW, tags=("bug",)))):
                query = listing.page_query(TEAM, filters, 1)
                compiled = query.compile(engine.sync_engine, compile_kwargs={"literal_binds": True})
                prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
                found = (await conn.execute(text(prefix + str(compiled)))).all()
                plans[name] = [str(r[-1]) for r in found]
    finally:
        await engine.dispose()
    return plans


class Cpu:
    """CPU over a phase: the bot's, and what the rest of the machine used (anything but the bot,
    this process and the fake Slack; large means interference, e.g. someone's test run)."""

    def __init__(self, bot_pid: int, fake_pid: int) -> None:
        self.pids = bot_pid, fake_pid

    def __enter__(self) -> "Cpu":
        self.t0 = (busy_jiffies(), time.process_time(), *(cpu_seconds(p) for p in self.pids), time.perf_counter())
        return self

    def __exit__(self, *exc: Any) -> None:
        busy, own, bot, fake, wall = self.t0
        self.bot = cpu_seconds(self.pids[0]) - bot
        self.other = max(0.0, busy_jiffies() - busy - (time.process_time() - own) - self.bot
                         - (cpu_seconds(self.pids[1]) - fake))
        self.wall = time.perf_counter() - wall

    def summary(self) -> dict[str, float]:
        return {"wall_s": round(self.wall, 1), "bot_cpu_s": round(self.bot, 1), "other_cpu_s": round(self.other, 1)}


async def run(a: argparse.Namespace) -> dict[str, Any]:
    clear_proxies()
    bot_root = Path(a.bot_root).resolve() if a.bot_root else common.ROOT
    tmp = Path(tempfile.mkdtemp(prefix="prodops-bench-scale-"))
    cache = Path(a.cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"backend": a.backend, "bot_root": str(bot_root), "machine": machine(),
                              "started": datetime.now(UTC).isoformat(timespec="seconds")}
    import subprocess
    report["orchestrator_commit"] = subprocess.run(["git", "-C", str(common.ROOT), "rev-parse", "--short", "HEAD"],
                                                   capture_output=True, text=True).stdout.strip()
    url, report["data"] = await prepare(a.backend, tmp, a.pg_url, a.items, a.seed, cache, bot_root)
    if (bot_root / "bot" / "feedback" / "listing.py").exists():  # the plans of this tree's listing
        report["plans"] = await explain(url)
    fake = Child("fake_slack", ["-m", "bench.fake_slack_server", "--messages", "0", "--drain"], tmp)
    bot = None
    try:
        bot = start("bot", ["-m", "bench.bot_server", "--database-url", url, "--api-url", fake.info["api_url"]],
                    tmp, bot_root)
        report["bot_rss_idle_mb"] = round(rss_kb(bot.pid) / 1024, 1)
        async with aiohttp.ClientSession() as http:
            client = Client(f"http://127.0.0.1:{bot.info['port']}", http)
            cpu: dict[str, Any] = report.setdefault("cpu", {})
            with Cpu(bot.pid, fake.pid) as c:
                report["sequential"] = await sequential(client, a.repeat)
            cpu["sequential"] = c.summary()
            with Cpu(bot.pid, fake.pid) as c:
                report["simultaneous_searches"] = await simultaneous(client, a.rounds)
            cpu["simultaneous_searches"] = c.summary()
            if not a.skip_export:
                with Cpu(bot.pid, fake.pid) as c:
                    report["export"] = await export_under_load(client, http, fake.info["url"], bot.pid,
                                                               a.export_timeout)
                cpu["export"] = c.summary()
        report["bot_rss_end_mb"] = round(rss_kb(bot.pid) / 1024, 1)
    finally:
        if bot is not None:
            bot.stop()
        fake.stop()
    report["logs"] = str(tmp)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=200, help="sequential requests of each kind")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of 20 simultaneous searches")
    parser.add_argument("--export-timeout", type=float, default=240.0)
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--bot-root", default=None, help="the tree whose bot is measured (default: this one)")
    parser.add_argument("--cache-dir", default=str(Path(tempfile.gettempdir()) / "prodops-bench-scale-cache"))
    parser.add_argument("--json-out", default=None)
    parser.add_argument("--generate-only", action="store_true", help="build the data set, report its size, stop")
    a = parser.parse_args()
    if a.generate_only:
        async def gen() -> dict[str, Any]:
            tmp = Path(tempfile.mkdtemp(prefix="prodops-bench-scale-"))
            root = Path(a.bot_root).resolve() if a.bot_root else common.ROOT
            return (await prepare(a.backend, tmp, a.pg_url, a.items, a.seed, Path(a.cache_dir), root))[1]
        report = asyncio.run(gen())
    else:
        report = asyncio.run(run(a))
    text = json.dumps(report, indent=2, default=str)
    print(text)
    if a.json_out:
        Path(a.json_out).write_text(text)


if __name__ == "__main__":
    main()
