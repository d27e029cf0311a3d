"""Start-up faults, each run as the CLI in a subprocess: one line on stderr naming the variable,
what was tried and what to do, exit status 2, no secret. Placeholders from .env.example, where
the data lives (DATA_DIR), `prodops-bot backup`, and the migration lock on PostgreSQL."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import sqlite3
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.__main__ import _ask_slack
from bot.config import ConfigError, Settings, default_data_dir, load_settings
from bot.db import Database, create_engine
from bot.migrate import MIGRATION_LOCK_KEY, upgrade
from bot.startup import StartupError, database_problem
from models.workspace import Workspace
from tests.conftest import Bot
from tests.test_cli import bot_env

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "xoxb-very-secret-token-123"
SIGNING = "s3cr3t-signing-secret-0123456789ab"
PASSWORD = "hunter2-db-password"
WAIT = {"PRODOPS_STARTUP_WAIT_SECONDS": "1"}  # the Slack outage wait, 120 s in production
PG_URL = os.environ.get("TEST_DATABASE_URL")
needs_postgres = pytest.mark.skipif(not PG_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")


async def cli(cwd: Path, *args: str, user: int | None = None, **env: str) -> tuple[int, str, str]:
    """Exit status, stdout, stderr of `python -m bot ARGS` in `cwd` with only `env` set."""
    extra: dict[str, object] = {"user": user, "group": user} if user is not None else {}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=str(cwd), env={**bot_env(cwd, **env), "PYTHONDONTWRITEBYTECODE": "1"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, **extra)  # type: ignore[arg-type]
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode or 0, out.decode(), err.decode()


def error_line(code: int, out: str, err: str) -> str:
    """The one error line: exit status 2, the last line of stderr, and no secret anywhere."""
    assert code == 2, (out, err)
    for secret in (TOKEN, SIGNING, PASSWORD, "very-secret", "hunter2"):
        assert secret not in out + err
    lines = err.strip().splitlines()
    assert lines[-1].startswith("prodops-bot: error: "), err
    assert sum(line.startswith("prodops-bot: error:") for line in lines) == 1
    return lines[-1].removeprefix("prodops-bot: error: ")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def resolver_says(host: str) -> str:
    """What this machine's resolver answers for a name that does not exist."""
    try:
        socket.getaddrinfo(host, 80)
    except socket.gaierror as exc:
        return str(exc.strerror)
    raise AssertionError(f"{host} resolved")


def http_bot(tmp_path: Path, api_url: str, **env: str) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SIGNING, "SLACK_API_URL": api_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3", **WAIT, **env}


# -- Slack ------------------------------------------------------------------------------------

