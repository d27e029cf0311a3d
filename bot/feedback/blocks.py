"""Block Kit for feedback: confirmations, items, lists, modals and outcome DMs (pure functions)."""
from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.blocks import Block, actions, button, context, divider, header, input_block, modal, mrkdwn, section
from bot.feedback.enums import (
    CaptureMeta,
    CloseMeta,
    DeleteRef,
    FeedbackAction,
    FeedbackView,
    Field_,
    ItemRef,
    PageRef,
    TypoRef,
)
from bot.feedback import links
from bot.feedback.listing import Listed
from bot.feedback.parsing import FORM_TEXT_MAX, NUMBER, SETTABLE_STATUSES, Filters, Typo
from bot.feedback.service import ItemView, Page, Receipt
from bot import usertext
from bot.forms import static_select, text_input, users_select
from bot.text import FIELD_TEXT_MAX, OPTION_TEXT_MAX, truncate, user_mention
from models.feedback import FeedbackStatus, Importance

PREVIEW = 200
STATUS_EMOJI = {
    FeedbackStatus.NEW: ":new:", FeedbackStatus.TRIAGED: ":mag:", FeedbackStatus.PLANNED: ":calendar:",
    FeedbackStatus.SHIPPED: ":rocket:", FeedbackStatus.DECLINED: ":no_entry_sign:", FeedbackStatus.MERGED: ":link:",
}


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 feedback item`, `2 feedback items`: every count in a feedback answer reads right."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def _choices(values: list[str]) -> list[tuple[str, str]]:
    return [(value.capitalize(), value) for value in values]


def _quote(text: str, limit: int) -> str:
    body = usertext.mrkdwn(text, limit=limit) if text else "_(no text)_"
    return "\n".join("> " + line for line in body.splitlines()) or "> "


def confirmation(receipt: Receipt) -> tuple[str, list[Block]]:
    number = receipt.number
    if receipt.created:
        headline = f":memo: Filed as feedback *#{number}*. Thanks!"
    elif receipt.voted:
        headline = f":ballot_box_with_ballot: Added your vote to feedback *#{number}*."
    else:
        headline = f"You already filed feedback *#{number}*."
    blocks = [
        section(headline + "\n" + _quote(receipt.text, PREVIEW),
                accessory=button("Add details", FeedbackAction.ADD_DETAILS, ItemRef(number=number).model_dump_json())),
        context("Only you can see this. You'll hear back here when it ships."),
    ]
    return headline.replace("*", ""), blocks


def _fields(v: ItemView) -> list[dict[str, str]]:
    values = [
        ("Votes", str(v.votes)),
        ("Owner", user_mention(v.owner_id) if v.owner_id else "unassigned"),
        ("Customer", usertext.mrkdwn(v.customer, limit=200) if v.customer else "–"),
        ("Area", usertext.mrkdwn(v.product_area, limit=100) if v.product_area else "–"),
        ("Importance", v.importance.value if v.importance else "–"),
        ("Tags", " ".join(f"`#{t}`" for t in v.tags) or "–"),
    ]
    return [{"type": "mrkdwn", "text": truncate(f"*{k}*\n{val}", FIELD_TEXT_MAX)} for k, val in values]


def item_blocks(v: ItemView, can_triage: bool) -> list[Block]:
    blocks: list[Block] = [
        header(f"Feedback #{v.number} · {v.status.value}"),
        section(_quote(v.text, 2800)),
        {"type": "section", "fields": _fields(v)},
        context(" · ".join(_source(v))),
    ]
    if v.outcome_note:
        blocks.append(section("*Outcome note:* " + usertext.mrkdwn(v.outcome_note, limit=2000)))
    if v.launch is not None:
        blocks.append(context(ships_with(v)))
    for user_id, details in v.details[:5]:
        blocks.append(context(f"{user_mention(user_id)} added: " + usertext.mrkdwn(details, limit=1500)))
    ref = ItemRef(number=v.number).model_dump_json()
    elements = _triage_controls(v, ref) if can_triage else []
    elements.append(button("Add details", FeedbackAction.ADD_DETAILS, ref))
    blocks.append(actions(*elements, block_id=f"feedback.item.{v.number}"))
    return blocks


