"""Start-up faults, each as one line: the variable at fault, what was tried (a host and port, a
path, a URL; never a token or a password) and what to do about it. `prodops-bot` prints it after
`prodops-bot: error: ` and exits with status 2."""
from __future__ import annotations

import asyncio
import errno
import os
import socket
import ssl
import sqlite3
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
from sqlalchemy.engine import make_url

from bot.config import DEFAULT_API_URL, Settings

PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")  # slack_sdk's order


class StartupError(Exception):
    """Stops the bot with exit status 2 and one line naming the variable at fault."""


def process_user() -> str:
    """`uid 10001 (prodops)`: who the bot runs as, for permission problems."""
    if not hasattr(os, "getuid"):
        return "this user"
    uid = os.getuid()
    try:
        import pwd

        return f"uid {uid} ({pwd.getpwuid(uid).pw_name})"
    except (ImportError, KeyError):
        return f"uid {uid}"


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception, what it wraps (SQLAlchemy's .orig) and what caused it, outermost first."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        todo += [getattr(current, "orig", None), current.__cause__, current.__context__]
    return seen


def _first(chain: list[BaseException], kind: type[BaseException] | tuple[type[BaseException], ...]) -> BaseException | None:
    return next((e for e in chain if isinstance(e, kind)), None)


def _strerror(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


# -- the database -----------------------------------------------------------------------------

def database_variable(settings: Settings) -> str:
    return "DATA_DIR" if settings.database_from_data_dir else "DATABASE_URL"


def _elsewhere(variable: str, user: str = "it") -> str:
    """How to move the database somewhere writable, for the variable that placed it."""
    if variable == "DATA_DIR":
        return f"set DATA_DIR to a directory {user} can write"
    return f"point DATABASE_URL at a file in a directory {user} can write"


def check_sqlite_location(settings: Settings) -> None:
    """Before the engine opens it: the SQLite file's directory exists (created if need be) and
    this user can create files in it (SQLite writes -wal and -shm files next to the database).
    Real attempts, not os.access: root, read-only mounts and ACLs all answer truthfully."""
    path = settings.sqlite_path()
    if path is None:
        return
    variable, directory = database_variable(settings), path.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".prodops-write-check-"):
            pass
        if path.exists():
            if not path.is_file():
                raise StartupError(f"{variable}: {path} is not a file; remove what is at that path or "
                                   f"{_elsewhere(variable)}")
            with path.open("r+b"):
                pass
    except StartupError:
        raise
    except OSError as exc:
        raise StartupError(_sqlite_os_problem(variable, path, exc)) from None


def _sqlite_os_problem(variable: str, path: Path, exc: OSError) -> str:
    directory = path.parent
    target = Path(exc.filename) if isinstance(exc.filename, str) else directory
    blocker = next((p for p in [directory, *directory.parents] if p.exists() and not p.is_dir()), None)
    if blocker is not None and (isinstance(exc, (NotADirectoryError, FileExistsError))
                                or exc.errno in (errno.ENOTDIR, errno.EEXIST)):
        return (f"{variable}: cannot create the database directory {directory}: {blocker} is a file, not a "
                f"directory; {_elsewhere(variable, process_user())}")
    if exc.errno == errno.EROFS:
        return (f"{variable}: cannot write the database in {directory}: {target} is on a read-only file system; "
                f"{_elsewhere(variable, 'the bot')} (in Docker, mount a writable volume there)")
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        existing = next((p for p in [target, *target.parents] if p.exists()), target)
        try:
            owner = f"; it belongs to uid {existing.stat().st_uid}"
        except OSError:
            owner = ""
        user = process_user()
        uid = user.split()[1] if user.startswith("uid ") else "the bot's user"
        return (f"{variable}: {user} may not write to {existing} (permission denied{owner}); make it writable "
                f"by that user (chown {uid} {existing}) or {_elsewhere(variable)}")
    if exc.errno == errno.ENOSPC:
        return f"{variable}: no space left on the device holding {directory}; free some space or {_elsewhere(variable)}"
    return f"{variable}: cannot open the database {path} ({_strerror(exc)}); {_elsewhere(variable, process_user())}"


def database_problem(settings: Settings, exc: BaseException) -> str:
    """Why opening and migrating the database failed, for the DATABASE_URL (or DATA_DIR) at hand."""
    chain = _chain(exc)
    if settings.database_backend == "sqlite":
        return _sqlite_problem(settings, chain)
    return _postgres_problem(settings, chain)


def _sqlite_problem(settings: Settings, chain: list[BaseException]) -> str:
    variable, path = database_variable(settings), settings.sqlite_path()
    os_error = _first(chain, OSError)
    if os_error is not None and path is not None and isinstance(os_error, OSError):
        return _sqlite_os_problem(variable, path, os_error)
    db_error = _first(chain, sqlite3.Error)
    message = str(db_error or "").lower()
    if "not a database" in message or "malformed" in message:
        return (f"{variable}: {path} is not a readable SQLite database ({db_error}); restore it from a backup "
                f"(README, \"Where the data lives\") or {_elsewhere(variable)}")
    if "readonly" in message or "read-only" in message:
        return (f"{variable}: {process_user()} may not write to the database {path} (read-only); make the file and its "
                f"directory writable by that user or {_elsewhere(variable)}")
    if "locked" in message or "busy" in message:
        return (f"{variable}: the database {path} stayed locked by another process for over 5 s; "
                "stop whatever holds it (a second bot on the same file?) and start again")
    if "unable to open" in message:
        return (f"{variable}: SQLite cannot open {path} (unable to open database file); check that "
                f"{process_user()} can write to {path.parent if path else 'its directory'}")
    return _fallback(settings, chain)


def _postgres_problem(settings: Settings, chain: list[BaseException]) -> str:
    import asyncpg

    url = make_url(settings.database_url)
    host, port, user, name = url.host or "localhost", url.port or 5432, url.username or "", url.database or ""
    where = f"{host}:{port}"
    pg = _first(chain, asyncpg.PostgresError)
    if isinstance(pg, asyncpg.InvalidCatalogNameError):
        return (f'DATABASE_URL: PostgreSQL at {where} has no database "{name}"; create it '
                f"(createdb -h {host} -p {port}{' -U ' + user if user else ''} {name}) or correct the database name")
    if isinstance(pg, asyncpg.InvalidPasswordError):
        return (f'DATABASE_URL: PostgreSQL at {where} refused the password of user "{user}"; '
                "correct the user name and password in DATABASE_URL")
    if isinstance(pg, asyncpg.InvalidAuthorizationSpecificationError):
        return (f'DATABASE_URL: PostgreSQL at {where} refused user "{user}" ({pg}); correct the user in '
                "DATABASE_URL, or let it connect (CREATE ROLE, pg_hba.conf)")
    if isinstance(pg, asyncpg.InsufficientPrivilegeError):
        return (f'DATABASE_URL: user "{user}" may not create the bot\'s tables in "{name}" at {where} ({pg}); '
                f'connect as the database owner or GRANT CREATE ON SCHEMA public TO "{user}"')
    if isinstance(pg, (asyncpg.TooManyConnectionsError, asyncpg.CannotConnectNowError)):
        return f"DATABASE_URL: PostgreSQL at {where} does not accept connections now ({pg}); start again once it does"
    dns = _first(chain, socket.gaierror)
    if dns is not None:
        return (f"DATABASE_URL: cannot resolve the database host {host} ({_strerror(dns)}); correct the host "
                "name in DATABASE_URL or check this machine's DNS")
    refused = _first(chain, ConnectionRefusedError)
    if refused is not None or any("connect call failed" in str(e).lower() for e in chain):
        return (f"DATABASE_URL: nothing accepts connections at {where} (connection refused); start PostgreSQL "
                "there or correct the host and port in DATABASE_URL")
    if _first(chain, (asyncio.TimeoutError, TimeoutError)) is not None:
        return f"DATABASE_URL: no answer from PostgreSQL at {where} within 5 s; check the host, port and firewall"
    tls = _first(chain, ssl.SSLError)
    if tls is not None:
        return f"DATABASE_URL: the TLS handshake with {where} failed ({tls}); check the ssl options in DATABASE_URL"
    other = _first(chain, OSError)
    if other is not None and pg is None:
        return f"DATABASE_URL: cannot connect to PostgreSQL at {where} ({_strerror(other)})"
    return _fallback(settings, chain)


def _fallback(settings: Settings, chain: list[BaseException]) -> str:
    innermost = chain[-1] if chain else None
    kind = type(innermost).__name__ if innermost is not None else "error"
    return (f"{database_variable(settings)}: could not open and migrate the database ({settings.database_location}: "
            f"{kind}); LOG_LEVEL=DEBUG shows the details")


# -- HOST and PORT ------------------------------------------------------------------------------

def listen_problem(host: str, port: int, exc: OSError) -> str:
    where = f"{host}:{port}"
    if isinstance(exc, socket.gaierror):
        return (f"HOST: cannot resolve {host} to an address to listen on ({_strerror(exc)}); set HOST to an "
                "address of this machine: 0.0.0.0 (every interface) or 127.0.0.1 (this machine only)")
    if exc.errno == errno.EADDRINUSE:
        return f"PORT: {where} is already in use by another process; stop that process or set PORT to a free port"
    if exc.errno == errno.EADDRNOTAVAIL:
        return (f"HOST: {host} is not an address of this machine (cannot listen on {where}); set HOST to 0.0.0.0 "
                "or one of this machine's addresses")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return (f"PORT: {process_user()} may not listen on {where} (permission denied: ports below 1024 need "
                "privileges); set PORT to 1024 or above")
    return f"HOST, PORT: cannot listen on {where} ({_strerror(exc)})"


# -- Slack ------------------------------------------------------------------------------------

def proxy_in_use() -> tuple[str, str] | None:
    """(variable, proxy URL without its credentials) when slack_sdk will use an env proxy."""
    for name in PROXY_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            parts = urlsplit(value)
            shown = f"{parts.scheme}://{parts.hostname}{':' + str(parts.port) if parts.port else ''}" \
                if parts.hostname else "(unreadable URL)"
            return name, shown
    return None


def slack_where(settings: Settings) -> str:
    """`Slack at https://slack.com/api/`, with the proxy when one is used."""
    proxy = proxy_in_use()
    via = f" through the proxy {proxy[1]} from {proxy[0]}" if proxy else ""
    return f"Slack at {settings.slack_api_url}{via}"


def connection_reason(exc: BaseException, settings: Settings) -> str:
    """Why a Web API call did not get an answer: DNS, refused, TLS, timeout, the proxy."""
    host = urlsplit(settings.slack_api_url).hostname or settings.slack_api_url
    os_error = getattr(exc, "os_error", None)
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        return f"the proxy answered HTTP {exc.status} {exc.message}".rstrip()
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        return f"the proxy: {_os_reason(os_error)}"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"cannot resolve {host}: {_strerror(os_error or exc)}"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"the TLS certificate of {host} was not accepted ({exc.certificate_error})"
    if isinstance(exc, aiohttp.ClientConnectorSSLError):
        return f"the TLS handshake with {host} failed"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return _os_reason(os_error)
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError, aiohttp.ServerTimeoutError)):
        return "no answer in time"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the connection closed before an answer"
    return type(exc).__name__


