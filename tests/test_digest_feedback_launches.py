"""The feedback and launches sections of a channel digest (bot/feedback/digest.py,
bot/launches/digest.py): what each says for a period, escaped and pointing where to look, who is
mentioned (only overdue owners), the filters and their form, tenancy, period boundaries, bounded
blocks with large data, and a bounded number of queries, on SQLite and PostgreSQL."""
from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from bot import usertext
from bot.clock import Clock
from bot.digests.sections import PART_BLOCKS, PART_CHARS, Part, Period
from bot.errors import UserError
from bot.feedback import digest as feedback_digest, service as feedback
from bot.feedback.parsing import Draft
from bot.forms import FormData
from bot.launches import digest as launch_digest, service as launches
from bot.launches.parsing import TemplateItem
from bot.workspaces import ensure_workspace
from handlers.feedback import FEATURE as FEEDBACK_FEATURE
from handlers.launches import FEATURE as LAUNCHES_FEATURE
from models.feedback import FeedbackSource, FeedbackStatus
from models.launch import Decision, Launch
from tests.blockkit import assert_valid_blocks, block_text
from tests.conftest import Bot
from tests.feedback_helpers import file_by_command

FEEDBACK = feedback_digest.SECTION
LAUNCHES = launch_digest.SECTION
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
END = START + timedelta(days=7)
UTC_ZONE = ZoneInfo("UTC")
DIGEST_CHANNEL = "CDIGEST1"
_ts = itertools.count(1)


def period(team: str, start: datetime = START, end: datetime = END, *, channel: str = DIGEST_CHANNEL,
           zone: ZoneInfo = UTC_ZONE) -> Period:
    return Period(team, channel, start, end, zone, weekly=True)


async def build(bot: Bot, section: Any, p: Period, filter_: dict[str, Any] | None = None) -> Part | None:
    async with bot.rt.db.unit_of_work() as session:
        return await section.build(session, p, filter_ or {})


def text_of(part: Part) -> str:
    return block_text(part.blocks)


def chars(node: Any) -> int:
    """Text characters, as the digest counts them against PART_CHARS."""
    if isinstance(node, dict):
        return sum(len(v) if k == "text" and isinstance(v, str) else chars(v) for k, v in node.items())
    if isinstance(node, list):
        return sum(chars(v) for v in node)
    return 0


def assert_part_fits(part: Part) -> None:
    assert len(part.blocks) <= PART_BLOCKS, len(part.blocks)
    assert chars(part.blocks) <= PART_CHARS, chars(part.blocks)
    assert_valid_blocks(part.blocks)
    assert part.text and len(part.text) < 300


def mentions(text: str) -> set[str]:
    return set(re.findall(r"<@([A-Z0-9]+)>", text))


@contextmanager
def statements(bot: Bot) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    engine = bot.rt.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def ok(section: Any) -> None:
    assert section is not None


# -- feedback: data in through the service, at chosen instants ---------------------------------------

async def file(bot: Bot, clock: Clock, team: str, text: str, at: datetime, *, area: str | None = None,
               tags: tuple[str, ...] = (), voters: tuple[str, ...] = ("UREP1",)) -> tuple[int, str]:
    """An item filed from a message (`text` as Slack sends it) at `at` by the first voter, the
    others voting at once."""
    clock.set(at)
    ts = f"1720000000.{next(_ts):06d}"
    async with bot.rt.db.unit_of_work() as session:
        await ensure_workspace(session, team)
        draft = Draft(text=usertext.from_slack(text), product_area=usertext.from_typed(area) if area else None,
                      tags=tags)
        filed = await feedback.file_message(session, team, voters[0], "CFEED1", ts, FeedbackSource.SHORTCUT,
                                            draft=draft)
        for voter in voters[1:]:
            await feedback.file_message(session, team, voter, "CFEED1", ts, FeedbackSource.SHORTCUT)
        return filed.item.number, ts


async def vote(bot: Bot, clock: Clock, team: str, ts: str, voter: str, at: datetime) -> None:
    clock.set(at)
    async with bot.rt.db.unit_of_work() as session:
        await feedback.file_message(session, team, voter, "CFEED1", ts, FeedbackSource.REACTION)


