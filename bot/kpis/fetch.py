"""The HTTP pull of a KPI value (issue 13): one GET, a number at a dotted path in the JSON answer.

Safe against server-side request forgery. Unless `allow_private` (KPI_ALLOW_PRIVATE_URLS) is
set, an address that is not public (loopback, private, link-local, CGNAT, multicast, reserved,
unspecified, IPv4 and IPv6 alike, an IPv4 address wrapped in IPv6 included) is refused. The check
is made on the address actually connected to: the httpcore network backend below resolves the
host itself, once per connection, drops the refused addresses and connects to an allowed one by
its IP, then checks the peer address of the open socket again. There is no earlier lookup whose
answer could differ from the one used (DNS rebinding), and every redirect hop (followed here, at
most MAX_REDIRECTS, http and https only) opens its connections through the same backend. TLS
still verifies the certificate against the host name: httpcore passes the URL's host as
`server_hostname` to `start_tls` whatever address the stream is connected to.

No proxy from the environment is used (it would be the address connected to) and no .netrc.
The header (an API token) goes to the URL's origin only, never to another host after a redirect,
and is never part of a reason or a log line; neither is the URL's query string (logs name host
and path only). Reasons are one line for people, shown in Slack beside the KPI.
"""
from __future__ import annotations

import asyncio
import contextvars
import ipaddress
import json
import logging
import math
import os
import re
import socket
import ssl
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

log = logging.getLogger(__name__)

# httpcore's DEBUG traces print response headers (a redirect's Location, with its query string)
# and the like; during a pull they are dropped, and this module's own lines say what happened.
_PULLING: contextvars.ContextVar[bool] = contextvars.ContextVar("kpi_pulling", default=False)


class _QuietDuringPulls(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not _PULLING.get()


for _name in ("httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy", "httpcore.socks"):
    logging.getLogger(_name).addFilter(_QuietDuringPulls())

MAX_REDIRECTS = 3
# A pull's default time limit (each phase and the whole pull, redirects included), read at each
# pull: tests lower it to time a source out quickly; a caller may pass its own `timeout`.
PULL_TIMEOUT_SECONDS = 10.0
MAX_URL_LENGTH = 2000
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
USER_AGENT = "prodops-bot (KPI pull)"
SHOWN_VALUE_LENGTH = 40

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
CGNAT = ipaddress.ip_network("100.64.0.0/10")
# Not globally reachable (IANA special-purpose registries), whatever this Python's ipaddress says:
# its lists changed between versions (192.0.0.0/24 is only partly there in 3.11).
NOT_PUBLIC = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    "::/128", "::1/128", "100::/64", "2001::/23", "2001:db8::/32", "3fff::/20", "5f00::/16",
    "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8"))
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Headers the pull sets itself or that change how the request is framed.
RESERVED_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "te", "upgrade",
                    "accept-encoding", "trailer", "keep-alive", "proxy-connection"}
NUMERIC_STRING = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*")
INDEX = re.compile(r"-?\d+")


@dataclass(frozen=True)
class Pulled:
    value: float | None   # the number, when the pull worked
    reason: str | None    # why not, one short line for people; None when ok
    status: int | None = None  # the HTTP status when there was an answer


# -- addresses -----------------------------------------------------------------------------

def _listed_not_public(ip: IPAddress) -> bool:
    return any(ip.version == net.version and ip in net for net in NOT_PUBLIC)


def _public_v4(ip: ipaddress.IPv4Address) -> bool:
    return (ip.is_global and not _listed_not_public(ip) and not ip.is_multicast and not ip.is_reserved
            and not ip.is_unspecified and not ip.is_loopback and not ip.is_link_local
            and not ip.is_private)


