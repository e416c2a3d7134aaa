"""Interpolated Kneser-Ney n-gram language model on hashed tokens, with vectorised scoring.

The model is trained on the reference's hashed token sample and scores documents by their mean
per-token log-likelihood. n-grams are identified by 64-bit hashes (collisions are negligible at
the few million n-grams a profile holds), so the model never needs the raw text.

For order ``k`` and context ``h`` (the ``k - 1`` previous tokens)::

    P_k(w | h) = max(c_k(h w) - D_k, 0) / c_k(h) + D_k N1+(h .) / c_k(h) * P_{k-1}(w | h')

where ``h'`` drops the oldest token, ``c_K`` are raw counts at the highest order and ``c_k`` for
``k < K`` are continuation counts ``N1+(. h w)`` (the number of distinct tokens seen before the
n-gram). Unknown contexts back off entirely to the lower order. The unigram level is interpolated
with a uniform distribution over the vocabulary plus one unknown-word slot. Discounts follow Ney,
Essen & Kneser (1994): ``D = n1 / (n1 + 2 n2)`` from the counts-of-counts of each order.

References
----------
Kneser, R. and Ney, H. "Improved backing-off for M-gram language modeling", ICASSP 1995.
Chen, S. F. and Goodman, J. "An empirical study of smoothing techniques for language modeling",
Computer Speech & Language 13 (1999), eq. (15)-(17) for the interpolated form used here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_BOS = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Combine two uint64 hash arrays (splitmix64 finaliser of ``a * odd + b``)."""
    with np.errstate(over="ignore"):
        x = a * _M2 + b
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
        return x ^ (x >> np.uint64(31))


def _histories(tokens: np.ndarray, offsets: np.ndarray, order: int) -> list[np.ndarray]:
    """``hist[j][i]`` = hash of the ``j`` tokens before position ``i`` (BOS-padded), j < order."""
    n = tokens.size
    lengths = np.diff(offsets)
    pos_in_doc = np.arange(n, dtype=np.int64) - np.repeat(offsets[:-1], lengths)
    hist = [np.zeros(n, dtype=np.uint64)]
    for j in range(1, order):
        prev = np.empty(n, dtype=np.uint64)
        if n:
            # token j places back, or BOS when the position is within the first j of its document
            src = np.arange(n, dtype=np.int64) - j
            inside = pos_in_doc >= j
            prev[inside] = tokens[src[inside]]
            prev[~inside] = _BOS
        # hist[j] extends hist[j-1] with one older token: h_j(i) = mix(h_{j-1}(i), t_{i-j})
        hist.append(_mix(hist[j - 1] + np.uint64(j), prev))
    return hist


@dataclass(frozen=True, slots=True)
class _Level:
    keys: np.ndarray  # sorted n-gram hashes
    counts: np.ndarray  # float64 counts (raw at top order, continuation below)
    ctx_keys: np.ndarray  # sorted context hashes
    ctx_total: np.ndarray  # sum of counts over words following the context
    ctx_types: np.ndarray  # number of distinct words following the context
    discount: float


