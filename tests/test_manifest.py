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
