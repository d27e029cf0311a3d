"""Feedback search through the text index (issue 20): the same results in the same order on
SQLite (FTS5) and PostgreSQL (GIN over to_tsvector), words/prefixes/phrases/accents/`R&D`/CJK,
the index kept in step on filing, edit, merge and delete, and `/feedback search` ranked by
relevance then recency."""
from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from bot.config import Settings
from bot.db import create_engine
from bot.feedback import search
from bot.migrate import upgrade
from models.feedback import FeedbackItem, FeedbackSource, FeedbackStatus, FeedbackTag
from models.workspace import Workspace
from tests.blockkit import assert_valid_blocks
from tests.conftest import Bot
from tests.feedback_helpers import file_by_command
from tests.slack_requests import block_actions, view_submission

TEAM = "TSEARCH01"
# Words the corpus is made of: plain, accented (both spellings), `R&D`, digits, CJK, a long one.
WORDS = ["export", "exports", "exporter", "timeout", "timeouts", "time", "csv", "slow", "dashboard", "dark",
         "mode", "café", "cafe", "Crème", "brûlée", "R&D", "naïve", "Zürich", "zurich", "100%", "v2", "ß",
         "導出", "导出超时", "検索", "sync", "SAML", "sso", "login", "Łódź", "x-ray", "e-mail", "ＡＢＣ"]
CUSTOMERS = [None, "Initech", "Acme & Co", "Globex", "Café Zürich"]
AREAS = [None, "Billing", "R&D", "Exports"]
TAGS = [(), ("perf",), ("ux", "mobile"), ("export",)]


def corpus(size: int = 120) -> list[dict[str, Any]]:
    """Deterministic items: text of 2..8 corpus words, some customers, areas and tags; two
    items share a created_at (the number breaks the tie)."""
    rows = []
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for n in range(1, size + 1):
        words = [WORDS[(n * 7 + k * 11) % len(WORDS)] for k in range(2 + n % 7)]
        rows.append({"number": n, "text": " ".join(words), "customer": CUSTOMERS[n % len(CUSTOMERS)],
                     "product_area": AREAS[n % len(AREAS)], "tags": TAGS[n % len(TAGS)],
                     "created_at": start + timedelta(minutes=n - n % 2),
                     "status": FeedbackStatus.SHIPPED if n % 9 == 0 else FeedbackStatus.NEW})
    return rows


async def load(engine: AsyncEngine, rows: list[dict[str, Any]]) -> None:
    async with AsyncSession(engine) as session:
        session.add(Workspace(team_id=TEAM))
        await session.flush()
        ids = dict((await session.execute(insert(FeedbackItem).returning(FeedbackItem.number, FeedbackItem.id), [
            {"team_id": TEAM, "number": r["number"], "text": r["text"], "customer": r["customer"],
             "product_area": r["product_area"], "source": FeedbackSource.COMMAND, "status": r["status"],
             "created_by": "USEARCH1", "created_at": r["created_at"], "updated_at": r["created_at"],
             "search_doc": search.document(r["text"], r["customer"], r["product_area"], r["tags"])}
            for r in rows])).all())
        tags = [{"team_id": TEAM, "item_id": ids[r["number"]], "tag": t} for r in rows for t in r["tags"]]
        await session.execute(insert(FeedbackTag), tags)
        await session.commit()


