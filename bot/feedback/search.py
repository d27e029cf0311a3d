"""Feedback search through a real text index (issue 20): SQLite FTS5, PostgreSQL full text.

Both backends index `feedback_items.search_doc`, a string this module normalizes IN PYTHON
(`document`): casefolded, NFKD with combining marks removed, every run of characters that are
not letters or digits one space. What the index sees is then only letter/digit runs separated by
single spaces, which FTS5's unicode61 tokenizer (diacritics kept: they are gone already) and
PostgreSQL's parser with the `simple` configuration (no stop words, no stemming) split into the
same tokens, so the same query finds the same rows on both. The query's words go through the
same `normalize`, so `Café`, `cafe` and `CAFÉ` are one word, and `R&D` is the phrase `r d`.

A query (`parse`): words that must all match; `expo*` a prefix; `"export timeout"` a phrase
(adjacent words); the last word typed, unless a closing quote follows it, also matches as a
prefix (people stop typing mid-word). Results are ranked by relevance, then recency (id, newest first: ids follow
filing order, and both indexes hand matches over in id order, so the bound stops the read where
ordering by created_at sorted every match of a common word). Relevance is computed here, in
Python, over a bounded candidate set, so it is exactly the same on both backends (neither bm25
nor ts_rank is portable): the index finds the newest
CANDIDATES matching rows (one indexed statement), each is checked again on its `search_doc`
(the index may over-match in edge cases, e.g. PostgreSQL caps word positions at 16,383) and
scored per term: 3 when it matches a whole word of the item's text, 2 when a prefix of one,
1 when it only matches customer, product area or tags. Past CANDIDATES matches, the search
ranks the newest CANDIDATES and says "500+": older items are still found by a narrower query.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, Integer, Select, bindparam, column, false, literal_column, select, table, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement

from models.feedback import CaptureState, FeedbackItem, FeedbackStatus, FeedbackTag

CANDIDATES = 500  # matching rows ranked per search (the newest); more reads "500+"
_NOT_ASCII_ALNUM = re.compile(r"[^a-z0-9]+")
_FTS = table("feedback_fts", column("rowid", Integer))  # SQLite's FTS5 table (migration 0015)


def normalize(text: str | None) -> str:
    """Casefold, strip accents (NFKD, combining marks out), one space for each run of anything
    that is not a letter or digit. Migration 0015 holds a frozen copy of this function."""
    if not text:
        return ""
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")  # Slack's escapes are not words
    if text.isascii():  # the common case, in C: NFKD and casefold change nothing but case here
        return " ".join(_NOT_ASCII_ALNUM.sub(" ", text.lower()).split())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(ch if ch.isalnum() else " " for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(kept.split())


def document(text: str | None, customer: str | None, area: str | None, tags: Iterable[str]) -> str:
    """The searchable text of an item: its text first, then customer, product area and tags
    (and, from `refresh`, what the items merged into it said)."""
    return normalize(" ".join(part for part in (text, customer, area, *tags) if part))


@dataclass(frozen=True)
class Term:
    """One thing a result must contain: a word, or a phrase of adjacent words; `prefix`: the
    last word may be the start of a longer one."""

    words: tuple[str, ...]
    prefix: bool = False

    def found_in(self, padded: str) -> int:
        """0: absent; 1: only as a prefix of its last word; 2: as whole words. `padded` is a
        normalized string with a space at each end, so a substring that starts (and ends) with
        a space is a run of whole tokens: one C-level `in` instead of a loop over tokens."""
        phrase = " " + " ".join(self.words)
        if phrase + " " in padded:
            return 2
        return 1 if self.prefix and phrase in padded else 0


_QUOTED = re.compile(r'"([^"]*)"?')


def parse(typed: str) -> tuple[Term, ...]:
    """What was typed after `/feedback search`, as terms (empty when nothing searchable was
    typed, e.g. only punctuation)."""
    terms: list[Term] = []
    typed = typed.replace("\u201c", '"').replace("\u201d", '"')  # Slack's clients may curl the quotes
    pos = 0
    pieces: list[tuple[str, bool, bool]] = []  # (text, quoted, closed)
    for match in _QUOTED.finditer(typed):
        pieces += [(w, False, False) for w in typed[pos:match.start()].split()]
        pieces.append((match.group(1), True, match.group(0).endswith('"') and len(match.group(0)) > 1))
        pos = match.end()
    pieces += [(w, False, False) for w in typed[pos:].split()]
    for index, (piece, quoted, closed) in enumerate(pieces):
        starred = not quoted and piece.endswith("*")
        words = tuple(normalize(piece).split())
        if not words:
            continue
        # The last thing typed is still being typed, a phrase whose quote is not closed too.
        last_typed = index == len(pieces) - 1 and not closed
        terms.append(Term(words, prefix=starred or last_typed))
    return tuple(dict.fromkeys(terms))  # a repeated term counts once


def fts5_query(terms: Sequence[Term], any_term: bool = False) -> str:
    """`"export timeout" "expo" *`: every term must match (FTS5's implicit AND), or any one."""
    return (" OR " if any_term else " ").join('"' + " ".join(t.words) + '"' + (" *" if t.prefix else "") for t in terms)


def tsquery(terms: Sequence[Term], any_term: bool = False) -> str:
    """`'export' <-> 'timeout' & 'expo':*` for to_tsquery('simple', ...) (`|` for any one)."""
    def one(t: Term) -> str:
        words = [f"'{w}'" for w in t.words]
        if t.prefix:
            words[-1] += ":*"
        return "(" + " <-> ".join(words) + ")"
    return (" | " if any_term else " & ").join(one(t) for t in terms)


class TextMatch(ColumnElement[bool]):
    """`feedback_items` rows whose search_doc matches the terms, through each backend's index."""

    type = Boolean()
    inherit_cache = False
    # A predicate already: without this SQLite's compiler writes `id IN (…) = 1`, which the
    # planner cannot drive from the FTS5 match (it walked the workspace's rows instead).
    _is_implicitly_boolean = True

    def __init__(self, terms: Sequence[Term], any_term: bool = False) -> None:
        self.terms = tuple(terms)
        self.any_term = any_term  # OR instead of AND (similar items: any shared word)


@compiles(TextMatch, "sqlite")
def _match_sqlite(element: TextMatch, compiler: Any, **kw: Any) -> str:
    if not element.terms:
        return "0 = 1"
    query = compiler.process(bindparam("fts_query", fts5_query(element.terms, element.any_term), unique=True), **kw)
    return f"feedback_items.id IN (SELECT rowid FROM feedback_fts WHERE feedback_fts MATCH {query})"


@compiles(TextMatch)
def _match_postgresql(element: TextMatch, compiler: Any, **kw: Any) -> str:
    if not element.terms:
        return "1 = 0"
    query = compiler.process(bindparam("ts_query", tsquery(element.terms, element.any_term), unique=True), **kw)
    # The stored tsvector with the GIN index (migration 0016): no to_tsvector per row looked at.
    return f"feedback_items.search_tsv @@ to_tsquery('simple', {query})"


def condition(words: Sequence[str]) -> ColumnElement[bool]:
    """A WHERE clause for `/feedback list`-style filters: rows matching the typed words."""
    return TextMatch(parse(" ".join(words)))


@dataclass(frozen=True)
class Hit:
    id: int
    number: int
    text: str
    status: FeedbackStatus
    customer: str | None
    product_area: str | None
    votes: int
    score: int


def score(terms: Sequence[Term], text: str | None, doc: str) -> int:
    """Relevance: per term 3 (whole words in the text), 2 (a prefix in the text), 1 (only in
    customer, area or tags); 0 when some term is missing from the item altogether."""
    in_text, in_doc = f" {normalize(text)} ", f" {doc} "
    total = 0
    for term in terms:
        found = term.found_in(in_text)
        if found:
            total += found + 1
        elif term.found_in(in_doc):
            total += 1
        else:
            return 0
    return total


def newest_matches(session: AsyncSession, query: Select[Any], where: Sequence[ColumnElement[bool]],
                   terms: Sequence[Term], any_term: bool = False) -> Select[Any]:
    """`query` (columns of feedback_items) limited to rows matching the terms, newest (by id)
    first, read so that a LIMIT stops the read: on SQLite driven from the FTS5 match in
    descending rowid order (as `id IN (…)` the whole match, 95,000 rowids for a common word,
    was collected first); on PostgreSQL the planner picks the GIN index or the primary key
    read backwards from the stored tsvector's statistics (migration 0016)."""
    if session.get_bind().dialect.name == "sqlite":
        if not terms:
            return query.where(false())
        match = literal_column("feedback_fts").op("MATCH", is_comparison=True)(fts5_query(terms, any_term))
        return (query.select_from(_FTS.join(FeedbackItem, FeedbackItem.id == _FTS.c.rowid))
                .where(*where, match).order_by(_FTS.c.rowid.desc()))
    return query.where(*where, TextMatch(terms, any_term)).order_by(FeedbackItem.id.desc())


async def ranked(session: AsyncSession, team_id: str, terms: Sequence[Term], *, open_only: bool = False,
                 exclude_id: int | None = None) -> tuple[list[Hit], bool]:
    """The matching items, most relevant first, then newest; and whether the candidate bound was
    reached (more matches exist than were ranked)."""
    if not terms:
        return [], False
    where = [FeedbackItem.team_id == team_id, FeedbackItem.capture_state == CaptureState.READY,
             FeedbackItem.merged_into_id.is_(None)]
    if open_only:
        where.append(FeedbackItem.status.in_([FeedbackStatus.NEW, FeedbackStatus.TRIAGED, FeedbackStatus.PLANNED]))
    if exclude_id is not None:
        where.append(FeedbackItem.id != exclude_id)
    rows = (await session.execute(newest_matches(
        session, select(FeedbackItem.id, FeedbackItem.number, FeedbackItem.text, FeedbackItem.status,
                        FeedbackItem.customer, FeedbackItem.product_area, FeedbackItem.votes,
                        FeedbackItem.search_doc), where, terms).limit(CANDIDATES + 1))).all()
    bounded = len(rows) > CANDIDATES
    hits = []
    for position, r in enumerate(rows[:CANDIDATES]):
        points = score(terms, r.text, r.search_doc or "")
        if points:
            hits.append((-points, position, Hit(r.id, r.number, r.text or "", FeedbackStatus(r.status), r.customer,
                                                r.product_area, int(r.votes), points)))
    hits.sort(key=lambda h: (h[0], h[1]))
    return [h[2] for h in hits], bounded


async def search_page(session: AsyncSession, team_id: str, words: Sequence[str], page: int = 1):  # noqa: ANN201
    """A page of `/feedback search`, as `/feedback list` pages are (bot/feedback/listing.py)."""
    from bot.feedback import listing  # listing's conditions use this module

    hits, bounded = await ranked(session, team_id, parse(" ".join(words)))
    size = listing.PAGE_SIZE
    page = max(1, page)
    shown = hits[(page - 1) * size:page * size]
    tags = await listing.tags_of(session, [h.id for h in shown])
    items = [listing.Listed(h.number, h.text, h.status, h.customer, h.product_area, h.votes, tags.get(h.id, ()))
             for h in shown]
    return listing.Page(items, page, len(hits), exact=not bounded, last_counted=True)


async def refresh(session: AsyncSession, item_ids: Sequence[int]) -> None:
    """Recompute search_doc for these items from what they now hold (after an edit, a merge, a
    completed capture), with the text, customer and area of the items merged into them (a
    search for the duplicate's words finds the item that stands for it): three reads and an
    UPDATE per item. The FTS5 triggers follow the UPDATE."""
    ids = sorted(set(item_ids))
    if not ids:
        return
    await session.flush()  # the ORM's pending changes first: the text, customer or area read here
    extra: dict[int, list[str]] = {i: [] for i in ids}
    for item_id, tag in (await session.execute(
            select(FeedbackTag.item_id, FeedbackTag.tag).where(FeedbackTag.item_id.in_(ids))
            .order_by(FeedbackTag.item_id, FeedbackTag.tag))).all():
        extra[item_id].append(tag)
    for into, *fields in (await session.execute(
            select(FeedbackItem.merged_into_id, FeedbackItem.text, FeedbackItem.customer, FeedbackItem.product_area)
            .where(FeedbackItem.merged_into_id.in_(ids)).order_by(FeedbackItem.merged_into_id, FeedbackItem.number))).all():
        extra[into] += [f for f in fields if f]
    rows = (await session.execute(select(FeedbackItem.id, FeedbackItem.text, FeedbackItem.customer,
                                         FeedbackItem.product_area).where(FeedbackItem.id.in_(ids)))).all()
    for r in rows:
        await session.execute(update(FeedbackItem).where(FeedbackItem.id == r.id)
                              .values(search_doc=document(r.text, r.customer, r.product_area, extra[r.id]))
                              .execution_options(synchronize_session=False))


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """alembic autogenerate's filter: the index this module queries is not a model (FTS5's
    table and its shadow tables on SQLite; the stored tsvector and its GIN index on PostgreSQL)."""
    if type_ == "table" and name is not None and name.startswith("feedback_fts"):
        return False
    if type_ == "column" and name == "search_tsv":
        return False
    return not (type_ == "index" and name in ("ix_feedback_items_search_doc", "ix_feedback_items_search_tsv"))