async def set_status(bot: Bot, clock: Clock, team: str, number: int, status: FeedbackStatus, at: datetime) -> None:
    clock.set(at)
    async with bot.rt.db.unit_of_work() as session:
        await feedback.set_status(session, await feedback.get_item(session, team, number), status, None)


async def test_feedback_says_what_the_period_holds_and_where_to_look(bot: Bot, team: str, clock: Clock) -> None:
    day = timedelta(days=1)
    old, old_ts = await file(bot, clock, team, "Old untriaged export bug", START - 30 * day, area="Web")
    await file(bot, clock, team, "Triaged long ago", START - 20 * day)
    await set_status(bot, clock, team, 2, FeedbackStatus.TRIAGED, START - 19 * day)
    big, big_ts = await file(bot, clock, team, "Offline mode please", START - 40 * day, area="Mobile",
                             tags=("mobile",), voters=("U1", "U2", "U3", "U4"))
    await set_status(bot, clock, team, big, FeedbackStatus.PLANNED, START - 39 * day)
    await vote(bot, clock, team, big_ts, "U5", START + day)  # an old item drawing a vote now
    a, _ = await file(bot, clock, team, "Billing page is slow", START + day, area="Billing", tags=("billing", "perf"),
                      voters=("U1", "U2"))
    b, _ = await file(bot, clock, team, "Invoices time out", START + 2 * day, area="billing", tags=("billing",))
    c, _ = await file(bot, clock, team, "Dark mode", START + 3 * day, area="Mobile")
    shipped, _ = await file(bot, clock, team, "CSV export", START - 10 * day, tags=("exports",),
                            voters=("U1", "U6", "U7"))
    await set_status(bot, clock, team, shipped, FeedbackStatus.SHIPPED, START + 4 * day)
    declined, _ = await file(bot, clock, team, "Rewrite in Rust", START - 10 * day)
    await set_status(bot, clock, team, declined, FeedbackStatus.DECLINED, START + 4 * day)

    part = await build(bot, FEEDBACK, period(team))
    assert part is not None
    assert_part_fits(part)
    text = text_of(part)
    assert "3 items filed" in text and "`/feedback list`" in text
    # Areas fold case and show the first spelling; tags with their counts; each with its pointer.
    assert "*By area:* Billing 2 · Mobile 1" in text and "`/feedback list area:Billing`" in text
    assert "`#billing` 2 · `#perf` 1" in text and "`/feedback list #billing`" in text
    # Most-voted open items that drew votes in the period, by all their votes.
    voted = text.split("Most-voted")[1].split("\n")
    assert voted[1].startswith(f"`#{big}` · 5 votes (+1) · Offline mode please · `/feedback show {big}`")
    assert voted[2].startswith(f"`#{a}` · 2 votes (+2) · Billing page is slow")
    assert f"`#{shipped}`" not in "\n".join(voted[:4])  # shipped: not open
    # Untriaged a week after filing (the triaged and the planned are not; the new ones are young).
    assert "*1 item untriaged* a week after filing, the oldest filed 37 days ago · `/feedback list new`" in text
    assert "*1 item shipped*, 3 reporters told · `/feedback list shipped`" in text
    assert f"`#{shipped}` · CSV export · 3 reporters" in text
    assert "declined" not in text.lower() and "Rust" not in text
    assert "<@" not in text and "<!" not in text
    assert part.text == "Feedback: 3 new, 1 untriaged after a week, 1 shipped"
    # Of the two items with one vote, both this period, the newer: the list is three long.
    assert voted[3].startswith(f"`#{c}` · 1 vote (+1) · Dark mode") and f"`#{b}`" not in text
    assert f"`#{old}`" not in text  # untriaged, counted, not listed


async def test_feedback_text_is_escaped_and_pings_nobody(bot: Bot, team: str, clock: Clock) -> None:
    await file(bot, clock, team, "<!channel> ask <@UBOSS1> about *R&D* <https://evil.example|click>",
               START + timedelta(hours=1), area="<b>R&D</b>", voters=("U1", "U2"))
    part = await build(bot, FEEDBACK, period(team))
    assert part is not None
    text = text_of(part)
    assert "<!channel>" not in text and "<@UBOSS1>" not in text and "<b>" not in text
    assert "&lt;b&gt;R&amp;D&lt;/b&gt; 1" in text  # the area, escaped
    assert "@channel ask @UBOSS1 about *R&amp;D* <https://evil.example|click>" in text
    assert "`/feedback list area:&lt;b&gt;R&amp;D&lt;/b&gt;`" in text  # typed as is, it finds the area


