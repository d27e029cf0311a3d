"""/digest and its forms (setup, the delete confirmation).

User text is converted once, here: the command's text with `usertext.from_slack` before it is
parsed, form values by bot/forms.py. Each listener parses, calls one function of
bot/digests/requests.py, and answers."""
from __future__ import annotations

from typing import Any

from bot.context import Ctx
from bot.digests import blocks, requests, service
from bot.digests.duties import DIGEST_POSTS, NOTICES
from bot.digests.enums import Command, DigestView
from bot.digests.forms import delete_of, setup_from
from bot.digests.help import DIGEST
from bot.digests.home import CARD as DIGESTS_CARD
from bot.digests.parsing import DigestCommand, parse_command
from bot.digests.sections import registered
from bot.edge import ProdOpsApp
from bot.feature import Feature
from bot.help import help_blocks, unknown_line
from bot.usertext import from_slack, mrkdwn


async def digest_command(ctx: Ctx, command: dict[str, Any]) -> None:
    request = parse_command(from_slack(command.get("text", "")))
    await SUBCOMMANDS[request.action](ctx, request)


async def _help(ctx: Ctx, request: DigestCommand) -> None:
    said = unknown_line("/digest", request.unknown, request.typo) if request.unknown is not None else ""
    await ctx.answer(said or "/digest help", ([blocks.section(said)] if said else []) + help_blocks([DIGEST]))


async def _setup(ctx: Ctx, request: DigestCommand) -> None:
    form = await requests.setup_form(ctx, request.channel_id)
    await ctx.answer()
    ctx.open_modal(form)


async def _list(ctx: Ctx, request: DigestCommand) -> None:
    rows = await requests.listed(ctx)
    await ctx.answer(f"{len(rows)} digest{'' if len(rows) == 1 else 's'}", blocks.list_blocks(rows))


async def _edit(ctx: Ctx, request: DigestCommand) -> None:
    form = await requests.edit_form(ctx, request.name or "")
    await ctx.answer()
    ctx.open_modal(form)


async def _pause(ctx: Ctx, request: DigestCommand) -> None:
    digest, changed = await requests.pause(ctx, request.name or "", True)
    name = mrkdwn(digest.name)
    await ctx.answer(f"Paused *{name}*: nothing posts until `/digest resume {name}`." if changed
                     else f"*{name}* is already paused; `/digest resume {name}` restarts it.")


async def _resume(ctx: Ctx, request: DigestCommand) -> None:
    digest, changed = await requests.pause(ctx, request.name or "", False)
    name = mrkdwn(digest.name)
    await ctx.answer(f"Resumed *{name}*. {requests.next_text(digest)}" if changed
                     else f"*{name}* is not paused; nothing changed.")


async def _delete(ctx: Ctx, request: DigestCommand) -> None:
    confirmation = await requests.ask_delete(ctx, request.name or "")
    await ctx.answer()
    ctx.open_modal(confirmation)


async def _preview(ctx: Ctx, request: DigestCommand) -> None:
    text, body = await requests.preview(ctx, request.name)
    await ctx.answer(text, body)


async def _now(ctx: Ctx, request: DigestCommand) -> None:
    await ctx.answer(await requests.post_now(ctx, request.name))


SUBCOMMANDS = {"help": _help, "setup": _setup, "list": _list, "edit": _edit, "pause": _pause, "resume": _resume,
               "delete": _delete, "preview": _preview, "now": _now}


async def setup_submitted(ctx: Ctx, view: dict[str, Any]) -> None:
    setup, meta = setup_from(view, ctx.user_id, registered(ctx.rt.features))
    message = await requests.save_setup(ctx, setup, meta)
    await ctx.answer()
    ctx.tell_later(meta.c or setup.channel_id, message)


async def delete_submitted(ctx: Ctx, view: dict[str, Any]) -> None:
    meta = delete_of(view)
    name = await requests.delete(ctx, meta)
    if name is None:
        await ctx.ack(response_action="update", view=blocks.already_deleted_modal())
        return
    await ctx.answer()
    ctx.tell_later(meta.c or None, f"Deleted the digest *{mrkdwn(name)}*. Digests already posted stay in the channel.")


def listeners(app: ProdOpsApp) -> None:
    app.command(Command.DIGEST)(digest_command)
    app.view(DigestView.SETUP)(setup_submitted)
    app.view(DigestView.DELETE)(delete_submitted)


# Each digest's post is a duty of the minute tick (bot/duties.py); the owner's failure DM goes
# through the notifier (bot/notify/).
FEATURE = Feature("digests", DIGEST, listeners=listeners, duties=(DIGEST_POSTS,), notices=NOTICES,
                  on_leave=(service.owners_left,), home_cards=(DIGESTS_CARD,))
