"""A second replica of the bot: its own Runtime, app and HTTP server on the session bot's
database and fake Slack, as two replicas behind a load balancer share one database.

Races that only the database can arbitrate (one replica cannot see the other's memory) are
tested by sending the same clicks to both.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.app import build_app
from bot.runtime import Runtime
from bot.server import HttpServer
from tests.conftest import Bot, bot_settings, hold_background_ticks
from tests.slack_requests import SlackSender


@asynccontextmanager
async def second_replica(bot: Bot, **settings: object) -> AsyncIterator[Bot]:
    """Start another replica next to `bot` (with these settings changed); its after-ack work is
    drained and it is stopped (scheduler, HTTP server, engine) when the block ends."""
    rt = Runtime.create(bot_settings(bot.rt.settings.database_url, bot.fake.api_url, **settings))
    app = build_app(rt)
    server = HttpServer(rt, app)
    await server.start()
    hold_background_ticks(rt)
    url = f"http://127.0.0.1:{server.port}"
    other = Bot(url, rt, app, SlackSender(url, bot.http), bot.fake, bot.http)
    try:
        yield other
    finally:
        await other.settle()
        await server.stop()