async def test_feedback_nothing_to_say_is_none_and_other_workspaces_never_show(bot: Bot, team: str,
                                                                           clock: Clock) -> None:
    other = team + "X"
    assert await build(bot, FEEDBACK, period(team)) is None  # nothing at all
    n, _ = await file(bot, clock, team, "Triaged before the period", START - timedelta(days=2))
    await set_status(bot, clock, team, n, FeedbackStatus.TRIAGED, START - timedelta(days=1))
    assert await build(bot, FEEDBACK, period(team)) is None  # nothing new, nothing waiting
    await file(bot, clock, other, "Secret roadmap item", START + timedelta(hours=2), area="Secret", tags=("secret",))
    old, _ = await file(bot, clock, other, "Secret old thing", START - timedelta(days=30))
    s, _ = await file(bot, clock, other, "Secret shipped", START - timedelta(days=30))
    await set_status(bot, clock, other, s, FeedbackStatus.SHIPPED, START + timedelta(days=1))
    assert await build(bot, FEEDBACK, period(team)) is None
    theirs = await build(bot, FEEDBACK, period(other))
    assert theirs is not None and "Secret roadmap item" in text_of(theirs) and old


async def test_feedback_period_is_half_open_and_pending_and_merged_are_left_out(bot: Bot, team: str,
                                                                                clock: Clock) -> None:
    at_start, _ = await file(bot, clock, team, "At the start", START)
    await file(bot, clock, team, "At the end", END)  # the next period's
    await file(bot, clock, team, "Just before", START - timedelta(microseconds=1))
    dup, _ = await file(bot, clock, team, "A duplicate", START + timedelta(hours=1))
    target, _ = await file(bot, clock, team, "The original", START + timedelta(hours=2))
    clock.set(START + timedelta(hours=3))
    async with bot.rt.db.unit_of_work() as session:
        await feedback.merge(session, team, dup, target)
        # A reaction capture not read yet: no text, not counted.
        pending = await feedback.file_message(session, team, "U9", "CFEED1", "1720009999.000001",
                                              FeedbackSource.REACTION)
        pending_id = pending.item.id
    s1, _ = await file(bot, clock, team, "Shipped at the start", START - timedelta(days=3))
    await set_status(bot, clock, team, s1, FeedbackStatus.SHIPPED, START)
    s2, _ = await file(bot, clock, team, "Shipped at the end", START - timedelta(days=3))
    await set_status(bot, clock, team, s2, FeedbackStatus.SHIPPED, END)
    part = await build(bot, FEEDBACK, period(team))
    assert part is not None
    text = text_of(part)
    assert "2 items filed" in text  # at the start and the original: not the end, the duplicate or the pending
    assert "*1 item shipped*" in text and "Shipped at the start" in text and "Shipped at the end" not in text
    assert f"`#{dup}`" not in text and at_start
    async with bot.rt.db.unit_of_work() as session:  # not left for the capture sweeper of other tests
        assert await feedback.discard_capture(session, pending_id) == ["U9"]


