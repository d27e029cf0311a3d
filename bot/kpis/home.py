"""The App Home cards of KPIs: "Your KPIs" (those the viewer owns, each as `/kpi` shows it:
latest value against the target, stale or failing said plainly) and, for ops admins, "KPIs
needing attention" (off target, stale or failing, counted, the first few listed).

Rows come from `requests.rows_of`, the same reads `/kpi` makes. Each of your KPIs has a "Log a
value" button: the App Home's form for `/kpi log` (bot/home/kpi_log.py), that KPI chosen."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks import Block, button, context, section
from bot.home.cards import CARD_CHARS, LIST_MAX, HomeCard, Viewer
from bot.home.enums import HomeAction
from bot.kpis import requests, service
from bot.kpis.blocks import Row, row_line

ROWS_CHARS = CARD_CHARS - 500  # the listed rows' share; the heading and the pointers take the rest


def needs_attention(r: Row) -> bool:
    return r.failing is not None or r.stale or r.on_target is False


def _rank(r: Row) -> int:
    """Failing first (nothing new arrives), then off target, then stale, then the rest."""
    return 0 if r.failing is not None else 1 if r.on_target is False and not r.stale else 2 if r.stale else 3


def _counts(rows: list[Row]) -> str:
    failing = sum(r.failing is not None for r in rows)
    off = sum(r.on_target is False and not r.stale for r in rows)
    stale = sum(r.stale for r in rows)
    parts = [f"{off} off target"] + ([f"{stale} stale"] if stale else []) + ([f"{failing} failing"] if failing else [])
    return " · ".join(parts)


def _listed(rows: list[Row], log_buttons: bool = False) -> tuple[list[Block], int]:
    """One section per row, at most LIST_MAX of them and within ROWS_CHARS; how many were left.
    With `log_buttons`, each row has the button that opens the log form for it."""
    blocks: list[Block] = []
    used = 0
    for r in rows[:LIST_MAX]:
        line = row_line(r)
        if blocks and used + len(line) > ROWS_CHARS:
            break
        loggable = log_buttons and not r.computed
        blocks.append(section(line, accessory=button("Log a value", HomeAction.LOG_KPI, r.key) if loggable else None))
        used += len(line)
    return blocks, len(rows) - len(blocks)


async def build_mine(session: AsyncSession, viewer: Viewer) -> list[Block] | None:
    mine = [k for k in await service.listed(session, viewer.team_id) if k.owner_id == viewer.user_id]
    if not mine:
        return None
    rows = sorted(await requests.rows_of(session, mine, viewer.now), key=_rank)
    return mine_blocks(rows)


def mine_blocks(rows: list[Row]) -> list[Block]:
    noun = "KPI" if len(rows) == 1 else "KPIs"
    head = f"*Your KPIs* · {len(rows)} {noun} · {_counts(rows)}"
    listed, more = _listed(rows, log_buttons=True)
    tail = f"…and {more} more: `/kpi` lists them all · " if more else ""
    loggable = [r.key for r in rows if not r.computed]  # a working agreement computes its own
    typed = f"Or type it: `/kpi log <key> <value>` (e.g. `/kpi log {loggable[0]} 42`) · " if loggable else ""
    return [section(head), *listed, context(f"{tail}{typed}`/kpi show <key>` for the history and a chart")]


async def build_attention(session: AsyncSession, viewer: Viewer) -> list[Block] | None:
    kpis = await service.listed(session, viewer.team_id)
    if not kpis:
        return None
    rows = [r for r in await requests.rows_of(session, kpis, viewer.now) if needs_attention(r)]
    if not rows:
        return None
    return attention_blocks(sorted(rows, key=_rank), len(kpis))


def attention_blocks(rows: list[Row], total: int) -> list[Block]:
    head = f"*KPIs needing attention* · {len(rows)} of {total} · {_counts(rows)}"
    listed, more = _listed(rows)
    tail = f"…and {more} more: `/kpi` lists them all · " if more else ""
    hint = ("Owners log values with `/kpi log <key> <value>`; ops admins fix a source with `/kpi edit <key>`"
            if any(not r.computed for r in rows) else "Working agreements: `/prodops agreements` lists what broke them")
    return [section(head), *listed, context(f"{tail}{hint}")]


MINE = HomeCard("kpis", build_mine, shows_all="`/kpi`")
ATTENTION = HomeCard("kpis.attention", build_attention, managers_only=True, shows_all="`/kpi`")
