""""Looks like #12 — vote there instead?" (issue 20): after new feedback is filed (command, form,
reaction), up to three similar OPEN items are offered to the person who filed it, each with a
button that turns the new filing into their vote on that item.

Deterministic and local: a query on the search index (bot/feedback/search.py), no text leaves
the workspace. Similar means sharing words: the new item's significant words (3+ characters or
any non-ASCII, not a stop word, the first WORDS_MAX of them), any of which an open item must
contain (one indexed statement over the newest search.CANDIDATES such items), ranked by how many
they share (at least two, or the only one), then votes, then recency. The same on both backends.

The click: under the workspace's filing lock, the filer's reporter row is moved to the chosen
item (so the vote triggers keep both counts right; a vote they already had there stays as it
was), then the new item is merged into it (service.merge: other votes, tags, customer, area and
the text, as a merged item, go with it; nothing is lost). A second click finds the item merged
and changes nothing; only the person who filed it may click.
"""
from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Ctx
from bot.errors import UserError
from bot.feedback import blocks, search, service
from bot.runtime import Runtime
from bot.slack import tell
from models.feedback import CaptureState, FeedbackItem, FeedbackReporter, FeedbackStatus

VOTE_INSTEAD = "feedback.vote_instead"
SHOWN = 3
WORDS_MAX = 12
OPEN = (FeedbackStatus.NEW, FeedbackStatus.TRIAGED, FeedbackStatus.PLANNED)
STOP_WORDS = frozenset(
    "the and for are but not you all any can had her was one our out has him his how its may new now old see "
    "two way who did get let put say she too use with this that from they have were been when what your than "
    "them then there their into only some very just also more most such would could should about after which "
    "while where other being does doing each over under again please thanks thank".split())


class InsteadRef(BaseModel):
    """The button's value: the new item and the one to vote on instead."""

    number: int = Field(ge=1, le=2**31 - 1)
    into: int = Field(ge=1, le=2**31 - 1)


@dataclass(frozen=True)
class Similar:
    number: int
    text: str
    status: FeedbackStatus
    votes: int
    shared: int  # significant words in common with the new item


def significant(text: str) -> tuple[str, ...]:
    """The words worth matching on, in order, each once."""
    words = [w for w in search.normalize(text).split()
             if w not in STOP_WORDS and (len(w) >= 3 or not w.isascii())]
    return tuple(dict.fromkeys(words))[:WORDS_MAX]


async def find(session: AsyncSession, team_id: str, item_id: int, text: str) -> list[Similar]:
    """Up to SHOWN open items sharing words with `text`, the most alike first."""
    words = significant(text)
    if not words:
        return []
    terms = [search.Term((w,)) for w in words]
    rows = (await session.execute(search.newest_matches(
        session, select(FeedbackItem.number, FeedbackItem.text, FeedbackItem.status, FeedbackItem.votes,
                        FeedbackItem.search_doc),
        [FeedbackItem.team_id == team_id, FeedbackItem.capture_state == CaptureState.READY,
         FeedbackItem.merged_into_id.is_(None), FeedbackItem.status.in_(OPEN), FeedbackItem.id != item_id],
        terms, any_term=True).limit(search.CANDIDATES))).all()
    need = min(2, len(words))
    found = []
    for position, r in enumerate(rows):
        tokens = set((r.search_doc or "").split())
        shared = sum(1 for w in words if w in tokens)
        if shared >= need:
            found.append((-shared, -int(r.votes), position,
                          Similar(r.number, r.text or "", FeedbackStatus(r.status), int(r.votes), shared)))
    found.sort(key=lambda f: f[:3])
    return [f[3] for f in found[:SHOWN]]


async def offer(rt: Runtime, client: AsyncWebClient, team_id: str, channel: str | None, user: str,
                number: int) -> None:
    """After a filing's commit: tell the filer about similar items, if there are any."""
    async with rt.db.reading() as session:  # a read: it must not hold the writer a burst of filings waits on
        item = await session.scalar(select(FeedbackItem).where(FeedbackItem.team_id == team_id,
                                                               FeedbackItem.number == number))
        if item is None or item.capture_state is not CaptureState.READY or item.merged_into_id is not None:
            return
        found = await find(session, team_id, item.id, item.text)
    if found:
        headline, body = blocks.similar_prompt(number, found)
        await tell(client, channel, user, headline, body)


def offer_later(ctx: Ctx, number: int, channel: str | None = None) -> None:
    """The same, scheduled after this request's commit (off the ack path)."""
    rt, client, team_id, user = ctx.rt, ctx.client, ctx.team_id, ctx.user_id
    where = channel if channel is not None else ctx.channel_id
    ctx.later(lambda: offer(rt, client, team_id, where, user, number))


@dataclass(frozen=True)
class Moved:
    number: int  # the filing that became a vote
    into: int
    votes: int  # the chosen item's votes now
    already: bool  # a second click: nothing changed


async def vote_instead(session: AsyncSession, team_id: str, user: str, ref: InsteadRef) -> Moved:
    """Turn the filing `ref.number` into `user`'s vote on `ref.into` (see the module's docstring)."""
    item = await service.numbered_item(session, team_id, ref.number, lock=True)
    if item.created_by != user:
        raise UserError(f"Only the person who filed #{ref.number} can turn it into a vote.")
    if item.merged_into_id is not None:
        target = await service.get_item(session, team_id, ref.number)
        return Moved(ref.number, target.number, target.votes, already=True)
    chosen = await service.get_item(session, team_id, ref.into)
    if chosen.id == item.id:
        raise UserError(f"#{ref.into} is #{ref.number} itself.")
    if chosen.status not in OPEN:
        raise UserError(f"#{chosen.number} is {chosen.status.value} now; #{ref.number} stays as it is.")
    if item.status is not FeedbackStatus.NEW or item.owner_id is not None:
        raise UserError(f"#{ref.number} is being triaged already; its owner can merge it "
                        f"(`/feedback merge {ref.number} {chosen.number}`).")
    has_vote = await session.scalar(select(FeedbackReporter.id).where(
        FeedbackReporter.item_id == chosen.id, FeedbackReporter.user_id == user))
    if has_vote is None:  # moved, not copied: the triggers take the vote off one and onto the other
        await session.execute(update(FeedbackReporter).where(
            FeedbackReporter.item_id == item.id, FeedbackReporter.user_id == user)
            .values(item_id=chosen.id).execution_options(synchronize_session=False))
    _, target = await service.merge(session, team_id, item.number, chosen.number)
    votes = int(await session.scalar(select(FeedbackItem.votes).where(FeedbackItem.id == target.id)) or 0)
    return Moved(ref.number, target.number, votes, already=False)
