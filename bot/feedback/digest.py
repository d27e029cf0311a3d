"""Feedback's section of a channel digest (the interface: bot/digests/sections.py).

For the period: how many items were filed, by product area and by tag; the most-voted open
items among those that drew votes in it; items still untriaged a week after filing; and what
shipped, with how many reporters were told. Each number carries the `/feedback` command that
shows it. The filter narrows everything to items with any of some tags and/or in some areas.

Every query reads a bounded window of rows through an index (EXAMINED, below) and aggregates in
SQL: feedback_items (team_id, created_at) for what was filed, (team_id, status, created_at) for the
untriaged, (team_id, status, closed_at) for what shipped; feedback_reporters (team_id, created_at,
item_id) for the period's votes and (item_id) for an item's votes; feedback_tags (item_id, tag).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Subquery, and_, case, func, literal, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot import usertext
from bot.blocks import Block, context, input_block, section
from bot.digests.sections import DigestSection, Filter, Part, Period
from bot.errors import UserError
from bot.feedback.blocks import plural
from bot.feedback.parsing import OPEN_STATUSES, parse_tags
from bot.forms import FormData, text_input
from bot.text import truncate
from models.feedback import CaptureState, FeedbackItem, FeedbackReporter, FeedbackStatus, FeedbackTag

NAME = "feedback"
TAGS_FIELD = f"{NAME}.tags"
AREAS_FIELD = f"{NAME}.areas"
FILTER_TAGS_MAX = 10
FILTER_AREAS_MAX = 10
AREA_MAX = 100  # the feedback form's own limit on a product area
GROUPS_SHOWN = 5  # areas and tags listed with their counts
VOTED_SHOWN = 3
VOTE_CANDIDATES = 200  # the items with the most votes in the period, of which the most-voted are shown
SHIPPED_SHOWN = 3
# Within a part's PART_CHARS, whatever the names and texts: mrkdwn characters, escapes included.
TEXT_MRKDWN_MAX = 100  # of an item's text
LABEL_MRKDWN_MAX = 40  # of an area or a tag in a list (a pointer names it whole, or not at all)
FILTER_NOTE_MAX = 200  # the filter said under the section; longer, it points to /digest list
TEXT_READ_MAX = 600  # characters of an item's text read from the database (enough for the line)
UNTRIAGED_AFTER = timedelta(days=7)


# -- the filter -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FeedbackFilter:
    """Items with any of `tags` (when given) and in one of `areas` (when given); empty: all."""

    tags: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()  # stored representation (bot/usertext.py), as typed

    @classmethod
    def of(cls, raw: Filter | None) -> FeedbackFilter:
        """The stored dict, tolerating what an older or hand-edited one may hold."""
        raw = raw or {}

        def strings(key: str) -> tuple[str, ...]:
            values = raw.get(key)
            return tuple(v for v in values if isinstance(v, str) and v) if isinstance(values, list) else ()

        return cls(strings("tags"), strings("areas"))

    def as_dict(self) -> Filter:
        out: Filter = {}
        if self.tags:
            out["tags"] = list(self.tags)
        if self.areas:
            out["areas"] = list(self.areas)
        return out


def _area_text(area: str) -> str:
    return usertext.mrkdwn(area, public=True, limit=LABEL_MRKDWN_MAX)


def describe(raw: Filter) -> str:
    """`tags #billing, #api · areas Mobile`, mrkdwn (areas escaped); "" for everything."""
    f = FeedbackFilter.of(raw)
    parts = []
    if f.tags:
        parts.append(("tag " if len(f.tags) == 1 else "tags ") + ", ".join(f"#{t}" for t in f.tags))
    if f.areas:
        parts.append(("area " if len(f.areas) == 1 else "areas ") + ", ".join(_area_text(a) for a in f.areas))
    return " · ".join(parts)


async def inputs(_session: AsyncSession, _team_id: str, current: Filter | None) -> list[Block]:
    f = FeedbackFilter.of(current)
    return [
        input_block(TAGS_FIELD, "Feedback: only these tags",
                    text_input(" ".join(f"#{t}" for t in f.tags), max_length=700, placeholder="#billing #api"),
                    optional=True, hint="Items with any of these tags. Empty: every tag."),
        input_block(AREAS_FIELD, "Feedback: only these product areas",
                    text_input(", ".join(f.areas), max_length=1100, placeholder="Mobile, Web"),
                    optional=True, hint="Comma-separated. Empty: every area."),
    ]


def read(form: FormData) -> Filter:
    try:
        tags = parse_tags(usertext.plain(form.text(TAGS_FIELD) or ""))
    except UserError as exc:
        raise UserError(exc.message, field=TAGS_FIELD) from None
    if len(tags) > FILTER_TAGS_MAX:
        raise UserError(f"Pick at most {FILTER_TAGS_MAX} tags.", field=TAGS_FIELD)
    areas: dict[str, str] = {}  # folded -> as typed, first spelling wins
    for piece in (form.text(AREAS_FIELD) or "").split(","):
        area = " ".join(piece.split())
        if len(usertext.plain(area)) > AREA_MAX:
            raise UserError(f"Keep each product area under {AREA_MAX} characters.", field=AREAS_FIELD)
        if area:
            areas.setdefault(area.lower(), area)
    if len(areas) > FILTER_AREAS_MAX:
        raise UserError(f"Pick at most {FILTER_AREAS_MAX} product areas.", field=AREAS_FIELD)
    return FeedbackFilter(tags, tuple(areas.values())).as_dict()


# -- what the period holds ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    """An item in one of the section's lists: its number, text (stored form) and votes."""

    number: int
    text: str
    votes: int
    recent: int = 0  # votes in the period


