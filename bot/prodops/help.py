"""/prodops help: its summary and examples (shown by `/prodops help`, `/prodops help` and App Home)."""
from __future__ import annotations

from bot.help import CommandHelp

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
