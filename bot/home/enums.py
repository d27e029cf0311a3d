"""Action ids of the App Home's own buttons (the cards' buttons are their features')."""
from __future__ import annotations

from enum import StrEnum


class HomeAction(StrEnum):
    FILE_FEEDBACK = "home.file_feedback"  # opens the feedback form
    NEW_LAUNCH = "home.new_launch"  # opens the new-launch form