def is_public(ip: IPAddress) -> bool:
    """An address a pull may connect to by default: globally routable unicast. An IPv6 address
    that carries an IPv4 one (IPv4-mapped, IPv4-compatible, 6to4, NAT64) is judged by that."""
    if isinstance(ip, ipaddress.IPv4Address):
        return _public_v4(ip)
    ip = ipaddress.IPv6Address(ip.packed)  # without a %scope
    if ip.ipv4_mapped is not None:
        return _public_v4(ip.ipv4_mapped)
    if any(ip in net for net in NAT64):
        return _public_v4(ipaddress.IPv4Address(ip.packed[-4:]))
    if ip.packed[:12] == bytes(12):  # ::a.b.c.d (deprecated IPv4-compatible), ::, ::1
        return False
    if ip.sixtofour is not None and not _public_v4(ip.sixtofour):
        return False
    if ip.teredo is not None:
        return False
    return (ip.is_global and not _listed_not_public(ip) and not ip.is_multicast and not ip.is_reserved
            and not ip.is_unspecified and not ip.is_loopback and not ip.is_link_local
            and not ip.is_site_local and not ip.is_private)


async def system_resolve(host: str, port: int) -> list[str]:
    """The host's addresses from getaddrinfo, in its order (run in the loop's executor, off the
    event loop). Raises OSError (socket.gaierror) when the name does not resolve."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                         proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class Network:
    """How a pull reaches addresses: the resolver, the address policy, the TLS context. The
    default is the production one; tests pass their own (`pull(..., _network=...)`) to resolve
    names to 127.0.0.1 and to call some loopback address public."""
    resolve: Callable[[str, int], Awaitable[list[str]]] = system_resolve
    allowed: Callable[[IPAddress], bool] = is_public
    ssl_context: ssl.SSLContext | None = None


_default_ssl_context: ssl.SSLContext | None = None


def default_ssl_context() -> ssl.SSLContext:
    """httpx's verifying context (certifi, or SSL_CERT_FILE / SSL_CERT_DIR), made once: building
    one per pull costs milliseconds of CPU, and a context is safe to share between connections."""
    global _default_ssl_context
    if _default_ssl_context is None:
        _default_ssl_context = httpx.create_ssl_context()
    return _default_ssl_context


class Unreachable(Exception):
    """Raised by the backend through httpcore and httpx untouched (neither maps exceptions that
    are not their own): `reason` is the line for people."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _listed(addresses: Iterable[str]) -> str:
    addresses = list(addresses)
    shown = ", ".join(addresses[:3])
    return shown + (f" and {len(addresses) - 3} more" if len(addresses) > 3 else "")