async def test_feedback_filter_by_tags_and_areas(bot: Bot, team: str, clock: Clock) -> None:
    hour = timedelta(hours=1)
    await file(bot, clock, team, "Card declined", START + hour, area="Billing", tags=("billing",))
    await file(bot, clock, team, "API rate limits", START + 2 * hour, area="Platform", tags=("api",))
    await file(bot, clock, team, "Refund flow", START + 3 * hour, area="billing", tags=("refunds",))
    await file(bot, clock, team, "Mobile billing screen", START + 4 * hour, area="Mobile", tags=("billing",))
    await file(bot, clock, team, "Old billing thing", START - timedelta(days=20), area="Billing", tags=("billing",))

    by_tag = await build(bot, FEEDBACK, period(team), {"tags": ["billing"]})
    assert by_tag is not None
    text = text_of(by_tag)
    assert "2 items filed* · `/feedback list #billing`" in text
    assert "Card declined" in text and "Mobile billing screen" in text and "API rate limits" not in text
    assert "1 item untriaged* a week after filing, the oldest filed 27 days ago · `/feedback list new #billing`" in text
    assert text.endswith("Only feedback with tag #billing.")

    any_tag = await build(bot, FEEDBACK, period(team), {"tags": ["billing", "refunds"]})
    assert any_tag is not None and "3 items filed* · `/feedback list`" in text_of(any_tag)  # any of them

    by_area = await build(bot, FEEDBACK, period(team), {"areas": ["BILLING"]})
    assert by_area is not None
    text = text_of(by_area)
    assert "2 items filed* · `/feedback list area:BILLING`" in text  # folded: Billing and billing
    assert "Refund flow" in text and "Mobile" not in text

    both = await build(bot, FEEDBACK, period(team), {"areas": ["Billing"], "tags": ["billing"]})
    assert both is not None
    assert "1 item filed* · `/feedback list area:Billing #billing`" in text_of(both)
    assert await build(bot, FEEDBACK, period(team), {"areas": ["Nowhere"]}) is None


async def test_feedback_with_hundreds_of_long_items_stays_within_its_share(bot: Bot, team: str,
                                                                        clock: Clock) -> None:
    clock.set(START + timedelta(hours=1))
    long_text = "<Exports & imports> " * 2000  # 40,000 characters, escapes to more
    async with bot.rt.db.unit_of_work() as session:
        await ensure_workspace(session, team)
        for i in range(300):
            area = f"Area {i % 40} " + "x" * 80
            item = await feedback.file_text(session, team, f"U{i % 7}", None, Draft(
                text=usertext.from_typed(long_text), product_area=usertext.from_typed(area),
                tags=(f"tag-{i % 30}", f"longer_tag_name_{i % 9}")))
            if i % 3 == 0:
                await feedback.set_status(session, item, FeedbackStatus.SHIPPED, None)
    part = await build(bot, FEEDBACK, period(team))
    assert part is not None
    assert_part_fits(part)
    text = text_of(part)
    assert "300 items filed" in text and "100 items shipped" in text and "_and 97 more_" in text
    assert "<Exports" not in text and "&lt;Exports &amp; imports&gt;" in text


async def test_feedback_counts_past_their_bound_say_at_least(bot: Bot, team: str, clock: Clock,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feedback_digest, "EXAMINED", 3)
    monkeypatch.setattr(feedback_digest, "UNTRIAGED_EXAMINED", 2)  # when filtered
    monkeypatch.setattr(feedback_digest, "SHIPPED_EXAMINED", 2)
    for i in range(4):
        await file(bot, clock, team, f"New {i}", START + timedelta(hours=i))
        await file(bot, clock, team, f"Old {i}", START - timedelta(days=20 + i), area="Web")
        n, _ = await file(bot, clock, team, f"Done {i}", START - timedelta(days=3))
        await set_status(bot, clock, team, n, FeedbackStatus.SHIPPED, START + timedelta(hours=i))
    part = await build(bot, FEEDBACK, period(team))
    assert part is not None
    text = text_of(part)
    assert "*3+ items filed*" in text and "*3+ items untriaged*" in text and "*2+ items shipped*" in text
    assert part.text == "Feedback: 3+ new, 3+ untriaged after a week, 2+ shipped"
    filtered = await build(bot, FEEDBACK, period(team), {"areas": [""], "tags": []})  # stored oddly: no filter
    assert filtered is not None and "*3+ items untriaged*" in text_of(filtered)
    web = await build(bot, FEEDBACK, period(team), {"areas": ["web"]})
    assert web is not None and text_of(web).startswith(":hourglass_flowing_sand: *2+ items untriaged*")
    assert await build(bot, FEEDBACK, period(team), {"areas": ["nowhere"]}) is None


