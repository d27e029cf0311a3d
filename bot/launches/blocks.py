"""Block Kit for launches: the live checklist, go/no-go, status, list, nudges and modals.

Names and titles are user text in bot/usertext.py's representation; each surface has one
renderer. mrkdwn (sections, context, thread lines, a message's `text`, which Slack also reads as
mrkdwn) goes through `usertext.mrkdwn`, with `public=True` for what is posted in the channel (the
checklist, its thread, the go/no-go summary) so a name or title never pings anyone there.
plain_text (headers, button and option labels, input initial values) goes through
`usertext.plain` and is then cut to the Block Kit limit."""
from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.blocks import Block, actions, button, context, header, input_block, modal, plain, section
from bot.forms import channel_select, date_picker, static_select, text_input, users_select
from bot.launches.enums import (DeleteMeta, Field_, ItemRef, LaunchAction, LaunchRef, LaunchView, TemplateMeta,
                                item_block_id)
from bot.launches.parsing import FUNCTIONS, TemplateItem
from bot.launches.service import RECENT_DAYS, ItemSummary, LaunchList, LaunchSummary, NudgeItem
from bot.launches.templates import template_text
from bot.text import BUTTON_TEXT_MAX, MESSAGE_BLOCKS_MAX, MODAL_TITLE_MAX, SECTION_TEXT_MAX, truncate, user_mention
from bot.usertext import mrkdwn as user_mrkdwn, plain as user_plain
from models.launch import Decision


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """`1 item`, `2 items`, `1 upcoming launch`: every count a launch answer shows."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def function_label(function: str) -> str:
    """A function as a group's heading: `post-launch` is shown as Post-launch."""
    return function.capitalize()


def progress_bar(percent: int, width: int = 10) -> str:
    filled = round(percent * width / 100)
    return "█" * filled + "░" * (width - filled)


def when(v: LaunchSummary) -> str:
    days = v.days_to_go
    if days > 1:
        return f"{counted(days, 'day')} to go"
    if days == 1:
        return "tomorrow"
    if days == 0:
        return "launch day"
    if v.decision is not Decision.GO:  # its day passed without a go: it did not launch
        return f"launch day was {counted(-days, 'day')} ago"
    return f"launched {counted(-days, 'day')} ago"


def _date(d: date) -> str:
    return d.strftime("%a %b %-d")


def _decision(v: LaunchSummary) -> str:
    if v.decision is Decision.GO:
        return f" · :white_check_mark: GO by {user_mention(v.decided_by or '')}"
    if v.decision is Decision.NO_GO:
        return f" · :no_entry: NO-GO by {user_mention(v.decided_by or '')}"
    return ""


def _mark(item: ItemSummary) -> str:
    return "✅" if item.done else ("⚠️" if item.overdue else "⬜")


# How much of one piece of user text a line may show (mrkdwn characters, escapes included).
NAME_MRKDWN_MAX = 500
TITLE_MRKDWN_MAX = 1_000


def _item_line(item: ItemSummary, *, public: bool) -> str:
    owner = user_mention(item.owner_id) if item.owner_id else "_unassigned_"
    due = f"*overdue since {_date(item.due)}*" if item.overdue else f"due {_date(item.due)}"
    title = user_mrkdwn(item.title, public=public, limit=TITLE_MRKDWN_MAX)
    title = f"~{title}~" if item.done else title
    return f"{_mark(item)} {title} · {owner} · {due}"


def _item_row(v: LaunchSummary, item: ItemSummary) -> Block:
    label = truncate(f"{_mark(item)} {user_plain(item.title)}", BUTTON_TEXT_MAX)
    toggle = button(label, LaunchAction.TOGGLE, ItemRef(l=v.id, i=item.id, d=not item.done).model_dump_json(),
                    style="danger" if item.overdue else None)
    owner = {**users_select(item.owner_id, placeholder="unassigned"), "action_id": LaunchAction.OWNER}
    due = {**date_picker(item.due), "action_id": LaunchAction.DUE, "placeholder": plain("Due date")}
    return actions(toggle, owner, due, block_id=item_block_id(v.id, item.id))


