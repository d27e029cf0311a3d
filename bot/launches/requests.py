"""What each /launch request and checklist click does, in order, between the handler's parsing
and its answer: the channel membership check, the permission (bot/launches/permissions.py), the
write (bot/launches/service.py), and the Slack work scheduled for after the commit
(bot/launches/flows.py: the checklist re-rendered, a line in its thread).

A change that wrote nothing (the value it already had) schedules nothing, so a double click
posts no second thread line. A cancelled launch takes no change but a reopen or a delete.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.channels import ensure_member
from bot.context import Ctx
from bot.errors import NotFound
from bot.launches import blocks, flows, permissions, service, templates
from bot.launches.enums import DeleteMeta, ItemRef
from bot.launches.parsing import NewLaunch, TemplateItem
from bot.people.flows import ensure_people
from models.launch import Decision, Launch, LaunchItem


@dataclass(frozen=True)
class Changed:
    launch: Launch
    changed: bool  # False: it already was so (cancelled twice, reopened while open)


@dataclass(frozen=True)
class Moved:
    launch: Launch
    old: date | None  # None: it already launched on that day, nothing changed
    warning: str


def today(ctx: Ctx) -> date:
    return flows.today_in(ctx.workspace.timezone)


def past_warning(ctx: Ctx, when: date, done: str = "created") -> str:
    """Said (not refused) when a launch is put in the past: its items are overdue at once."""
    return (f"\n:warning: {when.isoformat()} is in the past; the launch was {done} anyway, "
            "with its items already overdue.") if when < today(ctx) else ""


def _know(ctx: Ctx, *users: str | None) -> None:
    """After the commit, make sure the people directory knows these owners (their zone and
    working hours decide when they are nudged); the people sweep catches any this misses."""
    rt, team_id, wanted = ctx.rt, ctx.team_id, [u for u in users if u]
    if wanted:
        ctx.later(lambda: ensure_people(rt, team_id, wanted))


def _announce(ctx: Ctx, launch: Launch, line: str) -> None:
    """After the commit: re-render the checklist, then say in its thread who did what."""
    rt, client, team_id, launch_id = ctx.rt, ctx.client, ctx.team_id, launch.id
    ctx.later(lambda: flows.after_change(rt, client, team_id, launch_id, line))


async def create_launch(ctx: Ctx, new: NewLaunch) -> str:
    """Check the channel, save the launch with its first checklist post claimed in the same
    transaction, and post the checklist after the commit. Returns the past-date warning ('' if none)."""
    await ensure_member(ctx.rt.lookup or ctx.client, new.channel_id)
    template_name, items = await templates.find(ctx.session, ctx.team_id, new.template)
    launch = await service.create(ctx.session, ctx.team_id, name=new.name, launch_date=new.when,
                                  channel_id=new.channel_id, owner_id=new.owner_id, template_name=template_name,
                                  items=items, actor=ctx.user_id)
    posting = await flows.claim_checklist_post(ctx.session, ctx.team_id, launch.id)
    rt, client, launch_id, actor, channel = ctx.rt, ctx.client, launch.id, ctx.user_id, new.channel_id
    ctx.later(lambda: flows.post_new_checklist(rt, client, posting, launch_id, actor, channel))
    _know(ctx, new.owner_id)
    return past_warning(ctx, new.when)


async def status(ctx: Ctx, name: str) -> service.LaunchSummary:
    launch = await service.get(ctx.session, ctx.team_id, name)
    return await service.summarize(ctx.session, launch, today(ctx))


async def listed(ctx: Ctx) -> service.LaunchList:
    return await service.listed(ctx.session, ctx.team_id, today(ctx))


async def go_no_go(ctx: Ctx, name: str) -> Launch:
    """The go/no-go summary goes up in the checklist's thread after the ack."""
    launch = await service.get(ctx.session, ctx.team_id, name)
    service.require_active(launch)
    rt, client, team_id, launch_id = ctx.rt, ctx.client, ctx.team_id, launch.id
    ctx.later(lambda: flows.post_go_no_go(rt, client, team_id, launch_id))
    return launch


async def move(ctx: Ctx, name: str, when: date) -> Moved:
    launch = await service.get(ctx.session, ctx.team_id, name)
    service.require_active(launch)
    await permissions.require_launch_admin(ctx, launch, "move the launch date")
    old = await service.move(ctx.session, launch, when, ctx.user_id)
    if old is None:
        return Moved(launch, None, "")
    _announce(ctx, launch, blocks.thread_line(ctx.user_id, "date", f"{old.isoformat()} → {when.isoformat()}"))
    return Moved(launch, old, past_warning(ctx, when, "moved"))


