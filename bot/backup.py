"""`prodops-bot backup <file>`: a consistent copy of the embedded SQLite database, taken with
SQLite's online backup API while the bot may be running (README, "Where the data lives")."""
from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.startup import StartupError, database_variable


def backup(settings: Settings, target: Path, force: bool = False) -> str:
    """Copy the configured database to `target`; the line to print. StartupError (one line)
    when it cannot: PostgreSQL, no database yet, an existing target without --force."""
    if settings.database_backend != "sqlite":
        url = make_url(settings.database_url)
        user = f" -U {url.username}" if url.username else ""
        raise StartupError(
            f"backup: DATABASE_URL points at {settings.database_location}; back it up with PostgreSQL's own "
            f"tools, e.g. pg_dump -Fc -h {url.host or 'localhost'} -p {url.port or 5432}{user} -f prodops.dump "
            f"{url.database or ''}")
    source = settings.sqlite_path()
    if source is None:
        raise StartupError("backup: DATABASE_URL is an in-memory SQLite database; there is nothing on disk to back up")
    if not source.is_file():
        raise StartupError(f"backup: there is no database at {source} yet ({database_variable(settings)}); "
                           "nothing to back up")
    target = target.expanduser().absolute()
    if target == source.absolute():
        raise StartupError(f"backup: {target} is the database itself; name another file")
    if target.exists() and not force:
        raise StartupError(f"backup: {target} already exists; pass --force to overwrite it, or name another file")
    if not target.parent.is_dir():
        raise StartupError(f"backup: the directory {target.parent} does not exist; create it or name another file")
    # Into a temporary file next to the target, then renamed: an interrupted backup never leaves
    # a half-written file under the target's name, and --force replaces the old one atomically.
    fd, partial_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    os.close(fd)
    partial = Path(partial_name)
    try:
        # mode=rw: never creates a file; read-write so a WAL database opens whether or not the
        # bot is running (a read-only open may need -shm files it cannot create). Only read.
        src = sqlite3.connect(f"{source.absolute().as_uri()}?mode=rw", uri=True, timeout=30)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)  # one step: a consistent snapshot even while the bot writes (WAL)
                # A single file, readable on its own: no -wal beside it to forget when copying.
                dst.execute("PRAGMA journal_mode=DELETE")
                check = dst.execute("PRAGMA quick_check").fetchone()
                revision = _revision(dst)
            finally:
                dst.close()
        finally:
            src.close()
        if check is None or check[0] != "ok":
            raise StartupError(f"backup: the copy of {source} failed SQLite's check ({check}); nothing was written")
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise StartupError(f"backup: could not copy {source} to {target} ({exc})") from None
    except OSError as exc:
        raise StartupError(f"backup: could not write {target} ({exc.strerror or exc})") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    size = target.stat().st_size
    return f"backed up {source} (migration {revision or 'none'}, {_size(size)}) to {target}"


def _revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 ** 2:
        return f"{size / 1024:.1f} KiB"
    return f"{size / 1024 ** 2:.1f} MiB"
