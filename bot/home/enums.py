"""Action and view ids of the App Home's own buttons and forms (the cards' buttons are their
features')."""
from __future__ import annotations

from enum import StrEnum


class HomeAction(StrEnum):
    FILE_FEEDBACK = "home.file_feedback"  # opens the feedback form
    NEW_LAUNCH = "home.new_launch"  # opens the new-launch form
    LOG_KPI = "home.log_kpi"  # opens the KPI log form; a KPI card row's button carries its key


class HomeView(StrEnum):
    KPI_LOG = "home.kpi_log"  # the KPI log form: what `/kpi log <key> <value> [date]` does
