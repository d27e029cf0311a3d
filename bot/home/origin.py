"""Which modals were opened from someone's App Home, so submitting one re-draws it.

A view_submission does not say where its modal was opened from, and each feature owns its
modal's private_metadata (a pydantic model it parses strictly). So the mark travels in the
view's `external_id`, a field Slack keeps for the app's own use, echoes in the submission and
that no feature sets: `home.<random>` (Slack wants it unique per workspace). Ctx.open_modal
marks the modals a click on the home tab opens; handlers/home.py re-draws on their submission.
"""
from __future__ import annotations

import uuid
from typing import Any

PREFIX = "home."


def clicked_on_home(body: dict[str, Any]) -> bool:
    """A button or menu on someone's App Home tab (Slack sends the home view with the click)."""
    view = body.get("view")
    return body.get("type") == "block_actions" and isinstance(view, dict) and view.get("type") == "home"


def marked(view: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """`view` as opened by this request: marked when the request is a click on the home tab
    (a modal that already has an external_id is left as it is)."""
    if not clicked_on_home(body) or view.get("external_id"):
        return view
    return {**view, "external_id": PREFIX + uuid.uuid4().hex}


def from_home(body: dict[str, Any]) -> bool:
    """A submitted modal that a click on the home tab opened."""
    view = body.get("view")
    return body.get("type") == "view_submission" and isinstance(view, dict) \
        and str(view.get("external_id") or "").startswith(PREFIX)
