"""/launch, its modals (a new launch, a template, the delete confirmation), and the launch jobs.

User text is converted once, here: the command's text with `usertext.from_slack` before it is
parsed, a value typed into a form with `usertext.from_typed` (bot/launches/forms.py). Answers
(ephemeral) render it with `usertext.mrkdwn`. Each listener parses, calls one function of
bot/launches/requests.py, and answers; clicks on the checklist are in handlers/launch_checklist.py.
"""
from __future__ import annotations

from typing import Any

from bot.context import Ctx
from bot.edge import ProdOpsApp
from bot.feature import Feature
from bot.blocks import section
from bot.help import help_blocks, unknown_line
from bot.launches.digest import SECTION as LAUNCHES_SECTION
from bot.launches.duties import LAUNCH_NUDGES, NOTICES
from bot.launches.help import LAUNCH
from bot.launches.home import CARDS as HOME_CARDS
from bot.launches import blocks, flows, permissions, requests, service, templates
from bot.launches.enums import Command, LaunchView
from bot.launches.forms import delete_of, new_launch_from, template_from
from bot.launches.parsing import LaunchCommand, NewLaunch, parse_command
from bot.runtime import Runtime
from bot.text import channel_mention
from bot.usertext import from_slack, mrkdwn
from handlers import launch_checklist


async def launch_command(ctx: Ctx, command: dict[str, Any]) -> None:
    request = parse_command(from_slack(command.get("text", "")))
    await SUBCOMMANDS[request.action](ctx, request)


async def new_launch_submitted(ctx: Ctx, view: dict[str, Any]) -> None:
    new = new_launch_from(view, ctx.user_id)
    warning = (await requests.create_launch(ctx, new)).strip()
    await ctx.answer()
    if warning:  # the modal closes: say it where the checklist goes up, to the creator only
        ctx.tell_later(new.channel_id, warning)


async def template_submitted(ctx: Ctx, view: dict[str, Any]) -> None:
    await permissions.require_template_editor(ctx)
    submitted = template_from(view)
    await templates.save(ctx.session, ctx.team_id, submitted.name, submitted.items, ctx.user_id,
                         replace=submitted.editing)
    await ctx.answer()


async def delete_submitted(ctx: Ctx, view: dict[str, Any]) -> None:
    meta = delete_of(view)
    deleted = await requests.delete(ctx, meta)
    if deleted is None:  # a stale confirmation: the modal says so instead of closing
        await ctx.ack(response_action="update", view=blocks.already_deleted_modal(meta.n))
        return
    await ctx.answer()
    ctx.tell_later(meta.c or None,
                   f"Deleted *{mrkdwn(deleted.name)}*: its items, history and checklist message are gone.")


# -- /launch subcommands ----------------------------------------------------------------------

async def _help(ctx: Ctx, request: LaunchCommand) -> None:
    if request.unknown is None:
        await ctx.answer("/launch help", help_blocks([LAUNCH]))
        return
    said = unknown_line("/launch", request.unknown, request.typo)
    await ctx.answer(said, [section(said), *help_blocks([LAUNCH])])


async def _modal(ctx: Ctx, request: LaunchCommand) -> None:
    names = await templates.names(ctx.session, ctx.team_id)
    await ctx.answer()
    ctx.open_modal(blocks.new_launch_modal(names, ctx.user_id, ctx.channel_id))


async def _new(ctx: Ctx, request: LaunchCommand) -> None:
    assert request.name and request.when
    channel = ctx.channel_id or ""
    new = NewLaunch(request.name, request.when, channel, request.template, owner_id=ctx.user_id)
    warning = await requests.create_launch(ctx, new)
    await ctx.answer(f"Created *{mrkdwn(request.name)}* for {request.when.isoformat()}; the checklist is going up in "
                     f"{channel_mention(channel)}." + warning)


async def _list(ctx: Ctx, request: LaunchCommand) -> None:
    listed = await requests.listed(ctx)
    await ctx.answer(blocks.list_summary(listed), blocks.launch_list(listed))


async def _status(ctx: Ctx, request: LaunchCommand) -> None:
    summary = await requests.status(ctx, request.name or "")
    state = "cancelled" if summary.cancelled else f"{summary.readiness}% ready"
    await ctx.answer(f"{mrkdwn(summary.name)}: {state}", blocks.status(summary))