async def add_item(ctx: Ctx, name: str, item: TemplateItem) -> Launch:
    launch = await service.get(ctx.session, ctx.team_id, name)
    service.require_active(launch)
    await permissions.require_launch_admin(ctx, launch, "add items")
    await service.add_item(ctx.session, launch, item, ctx.user_id)
    _announce(ctx, launch, blocks.thread_line(ctx.user_id, "add", f"{item.function}: {item.title}"))
    return launch


async def _item(ctx: Ctx, ref: ItemRef) -> tuple[Launch, LaunchItem]:
    launch = await service.get_by_id(ctx.session, ctx.team_id, ref.l)
    service.require_active(launch)
    return launch, await service.get_item(ctx.session, launch, ref.i)


async def check_off(ctx: Ctx, ref: ItemRef) -> None:
    """`ref.d` is the state the clicker asked for, so two clicks leave it as asked."""
    launch, item = await _item(ctx, ref)
    await permissions.require_item_editor(ctx, launch, item)
    if await service.set_done(ctx.session, launch, item, ref.d, ctx.user_id):
        _announce(ctx, launch, blocks.thread_line(ctx.user_id, "check" if ref.d else "uncheck", item.title))


async def assign(ctx: Ctx, ref: ItemRef, owner: str | None) -> None:
    launch, item = await _item(ctx, ref)
    await permissions.require_launch_admin(ctx, launch, "assign items")
    if await service.set_owner(ctx.session, launch, item, owner, ctx.user_id):
        _know(ctx, owner)
        who = f"<@{owner}>" if owner else "nobody"
        _announce(ctx, launch, blocks.thread_line(ctx.user_id, "owner", item.title, suffix=f"to {who}"))


async def set_due(ctx: Ctx, ref: ItemRef, due: date) -> None:
    launch, item = await _item(ctx, ref)
    await permissions.require_launch_admin(ctx, launch, "change due dates")
    if await service.set_due(ctx.session, launch, item, due, ctx.user_id):
        _announce(ctx, launch, blocks.thread_line(ctx.user_id, "due", f"{item.title} to {due.isoformat()}"))


DECISION_LINE = {Decision.GO: "GO :white_check_mark:", Decision.NO_GO: "NO-GO :no_entry:"}


async def decide(ctx: Ctx, launch_id: int, decision: Decision) -> None:
    launch = await service.get_by_id(ctx.session, ctx.team_id, launch_id)
    service.require_active(launch)
    await permissions.require_decider(ctx, launch)
    if await service.decide(ctx.session, launch, decision, ctx.user_id):
        _announce(ctx, launch, blocks.thread_line(ctx.user_id, "decision", DECISION_LINE[decision]))


async def cancel(ctx: Ctx, name: str) -> Changed:
    """Keep the launch and its history; the checklist says it was cancelled, once, in its thread."""
    launch = await service.get(ctx.session, ctx.team_id, name)
    await permissions.require_launch_admin(ctx, launch, "cancel the launch")
    changed = await service.cancel(ctx.session, launch, ctx.user_id)
    if changed:
        _announce(ctx, launch, blocks.thread_line(ctx.user_id, "cancel", ""))
    return Changed(launch, changed)


async def reopen(ctx: Ctx, name: str) -> Changed:
    launch = await service.get(ctx.session, ctx.team_id, name)
    await permissions.require_launch_admin(ctx, launch, "reopen the launch")
    changed = await service.reopen(ctx.session, launch, ctx.user_id)
    if changed:
        _announce(ctx, launch, blocks.thread_line(ctx.user_id, "reopen", ""))
    return Changed(launch, changed)


async def ask_delete(ctx: Ctx, name: str) -> dict[str, Any]:
    """The confirmation modal for `/launch delete`: nothing is deleted until it is submitted."""
    launch = await service.get(ctx.session, ctx.team_id, name)
    await permissions.require_launch_admin(ctx, launch, "delete the launch")
    summary = await service.summarize(ctx.session, launch, today(ctx))
    return blocks.delete_modal(summary, await service.history_length(ctx.session, launch), ctx.channel_id)


async def delete(ctx: Ctx, meta: DeleteMeta) -> service.Deleted | None:
    """The confirmation was submitted: permission checked again (roles change, and the form
    could be forged), rows deleted, the checklist message removed after the commit. None when
    the launch was already deleted."""
    try:
        launch = await service.get_by_id(ctx.session, ctx.team_id, meta.l)
    except NotFound:
        return None
    await permissions.require_launch_admin(ctx, launch, "delete the launch")
    deleted = await service.delete(ctx.session, launch)
    if deleted is not None:
        rt, client, launch_id = ctx.rt, ctx.client, meta.l
        ctx.later(lambda: flows.remove_checklist(rt, client, launch_id, deleted.channel_id, deleted.message_ts))
    return deleted