@dataclass(frozen=True, slots=True)
class KneserNeyLM:
    """A trained interpolated Kneser-Ney model; see the module docstring.

    Attributes
    ----------
    order
        n-gram order (3 = trigram).
    levels
        One table per order, from unigrams (index 0) to the highest order.
    vocab_size
        Distinct training tokens plus one unknown-word slot.
    n_tokens, n_docs
        Training size.
    """

    order: int
    levels: tuple[_Level, ...]
    vocab_size: int
    n_tokens: int
    n_docs: int

    def token_logprobs(self, tokens: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """Natural-log probability of every token given its BOS-padded history."""
        tokens = np.asarray(tokens, dtype=np.uint64)
        offsets = np.asarray(offsets, dtype=np.int64)
        hist = _histories(tokens, offsets, self.order)
        uni = self.levels[0]
        c1 = _lookup(uni.keys, uni.counts, _mix(hist[0], tokens))
        total1 = float(uni.ctx_total[0]) if uni.ctx_total.size else 0.0
        types1 = float(uni.ctx_types[0]) if uni.ctx_types.size else 0.0
        if total1 > 0:
            prob = (
                np.maximum(c1 - uni.discount, 0.0) / total1
                + (uni.discount * types1 / total1) / self.vocab_size
            )
        else:
            prob = np.full(tokens.size, 1.0 / self.vocab_size)
        for k in range(1, self.order):
            lev = self.levels[k]
            ck = _lookup(lev.keys, lev.counts, _mix(hist[k], tokens))
            tot, typ = _lookup2(lev.ctx_keys, lev.ctx_total, lev.ctx_types, hist[k])
            seen = tot > 0
            safe = np.where(seen, tot, 1.0)
            interp = np.maximum(ck - lev.discount, 0.0) / safe + lev.discount * typ / safe * prob
            prob = np.where(seen, interp, prob)
        return np.log(prob)

    def doc_scores(self, tokens: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """Mean per-token log-likelihood of every document (NaN for an empty document)."""
        offsets = np.asarray(offsets, dtype=np.int64)
        lp = self.token_logprobs(tokens, offsets)
        lengths = np.diff(offsets)
        doc_of = np.repeat(np.arange(lengths.size), lengths)
        sums = np.bincount(doc_of, weights=lp, minlength=lengths.size)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(lengths > 0, sums / np.maximum(lengths, 1), np.nan)


def _positions(keys: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``searchsorted`` in query order; large queries are sorted first (3x faster: cache)."""
    if query.size < 100_000:
        return np.searchsorted(keys, query)
    order = np.argsort(query)
    pos = np.empty(query.size, dtype=np.int64)
    pos[order] = np.searchsorted(keys, query[order])
    return pos


def _lookup(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    if keys.size == 0:
        return np.zeros(query.size)
    pos = _positions(keys, query)
    pos[pos >= keys.size] = 0
    return np.where(keys[pos] == query, values[pos], 0.0)


def _lookup2(
    keys: np.ndarray, a: np.ndarray, b: np.ndarray, query: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Two value arrays that share one key array: one search instead of two."""
    if keys.size == 0:
        return np.zeros(query.size), np.zeros(query.size)
    pos = _positions(keys, query)
    pos[pos >= keys.size] = 0
    hit = keys[pos] == query
    return np.where(hit, a[pos], 0.0), np.where(hit, b[pos], 0.0)


def _discount(counts: np.ndarray) -> float:
    n1 = float(np.sum(counts == 1))
    n2 = float(np.sum(counts == 2))
    if n1 + 2 * n2 == 0:
        return 0.5
    return float(min(max(n1 / (n1 + 2.0 * n2), 0.05), 0.95))


def _level(ngram: np.ndarray, ctx: np.ndarray, counts: np.ndarray) -> _Level:
    """Build one order's table from distinct n-gram keys, their context keys and their counts."""
    order = np.argsort(ngram)
    ngram, ctx, counts = ngram[order], ctx[order], counts[order].astype(float)
    ctx_keys, inv = np.unique(ctx, return_inverse=True)
    ctx_total = np.bincount(inv, weights=counts, minlength=ctx_keys.size)
    ctx_types = np.bincount(inv, minlength=ctx_keys.size).astype(float)
    return _Level(ngram, counts, ctx_keys, ctx_total, ctx_types, _discount(counts))


def train_kneser_ney(tokens: np.ndarray, offsets: np.ndarray, order: int = 3) -> KneserNeyLM:
    """Train an interpolated Kneser-Ney model on hashed documents.

    Parameters
    ----------
    tokens
        ``uint64`` token hashes of all training documents concatenated.
    offsets
        ``n_docs + 1`` document boundaries into ``tokens``.
    order
        Highest n-gram order, at least 1.

    Returns
    -------
    KneserNeyLM

    Notes
    -----
    Everything is sorting and ``np.unique`` on hash arrays: about 1-2 s per million tokens at
    order 3.
    """
    if order < 1:
        raise ValueError(f"order must be at least 1, got {order!r}")
    tokens = np.asarray(tokens, dtype=np.uint64)
    offsets = np.asarray(offsets, dtype=np.int64)
    hist = _histories(tokens, offsets, order + 1)
    # full[k] = hash of the (k+1)-gram ending at each position
    full = [_mix(hist[k], tokens) for k in range(order + 1)]
    levels: list[_Level] = []
    for k in range(order):
        if k == order - 1:
            keys, first, counts = np.unique(full[k], return_index=True, return_counts=True)
        else:
            # continuation count: distinct longer n-grams (one more token of history) per n-gram
            _, first_long = np.unique(full[k + 1], return_index=True)
            keys, first, counts = np.unique(full[k][first_long], return_index=True, return_counts=True)
            first = first_long[first]
        levels.append(_level(keys, hist[k][first], counts))
    vocab = int(np.unique(tokens).size) + 1
    return KneserNeyLM(
        order=order,
        levels=tuple(levels),
        vocab_size=vocab,
        n_tokens=int(tokens.size),
        n_docs=int(offsets.size - 1),
    )
