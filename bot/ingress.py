"""The HTTP ingress for /slack/events: verify the signature on the raw bytes, then parse.

Nothing of an unverified request reaches Bolt, the logs or the error handler: a request that
does not verify gets 401 before its body is even decoded. Bolt's own parser is not used
because it treats any form body containing the substring `payload` as an interaction (a
`/feedback the webhook payload is too big` would be lost); here the form is parsed by key.
"""
from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import Clock, SignatureVerifier

from bot import payloads
from bot.edge import ProdOpsApp

log = logging.getLogger(__name__)

# Slack sends a Unix time in ASCII digits and `v0=` with a hex SHA-256. Anything else (`²`, `①`,
# spaces, signs) is refused before int() or the HMAC see it.
TIMESTAMP = re.compile(r"[0-9]{1,12}")
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
MAX_AGE_SECONDS = 5 * 60
MAX_JSON_DEPTH = 64  # Slack's deepest payloads (views with nested state) stay far below this


class MalformedBody(ValueError):
    """A verified request whose body is not what Slack sends: answered 400."""


def verified_signature(verifier: SignatureVerifier, headers: Mapping[str, str], raw: bytes,
                       now: float | None = None) -> str | None:
    """The request's signature when it verifies, else None."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not TIMESTAMP.fullmatch(timestamp) or not SIGNATURE.fullmatch(signature):
        return None
    if abs((time.time() if now is None else now) - int(timestamp)) > MAX_AGE_SECONDS:
        return None
    try:
        text = raw.decode("utf-8")  # Slack signs UTF-8 text; other bytes cannot be its request
    except UnicodeDecodeError:
        return None
    return signature if verifier.is_valid(body=text, timestamp=timestamp, signature=signature) else None


def parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    """Slack's three body shapes: a JSON event, a slash-command form, or `payload=<json>`."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedBody("body is not UTF-8") from None
    if content_type == "application/json":
        return _json_object(text)
    if content_type not in ("application/x-www-form-urlencoded", ""):
        raise MalformedBody(f"unexpected content type {content_type!r}")
    try:
        form = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise MalformedBody("body is not a form") from None
    fields = dict(form)
    if len(fields) != len(form):
        raise MalformedBody("a form field is repeated")
    if "payload" in fields and "command" not in fields:
        return _json_object(fields["payload"])
    return fields


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise MalformedBody("body is not JSON") from None
    if not isinstance(value, dict):
        raise MalformedBody("body is not a JSON object")
    if _depth(value) > MAX_JSON_DEPTH:
        raise MalformedBody("body is nested too deeply")
    return value


def _depth(value: Any) -> int:
    """Nesting depth without recursion (a hostile but signed body must not exhaust the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node if isinstance(v, (dict, list)))
    return deepest


def bolt_request(raw: str, body: dict[str, Any], request: web.Request, signature: str) -> AsyncBoltRequest:
    """A Bolt request carrying the body parsed here (Bolt's HTTP mode insists on parsing the raw
    string itself, so the parsed body and its context are put in place after construction)."""
    req = AsyncBoltRequest(body="", query=request.query_string, headers=dict(request.headers))
    req.raw_body = raw
    req.body = body
    req.context = build_async_context(AsyncBoltContext({"request_signature": signature}), body)
    return req


def events_handler(app: ProdOpsApp, signing_secret: str, clock: Clock | None = None):  # noqa: ANN201
    verifier = SignatureVerifier(signing_secret, clock or Clock())

    async def slack_events(request: web.Request) -> web.Response:
        raw = await request.read()
        signature = verified_signature(verifier, request.headers, raw)
        if signature is None:
            return web.Response(status=401)
        try:
            body = parse_body(raw, request.content_type)
        except MalformedBody as exc:
            log.warning("signed request refused: %s", exc)
            return web.Response(status=400)
        if (reason := payloads.problem(body)) is not None:
            log.warning("signed request refused: not shaped as Slack sends it (%s)", reason)
            return web.Response(status=400)
        if body.get("type") == "app_rate_limited":  # Slack's notice that it dropped events: ack it
            log.warning("Slack rate-limited events to this app for workspace %s", body.get("team_id"))
            return web.Response(status=200)
        response = await app.async_dispatch(bolt_request(raw.decode("utf-8"), body, request, signature))
        return await to_aiohttp_response(response)

    return slack_events
