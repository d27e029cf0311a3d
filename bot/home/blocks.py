"""Block Kit for the home feature: the introduction posted in a channel the bot joins (the App
Home dashboard's frame is bot/home/dashboard.py)."""
from __future__ import annotations

from typing import Any

from bot.blocks import actions, button, context, section
from bot.home.enums import HomeAction


def intro_message(emoji: str) -> tuple[str, list[dict[str, Any]]]:
    """What the bot can do in a channel it was just added to, each with the command that starts it."""
    text = "Hi! I'm ProdOps Bot: product feedback, launch checklists, standups, KPIs and digests, here in Slack."
    lines = "\n".join((
        f"• *Feedback*: react with :{emoji}: to any message here to file it (or `/feedback <text>`)",
        "• *Launches*: `/launch new \"Name\" YYYY-MM-DD` posts a cross-functional checklist here",
        "• *Standups*: `/standup setup` prompts people in their own time zone and reports here",
        "• *KPIs*: `/kpi add` tracks a metric with its target and notes here when it goes off",
        "• *Digests*: `/digest setup` posts all of it here on a schedule",
    ))
    return text, [section(f":wave: {text}"), section(lines), context("`/prodops help` lists every command.")]


def quick_actions() -> list[dict[str, Any]]:
    """The dashboard's buttons for what people start most."""
    return [actions(button("File feedback", HomeAction.FILE_FEEDBACK, style="primary"),
                    button("New launch", HomeAction.NEW_LAUNCH),
                    button("Log a KPI value", HomeAction.LOG_KPI)),
            context("Or type them: `/feedback <text>` · `/launch new \"Name\" YYYY-MM-DD` · "
                    "`/kpi log <key> <value>` · answer a standup with `/standup`")]
