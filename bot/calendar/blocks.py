"""Block Kit for `/prodops hours|away|holidays`: pure functions from the service's views to blocks.

Notes and holiday names are stored user text: they leave through `usertext.mrkdwn` (never a
ping; a mention stays a mention only because these answers are ephemeral)."""
from __future__ import annotations

from datetime import date

from bot.blocks import Block, context, section
from bot.calendar.holidays import country_name
from bot.calendar.hours import WorkingHours
from bot.calendar.service import AwayLine, AwayOverview, HolidayListing, HoursView
from bot.text import SECTION_TEXT_MAX, user_mention
from bot.usertext import mrkdwn

NOTE_SHOWN = 120  # characters of a note in a list line
NAME_SHOWN = 80


def country_text(code: str) -> str:
    name = country_name(code)
    return f"{name} ({code})" if name != code else code


def span_text(first: date, last: date) -> str:
    """`2026-12-24`, or `2026-12-20 – 2027-01-03 (15 days)`."""
    if first == last:
        return first.isoformat()
    return f"{first.isoformat()} – {last.isoformat()} ({(last - first).days + 1} days)"


def _sections(title: str, lines: list[str]) -> list[Block]:
    """Lines packed into as few sections as the section limit allows, the title on the first."""
    blocks: list[Block] = []
    text = title
    for line in lines:
        if len(text) + 1 + len(line) > SECTION_TEXT_MAX:
            blocks.append(section(text))
            text = line
        else:
            text = f"{text}\n{line}" if text else line
    blocks.append(section(text))
    return blocks


# -- hours -------------------------------------------------------------------------------------
def hours_blocks(view: HoursView, *, mine: bool) -> list[Block]:
    who = "Your" if mine else f"{user_mention(view.user_id)}'s"
    source = "their own" if view.own and not mine else "your own" if view.own else "the workspace default"
    zone = "from Slack" if view.zone_own else "the workspace's; Slack has not told me one yet"
    lines = [f"*{who} working hours:* {view.hours.describe()} ({source})",
             f"*Time zone:* {view.zone} ({zone})"]
    if view.country:
        lines.append(f"*Public holidays:* {country_text(view.country)}"
                     f" ({'set for ' + ('you' if mine else 'them') if view.country_own else 'the workspace preset'})")
    hint = ("Change them with `/prodops hours 08:30-17:00 mon-thu`; `/prodops hours reset` goes back to the "
            "workspace default." if mine
            else "Ops admins change them with `/prodops hours @person 10:00-19:00 mon-fri`.")
    return [section("\n".join(lines)), context(hint)]


def default_hours_blocks(hours: WorkingHours, timezone: str) -> list[Block]:
    return [section(f"*Workspace default working hours:* {hours.describe()}, in each person's own time zone "
                    f"(the workspace's, {timezone}, for anyone Slack gives none)."),
            context("Ops admins change them with `/prodops hours default 09:00-18:00 mon-fri`.")]


# -- away --------------------------------------------------------------------------------------
def away_line(line: AwayLine, today: date, *, who: bool) -> str:
    now = " *(away now)*" if line.current(today) else ""
    note = f" · {mrkdwn(line.note, limit=NOTE_SHOWN)}" if line.note else ""
    person = f"{user_mention(line.user_id)} " if who else ""
    return f"• {person}{span_text(line.first, line.last)}{now}{note}"


def away_blocks(overview: AwayOverview) -> list[Block]:
    mine = [away_line(a, overview.my_today, who=False) for a in overview.mine]
    blocks = _sections("*Your away periods*",
                       mine or ["None coming up. Add one with `/prodops away 2026-12-20 2027-01-03`."])
    everyone = [away_line(a, overview.today, who=True) for a in overview.everyone]
    more = overview.everyone_total - len(overview.everyone)
    if more > 0:
        everyone.append(f"…and {more} more")
    blocks += _sections("*Everyone away now or soon*", everyone or ["Nobody."])
    blocks.append(context("Dates are each person's local dates, both included. Nobody is prompted or nudged "
                          "while away. `/prodops away off` ends yours."))
    return blocks


# -- holidays ----------------------------------------------------------------------------------
def holidays_blocks(listing: HolidayListing) -> list[Block]:
    own = [f"• {d.isoformat()} ({d.strftime('%a')}){' ' + mrkdwn(n, limit=NAME_SHOWN) if n else ''}"
           for d, n in listing.workspace]
    if listing.workspace_more > 0:
        own.append(f"…and {listing.workspace_more} more")
    blocks = _sections("*Workspace holidays*", own or [
        "None from today on. Ops admins add one with `/prodops holidays add 2026-12-25 Christmas`."])
    if listing.country:
        presets = [f"• {d.isoformat()} ({d.strftime('%a')}) {mrkdwn(n, limit=NAME_SHOWN)}" for d, n in listing.presets]
        title = f"*Public holidays of {country_text(listing.country)}* (the workspace preset), next {len(presets)}"
        blocks += _sections(title, presets or ["None ahead."])
    else:
        blocks.append(section("*Public holidays:* no country preset. Ops admins set one with "
                              "`/prodops holidays country DE`."))
    notes = [f"From {listing.today.isoformat()} ({listing.timezone}). Workspace holidays are everyone's days off; "
             "the country preset applies to everyone who has not set a country of their own."]
    if listing.my_country:
        notes.append(f"Yours: {country_text(listing.my_country)}.")
    blocks.append(context(*notes))
    return blocks
