"""What each /digest request and form does, between the handler's parsing and its answer:
the permission, the write (bot/digests/service.py), and the Slack work scheduled for after the
commit (bot/digests/flows.py)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import clock
from bot.channels import ensure_member
from bot.context import Ctx
from bot.delivery import claim, send_claimed
from bot.digests import blocks, flows, schedule, service
from bot.digests.compose import compose
from bot.digests.enums import DeleteMeta, Field_, SetupMeta
from bot.digests.schedule import Occurrence
from bot.digests.sections import DigestSection, registered
from bot.digests.service import Setup
from bot.errors import NotFound, PermissionDenied, UserError
from bot.people.directory import bots_or_gone
from bot.roles import refused
from bot.slack import tell
from bot.text import channel_mention, user_mention
from bot.usertext import mrkdwn
from models.digest import Digest


def _sections(ctx: Ctx) -> tuple[DigestSection, ...]:
    return registered(ctx.rt.features)


async def _manages(ctx: Ctx, digest: Digest) -> bool:
    return ctx.user_id == digest.owner_id or await ctx.is_manager()


async def require_manages(ctx: Ctx, digest: Digest, action: str) -> None:
    if not await _manages(ctx, digest):
        raise refused(f"the digest's owner ({user_mention(digest.owner_id)}) and ops admins", action)


# -- setup ------------------------------------------------------------------------------------------

async def _form(ctx: Ctx, defaults: blocks.SetupDefaults, current: dict[str, Any] | None,
                meta: SetupMeta) -> dict[str, Any]:
    sections = _sections(ctx)
    filters = [b for s in sections for b in await s.inputs(ctx.session, ctx.team_id, (current or {}).get(s.name))]
    if not defaults.sections:  # a new digest: the sections checked by default
        defaults = replace(defaults, sections=[s.name for s in sections if s.default])
    return blocks.setup_modal(defaults, [(s.label, s.name) for s in sections], filters, meta)


async def setup_form(ctx: Ctx, channel_id: str | None) -> dict[str, Any]:
    await ctx.require_manager("set up a digest")
    # Run from a DM, the DM is no digest channel: the form starts without one.
    here = channel_id or ctx.channel_id
    channel = here if here and not here.startswith("D") else None
    defaults = blocks.SetupDefaults(channel_id=channel, timezone=ctx.workspace.timezone or "UTC",
                                    owner_id=ctx.user_id)
    return await _form(ctx, defaults, None, SetupMeta(c=ctx.channel_id or ""))


async def edit_form(ctx: Ctx, name: str) -> dict[str, Any]:
    digest = await service.get(ctx.session, ctx.team_id, name)
    await require_manages(ctx, digest, "edit it")
    defaults = blocks.SetupDefaults(digest.name, digest.channel_id, digest.cadence, digest.days, digest.at_minutes,
                                    digest.timezone, list(digest.sections or {}), digest.when_empty, digest.owner_id)
    return await _form(ctx, defaults, dict(digest.sections or {}), SetupMeta(d=digest.id, c=ctx.channel_id or ""))


async def _checked(ctx: Ctx, setup: Setup) -> Setup:
    filters = dict(setup.sections)
    for s in _sections(ctx):
        if s.name in filters and s.check is not None:
            filters[s.name] = await s.check(ctx.session, ctx.team_id, filters[s.name])
    return replace(setup, sections=filters)


async def save_setup(ctx: Ctx, setup: Setup, meta: SetupMeta) -> str:
    """The setup form, submitted: the channel is checked before anything is written. Returns
    what to tell the person."""
    await ensure_member(ctx.rt.lookup or ctx.client, setup.channel_id, field=Field_.CHANNEL)
    if await bots_or_gone(ctx.session, ctx.team_id, [setup.owner_id]):
        raise UserError("Pick a person as the owner: that one is a bot or has left the workspace, and a failing "
                        "channel must be told to someone.", field=Field_.OWNER)
    now = clock.now()
    if meta.d is None:
        await ctx.require_manager("set up a digest")
        setup = await _checked(ctx, setup)
        digest = await service.create(ctx.session, ctx.team_id, setup, ctx.user_id, now)
        verb = "Created"
    else:
        digest = await service.get_by_id(ctx.session, ctx.team_id, meta.d)
        await require_manages(ctx, digest, "edit it")
        if setup.channel_id != digest.channel_id and not await ctx.is_manager():  # owning it is no say over another channel
            refusal = refused("ops admins", "move a digest to another channel",
                              "Ask one of them, or see `/prodops admins list`.")
            raise PermissionDenied(refusal.message, field=Field_.CHANNEL)
        setup = await _checked(ctx, setup)
        await service.update_setup(ctx.session, digest, setup, now)
        verb = "Saved"
    return (f"{verb} the digest *{mrkdwn(setup.name)}*: posts in {channel_mention(setup.channel_id)}, "
            f"{blocks.schedule_text(setup.cadence, setup.days, setup.minutes, setup.timezone)}, with "
            f"{_sections_text(ctx, digest)}. {_next_text(digest)} `/digest preview {mrkdwn(setup.name)}` shows it now.")


def _sections_text(ctx: Ctx, digest: Digest) -> str:
    chosen = digest.sections or {}
    shown = []
    for s in _sections(ctx):
        if s.name in chosen:
            said = s.describe(chosen[s.name] or {})
            shown.append(f"{s.label.lower()}" + (f" ({said})" if said else ""))
    return ", ".join(shown) or "no sections"


def next_post(digest: Digest) -> datetime | None:
    """When it next posts: its next occurrence, or the one after when `/digest now` already
    posted that one's period."""
    if digest.next_at is None:
        return None
    if digest.last_period is not None and digest.last_period == digest.next_period:
        following = schedule.next_after(service.timing(digest), digest.next_at)
        return following.at if following is not None else None
    return digest.next_at


