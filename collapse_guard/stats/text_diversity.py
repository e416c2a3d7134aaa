"""Lexical diversity of hashed-token documents: distinct-n, compression ratio, self-repetition.

Documents are given as the project's hashed-token layout: ``tokens`` (uint64 token hashes,
concatenated) and ``offsets`` (int64, ``n_docs + 1``; document ``i`` is
``tokens[offsets[i]:offsets[i + 1]]``). No raw text is needed, so the reference side can be computed
from what a reference profile stores.

Every statistic here depends on sample size (hence Guo et al. 2024 measure unique-n on a fixed-size
sample; docs/checks/diversity-loss.md, "Text columns"), so compare values only at a
matched token count (``take_tokens``) or document count.

References
----------
Li, J., Galley, M., Brockett, C., Gao, J. & Dolan, B. (2016). A diversity-promoting objective
function for neural conversation models. NAACL (distinct-n).
Guo, Y., Shang, G., Vazirgiannis, M. & Clavel, C. (2024). The curious decline of linguistic
diversity: training language models on synthetic text. Findings of NAACL (unique-n on a
fixed-size sample).
Shaib, C., Barrow, J., Sun, J., Siu, A. F., Wallace, B. C. & Nenkova, A. (2024). Standardizing the
measurement of text diversity: a tool and a comparative analysis of scores. arXiv:2403.00553
(compression ratio, self-repetition).
"""

from __future__ import annotations

import math
import zlib

import numpy as np

from ..hashing import mix
from ..text import doc_index
from .distributions import binom_sf