def _source(v: ItemView) -> list[str]:
    source = [f"Filed by {user_mention(v.created_by)} <!date^{int(v.created_at.timestamp())}^{{date_short}}|{v.created_at:%Y-%m-%d}>"]
    if v.author_id and v.author_id != v.created_by:
        source.append(f"written by {user_mention(v.author_id)}")
    if v.permalink:
        source.append(f"<{v.permalink}|original message>")
    if v.merged_numbers:
        source.append("merged: " + ", ".join(f"#{n}" for n in v.merged_numbers))
    return source


def _triage_controls(v: ItemView, ref: str) -> list[dict[str, Any]]:
    """Status and owner pick from the card itself; the select's value is the card's block id."""
    status = static_select(_choices([s.value for s in SETTABLE_STATUSES]), v.status.value, placeholder="Set status")
    owner = users_select(v.owner_id, placeholder="Assign owner")
    return [{**status, "action_id": FeedbackAction.STATUS}, {**owner, "action_id": FeedbackAction.OWNER},
            button("Edit", FeedbackAction.EDIT, ref),
            *([button("Ships with…", FeedbackAction.LINK, ref)] if v.status in links.OPEN else [])]


def ships_with(v: ItemView) -> str:
    """The card's line about the launch that ships the item (or shipped it)."""
    assert v.launch is not None
    name = usertext.mrkdwn(v.launch.name, limit=200)
    verb = "Shipped with" if v.launch.launched else "Ships with"
    cancelled = " · _cancelled: it ships nothing unless it is reopened_" if v.launch.cancelled else ""
    note = (" · note for the reporters: " + usertext.mrkdwn(v.ship_note, limit=300)) if v.ship_note else ""
    return f":rocket: {verb} *{name}* ({v.launch.launch_date.isoformat()}){cancelled}{note}"


NO_LAUNCH = "none"  # the picker's option that unlinks


OPTIONS_MAX = 100  # Slack's limit on a static select's options


def link_modal(v: ItemView, launches: list[tuple[int, str, date]], more: bool = False) -> dict[str, Any]:
    """The card's launch picker: the launches it can ship with (names as plain text; at most
    Slack's 100 options with the current one and "unlink" among them, the rest said), the
    current one chosen, and what to tell the reporters when it ships."""
    meta = ItemRef(number=v.number).model_dump_json()
    if not launches and v.launch is None:
        return _modal(FeedbackView.LINK, f"Ship #{v.number}", [section(
            "There is no launch to link it to yet: `/launch new` creates one.")], meta, submit="OK")
    current = [(v.launch.id, v.launch.name, v.launch.launch_date)] if v.launch is not None else []
    others = [launch for launch in launches if not current or launch[0] != current[0][0]]
    room = OPTIONS_MAX - len(current) * 2  # the current launch and "unlink"
    shown = sorted(current + others[:room], key=lambda launch: (launch[2], launch[0]))
    options = [(truncate(f"{usertext.plain(name)} · {day.isoformat()}", OPTION_TEXT_MAX), str(launch_id))
               for launch_id, name, day in shown]
    if current:
        options.append(("No launch (unlink)", NO_LAUNCH))
    cut = more or len(others) > room
    blocks = [
        section(f"Which launch ships feedback *#{v.number}*? On launch day, once it has a go, the item is "
                "marked shipped and everyone who reported it gets a DM with your note."),
        _input(Field_.LAUNCH, "Launch", static_select(options, str(v.launch.id) if v.launch else None,
                                                      placeholder="Pick a launch"), optional=False),
        *([context(f"The {len(shown)} soonest launches are listed; "
                   f"`/feedback link {v.number} \"Launch name\"` links any other.")] if cut else []),
        _input(Field_.NOTE, "Note to the reporters", text_input(v.ship_note, multiline=True, max_length=2000),
               hint="What shipped, told to the reporters on launch day. Optional."),
    ]
    return _modal(FeedbackView.LINK, f"Ship #{v.number}", blocks, meta)


