"""Baseline: a bare slack_bolt AsyncApp whose /feedback and reaction_added listeners only ack.

    python -m bench.bare_bolt --api-url URL [--process-before-response] [--lazy]

Served with Bolt's own aiohttp `web_app()` (default settings: process_before_response=False,
so Bolt's listener runner polls for ack() every 10 ms). `--process-before-response` runs the
listener before the response instead; `--lazy` registers the acks with lazy no-op listeners
(Bolt's FaaS pattern). Access logging is off, as in the bot's own server. Prints one JSON line
{"pid", "port"} when serving on 127.0.0.1.
"""
from __future__ import annotations

import argparse
import asyncio
import logging

from bench.common import announce, clear_proxies, serve_until_stopped


async def main(args: argparse.Namespace) -> None:
    clear_proxies()
    from aiohttp import web
    from slack_bolt.app.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from tests.slack_requests import BOT_TOKEN, SIGNING_SECRET

    logging.basicConfig(level=logging.WARNING)
    app = AsyncApp(client=AsyncWebClient(token=BOT_TOKEN, base_url=args.api_url), signing_secret=SIGNING_SECRET,
                   process_before_response=args.process_before_response)

    async def ack_only(ack) -> None:  # noqa: ANN001
        await ack()

    async def nothing() -> None:
        return None

    if args.lazy:
        app.command("/feedback")(ack=ack_only, lazy=[nothing])
        app.event("reaction_added")(ack=ack_only, lazy=[nothing])
    else:
        app.command("/feedback")(ack_only)
        app.event("reaction_added")(ack_only)

    runner = web.AppRunner(app.web_app(path="/slack/events", port=args.port), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", args.port).start()
    announce(port=int(runner.addresses[0][1]))
    try:
        await serve_until_stopped(args.max_seconds)
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--process-before-response", action="store_true")
    parser.add_argument("--lazy", action="store_true")
    parser.add_argument("--max-seconds", type=float, default=900)
    asyncio.run(main(parser.parse_args()))