async def _go(ctx: Ctx, request: LaunchCommand) -> None:
    launch = await requests.go_no_go(ctx, request.name or "")
    await ctx.answer(f"Posting the go/no-go summary for *{mrkdwn(launch.name)}* in the checklist thread.")


async def _date(ctx: Ctx, request: LaunchCommand) -> None:
    assert request.when
    moved = await requests.move(ctx, request.name or "", request.when)
    name, when = mrkdwn(moved.launch.name), request.when.isoformat()
    if moved.old is None:
        await ctx.answer(f"*{name}* already launches {when}; nothing changed.")
    else:
        await ctx.answer(f"*{name}* now launches {when}; open items moved with it." + moved.warning)


async def _add(ctx: Ctx, request: LaunchCommand) -> None:
    assert request.item
    launch = await requests.add_item(ctx, request.name or "", request.item)
    await ctx.answer(f"Added *{mrkdwn(request.item.title)}* to {mrkdwn(launch.name)}.")


async def _cancel(ctx: Ctx, request: LaunchCommand) -> None:
    done = await requests.cancel(ctx, request.name or "")
    name = mrkdwn(done.launch.name)
    if not done.changed:
        await ctx.answer(f"*{name}* is already cancelled; nothing changed. `/launch reopen \"{name}\"` brings it back.")
        return
    await ctx.answer(f"Cancelled *{name}*: it is off `/launch list`, nobody is nudged about it, and its checklist "
                     f"and history are kept. `/launch reopen \"{name}\"` undoes it; "
                     f"`/launch delete \"{name}\"` removes it.")


async def _reopen(ctx: Ctx, request: LaunchCommand) -> None:
    done = await requests.reopen(ctx, request.name or "")
    name = mrkdwn(done.launch.name)
    if not done.changed:
        await ctx.answer(f"*{name}* is not cancelled; nothing changed.")
        return
    await ctx.answer(f"Reopened *{name}*: its checklist is live again and nudges resume.")


async def _delete(ctx: Ctx, request: LaunchCommand) -> None:
    confirmation = await requests.ask_delete(ctx, request.name or "")
    await ctx.answer()
    ctx.open_modal(confirmation)


async def _template_list(ctx: Ctx, request: LaunchCommand) -> None:
    await ctx.answer("Launch templates", blocks.template_list(await templates.names(ctx.session, ctx.team_id)))


async def _template_new(ctx: Ctx, request: LaunchCommand) -> None:
    await permissions.require_template_editor(ctx)
    await ctx.answer()
    ctx.open_modal(blocks.template_modal(items=list(templates.DEFAULT_ITEMS)))


async def _template_edit(ctx: Ctx, request: LaunchCommand) -> None:
    await permissions.require_template_editor(ctx)
    name, items = await templates.find(ctx.session, ctx.team_id, request.template)
    await ctx.answer()
    ctx.open_modal(blocks.template_modal(name, items, editing=name))


SUBCOMMANDS = {
    "help": _help, "modal": _modal, "new": _new, "list": _list, "status": _status, "go": _go, "date": _date,
    "add": _add, "cancel": _cancel, "reopen": _reopen, "delete": _delete,
    "template_list": _template_list, "template_new": _template_new, "template_edit": _template_edit,
}


def listeners(app: ProdOpsApp) -> None:
    app.command(Command.LAUNCH)(launch_command)
    app.view(LaunchView.NEW)(new_launch_submitted)
    app.view(LaunchView.TEMPLATE)(template_submitted)
    app.view(LaunchView.DELETE)(delete_submitted)
    launch_checklist.listeners(app)


def jobs(rt: Runtime) -> None:
    rt.scheduler.register_sweeper(lambda: flows.sweep_unposted_checklists(rt))


# The daily nudges are a duty: the minute tick finds whose working day has started (bot/duties.py),
# and the notifier sends them (bot/notify/).
FEATURE = Feature("launches", LAUNCH, listeners=listeners, jobs=jobs, duties=(LAUNCH_NUDGES,), notices=NOTICES,
                  people_wanted=(service.people_without_record,), digest_sections=(LAUNCHES_SECTION,),
                  home_cards=HOME_CARDS)