def _next_text(digest: Digest) -> str:
    if digest.paused_at is not None:
        return "It is paused."
    when = next_post(digest)
    if when is None:
        return "It has no day to post on."
    return f"Next post: {blocks.local(when, clock.zone(digest.timezone))}."


async def listed(ctx: Ctx) -> list[blocks.Listed]:
    rows = []
    for d in await service.listed(ctx.session, ctx.team_id):
        chosen = d.sections or {}
        sections = []
        for s in _sections(ctx):
            if s.name in chosen:
                said = s.describe(chosen[s.name] or {})
                sections.append(s.label + (f" ({said})" if said else ""))
        rows.append(blocks.Listed(d.name, d.channel_id, d.owner_id,
                                  blocks.schedule_text(d.cadence, d.days, d.at_minutes, d.timezone), sections,
                                  d.paused_at is not None, next_post(d), d.last_posted_at, d.failing_reason,
                                  clock.zone(d.timezone)))
    return rows


async def pause(ctx: Ctx, name: str, paused: bool) -> tuple[Digest, bool]:
    digest = await service.get(ctx.session, ctx.team_id, name)
    await require_manages(ctx, digest, "pause or resume it")
    return digest, await service.set_paused(ctx.session, digest, paused, clock.now())


def next_text(digest: Digest) -> str:
    return _next_text(digest)


async def ask_delete(ctx: Ctx, name: str) -> dict[str, Any]:
    digest = await service.get(ctx.session, ctx.team_id, name)
    await require_manages(ctx, digest, "delete it")
    return blocks.delete_modal(digest.name, DeleteMeta(d=digest.id, n=digest.name, c=ctx.channel_id or ""))


async def delete(ctx: Ctx, meta: DeleteMeta) -> str | None:
    """None when it was already gone (a second click, another admin). A post due at this very
    minute finds no digest and posts nothing."""
    try:
        digest = await service.get_by_id(ctx.session, ctx.team_id, meta.d)
    except NotFound:
        return None
    await require_manages(ctx, digest, "delete it")
    await service.remove(ctx.session, digest)
    return digest.name


