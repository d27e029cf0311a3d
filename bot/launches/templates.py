"""Checklist templates: the built-in default and the workspace's own."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import NotFound, UserError
from bot.launches.parsing import NAME_MAX, TemplateItem, name_key
from bot.usertext import mrkdwn, plain
from models.launch import LaunchTemplate

DEFAULT_NAME = "default"
DEFAULT_ITEMS = (
    TemplateItem("engineering", "Code complete", -10),
    TemplateItem("engineering", "QA sign-off", -5),
    TemplateItem("product", "Release notes", -2),
    TemplateItem("marketing", "Announcement drafted", -7),
    TemplateItem("sales", "Enablement deck", -5),
    TemplateItem("support", "Macros and docs", -3),
    TemplateItem("legal", "Terms review", -7),
    TemplateItem("post-launch", "Metrics review", 7),
)


def template_text(items: list[TemplateItem] | tuple[TemplateItem, ...]) -> str:
    """The items as the form shows them to edit: one line each, titles as they were typed."""
    return "\n".join(f"{i.function} | {plain(i.title)} | {i.offset_days:+d}" for i in items)


async def find(session: AsyncSession, team_id: str, name: str | None) -> tuple[str, list[TemplateItem]]:
    """A workspace template by name; `default` is built in unless the workspace made its own."""
    key = name_key(name or DEFAULT_NAME)
    row = await session.scalar(select(LaunchTemplate).where(
        LaunchTemplate.team_id == team_id, LaunchTemplate.name_key == key))
    if row is not None:
        return row.name, [TemplateItem(str(i["function"]), str(i["title"]), int(i["offset_days"])) for i in row.items]
    if key == DEFAULT_NAME:
        return DEFAULT_NAME, list(DEFAULT_ITEMS)
    raise NotFound(f"There is no template `{mrkdwn(name or '')}`. See `/launch template list`.")


async def names(session: AsyncSession, team_id: str) -> list[str]:
    own = list(await session.scalars(select(LaunchTemplate.name).where(LaunchTemplate.team_id == team_id)
                                     .order_by(LaunchTemplate.name_key)))
    return own if any(n.lower() == DEFAULT_NAME for n in own) else [DEFAULT_NAME, *own]


async def save(session: AsyncSession, team_id: str, name: str, items: list[TemplateItem], actor: str,
               *, replace: str | None = None) -> LaunchTemplate:
    name = " ".join(name.split())
    if not name or len(plain(name)) > NAME_MAX:
        raise UserError(f"Give the template a name of at most {NAME_MAX} characters.", field="name")
    key = name_key(name)
    existing = await session.scalar(select(LaunchTemplate).where(
        LaunchTemplate.team_id == team_id, LaunchTemplate.name_key == key))
    if existing is not None and key != name_key(replace or ""):
        raise UserError(f"A template named `{mrkdwn(name)}` already exists; pick another name.", field="name")
    row = existing
    if replace is not None and row is None:
        row = await session.scalar(select(LaunchTemplate).where(
            LaunchTemplate.team_id == team_id, LaunchTemplate.name_key == name_key(replace)))
    if row is None:
        row = LaunchTemplate(team_id=team_id, name=name, name_key=key, created_by=actor, items=[])
        session.add(row)
    row.name, row.name_key = name, key
    row.items = [i.as_dict() for i in items]
    await session.flush()
    return row
