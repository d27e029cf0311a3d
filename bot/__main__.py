"""`python -m bot` / `prodops-bot`: run (default), migrate, tick or backup (README, "Command line")."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import __version__, startup
from bot.config import DATABASE_FILE, ConfigError, Settings, load_settings
from bot.logs import RedactingFilter, configure_logging
from bot.startup import StartupError

log = logging.getLogger("bot")

__all__ = ["StartupError", "main", "parse_at", "run", "run_tick"]


def _secrets(settings: Settings) -> list[str]:
    values = [settings.slack_bot_token, settings.slack_signing_secret, settings.slack_app_token]
    return [v.get_secret_value() for v in values if v is not None] + [p for p in [settings.database_password] if p]


def _settings_are_the_only_source() -> None:
    """Once the settings are read, the secrets leave the process environment. Bolt reads
    SLACK_BOT_TOKEN (and SLACK_SIGNING_SECRET) from the environment behind the settings' back,
    and, given our client, warns at every start "As you gave `client` as well, `token` will be
    unused."; no library and no child process sees them any more."""
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        for key in [k for k in os.environ if k.upper() == name]:
            del os.environ[key]


# A Slack outage at start is waited out (with back-off, for this long), not reported as a bad token.
STARTUP_WAIT_SECONDS = 120.0
# Tests make the wait short; operators have no reason to.
STARTUP_WAIT_VARIABLE = "PRODOPS_STARTUP_WAIT_SECONDS"
OUTAGE_ERRORS = {"ratelimited", "fatal_error", "internal_error", "service_unavailable", "request_timeout"}


def startup_wait() -> float:
    try:
        return max(0.0, float(os.environ.get(STARTUP_WAIT_VARIABLE, STARTUP_WAIT_SECONDS)))
    except ValueError:
        return STARTUP_WAIT_SECONDS


async def verify_token(settings: Settings) -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.slack import make_client

    client = make_client(settings)
    client.retry_handlers = []  # the loop below retries, with a line per try and a bounded wait
    auth = await _ask_slack(settings, "SLACK_BOT_TOKEN", "auth.test", client.auth_test)
    log.info("authenticated as %s in %s", auth.get("user"), auth.get("team"))
    if settings.slack_app_token is not None:
        app_client = AsyncWebClient(base_url=settings.slack_api_url, timeout=client.timeout)
        token = settings.slack_app_token.get_secret_value()
        await _ask_slack(settings, "SLACK_APP_TOKEN", "apps.connections.open",
                         lambda: app_client.apps_connections_open(app_token=token))


def _answer(exc: SlackApiError) -> tuple[int, str | None]:
    """HTTP status and Slack's error code, whatever shape the answer had (a 503 page may be
    HTML or plain text, or not decodable at all)."""
    response = exc.response
    status = getattr(response, "status_code", None) or getattr(response, "status", None) or 0
    data = getattr(response, "data", None)
    error = data.get("error") if isinstance(data, dict) else None
    return int(status), (str(error) if error else None)


async def _ask_slack(settings: Settings, variable: str, method: str, call: Callable[[], Awaitable[Any]]) -> Any:
    """Slack's answer; StartupError when it rejects the token, or stays unreachable or
    unavailable for the whole start-up wait (then the line says so, and not "rejected")."""
    wait = startup_wait()
    delay, deadline = 0.5, time.monotonic() + wait
    while True:
        retry_after = 0.0
        try:
            return await call()
        except SlackApiError as exc:
            status, error = _answer(exc)
            if error is not None and status < 500 and status != 429 and error not in OUTAGE_ERRORS:
                raise StartupError(startup.token_rejected(variable, error)) from None
            if error is None and status < 500 and status not in (429, 408):
                raise StartupError(startup.slack_not_the_api(settings, method, status)) from None
            unavailable, reason = True, f"HTTP {status}" + (f" ({error})" if error else "")
            headers = getattr(exc.response, "headers", None) or {}
            with contextlib.suppress(TypeError, ValueError):
                retry_after = float(headers.get("Retry-After", 0) or 0)
        except Exception as exc:  # DNS, refused connection, timeout: the network, not the token
            unavailable, reason = False, startup.connection_reason(exc, settings)
        pause = min(max(delay, retry_after), 30.0)
        if time.monotonic() + pause > deadline:
            waited = startup.waited_for(wait)  # the window: the next try would fall outside it
            if unavailable:
                raise StartupError(startup.slack_unavailable(settings, variable, method, reason, waited))
            raise StartupError(startup.slack_unreachable(settings, variable, reason, waited))
        log.warning("could not reach Slack to check %s (%s); trying again in %g s", variable,
                    ("Slack answered " + reason) if unavailable else reason, pause)
        await asyncio.sleep(pause)
        delay = min(delay * 2, 30.0)


