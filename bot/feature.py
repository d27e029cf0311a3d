"""What a feature contributes to the bot, declared once in its handlers module.

`bot/app.py` iterates `FEATURES`; nothing else lists them. A new feature is a package under
`bot/<name>/` plus `handlers/<name>.py` that defines `FEATURE = Feature(...)`, and one line
in `bot/app.py`. The later fields (duties, digest sections, App Home cards) are filled by the
people-and-time, digest and dashboard work.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.help import CommandHelp

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.digests.sections import DigestSection
    from bot.home.cards import HomeCard
    from bot.duties import Duty
    from bot.notify.notice import NoticeKind
    from bot.edge import ProdOpsApp
    from bot.people.directory import LeaveHook
    from bot.runtime import Runtime
    from bot.workspaces import WorkspaceInfo

# Whether the feature would act on an event (its payload's `event`), from the workspace's cached
# snapshot and the bot's own user id alone: False lets the edge ack it without opening a
# transaction (bot/edge.py).
EventFilter = Callable[[dict[str, Any], "WorkspaceInfo", str | None], bool]


def _nothing(_rt: "Runtime") -> None:
    return None


@dataclass(frozen=True)
class Feature:
    name: str
    help: CommandHelp | None
    listeners: Callable[["ProdOpsApp"], None]  # registers the feature's module-level listeners
    jobs: Callable[["Runtime"], None] = _nothing  # registers sweepers and interval jobs
    duties: tuple["Duty", ...] = field(default=())  # due-at-an-instant work, run by the minute tick (bot/duties.py)
    notices: tuple["NoticeKind", ...] = field(default=())  # what its duties send, and how each renders
    digest_sections: tuple["DigestSection", ...] = field(default=())  # what it adds to channel digests
    home_cards: tuple["HomeCard", ...] = field(default=())  # what it shows on each person's App Home
    # Hands a departed person's work to someone else: run once per departure, in the
    # transaction that records it (bot/people/directory.py).
    on_leave: tuple["LeaveHook", ...] = field(default=())
    # People the feature will nudge whom the people directory does not know yet, (team, user),
    # at most `limit`: the people sweep records them (bot/people/flows.py).
    people_wanted: tuple[Callable[["AsyncSession", int], Awaitable[list[tuple[str, str]]]], ...] = field(default=())
    # Event types only this feature acts on, each with the test of whether it would: a workspace
    # sees every reaction in every channel the bot is in, and only one emoji files feedback.
    # An event type listed here must not be listened to by a feature that does not list it.
    event_filters: tuple[tuple[str, "EventFilter"], ...] = field(default=())