def test_feedback_at_its_longest_stays_within_its_share() -> None:
    """Every list full, every name and text as long as they come and heavy with escapes."""
    fd = feedback_digest
    area = usertext.from_typed("<&>" * 33 + "x")  # 100 characters, 397 once escaped
    tag = "t" * 64
    text = usertext.from_typed("<R&D> " * 7000)
    lines = [fd.Line(123456789, text, 99999, 9999) for _ in range(fd.VOTED_SHOWN)]
    digest = fd.FeedbackDigest(
        new=fd.Tally(10_000, True), areas=[fd.Counted(area, 9999)] * (fd.GROUPS_SHOWN + 1),
        tags=[fd.Counted(tag, 9999)] * (fd.GROUPS_SHOWN + 1), voted=lines, untriaged=fd.Tally(5_000, True),
        oldest_days=9999, shipped=fd.Tally(2_000, True), shipped_items=[fd.Line(123456789, text, 99999)] * fd.SHIPPED_SHOWN,
        told=99999)
    wide = fd.FeedbackFilter(tuple(f"{i}" + "t" * 63 for i in range(10)), tuple(area + str(i) for i in range(10)))
    for f in (wide, fd.FeedbackFilter((tag,), (usertext.from_typed("&" * 100),)), fd.FeedbackFilter()):
        part = fd.render(digest, f)
        assert part is not None
        assert_part_fits(part)


async def test_feedback_through_the_app_counts_what_was_filed_and_shipped(bot: Bot, team: str) -> None:
    """Filed with `/feedback`, shipped by an ops admin with `/feedback status`: the digest of the
    last hour says so (the real clock, a period around now)."""
    bot.fake.add_user("UADMIN1", is_admin=True)
    first = await file_by_command(bot, team, "UREP1", "Exports time out on big boards #exports")
    await file_by_command(bot, team, "UREP2", "Archived items never show up #search")
    status, body = await bot.slack.command(team, "UADMIN1", "/feedback", f"status {first} shipped Fixed in 2.4")
    assert status == 200 and "shipped" in body["text"], body
    await bot.settle()
    now = datetime.now(UTC)
    part = await build(bot, FEEDBACK, period(team, now - timedelta(hours=1), now + timedelta(minutes=1)))
    assert part is not None
    text = text_of(part)
    assert "2 items filed" in text and "`#exports` 1 · `#search` 1" in text
    assert "*1 item shipped*, 1 reporter told" in text and f"`#{first}` · Exports time out" in text


def form(values: dict[str, str]) -> FormData:
    return FormData({"state": {"values": {k: {k: {"type": "plain_text_input", "value": v}}
                                          for k, v in values.items()}}})


async def test_feedback_filter_form_reads_back_and_refuses_bad_tags(bot: Bot, team: str) -> None:
    async with bot.rt.db.unit_of_work() as session:
        blocks = await FEEDBACK.inputs(session, team, {"tags": ["billing", "api"], "areas": ["R&D", "Mobile"]})
    assert [b["block_id"] for b in blocks] == ["feedback.tags", "feedback.areas"]
    assert all(b["optional"] for b in blocks)
    assert_valid_blocks(blocks)
    assert blocks[0]["element"]["initial_value"] == "#billing #api"
    assert blocks[1]["element"]["initial_value"] == "R&D, Mobile"  # as typed, not entities
    assert FEEDBACK.read(form({"feedback.tags": "#Billing, api  #api", "feedback.areas": " R&D ,mobile, Mobile,,"})) \
        == {"tags": ["billing", "api"], "areas": ["R&amp;D", "mobile"]}
    assert FEEDBACK.read(form({})) == {}
    with pytest.raises(UserError) as refused:
        FEEDBACK.read(form({"feedback.tags": "billing <b>"}))
    assert refused.value.field == "feedback.tags" and "is not a tag" in refused.value.message
    with pytest.raises(UserError) as refused:
        FEEDBACK.read(form({"feedback.areas": "x" * 101}))
    assert refused.value.field == "feedback.areas"
    with pytest.raises(UserError) as refused:
        FEEDBACK.read(form({"feedback.tags": " ".join(f"t{i}" for i in range(11))}))
    assert refused.value.field == "feedback.tags"
    assert FEEDBACK.describe({}) == ""
    assert FEEDBACK.describe({"tags": ["billing"], "areas": ["R&amp;D", "<b>"]}) == \
        "tag #billing · areas R&amp;D, &lt;b&gt;"
    assert FEEDBACK.describe({"tags": "not a list", "areas": [3]}) == ""  # a mangled stored filter
    assert FEEDBACK_FEATURE.digest_sections == (FEEDBACK,) and FEEDBACK.name == "feedback"


