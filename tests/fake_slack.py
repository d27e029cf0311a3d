"""A fake Slack Web API that speaks Slack's wire format, records every call and fails on demand.

It also receives `response_url` posts (under /response/…) and files-upload-v2 byte uploads.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import itertools
import json
import math
import re
import time
from dataclasses import dataclass, field
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from aiohttp import web
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.views import View


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None
    limited: bool = False  # answered 429 by the rate limiter (FakeSlack.rate_limit)
    ok: bool = True  # False: answered with an error (an injected failure, a 429, `not_in_channel`…)
    at: float = 0.0  # time.time() when it was answered


@dataclass
class Failure:
    error: str | None = None
    status: int = 200
    retry_after: int | None = None
    times: int = 1
    match: dict[str, str] | None = None  # only calls with these arguments fail


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    user: str | None = None
    bot_id: str | None = None
    thread_ts: str | None = None
    blocks: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)  # a file share's message carries its files


@dataclass
class Upload:
    """A file of the files upload v2 flow: reserved by files.getUploadURLExternal, its bytes
    POSTed to the upload URL, then shared (once) by files.completeUploadExternal."""

    id: str
    filename: str
    length: int  # as declared to files.getUploadURLExternal
    alt_txt: str | None = None
    data: bytes | None = None  # what arrived at the upload URL
    completed: bool = False
    title: str | None = None
    channel: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None


@dataclass
class Gate:
    """Holds calls until `count` of them are waiting, then lets them all through at once:
    simultaneous requests that all got as far as this call before any went further."""

    count: int
    arrived: int = 0
    opened: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait(self) -> None:
        self.arrived += 1
        if self.arrived >= self.count:
            self.opened.set()
        await self.opened.wait()


@dataclass
class Bucket:
    """A token bucket: `rate` tokens a second, holding at most `burst`; a call takes one."""

    rate: float
    burst: float
    tokens: float
    stamp: float

    def wait(self, now: float) -> float:
        """Seconds until a token is there (0: one is)."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass
class RateLimit:
    """Slack's posting limits, off unless a test or benchmark turns them on: `chat.postMessage`
    about once a second per channel with short bursts, optionally a workspace-wide bucket too
    (Slack has one and does not say how big). A call beyond them is answered HTTP 429 with
    `Retry-After` (whole seconds, as Slack sends it) and `{"ok": false, "error": "ratelimited"}`,
    and takes no token."""

    per_channel: float = 1.0  # calls a second, per channel
    burst: int = 3
    workspace: float | None = None  # calls a second over every channel; None: no such limit
    workspace_burst: int = 10
    methods: frozenset[str] = frozenset({"chat.postMessage"})
    clock: Callable[[], float] = time.monotonic
    channels: dict[str, Bucket] = field(default_factory=dict)
    team: Bucket | None = None

    def _bucket(self, rate: float, burst: int, now: float) -> Bucket:
        return Bucket(rate, burst, float(burst), now)

    def retry_after(self, method: str, channel: str) -> int | None:
        """None: the call may go (its tokens are taken); otherwise the Retry-After to answer."""
        if method not in self.methods:
            return None
        now = self.clock()
        bucket = self.channels.setdefault(channel, self._bucket(self.per_channel, self.burst, now))
        buckets = [bucket]
        if self.workspace is not None:
            self.team = self.team or self._bucket(self.workspace, self.workspace_burst, now)
            buckets.append(self.team)
        wait = max(b.wait(now) for b in buckets)
        if wait > 0:
            return max(1, math.ceil(wait))
        for b in buckets:
            b.tokens -= 1
        return None


BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"

# Slack's documented page sizes: (default, maximum) per method.
HISTORY_LIMIT = (100, 999)
REPLIES_LIMIT = (1000, 1000)
MEMBERS_LIMIT = (100, 1000)
_TS = re.compile(r"^\d+(\.\d+)?$")
_T = TypeVar("_T")


def _flag(value: object) -> bool:
    return str(value).lower() in {"1", "true"}