# Slack rejects messages whose blocks pass ~13,000 characters (msg_blocks_too_long), well
# below the documented per-block limits; keep the live message inside this budget.
MESSAGE_CHARS_BUDGET = 11_000
COMPACT_BUDGETS = ((6_000, 40), (4_000, 25), (2_500, 10))  # (characters of lines, check-off options)


def _size(blocks: list[Block]) -> int:
    return len(json.dumps(blocks, ensure_ascii=False))


def fitted_lines(title: str, lines: list[str], limit: int = 2_900) -> str:
    """Title and lines within one section's limit; what does not fit is counted, not dropped silently."""
    text, shown = title, 0
    for line in lines:
        if len(text) + len(line) + 60 > limit:
            break
        text += "\n" + line
        shown += 1
    if shown < len(lines):
        text += f"\n_…and {len(lines) - shown} more: `/launch status` lists them all_"
    return text


def checklist(v: LaunchSummary) -> tuple[str, list[Block]]:
    """The live message: one row of controls per item. When that would pass Slack's 50 blocks
    or its size limit, a compact form: open items listed per function, a check-off menu each."""
    if v.cancelled:
        return cancelled_checklist(v)
    overdue = len(v.overdue)
    name = user_mrkdwn(v.name, public=True, limit=NAME_MRKDWN_MAX)
    top: list[Block] = [
        header(f"🚀 {user_plain(v.name)}"),
        context(f"Launch {_date(v.launch_date)} ({v.launch_date.isoformat()}) · {when(v)} · owner "
                f"{user_mention(v.owner_id)}{_decision(v)}"),
        section(f"`{progress_bar(v.readiness)}` *{v.readiness}% ready*"
                + (f" · :warning: *{overdue} overdue*" if overdue else "")),
    ]
    if v.risks:
        top.append(section(risks_line(v)))
    if v.ships is not None:
        top.append(section(ships_line(v)))
    footer = context("Click an item to check it off or reopen it; pick an owner or a due date beside it. "
                     f"`/launch status \"{name}\"` for a summary.")
    text = f"Launch checklist: {name}, {v.readiness}% ready, {when(v)}"
    full = top + _full_rows(v) + [footer]
    if len(full) <= MESSAGE_BLOCKS_MAX and _size(full) <= MESSAGE_CHARS_BUDGET:
        return text, full
    for lines_budget, options_max in COMPACT_BUDGETS:
        compact = top + _compact_rows(v, lines_budget, options_max) + [footer]
        if _size(compact) <= MESSAGE_CHARS_BUDGET:
            break
    return text, compact


def _cancelled_on(v: LaunchSummary) -> str:
    """The cancel's date in each reader's own zone (Slack renders the token), UTC as fallback."""
    if v.cancelled_at is None:
        return ""
    stamp = int(v.cancelled_at.timestamp())
    return f" on <!date^{stamp}^{{date_short}}|{v.cancelled_at.date().isoformat()}>"


CANCELLED_LINES_BUDGET = 7_000  # characters of item lines on a cancelled checklist


def cancelled_checklist(v: LaunchSummary) -> tuple[str, list[Block]]:
    """The checklist once cancelled: the items as they were left, as text (no controls: nothing
    on it changes), and how to bring it back."""
    name = user_mrkdwn(v.name, public=True, limit=NAME_MRKDWN_MAX)
    blocks: list[Block] = [
        header(f"🚫 {user_plain(v.name)} (cancelled)"),
        context(f"Was to launch {_date(v.launch_date)} ({v.launch_date.isoformat()}) · owner "
                f"{user_mention(v.owner_id)}{_decision(v)} · *cancelled* by "
                f"{user_mention(v.cancelled_by or '')}{_cancelled_on(v)}"),
    ]
    left = CANCELLED_LINES_BUDGET
    for function, items in v.by_function().items():
        title = f"*{function_label(function)}* · {sum(i.done for i in items)}/{len(items)} done"
        text = fitted_lines(title, [_item_line(i, public=True) for i in items], limit=max(200, min(2_900, left)))
        left -= len(text)
        blocks.append(section(text))
    blocks.append(context("This launch was cancelled: its checklist no longer changes and nobody is nudged about "
                          f"it. The history is kept; `/launch reopen \"{name}\"` brings it back."))
    return f"Launch checklist: {name}, cancelled", blocks


