"""/launch help: its summary and examples (shown by `/launch help`, `/prodops help` and App Home)."""
from __future__ import annotations

from bot.help import CommandHelp

LAUNCH = CommandHelp(
    "/launch",
    "Cross-functional launch checklists on a live message, with owners, due dates and go/no-go.",
    (
        ('/launch new "Mobile v2" 2027-03-01', "create a launch from the default template, checklist in this channel"),
        ("/launch new", "the same with a form: channel, template, owner"),
        ("/launch list", "upcoming launches with readiness, past ones with work open, and those launched recently"),
        ('/launch status "Mobile v2"', "open and overdue items per function"),
        ('/launch go "Mobile v2"', "post the go/no-go summary in the checklist thread"),
        ('/launch date "Mobile v2" 2027-03-08', "move the launch; open items move with it"),
        ('/launch add "Mobile v2" sales | Pricing FAQ | -4', "add an item (function | title | days from launch)"),
        ('/launch cancel "Mobile v2"', "cancel it: kept with its history, off the list, no more nudges"),
        ('/launch reopen "Mobile v2"', "undo a cancel: the checklist is live again and nudges resume"),
        ('/launch delete "Mobile v2"', "delete it with its items, history and checklist message, after a confirmation"),
        ("/launch template list", "the checklist templates"),
        ("/launch template new", "a new template in a form, one item per line (ops admins)"),
        ('/launch template edit "Default"', "change a template in the form (ops admins)"),
        ("/launch help", "this list"),
    ),
)
