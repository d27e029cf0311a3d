"""Build Slack's request bodies and sign them exactly as Slack does."""
from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-test-0000-bot-token"

_ids = itertools.count(1)


def signed_headers(body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None,
                   content_type: str = "application/x-www-form-urlencoded") -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature, "Content-Type": content_type}


def command_form(team_id: str, user_id: str, command: str, text: str = "", *,
                 channel_id: str = "C_GENERAL", response_url: str = "") -> str:
    return urlencode({
        "token": "legacy-verification-token", "team_id": team_id, "team_domain": "acme",
        "channel_id": channel_id, "channel_name": "general", "user_id": user_id,
        "user_name": user_id.lower(), "command": command, "text": text, "api_app_id": "A_APP",
        "is_enterprise_install": "false", "response_url": response_url,
        "trigger_id": f"trig.{next(_ids)}",
    })


def event_envelope(team_id: str, event: dict[str, Any], *, event_id: str | None = None) -> str:
    return json.dumps({
        "token": "legacy-verification-token", "team_id": team_id, "api_app_id": "A_APP",
        "event": event, "type": "event_callback", "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": int(time.time()), "event_context": "ctx",
        "authorizations": [{"team_id": team_id, "user_id": "UBOT", "is_bot": True}],
    })


def interaction_form(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def block_actions(team_id: str, user_id: str, actions: list[dict[str, Any]], *, channel_id: str = "C_GENERAL",
                  message: dict[str, Any] | None = None, response_url: str = "") -> dict[str, Any]:
    return {
        "type": "block_actions", "team": {"id": team_id, "domain": "acme"},
        "user": {"id": user_id, "team_id": team_id}, "api_app_id": "A_APP",
        "channel": {"id": channel_id}, "container": {"type": "message", "channel_id": channel_id},
        "message": message or {"ts": "1700000000.000001", "text": ""},
        "trigger_id": f"trig.{next(_ids)}", "response_url": response_url,
        "actions": [{"action_ts": str(time.time()), **a} for a in actions],
    }


def home_actions(team_id: str, user_id: str, actions: list[dict[str, Any]], *, view_id: str = "VHOME0001",
                 blocks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A click on a button of the App Home tab, as Slack sends it: no channel and no
    response_url, the container is the home view."""
    return {
        "type": "block_actions", "team": {"id": team_id, "domain": "acme"},
        "user": {"id": user_id, "team_id": team_id}, "api_app_id": "A_APP", "token": "legacy-verification-token",
        "container": {"type": "view", "view_id": view_id}, "trigger_id": f"trig.{next(_ids)}",
        "view": {"id": view_id, "team_id": team_id, "type": "home", "blocks": blocks or [], "private_metadata": "",
                 "callback_id": "", "state": {"values": {}}, "hash": "1700000000.abcdef", "app_id": "A_APP",
                 "bot_id": "BBOT"},
        "actions": [{"action_ts": str(time.time()), **a} for a in actions],
    }


def view_submission(team_id: str, user_id: str, callback_id: str, values: dict[str, Any], *,
                    private_metadata: str = "") -> dict[str, Any]:
    return {
        "type": "view_submission", "team": {"id": team_id, "domain": "acme"},
        "user": {"id": user_id, "team_id": team_id}, "api_app_id": "A_APP",
        "trigger_id": f"trig.{next(_ids)}",
        "view": {"id": f"V{next(_ids):06d}", "type": "modal", "callback_id": callback_id,
                 "private_metadata": private_metadata, "state": {"values": values}},
    }


class SlackSender:
    """Posts signed requests to the app's /slack/events, as Slack would."""

    def __init__(self, base_url: str, http: aiohttp.ClientSession) -> None:
        self.url = base_url + "/slack/events"
        self.http = http

    async def post(self, body: str, content_type: str, headers: dict[str, str] | None = None,
                   **sign: Any) -> tuple[int, Any]:
        all_headers = {**signed_headers(body, content_type=content_type, **sign), **(headers or {})}
        async with self.http.post(self.url, data=body.encode(), headers=all_headers) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text) if text else None
            except json.JSONDecodeError:
                # Slack shows a plain-text 200 reply as the message text.
                return resp.status, {"text": text} if resp.status == 200 else text

    async def command(self, team_id: str, user_id: str, command: str, text: str = "", **kw: Any) -> tuple[int, Any]:
        return await self.post(command_form(team_id, user_id, command, text, **kw),
                               "application/x-www-form-urlencoded")

    async def event(self, team_id: str, event: dict[str, Any], *, event_id: str | None = None,
                    retry_num: int | None = None) -> tuple[int, Any]:
        headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"} if retry_num else None
        return await self.post(event_envelope(team_id, event, event_id=event_id), "application/json", headers)

    async def interaction(self, payload: dict[str, Any]) -> tuple[int, Any]:
        return await self.post(interaction_form(payload), "application/x-www-form-urlencoded")