def _full_rows(v: LaunchSummary) -> list[Block]:
    body: list[Block] = []
    for function, items in v.by_function().items():
        body.append(context(f"*{function_label(function)}* · {sum(i.done for i in items)}/{len(items)} done"))
        body += [_item_row(v, item) for item in items]
    return body


def _compact_rows(v: LaunchSummary, lines_budget: int, options_max: int) -> list[Block]:
    body: list[Block] = []
    lines_left, options_left = lines_budget, options_max
    for function, items in v.by_function().items():
        open_items = [i for i in items if not i.done]
        title = f"*{function_label(function)}* · {len(items) - len(open_items)}/{len(items)} done"
        lines = [_item_line(i, public=True) for i in open_items]
        section_text = fitted_lines(title, lines, limit=max(200, min(2_900, lines_left)))
        lines_left -= len(section_text)
        body.append(section(section_text))
        chosen = open_items[:min(25, options_left)]
        if chosen:
            options_left -= len(chosen)
            options = [(f"Check: {user_plain(i.title)}", ItemRef(l=v.id, i=i.id, d=True).model_dump_json())
                       for i in chosen]
            menu = {**static_select(options, placeholder="Check off…"), "action_id": LaunchAction.COMPACT_TOGGLE}
            body.append(actions(menu, block_id=f"launch.compact.{v.id}.{function}"))
    return body


def risks_line(v: LaunchSummary, limit: int = 3) -> str:
    """The open risks from outside the checklist (standup blockers naming the launch), for a
    channel: whose and what, the first few, as the people wrote them."""
    shown = [f"{user_mrkdwn(r.text, public=True, limit=200)} ({_raised_by(r.raised_by)})" for r in v.risks[:limit]]
    more = f" and {len(v.risks) - limit} more" if len(v.risks) > limit else ""
    return (f":construction: *{counted(len(v.risks), 'open blocker')}* from standups: " + "; ".join(shown) + more)


def ships_line(v: LaunchSummary) -> str:
    """The feedback linked to the launch (`/feedback link`): before launch what it ships, after
    it what it shipped and that its reporters were told."""
    assert v.ships is not None
    numbers = ", ".join(f"#{n}" for n in v.ships.numbers)
    more = f" and {v.ships.items - len(v.ships.numbers)} more" if v.ships.items > len(v.ships.numbers) else ""
    items, reporters = counted(v.ships.items, "feedback item"), counted(v.ships.reporters, "reporter")
    if v.launched_at is not None:
        return f":package: *Shipped {items}* ({numbers}{more}); {reporters} get a DM in their working hours."
    return (f":package: *Ships {items}* ({reporters}): {numbers}{more}. "
            "Launch day with a go ships them and tells the reporters.")


def _raised_by(user_id: str) -> str:
    return f"reported by {user_mention(user_id)}"


def recommendation(v: LaunchSummary) -> str:
    if v.risks:
        which = "the standup blocker naming it is" if len(v.risks) == 1 else \
            f"the {len(v.risks)} standup blockers naming it are"
        return f":no_entry: *Recommendation: NO-GO* until {which} cleared."
    pre = [i for i in v.items if i.offset_days <= 0 and not i.done]
    if not pre:
        return ":white_check_mark: *Recommendation: GO.* Every pre-launch item is done."
    overdue = sum(i.overdue for i in pre)
    if overdue:
        which = "the overdue item is" if overdue == 1 else f"the {overdue} overdue items are"
        return f":no_entry: *Recommendation: NO-GO* until {which} done."
    return f":warning: *Recommendation: GO with risk.* {counted(len(pre), 'pre-launch item')} still open, none overdue."


