"""Feedback capture: /feedback (and its typo question), the filing reaction, the "File as
feedback" shortcut and the capture form. The item card's buttons and modals (and the delete
question's) are in handlers/feedback_triage.py; this module's `listeners` registers both, so
the feature is declared once (FEATURE, below).

Listeners parse the payload, call one flow or service function, and answer.
"""
from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from bot import usertext
from bot.blocks import Block, context as context_block
from bot.context import Ctx
from bot.edge import ProdOpsApp
from bot.feature import Feature
from bot.feedback import blocks, deletion, exports, filing, flows, service, shipping, similar, triage
from bot.feedback.digest import SECTION as FEEDBACK_SECTION
from bot.feedback.enums import CaptureMeta, FeedbackAction, FeedbackShortcut, FeedbackView, TypoRef
from bot.feedback.filing import Reaction
from bot.feedback.forms import draft_from
from bot.feedback.parsing import FeedbackCommand, meant_command, parse_command
from bot.feedback.permissions import can_triage, require_manager
from bot.feedback.service import Receipt
from bot.feedback.triage import answer_in_place
from bot.forms import FormData, read_meta
from bot.help import help_blocks
from bot.feedback.help import FEEDBACK
from bot.feedback.home import CARDS as HOME_CARDS
from bot.runtime import Runtime
from bot.text import escape
from bot.workspaces import WorkspaceInfo
from handlers import feedback_triage


async def feedback_command(ctx: Ctx, command: dict[str, Any]) -> None:
    request = parse_command(usertext.from_slack(command.get("text", "")))
    await ctx.answer(*await SUBCOMMANDS[request.action](ctx, request))


async def reaction_added(ctx: Ctx, event: dict[str, Any], context: dict[str, Any]) -> None:
    if _files_feedback(ctx, event, context.get("bot_user_id")):
        await filing.from_reaction(ctx, Reaction.of(event), once=ctx.body["event_id"])


async def reaction_removed(ctx: Ctx, event: dict[str, Any], context: dict[str, Any]) -> None:
    if _files_feedback(ctx, event, context.get("bot_user_id")):
        await filing.withdraw_reaction(ctx, Reaction.of(event))


async def file_message_shortcut(ctx: Ctx, shortcut: dict[str, Any]) -> None:
    await ctx.answer()
    channel_id = (shortcut.get("channel") or {}).get("id")
    filing.open_shortcut_form(ctx, channel_id, shortcut.get("message") or {})


async def capture_submitted(ctx: Ctx, view: dict[str, Any]) -> None:
    meta = read_meta(CaptureMeta, view.get("private_metadata"))
    await filing.from_form(ctx, meta, draft_from(FormData(view)), once=view["id"])
    await ctx.answer()


def _files_feedback(ctx: Ctx, event: dict[str, Any], bot_user_id: str | None) -> bool:
    """The workspace's emoji on a message that is not the bot's own."""
    return _wants_reaction(event, ctx.workspace) and event.get("item_user") != bot_user_id


def _wants_reaction(event: dict[str, Any], workspace: WorkspaceInfo, _bot_user: str | None = None) -> bool:
    """The workspace's emoji on a message: every other reaction is acked at the edge untouched."""
    item = event.get("item") or {}
    return (
        isinstance(item, dict) and item.get("type") == "message"
        and service.reaction_base(str(event.get("reaction", ""))) == service.feedback_emoji(workspace)
        and bool(item.get("channel") and item.get("ts") and event.get("user"))
    )


# -- /feedback subcommands: each returns its answer (ephemeral), sent with the ack -------------
# (or, run from the typo question's button, in place of the question)

async def _help(ctx: Ctx, request: FeedbackCommand) -> Answer:
    emoji = service.feedback_emoji(ctx.workspace)
    hint = context_block(f"In this workspace, react with :{emoji}: to file a message.")
    return "/feedback help", help_blocks([FEEDBACK]) + [hint]


async def _modal(ctx: Ctx, request: FeedbackCommand) -> Answer:
    ctx.open_modal(blocks.capture_modal(CaptureMeta(channel_id=ctx.channel_id)))
    return "", None


async def _file(ctx: Ctx, request: FeedbackCommand) -> Answer:
    assert request.draft is not None
    item = await service.file_text(ctx.session, ctx.team_id, ctx.user_id, ctx.channel_id, request.draft)
    similar.offer_later(ctx, item.number)
    return blocks.confirmation(Receipt.new(item))


async def _list(ctx: Ctx, request: FeedbackCommand) -> Answer:
    page = await service.list_items(ctx.reading, ctx.team_id, request.filters)
    return blocks.plural(page.total, "feedback item"), blocks.list_blocks(page, request.filters)


async def _show(ctx: Ctx, request: FeedbackCommand) -> Answer:
    item = await service.get_item(ctx.reading, ctx.team_id, request.numbers[0])
    card = blocks.item_blocks(await service.view(ctx.reading, item), await can_triage(ctx, item))
    return f"Feedback #{item.number}", card


async def _export(ctx: Ctx, request: FeedbackCommand) -> Answer:
    """A durable job, stored with the request; it starts after the commit (and a restart resumes it)."""
    job_id = await exports.request(ctx.session, ctx.team_id, ctx.user_id, request.filters)
    ctx.later(exports.kick(ctx.rt, job_id))
    return "Preparing your CSV export; it will arrive in your DMs with me.", None


