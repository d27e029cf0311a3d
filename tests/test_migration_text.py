"""Migration 0005: rows stored before the one text representation are converted, and running it
again over converted rows changes nothing (SQLite always, PostgreSQL in a throwaway database)."""
from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from alembic import command
from sqlalchemy import column, insert, select, table as sa_table
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import create_engine
from bot.migrate import alembic_config, upgrade
from models.feedback import CaptureState, FeedbackItem, FeedbackReporter, FeedbackSource, FeedbackStatus
from models.launch import Launch, LaunchItem, LaunchTemplate
from models.workspace import Workspace


async def test_old_rows_are_converted_once(empty_database: str) -> None:
    await upgrade(empty_database, "0004")
    engine = create_engine(empty_database)
    async with engine.begin() as conn:
        session = AsyncSession(bind=conn)
        session.add(Workspace(team_id="TMIG"))
        await session.flush()
        # The table as revision 0004 had it: the model's later columns have defaults Core would send.
        old_items = sa_table("feedback_items", *(column(name, FeedbackItem.__table__.c[name].type) for name in (
            "id", "team_id", "number", "text", "customer", "product_area", "outcome_note", "source", "created_by",
            "status", "capture_state", "created_at", "updated_at")))
        stamp = datetime.now(UTC)
        old = {"team_id": "TMIG", "source": FeedbackSource.COMMAND, "created_by": "U1", "status": FeedbackStatus.NEW,
               "capture_state": CaptureState.READY, "created_at": stamp, "updated_at": stamp}
        typed_id = (await session.execute(insert(old_items).values(
            number=1, text="R&D can't open <export> <https://evil|bank> <!channel>", customer="AT&T",
            product_area="Area <!here>", **old).returning(old_items.c.id))).scalar_one()
        await session.execute(insert(old_items).values(
            number=2, text="R&amp;D &lt;x&gt; <https://a.example|docs> <!here>", outcome_note="Fixed <b> & shipped",
            **old))
        # More rows than the migration reads at a time: every page is converted.
        await session.execute(insert(old_items), [{"number": 100 + i, "text": f"A&B {i}", **old}
                                                     for i in range(1_100)])
        session.add(FeedbackReporter(team_id="TMIG", item_id=typed_id, user_id="U1", source=FeedbackSource.COMMAND,
                                     details="Needs Q&A"))
        # Only the columns revision 0004 has: the model has grown since (0008's cancel columns).
        launch_id = (await session.execute(insert(Launch).values(
            team_id="TMIG", name="R&D <GA>", name_key="r&d <ga>", launch_date=date(2027, 3, 6), channel_id="C1",
            owner_id="U1", template_name="default", created_by="U1"))).inserted_primary_key[0]
        session.add(LaunchTemplate(team_id="TMIG", name="Q&A", name_key="q&a", created_by="U1",
                                   items=[{"function": "legal", "title": "T&C review", "offset_days": -7}]))
        await session.flush()
        session.add(LaunchItem(team_id="TMIG", launch_id=launch_id, function="sales", title="Deck <v2> & FAQ",
                               offset_days=-5))
        await session.flush()
    expected = {
        # typed (a raw `<export>` proves it): all escaped, the typed link and broadcast stay text
        "items": [("R&amp;D can't open &lt;export&gt; &lt;https://evil|bank&gt; &lt;!channel&gt;", "AT&amp;T", None),
                  ("R&amp;D &lt;x&gt; <https://a.example|docs> <!here>", None, "Fixed &lt;b&gt; &amp; shipped")],
        "details": ["Needs Q&amp;A"],
        "launch": ("R&amp;D &lt;GA&gt;", "r&amp;d &lt;ga&gt;"),
        "template": ("Q&amp;A", "T&amp;C review"),
        "title": ["Deck &lt;v2&gt; &amp; FAQ"],
    }
    for _ in range(2):  # converted, then down to 0004 and up again over converted rows: unchanged
        await upgrade(empty_database)
        async with engine.connect() as conn:
            items = (await conn.execute(select(FeedbackItem.text, FeedbackItem.customer, FeedbackItem.outcome_note)
                                        .where(FeedbackItem.number < 100).order_by(FeedbackItem.number))).all()
            paged = set((await conn.execute(select(FeedbackItem.text).where(FeedbackItem.number >= 100))).scalars())
            details = (await conn.execute(select(FeedbackReporter.details))).scalars().all()
            launch_row = (await conn.execute(select(Launch.name, Launch.name_key))).one()
            template = (await conn.execute(select(LaunchTemplate.name, LaunchTemplate.items))).one()
            titles = (await conn.execute(select(LaunchItem.title))).scalars().all()
        assert [tuple(r) for r in items] == expected["items"]
        assert paged == {f"A&amp;B {i}" for i in range(1_100)}
        assert list(details) == expected["details"]
        assert tuple(launch_row) == expected["launch"]
        assert (template[0], template[1][0]["title"]) == expected["template"]
        assert list(titles) == expected["title"]
        await asyncio.to_thread(command.downgrade, alembic_config(empty_database), "0004")
    await engine.dispose()