async def test_feedback_build_runs_a_fixed_number_of_queries(bot: Bot, team: str, clock: Clock) -> None:
    for i in range(5):
        await file(bot, clock, team, f"Item {i}", START + timedelta(hours=i), tags=("a", "b"), area="Web",
                   voters=("U1", "U2"))
    with statements(bot) as few:
        await build(bot, FEEDBACK, period(team), {"tags": ["a"]})
    for i in range(40):
        n, _ = await file(bot, clock, team, f"More {i}", START + timedelta(hours=10 + i), tags=("a",), area="Web")
        if i % 2:
            await set_status(bot, clock, team, n, FeedbackStatus.SHIPPED, START + timedelta(hours=60))
    with statements(bot) as many:
        await build(bot, FEEDBACK, period(team), {"tags": ["a"]})
    assert len(many) == len(few) + 2 <= 9  # the shipped items and their reporters: nothing per item


# -- launches -----------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
async def no_launches_left(bot: Bot, team: str) -> Any:
    """Launches made here name owners the people directory does not know: removed afterwards,
    or the people sweep of later tests would go and ask Slack about them."""
    yield
    async with bot.rt.db.unit_of_work() as session:
        for launch in (await session.scalars(select(Launch).where(Launch.team_id == team))).all():
            await launches.delete(session, launch)


ITEMS = [
    TemplateItem("engineering", "Code complete", -10),
    TemplateItem("engineering", "QA sign-off", -3),
    TemplateItem("marketing", "Blog post", -1),
    TemplateItem("support", "Help center", 0),
    TemplateItem("post-launch", "Metrics review", 7),
]


async def new_launch(bot: Bot, team: str, name: str, day: date, *, channel: str = DIGEST_CHANNEL,
                     items: list[TemplateItem] | None = None, owners: dict[str, str] | None = None,
                     done: tuple[str, ...] = ()) -> int:
    async with bot.rt.db.unit_of_work() as session:
        await ensure_workspace(session, team)
        launch = await launches.create(session, team, name=usertext.from_typed(name), launch_date=day,
                                       channel_id=channel, owner_id="ULOWNER", template_name="Default",
                                       items=items if items is not None else ITEMS, actor="ULOWNER")
        launch.message_ts = "1720000000.000100"
        summary = await launches.summarize(session, launch, day)
        for item in summary.items:
            row = await launches.get_item(session, launch, item.id)
            if owners and item.title in owners:
                await launches.set_owner(session, launch, row, owners[item.title], "ULOWNER")
            if item.title in done:
                await launches.set_done(session, launch, row, True, "ULOWNER")
        return launch.id


async def test_launches_show_readiness_overdue_owners_and_the_checklist(bot: Bot, team: str) -> None:
    today = END.date()  # Mon Nov 9
    await new_launch(bot, team, "Mobile <v2> & more", today + timedelta(days=2), done=("Code complete",),
                     owners={"QA sign-off": "UQA1", "Code complete": "UDEV1", "Blog post": "UMKT1",
                             "Help center": "USUP1"})
    part = await build(bot, LAUNCHES, period(team))
    assert part is not None
    assert_part_fits(part)
    text = text_of(part)
    assert "1 launch in the next 14 days (with their checklist here) · `/launch list`" in text
    assert (":rocket: *Mobile &lt;v2&gt; &amp; more* · Wed Nov 11 (2 days to go) · `██▌" not in text)
    assert "*Mobile &lt;v2&gt; &amp; more* · Wed Nov 11 (2 days to go)" in text
    assert "*25% ready* · no go/no-go yet" in text  # 1 of 4 pre-launch items done
    # QA sign-off was due Nov 8: overdue, its owner mentioned; the blog post is due tomorrow.
    assert "*Engineering*: :warning: 1 overdue: QA sign-off (<@UQA1>)" in text
    assert "*Marketing*: 1 due by tomorrow: Blog post" in text
    assert "Help center" not in text and "Metrics review" not in text  # due later
    assert f"Checklist in <#{DIGEST_CHANNEL}> · `/launch status \"Mobile &lt;v2&gt; &amp; more\"`" in text
    assert mentions(text) == {"UQA1"}  # not the launch owner, the done item's or the due-soon ones'
    assert part.text == "Launches: 1 in the next 14 days, 1 with overdue items"