# -- preview and now --------------------------------------------------------------------------------

async def _named_or_here(ctx: Ctx, name: str | None, verb: str) -> Digest:
    if name is not None:
        return await service.get(ctx.session, ctx.team_id, name)
    here = await service.in_channel(ctx.session, ctx.team_id, ctx.channel_id)
    if len(here) == 1:
        return here[0]
    if not here:
        raise UserError(f"No digest posts in this channel. `/digest {verb} <name>` names one; `/digest list` "
                        "shows them.")
    names = ", ".join(f"`{mrkdwn(d.name)}`" for d in here[:10])
    raise UserError(f"Several digests post here ({names}); say which: `/digest {verb} <name>`.")


async def preview(ctx: Ctx, name: str | None) -> tuple[str, list[Any]]:
    """The digest as it would post now, to the person only. Its owner, ops admins, and anyone
    asking in the digest's own channel may see it (a private channel's digest stays there)."""
    digest = await _named_or_here(ctx, name, "preview")
    if ctx.channel_id != digest.channel_id and not await _manages(ctx, digest):
        raise refused(f"its owner ({user_mention(digest.owner_id)}), ops admins and people in "
                      f"{channel_mention(digest.channel_id)}", "preview this digest",
                      f"Run `/digest preview` in {channel_mention(digest.channel_id)}.")
    composed = await compose(ctx.session, _sections(ctx), digest, clock.now(), preview=True)
    return composed.text, composed.blocks


def _occurrence_now(digest: Digest) -> Occurrence | None:
    """The period `/digest now` posts for: the one awaiting its post (its time not come yet, or
    a post being retried), else, paused, the next one."""
    if digest.next_at is not None and digest.next_period is not None:
        return Occurrence(digest.next_at, date.fromisoformat(digest.next_period))
    return schedule.next_after(service.timing(digest), clock.now())


async def post_now(ctx: Ctx, name: str | None) -> str:
    """Claim this period's post and post it after the commit; what to tell the person."""
    digest = await _named_or_here(ctx, name, "now")
    await require_manages(ctx, digest, "post it now")
    if digest.paused_at is not None:
        raise UserError(f"*{mrkdwn(digest.name)}* is paused, so nothing posts; `/digest resume {mrkdwn(digest.name)}` "
                        f"first, or `/digest preview {mrkdwn(digest.name)}` to see it.")
    found = _occurrence_now(digest)
    if found is None:
        raise UserError(f"*{mrkdwn(digest.name)}* has no day to post on; `/digest edit {mrkdwn(digest.name)}` "
                        "picks its days.")
    zone = clock.zone(digest.timezone)
    due = blocks.local(found.at, zone)
    taken = await claim(ctx.session, ctx.team_id, flows.POST_KIND, str(digest.id), found.period)
    if taken is None:
        raise UserError(f"The digest *{mrkdwn(digest.name)}* due {due} was already posted (or is being posted "
                        "right now); nothing was posted twice.")
    rt, client, team_id, user, where = ctx.rt, ctx.client, ctx.team_id, ctx.user_id, ctx.channel_id
    digest_id, period, channel = digest.id, found.period, digest.channel_id

    async def post() -> None:
        async def send() -> object:
            return await flows.post(rt, team_id, digest_id, period, clock.now())

        try:
            await send_claimed(rt.db, taken, send)
        except SlackApiError as exc:
            error = exc.response.get("error") or f"HTTP {exc.response.status_code}"
            await tell(client, where, user, f"The digest couldn't be posted in {channel_mention(channel)}: Slack "
                                            f"said `{error}`. It stays due: it is tried again at {due}.")

    ctx.later(post)
    return (f"Posting *{mrkdwn(digest.name)}* in {channel_mention(digest.channel_id)} now. It counts as the "
            f"digest due {due}, which won't post again.")