def check_earlier_default(settings: Settings) -> None:
    """Versions before DATA_DIR kept the default database at ./data/prodops.sqlite3 of whatever
    folder the bot started in. Found there, and nothing at the new default yet: say where it
    must go rather than start on a new, empty database."""
    if not settings.database_from_data_dir or settings.data_dir_given:
        return
    earlier, current = Path.cwd() / "data" / DATABASE_FILE, settings.data_dir / DATABASE_FILE
    if earlier.is_file() and not current.exists() and earlier.resolve() != current.resolve():
        raise StartupError(
            f"DATA_DIR: the database of an earlier version is at {earlier}, but the default is now {current}; "
            f"move it (mkdir -p {settings.data_dir} && mv {earlier}* {settings.data_dir}/) "
            f"or set DATA_DIR={earlier.parent}")


async def migrate_or_fail(settings: Settings) -> None:
    from bot.migrate import upgrade

    check_earlier_default(settings)
    startup.check_sqlite_location(settings)
    try:
        await upgrade(settings.database_url)
    except Exception as exc:
        # The line names the cause, never the URL's password; the traceback is for LOG_LEVEL=DEBUG.
        log.debug("migrating %s failed", settings.database_location, exc_info=True)
        raise StartupError(startup.database_problem(settings, exc)) from None


async def run(settings: Settings) -> None:
    from bot.app import build_app
    from bot.runtime import Runtime
    from bot.server import ListenError, serve_http, serve_socket_mode

    await migrate_or_fail(settings)
    await verify_token(settings)
    rt = Runtime.create(settings)
    app = build_app(rt)
    try:
        if settings.socket_mode:
            await serve_socket_mode(rt, app)
        else:
            await serve_http(rt, app)
    except ListenError as exc:  # HOST does not resolve, PORT is taken, or not ours to bind
        raise StartupError(startup.listen_problem(exc.host, exc.port, exc.error)) from None


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
    if not (AT_EARLIEST <= at.year <= AT_LATEST):  # the calendar looks a year ahead: year 9999 overflows
        raise StartupError(f"--at {value!r} is outside the years {AT_EARLIEST} to {AT_LATEST}")
    return at


AT_EARLIEST, AT_LATEST = 2000, 2999


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
        if at is not None:  # the whole run reads `at` as now: a message rendered later in it agrees
            clock.CLOCK.set(at)
        at = at or clock.now()
        return await tick(rt, at, dry_run=dry_run) or [f"nothing due at {at.isoformat(timespec='minutes')}"]
    finally:
        clock.CLOCK.reset()
        await rt.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="prodops-bot", description="ProdOps Bot for Slack")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("command", nargs="?", default="run", choices=["run", "migrate", "tick", "backup"],
                        help="run: migrate then serve (default); migrate: apply migrations only; "
                             "tick: run once every duty due at --at (default now) and print what was done; "
                             "backup FILE: copy the SQLite database to FILE (online)")
    parser.add_argument("file", nargs="?", metavar="FILE", help="backup: the file to write")
    parser.add_argument("--at", metavar="ISO-8601", help="tick: the instant to run, e.g. 2026-11-24T09:00:00+01:00")
    parser.add_argument("--dry-run", action="store_true", help="tick: print what would be sent; claim and post nothing")
    parser.add_argument("--force", action="store_true", help="backup: overwrite FILE if it exists")
    args = parser.parse_args(argv)
    redact = RedactingFilter([])
    try:
        if args.command != "tick" and (args.at is not None or args.dry_run):
            raise StartupError("--at and --dry-run go with the tick command")
        if args.command != "backup" and (args.file is not None or args.force):
            raise StartupError(f"{args.file or '--force'}: only the backup command takes a file (and --force)")
        if args.command == "backup" and args.file is None:
            raise StartupError("backup needs the file to write: prodops-bot backup <file> [--force]")
        at = parse_at(args.at) if args.command == "tick" else None
        settings = load_settings()
        redact = RedactingFilter(_secrets(settings))
        _settings_are_the_only_source()
        configure_logging(settings.log_level, settings.log_format, _secrets(settings))
        if args.command == "backup":
            from bot.backup import backup

            print(backup(settings, Path(args.file), force=args.force), flush=True)
            return 0
        log.info("database: %s%s", settings.database_location,
                 " (in DATA_DIR)" if settings.database_from_data_dir else "")
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
        # One line, whatever a cause's text held: no newline, no token, no password.
        line = redact.redact(" ".join(str(exc).split()))
        print(f"prodops-bot: error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