def _summary(v: ItemView | Listed) -> str:
    votes = plural(v.votes, "vote")
    extra = " · ".join(x for x in (
        usertext.mrkdwn(v.customer, limit=60) if v.customer else "",
        usertext.mrkdwn(v.product_area, limit=40) if v.product_area else "",
        " ".join(f"#{t}" for t in v.tags[:5]),
    ) if x)
    first = f"{STATUS_EMOJI[v.status]} *#{v.number}* · {v.status.value} · {votes}" + (f" · {extra}" if extra else "")
    return first + "\n" + usertext.mrkdwn(" ".join(v.text.split()), limit=PREVIEW)


def describe(filters: Filters) -> str:
    parts = []
    if filters.status:
        parts.append(filters.status.value)
    parts += [f"#{t}" for t in filters.tags]
    if filters.area:
        parts.append(f"area {usertext.mrkdwn(filters.area, limit=100)}")
    if filters.words:
        parts.append("“" + usertext.mrkdwn(" ".join(filters.words), limit=200) + "”")
    order = ("most relevant first" if filters.ranked else
             "most-voted first" if filters.sort == "top" else "newest first")
    return (", ".join(parts) or "all open and closed items") + f"; {order}"


def page_ref(filters: Filters, page: int) -> str:
    return PageRef(status=filters.status.value if filters.status else None, tags=list(filters.tags),
                   area=filters.area, words=list(filters.words), sort=filters.sort, page=page).model_dump_json()


def list_blocks(page: Page, filters: Filters) -> list[Block]:
    title = "Feedback search" if filters.ranked else "Feedback"  # on every page, not the first only
    blocks: list[Block] = [header(title), context(describe(filters) + f" · {page.found} found")]
    if not page.items:
        blocks.append(section("Nothing matches. Try `/feedback list` without filters, or `/feedback help`."))
        return blocks
    for v in page.items:
        blocks.append(section(_summary(v)))
    nav = []
    if page.page > 1:
        nav.append(button("◀ Previous", FeedbackAction.PAGE + ".prev", page_ref(filters, page.page - 1)))
    if page.more:
        nav.append(button("Next ▶", FeedbackAction.PAGE + ".next", page_ref(filters, page.page + 1)))
    blocks.append(context(f"Page {page.page} of {page.pages}{'' if page.exact else '+'} · `/feedback show <number>` for details"))
    if nav:
        blocks.append(actions(*nav))
    return blocks


def _input(field: Field_, label: str, element: dict[str, Any], optional: bool = True, hint: str | None = None) -> Block:
    return input_block(field, label, element, optional=optional, hint=hint)


def _importance(initial: Importance | None = None) -> dict[str, Any]:
    return static_select(_choices([i.value for i in Importance]), initial.value if initial else None,
                         placeholder="How much does it matter?")


def _modal(callback_id: str, title: str, blocks: list[Block], metadata: str, submit: str = "Save") -> dict[str, Any]:
    return modal(callback_id, title, blocks, submit=submit, metadata=metadata)


def capture_modal(meta: CaptureMeta, text: str = "", names: dict[str, str] | None = None) -> dict[str, Any]:
    intro = "Filing this message as product feedback." if meta.shortcut else "Describe the feedback."
    blocks = [
        section(intro),
        _input(Field_.TEXT, "Feedback", text_input(text, multiline=True, max_length=FORM_TEXT_MAX, names=names), optional=False),
        _input(Field_.CUSTOMER, "Customer / account", text_input()),
        _input(Field_.AREA, "Product area", text_input(max_length=100)),
        _input(Field_.TAGS, "Tags", text_input(), hint="Words separated by spaces or commas, e.g. exports, performance"),
        _input(Field_.IMPORTANCE, "Importance", _importance()),
    ]
    return _modal(FeedbackView.CAPTURE, "File feedback", blocks, meta.model_dump_json(), submit="File")


