"""Socket Mode: a connection to Slack that backs off, logs one line per failed attempt, reports
its state to /healthz, and stops the moment it is asked to.

slack_sdk's SocketModeClient.connect() retries forever every `ping_interval` seconds with a
full traceback each time, and the caller cannot stop it until it connects. Here connect()
owns the retry loop instead; everything else (receiving, acking, reconnect monitoring) is the
SDK's.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

import aiohttp
from slack_bolt.adapter.socket_mode.async_base_handler import AsyncBaseSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import run_async_bolt_app, send_async_response
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class Backoff:
    """Seconds between connection attempts (doubling from `first` up to `longest`), and how
    long one attempt may take: a handshake that never completes (a proxy or firewall that
    swallows traffic) is a failed attempt too."""

    first: float = 1.0
    longest: float = 60.0
    attempt: float = 20.0


def describe(error: BaseException) -> str:
    """One line about why a connection attempt failed, without a traceback or a token."""
    if isinstance(error, SlackApiError):
        return f"Slack said {error.response.get('error', 'error')} (HTTP {error.response.status_code})"
    if isinstance(error, asyncio.TimeoutError):
        return "no answer in time"
    text = str(error).splitlines()[0][:200] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class PatientSocketModeClient(SocketModeClient):
    def __init__(self, app_token: str, web_client: AsyncWebClient, backoff: Backoff, **kwargs: object) -> None:
        # apps.connections.open without the client's own retry handlers: the loop below is the
        # one place that retries, so each failed attempt is one log line and one back-off step.
        web_client = AsyncWebClient(base_url=web_client.base_url, timeout=web_client.timeout,
                                    session=web_client.session, ssl=web_client.ssl, proxy=web_client.proxy)
        super().__init__(app_token=app_token, web_client=web_client, **kwargs)  # type: ignore[arg-type]
        self.backoff = backoff

    async def connect_to_new_endpoint(self, force: bool = False) -> None:
        """The SDK's reconnect (after a drop, or Slack's `disconnect` message), through the same
        back-off loop as the first connection instead of the SDK's fixed-interval retries."""
        try:
            acquired = await asyncio.wait_for(self.connect_operation_lock.acquire(), timeout=5)
        except asyncio.TimeoutError:
            return  # another reconnect is under way
        try:
            if force or not await self.is_connected():
                self.wss_uri = None
                await self.connect()
        finally:
            if acquired:
                self.connect_operation_lock.release()

    async def issue_new_wss_url(self) -> str:
        """The SDK's, without its own error log: the caller logs one line per attempt."""
        response = await self.web_client.apps_connections_open(app_token=self.app_token)
        return str(response["url"])

    async def connect(self) -> None:
        delay = self.backoff.first
        while not self.closed:
            try:
                await asyncio.wait_for(self._connect_once(), self.backoff.attempt)
                return
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.wss_uri = None  # a URL that failed once is not tried again
                if self.closed:
                    return
                log.warning("Socket Mode: cannot connect to Slack (%s); retrying in %g s", describe(error), delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.backoff.longest)

    async def _connect_once(self) -> None:
        """One attempt, as SocketModeClient.connect makes it, without its loop."""
        old, self.auto_reconnect_enabled = self.current_session, False
        if old is not None and not old.closed:
            with contextlib.suppress(Exception):
                await old.close()
        if self.aiohttp_client_session.closed:
            self.aiohttp_client_session = aiohttp.ClientSession()
        if self.wss_uri is None:
            self.wss_uri = await self.issue_new_wss_url()
        self.current_session = await self.aiohttp_client_session.ws_connect(
            self.wss_uri, autoping=False, heartbeat=self.ping_interval, proxy=self.proxy,
            ssl=self.web_client.ssl if self.web_client.ssl is not None else True,
        )
        self.auto_reconnect_enabled, self.stale = self.default_auto_reconnect_enabled, False
        await self.current_session.ping(f"sdk-ping-pong:{time.time()}".encode())
        for task in (self.current_session_monitor, self.message_receiver):
            if task is not None:
                task.cancel()
        self.current_session_monitor = asyncio.ensure_future(self.monitor_current_session())
        self.message_receiver = asyncio.ensure_future(self.receive_messages())
        log.info("connected to Slack in Socket Mode")


class SocketModeHandler(AsyncBaseSocketModeHandler):
    """Bolt's AsyncSocketModeHandler with the patient client."""

    def __init__(self, app: AsyncApp, app_token: str, backoff: Backoff = Backoff()) -> None:
        self.app = app
        self.client = PatientSocketModeClient(app_token, app.client, backoff, logger=app.logger)
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]

    async def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        start = time.time()
        await send_async_response(client, req, await run_async_bolt_app(self.app, req), start)

    async def connected(self) -> bool:
        return await self.client.is_connected()
