"""`python -m bot` / `prodops-bot`: run (default), migrate, or tick (README, "Commands")."""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import __version__
from bot.config import DEFAULT_API_URL, ConfigError, Settings, load_settings
from bot.logs import configure_logging

log = logging.getLogger("bot")


class StartupError(Exception):
    """Stops the bot with exit status 2 and one line naming the variable at fault."""


def _secrets(settings: Settings) -> list[str]:
    values = [settings.slack_bot_token, settings.slack_signing_secret, settings.slack_app_token]
    return [v.get_secret_value() for v in values if v is not None]


# A Slack outage at start is waited out (with back-off, for this long), not reported as a bad token.
STARTUP_WAIT_SECONDS = 120.0
OUTAGE_ERRORS = {"ratelimited", "fatal_error", "internal_error", "service_unavailable", "request_timeout"}


async def verify_token(settings: Settings) -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.slack import make_client

    client = make_client(settings)
    auth = await _ask_slack(settings, "SLACK_BOT_TOKEN", client.auth_test)
    log.info("authenticated as %s in %s", auth.get("user"), auth.get("team"))
    if settings.slack_app_token is not None:
        app_client = AsyncWebClient(base_url=settings.slack_api_url)
        token = settings.slack_app_token.get_secret_value()
        await _ask_slack(settings, "SLACK_APP_TOKEN", lambda: app_client.apps_connections_open(app_token=token))


async def _ask_slack(settings: Settings, variable: str, call: Callable[[], Awaitable[Any]]) -> Any:
    """Slack's answer; StartupError when it rejects the token, or stays unreachable too long."""
    delay, deadline = 1.0, time.monotonic() + STARTUP_WAIT_SECONDS
    while True:
        try:
            return await call()
        except SlackApiError as exc:
            error, status = str(exc.response.get("error") or "error"), exc.response.status_code
            if status < 500 and status != 429 and error not in OUTAGE_ERRORS:
                raise StartupError(f"{variable} was rejected by Slack ({error})") from None
            reason = f"Slack answered HTTP {status} ({error})"
        except Exception as exc:  # DNS, refused connection, timeout: the network, not the token
            reason = f"no connection ({type(exc).__name__})"
        if time.monotonic() + delay > deadline:
            where = f"SLACK_API_URL {settings.slack_api_url}" if settings.slack_api_url != DEFAULT_API_URL else "slack.com"
            raise StartupError(f"could not reach Slack at {where} to check {variable}: {reason}. "
                               "Check this machine's network or proxy, then start the bot again.")
        log.warning("could not reach Slack to check %s (%s); trying again in %g s", variable, reason, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 30.0)


async def migrate_or_fail(settings: Settings) -> None:
    from bot.migrate import upgrade

    try:
        await upgrade(settings.database_url)
    except Exception as exc:  # the message could carry the URL and its password: name the type only
        raise StartupError(f"DATABASE_URL: could not open and migrate the database ({type(exc).__name__})") from None


async def run(settings: Settings) -> None:
    from bot.app import build_app
    from bot.runtime import Runtime
    from bot.server import serve_http, serve_socket_mode

    await migrate_or_fail(settings)
    await verify_token(settings)
    rt = Runtime.create(settings)
    app = build_app(rt)
    try:
        if settings.socket_mode:
            await serve_socket_mode(rt, app)
        else:
            await serve_http(rt, app)
    except OSError as exc:  # the port is taken or not ours to bind
        await rt.db.dispose()
        raise StartupError(f"PORT: cannot listen on {settings.host}:{settings.port} ({exc.strerror or exc})") from None


def parse_at(value: str | None) -> datetime | None:
    """--at: an ISO-8601 instant with its UTC offset (or Z); StartupError with one line otherwise."""
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise StartupError(f"--at {value!r} is not an ISO-8601 instant (e.g. 2026-11-24T09:00:00+01:00)") from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise StartupError(f"--at {value!r} has no UTC offset: say which instant, "
                           "e.g. 2026-11-24T09:00:00+01:00 or 2026-11-24T08:00:00Z")
    return at


async def run_tick(settings: Settings, at: datetime | None, dry_run: bool) -> list[str]:
    """Every duty due at `at` (default now), once, against the configured database and Slack,
    with the scheduler's claims; no HTTP server, no scheduler. One line per action."""
    from bot import clock
    from bot.app import build_app
    from bot.duties import tick
    from bot.runtime import Runtime

    await migrate_or_fail(settings)
    rt = Runtime.create(settings)
    try:
        build_app(rt)  # registers every feature's duties (its listeners stay unused)
        at = at or clock.now()
        return await tick(rt, at, dry_run=dry_run) or [f"nothing due at {at.isoformat(timespec='minutes')}"]
    finally:
        await rt.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="prodops-bot", description="ProdOps Bot for Slack")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("command", nargs="?", default="run", choices=["run", "migrate", "tick"],
                        help="run: migrate then serve (default); migrate: apply migrations only; "
                             "tick: run once every duty due at --at (default now) and print what was done")
    parser.add_argument("--at", metavar="ISO-8601", help="tick: the instant to run, e.g. 2026-11-24T09:00:00+01:00")
    parser.add_argument("--dry-run", action="store_true", help="tick: print what would be sent; claim and post nothing")
    args = parser.parse_args(argv)
    try:
        if args.command != "tick" and (args.at is not None or args.dry_run):
            raise StartupError("--at and --dry-run go with the tick command")
        at = parse_at(args.at) if args.command == "tick" else None
        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format, _secrets(settings))
        if args.command == "migrate":
            asyncio.run(migrate_or_fail(settings))
            log.info("database is at the latest migration")
            return 0
        if args.command == "tick":
            if settings.slack_bot_token is None:
                raise ConfigError("SLACK_BOT_TOKEN is required (a bot token starting with xoxb-)")
            for line in asyncio.run(run_tick(settings, at, args.dry_run)):
                print(line, flush=True)
            return 0
        settings.require_runnable()
        asyncio.run(run(settings))
    except (ConfigError, StartupError) as exc:
        print(f"prodops-bot: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