@dataclass(frozen=True)
class Counted:
    value: str  # an area (stored form) or a tag
    count: int


@dataclass(frozen=True)
class Tally:
    """A count, and whether it stopped at the EXAMINED rows read (then it is "at least")."""

    count: int = 0
    more: bool = False


@dataclass(frozen=True)
class FeedbackDigest:
    new: Tally
    areas: list[Counted]  # at most GROUPS_SHOWN + 1 (one more: there are more)
    tags: list[Counted]
    voted: list[Line]
    untriaged: Tally
    oldest_days: int | None
    shipped: Tally
    shipped_items: list[Line]  # votes: its reporters, the people told
    told: int  # distinct reporters of the items shipped

    @property
    def empty(self) -> bool:
        return not (self.new.count or self.voted or self.untriaged.count or self.shipped.count)


# Each query reads at most EXAMINED rows of one kind (a period's items, its votes, the untriaged
# backlog, what shipped), newest or oldest first through an index, and applies the filter to
# those: its cost is bounded whatever the workspace holds and whichever plan the database picks
# (PostgreSQL's generic plans for prepared statements included). A count that reached its bound
# is shown as "10,000+".
EXAMINED = 10_000
UNTRIAGED_EXAMINED = 5_000  # of the backlog, oldest first, when a filter probes each of them
SHIPPED_EXAMINED = 2_000  # each is ranked by its votes and its reporters counted
VOTES_EXAMINED = 20_000  # a period's votes, of which the busiest items are ranked

# What the lists show: captured, not merged away (a merged item has status `merged`). Written as
# inequalities on purpose: `capture_state = 'ready'` or `merged_into_id IS NULL` would tempt
# SQLite's planner (after ANALYZE) onto those columns' own indexes, which match nearly every
# row, instead of the team's period.
CAPTURED = (FeedbackItem.capture_state != CaptureState.PENDING, FeedbackItem.status != FeedbackStatus.MERGED)


def _matches(f: FeedbackFilter, item_id: Any, area: Any) -> ColumnElement[bool]:
    """Whether the item (`item_id`, `area` columns) passes the filter: in one of its areas
    (folded by the database, as `/feedback list area:x` does) and with any of its tags, probed
    per item through feedback_tags (item_id, tag). The probe is a scalar subquery, not EXISTS:
    PostgreSQL may run an EXISTS as one hashed scan of the whole tags table instead."""
    conditions: list[ColumnElement[bool]] = []
    if f.areas:
        conditions.append(func.lower(area).in_([func.lower(literal(a)) for a in f.areas]))
    if f.tags:
        tagged = aliased(FeedbackTag)  # not the tags a query may also group by
        conditions.append(select(literal(1)).where(tagged.item_id == item_id, tagged.tag.in_(f.tags))
                          .limit(1).scalar_subquery().is_not(None))
    return and_(true(), *conditions)