def _causes(exc: BaseException | None) -> list[BaseException]:
    """The exception and those under it: httpx's and httpcore's wrap the OS or TLS one (as the
    cause, or as the context where httpcore's pool re-raises `from None`)."""
    chain: list[BaseException] = []
    while exc is not None and len(chain) < 8:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def _os_reason(exc: BaseException | None) -> str:
    """`Connection refused` and the like, from the OSError under httpcore's and anyio's own
    ("All connection attempts failed")."""
    for under in _causes(exc):
        if isinstance(under, OSError) and under.errno:
            return os.strerror(under.errno)
        if isinstance(under, OSError) and under.strerror:
            return under.strerror
    return "no answer"


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to allowed addresses (see the module's
    docstring). `allow_private` connects to whatever the host resolves to, still by IP."""

    def __init__(self, network: Network, *, allow_private: bool) -> None:
        self._network = network
        self._allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()

    def _allowed(self, ip: IPAddress) -> bool:
        return self._allow_private or self._network.allowed(ip)

    async def _addresses(self, host: str, port: int) -> list[str]:
        literal = _parse_ip(host)
        if literal is not None:
            return [host]
        try:
            found = await self._network.resolve(host, port)
        except OSError as exc:
            raise Unreachable(f"cannot resolve {host} ({exc.strerror or type(exc).__name__})") from None
        unique = list(dict.fromkeys(found))
        if not unique:
            raise Unreachable(f"cannot resolve {host} (no address)")
        return unique

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None,
                          ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._addresses(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        literal = _parse_ip(host) is not None
        allowed: list[str] = []
        refused: list[str] = []
        for address in addresses:
            ip = _parse_ip(address)
            if ip is None:
                refused.append(address)
            elif self._allowed(ip):
                # An IPv4-mapped address is connected to as the IPv4 address it stands for.
                mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
                allowed.append(str(mapped) if mapped is not None and self._allowed(mapped) else address)
            else:
                refused.append(address)
        if not allowed:
            if literal:
                raise Unreachable(f"refused: {host} is a private address")
            kind = "a private address" if len(refused) == 1 else "private addresses only"
            raise Unreachable(f"refused: {host} resolves to {kind} ({_listed(refused)})")
        if refused:
            log.debug("kpi pull: %s: not connecting to %s (not public)", host, _listed(refused))
        last: Exception | None = None
        for address in allowed:
            try:
                stream = await self._inner.connect_tcp(address, port, timeout=timeout,
                                                       local_address=local_address,
                                                       socket_options=socket_options)
            except httpcore.ConnectTimeout:
                raise
            except httpcore.ConnectError as exc:
                last = exc
                continue
            peer = stream.get_extra_info("server_addr")
            peer_ip = _parse_ip(str(peer[0])) if isinstance(peer, tuple) and peer else None
            if peer_ip is None or not self._allowed(peer_ip):
                await stream.aclose()
                raise Unreachable(f"refused: {host} connected to a private address ({peer_ip or 'unknown'})")
            return stream
        raise Unreachable(f"cannot connect to {host}:{port} ({_os_reason(last)})")

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None,
                                  ) -> httpcore.AsyncNetworkStream:
        raise Unreachable("refused: not a TCP address")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def guarded_transport(network: Network, *, allow_private: bool) -> httpx.AsyncHTTPTransport:
    """httpx's transport over an httpcore pool with the guarded backend. httpx 0.28's
    AsyncHTTPTransport takes no `network_backend`, so its pool (`_pool`, which its
    handle_async_request uses) is replaced by one built with the same settings plus the backend."""
    context = network.ssl_context or default_ssl_context()
    transport = httpx.AsyncHTTPTransport(verify=context, trust_env=False, retries=0)
    if not isinstance(getattr(transport, "_pool", None), httpcore.AsyncConnectionPool):
        raise RuntimeError("httpx.AsyncHTTPTransport no longer keeps an httpcore pool in _pool")
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=context, max_connections=4, max_keepalive_connections=4, keepalive_expiry=5.0,
        http1=True, http2=False, retries=0,
        network_backend=GuardedBackend(network, allow_private=allow_private))
    return transport


# -- URLs ------------------------------------------------------------------------------------

def check_url(url: str) -> str | None:
    """A cheap syntactic check of a pull URL, for the form: http or https, a host, no user name
    or password. The reason, or None. Never repeats the URL (its query may hold a key)."""
    if not isinstance(url, str) or not url:
        return "the URL is empty"
    if len(url) > MAX_URL_LENGTH:
        return f"the URL is longer than {MAX_URL_LENGTH} characters"
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return "the URL has spaces or control characters"
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in {"http", "https"}:
        return "only http:// and https:// URLs can be pulled"
    if not url[len(scheme) + 1:].startswith("//"):
        return "the URL has no host (it should start with http:// or https://)"
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        return "not a valid URL"
    if parsed.scheme not in {"http", "https"}:
        return "only http:// and https:// URLs can be pulled"
    if not parsed.host:
        return "the URL has no host"
    if parsed.userinfo:
        return "the URL must not hold a user name or password (use the header for a token)"
    return None


def _where(url: httpx.URL) -> str:
    """Host, port and path, for logs: never the query string or a user name."""
    port = f":{url.port}" if url.port else ""
    return f"{url.host}{port}{url.path}"


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80)


# -- answers ---------------------------------------------------------------------------------

def _size(limit: int) -> str:
    if limit >= 1_000_000:
        return f"{limit / 1_000_000:g} MB"
    if limit >= 1000:
        return f"{limit / 1000:g} kB"
    return f"{limit} bytes"


def _shown(value: object, length: int = SHOWN_VALUE_LENGTH) -> str:
    try:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    except (ValueError, RecursionError):
        text = "a nested value"
    text = " ".join(text.split()).replace("`", "'")
    return text if len(text) <= length else text[:length - 1] + "…"


def value_at(data: object, path: str) -> float:
    """The number at a dotted path of decoded JSON: dict keys and list indexes, as in
    `data.0.value` (a negative index counts from the end: `data.-1.value`; an empty path is the
    whole answer). A JSON number or a numeric string (`"42.5"`, `"-3"`, `"1e3"`; not `"1,200"`,
    `"42%"`, `"NaN"`) is accepted; a bool, null, an object or a list is not, nor is an infinite
    or NaN value. Raises ValueError(reason) with the reason for people."""
    if not isinstance(path, str):
        raise ValueError("the path is not text")
    parts = path.split(".") if path else []
    shown_path = _shown(path, 80)
    if any(part == "" for part in parts):
        raise ValueError(f"`{shown_path}` is not a dotted path (an empty part between dots)")
    node = data
    for part in parts:
        if isinstance(node, dict):
            if part not in node:
                raise ValueError(f"no `{shown_path}` in the answer")
            node = node[part]
        elif isinstance(node, list) and INDEX.fullmatch(part):
            index = int(part)
            if not -len(node) <= index < len(node):
                raise ValueError(f"no `{shown_path}` in the answer")
            node = node[index]
        else:
            raise ValueError(f"no `{shown_path}` in the answer")
    where = f"at `{shown_path}`" if path else "as the whole answer"
    number: float | None = None
    if isinstance(node, bool):
        number = None
    elif isinstance(node, (int, float)):
        try:
            number = float(node)
        except OverflowError:
            number = None
    elif isinstance(node, str) and len(node) <= 100 and NUMERIC_STRING.fullmatch(node):
        number = float(node)
    if number is None or not math.isfinite(number):
        raise ValueError(f"`{_shown(node)}` {where} is not a number")
    return number


class _Body:
    """The answer's bytes, decompressed as they come and stopped past the limit."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self._encoding = encoding
        if encoding in {"", "identity"}:
            self._decoder = None
        elif encoding in {"gzip", "x-gzip"}:
            self._decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._decoder = zlib.decompressobj()
        else:
            raise ValueError(encoding)

    @property
    def over(self) -> bool:
        return len(self.data) > self.limit

    def feed(self, chunk: bytes) -> None:
        if self._decoder is None:
            self.data += chunk[: self.limit + 1 - len(self.data)]
            return
        pending = chunk
        while pending and not self.over:
            try:
                out = self._decoder.decompress(pending, self.limit + 1 - len(self.data))
            except zlib.error:
                if self._encoding != "deflate" or self.data:
                    raise
                self._encoding = "raw deflate"  # "deflate" sent without its zlib header
                self._decoder = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            self.data += out
            pending = self._decoder.unconsumed_tail

    def finish(self) -> None:
        if self._decoder is not None and not self.over:
            self.data += self._decoder.flush()[: self.limit + 1 - len(self.data)]