def validate_docs(tokens: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Check the hashed-token layout and return ``(tokens as uint64, offsets as int64)``."""
    tok = np.asarray(tokens)
    off = np.asarray(offsets, dtype=np.int64)
    if tok.ndim != 1 or off.ndim != 1 or len(off) < 1:
        raise ValueError("tokens and offsets must be 1-D and offsets must have n_docs + 1 entries")
    if off[0] != 0 or off[-1] != len(tok) or np.any(np.diff(off) < 0):
        raise ValueError("offsets must start at 0, be non-decreasing and end at len(tokens)")
    return tok.astype(np.uint64, copy=False), off


def take_docs(tokens: np.ndarray, offsets: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tokens and offsets of the selected documents, in the given order."""
    docs = np.asarray(docs, dtype=np.int64)
    starts = offsets[docs]
    lengths = offsets[docs + 1] - starts
    new_offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    if new_offsets[-1] == 0:
        return np.zeros(0, dtype=np.uint64), new_offsets
    index = np.repeat(starts - new_offsets[:-1], lengths) + np.arange(new_offsets[-1])
    return tokens[index], new_offsets


def take_tokens(
    tokens: np.ndarray, offsets: np.ndarray, order: np.ndarray, n_tokens: int
) -> tuple[np.ndarray, np.ndarray]:
    """Exactly ``n_tokens`` tokens: whole documents in ``order``, the last one cut short.

    This is the matched-size sample on which distinct-n and compression are compared: both sides
    get the same number of tokens, drawn as whole documents so that n-grams never cross documents.
    """
    order = np.asarray(order, dtype=np.int64)
    lengths = offsets[order + 1] - offsets[order]
    cumulative = np.cumsum(lengths)
    if len(order) == 0 or cumulative[-1] < n_tokens:
        raise ValueError(f"the documents hold fewer than {n_tokens} tokens")
    last = int(np.searchsorted(cumulative, n_tokens, side="left"))
    sub_tokens, sub_offsets = take_docs(tokens, offsets, order[: last + 1])
    sub_offsets[-1] = n_tokens
    return sub_tokens[:n_tokens], sub_offsets


# Odd 64-bit multipliers, one per n-gram position (the SplitMix64 constants and primes).
_POSITION_KEYS = np.array(
    [
        0x9E3779B97F4A7C15,
        0xBF58476D1CE4E5B9,
        0x94D049BB133111EB,
        0xD6E8FEB86659FD93,
        0xA0761D6478BD642F,
        0xE7037ED1A0B428DB,
        0x8EBC6AF09C88C6E3,
        0x589965CC75374CC3,
    ],
    dtype=np.uint64,
)


def ngram_hashes(tokens: np.ndarray, offsets: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of all word n-grams inside documents, with the document index of each.

    ``mix(sum_j key_j * token_{i+j})`` modulo 2**64: one multiply-add per position and one final
    mix, about 5x faster than chaining ``hashing.combine`` on large batches. n-grams never cross
    documents; ``n == 1`` returns the tokens. Supports ``1 <= n <= 8``.
    """
    if not 1 <= n <= len(_POSITION_KEYS):
        raise ValueError(f"n must be between 1 and {len(_POSITION_KEYS)}, got {n}")
    tok = np.asarray(tokens, dtype=np.uint64)
    docs = doc_index(np.asarray(offsets, dtype=np.int64))
    if n == 1:
        return tok, docs
    if len(tok) < n:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    count = len(tok) - n + 1
    valid = docs[:count] == docs[n - 1 :]
    with np.errstate(over="ignore"):
        h = tok[:count] * _POSITION_KEYS[0]
        for j in range(1, n):
            h += tok[j : j + count] * _POSITION_KEYS[j]
    return mix(h[valid], seed=n), docs[:count][valid]


def n_distinct(values: np.ndarray) -> int:
    """Number of distinct values (sort-based: numpy's hash-based ``unique`` is ~10x slower here)."""
    if len(values) == 0:
        return 0
    s = np.sort(values)
    return int(np.count_nonzero(s[1:] != s[:-1])) + 1


def distinct_n(tokens: np.ndarray, offsets: np.ndarray, n: int) -> float:
    """distinct-n: distinct n-grams divided by all n-grams (n-grams never cross documents).

    Returns NaN when there is no n-gram.
    """
    tok, off = validate_docs(tokens, offsets)
    hashes, _ = ngram_hashes(tok, off, n)
    if len(hashes) == 0:
        return float("nan")
    return float(n_distinct(hashes) / len(hashes))


def compression_ratio(tokens: np.ndarray, offsets: np.ndarray, level: int = 6) -> float:
    """Deflate (gzip) compression ratio of the token stream: raw bytes / compressed bytes.

    Each token is written as the low 32 bits of its hash, with a zero code between documents, so
    the stream is the same whether it comes from raw text (batch) or a hashed reference. Repeated
    words and phrases become repeated byte strings that deflate finds, as in Shaib et al.'s
    compression ratio on text; the absolute value differs from text gzip ratios, so compare it
    only with the same statistic at the same token count. Higher means more repetitive.
    """
    tok, off = validate_docs(tokens, offsets)
    if len(tok) == 0:
        return float("nan")
    codes = (tok & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    # A zero code marks each document start so that documents stay distinguishable.
    stream = np.insert(codes, off[:-1][np.diff(off) > 0], np.uint32(0))
    raw = stream.astype("<u4").tobytes()
    return len(raw) / len(zlib.compress(raw, level))


def self_repetition_scores(tokens: np.ndarray, offsets: np.ndarray, n: int = 4) -> np.ndarray:
    """Per-document self-repetition scores of Shaib et al. (2024) (see ``self_repetition``).

    Document ``i``'s score is ``log(1 + sum over its distinct n-grams of the number of other
    documents containing that n-gram)``; documents without an n-gram score 0.
    """
    tok, off = validate_docs(tokens, offsets)
    n_docs = len(off) - 1
    hashes, docs = ngram_hashes(tok, off, n)
    if n_docs == 0 or len(hashes) == 0:
        return np.zeros(n_docs, dtype=np.float64)
    # n-grams come in document order, so a stable sort by hash keeps each hash's documents in
    # order and repeated (n-gram, document) pairs adjacent: one sort instead of a lexsort.
    order = np.argsort(hashes, kind="stable")
    h, d = hashes[order], docs[order]
    first = np.ones(len(h), dtype=bool)
    first[1:] = (h[1:] != h[:-1]) | (d[1:] != d[:-1])
    h, d = h[first], d[first]
    # Document frequency of each distinct n-gram, broadcast back to its (n-gram, document) pairs.
    starts = np.flatnonzero(np.concatenate([[True], h[1:] != h[:-1]]))
    df = np.diff(np.concatenate([starts, [len(h)]]))
    others = np.repeat(df - 1, df).astype(np.float64)
    per_doc = np.bincount(d, weights=others, minlength=n_docs)
    return np.log1p(per_doc)


def self_repetition(tokens: np.ndarray, offsets: np.ndarray, n: int = 4) -> float:
    """Self-repetition score of Shaib et al. (2024): repetition of long n-grams across documents.

    For each document, sum over its distinct n-grams the number of *other* documents that contain
    that n-gram, and take ``log(1 + sum)``; the score is the mean over documents (documents without
    an n-gram count as 0, as in the reference implementation ``diversity.self_repetition_score``).
    Higher means more repetition. It grows with the number of documents, so compare at a matched
    document count.
    """
    scores = self_repetition_scores(tokens, offsets, n)
    if len(scores) == 0:
        return float("nan")
    return float(np.mean(scores))


def trimmed_mean_top(scores: np.ndarray, k: int) -> float:
    """Mean of ``scores`` without their ``k`` largest values (NaN when nothing is left)."""
    values = np.sort(np.asarray(scores, dtype=np.float64))
    keep = len(values) - max(int(k), 0)
    return float(np.mean(values[:keep])) if keep > 0 else float("nan")


def duplicate_growth_bound(n: int, m: int) -> float:
    """Largest ratio ``E[R_n] / E[R_m]`` of the expected numbers of duplicate documents (all but
    one per group of identical documents) among ``n`` and ``m`` documents drawn from one population.

    With text probabilities ``p_t``, ``E[R_n] = sum_t (n p_t - 1 + (1 - p_t)^n)``, whose increments
    ``a_k = sum_t p_t (1 - (1 - p_t)^k)`` (the chance that document ``k + 1`` copies an earlier one)
    are increasing and concave in ``k`` with ``a_0 = 0``. So ``E[R_n] / n`` never decreases and
    ``E[R_n] / (n (n - 1))`` never increases: going down, ``E[R_n] <= (n / m) E[R_m]`` (equality
    for saturated boilerplate); going up, ``E[R_n] <= n (n - 1) / (m (m - 1)) E[R_m]`` (equality
    for rare pairs). Whatever the population's duplicate structure, these bound the honest growth.
    """
    if n <= m:
        return n / max(m, 1)
    return n * (n - 1) / (m * (m - 1)) if m > 1 else math.inf


def excess_duplicates_p(dups_b: int, n_b: int, dups_r: int, n_r: int) -> float:
    """One-sided p-value for "a batch of ``n_b`` documents holds more duplicates (``dups_b``) than
    a population with the reference sample's ``dups_r`` duplicates among ``n_r`` allows".

    Duplicate counts are treated as Poisson with means ``mu_b <= c mu_r``, ``c`` the growth bound
    (``duplicate_growth_bound``); given the total ``T = dups_b + dups_r``, ``dups_b`` is then
    binomial with success probability at most ``c / (1 + c)`` (the conditional test of two Poisson
    rates, Przyborowski & Wilenski 1940). The reference's own sampling error is carried: with no
    duplicate among few reference documents, a large batch's duplicates are not evidence of
    anything unless they exceed what that small sample cannot rule out.
    """
    if dups_b <= 0:
        return 1.0
    c = duplicate_growth_bound(n_b, n_r)
    if not math.isfinite(c):
        return 1.0
    return float(binom_sf(dups_b - 1, dups_b + dups_r, c / (1.0 + c)))


def duplicates_upper_share(dups_r: int, n_r: int, n_b: int, level: float = 0.95) -> float:
    """Upper ``level`` confidence bound on the expected duplicate share of an honest batch of
    ``n_b`` documents, from ``dups_r`` duplicates among ``n_r`` reference documents (exact Poisson
    bound on the reference's mean count, scaled by ``duplicate_growth_bound``); at most 1."""
    from scipy.special import gammaincinv

    mu = float(gammaincinv(dups_r + 1.0, level))
    return float(min(1.0, mu * duplicate_growth_bound(n_b, n_r) / max(n_b, 1)))


def document_hashes(tokens: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """One order-sensitive 64-bit hash per document's token sequence (for exact duplicates).

    Empty documents all hash to the same value.
    """
    tok, off = validate_docs(tokens, offsets)
    n_docs = len(off) - 1
    if len(tok) == 0:
        return mix(np.zeros(n_docs, dtype=np.uint64))
    docs = doc_index(off)
    position = np.arange(len(tok), dtype=np.int64) - off[docs]
    keyed = mix(tok ^ mix(position.astype(np.uint64), seed=17))
    nonempty = np.diff(off) > 0
    sums = np.zeros(n_docs, dtype=np.uint64)
    with np.errstate(over="ignore"):
        # uint64 sums wrap modulo 2**64, which is what a hash wants.
        sums[nonempty] = np.add.reduceat(keyed, off[:-1][nonempty])
    return mix(sums ^ np.diff(off).astype(np.uint64))
