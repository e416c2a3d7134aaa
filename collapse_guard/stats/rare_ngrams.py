"""Rare words and word pairs of hashed-token documents, in whole documents up to a token budget.

Rarity is decided elsewhere (tail-shrinkage: at most ``rare_max_count`` occurrences in one half of
the reference's document sample); these functions flag each n-gram of a sample as rare or not and
measure the rare share and the distinct rare n-grams in whole documents taken in a given order up
to a token budget, so that a batch and the reference draws of its null are cut alike. See
docs/checks/tail-shrinkage.md, "Text columns".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..text import ngram_hashes

__all__ = ["RareDraw", "RareFlags", "rare_in_token_budget", "rare_ngram_flags"]

#: ``(n-gram hashes, document index of each, whether each is rare)``, as ``rare_ngram_flags`` gives.
RareFlags = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True, slots=True)
class RareDraw:
    """Rare n-grams in one token-budgeted draw of documents.

    Attributes
    ----------
    share
        Rare n-grams over all n-grams of the chosen documents (NaN when they hold none).
    types
        Distinct rare n-grams among them.
    """

    share: float
    types: int


def rare_ngram_flags(
    tokens: np.ndarray, offsets: np.ndarray, n: int, keys: np.ndarray, rare_key: np.ndarray
) -> RareFlags:
    """n-gram hashes of documents, their document, and whether each is rare.

    ``keys`` are the sorted distinct n-gram hashes of the sample that defines rarity and
    ``rare_key`` whether each is rare there; an n-gram absent from ``keys`` counts as rare, like a
    count of zero. ``tokens``/``offsets`` are the hashed-token layout of ``collapse_guard.text``.
    """
    grams, doc = ngram_hashes(tokens, offsets, n)
    if len(grams) == 0:
        return grams, doc, np.zeros(0, dtype=bool)
    at = np.minimum(np.searchsorted(keys, grams), len(keys) - 1)
    known = keys[at] == grams
    # Unseen in the rarity sample counts as rare, like a count of zero.
    return grams, doc, np.where(known, rare_key[at], True)


def rare_in_token_budget(flags: RareFlags, lengths: np.ndarray, order: np.ndarray, budget: int) -> RareDraw:
    """Rare share and distinct rare n-grams in whole documents taken in ``order`` up to ``budget``
    tokens.

    Documents are taken until their cumulative length reaches ``budget``; the last one is kept
    whole, so a batch and the null draws are cut alike. ``lengths`` are the documents' token
    counts and ``flags`` come from ``rare_ngram_flags`` on the same documents.
    """
    grams, doc, is_rare = flags
    keep = int(np.searchsorted(np.cumsum(lengths[order]), budget, side="left")) + 1
    chosen = np.zeros(len(lengths), dtype=bool)
    chosen[order[:keep]] = True
    sel = chosen[doc]
    total = int(sel.sum())
    if total == 0:
        return RareDraw(math.nan, 0)
    hit = is_rare & sel
    return RareDraw(float(hit.sum()) / total, len(np.unique(grams[hit])))
