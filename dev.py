#!/usr/bin/env python3
"""One-command bootstrap: `python3 dev.py run` starts the bot, `python3 dev.py test` runs the tests.

Each creates (or reuses) `.venv` from the hash-locked requirements, so a fresh machine needs
nothing but Python 3.11+ and access to PyPI. The environment is rebuilt only when the lock
file or pyproject.toml changes.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("PRODOPS_VENV", ROOT / ".venv"))
LOCK = ROOT / "requirements-dev.lock"
STAMP = VENV / ".prodops-stamp"
USAGE = "usage: python3 dev.py run [bot args...] | test [pytest args...] | setup"


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def fingerprint() -> str:
    digest = hashlib.sha256()
    for path in (LOCK, ROOT / "pyproject.toml"):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_env() -> Path:
    if sys.version_info < (3, 11):
        sys.exit(f"ProdOps Bot needs Python 3.11 or newer (this is {sys.version.split()[0]}).")
    python = venv_python()
    if not python.exists():
        print(f"dev.py: creating {VENV}", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    wanted = fingerprint()
    if not STAMP.exists() or STAMP.read_text().strip() != wanted:
        print("dev.py: installing locked dependencies", file=sys.stderr)
        pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "--require-hashes", "-r", str(LOCK)], check=True)
        subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
        STAMP.write_text(wanted)
    return python


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test", "setup"}:
        print(USAGE, file=sys.stderr)
        return 2
    python = ensure_env()
    command, rest = argv[0], argv[1:]
    if command == "setup":
        return 0
    if command == "run":
        args = [str(python), "-m", "bot", *(rest or ["run"])]
    else:
        args = [str(python), "-m", "pytest", *rest]
    os.chdir(ROOT)
    if os.name == "nt":
        return subprocess.run(args).returncode
    os.execv(args[0], args)
    return 0  # unreachable


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