@pytest.fixture(scope="module")
async def twins(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, AsyncEngine]]:
    """The same corpus in a fresh SQLite file and, with TEST_DATABASE_URL, a throwaway
    PostgreSQL database beside it (both migrated to head)."""
    engines: dict[str, AsyncEngine] = {}
    path: Path = tmp_path_factory.mktemp("search") / "twin.sqlite3"
    sqlite_url = f"sqlite+aiosqlite:///{path}"
    await upgrade(sqlite_url)
    engines["sqlite"] = create_engine(sqlite_url)
    admin = None
    name = "srch_" + uuid.uuid4().hex[:10]
    if os.environ.get("TEST_DATABASE_URL"):
        server = Settings.model_validate({"database_url": os.environ["TEST_DATABASE_URL"]}).database_url
        admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        pg_url = server.rsplit("/", 1)[0] + "/" + name
        await upgrade(pg_url)
        engines["postgresql"] = create_engine(pg_url)
    rows = corpus()
    for engine in engines.values():
        await load(engine, rows)
    try:
        yield engines
    finally:
        for engine in engines.values():
            await engine.dispose()
        if admin is not None:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await admin.dispose()


def reference(typed: str) -> list[int]:
    """What the search means, computed from the corpus alone: every term found in the item's
    document, ranked by search.score, then newest first."""
    terms = search.parse(typed)
    if not terms:
        return []
    scored = []
    for r in corpus():
        doc = search.document(r["text"], r["customer"], r["product_area"], sorted(r["tags"]))
        points = search.score(terms, r["text"], doc)
        if points:
            scored.append((-points, -r["created_at"].timestamp(), -r["number"], r["number"]))
    return [s[-1] for s in sorted(scored)]


async def results(engines: dict[str, AsyncEngine], typed: str) -> dict[str, list[int]]:
    found = {}
    for name, engine in engines.items():
        async with AsyncSession(engine) as session:
            hits, bounded = await search.ranked(session, TEAM, search.parse(typed))
            assert not bounded
            found[name] = [h.number for h in hits]
    return found


