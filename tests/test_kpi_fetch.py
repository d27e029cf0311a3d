"""The HTTP pull of a KPI value (bot/kpis/fetch.py, issue 13) against local aiohttp sources on
127.0.0.1: answers that work and every way one fails, the refusal of non-public addresses on the
address actually connected to (a redirect to one, a DNS answer that changes between connections),
TLS still checked against the host name, and the header secret kept out of reasons and logs.
No real network: names resolve through a fake resolver (numeric addresses only otherwise), and
"public" is simulated by a test address policy that blesses 127.0.0.1 alone."""
from __future__ import annotations

import asyncio
import gzip
import ipaddress
import json
import logging
import math
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings, strategies as st

from bot.config import load_settings
from bot.kpis.fetch import MAX_REDIRECTS, Network, Pulled, check_url, is_public, pull, value_at

TOKEN = "Bearer s3cr3t-T0KEN-never-shown-4711"
BARE_TOKEN = TOKEN.split()[1]
QUERY_SECRET = "q-secret-K3Y-98765"
LOOPBACK = ipaddress.ip_address("127.0.0.1")
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


@dataclass
class Source:
    """A local HTTP source: handlers by path, every request it received, an Event never set (a
    handler waiting on it never answers; it is set at teardown so the server can stop)."""
    routes: dict[str, Handler] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    never: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0
    ssl_context: ssl.SSLContext | None = None
    _runner: web.AppRunner | None = None

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{'https' if self.ssl_context else 'http'}://{host}:{self.port}{path}"

    def json(self, path: str, data: object) -> None:
        async def answer(request: web.Request) -> web.StreamResponse:
            return web.json_response(data)
        self.routes[path] = answer

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(Seen(request.path_qs, dict(request.headers)))
        handler = self.routes.get(request.path)
        if handler is None:
            return web.Response(status=404)
        return await handler(request)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self.never.set()
        assert self._runner is not None
        await self._runner.cleanup()


@pytest.fixture
async def source() -> AsyncIterator[Source]:
    src = Source()
    await src.start()
    yield src
    await src.stop()


@pytest.fixture
async def other() -> AsyncIterator[Source]:
    src = Source()
    await src.start()
    yield src
    await src.stop()