def details_modal(number: int) -> dict[str, Any]:
    blocks = [_input(Field_.DETAILS, f"Details for #{number}", text_input(multiline=True, max_length=3000), optional=False,
                     hint="Context, impact, who asked: it is added under your name.")]
    return _modal(FeedbackView.DETAILS, "Add details", blocks, ItemRef(number=number).model_dump_json())


def close_modal(number: int, status: FeedbackStatus) -> dict[str, Any]:
    verb = "shipped" if status is FeedbackStatus.SHIPPED else "declined"
    blocks = [
        section(f"Mark feedback *#{number}* as *{verb}*. Everyone who reported it gets a DM with your note."),
        _input(Field_.NOTE, "Note to the reporters", text_input(multiline=True, max_length=2000),
               hint="What changed, or why not. Optional."),
    ]
    meta = CloseMeta(number=number, status=status).model_dump_json()
    return _modal(FeedbackView.CLOSE, f"Mark as {verb}", blocks, meta, submit="Confirm")


def edit_modal(v: ItemView) -> dict[str, Any]:
    blocks = [
        _input(Field_.CUSTOMER, "Customer / account", text_input(v.customer)),
        _input(Field_.AREA, "Product area", text_input(v.product_area, max_length=100)),
        _input(Field_.TAGS, "Tags", text_input(" ".join(v.tags), max_length=3000)),
        _input(Field_.IMPORTANCE, "Importance", _importance(v.importance)),
    ]
    return _modal(FeedbackView.EDIT, f"Edit #{v.number}", blocks, ItemRef(number=v.number).model_dump_json())


def outcome_dm(v: ItemView) -> tuple[str, list[Block]]:
    shipped = v.status is FeedbackStatus.SHIPPED
    launch = (f" with {usertext.mrkdwn(v.launch.name, limit=200)}"
              if shipped and v.launch is not None and v.launch.launched else "")
    headline = (f":rocket: Feedback #{v.number} you reported has shipped{launch}!" if shipped
                else f"Feedback #{v.number} you reported was declined.")
    blocks: list[Block] = [section(f"*{headline}*\n" + _quote(v.text, 500))]
    if v.outcome_note:
        who = f" from {user_mention(v.owner_id)}" if v.owner_id else ""
        blocks.append(section(f"*Note{who}:* " + usertext.mrkdwn(v.outcome_note, limit=2000)))
    if v.permalink:
        blocks.append(context(f"<{v.permalink}|Original message>"))
    blocks.append(divider())
    blocks.append({"type": "context", "elements": [mrkdwn("Thanks for taking the time to report it.")]})
    return headline, blocks


SHIPPED_LISTED = 10  # items one launch DM lists; the rest are counted


def shipped_with_launch_dm(launch_name: str, views: list[ItemView]) -> tuple[str, list[Block]]:
    """One DM per reporter and launch: every item of theirs it shipped, each with its note."""
    name = usertext.mrkdwn(launch_name, limit=200)
    numbers = ", ".join(f"#{v.number}" for v in views[:SHIPPED_LISTED])
    more = f" and {len(views) - SHIPPED_LISTED} more" if len(views) > SHIPPED_LISTED else ""
    headline = f":rocket: {name} shipped feedback you reported: {numbers}{more}"
    body: list[Block] = [section(f"*:rocket: {name} has launched*, and with it feedback you reported.")]
    for v in views[:SHIPPED_LISTED]:
        lines = [f"*#{v.number}*\n" + _quote(v.text, 400)]
        if v.outcome_note:
            lines.append("*Note:* " + usertext.mrkdwn(v.outcome_note, limit=1500))
        if v.permalink:
            lines.append(f"<{v.permalink}|Original message>")
        body.append(section("\n".join(lines)))
    if more:
        body.append(context(f"{len(views) - SHIPPED_LISTED} more: `/feedback list shipped` lists them."))
    body += [divider(), {"type": "context", "elements": [mrkdwn("Thanks for taking the time to report it.")]}]
    return headline, body


