"""The aiohttp web app: Bolt's /slack/events plus /healthz, and the serve loops for both modes."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Iterator

from aiohttp import web

from bot.edge import ProdOpsApp
from bot.ingress import events_handler
from bot.kpis import push as kpi_push
from bot.runtime import Runtime
from bot.socket_mode import Backoff, SocketModeHandler

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
SHUTDOWN_TIMEOUT = 15.0


def healthz_handler(rt: Runtime, connected: Callable[[], Awaitable[bool]] | None = None):  # noqa: ANN201
    """200 when the database answers (and, in Socket Mode, the socket to Slack is up)."""
    async def healthz(_request: web.Request) -> web.Response:
        if not await rt.db.ping():
            return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)
        if connected is not None and not await connected():
            return web.json_response({"status": "unavailable", "slack": "not connected"}, status=503)
        return web.json_response({"status": "ok"})

    return healthz


class ListenError(Exception):
    """HOST:PORT could not be bound (bot/startup.py says why in one line)."""

    def __init__(self, host: str, port: int, error: OSError) -> None:
        super().__init__(f"cannot listen on {host}:{port}")
        self.host, self.port, self.error = host, port, error


async def listen(runner: web.AppRunner, host: str, port: int) -> None:
    """Bind HOST:PORT; a failure to bind (or to resolve HOST) is a ListenError, so start-up can
    tell it apart from any other OSError."""
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        raise ListenError(host, port, exc) from exc


def build_web_app(rt: Runtime, app: ProdOpsApp) -> web.Application:
    if rt.settings.slack_signing_secret is None:
        raise ValueError("HTTP mode needs SLACK_SIGNING_SECRET")
    web_app = web.Application()
    web_app.router.add_post(EVENTS_PATH, events_handler(app, rt.settings.slack_signing_secret.get_secret_value()))
    web_app.router.add_get("/healthz", healthz_handler(rt))
    web_app.router.add_post(kpi_push.PATH, kpi_push.push_handler(rt))
    return web_app


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGTERM/SIGINT set `stop` while serving; the previous handling is restored afterwards."""
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
            pass
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


class HttpServer:
    """The HTTP-mode server: Bolt's web app on HOST:PORT plus the scheduler."""

    def __init__(self, rt: Runtime, app: ProdOpsApp) -> None:
        self.rt = rt
        self.runner = web.AppRunner(build_web_app(rt, app), handle_signals=False,
                                    shutdown_timeout=SHUTDOWN_TIMEOUT, access_log=None)

    async def start(self) -> None:
        await self.runner.setup()
        await listen(self.runner, self.rt.settings.host, self.rt.settings.port)
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
    server = HttpServer(rt, app)
    with _stop_on_signals(stop):
        try:
            await server.start()
            await stop.wait()
        finally:
            await server.stop()


async def serve_socket_mode(rt: Runtime, app: ProdOpsApp, stop: asyncio.Event | None = None,
                            backoff: Backoff = Backoff()) -> None:
    """Serve over Socket Mode until SIGTERM/SIGINT (or `stop`), connected or not.

    The connection is made in the background, so a signal stops the bot even while Slack cannot
    be reached; /healthz answers 503 until the socket is up (and whenever it is down).
    """
    stop = stop or asyncio.Event()
    with _stop_on_signals(stop):
        await _serve_socket_mode(rt, app, stop, backoff)


async def _serve_socket_mode(rt: Runtime, app: ProdOpsApp, stop: asyncio.Event, backoff: Backoff) -> None:
    assert rt.settings.slack_app_token is not None
    handler = SocketModeHandler(app, rt.settings.slack_app_token.get_secret_value(), backoff)
    health = web.Application()
    health.router.add_get("/healthz", healthz_handler(rt, connected=handler.connected))
    health.router.add_post(kpi_push.PATH, kpi_push.push_handler(rt))  # KPI pushes need an HTTP port
    runner = web.AppRunner(health, handle_signals=False, access_log=None)
    await runner.setup()
    connecting: asyncio.Task[None] | None = None
    try:
        await listen(runner, rt.settings.host, rt.settings.port)
        connecting = asyncio.create_task(handler.connect_async(), name="socket-mode-connect")
        await rt.scheduler.start()
        log.info("Socket Mode: connecting to Slack; /healthz on %s:%s", rt.settings.host, rt.settings.port)
        await stop.wait()
    finally:
        log.info("shutting down")
        await handler.close_async()
        if connecting is not None:
            connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await connecting
        await runner.cleanup()
        await rt.close()
