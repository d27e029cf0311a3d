"""Load generator: correctly signed /feedback commands and reaction_added events over aiohttp.

    python -m bench.loadgen --url http://127.0.0.1:PORT --mode fixed --rate 200 --duration 15 --team T...
    python -m bench.loadgen --url ... --mode saturate --concurrency 32 --duration 15 --team T...

Runs in its own process (so it does not share an event loop or CPU accounting with a server)
and prints one JSON object: latency stats, throughput, errors, and what was acknowledged (for
the caller's lost/duplicated check).

fixed: open loop. Request i is launched by its own coroutine at t0 + i/rate, whether or not
earlier requests have answered; `lag` reports how late the generator launched them.
saturate: closed loop. N workers each send the next request as soon as their previous one
answered, until the duration is over.
Latency is wall time per request (time.perf_counter) from just before the POST to the end of
the response body. Any non-200 answer, timeout or connection error counts as an error.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from bench.common import clear_proxies, message_ref


KINDS = ("command", "event", "retry", "ignored", "read")
OTHER_EMOJI = ("thumbsup", "eyes", "tada", "heart", "white_check_mark", "joy", "pray", "fire", "+1::skin-tone-2", "raised_hands")


@dataclass
class Req:
    kind: str  # "command" | "event" | "retry" | "ignored" (another emoji) | "read" (/feedback list)
    body: bytes
    headers: dict[str, str]
    key: Any  # command: its token; event/retry: event_id
    reaction: tuple[int, str] | None = None  # (message index, user) for events


@dataclass
class Result:
    kind: str
    status: int
    latency: float
    lag: float = 0.0


@dataclass
class Workload:
    """A deterministic mix: commands, reactions (several users on the same message) and retries."""

    team: str
    msg_offset: int
    seed: int
    cmd_frac: float = 0.4
    retry_frac: float = 0.05
    users: list[str] = field(default_factory=lambda: [f"UREACT{i:03d}" for i in range(200)])
    # "all-write": the fractions above. "realistic" (issue 16): a workspace's traffic is mostly
    # reactions the bot does not act on: 85% reactions with other emoji, 5% with the feedback
    # emoji, 5% `/feedback list`, 5% `/feedback <text>` filings, no retries.
    mix: str = "all-write"

    def build(self, n: int) -> list[Req]:
        from tests.slack_requests import command_form, event_envelope, signed_headers

        rnd = random.Random(self.seed)
        reqs: list[Req] = []
        open_msgs: list[list[Any]] = []  # [message index, reactors still to come]
        next_msg = self.msg_offset
        recent_events: list[Req] = []
        for i in range(n):
            roll = rnd.random()
            if self.mix == "realistic":
                kind = "ignored" if roll < 0.85 else "event" if roll < 0.90 else "read" if roll < 0.95 else "command"
            elif roll < self.retry_frac and recent_events:
                kind = "retry"
            else:
                kind = "command" if roll < self.retry_frac + self.cmd_frac else "event"
            if kind == "retry":
                orig = rnd.choice(recent_events[-50:])
                headers = {**orig.headers, "X-Slack-Retry-Num": str(rnd.choice([1, 1, 2])),
                           "X-Slack-Retry-Reason": "http_timeout"}
                reqs.append(Req("retry", orig.body, headers, orig.key, orig.reaction))
            elif kind == "command":
                token = f"{self.team}-cmd-{i}"
                body = command_form(self.team, rnd.choice(self.users), "/feedback",
                                    f"bench {token}: checkout is slow for big carts customer:Acme #perf")
                reqs.append(Req("command", body.encode(), signed_headers(body), token))
            elif kind == "read":
                body = command_form(self.team, rnd.choice(self.users), "/feedback", "list")
                reqs.append(Req("read", body.encode(), signed_headers(body), f"{self.team}-list-{i}"))
            elif kind == "ignored":  # another emoji on any message: nothing to store
                index = self.msg_offset + rnd.randrange(2_000)
                channel, ts = message_ref(index)
                event_id = f"Ev{self.team}{i:07d}"
                event = {"type": "reaction_added", "user": rnd.choice(self.users), "reaction": rnd.choice(OTHER_EMOJI),
                         "item": {"type": "message", "channel": channel, "ts": ts},
                         "item_user": f"UAUTHOR{index % 50}", "event_ts": f"{time.time():.6f}"}
                body = event_envelope(self.team, event, event_id=event_id)
                reqs.append(Req("ignored", body.encode(), signed_headers(body, content_type="application/json"),
                                event_id))
            else:
                if open_msgs and rnd.random() < 0.65:
                    slot = rnd.choice(open_msgs)
                else:
                    k = rnd.choice([1, 1, 2, 3, 4, 5])
                    slot = [next_msg, rnd.sample(self.users, k)]
                    next_msg += 1
                    open_msgs.append(slot)
                index, reactors = slot
                user = reactors.pop()
                if not reactors:
                    open_msgs.remove(slot)
                channel, ts = message_ref(index)
                event_id = f"Ev{self.team}{i:07d}"
                event = {"type": "reaction_added", "user": user, "reaction": "memo",
                         "item": {"type": "message", "channel": channel, "ts": ts},
                         "item_user": f"UAUTHOR{index % 50}", "event_ts": f"{time.time():.6f}"}
                body = event_envelope(self.team, event, event_id=event_id)
                req = Req("event", body.encode(), signed_headers(body, content_type="application/json"),
                          event_id, (index, user))
                reqs.append(req)
                recent_events.append(req)
        return reqs


async def send(http: Any, url: str, req: Req) -> tuple[int, float]:
    start = time.perf_counter()
    try:
        async with http.post(url, data=req.body, headers=req.headers) as resp:
            await resp.read()
            status = resp.status
    except Exception:  # timeouts and connection errors are errors, not crashes
        status = -1
    return status, time.perf_counter() - start


async def run_fixed(http: Any, url: str, reqs: list[Req], rate: float) -> tuple[list[Result | None], float]:
    results: list[Result | None] = [None] * len(reqs)

    async def one(i: int, scheduled: float) -> None:
        lag = time.perf_counter() - scheduled
        status, latency = await send(http, url, reqs[i])
        results[i] = Result(reqs[i].kind, status, latency, lag)

    tasks = []
    t0 = time.perf_counter() + 0.05
    for i in range(len(reqs)):
        at = t0 + i / rate
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, at)))
    await asyncio.gather(*tasks)
    return results, time.perf_counter() - t0


async def run_saturate(http: Any, url: str, reqs: list[Req], concurrency: int,
                       duration: float) -> tuple[list[Result | None], float]:
    results: list[Result | None] = [None] * len(reqs)
    counter = iter(range(len(reqs)))
    t0 = time.perf_counter()
    deadline = t0 + duration
    last_done = t0

    async def worker() -> None:
        nonlocal last_done
        for i in counter:
            if time.perf_counter() >= deadline:
                return
            status, latency = await send(http, url, reqs[i])
            results[i] = Result(reqs[i].kind, status, latency)
            last_done = time.perf_counter()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results, last_done - t0


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))
    return values[k]


def stats(latencies: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in latencies]
    return {"n": len(ms), "p50_ms": pct(ms, 50), "p90_ms": pct(ms, 90), "p99_ms": pct(ms, 99),
            "max_ms": max(ms) if ms else float("nan"), "mean_ms": sum(ms) / len(ms) if ms else float("nan")}


async def main(args: argparse.Namespace) -> dict[str, Any]:
    import aiohttp

    clear_proxies()
    workload = Workload(args.team, args.msg_offset, args.seed, args.cmd_frac, args.retry_frac, mix=args.mix)
    n = int(args.rate * args.duration) if args.mode == "fixed" else args.max_requests
    reqs = workload.build(n)
    url = args.url.rstrip("/") + "/slack/events"
    timeout = aiohttp.ClientTimeout(total=10)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout) as http:
        if args.mode == "fixed":
            indexed, elapsed = await run_fixed(http, url, reqs, args.rate)
        else:
            indexed, elapsed = await run_saturate(http, url, reqs, args.concurrency, args.duration)
    results = [r for r in indexed if r is not None]
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    sent = [req for req, res in zip(reqs, indexed) if res is not None]
    ok = [r for r in results if r.status == 200]
    errors: dict[str, int] = {}
    for r in results:
        if r.status != 200:
            errors[str(r.status)] = errors.get(str(r.status), 0) + 1
    # What the server acknowledged: a retried event counts once if any delivery of it got a 200.
    acked_events: dict[str, list[Any]] = {}
    acked_commands: list[str] = []
    unacked: dict[str, Any] = {}  # sent but no 200 (timeout, error): may or may not be stored
    for req, res in zip(reqs, indexed):
        if res is not None and res.status != 200 and req.kind not in ("ignored", "read"):
            unacked[req.key] = list(req.reaction) if req.reaction else None
        if res is None or res.status != 200:
            continue
        if req.kind == "command":
            acked_commands.append(req.key)
        elif req.kind in ("event", "retry"):
            acked_events[req.key] = list(req.reaction)  # type: ignore[arg-type]
    out = {
        "mode": args.mode, "team": args.team, "requests": len(results), "elapsed_s": elapsed,
        "rps": len(results) / elapsed if elapsed else 0.0, "ok": len(ok), "errors": errors,
        "latency": stats([r.latency for r in results]),
        "latency_by_kind": {k: stats([r.latency for r in results if r.kind == k]) for k in KINDS},
        "mix": {k: sum(1 for r in sent if r.kind == k) for k in KINDS},
        "client_cpu_s": client_cpu, "client_cpu_util": client_cpu / elapsed if elapsed else 0.0,
        "acked_commands": acked_commands, "acked_events": acked_events,
        "unacked": {k: v for k, v in unacked.items() if k not in acked_events},
    }
    if args.mode == "fixed":
        lags = [r.lag * 1000 for r in results]
        out["lag_ms"] = {"p50": pct(lags, 50), "p99": pct(lags, 99), "max": max(lags)}
        out["target_rate"] = args.rate
    else:
        out["concurrency"] = args.concurrency
        out["exhausted"] = indexed[-1] is not None
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--mode", choices=["fixed", "saturate"], required=True)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--max-requests", type=int, default=100000)
    parser.add_argument("--team", required=True)
    parser.add_argument("--msg-offset", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cmd-frac", type=float, default=0.4)
    parser.add_argument("--retry-frac", type=float, default=0.05)
    parser.add_argument("--mix", choices=["all-write", "realistic"], default="all-write")
    result = asyncio.run(main(parser.parse_args()))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