async def test_launches_window_launched_cancelled_and_scope(bot: Bot, team: str) -> None:
    today = END.date()
    await new_launch(bot, team, "Launch day", today, items=[])
    await new_launch(bot, team, "Day fourteen", today + timedelta(days=14), items=[])
    await new_launch(bot, team, "Day fifteen", today + timedelta(days=15), items=[])
    await new_launch(bot, team, "Went out Tuesday", START.date() + timedelta(days=1),
                     items=[TemplateItem("product", "Announce", -1)])
    await new_launch(bot, team, "Went out before", START.date() - timedelta(days=1), items=[])
    await new_launch(bot, team, "Elsewhere", today + timedelta(days=3), channel="COTHER1", items=[])
    cancelled = await new_launch(bot, team, "Called off", today + timedelta(days=4), items=[])
    decided = await new_launch(bot, team, "Decided", today + timedelta(days=5), items=[])
    async with bot.rt.db.unit_of_work() as session:
        await launches.cancel(session, await launches.get_by_id(session, team, cancelled), "ULOWNER")
        await launches.decide(session, await launches.get_by_id(session, team, decided), Decision.GO, "UBOSS1")

    part = await build(bot, LAUNCHES, period(team))
    assert part is not None
    text = text_of(part)
    shown = re.findall(r":rocket: \*([^*]+)\*", text)
    assert shown == ["Launch day", "Decided", "Day fourteen", "Went out Tuesday"]
    assert "(launch day)" in text and "(launch day was 6 days ago)" in text and "100% ready" in text
    assert ":white_check_mark: GO" in text and "<@UBOSS1>" not in text  # who decided: not pinged
    assert "*Product*: :warning: 1 overdue: Announce (_unassigned_)" in text
    assert "3 launches in the next 14 days, 1 launched (with their checklist here)" in text

    everywhere = await build(bot, LAUNCHES, period(team), {"scope": "all"})
    assert everywhere is not None
    assert "Elsewhere" in text_of(everywhere) and "Checklist in <#COTHER1>" in text_of(everywhere)
    assert "(in any channel)" in text_of(everywhere)
    assert await build(bot, LAUNCHES, period(team, channel="CNOLAUNCH")) is None
    assert await build(bot, LAUNCHES, period(team + "X")) is None  # another workspace's: never


async def test_launches_local_dates_follow_the_digest_zone(bot: Bot, team: str) -> None:
    """23:30 UTC on Nov 9 is already Nov 10 in Auckland: launch day there, tomorrow in UTC."""
    end = datetime(2026, 11, 9, 23, 30, tzinfo=UTC)
    await new_launch(bot, team, "Kiwi", date(2026, 11, 10), items=[])
    utc = await build(bot, LAUNCHES, period(team, end - timedelta(days=1), end))
    auckland = await build(bot, LAUNCHES, period(team, end - timedelta(days=1), end, zone=ZoneInfo("Pacific/Auckland")))
    assert utc is not None and "(tomorrow)" in text_of(utc)
    assert auckland is not None and "(launch day)" in text_of(auckland)


async def test_launches_open_blockers_count_as_risks(bot: Bot, team: str) -> None:
    launch_id = await new_launch(bot, team, "Risky", END.date() + timedelta(days=6), items=[])
    async with bot.rt.db.unit_of_work() as session:
        launch = await launches.get_by_id(session, team, launch_id)
        await launches.raise_risk(session, launch, "standup", "blocker:1", usertext.from_typed("API <down> @here"),
                                  "UDEV1")
        await launches.raise_risk(session, launch, "standup", "blocker:2", "Old one", "UDEV2")
        await launches.clear_risk(session, team, "standup", "blocker:2")
    part = await build(bot, LAUNCHES, period(team))
    assert part is not None
    text = text_of(part)
    assert ":construction: 1 open blocker from standups: API &lt;down&gt; @here" in text
    assert "Old one" not in text and not mentions(text)


