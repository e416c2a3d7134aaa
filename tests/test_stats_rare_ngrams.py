"""Rare n-gram flags and token-budgeted draws of whole documents, on hand-made hashed tokens."""

from __future__ import annotations

import math

import numpy as np

from collapse_guard.stats.rare_ngrams import RareDraw, rare_in_token_budget, rare_ngram_flags

# Documents [1, 2, 3], [1, 1], [4] as token hashes; in the rarity sample token 2 is rare, 1 and 3
# are not, and 4 was never seen (so it counts as rare).
TOKENS = np.array([1, 2, 3, 1, 1, 4], dtype=np.uint64)
OFFSETS = np.array([0, 3, 5, 6], dtype=np.int64)
LENGTHS = np.diff(OFFSETS)
KEYS = np.array([1, 2, 3], dtype=np.uint64)
RARE_KEY = np.array([False, True, False])


def test_rare_ngram_flags_marks_rare_and_unseen_tokens() -> None:
    grams, doc, is_rare = rare_ngram_flags(TOKENS, OFFSETS, 1, KEYS, RARE_KEY)
    assert grams.tolist() == [1, 2, 3, 1, 1, 4]
    assert doc.tolist() == [0, 0, 0, 1, 1, 2]
    assert is_rare.tolist() == [False, True, False, False, False, True]


def test_rare_in_token_budget_keeps_the_last_document_whole() -> None:
    flags = rare_ngram_flags(TOKENS, OFFSETS, 1, KEYS, RARE_KEY)
    order = np.array([2, 0, 1])
    # cumulative lengths in this order: 1, 4, 6; a budget of 3 takes documents 2 and 0 (4 tokens)
    assert rare_in_token_budget(flags, LENGTHS, order, 3) == RareDraw(0.5, 2)
    assert rare_in_token_budget(flags, LENGTHS, order, 1) == RareDraw(1.0, 1)
    assert rare_in_token_budget(flags, LENGTHS, np.array([1, 0, 2]), 2) == RareDraw(0.0, 0)


def test_rare_in_token_budget_of_empty_documents_is_nan() -> None:
    offsets = np.array([0, 0], dtype=np.int64)
    flags = rare_ngram_flags(np.zeros(0, dtype=np.uint64), offsets, 1, KEYS, RARE_KEY)
    draw = rare_in_token_budget(flags, np.diff(offsets), np.array([0]), 5)
    assert math.isnan(draw.share) and draw.types == 0