def go_no_go(v: LaunchSummary) -> tuple[str, list[Block]]:
    open_groups = v.by_function(open_only=True)
    # The titles are joined in the representation and cut by usertext, never inside an escape.
    lines = [f"*{function_label(f)}*: " + user_mrkdwn(", ".join(i.title for i in items), public=True, limit=400)
             for f, items in open_groups.items()] or ["Nothing open."]
    ref = LaunchRef(l=v.id).model_dump_json()
    blocks = [
        header(f"Go/no-go: {user_plain(v.name)}"),
        section(fitted_lines(f"{v.readiness}% ready · {len(v.overdue)} overdue · {when(v)}\n*Open items*", lines)),
        *([section(risks_line(v, limit=10))] if v.risks else []),
        *([section(ships_line(v))] if v.ships is not None else []),
        section(recommendation(v)),
        actions(button("Go", LaunchAction.GO, ref, style="primary"),
                button("No-go", LaunchAction.NO_GO, ref, style="danger"), block_id=f"launch.decide.{v.id}"),
        context(f"The decision is {user_mention(v.owner_id)}'s (or an ops admin's); it is recorded in the audit trail."),
    ]
    name = user_mrkdwn(v.name, public=True, limit=NAME_MRKDWN_MAX)
    return f"Go/no-go for {name}: {v.readiness}% ready", blocks


def status(v: LaunchSummary) -> list[Block]:
    """An answer only the asker sees (ephemeral)."""
    if v.cancelled:
        name = user_mrkdwn(v.name, limit=NAME_MRKDWN_MAX)
        return [header(f"{user_plain(v.name)} · cancelled"),
                context(f"Was to launch {v.launch_date.isoformat()} · owner {user_mention(v.owner_id)} · cancelled by "
                        f"{user_mention(v.cancelled_by or '')}{_cancelled_on(v)}"),
                section(f"{counted(sum(i.done for i in v.items), 'item')} of {len(v.items)} were done. "
                        f"`/launch reopen \"{name}\"` brings it back; `/launch delete \"{name}\"` removes it.")]
    blocks = [header(f"{user_plain(v.name)} · {v.readiness}% ready"),
              context(f"{v.launch_date.isoformat()} · {when(v)} · owner {user_mention(v.owner_id)}{_decision(v)}")]
    if v.ships is not None:
        blocks.append(section(ships_line(v)))
    groups = v.by_function(open_only=True)
    if not groups:
        blocks.append(section(":white_check_mark: Every item is done."))
    for function, items in list(groups.items())[:40]:
        overdue = sum(i.overdue for i in items)
        head = f"*{function_label(function)}*: {len(items)} open" + (f", {overdue} overdue" if overdue else "")
        blocks.append(section(fitted_lines(head, [_item_line(i, public=False) for i in items], limit=1_500)))
    return blocks


def list_summary(listed: LaunchList) -> str:
    """The answer's text: `1 upcoming launch`, and what else the list shows."""
    parts = [counted(len(listed.upcoming), "upcoming launch", "upcoming launches")]
    if listed.underway:
        parts.append(f"{len(listed.underway)} still open after launch day")
    if listed.recent:
        parts.append(f"{len(listed.recent)} recently launched")
    return ", ".join(parts)


def _list_line(v: LaunchSummary) -> str:
    overdue = f" · :warning: {len(v.overdue)} overdue" if v.overdue else ""
    name = user_mrkdwn(v.name, limit=NAME_MRKDWN_MAX)
    return (f"*{name}* · {v.launch_date.isoformat()} ({when(v)}) · "
            f"`{progress_bar(v.readiness)}` {v.readiness}% ready{overdue}{_decision(v)} · <#{v.channel_id}>")