def _not_json(response: httpx.Response) -> str:
    kind = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return f"not JSON ({_shown(kind)})" if kind and "json" not in kind else "not JSON"


async def _read(response: httpx.Response, max_bytes: int) -> bytes | str:
    """The (decoded) body, or the reason it was not read whole."""
    too_large = f"answer larger than {_size(max_bytes)}"
    encoding = response.headers.get("content-encoding", "").strip().lower()
    try:
        body = _Body(encoding, max_bytes)
    except ValueError:
        return f"answer in an encoding the bot does not read ({_shown(encoding)})"
    declared = response.headers.get("content-length", "")
    if body._decoder is None and declared.isdigit() and int(declared) > max_bytes:
        return too_large
    try:
        async for chunk in response.aiter_raw():
            body.feed(chunk)
            if body.over:
                return too_large
        body.finish()
    except zlib.error:
        return f"answer not readable as {encoding}"
    return too_large if body.over else bytes(body.data)


# -- the pull ----------------------------------------------------------------------------------

@dataclass
class _Secrets:
    """What must never be shown: the header value (and its words, as a server might echo only
    the token after `Bearer`) and the query string's values."""
    words: list[str] = field(default_factory=list)

    def add(self, text: str, *, whole_from: int = 4, words_from: int = 6) -> None:
        candidates = [text] if len(text) >= whole_from else []
        candidates += [word for word in text.split() if len(word) >= words_from]
        for word in candidates:
            if word not in self.words:
                self.words.append(word)

    def leaks(self, text: str) -> bool:
        """Case-insensitively: a server may echo the token upper-cased."""
        folded = text.casefold()
        for word in (w.casefold() for w in self.words):
            if word in folded:
                return True
            if len(word) >= 8 and any(word[i:i + 8] in folded for i in range(len(word) - 7)):
                return True
        return False

    def scrub(self, reason: str) -> str:
        for word in sorted(self.words, key=len, reverse=True):
            reason = re.sub(re.escape(word), "…", reason, flags=re.IGNORECASE)
        return reason