def delete_question(v: ItemView) -> tuple[str, list[Block]]:
    """Asked before anything is deleted; the click checks everything again."""
    ref = DeleteRef(number=v.number).model_dump_json()
    blocks = [
        section(f"*Delete feedback #{v.number}?* {v.status.value} · {plural(v.votes, 'vote')}\n"
                + _quote(v.text, PREVIEW)),
        context("It is removed for good, with its votes and tags; its number is not reused. Nobody else is told."),
        actions(button(f"Delete #{v.number}", FeedbackAction.DELETE, ref, style="danger"),
                button("Keep it", FeedbackAction.KEEP, ref), block_id=f"feedback.delete.{v.number}"),
    ]
    return f"Delete feedback #{v.number}?", blocks


def deleted(number: int) -> tuple[str, list[Block]]:
    text = f":wastebasket: Deleted feedback #{number}."
    return text, [section(text)]


def kept(number: int) -> tuple[str, list[Block]]:
    text = f"Kept feedback #{number}; nothing was deleted."
    return text, [section(text)]


def already_filed() -> tuple[str, list[Block]]:
    text = "That was already filed as feedback; see `/feedback list`."
    return text, [section(text)]


TYPO_LABELS = {"list": "List feedback", "search": "Search", "export": "Export", "config": "Set the emoji",
               "help": "Show help"}


def typo_question(typo: Typo, ref: TypoRef) -> tuple[str, list[Block]]:
    """"Did you mean `/feedback show 3`?" [Show #3] [File as feedback]: nothing is filed yet."""
    value = ref.model_dump_json()
    suggestion = usertext.mrkdwn(f"/feedback {typo.command}", limit=500)
    text = f"Did you mean `{suggestion}`?"
    blocks = [
        section(text),
        context("Nothing is filed yet. “File as feedback” files your text exactly as you typed it."),
        actions(button(_typo_label(typo), FeedbackAction.TYPO_RUN, value, style="primary"),
                button("File as feedback", FeedbackAction.TYPO_FILE, value)),
    ]
    return f"Did you mean /feedback {typo.command}?", blocks


def _typo_label(typo: Typo) -> str:
    """[Show #3], [Merge #14 into #9], [Set #4 to shipped]: what the button does, in its words."""
    words = typo.arguments.split()
    numbers = [f"#{m.group(1)}" for w in words if (m := NUMBER.match(w))]
    if typo.subcommand in {"show", "delete", "link", "unlink"}:
        return f"{typo.subcommand.capitalize()} {numbers[0]}"
    if typo.subcommand == "merge":
        return f"Merge {numbers[0]} into {numbers[1]}"
    if typo.subcommand == "status":
        return f"Set {numbers[0]} to {words[1].lower()}"
    if typo.subcommand == "file":
        return f"File without “{typo.text.split()[0]}”"
    return TYPO_LABELS[typo.subcommand]


def similar_prompt(number: int, found: list[Any]) -> tuple[str, list[Block]]:
    """"Looks like #12 — vote there instead?": the open items like the new one (bot/feedback/
    similar.py `Similar`), each with the one-click button that makes the filing a vote there."""
    first = found[0].number
    headline = f"Looks like #{first} — vote there instead?"
    rows: list[Block] = [section(f"*Looks like #{first}* — vote there instead? Your *#{number}* may say the same as:")]
    for s in found:
        line = f"{STATUS_EMOJI[s.status]} *#{s.number}* · {s.status.value} · {plural(s.votes, 'vote')}"
        rows.append(section(line + "\n" + _quote(" ".join(s.text.split()), PREVIEW),
                            accessory=button(f"Vote on #{s.number} instead", "feedback.vote_instead",
                                             json.dumps({"number": number, "into": s.number}))))
    rows.append(context(f"Only you can see this. Nothing to do to keep #{number} as it is."))
    return headline, rows


def voted_instead(number: int, into: int, votes: int, already: bool) -> tuple[str, list[Block]]:
    """The click's answer, in place of the prompt."""
    if already:
        text = f"#{number} is already your vote on *#{into}*; nothing changed."
    else:
        text = (f":ballot_box_with_ballot: Done: your feedback #{number} is now your vote on *#{into}* "
                f"({plural(votes, 'vote')}). What #{number} said is kept there, merged.")
    return text.replace("*", ""), [section(text)]
