"""The fake Slack Web API (tests.fake_slack.FakeSlack) in its own process, with messages to read.

    python -m bench.fake_slack_server [--port 0] [--max-seconds 900]

Prints one JSON line {"pid", "url", "api_url"} when listening on 127.0.0.1.
"""
from __future__ import annotations

import argparse
import asyncio

from bench.common import CHANNELS, PER_CHANNEL, announce, clear_proxies, message_ref, serve_until_stopped


async def main(port: int, max_seconds: float) -> None:
    clear_proxies()
    from aiohttp import web

    from tests.fake_slack import FakeSlack

    fake = FakeSlack()
    for index in range(CHANNELS * PER_CHANNEL):
        channel, ts = message_ref(index)
        fake.add_message(channel, ts, f"Customer message {index}: the export button is hard to find",
                         user=f"UAUTHOR{index % 50}")
    if port:  # FakeSlack.start binds port 0; bind a fixed one ourselves when asked
        fake._runner = web.AppRunner(fake.app, access_log=None)
        await fake._runner.setup()
        await web.TCPSite(fake._runner, "127.0.0.1", port).start()
        fake.url = f"http://127.0.0.1:{port}"
    else:
        await fake.start()
    # The fake records every call; a long benchmark must not grow it without bound.
    async def trim() -> None:
        while True:
            await asyncio.sleep(5)
            del fake.calls[:-1000]
            fake.responses.clear()

    trimmer = asyncio.create_task(trim())
    announce(url=fake.url, api_url=fake.api_url)
    await serve_until_stopped(max_seconds)
    trimmer.cancel()
    await fake.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-seconds", type=float, default=900)
    a = parser.parse_args()
    asyncio.run(main(a.port, a.max_seconds))
