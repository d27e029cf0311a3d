"""The aiohttp web app: Bolt's /slack/events plus /healthz, and the serve loops for both modes."""
from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from bot.edge import ProdOpsApp
from bot.runtime import Runtime

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
SHUTDOWN_TIMEOUT = 15.0


def healthz_handler(rt: Runtime):  # noqa: ANN201 - aiohttp handler
    async def healthz(_request: web.Request) -> web.Response:
        if await rt.db.ping():
            return web.json_response({"status": "ok"})
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)

    return healthz


def build_web_app(rt: Runtime, app: ProdOpsApp) -> web.Application:
    web_app = app.web_app(path=EVENTS_PATH, port=rt.settings.port)
    web_app.router.add_get("/healthz", healthz_handler(rt))
    return web_app


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
            pass


class HttpServer:
    """The HTTP-mode server: Bolt's web app on HOST:PORT plus the scheduler."""

    def __init__(self, rt: Runtime, app: ProdOpsApp) -> None:
        self.rt = rt
        self.runner = web.AppRunner(build_web_app(rt, app), handle_signals=False,
                                    shutdown_timeout=SHUTDOWN_TIMEOUT, access_log=None)

    async def start(self) -> None:
        await self.runner.setup()
        await web.TCPSite(self.runner, self.rt.settings.host, self.rt.settings.port).start()
        await self.rt.scheduler.start()
        log.info("serving HTTP on %s:%s%s", self.rt.settings.host, self.port, EVENTS_PATH)

    @property
    def port(self) -> int:
        return int(self.runner.addresses[0][1])

    async def stop(self) -> None:
        """In-flight requests finish (up to the timeout), then after-ack work, then the engine."""
        log.info("shutting down")
        await self.runner.cleanup()
        await self.rt.close()


async def serve_http(rt: Runtime, app: ProdOpsApp, stop: asyncio.Event | None = None) -> None:
    """Serve until SIGTERM/SIGINT (or `stop`)."""
    stop = stop or asyncio.Event()
    _stop_on_signals(stop)
    server = HttpServer(rt, app)
    try:
        await server.start()
        await stop.wait()
    finally:
        await server.stop()


async def serve_socket_mode(rt: Runtime, app: ProdOpsApp, stop: asyncio.Event | None = None) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    assert rt.settings.slack_app_token is not None
    stop = stop or asyncio.Event()
    _stop_on_signals(stop)
    handler = AsyncSocketModeHandler(app, rt.settings.slack_app_token.get_secret_value())
    # Health checks still work in Socket Mode: serve /healthz alone.
    health = web.Application()
    health.router.add_get("/healthz", healthz_handler(rt))
    runner = web.AppRunner(health, handle_signals=False, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, rt.settings.host, rt.settings.port).start()
    await handler.connect_async()
    await rt.scheduler.start()
    log.info("connected in Socket Mode; /healthz on %s:%s", rt.settings.host, rt.settings.port)
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        await handler.close_async()
        await runner.cleanup()
        await rt.close()
