"""The App Home tab: what the bot does and how to start."""
from __future__ import annotations

from typing import Any

from bot.blocks import context, divider, header, section
from bot.help import CommandHelp


def home_view(commands: list[CommandHelp], is_manager: bool) -> dict[str, Any]:
    blocks = [
        header("ProdOps Bot"),
        section("Feedback, launches, standups, KPIs and digests, right here in Slack."),
        divider(),
    ]
    for cmd in commands:
        example, what = cmd.usage[0]
        blocks.append(section(f"*{cmd.command}*: {cmd.summary}\nTry `{example}`: {what}."))
    if is_manager:
        blocks.append(context("You can manage this bot: see `/prodops help`."))
    return {"type": "home", "blocks": blocks}
