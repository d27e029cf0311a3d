"""The shapes of Slack's payloads that the bot relies on, checked once at the ingress.

A signed body that parses but is not shaped as Slack sends it (an `event` that is a string,
a view without state, a command without a user) is answered 400 here, instead of failing
deep inside a listener with a traceback. Only the fields the bot reads are described; Slack
adds fields over time, so everything else is allowed through untouched.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Id(_Shape):
    id: str


class _Authorization(_Shape):
    """Slack Connect and org-wide installs: whose install this event arrived through."""

    team_id: str | None = None
    user_id: str | None = None
    enterprise_id: str | None = None


class _Event(_Shape):
    type: str  # what selects the event's own shape in EVENT_SHAPES


class _ReactionItem(_Shape):
    """What was reacted to: a message (channel and ts), or a file the bot ignores."""

    type: str
    channel: str | None = None
    ts: str | None = None


class _ReactionEvent(_Event):
    user: str
    reaction: str
    item: _ReactionItem
    item_user: str | None = None


class _UserEvent(_Event):
    user: str | dict[str, Any]


class _MemberJoinedEvent(_Event):
    user: str
    channel: str


EVENT_SHAPES: dict[str, type[_Event]] = {
    "member_joined_channel": _MemberJoinedEvent,
    "reaction_added": _ReactionEvent,
    "reaction_removed": _ReactionEvent,
    "app_home_opened": _UserEvent,
    "user_change": _UserEvent,
}


class _EventCallback(_Shape):
    type: str
    event_id: str
    team_id: str | None = None
    enterprise_id: str | None = None
    event: _Event
    authorizations: list[_Authorization] | None = None


class _Command(_Shape):
    command: str
    text: str = ""
    user_id: str
    team_id: str
    channel_id: str
    trigger_id: str
    response_url: str = ""


class _ViewState(_Shape):
    values: dict[str, dict[str, dict[str, Any]]]


class _View(_Shape):
    id: str
    callback_id: str = ""
    private_metadata: str = ""
    state: _ViewState


class _Interaction(_Shape):
    """Every interaction names who acted; `team` is null for org-wide installs."""

    type: str
    user: _Id
    team: _Id | None = None
    trigger_id: str | None = None
    response_url: str | None = None


class _ViewInteraction(_Interaction):
    view: _View


class _BlockActions(_Interaction):
    actions: list[dict[str, Any]] = []


INTERACTION_SHAPES: dict[str, type[_Interaction]] = {
    "view_submission": _ViewInteraction,
    "view_closed": _Interaction,
    "block_actions": _BlockActions,
    "message_action": _Interaction,
    "shortcut": _Interaction,
    "block_suggestion": _Interaction,
}


def problem(body: dict[str, Any]) -> str | None:
    """Why `body` is not one of Slack's payloads (a short reason, no content), or None.

    Types the bot does not know (`app_rate_limited`, legacy interactions) pass: Bolt acks or
    answers 404 for them as it should."""
    try:
        if "command" in body:
            _Command.model_validate(body)
        elif body.get("type") == "event_callback":
            envelope = _EventCallback.model_validate(body)
            shape = EVENT_SHAPES.get(envelope.event.type)
            if shape is not None:
                shape.model_validate(body["event"])
        elif body.get("type") in INTERACTION_SHAPES:
            INTERACTION_SHAPES[body["type"]].model_validate(body)
        elif body.get("type") == "url_verification":
            if not isinstance(body.get("challenge"), str):
                return "url_verification without a challenge"
    except ValidationError as exc:
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return None
