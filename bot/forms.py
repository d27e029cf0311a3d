"""Modal fields and the one way to read a submitted view, shared by every feature.

Field builders return Block Kit elements (pure functions); `FormData` reads a view's state
once into typed values, turning typed text into the one representation of user text
(bot/usertext.py). `read_meta` parses private metadata and button values, which are small
pydantic models everywhere.
"""
from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot import usertext
from bot.blocks import option, plain
from bot.errors import UserError

M = TypeVar("M", bound=BaseModel)
STALE = "That button or form is out of date; run the command again."


def text_input(initial: str | None = None, *, multiline: bool = False, max_length: int = 255,
               names: dict[str, str] | None = None, placeholder: str | None = None) -> dict[str, Any]:
    """`initial` is stored user text; the field shows its characters (plain), never entities."""
    element: dict[str, Any] = {"type": "plain_text_input", "multiline": multiline, "max_length": max_length}
    if initial:
        element["initial_value"] = usertext.plain(initial, names=names)[:max_length]
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    return element


def users_select(initial: str | None = None, placeholder: str = "Pick a person") -> dict[str, Any]:
    element: dict[str, Any] = {"type": "users_select", "placeholder": plain(placeholder, 150)}
    if initial:
        element["initial_user"] = initial
    return element


def multi_users_select(initial: list[str] | None = None, placeholder: str = "Pick people") -> dict[str, Any]:
    element: dict[str, Any] = {"type": "multi_users_select", "placeholder": plain(placeholder, 150)}
    if initial:
        element["initial_users"] = list(initial)
    return element


def checkboxes(options: list[tuple[str, str]], initial: list[str] | None = None) -> dict[str, Any]:
    """`options` are (label, value) pairs (at most 10); `initial` the values checked."""
    element: dict[str, Any] = {"type": "checkboxes", "options": [option(label, value) for label, value in options]}
    chosen = [option(label, value) for label, value in options if value in (initial or [])]
    if chosen:
        element["initial_options"] = chosen
    return element


def radio_buttons(options: list[tuple[str, str]], initial: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "radio_buttons", "options": [option(label, value) for label, value in options]}
    chosen = next(((label, value) for label, value in options if value == initial), None)
    if chosen:
        element["initial_option"] = option(*chosen)
    return element


def time_picker(initial: str | None = None) -> dict[str, Any]:
    """`initial` as HH:MM."""
    element: dict[str, Any] = {"type": "timepicker"}
    if initial:
        element["initial_time"] = initial
    return element


def static_select(options: list[tuple[str, str]], initial: str | None = None,
                  placeholder: str = "Choose") -> dict[str, Any]:
    """`options` are (label, value) pairs; `initial` is a value."""
    element: dict[str, Any] = {"type": "static_select", "placeholder": plain(placeholder, 150),
                               "options": [option(label, value) for label, value in options]}
    chosen = next(((label, value) for label, value in options if value == initial), None)
    if chosen:
        element["initial_option"] = option(*chosen)
    return element


def date_picker(initial: date | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "datepicker"}
    if initial:
        element["initial_date"] = initial.isoformat()
    return element


def channel_select(initial: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "conversations_select", "filter": {"include": ["public", "private"]}}
    if initial:
        element["initial_conversation"] = initial
    return element


class FormData:
    """A submitted view's values, read by field id (block_id and action_id are the same)."""

    def __init__(self, view: dict[str, Any]) -> None:
        self._values: dict[str, Any] = (view.get("state") or {}).get("values") or {}

    def _element(self, field: str) -> dict[str, Any]:
        return (self._values.get(field) or {}).get(field) or {}

    def has(self, field: str) -> bool:
        """Whether the form shows the input at all (a modal may leave one out)."""
        return field in self._values

    def text(self, field: str, *, trim: bool = True) -> str | None:
        """Typed text, trimmed, in the one representation; None when empty. `trim=False` keeps
        the text whole (multi-line input whose errors name a line by its number)."""
        value = self._element(field).get("value")
        if not (isinstance(value, str) and value.strip()):
            return None
        return usertext.from_typed(value.strip() if trim else value)

    def choice(self, field: str) -> str | None:
        return (self._element(field).get("selected_option") or {}).get("value")

    def user(self, field: str) -> str | None:
        return self._element(field).get("selected_user")

    def channel(self, field: str) -> str | None:
        return self._element(field).get("selected_conversation")

    def date(self, field: str) -> str | None:
        return self._element(field).get("selected_date")

    def users(self, field: str) -> list[str]:
        return [str(u) for u in self._element(field).get("selected_users") or [] if u]

    def choices(self, field: str) -> list[str]:
        """The values of checked checkboxes (or a multi-select's options)."""
        return [str(o.get("value")) for o in self._element(field).get("selected_options") or [] if o.get("value")]

    def time(self, field: str) -> str | None:
        return self._element(field).get("selected_time")


def read_meta(model: type[M], raw: str | None, stale: str = STALE, field: str | None = None) -> M:
    """Private metadata or a button value as its model; a clear refusal when it is out of date."""
    try:
        return model.model_validate_json(raw or "{}")
    except ValidationError:
        raise UserError(stale, field=field) from None