LIST_LAUNCHES_MAX = 40  # one section each, under Slack's 50 blocks with the headings


def launch_list(listed: LaunchList) -> list[Block]:
    """An answer only the asker sees (ephemeral). Past launch days are never called upcoming:
    launches with work still open after launch day come first, then the upcoming ones, then
    those finished within the last RECENT_DAYS days."""
    if listed.empty:
        return [section("No upcoming launches. Start one with `/launch new`.")]
    groups = [("After launch day, work still open", listed.underway), ("Upcoming launches", listed.upcoming),
              (f"Recently launched (last {RECENT_DAYS} days)", listed.recent)]
    blocks: list[Block] = []
    room = LIST_LAUNCHES_MAX
    for title, views in groups:
        if not views and title != "Upcoming launches":
            continue
        blocks.append(header(title))
        if not views:
            blocks.append(section("None. Start one with `/launch new`."))
        shown = views[:max(room, 0)]
        room -= len(shown)
        blocks += [section(_list_line(v)) for v in shown]
        if len(shown) < len(views):
            blocks.append(context(f"…and {len(views) - len(shown)} more: `/launch status \"Name\"` for any of them"))
    return blocks


def nudge(person: str, items: list[NudgeItem], today: date) -> tuple[str, list[Block]]:
    """A DM to `person`: private, so a mention in a title stays a (silent) mention."""
    blocks: list[Block] = [section(f"Good morning {user_mention(person)}: these launch items need you.")]
    for item in items[:45]:
        state = "*overdue*" if item.due < today else ("due *today*" if item.due == today else "due *tomorrow*")
        who = "" if item.assigned else " · _unassigned: you own the launch_"
        name = user_mrkdwn(item.launch_name, limit=NAME_MRKDWN_MAX)
        title = user_mrkdwn(item.title, limit=TITLE_MRKDWN_MAX)
        blocks.append(section(f"*{name}*: {title} · {state} ({item.due.isoformat()}){who}",
                              accessory=button("Mark done", LaunchAction.TOGGLE,
                                               ItemRef(l=item.launch_id, i=item.item_id, d=True).model_dump_json())))
    return (f"{counted(len(items), 'launch item')} {'needs' if len(items) == 1 else 'need'} you today"), blocks


def escalation_line(item: NudgeItem, person: str, *, in_thread: bool) -> str:
    """An overdue item still open after its nudge: first in the checklist's thread, then in the
    channel. It names the person on purpose (the point of escalating); titles never ping."""
    name = user_mrkdwn(item.launch_name, limit=NAME_MRKDWN_MAX)
    title = user_mrkdwn(item.title, limit=TITLE_MRKDWN_MAX)
    if in_thread:
        return (f":alarm_clock: {user_mention(person)}: *{title}* was due {item.due.isoformat()} "
                "and is still open.")
    return (f":rotating_light: Overdue on *{name}*: *{title}* (due {item.due.isoformat()}, "
            f"{user_mention(person)}) is still open. See the checklist thread.")


def new_launch_modal(templates: list[str], owner_id: str, channel_id: str | None) -> dict[str, Any]:
    # Template names are typed into the template form, so the text shown is what comes back.
    choices = [(user_plain(t), user_plain(t)) for t in templates[:100]]
    blocks = [
        input_block(Field_.NAME, "Launch name", text_input(max_length=80)),
        input_block(Field_.DATE, "Launch date", date_picker()),
        input_block(Field_.CHANNEL, "Channel for the checklist", channel_select(channel_id),
                    hint="I must be a member: /invite @ProdOps"),
        input_block(Field_.TEMPLATE, "Template", static_select(choices, initial=choices[0][1] if choices else None)),
        input_block(Field_.OWNER, "Launch owner", users_select(owner_id)),
    ]
    return modal(LaunchView.NEW, "New launch", blocks, submit="Create")


