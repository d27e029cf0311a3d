"""Telling a mistyped word from what was meant: one edit away (`lsit` for `list`), as every
command's "did you mean" and the feedback typo question decide it."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

Edit = Literal["insert", "delete", "substitute", "transpose"]


def one_edit(typed: str, word: str) -> Edit | None:
    """The one Damerau-Levenshtein edit (an extra, a missing, a wrong or two swapped neighbouring
    letters) that turns `word` into `typed`; None when they are equal or further apart."""
    if typed == word or abs(len(typed) - len(word)) > 1:
        return None
    if len(typed) != len(word):
        longer, shorter = (typed, word) if len(typed) > len(word) else (word, typed)
        i = next((k for k in range(len(shorter)) if longer[k] != shorter[k]), len(shorter))
        if longer[i + 1:] != shorter[i:]:
            return None
        return "insert" if longer is typed else "delete"
    diff = [k for k in range(len(word)) if typed[k] != word[k]]
    if len(diff) == 1:
        return "substitute"
    if len(diff) == 2 and diff[1] == diff[0] + 1 and typed[diff[0]] == word[diff[1]] and typed[diff[1]] == word[diff[0]]:
        return "transpose"
    return None


def did_you_mean(typed: str, words: Iterable[str]) -> str | None:
    """The word `typed` is one edit from, when it is a word at all."""
    folded = typed.lower()
    if not folded.isalpha():
        return None
    return next((w for w in words if one_edit(folded, w) is not None), None)
