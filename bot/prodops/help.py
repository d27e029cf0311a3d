"""/prodops help: its summary and examples (shown by `/prodops help` and App Home)."""
from __future__ import annotations

from bot.help import CommandHelp

PRODOPS = CommandHelp(
    "/prodops",
    "Bot administration: ops admins, workspace settings, working hours, away days, holidays and health.",
    (
        ("/prodops help", "this list of every command"),
        ("/prodops admins list", "who can manage templates, schedules and KPIs"),
        ("/prodops admins add @maria", "make someone an ops admin (admins only)"),
        ("/prodops admins remove @maria", "remove an ops admin (admins only)"),
        ("/prodops timezone Europe/Berlin", "set the workspace's default timezone (admins only)"),
        ("/prodops status", "version, database, scheduled runs and Slack connectivity"),
        ("/prodops hours", "your working hours, whether they are yours or the workspace default, and your zone"),
        ("/prodops hours @maria", "someone else's working hours and zone"),
        ("/prodops hours 08:30-17:00 mon-thu",
         "set yours (`9-17`, `9:30am-5pm`, `weekdays`, `daily`; no days: keep them)"),
        ("/prodops hours @maria 10:00-19:00 mon-fri", "set someone else's (admins only)"),
        ("/prodops hours default", "the workspace default hours"),
        ("/prodops hours default 09:00-18:00 mon-fri", "set the workspace default (admins only)"),
        ("/prodops hours reset", "yours back to the workspace default (admins: `reset @maria`)"),
        ("/prodops away 2026-12-20 2027-01-03 back in January",
         "away from one date to another, both included (or one day), with a note"),
        ("/prodops away @maria 2026-12-24", "put someone else away (admins only), here for one day"),
        ("/prodops away list", "your away periods and everyone's, now and coming up"),
        ("/prodops away off", "back now: ends your current period and removes upcoming ones"),
        ("/prodops away @maria off", "someone else back now (admins only)"),
        ("/prodops holidays", "workspace holidays and the country preset's next public holidays"),
        ("/prodops holidays add 2026-12-25 Christmas", "a workspace holiday, the name optional (admins only)"),
        ("/prodops holidays remove 2026-12-25", "no longer a workspace holiday (admins only)"),
        ("/prodops holidays country", "the workspace's public-holiday country (`country @maria`: someone's)"),
        ("/prodops holidays country DE", "set the workspace's country (admins only)"),
        ("/prodops holidays country off", "no public-holiday country for the workspace (admins only)"),
        ("/prodops holidays country FR @maria", "one person's country (themselves or admins)"),
        ("/prodops holidays country off @maria", "that person follows the workspace's country again"),
        ("/prodops budget", "nudges per person per day: the workspace's budget"),
        ("/prodops budget 5", "set it, 1–20, default 3 (admins only)"),
        ("/prodops agree", "agree a target on a process metric the bot measures itself: time to triage, checklist "
                           "items on time (per function), standup answers, blockers cleared, nudges acted on "
                           "(admins only); it becomes a KPI"),
        ("/prodops agreements", "every working agreement: its value against its target and what broke it"),
        ("/prodops agreements edit agree-feedback-triage", "change one (admins only)"),
        ("/prodops agreements remove agree-feedback-triage", "remove one and its history (admins only)"),
        ("/prodops report 90d", "where is the bottleneck: `30d` (default), `90d` or `quarter` against the one before"),
    ),
)
