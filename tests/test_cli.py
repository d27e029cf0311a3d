"""Start-up: bad settings and a rejected token stop the bot with exit 2 and one clear line."""
from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.conftest import Bot

SECRET_TOKEN = "xoxb-very-secret-token-123"


async def run_bot(cwd: Path, **env: str) -> tuple[int, str]:
    return await run_bot_args(cwd, [], **env)


# What the bot reads from the environment: a test's subprocess gets only what the test sets.
BOT_VARIABLES = ("SLACK_", "DATABASE_URL", "DATA_DIR", "XDG_DATA_HOME", "HOST", "PORT", "LOG_", "PRODOPS_",
                 "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")


def bot_env(cwd: Path, **env: str) -> dict[str, str]:
    """The subprocess's environment: no bot settings of the caller's, and a per-user data
    directory under the test's folder (never the real ~/.local/share), unless the test sets one."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(BOT_VARIABLES)}
    return {**clean, "PYTHONPATH": str(Path.cwd()), "XDG_DATA_HOME": str(cwd / "xdg-data"), **env}


async def run_bot_args(cwd: Path, args: list[str], **env: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=str(cwd), env=bot_env(cwd, **env),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode or 0, (out + err).decode()


async def test_missing_token_names_the_variable(tmp_path: Path) -> None:
    code, output = await run_bot(tmp_path)
    assert code == 2
    assert output.strip().splitlines()[-1].startswith("prodops-bot: error: SLACK_BOT_TOKEN")


async def test_malformed_settings_name_the_variable(tmp_path: Path) -> None:
    code, output = await run_bot(tmp_path, SLACK_BOT_TOKEN=SECRET_TOKEN, SLACK_SIGNING_SECRET="x" * 32, PORT="eighty")
    assert code == 2 and "PORT is invalid" in output
    code, output = await run_bot(tmp_path, SLACK_BOT_TOKEN=SECRET_TOKEN)
    assert code == 2 and "SLACK_SIGNING_SECRET is required" in output
    code, output = await run_bot(tmp_path, SLACK_BOT_TOKEN="xoxp-user-token-not-bot")
    assert code == 2 and "SLACK_BOT_TOKEN is invalid" in output and "xoxp-user" not in output
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=" + SECRET_TOKEN + "\nLOG_FORMAT=yaml\n")
    code, output = await run_bot(tmp_path)
    assert code == 2 and "LOG_FORMAT is invalid" in output


async def test_rejected_token_stops_without_printing_it(bot: Bot, tmp_path: Path) -> None:
    bot.fake.fail("auth.test", "invalid_auth")
    code, output = await run_bot(
        tmp_path, SLACK_BOT_TOKEN=SECRET_TOKEN, SLACK_SIGNING_SECRET="s" * 32,
        SLACK_API_URL=bot.fake.api_url, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3",
    )
    assert code == 2
    assert "SLACK_BOT_TOKEN was rejected by Slack (invalid_auth)" in output
    assert SECRET_TOKEN not in output and "s" * 32 not in output
    assert (tmp_path / "db.sqlite3").exists()  # migrations ran before the token check


async def test_migrate_subcommand_and_unreachable_database(tmp_path: Path) -> None:
    code, output = await run_bot(tmp_path, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/m.sqlite3")
    assert code == 2  # run still needs a token
    code, output = await run_bot_args(tmp_path, ["migrate"], DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/m.sqlite3")
    assert code == 0 and (tmp_path / "m.sqlite3").exists()
    code, output = await run_bot_args(tmp_path, ["migrate"],
                                      DATABASE_URL="postgresql+asyncpg://bot:hunter2-secret@127.0.0.1:1/none")
    assert code == 2 and "hunter2" not in output
    assert output.strip().splitlines()[-1] == (
        "prodops-bot: error: DATABASE_URL: nothing accepts connections at 127.0.0.1:1 (connection refused); "
        "start PostgreSQL there or correct the host and port in DATABASE_URL")


async def test_rejected_app_token_stops_socket_mode(bot: Bot, tmp_path: Path) -> None:
    bot.fake.fail("apps.connections.open", "invalid_auth")
    code, output = await run_bot(
        tmp_path, SLACK_BOT_TOKEN=SECRET_TOKEN, SLACK_APP_TOKEN="xapp-1-A1-secret-app-token",
        SLACK_API_URL=bot.fake.api_url, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3",
    )
    assert code == 2 and "SLACK_APP_TOKEN was rejected by Slack (invalid_auth)" in output
    assert "secret-app-token" not in output


async def test_a_slack_outage_at_start_is_waited_out_not_blamed_on_the_token(bot: Bot, tmp_path: Path) -> None:
    # 503 three times (three tries of the start-up check, 0.5, 1 and 2 s apart: the client's own
    # retries are off there), then Slack answers: the bot starts.
    bot.fake.fail("auth.test", status=503, times=3)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=str(tmp_path), stderr=asyncio.subprocess.PIPE,
        env=bot_env(tmp_path, SLACK_BOT_TOKEN=SECRET_TOKEN, SLACK_SIGNING_SECRET="s" * 32,
                    SLACK_API_URL=bot.fake.api_url, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3",
                    HOST="127.0.0.1", PORT="0"))
    assert proc.stderr is not None
    lines: list[str] = []
    try:
        while not any("serving HTTP" in line for line in lines):
            line = (await asyncio.wait_for(proc.stderr.readline(), 30)).decode()
            assert line, "".join(lines)
            lines.append(line)
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 10)
    output = "".join(lines)
    assert "rejected" not in output and "could not reach Slack to check SLACK_BOT_TOKEN (Slack answered HTTP 503" in output
    assert len(bot.fake.calls_to("auth.test")) == 4
    # SLACK_BOT_TOKEN was in the environment, yet Bolt (built with our client) did not warn
    # "As you gave `client` as well, `token` will be unused.": the settings took it out first.
    assert "will be unused" not in output and "As you gave" not in output
