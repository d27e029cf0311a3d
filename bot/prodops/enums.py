"""Ids for /prodops and App Home blocks."""
from enum import StrEnum


class Command(StrEnum):
    PRODOPS = "/prodops"