def template_modal(name: str = "", items: list[TemplateItem] | None = None, editing: str | None = None) -> dict[str, Any]:
    lines = text_input(multiline=True, max_length=3000)
    if items:  # already the characters to show (template_text renders each title plain)
        lines["initial_value"] = template_text(items)[:3000]
    blocks = [
        input_block(Field_.NAME, "Template name", text_input(name, max_length=80)),
        input_block(Field_.ITEMS, "Items, one per line", lines,
                    hint="function | title | days relative to launch, e.g. marketing | Blog post | -7. "
                         f"Functions: {', '.join(FUNCTIONS)}."),
    ]
    return modal(LaunchView.TEMPLATE, "Launch template", blocks, metadata=TemplateMeta(editing=editing).model_dump_json())


def template_list(names: list[str]) -> list[Block]:
    shown = [f"`{user_mrkdwn(n, limit=NAME_MRKDWN_MAX)}`" for n in names]
    text = "*Launch templates:* " + ", ".join(shown)
    while len(text) > SECTION_TEXT_MAX - 40:  # whole names only, never half an escape
        shown.pop()
        text = "*Launch templates:* " + ", ".join(shown) + f" and {len(names) - len(shown)} more"
    return [section(text),
            context("Ops admins: `/launch template new`, `/launch template edit \"Name\"`.")]


def thread_line(actor: str, action: str, detail: str, suffix: str = "") -> str:
    """A line in the checklist's thread. `detail` is user text (the representation, rendered for
    the channel: nothing in it pings); `suffix` is the bot's own mrkdwn, e.g. a mention."""
    verbs = {"check": "checked off", "uncheck": "reopened", "owner": "set the owner of", "due": "moved the due date of",
             "add": "added", "date": "moved the launch date:", "decision": "decided", "created": "created the launch",
             "cancel": "cancelled the launch", "reopen": "reopened the launch"}
    shown = user_mrkdwn(detail, public=True, limit=TITLE_MRKDWN_MAX)
    return f"{user_mention(actor)} {verbs.get(action, action)} {shown} {suffix}".rstrip()



def delete_modal(v: LaunchSummary, entries: int, channel_id: str | None) -> dict[str, Any]:
    """The confirmation `/launch delete` opens: what goes, that it cannot be undone, and that
    cancel keeps the history. Private to the person deleting (mentions may show as names)."""
    name = user_mrkdwn(v.name, limit=NAME_MRKDWN_MAX)
    where = f"the checklist message in <#{v.channel_id}>" if v.message_ts else "its checklist (never posted)"
    body = [
        section(f":wastebasket: Delete *{name}* ({v.launch_date.isoformat()})?"),
        section(f"This removes the launch, its {counted(len(v.items), 'item')}, its history "
                f"({counted(entries, 'recorded change')}) and {where}. It can't be undone."),
        context(f"To keep the history instead, `/launch cancel \"{name}\"`: it leaves the list and stops the nudges."),
    ]
    meta = DeleteMeta(l=v.id, n=v.name, c=channel_id or "").model_dump_json()
    return {**modal(LaunchView.DELETE, "Delete launch", body, submit="Delete", metadata=meta),
            "close": plain("Keep it", MODAL_TITLE_MAX)}


def already_deleted_modal(name: str) -> dict[str, Any]:
    """What a stale confirmation shows when submitted: the launch went meanwhile (another
    confirmation, another admin, a double click). Nothing to submit."""
    shown = f"*{user_mrkdwn(name, limit=NAME_MRKDWN_MAX)}*" if name else "That launch"
    return {"type": "modal", "title": plain("Delete launch", MODAL_TITLE_MAX), "close": plain("Close", MODAL_TITLE_MAX),
            "blocks": [section(f"{shown} was already deleted; nothing else was changed.")]}
