"""The one small interface through which a feature puts a card on the App Home dashboard.

A feature declares `HomeCard`s in `Feature.home_cards` (its `bot/<feature>/home.py`); the
dashboard (bot/home/dashboard.py) iterates them and knows no feature's tables. A card answers,
for one person, what they should see (`build`: blocks, or None when there is nothing), built
from the same service functions the feature's commands use, within its share of the view.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

Block = dict[str, Any]
CARD_BLOCKS = 12  # blocks one card may add: seven cards and the frame stay under the view's 100
CARD_CHARS = 2500  # characters of text one card may add (a home view holds about 25,000 in all)
LIST_MAX = 5  # rows a card lists before "and N more: `<command>`"


@dataclass(frozen=True)
class Viewer:
    """Whose dashboard it is: the person, whether they manage the bot, their clock."""

    team_id: str
    user_id: str
    is_manager: bool
    zone: ZoneInfo  # the person's (the workspace's when Slack gave none)
    now: datetime  # aware UTC

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()


@dataclass(frozen=True)
class HomeCard:
    name: str  # "launches"
    # The card's blocks for this person (a heading section first), None when there is nothing to
    # show them. Reads only: it runs inside the dashboard's one read unit of work.
    build: Callable[["AsyncSession", Viewer], Awaitable[list[Block] | None]]
    managers_only: bool = False  # workspace health: ops admins and Slack admins only
    # The command that shows all of what the card lists ("`/launch list`"): named when the
    # dashboard has to cut the card, or leave it out, to stay within Slack's limits.
    shows_all: str = "`/prodops help`"


def registered(features: tuple[Any, ...]) -> tuple[HomeCard, ...]:
    """Every feature's cards, in the order the features are listed (bot/app.py)."""
    return tuple(c for f in features for c in f.home_cards)