async def numeric_only(host: str, port: int) -> list[str]:
    """getaddrinfo for numeric hosts only: a name that is not faked never reaches DNS."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    return [str(info[4][0]) for info in infos]


def fake_network(names: dict[str, list[str] | Callable[[], list[str]]] | None = None,
                 public: tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, ...] = (LOOPBACK,),
                 ssl_context: ssl.SSLContext | None = None) -> Network:
    """Names resolved from `names` (a list, or a callable giving each lookup's answer); the
    addresses in `public` treated as public, everything else by the production policy."""
    names = names or {}

    async def resolve(host: str, port: int) -> list[str]:
        answer = names.get(host)
        if answer is None:
            return await numeric_only(host, port)
        return answer() if callable(answer) else list(answer)

    return Network(resolve=resolve, allowed=lambda ip: ip in public or is_public(ip), ssl_context=ssl_context)


# -- answers that work, and every way one does not ---------------------------------------------

async def test_a_number_at_a_nested_path(source: Source) -> None:
    source.json("/kpi", {"data": [{"value": 42.5, "name": "activation"}, {"value": 1}], "meta": {"n": 2}})
    got = await pull(source.url("/kpi"), "data.0.value", allow_private=True)
    assert got == Pulled(42.5, None, 200)
    assert await pull(source.url("/kpi"), "data.-1.value", allow_private=True) == Pulled(1.0, None, 200)
    assert (await pull(source.url("/kpi"), "meta.n", allow_private=True)).value == 2.0


@pytest.mark.parametrize(("raw", "number"), [("42.5", 42.5), (" -3 ", -3.0), ("1e3", 1000.0), ("+.5", 0.5)])
async def test_numeric_strings_are_accepted(source: Source, raw: str, number: float) -> None:
    """Decided: a numeric string counts (many APIs quote decimals); `1,200`, `42%`, `NaN` do not."""
    source.json("/kpi", {"data": [{"value": raw}]})
    assert await pull(source.url("/kpi"), "data.0.value", allow_private=True) == Pulled(number, None, 200)


async def test_a_handler_that_never_answers_times_out(source: Source) -> None:
    async def hang(request: web.Request) -> web.StreamResponse:
        await source.never.wait()
        return web.json_response({"v": 1})
    source.routes["/kpi"] = hang
    started = time.monotonic()
    got = await pull(source.url("/kpi"), "v", allow_private=True, timeout=0.2)
    assert got == Pulled(None, "timed out after 0.2 s", None)
    assert time.monotonic() - started < 2
    assert [s.path for s in source.seen] == ["/kpi"]


async def test_a_body_that_stops_coming_times_out_in_total(source: Source) -> None:
    """Headers at once, then half a body and nothing more: the total deadline still holds."""
    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json", "Content-Length": "100"})
        await response.prepare(request)
        await response.write(b'{"v": ')
        await source.never.wait()
        return response
    source.routes["/kpi"] = trickle
    assert await pull(source.url("/kpi"), "v", allow_private=True, timeout=0.2) == Pulled(None, "timed out after 0.2 s")


async def test_a_resolver_that_never_answers_times_out() -> None:
    never = asyncio.Event()

    async def resolve(host: str, port: int) -> list[str]:
        await never.wait()
        return []
    got = await pull("http://slow-dns.test/kpi", "v", timeout=0.2, _network=Network(resolve=resolve))
    assert got == Pulled(None, "timed out after 0.2 s")


async def test_a_name_that_does_not_resolve() -> None:
    got = await pull("http://nowhere.test/kpi", "v", _network=fake_network())
    assert got.value is None and got.reason is not None and got.reason.startswith("cannot resolve nowhere.test (")


async def test_nothing_listening() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    got = await pull(f"http://127.0.0.1:{port}/kpi", "v", allow_private=True)
    assert got == Pulled(None, f"cannot connect to 127.0.0.1:{port} (Connection refused)")


async def test_http_500(source: Source) -> None:
    async def fail(request: web.Request) -> web.StreamResponse:
        return web.json_response({"error": "boom"}, status=500)
    source.routes["/kpi"] = fail
    assert await pull(source.url("/kpi"), "v", allow_private=True) == Pulled(None, "HTTP 500", 500)
    assert await pull(source.url("/missing"), "v", allow_private=True) == Pulled(None, "HTTP 404", 404)


async def test_an_html_page_is_not_json(source: Source) -> None:
    async def page(request: web.Request) -> web.StreamResponse:
        return web.Response(text="<html><body>Log in</body></html>", content_type="text/html")
    source.routes["/kpi"] = page
    assert await pull(source.url("/kpi"), "v", allow_private=True) == Pulled(None, "not JSON (text/html)", 200)


async def test_broken_json_and_deep_nesting_are_not_json(source: Source) -> None:
    async def broken(request: web.Request) -> web.StreamResponse:
        return web.Response(text='{"v": 1', content_type="application/json")

    async def deep(request: web.Request) -> web.StreamResponse:
        return web.Response(text="[" * 200_000 + "]" * 200_000, content_type="application/json")
    source.routes["/broken"], source.routes["/deep"] = broken, deep
    assert await pull(source.url("/broken"), "v", allow_private=True) == Pulled(None, "not JSON", 200)
    assert await pull(source.url("/deep"), "v", allow_private=True) == Pulled(None, "not JSON", 200)


async def test_a_huge_chunked_body_is_cut_off_and_no_longer_read(source: Source) -> None:
    written = 0
    finished = asyncio.Event()

    async def endless(request: web.Request) -> web.StreamResponse:
        nonlocal written
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            await response.write(b'{"v": [')
            while True:
                await response.write(b"1," * 32_768)
                written += 65_536
        except (ConnectionError, RuntimeError):
            pass  # the client went away
        finally:
            finished.set()
        return response
    source.routes["/kpi"] = endless
    got = await pull(source.url("/kpi"), "v", allow_private=True)
    assert got == Pulled(None, "answer larger than 1 MB", 200)
    await asyncio.wait_for(finished.wait(), 10)  # the server's writes failed: the client hung up
    assert written < 32_000_000  # what the socket buffers took, not an endless read


async def test_a_declared_length_past_the_limit_is_refused_before_reading(source: Source) -> None:
    source.json("/kpi", {"v": "x" * 5000})
    assert await pull(source.url("/kpi"), "v", allow_private=True, max_bytes=1000) == Pulled(
        None, "answer larger than 1 kB", 200)


async def test_gzip_is_read_and_a_gzip_bomb_is_cut_off(source: Source) -> None:
    async def small(request: web.Request) -> web.StreamResponse:
        return web.Response(body=gzip.compress(json.dumps({"v": 7}).encode()),
                            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})

    bomb_body = gzip.compress(b"[" + b"0," * 10_000_000 + b"0]", compresslevel=9)

    async def bomb(request: web.Request) -> web.StreamResponse:
        return web.Response(body=bomb_body, headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})

    async def brotli(request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"\x00\x01", headers={"Content-Type": "application/json", "Content-Encoding": "br"})
    source.routes.update({"/small": small, "/bomb": bomb, "/br": brotli})
    assert len(bomb_body) < 100_000
    assert await pull(source.url("/small"), "v", allow_private=True) == Pulled(7.0, None, 200)
    assert await pull(source.url("/bomb"), "0", allow_private=True) == Pulled(None, "answer larger than 1 MB", 200)
    assert await pull(source.url("/br"), "v", allow_private=True) == Pulled(
        None, "answer in an encoding the bot does not read (br)", 200)


@pytest.mark.parametrize(("answer", "path", "reason"), [
    ({"data": []}, "data.0.value", "no `data.0.value` in the answer"),
    ({"data": [{"val": 1}]}, "data.0.value", "no `data.0.value` in the answer"),
    ({"data": {"0": {"value": 3}}}, "data.1.value", "no `data.1.value` in the answer"),
    ({"data": 5}, "data.0", "no `data.0` in the answer"),
    ({"data": [{"value": "abc"}]}, "data.0.value", "`abc` at `data.0.value` is not a number"),
    ({"data": [{"value": "1,200"}]}, "data.0.value", "`1,200` at `data.0.value` is not a number"),
    ({"data": [{"value": "NaN"}]}, "data.0.value", "`NaN` at `data.0.value` is not a number"),
    ({"data": [{"value": True}]}, "data.0.value", "`true` at `data.0.value` is not a number"),
    ({"data": [{"value": False}]}, "data.0.value", "`false` at `data.0.value` is not a number"),
    ({"data": [{"value": None}]}, "data.0.value", "`null` at `data.0.value` is not a number"),
    ({"data": [{"value": {"n": 1}}]}, "data.0.value", '`{"n": 1}` at `data.0.value` is not a number'),
    ({"data": [{"value": 1}]}, "data.0", '`{"value": 1}` at `data.0` is not a number'),
    ({"v": "x" * 100}, "v", "`" + "x" * 39 + "…` at `v` is not a number"),
    ({"v": 1}, "v..w", "`v..w` is not a dotted path (an empty part between dots)"),
])
async def test_a_path_that_is_missing_or_not_a_number(source: Source, answer: object, path: str, reason: str) -> None:
    source.json("/kpi", answer)
    assert await pull(source.url("/kpi"), path, allow_private=True) == Pulled(None, reason, 200)


async def test_a_bare_number_with_the_empty_path(source: Source) -> None:
    source.json("/n", 12)
    source.json("/s", "twelve")
    assert await pull(source.url("/n"), "", allow_private=True) == Pulled(12.0, None, 200)
    assert await pull(source.url("/s"), "", allow_private=True) == Pulled(
        None, "`twelve` as the whole answer is not a number", 200)


async def test_a_huge_or_infinite_number_is_not_a_number(source: Source) -> None:
    async def huge(request: web.Request) -> web.StreamResponse:
        return web.Response(text='{"a": 1e999, "b": ' + "9" * 400 + "}", content_type="application/json")
    source.routes["/kpi"] = huge
    assert await pull(source.url("/kpi"), "a", allow_private=True) == Pulled(None, "`Infinity` at `a` is not a number", 200)
    got = await pull(source.url("/kpi"), "b", allow_private=True)
    assert got.value is None and (got.reason or "").endswith("…` at `b` is not a number")


# -- non-public addresses -------------------------------------------------------------------

@pytest.fixture
async def listener() -> AsyncIterator[list[int]]:
    """A bare TCP server on 127.0.0.1 counting the connections it accepts: port, then count."""
    accepted: list[int] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        writer.close()
    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    yield [server.sockets[0].getsockname()[1], accepted]  # type: ignore[list-item]
    server.close()
    await server.wait_closed()


async def test_a_private_address_is_refused_without_a_request(source: Source) -> None:
    source.json("/kpi", {"v": 1})
    got = await pull(source.url("/kpi"), "v")
    assert got == Pulled(None, "refused: 127.0.0.1 is a private address", None)
    assert source.seen == []
    assert await pull(source.url("/kpi"), "v", allow_private=True) == Pulled(1.0, None, 200)
    assert len(source.seen) == 1


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1", "2130706433", "0x7f000001", "[::ffff:127.0.0.1]",
                                  "[::ffff:7f00:1]", "0.0.0.0", "[::1]", "[::]"])
async def test_loopback_in_any_spelling_is_refused_without_a_connection(listener: list, host: str) -> None:
    port, accepted = listener
    got = await pull(f"http://{host}:{port}/kpi", "v", _network=fake_network(public=()))
    assert got.value is None and (got.reason or "").startswith("refused: "), got
    assert "private address" in (got.reason or "")
    assert accepted == []


async def test_localhost_is_refused_through_the_system_resolver(listener: list) -> None:
    port, accepted = listener
    got = await pull(f"http://localhost:{port}/kpi", "v")
    assert (got.reason or "").startswith("refused: localhost resolves to "), got
    assert accepted == []


async def test_a_name_resolving_to_a_private_address_says_which(listener: list) -> None:
    port, accepted = listener
    network = fake_network({"kpis.example.com": ["127.0.0.1"], "two.example.com": ["10.0.0.1", "192.168.1.9"]}, public=())
    assert await pull(f"http://kpis.example.com:{port}/", "v", _network=network) == Pulled(
        None, "refused: kpis.example.com resolves to a private address (127.0.0.1)")
    assert await pull(f"http://two.example.com:{port}/", "v", _network=network) == Pulled(
        None, "refused: two.example.com resolves to private addresses only (10.0.0.1, 192.168.1.9)")
    assert accepted == []


async def test_refused_answers_are_dropped_and_an_allowed_one_is_used(source: Source) -> None:
    source.json("/kpi", {"v": 5})
    network = fake_network({"mixed.test": ["127.0.0.2", "::ffff:127.0.0.1", "127.0.0.1"]})
    assert await pull(source.url("/kpi", "mixed.test"), "v", _network=network) == Pulled(5.0, None, 200)


@pytest.mark.parametrize("target", ["http://internal.test:{port}/kpi", "http://127.0.0.2:{port}/kpi",
                                    "http://[::ffff:127.0.0.1]:{port}/kpi", "http://localhost:{port}/kpi"])
async def test_a_redirect_to_a_private_address_is_refused(source: Source, other: Source, target: str) -> None:
    """The first hop is allowed (public.test is "public": 127.0.0.1 is blessed by the test policy);
    the redirect leads to an address that is not, and `other` never hears of it."""
    other.json("/kpi", {"v": 1})
    location = target.format(port=other.port)

    async def hop(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(location)
    source.routes["/start"] = hop
    network = fake_network({"public.test": ["127.0.0.1"], "internal.test": ["127.0.0.2"],
                            "localhost": ["::1", "127.0.0.2", "::ffff:127.0.0.1"]})
    got = await pull(source.url("/start", "public.test"), "v", _network=network)
    assert got.value is None and (got.reason or "").startswith("refused: "), got
    assert (got.reason or "").endswith(" (after a redirect)")
    assert [s.path for s in source.seen] == ["/start"]
    assert other.seen == []


async def test_a_redirect_to_an_allowed_host_is_followed_without_the_header(source: Source, other: Source) -> None:
    other.json("/kpi", {"v": 9})

    async def away(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(other.url("/kpi", "other.test"))

    async def here(request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently("/kpi")
    source.routes.update({"/away": away, "/here": here})
    source.json("/kpi", {"v": 3})
    network = fake_network({"public.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    got = await pull(source.url("/away", "public.test"), "v", header=("Authorization", TOKEN), _network=network)
    assert got == Pulled(9.0, None, 200)
    assert source.seen[0].headers["Authorization"] == TOKEN
    assert [s.path for s in other.seen] == ["/kpi"]
    assert all(TOKEN not in value and BARE_TOKEN not in value for value in other.seen[0].headers.values())
    # The same origin keeps it.
    got = await pull(source.url("/here", "public.test"), "v", header=("Authorization", TOKEN), _network=network)
    assert got == Pulled(3.0, None, 200)
    assert [s.headers.get("Authorization") for s in source.seen[1:]] == [TOKEN, TOKEN]


async def test_a_redirect_to_the_same_host_on_another_port_drops_the_header(source: Source, other: Source) -> None:
    other.json("/kpi", {"v": 2})

    async def away(request: web.Request) -> web.StreamResponse:
        raise web.HTTPTemporaryRedirect(other.url("/kpi"))
    source.routes["/away"] = away
    assert await pull(source.url("/away"), "v", header=("X-Api-Key", TOKEN), allow_private=True) == Pulled(2.0, None, 200)
    assert "X-Api-Key" not in other.seen[0].headers


async def test_dns_rebinding_between_connections_is_refused(source: Source) -> None:
    """rebind.test answers a "public" address for the first connection and a private one for the
    next (the first answer closed its connection): the second connection is refused, so the
    source sees the first request only."""
    lookups: list[str] = []

    def rebinding() -> list[str]:
        lookups.append("lookup")
        return ["127.0.0.1"] if len(lookups) == 1 else ["::ffff:127.0.0.1"]

    async def hop(request: web.Request) -> web.StreamResponse:
        response = web.Response(status=302, headers={"Location": "/kpi"})
        response.force_close()  # the next hop needs a new connection, so a new lookup
        return response
    source.routes["/start"] = hop
    source.json("/kpi", {"v": 1})
    got = await pull(source.url("/start", "rebind.test"), "v", _network=fake_network({"rebind.test": rebinding}))
    assert got == Pulled(None, "refused: rebind.test resolves to a private address (::ffff:127.0.0.1) (after a redirect)")
    assert len(lookups) == 2
    assert [s.path for s in source.seen] == ["/start"]
    # The same flow with a stable answer works: the refusal above came from the changed answer.
    stable = fake_network({"rebind.test": ["127.0.0.1"]})
    assert await pull(source.url("/start", "rebind.test"), "v", _network=stable) == Pulled(1.0, None, 200)


async def test_at_most_three_redirects_and_only_http(source: Source) -> None:
    async def chain(request: web.Request) -> web.StreamResponse:
        n = int(request.path.rsplit("/", 1)[1])
        raise web.HTTPFound(f"/r/{n + 1}")

    async def ftp(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("ftp://files.example.com/kpi.json")

    async def nowhere(request: web.Request) -> web.StreamResponse:
        return web.Response(status=302)
    for n in range(11):
        source.routes[f"/r/{n}"] = chain
    source.routes.update({"/ftp": ftp, "/nowhere": nowhere})
    source.json(f"/r/{MAX_REDIRECTS}", {"v": 3})
    assert await pull(source.url("/r/0"), "v", allow_private=True) == Pulled(3.0, None, 200)
    assert await pull(source.url("/r/4"), "v", allow_private=True) == Pulled(None, "more than 3 redirects", 302)
    assert await pull(source.url("/ftp"), "v", allow_private=True) == Pulled(
        None, "redirect refused: only http:// and https:// URLs can be pulled", 302)
    assert await pull(source.url("/nowhere"), "v", allow_private=True) == Pulled(None, "HTTP 302 with no Location", 302)


@pytest.mark.parametrize(("address", "public"), [
    *[(a, False) for a in [
        "127.0.0.1", "127.255.255.254", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
        "169.254.169.254", "169.254.0.1", "100.64.0.1", "100.127.255.254", "0.0.0.0", "0.1.2.3",
        "255.255.255.255", "224.0.0.1", "239.255.255.250", "240.0.0.1", "192.0.2.1", "198.18.0.1",
        "192.0.0.8", "::1", "::", "fe80::1", "fe80::1%1", "fc00::1", "fd12:3456::1", "ff02::1",
        "ff0e::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:0.0.0.0",
        "::127.0.0.1", "64:ff9b::a9fe:a9fe", "64:ff9b::7f00:1", "2002:7f00:1::", "2002:a9fe:a9fe::1",
        "2001::1", "2001:db8::1", "fec0::1", "100::1"]],
    *[(a, True) for a in ["8.8.8.8", "1.1.1.1", "93.184.215.14", "100.128.0.1", "2606:4700:4700::1111",
                          "2a00:1450:4001:80b::200e", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"]],
])
def test_the_address_policy(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


@SETTINGS
@given(st.ip_addresses(v=4))
def test_an_ipv4_address_and_its_ipv6_wrappings_are_judged_alike(ip: ipaddress.IPv4Address) -> None:
    mapped = ipaddress.IPv6Address(b"\x00" * 10 + b"\xff\xff" + ip.packed)
    nat64 = ipaddress.IPv6Address(ipaddress.IPv6Address("64:ff9b::").packed[:12] + ip.packed)
    assert is_public(mapped) == is_public(ip) == is_public(nat64)
    private = [ipaddress.ip_network(n) for n in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                                 "169.254.0.0/16", "100.64.0.0/10", "0.0.0.0/8", "224.0.0.0/4",
                                                 "240.0.0.0/4")]
    if any(ip in net for net in private):
        assert not is_public(ip)


# -- TLS: connected by IP, verified by name ---------------------------------------------------

@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=kpi.test", "-addext", "subjectAltName=DNS:kpi.test"],
                   check=True, capture_output=True)
    return cert, key


async def test_tls_checks_the_certificate_against_the_host_name(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    names_asked: list[str | None] = []
    server_context.sni_callback = lambda sock, name, ctx: names_asked.append(name)  # type: ignore[assignment,misc]
    src = Source(ssl_context=server_context)
    src.json("/kpi", {"v": 11})
    await src.start()
    try:
        client_context = ssl.create_default_context(cafile=str(cert))
        network = fake_network({"kpi.test": ["127.0.0.1"], "wrong.test": ["127.0.0.1"]}, ssl_context=client_context)
        assert await pull(src.url("/kpi", "kpi.test"), "v", _network=network) == Pulled(11.0, None, 200)
        assert names_asked == ["kpi.test"]  # SNI is the name, though the socket was opened to 127.0.0.1
        got = await pull(src.url("/kpi", "wrong.test"), "v", _network=network)
        assert got.value is None and (got.reason or "").startswith("TLS with wrong.test failed: "), got
        assert "wrong.test" in (got.reason or "") and "mismatch" in (got.reason or "").lower()
        untrusting = fake_network({"kpi.test": ["127.0.0.1"]})  # the default CA bundle: self-signed is refused
        got = await pull(src.url("/kpi", "kpi.test"), "v", _network=untrusting)
        assert (got.reason or "").startswith("TLS with kpi.test failed: "), got
        assert [s.path for s in src.seen] == ["/kpi"]
        # A redirect from http to the same host's https keeps the header; back down to http it does not.
        plain = Source()

        async def upgrade(request: web.Request) -> web.StreamResponse:
            raise web.HTTPMovedPermanently(src.url("/kpi", "kpi.test"))

        async def downgrade(request: web.Request) -> web.StreamResponse:
            raise web.HTTPFound(plain.url("/plain", "kpi.test"))
        plain.routes["/up"] = upgrade
        plain.json("/plain", {"v": 5})
        src.routes["/down"] = downgrade
        await plain.start()
        try:
            network = fake_network({"kpi.test": ["127.0.0.1"]}, ssl_context=client_context)
            got = await pull(plain.url("/up", "kpi.test"), "v", header=("X-Api-Key", TOKEN), _network=network)
            assert got == Pulled(11.0, None, 200)
            assert src.seen[-1].headers.get("X-Api-Key") == TOKEN
            got = await pull(src.url("/down", "kpi.test"), "v", header=("X-Api-Key", TOKEN), _network=network)
            assert got == Pulled(5.0, None, 200)
            assert src.seen[-1].headers.get("X-Api-Key") == TOKEN
            assert "X-Api-Key" not in plain.seen[-1].headers
        finally:
            await plain.stop()
    finally:
        await src.stop()


# -- the header and the query stay secret -----------------------------------------------------

async def test_the_header_is_sent_and_never_in_a_reason_or_a_log_line(source: Source, other: Source,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    echo_body: dict[str, object] = {}

    async def echo(request: web.Request) -> web.StreamResponse:
        auth = request.headers.get("Authorization", "")
        echo_body.update({"auth": auth, "bare": auth.split()[-1] if auth else "", "half": auth[:30],
                          "query": request.query.get("key", "")})
        return web.json_response(echo_body)

    async def away(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(other.url("/kpi?key=" + QUERY_SECRET, "other.test"))

    async def fail(request: web.Request) -> web.StreamResponse:
        return web.Response(status=503)
    source.routes.update({"/echo": echo, "/away": away, "/fail": fail})
    source.json("/kpi", {"data": [{"value": 4}]})
    other.json("/kpi", {"value": "nope"})
    network = fake_network({"public.test": ["127.0.0.1"], "other.test": ["127.0.0.1"], "private.test": ["10.9.9.9"]})
    header = ("Authorization", TOKEN)
    q = f"?key={QUERY_SECRET}"
    results = [
        await pull(source.url("/kpi" + q, "public.test"), "data.0.value", header=header, _network=network),
        await pull(source.url("/kpi" + q, "public.test"), "data.1.value", header=header, _network=network),
        await pull(source.url("/echo" + q, "public.test"), "auth", header=header, _network=network),
        await pull(source.url("/echo" + q, "public.test"), "bare", header=header, _network=network),
        await pull(source.url("/echo" + q, "public.test"), "half", header=header, _network=network),
        await pull(source.url("/echo" + q, "public.test"), "query", header=header, _network=network),
        await pull(source.url("/away" + q, "public.test"), "value", header=header, _network=network),
        await pull(source.url("/fail" + q, "public.test"), "v", header=header, _network=network),
        await pull("http://private.test/kpi" + q, "v", header=header, _network=network),
        await pull(source.url("/kpi" + q), "v", header=header),
        await pull(source.url("/kpi" + q), "v", header=("Authorization", TOKEN + "\r\nX-Evil: 1"), allow_private=True),
    ]
    assert results[0] == Pulled(4.0, None, 200)
    assert source.seen[0].headers["Authorization"] == TOKEN
    assert results[1].reason == "no `data.1.value` in the answer"
    for got in results[2:6]:
        assert got.reason is not None and got.reason.startswith("the value at `"), got
        assert "not shown: it looks like the header or the query" in got.reason
    assert results[6].reason == "`nope` at `value` is not a number"
    assert all("Authorization" not in s.headers for s in other.seen)
    assert results[7].reason == "HTTP 503"
    assert results[8].reason == "refused: private.test resolves to a private address (10.9.9.9)"
    assert results[9].reason == "refused: 127.0.0.1 is a private address"
    assert results[10].reason == "the header value must be one line of text"
    secrets = [TOKEN, BARE_TOKEN, TOKEN[:30], BARE_TOKEN[:12], QUERY_SECRET, "key="]
    for got in results:
        assert not any(secret in (got.reason or "") for secret in secrets), got
    lines = [record.getMessage() for record in caplog.records]
    lines += [record.exc_text or "" for record in caplog.records]
    assert any("kpi pull" in line for line in lines)  # the failures were logged...
    leaked = [line for line in lines if any(secret in line for secret in secrets)]
    assert leaked == []  # ...with host and path only
    assert any("public.test" in line and "/kpi" in line for line in lines)


@pytest.mark.parametrize(("header", "reason"), [
    (("Bad Name", "x"), "the header name must be letters, digits and dashes"),
    (("", "x"), "the header name must be letters, digits and dashes"),
    (("Host", TOKEN), "the header `Host` is set by the bot and cannot be given"),
    (("X-Key", TOKEN + "\n"), "the header value must be one line of text"),
    (("X-Key", "tökén"), "the header value must be plain ASCII text"),
])
async def test_a_malformed_header_is_refused_before_any_request(source: Source, header: tuple[str, str],
                                                                reason: str) -> None:
    source.json("/kpi", {"v": 1})
    assert await pull(source.url("/kpi"), "v", header=header, allow_private=True) == Pulled(None, reason)
    assert source.seen == []


async def test_a_bad_url_gets_the_check_url_reason() -> None:
    assert await pull("file:///etc/passwd", "v") == Pulled(None, "only http:// and https:// URLs can be pulled")
    assert await pull(f"http://user:{QUERY_SECRET}@example.com/", "v") == Pulled(
        None, "the URL must not hold a user name or password (use the header for a token)")


def test_the_setting_defaults_to_refusing() -> None:
    assert load_settings(_env_file=None).kpi_allow_private_urls is False
    assert load_settings(_env_file=None, kpi_allow_private_urls="true").kpi_allow_private_urls is True


# -- value_at and check_url, property-based -----------------------------------------------------

KEYS = st.text(min_size=1, max_size=8).filter(lambda k: "." not in k)
NUMBERS = st.one_of(st.integers(-10**15, 10**15), st.floats(allow_nan=False, allow_infinity=False))
JSON = st.recursive(st.none() | st.booleans() | NUMBERS | st.text(max_size=10),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4), max_leaves=20)


@st.composite
def placed(draw: st.DrawFn) -> tuple[object, str, float]:
    """A number buried at a random path among random siblings: (data, path, number)."""
    number = draw(NUMBERS)
    node: object = draw(st.one_of(st.just(number), st.just(repr(float(number))), st.just(str(number))))
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 5))):
        if draw(st.booleans()):
            siblings = draw(st.lists(JSON, max_size=3))
            at = draw(st.integers(0, len(siblings)))
            siblings.insert(at, node)
            negative = draw(st.booleans())
            parts.append(str(at - len(siblings) if negative else at))
            node = siblings
        else:
            key = draw(KEYS)
            siblings_d = draw(st.dictionaries(KEYS, JSON, max_size=3))
            siblings_d[key] = node
            parts.append(key)
            node = siblings_d
    parts.reverse()
    return node, ".".join(parts), float(number)


@SETTINGS
@given(placed())
def test_value_at_finds_a_number_wherever_it_is_put(case: tuple[object, str, float]) -> None:
    data, path, number = case
    assert value_at(data, path) == number
    assert value_at(json.loads(json.dumps(data)), path) == number  # the same once through JSON


@SETTINGS
@given(JSON, st.text(max_size=20))
def test_value_at_returns_a_finite_number_or_a_reason(data: object, path: str) -> None:
    try:
        got = value_at(data, path)
    except ValueError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert isinstance(got, float) and math.isfinite(got)


@SETTINGS
@given(st.one_of(st.booleans(), st.none(), st.text().filter(lambda t: not _numeric(t)),
                 st.lists(NUMBERS, max_size=2), st.dictionaries(KEYS, NUMBERS, max_size=2)))
def test_what_is_not_a_number_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="is not a number$"):
        value_at({"v": value}, "v")


def _numeric(text: str) -> bool:
    import re
    return re.fullmatch(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*", text) is not None and \
        math.isfinite(float(text))


HOSTS = st.from_regex(r"[a-z][a-z0-9-]{0,15}(\.[a-z][a-z0-9-]{0,15}){0,3}", fullmatch=True)
PATHS = st.from_regex(r"(/[A-Za-z0-9._~-]{0,10}){0,4}", fullmatch=True)
QUERIES = st.from_regex(r"(\?[a-z]{1,8}=[A-Za-z0-9]{0,20}(&[a-z]{1,8}=[A-Za-z0-9]{0,20}){0,2})?", fullmatch=True)
PORTS = st.one_of(st.just(""), st.integers(1, 65535).map(lambda p: f":{p}"))


@SETTINGS
@given(st.sampled_from(["http", "https", "HTTP", "Https"]), HOSTS, PORTS, PATHS, QUERIES)
def test_check_url_accepts_http_and_https_urls(scheme: str, host: str, port: str, path: str, query: str) -> None:
    assert check_url(f"{scheme}://{host}{port}{path}{query}") is None


@SETTINGS
@given(st.sampled_from(["http", "https"]), st.from_regex(r"[a-z0-9]{1,8}(:[A-Za-z0-9]{0,12})?", fullmatch=True), HOSTS, PATHS)
def test_check_url_refuses_a_user_name_or_password(scheme: str, userinfo: str, host: str, path: str) -> None:
    reason = check_url(f"{scheme}://{userinfo}@{host}{path}")
    assert reason == "the URL must not hold a user name or password (use the header for a token)"


@SETTINGS
@given(st.from_regex(r"[a-z][a-z0-9+.-]{0,10}", fullmatch=True).filter(lambda s: s not in {"http", "https"}), HOSTS, PATHS)
def test_check_url_refuses_other_schemes(scheme: str, host: str, path: str) -> None:
    assert check_url(f"{scheme}://{host}{path}") == "only http:// and https:// URLs can be pulled"


URLISH = st.one_of(st.text(max_size=40), st.builds(lambda a, b: f"http{a}://{b}", st.text(max_size=3), st.text(max_size=30)),
                   st.builds(lambda h, q: f"https://{h}/?key={q}", st.text(max_size=20), st.text(max_size=20)))


@SETTINGS
@given(URLISH)
def test_check_url_says_why_or_the_url_works_for_httpx(url: str) -> None:
    reason = check_url(url)
    if reason is None:
        parsed = httpx.URL(url)
        assert parsed.scheme in {"http", "https"} and parsed.host and not parsed.userinfo
    else:
        assert isinstance(reason, str) and reason and "\n" not in reason
        assert "key=" not in reason and len(reason) < 120  # never the URL (its query may hold a key)
