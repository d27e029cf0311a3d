"""The one small interface through which a feature puts a section into a digest.

A feature declares `DigestSection`s in `Feature.digest_sections` (its `bot/<feature>/digest.py`);
the digest module iterates them and knows no feature's tables. A section answers, for a channel
and a period, what it has to say (`build`: a `Part`, or None when nothing), and supplies its own
filter's inputs on the setup form (`inputs`), how to read them back (`read`) and how to say the
filter in words (`describe`). The filter is a small JSON dict stored on the digest, read only by
the section that wrote it.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.forms import FormData
    from bot.runtime import Runtime

Block = dict[str, Any]
Filter = dict[str, Any]
PART_BLOCKS = 10  # blocks one section may add (four sections and the frame stay under Slack's 50)
# Characters of text one section may add: four of them stay under the ~13,000 characters of
# blocks Slack takes in one message (msg_blocks_too_long). The digest cuts a part that exceeds it.
PART_CHARS = 2500
MESSAGE_PART_CHARS = 4 * PART_CHARS  # what all the parts together may hold (five share it)


@dataclass(frozen=True)
class Period:
    """What a digest covers: from the last post (or the previous occurrence) to this one."""

    team_id: str
    channel_id: str  # where the digest posts ("launches in this channel")
    start: datetime  # aware UTC
    end: datetime  # aware UTC: the occurrence (or the moment of a preview or `/digest now`)
    zone: ZoneInfo  # the digest's zone: dates in the text are local to it
    weekly: bool  # a weekly digest (the KPI section attaches a chart)


# After the digest is posted: (rt, channel, ts of the digest message), e.g. a chart in its thread.
Attach = Callable[["Runtime", str, str], Awaitable[None]]


@dataclass(frozen=True)
class Part:
    """One section's contribution: mrkdwn blocks (user text escaped, no one pinged except an
    overdue owner), at most PART_BLOCKS holding at most PART_CHARS of text, and one line for
    the notification text, plain (names as typed: the digest escapes the whole line). The digest
    adds the section's heading (its label)."""

    blocks: list[Block]
    text: str
    attach: Attach | None = None


async def no_inputs(_session: "AsyncSession", _team_id: str, _current: Filter | None) -> list[Block]:
    return []


@dataclass(frozen=True)
class DigestSection:
    name: str  # the key in Digest.sections: "feedback"
    label: str  # "Feedback": the setup form's checkbox and the section's heading
    build: Callable[["AsyncSession", Period, Filter], Awaitable[Part | None]]
    # The setup form's inputs for this section's filter (optional inputs, block ids prefixed
    # with the section's name), prefilled from the stored filter (None for a new digest).
    inputs: Callable[["AsyncSession", str, Filter | None], Awaitable[list[Block]]] = no_inputs
    # The submitted filter; raises UserError(field=<its block id>) on bad input.
    read: Callable[["FormData"], Filter] = lambda _form: {}
    # "tags billing, api", "" for no filter: shown by /digest list and the setup answer.
    describe: Callable[[Filter], str] = lambda _f: ""
    # Checked on submit with a session (a chosen standup or KPI that no longer exists).
    check: Callable[["AsyncSession", str, Filter], Awaitable[Filter]] | None = None
    # Whether the part, with this filter, depends on the digest's channel ("launches in this
    # channel"). One that does not is built once per workspace, filter and period in a tick and
    # shared by every digest that asks for the same (a minute of 200 digests reads it once).
    per_channel: Callable[[Filter], bool] = lambda _f: True
    # Checked on a new digest's setup form (a section a team opts into is not).
    default: bool = True


def registered(features: tuple[Any, ...]) -> tuple[DigestSection, ...]:
    """Every feature's sections, in the order the features are listed (bot/app.py)."""
    return tuple(s for f in features for s in f.digest_sections)
