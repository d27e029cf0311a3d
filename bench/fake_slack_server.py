"""The fake Slack Web API (tests.fake_slack.FakeSlack) in its own process, with messages to read.

    python -m bench.fake_slack_server [--port 0] [--max-seconds 900] [--messages N]
                                      [--rate-limit [--per-channel 1] [--burst 3]
                                       [--workspace-rate R --workspace-burst B [--workspace-of N]]]
                                      [--latency-ms 0] [--drain]

Prints one JSON line {"pid", "url", "api_url"} when listening on 127.0.0.1.

`--rate-limit` turns on Slack's posting limits (tests.fake_slack.RateLimit: a token bucket per
channel for chat.postMessage, optionally one for the workspace, 429 with Retry-After beyond);
`--workspace-of N` keeps that bucket per workspace, told by the first N characters of the channel
id (a benchmark naming its channels so), instead of one for every channel;
`--latency-ms` makes every Web API call take that long before it is answered. `--drain` keeps
every call instead of the last thousand, for the orchestrator to take with `GET /bench/calls`
(which answers and forgets them: method, channel, thread_ts, whether it was rate-limited, and the
`time.time()` it was answered at). `POST /bench/advance {"seconds": s}` moves the limiter's clock
on by s: a benchmark that runs a simulated minute in less than one refills the buckets as the
minute would have.
"""
from __future__ import annotations

import argparse
import asyncio
import math
import time
from dataclasses import dataclass, field

from bench.common import CHANNELS, PER_CHANNEL, announce, clear_proxies, message_ref, serve_until_stopped


def per_workspace(key_chars: int, **limits: object) -> object:
    """tests.fake_slack.RateLimit with its workspace bucket kept per workspace (Slack's limits are
    per workspace), the workspace told by the channel id's first `key_chars` characters."""
    from tests.fake_slack import Bucket, RateLimit

    @dataclass
    class PerWorkspace(RateLimit):
        teams: dict[str, Bucket] = field(default_factory=dict)

        def retry_after(self, method: str, channel: str) -> int | None:
            if method not in self.methods:
                return None
            now = self.clock()
            buckets = [self.channels.setdefault(channel, self._bucket(self.per_channel, self.burst, now))]
            if self.workspace is not None:
                buckets.append(self.teams.setdefault(channel[:key_chars],
                                                     self._bucket(self.workspace, self.workspace_burst, now)))
            wait = max(b.wait(now) for b in buckets)
            if wait > 0:
                return max(1, math.ceil(wait))
            for b in buckets:
                b.tokens -= 1
            return None

    return PerWorkspace(**limits)  # type: ignore[arg-type]


async def main(a: argparse.Namespace) -> None:
    clear_proxies()
    from aiohttp import web

    from tests.fake_slack import FakeSlack

    fake = FakeSlack()
    for index in range(200):  # the load generator's people (bench/loadgen.py), members as in Slack:
        fake.add_user(f"UREACT{index:03d}")  # users.info answers, so the bot caches them as it would
    for index in range(a.messages):
        channel, ts = message_ref(index)
        fake.add_message(channel, ts, f"Customer message {index}: the export button is hard to find",
                         user=f"UAUTHOR{index % 50}")
    skew = [0.0]  # seconds the limiter's clock is ahead of time.monotonic (POST /bench/advance)
    if a.rate_limit:
        fake.rate_limit(a.per_channel, a.burst, workspace=a.workspace_rate, workspace_burst=a.workspace_burst,
                        clock=lambda: time.monotonic() + skew[0])
        if a.workspace_of:
            fake.limits = per_workspace(a.workspace_of, per_channel=a.per_channel, burst=a.burst,
                                        workspace=a.workspace_rate, workspace_burst=a.workspace_burst,
                                        clock=lambda: time.monotonic() + skew[0])
    fake.latency = a.latency_ms / 1000

    async def drain(request: web.Request) -> web.Response:
        taken, fake.calls[:] = list(fake.calls), []
        return web.json_response([{"method": c.method, "channel": c.args.get("channel"),
                                   "thread_ts": c.args.get("thread_ts"), "limited": c.limited, "at": c.at,
                                   "text": str(c.args.get("text") or "")[:200]} for c in taken])

    async def advance(request: web.Request) -> web.Response:
        skew[0] += float((await request.json())["seconds"])
        return web.json_response({"ok": True, "skew": skew[0]})

    fake.app.router.add_get("/bench/calls", drain)
    fake.app.router.add_post("/bench/advance", advance)
    if a.port:  # FakeSlack.start binds port 0; bind a fixed one ourselves when asked
        fake._runner = web.AppRunner(fake.app, access_log=None)
        await fake._runner.setup()
        await web.TCPSite(fake._runner, "127.0.0.1", a.port).start()
        fake.url = f"http://127.0.0.1:{a.port}"
    else:
        await fake.start()
    # The fake records every call; a long benchmark must not grow it without bound.
    async def trim() -> None:
        while True:
            await asyncio.sleep(5)
            if not a.drain:
                del fake.calls[:-1000]
            fake.responses.clear()

    trimmer = asyncio.create_task(trim())
    announce(url=fake.url, api_url=fake.api_url)
    await serve_until_stopped(a.max_seconds)
    trimmer.cancel()
    await fake.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-seconds", type=float, default=900)
    parser.add_argument("--messages", type=int, default=CHANNELS * PER_CHANNEL,
                        help="messages pre-added for reaction captures to read")
    parser.add_argument("--rate-limit", action="store_true", help="enforce Slack's chat.postMessage limits")
    parser.add_argument("--per-channel", type=float, default=1.0, help="posts a second per channel (sustained)")
    parser.add_argument("--burst", type=int, default=3, help="posts a channel may make at once")
    parser.add_argument("--workspace-rate", type=float, default=None, help="posts a second over all channels")
    parser.add_argument("--workspace-burst", type=int, default=10)
    parser.add_argument("--workspace-of", type=int, default=0,
                        help="a workspace bucket per channel-id prefix of this many characters (0: one bucket)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="how long every Web API call takes")
    parser.add_argument("--drain", action="store_true", help="keep every call for GET /bench/calls")
    asyncio.run(main(parser.parse_args()))