def _window(team_id: str, f: FeedbackFilter, *where: ColumnElement[bool], order: Any, areas: bool = False,
            dated: bool = False, limit: int | None = None) -> Subquery:
    """At most `limit` of the workspace's items matching `where`, in `order` (an index's), each
    with `passes` (1 when the filter lets it through, computed once per row: the LIMIT keeps the
    databases from inlining it into every aggregate that reads it), and the product area and
    filing time only when wanted, so an unfiltered count reads the index alone."""
    passes = case((_matches(f, FeedbackItem.id, FeedbackItem.product_area), 1), else_=0).label("passes")
    columns = [FeedbackItem.id, passes, *([FeedbackItem.created_at] if dated else []),
               *([FeedbackItem.product_area] if areas else [])]
    return (select(*columns).where(FeedbackItem.team_id == team_id, *where).order_by(order)
            .limit(limit or EXAMINED).subquery())


def _tally(examined: int | None, matched: int | None, limit: int | None = None) -> Tally:
    return Tally(int(matched or 0), int(examined or 0) >= (limit or EXAMINED))


def _votes() -> Any:
    """All of the item's votes, counted through feedback_reporters (item_id), once per row."""
    return (select(func.count()).where(FeedbackReporter.item_id == FeedbackItem.id)
            .correlate(FeedbackItem).scalar_subquery().label("votes"))


def _text_column() -> Any:
    return func.substr(FeedbackItem.text, 1, TEXT_READ_MAX)


async def _filed(session: AsyncSession, team_id: str, f: FeedbackFilter, start: datetime,
                 end: datetime) -> tuple[Tally, list[Counted], list[Counted]]:
    """The period's new items: how many, by area (folded, shown as first typed) and by tag."""
    window = _window(team_id, f, *CAPTURED, FeedbackItem.created_at >= start, FeedbackItem.created_at < end,
                     order=FeedbackItem.created_at.desc(), areas=True)
    examined, matched = (await session.execute(select(func.count(), func.sum(window.c.passes)))).one()
    new = _tally(examined, matched)
    if not new.count:
        return new, [], []
    folded = func.lower(window.c.product_area)
    count = func.count()
    areas = await session.execute(
        select(func.min(window.c.product_area), count)
        .where(window.c.passes == 1, window.c.product_area.is_not(None), window.c.product_area != "")
        .group_by(folded).order_by(count.desc(), folded).limit(GROUPS_SHOWN + 1))
    return new, [Counted(a, n) for a, n in areas.all()], await _tag_counts(session, window)


async def _tag_counts(session: AsyncSession, window: Subquery) -> list[Counted]:
    """The window's items by tag. Each item's tags come from its own index probe: on PostgreSQL
    through LATERAL, since at default cost settings its planner would rather hash the whole
    feedback_tags table against a period's items; SQLite always probes."""
    count = func.count()
    if session.get_bind().dialect.name == "postgresql":
        own = select(FeedbackTag.tag).where(FeedbackTag.item_id == window.c.id).lateral("own")
        query = select(own.c.tag, count).select_from(window).join(own, true()).group_by(own.c.tag)
        tag = own.c.tag
    else:
        query = (select(FeedbackTag.tag, count).select_from(window)
                 .join(FeedbackTag, FeedbackTag.item_id == window.c.id).group_by(FeedbackTag.tag))
        tag = FeedbackTag.tag
    rows = await session.execute(query.where(window.c.passes == 1).order_by(count.desc(), tag)
                                 .limit(GROUPS_SHOWN + 1))
    return [Counted(t, n) for t, n in rows.all()]


async def _most_voted(session: AsyncSession, team_id: str, f: FeedbackFilter, start: datetime,
                      end: datetime) -> list[Line]:
    """The most-voted open items among those that drew the most votes in the period (a new
    item's filer is its first vote): what people ask for now, not the same all-time top every
    day. The period's votes are grouped from the (team_id, created_at, item_id) index alone, and
    only its VOTE_CANDIDATES busiest items are read, so the join stays a few index probes."""
    votes = (select(FeedbackReporter.item_id)
             .where(FeedbackReporter.team_id == team_id, FeedbackReporter.created_at >= start,
                    FeedbackReporter.created_at < end)
             .order_by(FeedbackReporter.created_at.desc()).limit(VOTES_EXAMINED).subquery())
    busiest = (select(votes.c.item_id, func.count().label("recent")).group_by(votes.c.item_id)
               .order_by(func.count().desc(), votes.c.item_id.desc()).limit(VOTE_CANDIDATES).subquery())
    total = _votes()
    rows = await session.execute(
        select(FeedbackItem.number, _text_column(), total, busiest.c.recent)
        .join(busiest, busiest.c.item_id == FeedbackItem.id)
        .where(FeedbackItem.team_id == team_id, FeedbackItem.capture_state != CaptureState.PENDING,
               FeedbackItem.status.in_(OPEN_STATUSES), _matches(f, FeedbackItem.id, FeedbackItem.product_area))
        .order_by(total.desc(), busiest.c.recent.desc(), FeedbackItem.number.desc()).limit(VOTED_SHOWN))
    return [Line(n, text or "", int(v), int(r)) for n, text, v, r in rows.all()]