def _cursor(kind: str, marker: str) -> str:
    """An opaque cursor in Slack's style (base64 of `next_ts:…` / `user:…`)."""
    return base64.b64encode(f"{kind}:{marker}".encode()).decode()


def _marker(kind: str, cursor: str) -> str | None:
    try:
        decoded = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    prefix, _, marker = decoded.partition(":")
    return marker if prefix == kind and marker else None


VIEW_BLOCKS_MAX = 100  # a view's blocks (Slack's Block Kit reference)
# views.publish: `view_too_large` "if the provided view is greater than 250kb" (its method
# reference), counted on the view's JSON as slack_sdk sends it (non-ASCII \u-escaped).
VIEW_BYTES_MAX = 250_000


def view_refusal(view: Any) -> dict[str, Any] | None:
    """Slack's answer to a view it will not show, or None: over 100 blocks (`invalid_arguments`
    with the pointer Slack gives), over its size (`view_too_large`), or a block or element over
    one of Block Kit's limits as slack_sdk's models check them (`View(...).to_dict()` validates
    every level), an unknown block type or a text object over 3,000 characters among them."""
    def invalid(message: str) -> dict[str, Any]:
        return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": [f"[ERROR] {message}"]}}

    if not isinstance(view, dict) or not isinstance(view.get("blocks"), list):
        return invalid("missing required field: blocks [json-pointer:/view]")
    if len(json.dumps(view).encode()) > VIEW_BYTES_MAX:
        return {"ok": False, "error": "view_too_large"}
    if len(view["blocks"]) > VIEW_BLOCKS_MAX:
        return invalid(f"no more than {VIEW_BLOCKS_MAX} items allowed [json-pointer:/view/blocks]")
    try:
        parsed = View(**view)
        unknown = next((i for i, b in enumerate(parsed.blocks or []) if b is None), None)
        if unknown is not None:
            return invalid(f"unsupported type [json-pointer:/view/blocks/{unknown}/type]")
        parsed.to_dict()
    except (SlackObjectFormationError, TypeError, KeyError) as exc:
        return invalid(f"{exc} [json-pointer:/view/blocks]")
    too_long = _long_text(view["blocks"])
    if too_long is not None:
        return invalid(f"must be less than 3001 characters [json-pointer:/view/blocks/{too_long}]")
    return None


def _long_text(blocks: list[Any]) -> int | None:
    """The first block holding a text object over 3,000 characters (slack_sdk skips context
    elements), or None."""
    def longest(node: Any) -> int:
        if isinstance(node, dict):
            own = len(node["text"]) if isinstance(node.get("text"), str) else 0
            return max([own, *(longest(v) for v in node.values() if isinstance(v, (dict, list)))])
        if isinstance(node, list):
            return max((longest(v) for v in node), default=0)
        return 0

    return next((i for i, b in enumerate(blocks) if longest(b) > 3000), None)


