"""The one Web API client factory: base URL, retries on 429/5xx/connection errors, timeouts."""
from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10


LOOKUP_TIMEOUT_SECONDS = 1.5


def make_session() -> aiohttp.ClientSession:
    """One HTTP session (and connection pool) for every Web API call of the process: slack_sdk
    otherwise opens a new session and TCP connection per call. Needs a running event loop."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64), trust_env=False)


def make_lookup_client(settings: Settings, session: aiohttp.ClientSession | None = None) -> AsyncWebClient:
    """For reads on the ack path (role checks): short timeout, never sleeps out a 429."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(token=token, base_url=settings.slack_api_url, timeout=LOOKUP_TIMEOUT_SECONDS,
                          session=session, retry_handlers=[AsyncConnectionErrorRetryHandler(max_retry_count=1)])


def make_client(settings: Settings, token: str | None = None,
                session: aiohttp.ClientSession | None = None) -> AsyncWebClient:
    if token is None and settings.slack_bot_token is not None:
        token = settings.slack_bot_token.get_secret_value()
    return AsyncWebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=TIMEOUT_SECONDS,
        session=session,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
            AsyncServerErrorRetryHandler(max_retry_count=2),
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


async def tell(client: AsyncWebClient, channel: str | None, user: str, text: str,
               blocks_: list[dict[str, Any]] | None = None) -> None:
    """Only the user sees it: ephemeral in the channel, or a DM where that is not possible.
    Never a thread reply, so customer-facing and Slack Connect channels stay clean."""
    if channel:
        try:
            await client.chat_postEphemeral(channel=channel, user=user, text=text, blocks=blocks_)
            return
        except SlackApiError as exc:
            log.info("ephemeral to %s in %s failed (%s); sending a DM", user, channel, exc.response.get("error"))
    await client.chat_postMessage(channel=user, text=text, blocks=blocks_)
