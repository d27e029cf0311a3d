"""The one representation of user text and its renderers, as pure functions (the surfaces that
use them are tested through the endpoint in the feature tests)."""
from __future__ import annotations

import re

from hypothesis import given, strategies as st

from bot import usertext as ut

TOKENS = ["<@U012AB3CD>", "<@W0ENTERP1|alice>", "<#C0SALES1|sales>", "<#C0SALES2>", "<!here>", "<!channel>",
          "<!everyone>", "<!subteam^S0PLAT1|@platform>", "<!subteam^S0PLAT2>", "<https://example.com/a?b=1&amp;c=2|the docs>",
          "<https://example.com>", "<mailto:bob@example.com|bob@example.com>", "<!date^1392734382^{date}|Feb 18, 2014>"]
TYPED = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=80) | st.sampled_from(
    ["R&D", "<export>", "&amp;", "<!here>", "<@U123>", "a < b > c", "&lt;b&gt;", "שלום עולם", "emoji 🚀👩‍👩‍👧"])
WIRE = st.lists(st.one_of(TYPED.map(ut.from_typed), st.sampled_from(TOKENS)), max_size=8).map("".join)


def unescape(mrkdwn: str) -> str:
    return mrkdwn.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@given(TYPED)
def test_typed_text_round_trips_and_renders_inert(raw: str) -> None:
    text = ut.from_typed(raw)
    assert ut.plain(text) == raw and ut.export(text) == raw
    rendered = ut.mrkdwn(text)
    assert "<" not in rendered and ">" not in rendered  # nothing typed becomes a ping or a link
    assert unescape(rendered) == raw  # escaped exactly once
    assert ut.from_slack(text) == text


@given(WIRE)
def test_from_slack_is_idempotent_and_keeps_tokens(wire: str) -> None:
    once = ut.from_slack(wire)
    assert ut.from_slack(once) == once
    assert [p for p in ut.pieces(once)] == [p for p in ut.pieces(wire)]


@given(WIRE, st.booleans())
def test_mrkdwn_never_pings(wire: str, public: bool) -> None:
    rendered = ut.mrkdwn(wire, public=public)
    assert "<!" not in rendered  # no broadcast, user group or special command
    if public:
        assert "<@" not in rendered
    for token in re.findall(r"<([^<>]*)>", rendered):
        assert token.startswith(("#C", "http", "mailto:", "@U", "@W")), token


@given(WIRE, st.integers(min_value=2, max_value=120))
def test_mrkdwn_cut_never_splits_an_escape_or_a_token(wire: str, limit: int) -> None:
    rendered = ut.mrkdwn(wire, limit=limit)
    assert len(rendered) <= limit
    assert rendered.count("<") == rendered.count(">")
    assert not re.search(r"&[a-z]*$", rendered.removesuffix(ut.ELLIPSIS))


def test_each_surface_shows_what_was_written() -> None:
    wire = ("Our R&amp;D team can't open &lt;export&gt; on mobile, see <https://docs.example.com/x|the docs> "
            "cc <@U0BOB> <!here> <!subteam^S1|@design> in <#C0SUP|support>")
    names = {"U0BOB": "Bob Ng"}
    assert ut.plain(wire, names=names) == (
        "Our R&D team can't open <export> on mobile, see the docs cc @Bob Ng @here @design in #support")
    assert ut.export(wire, names=names) == (
        "Our R&D team can't open <export> on mobile, see the docs (https://docs.example.com/x) cc @Bob Ng @here "
        "@design in #support")
    assert ut.mrkdwn(wire) == ("Our R&amp;D team can't open &lt;export&gt; on mobile, see "
                               "<https://docs.example.com/x|the docs> cc <@U0BOB> @here @design in <#C0SUP>")
    assert ut.mrkdwn(wire, public=True, names=names).endswith("cc @Bob Ng @here @design in <#C0SUP>")
    assert ut.mentioned_users(wire + " <@U0BOB> <@W2>") == ["U0BOB", "W2"]


def test_unescaped_angle_brackets_and_stray_ampersands_are_text() -> None:
    assert ut.from_slack("a <b> & c > d &copy;") == "a &lt;b&gt; &amp; c &gt; d &amp;copy;"
    assert ut.plain("<javascript:alert(1)|click>") == "<javascript:alert(1)|click>"
    assert ut.mrkdwn("<javascript:alert(1)|click>") == "&lt;javascript:alert(1)|click&gt;"


def test_a_link_address_goes_out_escaped_as_slack_sent_it() -> None:
    """Slack escapes `&`, `<`, `>` inside a link's address too; sent back unescaped, a `<!here>`
    in the address would close the link early and notify the channel."""
    wire = "<https://x.example/&lt;!here&gt;?a=1&amp;b=2|docs> <https://x.example/&lt;!channel&gt;>"
    for public in (False, True):
        rendered = ut.mrkdwn(wire, public=public)
        assert rendered == wire and "<!" not in rendered
    assert ut.plain(wire) == "docs https://x.example/<!channel>"


def test_nul_is_dropped_at_the_edge() -> None:
    assert ut.from_typed("a\x00b") == "ab" and ut.from_slack("a\x00<@U1>") == "a<@U1>"


@given(TYPED)
def test_text_that_cannot_be_slacks_is_told_apart(raw: str) -> None:
    assert ut.looks_like_slack(ut.from_typed(raw))  # escaped text is always Slack-shaped
    if re.search(r"&(?!amp;|lt;|gt;)|<[^<>]*$|^[^<]*>", raw):  # a bare & or an unmatched bracket
        assert not ut.looks_like_slack(raw)


def test_looks_like_slack_examples() -> None:
    assert ut.looks_like_slack("R&amp;D <@U1> <https://x.example|y> <!here>")
    assert not ut.looks_like_slack("R&D") and not ut.looks_like_slack("<export> <!here>")
