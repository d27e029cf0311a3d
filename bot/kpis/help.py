"""/kpi help: its summary and examples (shown by `/kpi help`, `/prodops help` and App Home)."""
from __future__ import annotations

from bot.help import CommandHelp

KPI = CommandHelp(
    "/kpi",
    "KPIs with targets and owners: logged by hand, pushed, or pulled over HTTP; nudges when off target or stale.",
    (
        ("/kpi list", "every KPI: latest value vs target, change, sparkline; stale and failing ones said so "
                      "(`/kpi` alone too)"),
        ("/kpi show activation", "its history, and a chart in your DM (target and launches marked)"),
        ("/kpi log activation 42% 2026-11-23", "record a value (its owner or ops admins); `1,200`, `3.5k` work too"),
        ("/kpi add", "define a KPI in a form (ops admins): key, name, unit, target or band, owner, channel, source"),
        ("/kpi edit activation", "change its definition in the form (ops admins)"),
        ("/kpi remove activation", "delete it with its values (ops admins)"),
        ("/kpi token activation", "a push token for `POST /kpi/activation` (shown once; its owner or ops admins)"),
        ('/kpi link activation "Mobile v2"', "watch it for that launch (ops admins): its chart, `show` and digests "
                                             "then mark its linked launches only, not every launch"),
        ('/kpi unlink activation "Mobile v2"', "stop watching it for that launch; with no links left it marks every launch"),
        ("/kpi help", "this list"),
    ),
)
