"""A command's help and how it is shown. Each feature keeps its own entry (`bot/<feature>/help.py`)
and names it in its `Feature` (bot/feature.py); `Runtime.commands` lists them."""
from __future__ import annotations

from dataclasses import dataclass

from bot.usertext import mrkdwn
from bot.blocks import Block, context, header, section


SECTION_CHARS = 2900  # of a section's 3,000, with room to spare


@dataclass(frozen=True)
class CommandHelp:
    command: str
    summary: str
    usage: tuple[tuple[str, str], ...]  # (example, what it does)


def help_blocks(commands: list[CommandHelp]) -> list[Block]:
    """Every listed command with its examples: `/prodops help`, and each command's own `help`."""
    blocks: list[Block] = [header("ProdOps Bot commands")]
    for cmd in commands:
        text = f"*{cmd.command}*: {cmd.summary}"
        for example, what in cmd.usage:  # a section holds 3,000 characters: a long list takes two
            line = f"• `{example}`: {what}"
            if len(text) + 1 + len(line) > SECTION_CHARS:
                blocks.append(section(text))
                text = line
            else:
                text += "\n" + line
        blocks.append(section(text))
    blocks.append(context("Every command also answers `help`, e.g. `/prodops help`."))
    return blocks


def help_text(commands: list[CommandHelp]) -> str:
    return "ProdOps Bot commands: " + ", ".join(c.command for c in commands)


def unknown_line(command: str, typed: str, typo: str | None) -> str:
    """The first line of the help an unknown subcommand gets: what was not understood, and the
    subcommand it is one edit from."""
    hint = f" Did you mean `{command} {typo}`?" if typo else ""
    return f"`{mrkdwn(typed, limit=80)}` is not a {command} command.{hint}"