QUERY_WORD = st.sampled_from(WORDS + [c for c in CUSTOMERS if c] + ["perf", "billing", "mobile"])
QUERY = st.one_of(
    st.lists(QUERY_WORD, min_size=1, max_size=3).map(" ".join),  # words (the last one also a prefix)
    QUERY_WORD.map(lambda w: w[: max(1, len(w) // 2)] + "*"),  # a prefix
    st.lists(QUERY_WORD, min_size=2, max_size=2).map(lambda ws: '"' + " ".join(ws) + '"'),  # a phrase
    st.tuples(QUERY_WORD, QUERY_WORD).map(lambda ws: f'"{ws[0]}" {ws[1].upper()}'),
    st.text(alphabet="aeiouxé&*\"' -導", min_size=1, max_size=6),  # odd typing
)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=QUERY)
@example(typed="export")
@example(typed="expo*")
@example(typed='"export timeout"')
@example(typed="CAFE")
@example(typed="brulee")
@example(typed="R&D")
@example(typed="r&amp;d")  # as Slack sends it
@example(typed="导出超时")
@example(typed="導")
@example(typed="zurich lodz")
@example(typed="abc")  # full-width ＡＢＣ folds to abc (NFKD)
@example(typed="ss")  # ß casefolds to ss
@example(typed="&&&")
async def test_both_backends_give_the_same_results_in_the_same_order(twins: dict[str, AsyncEngine],
                                                                     typed: str) -> None:
    expected = reference(typed)
    found = await results(twins, typed)
    assert all(numbers == expected for numbers in found.values()), (typed, expected, found)


async def test_the_queries_people_type_find_what_they_mean(twins: dict[str, AsyncEngine]) -> None:
    expected = {q: reference(q) for q in ["cafe", "CAFÉ", "R&D", "export time", '"dark mode"', "zurich"]}
    for typed, numbers in expected.items():
        assert all(v == numbers for v in (await results(twins, typed)).values()), typed

    def meant(typed: str) -> set[int]:
        return set(expected[typed])
    rows = corpus()
    docs = {r["number"]: search.document(r["text"], r["customer"], r["product_area"], r["tags"]) for r in rows}
    assert meant("cafe") == meant("CAFÉ") == {n for n, d in docs.items() if "cafe" in d.split()}
    assert meant("R&D") == {n for n, d in docs.items() if " r d " in f" {d} "}
    assert meant("zurich") == {n for n, d in docs.items() if "zurich" in d.split()}
    # A word in the text outranks one only in the customer: items whose text says "cafe" first.
    ranked = reference("cafe")
    in_text = [n for n in ranked if "cafe" in search.normalize(rows[n - 1]["text"]).split()]
    assert ranked[:len(in_text)] == in_text


def tokenwise(term: search.Term, tokens: list[str]) -> int:
    """Term.found_in's meaning, spelled out over the token list (what its substring test must equal)."""
    n, best = len(term.words), 0
    for start in range(len(tokens) - n + 1):
        if tuple(tokens[start:start + n - 1]) == term.words[:-1]:
            last = tokens[start + n - 1]
            if last == term.words[-1]:
                return 2
            if term.prefix and last.startswith(term.words[-1]):
                best = 1
    return best


@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=st.text(st.sampled_from("aAbB1 -_&;é\u0301ßＡ導.'\"*") | st.characters(), max_size=40),
       typed=st.text(st.sampled_from("ab1 *\"-é"), max_size=12))
def test_fast_paths_mean_what_the_slow_ones_do(text: str, typed: str) -> None:
    """normalize's ASCII shortcut gives what migration 0015's frozen copy gives (stored docs and
    typed words must agree), and the substring match of a term what the token loop gives."""
    import importlib

    frozen = importlib.import_module("migrations.versions.0015_search")._normalize
    assert search.normalize(text) == frozen(text)
    tokens = search.normalize(text).split()
    for term in search.parse(typed):
        assert term.found_in(f" {' '.join(tokens)} ") == tokenwise(term, tokens)


def test_normalize_and_parse() -> None:
    assert search.normalize("Café  Crème—R&D_x ＡＢＣ ß") == "cafe creme r d x abc ss"
    assert search.normalize("R&amp;D &lt;b&gt;") == "r d b"
    assert search.parse('export "dark mode" expo* time') == (
        search.Term(("export",)), search.Term(("dark", "mode")), search.Term(("expo",), prefix=True),
        search.Term(("time",), prefix=True))
    assert search.parse("&& * \"\"") == ()
    # A phrase still being typed (no closing quote yet) ends in a prefix; a closed one does not.
    assert search.parse('"dark mo') == (search.Term(("dark", "mo"), prefix=True),)
    assert search.parse('"dark mo" x') == (search.Term(("dark", "mo")), search.Term(("x",), prefix=True))
    assert search.parse("\u201cdark mode\u201d") == (search.Term(("dark", "mode")),)  # curly quotes, as Slack may send
    assert search.fts5_query(search.parse('"r&d" time')) == '"r d" "time" *'
    assert search.tsquery(search.parse('"r&d" time')) == "('r' <-> 'd') & ('time':*)"


# -- over the endpoint: the index follows filing, edit, merge and delete -----------------------


async def search_for(bot: Bot, team: str, words: str) -> list[int]:
    status, body = await bot.slack.command(team, "USEARCH1", "/feedback", "search " + words)
    assert status == 200, body
    if "blocks" not in body:
        return []
    assert_valid_blocks(body["blocks"])
    rendered = json.dumps(body["blocks"])
    if "Nothing" in rendered or "No feedback" in rendered:
        return []
    return [int(n) for n in re.findall(r"\*#(\d+)\*", rendered)]


async def doc_of(bot: Bot, team: str, number: int) -> str:
    async with bot.rt.db.unit_of_work() as session:
        return await session.scalar(select(FeedbackItem.search_doc).where(
            FeedbackItem.team_id == team, FeedbackItem.number == number)) or ""


async def test_search_ranks_by_relevance_then_recency(bot: Bot, team: str) -> None:
    older = await file_by_command(bot, team, "UR00001", "Exports time out on big files")
    only_customer = await file_by_command(bot, team, "UR00001", "Slow page customer:Exports")
    newer = await file_by_command(bot, team, "UR00001", "CSV exports time out too")
    prefix_only = await file_by_command(bot, team, "UR00001", "Exporting is confusing")
    await file_by_command(bot, team, "UR00001", "Dark mode")
    assert await search_for(bot, team, "exports") == [newer, older, only_customer]  # "exporting" is not "exports…"
    assert await search_for(bot, team, '"time out" exports') == [newer, older]
    assert await search_for(bot, team, "expo*") == [prefix_only, newer, older, only_customer]
    assert await search_for(bot, team, "nothing-like-this") == []


async def test_index_follows_edit_merge_and_delete(bot: Bot, team: str) -> None:
    boss = "UADMIN1"
    bot.fake.add_user(boss, is_admin=True)
    first = await file_by_command(bot, team, "UR00001", "Sync drops attachments #mobile")
    second = await file_by_command(bot, team, "UR00002", "Attachments vanish customer:Globex")
    assert await doc_of(bot, team, first) == "sync drops attachments mobile"
    assert await search_for(bot, team, "mobile") == [first]

    edit = {"tags": {"tags": {"type": "plain_text_input", "value": "ipad"}},
            "area": {"area": {"type": "plain_text_input", "value": "Files"}},
            "customer": {"customer": {"type": "plain_text_input", "value": "Initech"}}}
    _, body = await bot.slack.interaction(view_submission(team, boss, "feedback.edit", edit,
                                                          private_metadata=json.dumps({"number": first})))
    assert not body or body.get("response_action") != "errors", body
    assert await search_for(bot, team, "mobile") == []
    assert await search_for(bot, team, "ipad initech files") == [first]

    _, body = await bot.slack.command(team, boss, "/feedback", f"merge {second} {first}")
    await bot.settle()
    assert await search_for(bot, team, "globex") == [first]  # the target is found by the source's customer
    assert second not in await search_for(bot, team, "vanish")  # merged away: not listed

    await bot.slack.command(team, "UR00003", "/feedback", "Third one: attachments lost")
    third = max(await search_for(bot, team, "lost"))
    status, body = await bot.slack.command(team, "UR00003", "/feedback", f"delete {third}")
    (button,) = [e for b in body["blocks"] if b["type"] == "actions" for e in b["elements"]
                 if e["text"]["text"] == f"Delete #{third}"]
    await bot.slack.interaction(block_actions(team, "UR00003", [{**button, "type": "button"}],
                                              response_url=bot.fake.response_url("del")))
    await bot.settle()
    assert await search_for(bot, team, "lost") == []
    if bot.rt.db.engine.dialect.name == "sqlite":  # the FTS rows went with the item (triggers)
        async with bot.rt.db.unit_of_work() as session:
            docs = set(await session.scalars(text(
                "SELECT rowid FROM feedback_fts WHERE feedback_fts MATCH 'lost'")))
            assert docs == set()
            check = await session.execute(text("INSERT INTO feedback_fts(feedback_fts, rank) VALUES "
                                               "('integrity-check', 1)"))
            assert check is not None


# -- "Looks like #12 — vote there instead?" ----------------------------------------------------


def prompts(bot: Bot, user: str) -> list[list[dict[str, Any]]]:
    """The similar-items prompts `user` was shown (ephemeral, or a DM where there is no channel)."""
    found = []
    for call in bot.fake.calls_to("chat.postEphemeral") + bot.fake.posted(user):
        raw = call.args.get("blocks")
        shown = json.loads(raw) if isinstance(raw, str) else raw
        to = call.args.get("user") or call.args.get("channel")
        if to == user and shown and "vote there instead" in json.dumps(shown):
            assert_valid_blocks(shown)
            found.append(shown)
    return found


def vote_buttons(shown: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {b["accessory"]["text"]["text"]: {**b["accessory"], "block_id": b.get("block_id", "b")}
            for b in shown if b.get("accessory", {}).get("action_id") == "feedback.vote_instead"}


async def click(bot: Bot, team: str, user: str, button: dict[str, Any], key: str) -> dict[str, Any] | None:
    before = len(bot.fake.responses)
    status, _ = await bot.slack.interaction(block_actions(team, user, [{**button, "type": "button"}],
                                                         response_url=bot.fake.response_url(key)))
    assert status == 200
    await bot.settle()
    new = [r for k, r in bot.fake.responses[before:] if k == key]
    return new[0] if new else None


async def votes_and_reporters(bot: Bot, team: str, number: int) -> tuple[int, list[str], int | None]:
    async with bot.rt.db.unit_of_work() as session:
        item = await session.scalar(select(FeedbackItem).where(FeedbackItem.team_id == team,
                                                               FeedbackItem.number == number))
        assert item is not None
        from models.feedback import FeedbackReporter
        users = list(await session.scalars(select(FeedbackReporter.user_id).where(
            FeedbackReporter.item_id == item.id).order_by(FeedbackReporter.user_id)))
        return item.votes, users, item.merged_into_id


async def test_a_filing_like_an_open_item_offers_a_vote_there_in_one_click(bot: Bot, team: str) -> None:
    bot.fake.reset()
    target = await file_by_command(bot, team, "UR00001", "CSV exports time out on big workspaces")
    shipped = await file_by_command(bot, team, "UR00002", "CSV exports time out when large")
    bot.fake.add_user("UADMIN1", is_admin=True)
    await bot.slack.command(team, "UADMIN1", "/feedback", f"status {shipped} shipped")
    other = await file_by_command(bot, team, "UR00003", "Exports of big CSV files are slow")
    await file_by_command(bot, team, "UR00004", "Dark mode please")
    await bot.settle()
    votes_before, _, _ = await votes_and_reporters(bot, team, target)

    mine = await file_by_command(bot, team, "UR00009", "Big CSV exports time out #perf customer:Initech")
    await bot.settle()
    (shown,) = prompts(bot, "UR00009")
    buttons = vote_buttons(shown)
    assert list(buttons) == [f"Vote on #{target} instead", f"Vote on #{other} instead"]  # open ones, most alike
    assert f"Vote on #{shipped} instead" not in buttons and f"*#{target}*" in json.dumps(shown)

    # Only the filer: anyone else's click (a forged payload) changes nothing.
    await click(bot, team, "USTRANGE", buttons[f"Vote on #{target} instead"], "stranger")
    assert (await votes_and_reporters(bot, team, mine))[2] is None

    answer = await click(bot, team, "UR00009", buttons[f"Vote on #{target} instead"], "filer")
    assert answer is not None and answer["replace_original"] is True
    assert f"now your vote on #{target}" in answer["text"] and f"{votes_before + 1} vote" in answer["text"]
    votes, users, _ = await votes_and_reporters(bot, team, target)
    assert votes == votes_before + 1 and "UR00009" in users
    assert (await votes_and_reporters(bot, team, mine))[1:] != ([], None)
    assert (await votes_and_reporters(bot, team, mine))[0] == 0
    # Nothing lost: the tag, the customer and the words of #mine now find the target.
    assert await search_for(bot, team, "initech perf") == [target]

    again = await click(bot, team, "UR00009", buttons[f"Vote on #{target} instead"], "again")
    assert again is not None and "already your vote" in again["text"]
    assert (await votes_and_reporters(bot, team, target))[0] == votes_before + 1


async def test_the_form_and_a_reaction_offer_it_too_and_unlike_filings_get_nothing(bot: Bot, team: str) -> None:
    bot.fake.reset()
    first = await file_by_command(bot, team, "UR00001", "Calendar sync drops recurring events")
    await bot.settle()
    assert prompts(bot, "UR00001") == []  # nothing like it yet

    values = {"text": {"text": {"type": "plain_text_input", "value": "Recurring events vanish after calendar sync"}}}
    status, _ = await bot.slack.interaction(view_submission(team, "UR00002", "feedback.capture", values,
                                                            private_metadata="{}"))
    assert status == 200
    await bot.settle()
    (shown,) = prompts(bot, "UR00002")
    assert list(vote_buttons(shown)) == [f"Vote on #{first} instead"]

    from tests.feedback_helpers import new_ts, reaction
    ts = new_ts()
    bot.fake.add_message("CSALES1", ts, "calendar sync keeps dropping events")
    status, _ = await bot.slack.event(team, reaction("UR00003", "CSALES1", ts))
    assert status == 200
    await bot.settle()
    (shown,) = prompts(bot, "UR00003")
    assert f"Vote on #{first} instead" in vote_buttons(shown)

    await file_by_command(bot, team, "UR00004", "Dark mode for the dashboard")
    await bot.settle()
    assert prompts(bot, "UR00004") == []


async def test_a_bounded_search_pages_to_its_last_ranked_page_and_says_how_it_is_ordered(bot: Bot, team: str) -> None:
    """Past search.CANDIDATES matches the search says "500+" and ranks the newest 500: its last
    page offers no Next (before: a Next to an empty page); every page is titled as a search and
    says the order is by relevance. A forged page value is refused as stale, not a crash."""
    await file_by_command(bot, team, "USEARCH1", "Makes the workspace")
    start = datetime(2026, 2, 1, tzinfo=UTC)
    async with bot.rt.db.unit_of_work() as session:
        await session.execute(insert(FeedbackItem), [
            {"team_id": team, "number": n, "text": f"Export slow {n}", "source": FeedbackSource.COMMAND,
             "status": FeedbackStatus.NEW, "created_by": "UBULK01", "created_at": start, "updated_at": start,
             "search_doc": search.document(f"Export slow {n}", None, None, ())}
            for n in range(100, 100 + search.CANDIDATES + 5)])
    _, body = await bot.slack.command(team, "USEARCH1", "/feedback", "search export")
    rendered = json.dumps(body["blocks"])
    assert "500+ found" in rendered and "most relevant first" in rendered and "newest first" not in rendered
    last = search.CANDIDATES // 10
    nav = next(b for b in body["blocks"] if b["type"] == "actions")
    value = json.loads(nav["elements"][-1]["value"])
    for page, expect_next in ((2, True), (last, False)):
        bot.fake.responses.clear()
        button = {**nav["elements"][-1], "value": json.dumps({**value, "page": page}), "block_id": "nav", "type": "button"}
        status, _ = await bot.slack.interaction(block_actions(team, "USEARCH1", [button],
                                                              response_url=bot.fake.response_url("page")))
        await bot.settle()
        ((_, shown),) = bot.fake.responses
        assert shown["blocks"][0]["text"]["text"] == "Feedback search", shown["blocks"][0]
        texts = [e["text"]["text"] for b in shown["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert any(t.startswith("Next") for t in texts) is expect_next, (page, texts)
        assert len(re.findall(r"\*#(\d+)\*", json.dumps(shown["blocks"]))) == 10
    for forged in ({**value, "page": 10 ** 30}, {**value, "status": "bogus"}, {**value, "sort": "x"}):
        bot.fake.responses.clear()
        button = {**nav["elements"][-1], "value": json.dumps(forged), "block_id": "nav", "type": "button"}
        status, _ = await bot.slack.interaction(block_actions(team, "USEARCH1", [button],
                                                              response_url=bot.fake.response_url("page")))
        await bot.settle()
        assert status == 200
        told = json.dumps(bot.fake.responses) + json.dumps([c.args for c in bot.fake.calls_to("chat.postEphemeral")])
        assert "went wrong" not in told, told
    async with bot.rt.db.unit_of_work() as session:
        await session.execute(delete(FeedbackItem).where(FeedbackItem.team_id == team))