class FakeSlack:
    def __init__(self) -> None:
        self.app = web.Application(client_max_size=1024**3)  # Slack takes files up to 1 GB; aiohttp stops at 1 MiB
        self.app.router.add_route("*", "/api/{method}", self._api)
        self.app.router.add_post("/response/{key}", self._response_url)
        self.app.router.add_post("/upload/{file_id}", self._upload)
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.reset()

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, key: str = "r1") -> str:
        return f"{self.url}/response/{key}"

    def reset(self) -> None:
        self.calls: list[Call] = []
        self.responses: list[tuple[str, dict[str, Any]]] = []
        self.uploads: dict[str, bytes] = {}  # file id -> the bytes POSTed to its upload URL
        self.files: dict[str, Upload] = {}  # file id -> the upload's whole story
        self.failures: dict[str, list[Failure]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, list[Message]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.not_member: set[str] = set()  # channels the bot was never invited to
        self.archived: set[str] = set()  # archived channels: readable, but posting answers is_archived
        self.ext_shared: set[str] = set()  # Slack Connect channels (shared with another organisation)
        self.socket_url = "wss://127.0.0.1:1/link"  # Socket Mode's WebSocket: nothing listens by default
        # method -> coroutine run (once) before answering: "meanwhile, elsewhere…" in tests
        self.before: dict[str, Callable[[dict[str, Any]], Awaitable[None]]] = {}
        self.gates: dict[str, Gate] = {}  # method -> calls held until enough are waiting
        self.limits: RateLimit | None = None  # Slack's rate limits, when turned on (rate_limit)
        self.latency = 0.0  # seconds every Web API call takes before it is answered
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)

    # -- test controls ---------------------------------------------------------------------
    def fail(self, method: str, error: str | None = None, *, status: int = 200,
             retry_after: int | None = None, times: int = 1, match: dict[str, str] | None = None) -> None:
        """Make the next `times` calls of `method` (with `match`'s arguments) fail with an
        error, a status, or a 429."""
        self.failures.setdefault(method, []).append(Failure(error, status, retry_after, times, match))

    def rate_limit(self, per_channel: float = 1.0, burst: int = 3, *, workspace: float | None = None,
                   workspace_burst: int = 10, clock: Callable[[], float] = time.monotonic) -> RateLimit:
        """Enforce Slack's posting limits from now on (see RateLimit); reset() turns them off."""
        self.limits = RateLimit(per_channel, burst, workspace, workspace_burst, clock=clock)
        return self.limits

    def gate(self, method: str, count: int) -> None:
        """Hold calls of `method` until `count` of them wait, then answer them all."""
        self.gates[method] = Gate(count)

    def add_user(self, user_id: str, *, tz: str = "Europe/London", is_admin: bool = False,
                 is_owner: bool = False, is_bot: bool = False, deleted: bool = False, name: str | None = None) -> None:
        self.users[user_id] = {
            "id": user_id, "name": name or user_id.lower(), "real_name": name or f"User {user_id}",
            "tz": tz, "tz_label": tz, "tz_offset": 0, "is_admin": is_admin, "is_owner": is_owner,
            "is_bot": is_bot, "deleted": deleted, "profile": {"real_name": name or user_id},
        }

    def add_message(self, channel: str, ts: str, text: str, *, user: str | None = "U_AUTHOR",
                    bot_id: str | None = None, thread_ts: str | None = None) -> Message:
        message = Message(channel, ts, text, user, bot_id, thread_ts)
        self.messages.setdefault(channel, []).append(message)
        return message

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posted(self, channel: str | None = None) -> list[Call]:
        return [c for c in self.calls_to("chat.postMessage") if channel is None or c.args.get("channel") == channel]

    # -- HTTP ------------------------------------------------------------------------------
    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        body = await request.read()
        if body:
            if request.content_type == "application/json":
                args.update(json.loads(body))
            else:
                args.update(dict(parse_qsl(body.decode(), keep_blank_values=True)))
        for key in ("blocks", "view", "files", "attachments"):
            if isinstance(args.get(key), str):
                try:
                    args[key] = json.loads(args[key])
                except json.JSONDecodeError:
                    pass
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth else args.get("token")
        call = Call(method, args, token)
        self.calls.append(call)
        if self.latency:
            await asyncio.sleep(self.latency)
        if method in self.gates:
            await self.gates[method].wait()
        hook = self.before.pop(method, None)
        if hook is not None:
            await hook(args)
        call.at = time.time()
        pending = self.failures.get(method) or []
        failure = next((f for f in pending if not f.match or all(str(args.get(k)) == v for k, v in f.match.items())), None)
        if failure is not None:
            failure.times -= 1
            if failure.times <= 0:
                pending.remove(failure)
            call.ok = False
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            status = 429 if failure.retry_after is not None else failure.status
            body = {"ok": False, "error": failure.error or ("ratelimited" if status == 429 else "fatal_error")}
            return web.json_response(body, status=status, headers=headers)
        retry_after = self.limits.retry_after(method, str(args.get("channel") or "")) if self.limits else None
        if retry_after is not None:
            call.limited, call.ok = True, False
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": str(retry_after)})
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        result = handler(args) if handler else {}
        call.ok = result.get("ok", True) is not False
        return web.json_response({"ok": True, **result} if "ok" not in result else result)

    async def _response_url(self, request: web.Request) -> web.Response:
        self.responses.append((request.match_info["key"], await request.json()))
        return web.json_response({"ok": True})

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL: raw bytes or a multipart form (its `file` part), as Slack takes them;
        200 when it worked, anything else is a failure (an address not handed out, or used)."""
        upload = self.files.get(request.match_info["file_id"])
        if upload is None or upload.completed:
            return web.Response(status=404, text="Not Found")
        if request.content_type.startswith("multipart/"):
            data = b""
            async for part in await request.multipart():
                if part.name == "file" or getattr(part, "filename", None):
                    data = bytes(await part.read())
                    break
        else:
            data = await request.read()
        upload.data = data
        self.uploads[upload.id] = data
        return web.Response(text=f"OK - {len(data)}")

    # -- Web API methods (Slack's answer shapes) -------------------------------------------
    def _err(self, error: str) -> dict[str, Any]:
        return {"ok": False, "error": error}

    def m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": "https://fake.slack.com/", "team": "Fake Team", "user": "prodops",
                "team_id": "T_INSTALL", "user_id": BOT_USER_ID, "bot_id": BOT_ID}

    def m_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.socket_url}

    def m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(args.get("user", ""))
        return {"user": user} if user else self._err("user_not_found")

    def m_team_info(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"team": {"id": args.get("team_id", "T_INSTALL"), "name": "Fake Team", "domain": "fake"}}

    def _new_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel", "")
        if channel in self.not_member:
            return self._err("not_in_channel")
        if channel in self.archived:
            return self._err("is_archived")
        ts = self._new_ts()
        message = self.add_message(channel, ts, args.get("text", ""), user=BOT_USER_ID, bot_id=BOT_ID,
                                   thread_ts=args.get("thread_ts"))
        message.blocks = args.get("blocks") or []
        return {"channel": channel, "ts": ts, "message": {"type": "message", "text": message.text,
                                                            "ts": ts, "bot_id": BOT_ID}}

    def m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"message_ts": self._new_ts()}

    def delete_message(self, channel: str, ts: str) -> None:
        self.messages[channel] = [m for m in self.messages.get(channel, []) if m.ts != ts]

    def m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = args.get("channel", ""), args.get("ts", "")
        for message in self.messages.get(channel, []):
            if message.ts == ts:
                message.text = args.get("text", message.text)
                message.blocks = args.get("blocks") or message.blocks
                return {"channel": channel, "ts": ts, "text": message.text}
        return self._err("message_not_found")

    def m_chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = args.get("channel", ""), args.get("ts", "")
        if not any(m.ts == ts for m in self.messages.get(channel, [])):
            return self._err("message_not_found")
        self.delete_message(channel, ts)
        return {"channel": channel, "ts": ts}

    def m_chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = args.get("channel", ""), args.get("message_ts", "")
        return {"channel": channel, "permalink": f"https://fake.slack.com/archives/{channel}/p{ts.replace('.', '')}"}

    def _readable(self, channel: str) -> dict[str, Any] | None:
        """The error Slack gives before reading a conversation's messages, if any."""
        if not channel:
            return self._err("channel_not_found")
        if channel in self.not_member:
            return self._err("not_in_channel")
        if channel not in self.messages:
            return self._err("channel_not_found")
        return None

    def _window(self, args: dict[str, Any]) -> Callable[[Message], bool] | dict[str, Any]:
        """Slack's time window: `oldest` (default 0) to `latest` (default now), ends excluded
        unless `inclusive`, which has no effect when neither end is given."""
        ends: dict[str, Decimal | None] = {}
        for name in ("oldest", "latest"):
            value = str(args.get(name) or "")
            if value and not _TS.match(value):
                return self._err(f"invalid_ts_{name}")
            ends[name] = Decimal(value) if value else None
        oldest, latest = ends["oldest"], ends["latest"]
        inclusive = _flag(args.get("inclusive"))

        def inside(m: Message) -> bool:
            ts = Decimal(m.ts)
            above = oldest is None or (ts >= oldest if inclusive else ts > oldest)
            below = latest is None or (ts <= latest if inclusive else ts < latest)
            return above and below

        return inside

    def _limit(self, args: dict[str, Any], bounds: tuple[int, int]) -> int | dict[str, Any]:
        default, maximum = bounds
        raw = args.get("limit")
        if raw in (None, ""):
            return default
        try:
            limit = int(str(raw))
        except ValueError:
            return self._err("invalid_arguments")
        return default if limit < 1 else min(limit, maximum)

    def _page(self, items: Sequence[_T], args: dict[str, Any], limit: int, kind: str,
              key: Callable[[_T], str]) -> dict[str, Any]:
        """One page of `items` from the request's cursor, with has_more and the next cursor
        (Slack's cursor pagination); `items` under "page", or an invalid_cursor error."""
        start = 0
        if args.get("cursor"):
            marker = _marker(kind, str(args["cursor"]))
            start = next((i for i, item in enumerate(items) if key(item) == marker), -1)
            if start < 0:
                return self._err("invalid_cursor")
        page, rest = list(items[start:start + limit]), items[start + limit:]
        out: dict[str, Any] = {"page": page, "has_more": bool(rest)}
        if rest:
            out["response_metadata"] = {"next_cursor": _cursor(kind, key(rest[0]))}
        return out

    def _answer(self, page: dict[str, Any], field_name: str, wire: Callable[[Any], Any]) -> dict[str, Any]:
        if page.get("ok") is False:
            return page
        return {field_name: [wire(item) for item in page.pop("page")], **page}

    def _wire(self, m: Message) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "message", "text": m.text, "ts": m.ts}
        if m.user:
            out["user"] = m.user
        if m.bot_id:
            out["bot_id"] = m.bot_id
        if m.files:
            out["files"], out["upload"] = m.files, True
        replies = [r for r in self.messages.get(m.channel, []) if r.thread_ts == m.ts and r.ts != m.ts]
        if m.thread_ts:
            out["thread_ts"] = m.thread_ts
        elif replies:  # a thread's parent carries its own ts as thread_ts, and a reply count
            out["thread_ts"] = m.ts
        if replies:
            out["reply_count"] = len(replies)
        return out

    def m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        """Top-level messages only (thread replies are not in history), newest first."""
        channel = str(args.get("channel") or "")
        if (error := self._readable(channel)) is not None:
            return error
        inside = self._window(args)
        limit = self._limit(args, HISTORY_LIMIT)
        if isinstance(inside, dict):
            return inside
        if isinstance(limit, dict):
            return limit
        top = sorted((m for m in self.messages[channel] if m.thread_ts in (None, m.ts) and inside(m)),
                     key=lambda m: Decimal(m.ts), reverse=True)
        return self._answer(self._page(top, args, limit, "next_ts", lambda m: m.ts), "messages", self._wire)

    def m_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """The thread of `ts` (its parent's ts or any reply's): the parent always comes first on
        the first page (and counts towards `limit`), then the replies within the time window,
        oldest first; later pages hold replies only."""
        channel, ts = str(args.get("channel") or ""), str(args.get("ts") or "")
        if (error := self._readable(channel)) is not None:
            return error
        target = next((m for m in self.messages[channel] if m.ts == ts), None)
        if target is None:
            return self._err("thread_not_found")
        inside = self._window(args)
        limit = self._limit(args, REPLIES_LIMIT)
        if isinstance(inside, dict):
            return inside
        if isinstance(limit, dict):
            return limit
        root = target.thread_ts or target.ts
        parent = [m for m in self.messages[channel] if m.ts == root]
        replies = sorted((m for m in self.messages[channel] if m.thread_ts == root and m.ts != root and inside(m)),
                         key=lambda m: Decimal(m.ts))
        return self._answer(self._page(parent + replies, args, limit, "next_ts", lambda m: m.ts),
                            "messages", self._wire)

    def m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = [u for u in str(args.get("users", "")).split(",") if u]
        if not users and not args.get("channel"):
            return self._err("users_list_not_supplied")
        return {"channel": {"id": str(args.get("channel") or "D" + users[0])}}

    def m_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel", "")
        return {"channel": {"id": channel, "name": channel.lower(), "is_member": channel not in self.not_member,
                            "is_im": channel.startswith("D"), "is_archived": channel in self.archived,
                            "is_ext_shared": channel in self.ext_shared, "is_shared": channel in self.ext_shared}}

    def m_conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        """Every known user is in every channel; paged like Slack's."""
        if not args.get("channel"):
            return self._err("channel_not_found")
        limit = self._limit(args, MEMBERS_LIMIT)
        if isinstance(limit, dict):
            return limit
        return self._answer(self._page(sorted(self.users), args, limit, "user", lambda u: u), "members", str)

    def _view(self, args: dict[str, Any], view_id: str | None = None) -> dict[str, Any]:
        view = dict(args.get("view") or {})
        view_id = view_id or f"V{next(self._ids):06d}"
        view["id"] = view_id
        self.views[view_id] = view
        return {"view": view}

    def m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._view(args)

    def m_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._view(args)

    def m_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id")
        if view_id not in self.views:
            return self._err("not_found")
        return self._view(args, view_id)

    def m_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        """Refused as Slack refuses it (view_refusal); published otherwise."""
        refusal = view_refusal(args.get("view"))
        return refusal if refusal is not None else self._view(args)

    def m_reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        return {}

    def m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        """filename and length (bytes, > 0) required; alt_txt at most 1000 characters."""
        filename, length = args.get("filename"), str(args.get("length", "")).strip()
        if not filename:
            return self._err("invalid_arguments")
        if length in {"", "0"}:
            return self._err("missing_argument")  # "typically only occurs when the length provided is 0"
        if not length.isdigit():
            return self._err("invalid_arguments")
        if len(args.get("alt_txt") or "") > 1000:
            return self._err("alt_txt_too_large")
        file_id = f"F{next(self._ids):06d}"
        self.files[file_id] = Upload(file_id, filename, int(length), args.get("alt_txt"))
        return {"upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        """`files` a JSON array of {"id", "title"}, each a file reserved and uploaded, completed
        once; shared into `channel_id` (a thread of it with `thread_ts`) with `initial_comment`."""
        files = args.get("files")
        if not isinstance(files, list) or not files or not all(isinstance(f, dict) for f in files):
            return self._err("invalid_arguments")
        uploads = [self.files.get(str(f.get("id"))) for f in files]
        if any(u is None or u.completed or u.data is None for u in uploads):
            return self._err("file_not_found")  # "could not find the file from the upload ticket"
        channel = args.get("channel_id") or None
        if channel is not None and channel in self.not_member:
            return self._err("not_in_channel")
        answer = []
        for f, upload in zip(files, uploads):
            assert upload is not None
            upload.completed = True
            upload.title = f.get("title") or upload.filename  # untitled files are titled by their name
            upload.channel, upload.thread_ts = channel, args.get("thread_ts") or None
            upload.initial_comment = args.get("initial_comment")
            answer.append({"id": upload.id, "title": upload.title})
        if channel is not None:  # shared: a message of the bot's in the conversation, with its files
            share = self.add_message(channel, self._new_ts(), args.get("initial_comment") or "", user=BOT_USER_ID,
                                     bot_id=BOT_ID, thread_ts=args.get("thread_ts") or None)
            share.files = [{"id": u.id, "name": u.filename, "title": u.title} for u in uploads if u is not None]
        return {"files": answer}