async def test_launches_many_and_long_are_capped_within_the_share(bot: Bot, team: str) -> None:
    today = END.date()
    many_items = [TemplateItem(f, f"{f} task {i} " + "y" * 120, -5 + i % 3) for f in
                  ("engineering", "product", "marketing", "sales", "support", "legal") for i in range(6)]
    owners = {item.title: f"UOWN{i}" for i, item in enumerate(many_items)}
    for i in range(12):
        await new_launch(bot, team, f"Launch {i:02d} " + "z" * 60, today + timedelta(days=i), items=many_items,
                         owners=owners)
    with statements(bot) as seen:
        part = await build(bot, LAUNCHES, period(team))
    assert part is not None
    assert_part_fits(part)
    text = text_of(part)
    shown = len(re.findall(r":rocket:", text))
    assert 3 <= shown <= launch_digest.LAUNCHES_SHOWN  # as many as fit, long names and all
    assert f"…and {12 - shown} more: `/launch list`" in text
    assert "lists them all" in text  # what did not fit is counted, pointing to /launch status
    assert len(seen) <= 6  # upcoming, launched, items, risks, linked feedback (numbers, reporters): not per launch


async def test_launches_shown_are_capped(bot: Bot, team: str) -> None:
    for i in range(12):
        await new_launch(bot, team, f"L{i:02d}", END.date() + timedelta(days=i), items=[])
    part = await build(bot, LAUNCHES, period(team))
    assert part is not None
    assert_part_fits(part)
    text = text_of(part)
    assert re.findall(r":rocket: \*(L\d+)\*", text) == [f"L{i:02d}" for i in range(launch_digest.LAUNCHES_SHOWN)]
    assert f"…and {12 - launch_digest.LAUNCHES_SHOWN} more: `/launch list`" in text


async def test_launch_through_the_app_reads_the_checklist_it_posted(bot: Bot, team: str) -> None:
    bot.fake.add_user("ULOWNER", tz="UTC")
    when = (datetime.now(UTC).date() + timedelta(days=5)).isoformat()
    status, body = await bot.slack.command(team, "ULOWNER", "/launch", f'new "Checkout v3" {when}',
                                           channel_id="CLAUNCH9")
    assert status == 200, body
    await bot.settle()
    now = datetime.now(UTC)
    part = await build(bot, LAUNCHES, period(team, now - timedelta(days=1), now, channel="CLAUNCH9"))
    assert part is not None
    text = text_of(part)
    assert "*Checkout v3*" in text and "(5 days to go)" in text and "0% ready" in text
    assert "Checklist in <#CLAUNCH9> · `/launch status \"Checkout v3\"`" in text


async def test_summaries_of_many_launches_match_one_by_one(bot: Bot, team: str) -> None:
    ids = [await new_launch(bot, team, f"L{i}", END.date() + timedelta(days=i), done=("Blog post",)) for i in range(3)]
    async with bot.rt.db.unit_of_work() as session:
        rows = [await launches.get_by_id(session, team, i) for i in ids]
        launch = rows[1]
        await launches.raise_risk(session, launch, "standup", "blocker:9", "Blocked", "UDEV1")
        together = await launches.summarize_many(session, rows, END.date())
        alone = [await launches.summarize(session, row, END.date()) for row in rows]
    assert together == alone and together[1].risks and not together[0].risks


async def test_launch_filter_form(bot: Bot, team: str) -> None:
    async with bot.rt.db.unit_of_work() as session:
        blocks = await LAUNCHES.inputs(session, team, None)
        chosen = await LAUNCHES.inputs(session, team, {"scope": "all"})
    assert [b["block_id"] for b in blocks] == ["launches.scope"]
    assert blocks[0]["element"]["initial_option"]["value"] == "channel"
    assert chosen[0]["element"]["initial_option"]["value"] == "all"
    assert_valid_blocks(blocks)

    def radio(value: str | None) -> FormData:
        element = {"type": "radio_buttons", "selected_option": {"value": value} if value else None}
        return FormData({"state": {"values": {"launches.scope": {"launches.scope": element}}}})

    assert LAUNCHES.read(radio("all")) == {"scope": "all"}
    assert LAUNCHES.read(radio(None)) == {"scope": "channel"}
    with pytest.raises(UserError) as refused:
        LAUNCHES.read(radio("forged"))
    assert refused.value.field == "launches.scope"
    assert LAUNCHES.describe({"scope": "all"}) == "all channels" and LAUNCHES.describe({}) == "this channel"
    assert LAUNCHES_FEATURE.digest_sections == (LAUNCHES,) and LAUNCHES.name == "launches"
