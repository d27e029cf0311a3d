"""The real bot in HTTP mode, in its own process, built as tests/conftest.py builds it.

    python -m bench.bot_server --database-url URL --api-url URL [--log-level INFO] [--profile out.txt]

Migrations must already be applied. Prints one JSON line {"pid", "port"} when serving on
127.0.0.1. With --profile (needs pyinstrument) the whole server run is profiled and the report
written to the given file at exit.
"""
from __future__ import annotations

import argparse
import asyncio

from bench.common import announce, clear_proxies, serve_until_stopped


async def main(args: argparse.Namespace) -> None:
    clear_proxies()
    from bot.app import build_app
    from bot.config import load_settings
    from bot.logs import configure_logging
    from bot.runtime import Runtime
    from bot.server import HttpServer
    from tests.slack_requests import BOT_TOKEN, SIGNING_SECRET

    settings = load_settings(_env_file=None, slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
                             slack_api_url=args.api_url, database_url=args.database_url, host="127.0.0.1",
                             port=args.port, log_level=args.log_level)
    configure_logging(settings.log_level, settings.log_format, [BOT_TOKEN, SIGNING_SECRET])
    if args.experiment == "shared-session":
        # Experiment (not the bot's code): one aiohttp session for every Web API call, instead
        # of slack_sdk's default of a new ClientSession (and TCP connection) per call.
        import aiohttp

        import bot.runtime
        from bot.slack import make_client

        shared = aiohttp.ClientSession()

        def make_shared(settings_, token=None):  # noqa: ANN001, ANN202
            client = make_client(settings_, token)
            client.session = shared
            return client

        bot.runtime.make_client = make_shared  # type: ignore[attr-defined]
    rt = Runtime.create(settings)
    app = build_app(rt)
    server = HttpServer(rt, app)
    await server.start()
    announce(port=server.port)
    try:
        await serve_until_stopped(args.max_seconds)
    finally:
        await server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--max-seconds", type=float, default=900)
    parser.add_argument("--experiment", choices=["none", "shared-session"], default="none",
                        help="shared-session: the bot's Slack client reuses one aiohttp session")
    parser.add_argument("--profile", default=None, help="write a pyinstrument report here")
    a = parser.parse_args()
    if a.profile:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="disabled", interval=0.0005)
        profiler.start()
        try:
            asyncio.run(main(a))
        finally:
            profiler.stop()
            with open(a.profile, "w") as out:
                out.write(profiler.output_text(unicode=False, color=False, show_all=False))
    else:
        asyncio.run(main(a))
