"""`python -m bot` / `prodops-bot`: run (default) or migrate."""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from slack_sdk.errors import SlackApiError

from bot import __version__
from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_logging

log = logging.getLogger("bot")


class StartupError(Exception):
    """Stops the bot with exit status 2 and one line naming the variable at fault."""


def _secrets(settings: Settings) -> list[str]:
    values = [settings.slack_bot_token, settings.slack_signing_secret, settings.slack_app_token]
    return [v.get_secret_value() for v in values if v is not None]


async def verify_token(settings: Settings) -> None:
    from bot.slack import make_client

    client = make_client(settings)
    try:
        auth = await client.auth_test()
    except SlackApiError as exc:
        raise StartupError(f"SLACK_BOT_TOKEN was rejected by Slack ({exc.response.get('error', 'error')})") from None
    except Exception as exc:
        raise StartupError(f"SLACK_API_URL: could not reach the Slack Web API ({type(exc).__name__})") from None
    log.info("authenticated as %s in %s", auth.get("user"), auth.get("team"))
    if settings.slack_app_token is not None:
        from slack_sdk.web.async_client import AsyncWebClient

        app_client = AsyncWebClient(base_url=settings.slack_api_url)
        try:
            await app_client.apps_connections_open(app_token=settings.slack_app_token.get_secret_value())
        except SlackApiError as exc:
            raise StartupError(f"SLACK_APP_TOKEN was rejected by Slack ({exc.response.get('error', 'error')})") from None
        except Exception as exc:
            raise StartupError(f"SLACK_API_URL: could not reach the Slack Web API ({type(exc).__name__})") from None


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="prodops-bot", description="ProdOps Bot for Slack")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("command", nargs="?", default="run", choices=["run", "migrate"],
                        help="run: migrate then serve (default); migrate: apply migrations only")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format, _secrets(settings))
        if args.command == "migrate":
            asyncio.run(migrate_or_fail(settings))
            log.info("database is at the latest migration")
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