@pytest.fixture
async def slack_503() -> AsyncIterator[tuple[str, list[str]]]:
    """A Web API that answers every call with 503 and an HTML page, as an outage does."""
    calls: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        calls.append(request.match_info["method"])
        return web.Response(status=503, text="<html><body>Service Unavailable</body></html>", content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/api/{method}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/api/", calls
    await runner.cleanup()


async def test_slack_503_at_start_is_an_outage_not_a_rejected_token(tmp_path: Path,
                                                                    slack_503: tuple[str, list[str]]) -> None:
    url, calls = slack_503
    line = error_line(*await cli(tmp_path, **http_bot(tmp_path, url)))
    assert line == (f"SLACK_API_URL: Slack at {url} is unavailable: it answered HTTP 503 to auth.test for 1 s, so "
                    "SLACK_BOT_TOKEN was not checked (it was not rejected). See https://slack-status.com and start the "
                    "bot again")
    assert calls == ["auth.test", "auth.test"]  # tried again after 0.5 s, then the wait was over


async def test_slack_api_url_on_a_closed_port_names_slack_api_url(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/api/"
    line = error_line(*await cli(tmp_path, **http_bot(tmp_path, url)))
    assert line == (f"SLACK_API_URL: could not reach Slack at {url} (connection refused), tried for 1 s; "
                    "SLACK_BOT_TOKEN was not checked. Check SLACK_API_URL (leave it unset for https://slack.com/api/) and "
                    "this machine's network, then start the bot again")


async def test_offline_behind_a_dead_proxy_does_not_blame_slack_api_url(tmp_path: Path) -> None:
    # SLACK_API_URL left at its default; the only way out is a proxy that refuses: no real network.
    port = free_port()
    env = http_bot(tmp_path, "https://slack.com/api/", HTTPS_PROXY=f"http://proxyuser:{PASSWORD}@127.0.0.1:{port}")
    line = error_line(*await cli(tmp_path, **env))
    assert line == (f"HTTPS_PROXY: could not reach Slack at https://slack.com/api/ through the proxy "
                    f"http://127.0.0.1:{port} from HTTPS_PROXY (the proxy: connection refused), tried for 1 s; "
                    "SLACK_BOT_TOKEN was not checked. Check the proxy in HTTPS_PROXY, then start the bot again")
    assert "SLACK_API_URL" not in line


async def test_offline_without_a_proxy_says_slack_com_could_not_be_reached(monkeypatch: pytest.MonkeyPatch) -> None:
    # DNS failing for slack.com, without touching the network: the check's call fails as aiohttp
    # fails when the resolver has no answer.
    monkeypatch.setenv("PRODOPS_STARTUP_WAIT_SECONDS", "0")
    settings = load_settings(_env_file=None, slack_bot_token=TOKEN)
    from aiohttp.client_reqrep import ConnectionKey

    key = ConnectionKey("slack.com", 443, True, True, None, None, None)

    async def offline() -> None:
        raise aiohttp.ClientConnectorDNSError(key, socket.gaierror(-2, "Name or service not known"))

    with pytest.raises(StartupError) as raised:
        await _ask_slack(settings, "SLACK_BOT_TOKEN", "auth.test", offline)
    assert str(raised.value) == (
        "could not reach Slack at https://slack.com/api/ (cannot resolve slack.com: Name or service not known), "
        "tried for 0 s; SLACK_BOT_TOKEN was not checked. Check this machine's network, DNS and proxy settings "
        "(HTTPS_PROXY), then start the bot again")


# -- HOST and PORT ----------------------------------------------------------------------------

async def test_host_that_does_not_resolve_names_host(bot: Bot, tmp_path: Path) -> None:
    line = error_line(*await cli(tmp_path, **http_bot(tmp_path, bot.fake.api_url, HOST="bogus.invalid", PORT="3000")))
    assert line == (f"HOST: cannot resolve bogus.invalid to an address to listen on ({resolver_says('bogus.invalid')}); "
                    "set HOST to an address of this machine: 0.0.0.0 (every interface) or 127.0.0.1 "
                    "(this machine only)")


async def test_port_in_use_names_port(bot: Bot, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = error_line(*await cli(tmp_path, **http_bot(tmp_path, bot.fake.api_url, HOST="127.0.0.1", PORT=str(port))))
    assert line == (f"PORT: 127.0.0.1:{port} is already in use by another process; stop that process or set PORT "
                    "to a free port")


# -- the database -----------------------------------------------------------------------------

def pg_server() -> tuple[str, int, str]:
    url = make_url(Settings.model_validate({"database_url": PG_URL}).database_url)
    return url.host or "127.0.0.1", url.port or 5432, url.username or "postgres"


@needs_postgres
async def test_missing_postgres_database(tmp_path: Path) -> None:
    host, port, user = pg_server()
    url = f"postgresql+asyncpg://{user}:{PASSWORD}@{host}:{port}/does_not_exist_h9c"
    line = error_line(*await cli(tmp_path, "migrate", DATABASE_URL=url))
    assert line == (f'DATABASE_URL: PostgreSQL at {host}:{port} has no database "does_not_exist_h9c"; create it '
                    f"(createdb -h {host} -p {port} -U {user} does_not_exist_h9c) or correct the database name")


@needs_postgres
async def test_unknown_postgres_user(tmp_path: Path) -> None:
    host, port, _ = pg_server()
    url = f"postgresql+asyncpg://nosuchrole_h9c:{PASSWORD}@{host}:{port}/postgres"
    line = error_line(*await cli(tmp_path, "migrate", DATABASE_URL=url))
    assert line == (f'DATABASE_URL: PostgreSQL at {host}:{port} refused user "nosuchrole_h9c" (role "nosuchrole_h9c" '
                    'does not exist); correct the user in DATABASE_URL, or let it connect (CREATE ROLE, pg_hba.conf)')


def test_wrong_postgres_password() -> None:
    # This machine's PostgreSQL trusts local connections, so a wrong password cannot be provoked:
    # the error asyncpg raises for one, wrapped as SQLAlchemy wraps it.
    import asyncpg
    from sqlalchemy.exc import DBAPIError

    settings = load_settings(_env_file=None, database_url=f"postgresql+asyncpg://bot:{PASSWORD}@db.internal:6432/prodops")
    cause = asyncpg.InvalidPasswordError('password authentication failed for user "bot"')
    try:
        try:
            raise cause
        except asyncpg.InvalidPasswordError as exc:
            raise DBAPIError("SELECT 1", None, exc) from exc
    except DBAPIError as wrapped:
        line = database_problem(settings, wrapped)
    assert line == ('DATABASE_URL: PostgreSQL at db.internal:6432 refused the password of user "bot"; correct the '
                    "user name and password in DATABASE_URL")


async def test_unknown_database_host(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://bot:{PASSWORD}@nohost.invalid:5432/prodops"
    line = error_line(*await cli(tmp_path, "migrate", DATABASE_URL=url))
    assert line == (f"DATABASE_URL: cannot resolve the database host nohost.invalid ({resolver_says('nohost.invalid')}); "
                    "correct the host name in DATABASE_URL or check this machine's DNS")


async def test_data_dir_under_a_file(tmp_path: Path) -> None:
    line = error_line(*await cli(tmp_path, "migrate", DATA_DIR="/etc/passwd/x"))
    user = f"uid {os.getuid()} ({__import__('pwd').getpwuid(os.getuid()).pw_name})"
    assert line == ("DATA_DIR: cannot create the database directory /etc/passwd/x: /etc/passwd is a file, not a "
                    f"directory; set DATA_DIR to a directory {user} can write")


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory any user can traverse (pytest's own tmp_path is private to its user)."""
    path = Path(tempfile.mkdtemp(prefix="h9c-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


async def test_data_dir_this_user_may_not_write(shared_dir: Path) -> None:
    # Root writes anywhere, so as root the bot runs as nobody (uid 65534) against a directory
    # root owns; as anyone else the directory is made read-only.
    locked = shared_dir / "root-owned"
    locked.mkdir()
    if os.geteuid() == 0:
        user, uid, name, owner = 65534, 65534, __import__("pwd").getpwuid(65534).pw_name, 0
    else:
        locked.chmod(0o555)
        user, uid, name, owner = None, os.getuid(), __import__("pwd").getpwuid(os.getuid()).pw_name, os.getuid()
    try:
        line = error_line(*await cli(shared_dir, "migrate", user=user, DATA_DIR=str(locked),
                                     XDG_DATA_HOME=str(shared_dir / "xdg")))
    finally:
        locked.chmod(0o755)
    assert line == (f"DATA_DIR: uid {uid} ({name}) may not write to {locked} (permission denied; it belongs to "
                    f"uid {owner}); make it writable by that user (chown {uid} {locked}) or set DATA_DIR to a "
                    "directory it can write")


async def test_an_explicit_sqlite_url_names_database_url(tmp_path: Path) -> None:
    line = error_line(*await cli(tmp_path, "migrate", DATABASE_URL="sqlite+aiosqlite:////etc/passwd/db.sqlite3"))
    assert line.startswith("DATABASE_URL: cannot create the database directory /etc/passwd: /etc/passwd is a file")


# -- placeholders -----------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["xoxb-...", "xoxb-…", "...", "changeme", "<your bot token>", "xoxb-<token>", "xoxb-"])
def test_placeholders_are_refused_up_front(value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(_env_file=None, slack_bot_token=value)
    assert str(raised.value) == ("SLACK_BOT_TOKEN is still the placeholder from .env.example; set it to the Bot User "
                                 "OAuth Token (xoxb-…) from your Slack app's Install App page")


def test_placeholder_secret_and_app_token() -> None:
    with pytest.raises(ConfigError, match=r"^SLACK_SIGNING_SECRET is still the placeholder from \.env\.example; "):
        load_settings(_env_file=None, slack_bot_token=TOKEN, slack_signing_secret="...")
    with pytest.raises(ConfigError, match=r"^SLACK_APP_TOKEN is still the placeholder from \.env\.example; .*HTTP mode"):
        load_settings(_env_file=None, slack_bot_token=TOKEN, slack_app_token="xapp-...")
    assert load_settings(_env_file=None, slack_bot_token=TOKEN, slack_signing_secret=SIGNING).slack_bot_token


async def test_an_unedited_copy_of_env_example_stops_at_once(tmp_path: Path) -> None:
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    line = error_line(*await cli(tmp_path))
    assert line.startswith("SLACK_BOT_TOKEN is still the placeholder from .env.example; ")
    assert not (tmp_path / "xdg-data").exists()  # stopped before any database was created


# -- where the data lives ---------------------------------------------------------------------

def test_data_dir_default_is_per_user_and_absolute(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_data_dir() == tmp_path / ".local" / "share" / "prodops-bot"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")  # the XDG spec ignores relative values
    assert default_data_dir() == tmp_path / ".local" / "share" / "prodops-bot"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    settings = load_settings(_env_file=None)
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path}/xdg/prodops-bot/prodops.sqlite3"
    monkeypatch.chdir(tmp_path)
    relative = load_settings(_env_file=None, data_dir="here")
    assert relative.database_url == f"sqlite+aiosqlite:///{tmp_path}/here/prodops.sqlite3"
    explicit = load_settings(_env_file=None, data_dir="here", database_url="sqlite+aiosqlite:///rel/db.sqlite3")
    assert explicit.database_url == f"sqlite+aiosqlite:///{tmp_path}/rel/db.sqlite3"  # absolute once, too
    assert explicit.database_location == f"SQLite {tmp_path}/rel/db.sqlite3"
    pg = load_settings(_env_file=None, database_url=f"postgresql://bot:{PASSWORD}@db:5433/prodops")
    assert pg.database_location == "PostgreSQL bot@db:5433/prodops"


async def test_migrate_from_two_folders_uses_one_database(tmp_path: Path) -> None:
    first, second, xdg = tmp_path / "one", tmp_path / "two" / "deeper", tmp_path / "xdg"
    first.mkdir()
    second.mkdir(parents=True)
    database = xdg / "prodops-bot" / "prodops.sqlite3"
    for cwd in (first, second):
        code, _out, err = await cli(cwd, "migrate", XDG_DATA_HOME=str(xdg))
        assert code == 0, err
        assert f"database: SQLite {database} (in DATA_DIR)" in err
    assert database.is_file()
    assert not (first / "data").exists() and not (second / "data").exists()
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)


async def test_a_database_at_the_earlier_default_is_not_silently_replaced(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "prodops.sqlite3").write_bytes(b"")
    xdg = tmp_path / "xdg"
    line = error_line(*await cli(tmp_path, "migrate", XDG_DATA_HOME=str(xdg)))
    new = xdg / "prodops-bot"
    assert line == (f"DATA_DIR: the database of an earlier version is at {tmp_path}/data/prodops.sqlite3, but the "
                    f"default is now {new}/prodops.sqlite3; move it (mkdir -p {new} && mv "
                    f"{tmp_path}/data/prodops.sqlite3* {new}/) or set DATA_DIR={tmp_path}/data")
    code, _out, err = await cli(tmp_path, "migrate", XDG_DATA_HOME=str(xdg), DATA_DIR=str(tmp_path / "data"))
    assert code == 0, err


async def test_status_shows_where_the_data_is(bot: Bot, team: str) -> None:
    await bot.slack.command(team, "U1", "/prodops", "status", response_url=bot.fake.response_url("status"))
    await bot.settle()
    (_key, reply), = bot.fake.responses
    rendered = json.dumps(reply["blocks"])
    location = bot.rt.settings.database_location
    assert f"*Database location:* `{location}`" in rendered
    password = make_url(bot.rt.settings.database_url).password
    assert location.startswith(("SQLite /", "PostgreSQL ")) and (not password or password not in rendered)


# -- backup -----------------------------------------------------------------------------------

async def test_backup_copies_the_database_and_refuses_to_overwrite(tmp_path: Path) -> None:
    data = tmp_path / "data-dir"
    code, _out, err = await cli(tmp_path, "migrate", DATA_DIR=str(data))
    assert code == 0, err
    db = Database(f"sqlite+aiosqlite:///{data}/prodops.sqlite3")
    async with db.unit_of_work() as session:
        session.add_all([Workspace(team_id="TBACKUP1", name="One"), Workspace(team_id="TBACKUP2", name="Two")])
    await db.dispose()

    target = tmp_path / "backups" / "prodops-2026-12-01.sqlite3"
    target.parent.mkdir()
    code, out, err = await cli(tmp_path, "backup", str(target), DATA_DIR=str(data))
    assert code == 0, err
    assert out.startswith(f"backed up {data}/prodops.sqlite3 (migration ") and out.strip().endswith(f"to {target}")
    with sqlite3.connect(target) as conn:
        rows = conn.execute("SELECT team_id, name FROM workspaces WHERE team_id LIKE 'TBACKUP%' ORDER BY team_id")
        assert rows.fetchall() == [("TBACKUP1", "One"), ("TBACKUP2", "Two")]
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one self-contained file
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no partial file left behind

    line = error_line(*await cli(tmp_path, "backup", str(target), DATA_DIR=str(data)))
    assert line == f"backup: {target} already exists; pass --force to overwrite it, or name another file"
    code, _out, err = await cli(tmp_path, "backup", str(target), "--force", DATA_DIR=str(data))
    assert code == 0, err

    # Restore: the backup as the database of another DATA_DIR; the bot finds everything there.
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copy(target, restored / "prodops.sqlite3")
    code, _out, err = await cli(tmp_path, "migrate", DATA_DIR=str(restored))
    assert code == 0, err
    with sqlite3.connect(restored / "prodops.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM workspaces WHERE team_id LIKE 'TBACKUP%'").fetchone() == (2,)


async def test_backup_refusals(tmp_path: Path) -> None:
    line = error_line(*await cli(tmp_path, "backup"))
    assert line == "backup needs the file to write: prodops-bot backup <file> [--force]"
    line = error_line(*await cli(tmp_path, "backup", str(tmp_path / "b.sqlite3"), DATA_DIR=str(tmp_path / "empty")))
    assert line == f"backup: there is no database at {tmp_path}/empty/prodops.sqlite3 yet (DATA_DIR); nothing to back up"
    line = error_line(*await cli(tmp_path, "backup", "b.dump",
                                 DATABASE_URL=f"postgresql+asyncpg://bot:{PASSWORD}@db.internal:5432/prodops"))
    assert line == ("backup: DATABASE_URL points at PostgreSQL bot@db.internal:5432/prodops; back it up with "
                    "PostgreSQL's own tools, e.g. pg_dump -Fc -h db.internal -p 5432 -U bot -f prodops.dump prodops")
    line = error_line(*await cli(tmp_path, "migrate", "x.sqlite3"))
    assert line == "x.sqlite3: only the backup command takes a file (and --force)"


# -- migrations under the lock ----------------------------------------------------------------

@pytest.fixture
async def fresh_pg_database() -> AsyncIterator[str]:
    """An empty database of its own on the test server, dropped afterwards."""
    admin_url = Settings.model_validate({"database_url": PG_URL}).database_url
    name = f"h9c_lock_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def _revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            exists = await conn.scalar(text("SELECT to_regclass('alembic_version') IS NOT NULL"))
            return await conn.scalar(text("SELECT version_num FROM alembic_version")) if exists else None
    finally:
        await engine.dispose()


@needs_postgres
async def test_concurrent_upgrades_are_serialised_by_the_advisory_lock(fresh_pg_database: str) -> None:
    url = fresh_pg_database
    holder = create_engine(url)
    try:
        async with holder.connect() as conn:
            await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            await conn.commit()
            waiting = [asyncio.create_task(upgrade(url)), asyncio.create_task(upgrade(url))]
            await asyncio.sleep(1.0)
            assert not any(t.done() for t in waiting)  # both wait for the lock someone else holds
            assert await _revision(url) is None
            await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
            await conn.commit()
        await asyncio.wait_for(asyncio.gather(*waiting), 60)  # one migrates, the other finds head
    finally:
        await holder.dispose()
    assert await _revision(url) is not None


@needs_postgres
async def test_two_replicas_migrating_at_once_both_start(fresh_pg_database: str, tmp_path: Path) -> None:
    results = await asyncio.gather(*(cli(tmp_path, "migrate", DATABASE_URL=fresh_pg_database) for _ in range(3)))
    for code, _out, err in results:
        assert code == 0, err
    assert await _revision(fresh_pg_database) is not None


def test_the_lock_key_is_fixed() -> None:
    # Every version of the bot must take the same lock: changing it lets two versions migrate at once.
    assert MIGRATION_LOCK_KEY == int.from_bytes(b"prodmigr", "big")
    assert 0 < MIGRATION_LOCK_KEY < 2 ** 63
