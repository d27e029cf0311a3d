"""Socket Mode against a local stand-in of Slack's socket: back-off with one line per failed
attempt, /healthz 503 until connected, requests served over the socket, signals stop it at once."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from bot.app import build_app
from bot.runtime import Runtime
from bot.server import serve_socket_mode
from bot.socket_mode import Backoff
from tests.conftest import Bot, bot_settings

APP_TOKEN = "xapp-1-A1-socket-test-app-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LogWatch(logging.Handler):
    """Sets an event when a matching line has been logged `count` times (no polling)."""

    def __init__(self, needle: str, count: int) -> None:
        super().__init__()
        self.needle, self.count, self.lines, self.seen = needle, count, [], asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if self.needle in message:
            self.lines.append((message, record.exc_info))
            if len(self.lines) >= self.count:
                self.seen.set()


class SlackSocket:
    """Slack's side of a Socket Mode connection: says hello, sends an envelope, takes the ack;
    with `then_disconnect`, asks the client to reconnect (as Slack does every few hours)."""

    def __init__(self, envelope: dict[str, Any], then_disconnect: bool = False) -> None:
        self.envelope = envelope
        self.then_disconnect = then_disconnect
        self.connections = 0
        self.acks: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.app = web.Application()
        self.app.router.add_get("/link", self.link)
        self.runner = web.AppRunner(self.app)

    async def start(self) -> str:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        return f"ws://127.0.0.1:{self.runner.addresses[0][1]}/link"

    async def link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.connections += 1
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        await ws.send_str(json.dumps({**self.envelope, "envelope_id": f"env-{self.connections}"}))
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await self.acks.put(json.loads(msg.data))
                if self.then_disconnect and self.connections == 1:
                    await ws.send_str(json.dumps({"type": "disconnect", "reason": "refresh_requested"}))
        return ws


async def healthz(bot: Bot, port: int) -> int:
    async with bot.http.get(f"http://127.0.0.1:{port}/healthz") as resp:
        return resp.status


async def test_backs_off_then_connects_and_serves_a_command_over_the_socket(bot: Bot, team: str) -> None:
    command = {"team_id": team, "team_domain": "acme", "channel_id": "C_GENERAL", "user_id": "USOCK01",
               "command": "/feedback", "text": "Socket filing works", "response_url": "", "trigger_id": "t.s1"}
    stand_in = SlackSocket({"envelope_id": "env-1", "type": "slash_commands", "accepts_response_payload": True,
                            "payload": command})
    url = await stand_in.start()
    port = free_port()
    rt = Runtime.create(bot_settings(bot.rt.settings.database_url, bot.fake.api_url, slack_app_token=APP_TOKEN,
                                     port=port))
    failures = LogWatch("cannot connect to Slack", 3)
    logging.getLogger("bot.socket_mode").addHandler(failures)
    stop = asyncio.Event()
    serving = asyncio.create_task(serve_socket_mode(rt, build_app(rt), stop, Backoff(first=0.01, longest=0.02)))
    try:
        await asyncio.wait_for(failures.seen.wait(), 10)
        assert await healthz(bot, port) == 503  # not connected: not healthy
        messages = [m for m, _ in failures.lines]
        assert [m.rsplit("retrying in ", 1)[1] for m in messages[:3]] == ["0.01 s", "0.02 s", "0.02 s"]
        assert all(exc is None and "\n" not in m for m, exc in failures.lines)  # one line, no traceback
        bot.fake.socket_url = url
        ack = await asyncio.wait_for(stand_in.acks.get(), 10)
        assert ack["envelope_id"] == "env-1" and "Filed as feedback" in json.dumps(ack.get("payload"))
        assert await healthz(bot, port) == 200
    finally:
        stop.set()
        await asyncio.wait_for(serving, 10)
        logging.getLogger("bot.socket_mode").removeHandler(failures)
        await stand_in.runner.cleanup()


async def test_sigterm_stops_a_bot_that_cannot_reach_slack(bot: Bot, tmp_path: Path) -> None:
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "PORT", "LOG_"))}
    env = {**clean, "PYTHONPATH": str(Path.cwd()), "SLACK_BOT_TOKEN": "xoxb-socket-test", "SLACK_APP_TOKEN": APP_TOKEN,
           "SLACK_API_URL": bot.fake.api_url, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3",
           "HOST": "127.0.0.1", "PORT": str(port)}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", env=env, stderr=asyncio.subprocess.PIPE)
    assert proc.stderr is not None
    lines: list[str] = []
    try:
        while not any("cannot connect to Slack" in line for line in lines):
            line = await asyncio.wait_for(proc.stderr.readline(), 30)
            assert line, "the bot exited: " + "".join(lines)
            lines.append(line.decode())
        assert await healthz(bot, port) == 503
        proc.send_signal(signal.SIGTERM)
        _, rest = await asyncio.wait_for(proc.communicate(), 10)
    finally:
        if proc.returncode is None:
            proc.kill()
    assert proc.returncode == 0
    output = "".join(lines) + (rest or b"").decode()
    assert "Traceback" not in output and APP_TOKEN not in output
    assert "shutting down" in output


async def serve_in_process(bot: Bot, backoff: Backoff) -> tuple[asyncio.Event, asyncio.Task[None], int]:
    port = free_port()
    rt = Runtime.create(bot_settings(bot.rt.settings.database_url, bot.fake.api_url, slack_app_token=APP_TOKEN,
                                     port=port))
    stop = asyncio.Event()
    return stop, asyncio.create_task(serve_socket_mode(rt, build_app(rt), stop, backoff)), port


async def test_a_handshake_that_never_completes_is_a_failed_attempt(bot: Bot) -> None:
    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)  # accepts the connection, never answers
    silent = await asyncio.start_server(swallow, "127.0.0.1", 0)
    bot.fake.socket_url = f"ws://127.0.0.1:{silent.sockets[0].getsockname()[1]}/link"
    failures = LogWatch("cannot connect to Slack", 2)
    logging.getLogger("bot.socket_mode").addHandler(failures)
    stop, serving, port = await serve_in_process(bot, Backoff(first=0.01, longest=0.02, attempt=0.2))
    try:
        await asyncio.wait_for(failures.seen.wait(), 10)
        assert all("no answer in time" in m for m, _ in failures.lines)
        assert await healthz(bot, port) == 503
    finally:
        stop.set()
        await asyncio.wait_for(serving, 10)
        logging.getLogger("bot.socket_mode").removeHandler(failures)
        silent.close()


async def test_a_reconnect_during_a_slack_outage_backs_off_one_line_per_attempt(bot: Bot, team: str) -> None:
    command = {"team_id": team, "team_domain": "acme", "channel_id": "C_GENERAL", "user_id": "USOCK02",
               "command": "/feedback", "text": "list", "response_url": "", "trigger_id": "t.s2"}
    stand_in = SlackSocket({"type": "slash_commands", "accepts_response_payload": True, "payload": command},
                           then_disconnect=True)
    bot.fake.socket_url = await stand_in.start()
    failures = LogWatch("cannot connect to Slack", 3)
    logging.getLogger("bot.socket_mode").addHandler(failures)
    stop, serving, _ = await serve_in_process(bot, Backoff(first=0.01, longest=0.04))
    try:
        first = await asyncio.wait_for(stand_in.acks.get(), 10)
        assert first["envelope_id"] == "env-1"
        bot.fake.fail("apps.connections.open", status=503, times=3)  # Slack is down as it asks us to reconnect
        second = await asyncio.wait_for(stand_in.acks.get(), 10)
        assert second["envelope_id"] == "env-2" and stand_in.connections == 2
        assert [m.rsplit("retrying in ", 1)[1] for m, _ in failures.lines] == ["0.01 s", "0.02 s", "0.04 s"]
        assert all(exc is None for _, exc in failures.lines)
        assert len(bot.fake.calls_to("apps.connections.open")) == 5  # one call per attempt: no hidden retries
    finally:
        stop.set()
        await asyncio.wait_for(serving, 10)
        logging.getLogger("bot.socket_mode").removeHandler(failures)
        await stand_in.runner.cleanup()
