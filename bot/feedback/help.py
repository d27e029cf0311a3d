"""/feedback help: its summary and examples (shown by `/feedback help`, `/prodops help` and App Home)."""
from __future__ import annotations

from bot.help import CommandHelp

FEEDBACK = CommandHelp(
    "/feedback",
    "Capture product feedback; react to any message with :memo: to file it too.",
    (
        ("/feedback Exports time out on big boards #exports customer:Acme", "file feedback with tags and a customer"),
        ("/feedback", "open the feedback form"),
        ("/feedback file list view is slow", "file text that starts with a command word"),
        ("/feedback list planned #exports top", "filter by status, #tag, product area; `top` = most votes first"),
        ("/feedback search \"export timeout\" expo*", "find feedback by words, prefixes (`expo*`) and \"phrases\"; best matches first"),
        ("/feedback show 12", "one item with votes, details and triage buttons"),
        ("/feedback status 12 shipped Released in 2.4", "set the status; shipped/declined DMs every reporter"),
        ("/feedback link 12 \"Mobile v2\" Offline mode is in 2.4",
         "ship an item with a launch: on launch day (with a go) it is shipped and its reporters get your note"),
        ("/feedback unlink 12", "the item ships with no launch"),
        ("/feedback merge 14 12", "merge a duplicate into another item (ops admins)"),
        ("/feedback delete 12", "delete an item, after you confirm (its owner, ops admins, or whoever filed it if nobody else voted)"),
        ("/feedback export planned", "a CSV of the matching items, sent to you by DM"),
        ("/feedback config emoji bulb", "change the reaction that files feedback (ops admins)"),
        ("/feedback help", "this list"),
    ),
)