def _hidden_value(path: str) -> str:
    where = f"at `{_shown(path, 80)}`" if path else "as the whole answer"
    return f"the value {where} is not a number (not shown: it looks like the header or the query)"


def _transport_reason(exc: httpx.TransportError, url: httpx.URL, timeout: float) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {timeout:g} s"
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS with {url.host} failed: {cause.verify_message or 'certificate not trusted'}"
        if isinstance(cause, ssl.SSLError):
            return f"TLS with {url.host} failed ({cause.reason or type(cause).__name__})"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect to {url.host}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"{url.host} broke off or sent a malformed HTTP answer"
    if isinstance(exc, httpx.ReadError):
        return f"the connection to {url.host} broke while reading"
    return f"request to {url.host} failed ({type(exc).__name__})"


async def pull(url: str, path: str, *, header: tuple[str, str] | None = None, allow_private: bool = False,
               timeout: float | None = None, max_bytes: int = 1_000_000, _network: Network | None = None) -> Pulled:
    """GET `url` and return the number at `path` of its JSON answer, or why not. Never raises for
    what the source or the network does. `timeout` (default PULL_TIMEOUT_SECONDS) bounds each
    phase (connect, read, write) and the whole pull, redirects included. `_network` is for tests
    only (see Network)."""
    if timeout is None:
        timeout = PULL_TIMEOUT_SECONDS
    secrets = _Secrets()
    if header is not None and isinstance(header[1], str):
        secrets.add(header[1])
    problem = check_url(url)
    if problem is None:
        for _, value in httpx.URL(url).params.multi_items():
            secrets.add(value, whole_from=6)
    if problem is None and header is not None:
        name, value = header
        if not HEADER_NAME.fullmatch(name or ""):
            problem = "the header name must be letters, digits and dashes"
        elif name.lower() in RESERVED_HEADERS:
            problem = f"the header `{name}` is set by the bot and cannot be given"
        elif not isinstance(value, str) or any(ord(ch) < 32 and ch != "\t" or ord(ch) == 127 for ch in value):
            problem = "the header value must be one line of text"
        elif not value.isascii():
            problem = "the header value must be plain ASCII text"
    if problem is not None:
        return _done(Pulled(None, secrets.scrub(problem)), url, secrets)
    network = _network or Network()
    pulling = _PULLING.set(True)
    try:
        async with asyncio.timeout(timeout):
            result = await _pull(httpx.URL(url), path, header, network, allow_private, timeout,
                                 max_bytes, secrets)
    except TimeoutError:
        result = Pulled(None, f"timed out after {timeout:g} s")
    except Exception as exc:  # noqa: BLE001 - a pull reports, it does not crash the tick
        log.warning("kpi pull %s: unexpected %s", secrets.scrub(_where(httpx.URL(url))), type(exc).__name__)
        result = Pulled(None, f"pull failed ({type(exc).__name__})")
    finally:
        _PULLING.reset(pulling)
    return _done(result, url, secrets)