def _os_reason(error: BaseException | None) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, socket.gaierror):
        return f"cannot resolve the host: {_strerror(error)}"
    if isinstance(error, OSError):
        return _strerror(error).lower()
    return "no connection"


def slack_unreachable(settings: Settings, variable: str, reason: str, waited: str) -> str:
    """The final line when no answer came within the start-up wait: the network, not the token."""
    proxy = proxy_in_use()
    if settings.slack_api_url != DEFAULT_API_URL:
        prefix, advice = "SLACK_API_URL: ", "check SLACK_API_URL (leave it unset for https://slack.com/api/) and this machine's network"
    elif proxy is not None:
        prefix, advice = f"{proxy[0]}: ", f"check the proxy in {proxy[0]}"
    else:
        prefix, advice = "", "check this machine's network, DNS and proxy settings (HTTPS_PROXY)"
    return (f"{prefix}could not reach {slack_where(settings)} ({reason}), tried for {waited}; {variable} was not "
            f"checked. {advice[0].upper() + advice[1:]}, then start the bot again")


def slack_unavailable(settings: Settings, variable: str, method: str, reason: str, waited: str) -> str:
    """Slack answered, but as an outage (5xx, 429, service_unavailable): not the token's fault."""
    prefix = "SLACK_API_URL: " if settings.slack_api_url != DEFAULT_API_URL else ""
    return (f"{prefix}{slack_where(settings)} is unavailable: it answered {reason} to {method} for {waited}, so "
            f"{variable} was not checked (it was not rejected). See https://slack-status.com and start the bot again")


def slack_not_the_api(settings: Settings, method: str, status: int) -> str:
    """An answer that is not the Web API's (a 404 page, a captive portal): the URL or a proxy."""
    prefix = "SLACK_API_URL: " if settings.slack_api_url != DEFAULT_API_URL else ""
    return (f"{prefix}{slack_where(settings)} answered {method} with HTTP {status} and no Slack error, so it is not "
            "Slack's Web API; check SLACK_API_URL (leave it unset for https://slack.com/api/) and any proxy in between")


TOKEN_SOURCES = {
    "SLACK_BOT_TOKEN": "copy the Bot User OAuth Token (xoxb-…) again from your Slack app's Install App page "
                       "(reinstall the app if it was removed)",
    "SLACK_APP_TOKEN": "generate an App-Level Token (xapp-…) with the connections:write scope under Basic "
                       "Information, or unset SLACK_APP_TOKEN to run in HTTP mode",
}


def token_rejected(variable: str, error: str) -> str:
    return f"{variable} was rejected by Slack ({error}); {TOKEN_SOURCES.get(variable, 'check it')}"


def waited_for(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"
