"""Typed errors that the single app.error handler turns into one short user-facing message."""
from __future__ import annotations


class UserError(Exception):
    """Bad input or a refused action: shown to the user as is, nothing is changed."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field  # modal block_id to attach the message to, for view submissions


class PermissionDenied(UserError):
    """The user's role does not allow the action; the message says why."""


class NotFound(UserError):
    """The thing named does not exist in this workspace (another workspace's ids included)."""