async def _merge(ctx: Ctx, request: FeedbackCommand) -> Answer:
    await require_manager(ctx, "merge feedback")
    before = [(await service.get_item(ctx.session, ctx.team_id, n)).launch_id for n in request.numbers]
    source, target = await service.merge(ctx.session, ctx.team_id, *request.numbers)
    await triage.rerender_linked(ctx, [*before, target.launch_id])
    text = f"Merged #{source.number} into #{target.number}: its reporters, tags and source now count there."
    if before[0] is not None and before[0] != target.launch_id:
        why = "ships with the launch it was linked to" if target.launch_id else f"is already {target.status.value}"
        text += f" Its launch link is dropped: #{target.number} {why}."
    elif before[0] is not None and before[1] is None:
        text += f" #{target.number} now ships with #{source.number}'s launch."
    return text, None


async def _emoji(ctx: Ctx, request: FeedbackCommand) -> Answer:
    await require_manager(ctx, "change the feedback emoji")
    await service.set_emoji(ctx.session, ctx.team_id, request.emoji or service.DEFAULT_EMOJI)
    ctx.workspace_changed()
    return f"Reacting with :{escape(request.emoji or '')}: now files a message as feedback.", None


async def _status(ctx: Ctx, request: FeedbackCommand) -> Answer:
    assert request.status is not None
    change = await triage.set_status(ctx, request.numbers[0], request.status, request.note)
    told = f" {blocks.plural(change.told, 'reporter')} will get a DM." if change.told else ""
    return f"#{change.number} is now *{change.status.value}*.{told}", None


async def _link(ctx: Ctx, request: FeedbackCommand) -> Answer:
    assert request.launch is not None
    return await triage.link_by_name(ctx, request.numbers[0], request.launch, request.note,
                                     quoted=request.launch_quoted), None


async def _unlink(ctx: Ctx, request: FeedbackCommand) -> Answer:
    return await triage.unlink(ctx, request.numbers[0]), None


async def _delete(ctx: Ctx, request: FeedbackCommand) -> Answer:
    """Asks first: the question's "Delete #n" button deletes (handlers/feedback_triage.py)."""
    return blocks.delete_question(await deletion.ask(ctx, request.numbers[0]))


async def _typo(ctx: Ctx, request: FeedbackCommand) -> Answer:
    """`/feedback shwo 3`: ask instead of filing a mistake; the buttons carry the text."""
    assert request.typo is not None
    return blocks.typo_question(request.typo, TypoRef(text=request.typo.text, once=secrets.token_hex(8)))


Answer = tuple[str, list[Block] | None]
Subcommand = Callable[[Ctx, FeedbackCommand], Awaitable[Answer]]
SUBCOMMANDS: dict[str, Subcommand] = {
    "help": _help, "modal": _modal, "file": _file, "list": _list, "search": _list, "show": _show,
    "export": _export, "merge": _merge, "emoji": _emoji, "status": _status, "delete": _delete, "typo": _typo,
    "link": _link, "unlink": _unlink,
}


# -- the typo question's buttons ---------------------------------------------------------------

async def typo_run_clicked(ctx: Ctx, action: dict[str, Any]) -> None:
    """[Show #3]: the subcommand the typo meant, run for the person who clicks."""
    await ctx.answer()
    request = meant_command(usertext.from_slack(read_meta(TypoRef, action.get("value")).text))
    answer_in_place(ctx, *await SUBCOMMANDS[request.action](ctx, request))


async def typo_file_clicked(ctx: Ctx, action: dict[str, Any]) -> None:
    """[File as feedback]: the text exactly as typed, once however often it is clicked."""
    await ctx.answer()
    ref = read_meta(TypoRef, action.get("value"))
    receipt = await filing.from_question(ctx, ref.text, once=ref.once)
    answer_in_place(ctx, *(blocks.confirmation(receipt) if receipt else blocks.already_filed()))


async def vote_instead_clicked(ctx: Ctx, action: dict[str, Any]) -> None:
    """[Vote on #12 instead]: the new filing becomes the filer's vote there; once."""
    await ctx.answer()
    moved = await similar.vote_instead(ctx.session, ctx.team_id, ctx.user_id,
                                       read_meta(similar.InsteadRef, action.get("value")))
    answer_in_place(ctx, *blocks.voted_instead(moved.number, moved.into, moved.votes, moved.already))


def listeners(app: ProdOpsApp) -> None:
    app.command("/feedback")(feedback_command)
    app.event("reaction_added")(reaction_added)
    app.event("reaction_removed")(reaction_removed)
    app.shortcut(FeedbackShortcut.FILE_MESSAGE)(file_message_shortcut)
    app.view(FeedbackView.CAPTURE)(capture_submitted)
    app.action(FeedbackAction.TYPO_RUN)(typo_run_clicked)
    app.action(FeedbackAction.TYPO_FILE)(typo_file_clicked)
    app.action(similar.VOTE_INSTEAD)(vote_instead_clicked)
    feedback_triage.listeners(app)


def jobs(rt: Runtime) -> None:
    rt.scheduler.register_sweeper(lambda: flows.sweep_pending_captures(rt))
    rt.scheduler.register_sweeper(lambda: flows.sweep_outcomes(rt))


FEATURE = Feature("feedback", FEEDBACK, listeners=listeners, jobs=jobs, digest_sections=(FEEDBACK_SECTION,),
                  home_cards=HOME_CARDS, duties=(shipping.SHIP_ON_LAUNCH, exports.EXPORTS), notices=shipping.NOTICES,
                  event_filters=(("reaction_added", _wants_reaction), ("reaction_removed", _wants_reaction)))