async def _untriaged(session: AsyncSession, team_id: str, f: FeedbackFilter,
                     end: datetime) -> tuple[Tally, int | None]:
    """Items still `new` a week after filing: how many and the oldest one's age in days, from
    the oldest EXAMINED (UNTRIAGED_EXAMINED when filtered). No capture check: a capture is
    finished or dropped within the hour, and leaving it out lets the unfiltered count read the
    (team_id, status, created_at) index alone."""
    limit = UNTRIAGED_EXAMINED if f.tags or f.areas else EXAMINED
    window = _window(team_id, f, FeedbackItem.status == FeedbackStatus.NEW,
                     FeedbackItem.created_at < end - UNTRIAGED_AFTER, order=FeedbackItem.created_at,
                     dated=True, limit=limit)
    examined, matched, oldest = (await session.execute(select(
        func.count(), func.sum(window.c.passes),
        func.min(case((window.c.passes == 1, window.c.created_at)))))).one()
    untriaged = _tally(examined, matched, limit)
    return untriaged, (end - oldest).days if untriaged.count and oldest else None


async def _shipped(session: AsyncSession, team_id: str, f: FeedbackFilter, start: datetime,
                   end: datetime) -> tuple[Tally, list[Line], int]:
    """Items shipped in the period (`closed_at` is when the status was set), the most-voted
    first, and how many people reported them: each was sent the outcome."""
    window = _window(team_id, f, FeedbackItem.status == FeedbackStatus.SHIPPED, FeedbackItem.closed_at >= start,
                     FeedbackItem.closed_at < end, order=FeedbackItem.closed_at.desc(), limit=SHIPPED_EXAMINED)
    examined, matched = (await session.execute(select(func.count(), func.sum(window.c.passes)))).one()
    shipped = _tally(examined, matched, SHIPPED_EXAMINED)
    if not shipped.count:
        return shipped, [], 0
    total = _votes()
    rows = await session.execute(
        select(FeedbackItem.number, _text_column(), total).join(window, window.c.id == FeedbackItem.id)
        .where(window.c.passes == 1).order_by(total.desc(), FeedbackItem.number.desc()).limit(SHIPPED_SHOWN))
    told = await session.scalar(
        select(func.count(func.distinct(FeedbackReporter.user_id))).select_from(window)
        .join(FeedbackReporter, FeedbackReporter.item_id == window.c.id).where(window.c.passes == 1))
    return shipped, [Line(n, text or "", int(v)) for n, text, v in rows.all()], int(told or 0)


async def gather(session: AsyncSession, team_id: str, start: datetime, end: datetime,
                 f: FeedbackFilter) -> FeedbackDigest:
    new, areas, tags = await _filed(session, team_id, f, start, end)
    voted = await _most_voted(session, team_id, f, start, end)
    untriaged, oldest = await _untriaged(session, team_id, f, end)
    shipped, shipped_items, told = await _shipped(session, team_id, f, start, end)
    return FeedbackDigest(new, areas, tags, voted, untriaged, oldest, shipped, shipped_items, told)


# -- rendering (pure) --------------------------------------------------------------------------------

SAFE_AREA = re.compile(r"[^\s`#]\S*")  # an area `/feedback list area:x` can take (one word)


def _number(t: Tally) -> str:
    return f"{t.count:,}+" if t.more else f"{t.count:,}"


def _items(t: Tally) -> str:
    return f"{_number(t)} {'item' if t.count == 1 and not t.more else 'items'}"


def _list(*words: str) -> str:
    return "`" + " ".join(("/feedback list", *words)) + "`"


def _area_word(area: str) -> str | None:
    """`area:mobile` for an area the list command can take, else None (it splits on spaces)."""
    shown = usertext.plain(area)
    word = usertext.mrkdwn(area, public=True)
    if not SAFE_AREA.fullmatch(shown) or "`" in shown or len(word) > LABEL_MRKDWN_MAX:
        return None
    return "area:" + word


