"""/standup, its forms (setup, answers, the delete confirmation) and the "Fill in standup" button.

User text is converted once, here: the command's text with `usertext.from_slack` before it is
parsed, form values with `usertext.from_typed` (bot/standups/forms.py). Each listener parses,
calls one function of bot/standups/requests.py, and answers.
"""
from __future__ import annotations

from typing import Any

from bot.context import Ctx
from bot.edge import ProdOpsApp
from bot.feature import Feature
from bot.blocks import section
from bot.errors import NotFound
from bot.forms import read_meta
from bot.help import help_blocks, unknown_line
from bot.runtime import Runtime
from bot.standups import blocks, flows, requests, service
from bot.standups.digest import SECTION as STANDUPS_SECTION
from bot.standups.duties import NOTICES, STANDUP_MOMENTS, STANDUP_SUMMARIES
from bot.standups.enums import STALE_BUTTON, Command, DayRef, StandupAction, StandupView
from bot.standups.forms import answers_from, delete_of, setup_from
from bot.standups.help import STANDUP
from bot.standups.home import CARD as STANDUPS_CARD
from bot.standups.parsing import StandupCommand, parse_command
from bot.usertext import from_slack, mrkdwn


async def standup_command(ctx: Ctx, command: dict[str, Any]) -> None:
    request = parse_command(from_slack(command.get("text", "")))
    await SUBCOMMANDS[request.action](ctx, request)


async def _answer(ctx: Ctx, request: StandupCommand) -> None:
    try:
        opened = await requests.open_for_today(ctx, request.name)
    except NotFound:
        if request.unknown is None:
            raise
        # Neither a standup's name nor a subcommand: the help, as every command answers a word it
        # does not know.
        await _help(ctx, request, f"There is no standup named `{mrkdwn(request.name or '')}`. ")
        return
    if opened.form is not None:
        await ctx.answer()
        ctx.open_modal(opened.form)
        return
    await ctx.answer("Which standup?", blocks.choose_standup(opened.choices or []))


async def _help(ctx: Ctx, request: StandupCommand, first: str = "") -> None:
    if request.unknown is None:
        await ctx.answer("/standup help", help_blocks([STANDUP]))
        return
    said = first + unknown_line("/standup", request.unknown, request.typo)
    await ctx.answer(said, [section(said), *help_blocks([STANDUP])])


async def _setup(ctx: Ctx, request: StandupCommand) -> None:
    form = await requests.setup_form(ctx)
    await ctx.answer()
    ctx.open_modal(form)


async def _list(ctx: Ctx, request: StandupCommand) -> None:
    rows = await requests.listed(ctx)
    await ctx.answer(f"{blocks.counted(len(rows), 'standup')}", blocks.list_blocks(rows))


async def _edit(ctx: Ctx, request: StandupCommand) -> None:
    form = await requests.edit_form(ctx, request.name or "")
    await ctx.answer()
    ctx.open_modal(form)


async def _pause(ctx: Ctx, request: StandupCommand) -> None:
    standup, changed = await requests.pause(ctx, request.name or "", True)
    name = mrkdwn(standup.name)
    await ctx.answer(f"Paused *{name}*: no prompts, reminders or summaries until `/standup resume {name}`."
                     if changed else f"*{name}* is already paused; `/standup resume {name}` restarts it.")


async def _resume(ctx: Ctx, request: StandupCommand) -> None:
    standup, changed = await requests.pause(ctx, request.name or "", False)
    name = mrkdwn(standup.name)
    await ctx.answer(f"Resumed *{name}*: prompts start again on its next day." if changed
                     else f"*{name}* is not paused; nothing changed.")


async def _delete(ctx: Ctx, request: StandupCommand) -> None:
    confirmation = await requests.ask_delete(ctx, request.name or "")
    await ctx.answer()
    ctx.open_modal(confirmation)


async def _stats(ctx: Ctx, request: StandupCommand) -> None:
    await ctx.answer("Standup stats", await requests.stats(ctx, request.name))


SUBCOMMANDS = {"answer": _answer, "help": _help, "setup": _setup, "list": _list, "edit": _edit, "pause": _pause,
               "resume": _resume, "delete": _delete, "stats": _stats}


async def setup_submitted(ctx: Ctx, view: dict[str, Any]) -> None:
    setup, meta = setup_from(view, ctx.user_id)
    message = await requests.save_setup(ctx, setup, meta)
    await ctx.answer()
    ctx.tell_later(meta.c or setup.channel_id, message)


async def answer_submitted(ctx: Ctx, view: dict[str, Any]) -> None:
    ref, values = answers_from(view)
    message = await requests.submit(ctx, ref, values)
    await ctx.ack(response_action="update", view=blocks.saved_modal(message))


async def delete_submitted(ctx: Ctx, view: dict[str, Any]) -> None:
    meta = delete_of(view)
    name = await requests.delete(ctx, meta)
    if name is None:
        await ctx.ack(response_action="update", view=blocks.already_deleted_modal(meta.n))
        return
    await ctx.answer()
    ctx.tell_later(meta.c or None, f"Deleted the standup *{mrkdwn(name)}* with its answers. "
                                   "Messages already posted stay in the channel.")


async def fill_clicked(ctx: Ctx, action: dict[str, Any]) -> None:
    await ctx.answer()  # at once; a refusal goes back through response_url (bot/edge.py)
    ctx.open_modal(await requests.open_from_button(ctx, read_meta(DayRef, action.get("value"), STALE_BUTTON)))


def listeners(app: ProdOpsApp) -> None:
    app.command(Command.STANDUP)(standup_command)
    app.view(StandupView.SETUP)(setup_submitted)
    app.view(StandupView.ANSWER)(answer_submitted)
    app.view(StandupView.DELETE)(delete_submitted)
    app.action(StandupAction.FILL)(fill_clicked)


def jobs(rt: Runtime) -> None:
    rt.scheduler.register_sweeper(lambda: flows.sweep_unposted(rt))


# Prompts, reminders and the day's summary are duties of the minute tick (bot/duties.py); the
# DMs go through the notifier (bot/notify/).
FEATURE = Feature("standups", STANDUP, listeners=listeners, jobs=jobs, duties=(STANDUP_MOMENTS, STANDUP_SUMMARIES),
                  notices=NOTICES, on_leave=(service.leave,), people_wanted=(service.people_without_record,),
                  digest_sections=(STANDUPS_SECTION,), home_cards=(STANDUPS_CARD,))