def _done(result: Pulled, url: str, secrets: _Secrets) -> Pulled:
    if result.reason is not None:
        result = Pulled(None, secrets.scrub(result.reason), result.status)
        try:
            where = _where(httpx.URL(url))
        except (httpx.InvalidURL, ValueError, TypeError):
            where = "(an invalid URL)"
        log.info("kpi pull %s: %s", secrets.scrub(where), result.reason)
    return result


async def _pull(url: httpx.URL, path: str, header: tuple[str, str] | None, network: Network,
                allow_private: bool, timeout: float, max_bytes: int, secrets: _Secrets) -> Pulled:
    # Where the header goes: the URL's origin, and the same host's https after a redirect
    # upgrading to it; never another host, port or a downgrade to http.
    trusted = {_origin(url)}
    extensions = {"timeout": httpx.Timeout(timeout).as_dict()}
    async with guarded_transport(network, allow_private=allow_private) as transport:
        for hop in range(MAX_REDIRECTS + 1):
            headers = httpx.Headers({"User-Agent": USER_AGENT, "Accept": "application/json",
                                     "Accept-Encoding": "gzip"})
            if header is not None and _origin(url) in trusted:
                headers[header[0]] = header[1]
            request = httpx.Request("GET", url, headers=headers, extensions=extensions)
            try:
                response = await transport.handle_async_request(request)
            except Unreachable as exc:
                reason = exc.reason
                if hop:
                    reason += " (after a redirect)"
                return Pulled(None, reason)
            except httpx.TransportError as exc:
                return Pulled(None, _transport_reason(exc, url, timeout))
            response.request = request
            try:
                status = response.status_code
                if status in REDIRECT_STATUSES:
                    location = response.headers.get("location")
                    if not location:
                        return Pulled(None, f"HTTP {status} with no Location", status)
                    if hop == MAX_REDIRECTS:
                        return Pulled(None, f"more than {MAX_REDIRECTS} redirects", status)
                    try:
                        target = url.join(location)
                    except (httpx.InvalidURL, ValueError, TypeError):
                        return Pulled(None, "redirected to an invalid URL", status)
                    problem = check_url(str(target))
                    if problem is not None:
                        return Pulled(None, f"redirect refused: {problem}", status)
                    log.debug("kpi pull %s: HTTP %d, redirected to %s", secrets.scrub(_where(url)), status,
                              secrets.scrub(_where(target)))
                    if (_origin(url) in trusted and url.scheme == "http" and target.scheme == "https"
                            and target.host == url.host):
                        trusted.add(_origin(target))
                    url = target
                    continue
                if not 200 <= status < 300:
                    return Pulled(None, f"HTTP {status}", status)
                try:
                    body = await _read(response, max_bytes)
                except httpx.TransportError as exc:
                    return Pulled(None, _transport_reason(exc, url, timeout), status)
                if isinstance(body, str):
                    return Pulled(None, body, status)
                try:
                    data = json.loads(body)
                except (ValueError, RecursionError):
                    return Pulled(None, _not_json(response), status)
                try:
                    value = value_at(data, path)
                except ValueError as exc:
                    reason = str(exc)
                    if secrets.leaks(reason.replace(_shown(path, 80), "")):
                        reason = _hidden_value(path)
                    return Pulled(None, reason, status)
                log.debug("kpi pull %s: HTTP %d, %g", secrets.scrub(_where(url)), status, value)
                return Pulled(value, None, status)
            finally:
                await response.aclose()
    raise AssertionError("unreachable")  # pragma: no cover