def _scope(f: FeedbackFilter, *, tag: str | None = None, area: str | None = None) -> list[str]:
    """The list command's words for the filter (plus a tag or area looked at), as far as its
    syntax says it (one area, tags all required): a filter of several tags or areas is left out."""
    words = []
    areas = [area] if area is not None else list(f.areas)
    if len(areas) == 1 and (word := _area_word(areas[0])):
        words.append(word)
    tags = [tag] if tag is not None else list(f.tags)
    if len(tags) == 1:
        words.append(f"#{tags[0]}")
    return words


def _line_text(line: Line) -> str:
    return usertext.mrkdwn(" ".join(line.text.split()), public=True, limit=TEXT_MRKDWN_MAX) or "_(no text)_"


def _groups_line(title: str, groups: list[Counted], shown: list[str], pointer: str) -> str:
    more = " · and more" if len(groups) > GROUPS_SHOWN else ""
    return f"*{title}:* " + " · ".join(shown[:GROUPS_SHOWN]) + more + f" · {pointer}"


def _new_text(d: FeedbackDigest, f: FeedbackFilter) -> str:
    lines = [f":memo: *{_items(d.new)} filed* · {_list(*_scope(f))}"]
    if d.areas:
        top = d.areas[0].value
        lines.append(_groups_line("By area", d.areas, [f"{_area_text(g.value)} {g.count:,}" for g in d.areas],
                                  _list(*_scope(f, area=top))))
    if d.tags:
        lines.append(_groups_line("By tag", d.tags, [f"`#{truncate(g.value, LABEL_MRKDWN_MAX)}` {g.count:,}"
                                                     for g in d.tags],
                                  _list(*_scope(f, tag=d.tags[0].value))))
    return "\n".join(lines)


def _voted_text(d: FeedbackDigest) -> str:
    lines = [":fire: *Most-voted open items with votes this period*"]
    for line in d.voted:
        lines.append(f"`#{line.number}` · {plural(line.votes, 'vote')} (+{line.recent:,}) · {_line_text(line)} · "
                     f"`/feedback show {line.number}`")
    return "\n".join(lines)


def _untriaged_text(d: FeedbackDigest, f: FeedbackFilter) -> str:
    oldest = f", the oldest filed {plural(d.oldest_days, 'day')} ago" if d.oldest_days is not None else ""
    return (f":hourglass_flowing_sand: *{_items(d.untriaged)} untriaged* a week after filing{oldest} · "
            f"{_list('new', *_scope(f))}")


def _shipped_text(d: FeedbackDigest, f: FeedbackFilter) -> str:
    lines = [f":rocket: *{_items(d.shipped)} shipped*, {plural(d.told, 'reporter')} told · "
             f"{_list('shipped', *_scope(f))}"]
    for line in d.shipped_items:
        lines.append(f"`#{line.number}` · {_line_text(line)} · {plural(line.votes, 'reporter')}")
    if d.shipped.count > len(d.shipped_items):
        rest = Tally(d.shipped.count - len(d.shipped_items), d.shipped.more)
        lines.append(f"_and {_number(rest)} more_")
    return "\n".join(lines)


def render(d: FeedbackDigest, f: FeedbackFilter) -> Part | None:
    """The section's blocks (at most five) and its line in the notification; None when the
    period holds nothing to say."""
    if d.empty:
        return None
    blocks: list[Block] = []
    said: list[str] = []
    if d.new.count:
        blocks.append(section(_new_text(d, f)))
        said.append(f"{_number(d.new)} new")
    if d.voted:
        blocks.append(section(_voted_text(d)))
    if d.untriaged.count:
        blocks.append(section(_untriaged_text(d, f)))
        said.append(f"{_number(d.untriaged)} untriaged after a week")
    if d.shipped.count:
        blocks.append(section(_shipped_text(d, f)))
        said.append(f"{_number(d.shipped)} shipped")
    if f.tags or f.areas:
        said_filter = describe(f.as_dict())
        blocks.append(context(f"Only feedback with {said_filter}." if len(said_filter) <= FILTER_NOTE_MAX
                              else "Only feedback with this digest's tags and areas: `/digest list` says them."))
    return Part(blocks, "Feedback: " + (", ".join(said) or "most-voted items"))


async def build(session: AsyncSession, period: Period, raw: Filter) -> Part | None:
    f = FeedbackFilter.of(raw)
    return render(await gather(session, period.team_id, period.start, period.end, f), f)


SECTION = DigestSection(name=NAME, label="Feedback", build=build, inputs=inputs, read=read, describe=describe,
                        per_channel=lambda _f: False)  # feedback is the workspace's, whatever the channel
