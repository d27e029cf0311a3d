"""Each command's help: its examples feed `/prodops help`, the command's own `help` and App Home.
A feature names its entry in its `Feature` (bot/feature.py); `Runtime.commands` lists them."""
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

FEEDBACK = CommandHelp(
    "/feedback",
    "Capture product feedback; react to any message with :memo: to file it too.",
    (
        ("/feedback Exports time out on big boards #exports customer:Acme", "file feedback with tags and a customer"),
        ("/feedback", "open the feedback form"),
        ("/feedback file list view is slow", "file text that starts with a command word"),
        ("/feedback list planned #exports top", "filter by status, #tag, product area; `top` = most votes first"),
        ("/feedback search timeout", "find feedback by words in its text or customer"),
        ("/feedback show 12", "one item with votes, details and triage buttons"),
        ("/feedback status 12 shipped Released in 2.4", "set the status; shipped/declined DMs every reporter"),
        ("/feedback merge 14 12", "merge a duplicate into another item (ops admins)"),
        ("/feedback export planned", "a CSV of the matching items, sent to you by DM"),
        ("/feedback config emoji bulb", "change the reaction that files feedback (ops admins)"),
    ),
)

LAUNCH = CommandHelp(
    "/launch",
    "Cross-functional launch checklists on a live message, with owners, due dates and go/no-go.",
    (
        ('/launch new "Mobile v2" 2027-03-01', "create a launch from the default template, checklist in this channel"),
        ("/launch new", "the same with a form: channel, template, owner"),
        ("/launch list", "upcoming launches with readiness"),
        ('/launch status "Mobile v2"', "open and overdue items per function"),
        ('/launch go "Mobile v2"', "post the go/no-go summary in the checklist thread"),
        ('/launch date "Mobile v2" 2027-03-08', "move the launch; open items move with it"),
        ('/launch add "Mobile v2" sales | Pricing FAQ | -4', "add an item (function | title | days from launch)"),
        ("/launch template list", "templates; `template new` and `template edit \"Name\"` for ops admins"),
    ),
)
