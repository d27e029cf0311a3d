"""/standup help: its summary and examples (shown by `/standup help`, `/prodops help` and App Home)."""
from __future__ import annotations

from bot.help import CommandHelp

STANDUP = CommandHelp(
    "/standup",
    "Async standups: each participant is prompted in their own time zone, answers post to the team channel, "
    "blockers stand out, and those who have not answered get one reminder.",
    (
        ("/standup", "fill in today's standup (choose which when you are in several)"),
        ("/standup Mobile team", "fill in the standup named Mobile team"),
        ("/standup setup", "a new standup (ops admins, or the owner of a standup in this channel): channel, "
                           "participants, questions, days, prompt time and deadline"),
        ("/standup list", "every standup with its channel, participants and times"),
        ("/standup edit Mobile team", "change its setup (its owner or an ops admin)"),
        ("/standup pause Mobile team", "no prompts, reminders or summaries until it is resumed"),
        ("/standup resume Mobile team", "prompts start again on its next day"),
        ("/standup delete Mobile team", "delete it with its answers, after a confirmation"),
        ("/standup stats Mobile team", "participation per person and blockers over the last 30 days "
                                       "(no name: yours, when you are in one)"),
        ("/standup help", "this list"),
    ),
)
