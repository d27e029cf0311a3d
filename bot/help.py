"""The bot's commands and examples: one list feeds `/prodops help`, each `help`, and App Home."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommandHelp:
    command: str
    summary: str
    usage: tuple[tuple[str, str], ...]  # (example, what it does)


PRODOPS = CommandHelp(
    "/prodops",
    "Bot administration: ops admins, workspace settings and health.",
    (
        ("/prodops help", "this list of every command"),
        ("/prodops admins list", "who can manage templates, schedules and KPIs"),
        ("/prodops admins add @maria", "make someone an ops admin (admins only)"),
        ("/prodops admins remove @maria", "remove an ops admin (admins only)"),
        ("/prodops timezone Europe/Berlin", "set the workspace's default timezone (admins only)"),
        ("/prodops status", "version, database, scheduled runs and Slack connectivity"),
    ),
)

# Every command the bot serves, in the order help shows them. Features append theirs here.
COMMANDS: list[CommandHelp] = [PRODOPS]
