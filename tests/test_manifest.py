"""The manifest declares exactly what the code serves: every command answers help, every
subscribed event is acked (an unmatched event gets 404 and Slack would keep retrying)."""
from __future__ import annotations

from pathlib import Path

import yaml

from bot.app import COMMANDS
from tests.conftest import Bot

MANIFEST = yaml.safe_load((Path(__file__).resolve().parent.parent / "manifest.yml").read_text())


def test_manifest_commands_are_the_bots_commands() -> None:
    declared = {c["command"] for c in MANIFEST["features"]["slash_commands"]}
    assert declared == {c.command for c in COMMANDS}
    assert all(c["should_escape"] for c in MANIFEST["features"]["slash_commands"])


def test_manifest_shortcuts_are_the_bots_shortcuts() -> None:
    from bot.feedback.enums import FeedbackShortcut

    declared = {s["callback_id"] for s in MANIFEST["features"]["shortcuts"]}
    assert declared == {s.value for s in FeedbackShortcut}


async def test_every_declared_command_answers_help(bot: Bot, team: str) -> None:
    for entry in MANIFEST["features"]["slash_commands"]:
        status, body = await bot.slack.command(team, "UHELP01", entry["command"], "help")
        assert status == 200 and body.get("blocks"), entry["command"]


async def test_every_subscribed_event_is_acked(bot: Bot, team: str) -> None:
    for event_type in MANIFEST["settings"]["event_subscriptions"]["bot_events"]:
        event = {"type": event_type, "user": "UEVT001", "channel": "CEVT001", "tab": "about",
                 "item": {"type": "message", "channel": "CEVT001", "ts": "1.000001"},
                 "reaction": "thinking_face", "event_ts": "1.000002", "ts": "1.000002", "text": ""}
        status, _ = await bot.slack.event(team, event)
        assert status == 200, event_type


def test_the_header_counts_the_url_lines_socket_mode_deletes() -> None:
    """The header comment and the README tell an operator how many lines to delete for Socket Mode."""
    text = (Path(__file__).resolve().parent.parent / "manifest.yml").read_text()
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    count = sum(1 for line in text.splitlines() if line.strip().startswith(("url:", "request_url:")))
    words = {6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten"}
    assert f"delete the {words[count]} url/request_url lines" in text
    assert f"delete those {words[count]} `url`/`request_url` lines" in " ".join(readme.split())
