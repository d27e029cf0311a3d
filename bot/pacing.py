"""Channel posts paced to Slack's limits instead of thrown at them.

`chat.postMessage` takes about one message a second per channel with short bursts, and a
workspace-wide limit Slack does not publish (SLACK-PROTOCOL.md). Scheduled posts (a minute's
digests) would otherwise race into those limits and each sleep out its own 429s: the pacer
keeps a token bucket per channel (one a second, a burst of three), so a channel's posts leave
at the pace Slack takes them, and when Slack still answers 429 (the workspace limit, another
replica) it holds every paced post of the workspace until the `Retry-After` has passed and tries
again, within a patience, instead of failing the post.

In memory, per process: replicas each keep their own buckets and meet through the 429 path.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

PER_CHANNEL = 1.0  # posts a second, per channel
BURST = 3
PATIENCE_SECONDS = 300.0  # how long one post may keep meeting 429s before it counts as failed


@dataclass
class _Bucket:
    tokens: float
    stamp: float


@dataclass
class Pacer:
    per_channel: float = PER_CHANNEL
    burst: int = BURST
    patience: float = PATIENCE_SECONDS
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    _channels: dict[str, _Bucket] = field(default_factory=dict)  # turns taken (before a post is built)
    _arrivals: dict[str, _Bucket] = field(default_factory=dict)  # posts sent (what Slack counts)
    _hold: dict[str, float] = field(default_factory=dict)  # team -> no paced post before this

    def _take(self, channel: str, buckets: dict[str, _Bucket] | None = None) -> float:
        """Take the channel's next slot; how long to wait for it (0: now)."""
        buckets = self._channels if buckets is None else buckets
        now = self.clock()
        bucket = buckets.get(channel) or _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.stamp) * self.per_channel)
        bucket.stamp = now
        bucket.tokens -= 1  # taken now, even if the slot is in the future: the next caller queues behind
        buckets[channel] = bucket
        return 0.0 if bucket.tokens >= 0 else -bucket.tokens / self.per_channel

    async def turn(self, team_id: str, channel: str) -> None:
        """Wait for the channel's next slot (and any hold on the workspace), taking it. A duty
        waits here before it takes one of its lanes' places, so a channel's wait does not keep
        other channels' posts out (bot/duties.py, `Duty.pace`)."""
        wait = self._take(channel)
        hold = self._hold.get(team_id, 0.0) - self.clock()
        if max(wait, hold) > 0:
            await self.sleep(max(wait, hold))

    async def post(self, client: AsyncWebClient, team_id: str, channel: str, *, turn_taken: bool = False,
                   **kwargs: Any) -> Any:
        """chat.postMessage at the channel's pace (its turn taken here unless `turn_taken`)."""
        deadline = self.clock() + self.patience
        if not turn_taken:
            await self.turn(team_id, channel)
        # Turns are taken before the post is built, and builds take unequal times: two posts whose
        # turns were a second apart could still reach Slack closer. Their arrivals are paced too.
        arrival = self._take(channel, self._arrivals)
        while True:
            hold = max(arrival, self._hold.get(team_id, 0.0) - self.clock())
            arrival = 0.0
            if hold > 0:
                await self.sleep(hold)
            try:
                return await client.chat_postMessage(channel=channel, **kwargs)
            except SlackApiError as exc:
                if exc.response.status_code != 429 or self.clock() >= deadline:
                    raise
                retry = _retry_after(exc)
                self._hold[team_id] = max(self._hold.get(team_id, 0.0), self.clock() + retry)


def _retry_after(exc: SlackApiError) -> float:
    headers = exc.response.headers or {}
    raw = headers.get("Retry-After") or headers.get("retry-after")
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    try:
        return max(1.0, float(raw)) if raw is not None else 1.0
    except ValueError:
        return 1.0
