"""/digest help: its summary and examples (shown by `/digest help`, `/prodops help` and App Home)."""
from __future__ import annotations

from bot.help import CommandHelp

DIGEST = CommandHelp(
    "/digest",
    "Scheduled channel digests: feedback, launches, standups and KPIs (and, when chosen, where the "
    "process bottleneck is, from the working agreements) in one post, once per period.",
    (
        ("/digest setup", "a new digest for this channel (ops admins): cadence, time and zone, sections and filters"),
        ("/digest setup #product", "the same for another channel"),
        ("/digest list", "every digest with its channel, schedule, sections, next and last post"),
        ("/digest preview Product weekly", "show it to you now (the channel's only digest when no name is given)"),
        ("/digest now Product weekly", "post it now; it counts as the post of its period"),
        ("/digest edit Product weekly", "change its setup (its owner or an ops admin)"),
        ("/digest pause Product weekly", "no posts until it is resumed"),
        ("/digest resume Product weekly", "post again from its next time"),
        ("/digest delete Product weekly", "delete it, after a confirmation"),
        ("/digest help", "this list"),
    ),
)
