"""Marker statistics: excess share of documents with a marker, and marker rates (Kobak et al. 2025).

Kobak et al. bound the share of LLM-processed abstracts from below by the *frequency gap* of the
event "the document contains at least one excess style word": if a share ``alpha`` of the batch is
machine text whose marker rate is ``m_S`` and human text has rate ``m_H``, the batch's rate is
``m_H + alpha (m_S - m_H)``, so the gap ``delta = m_B - m_H = alpha (m_S - m_H) <= alpha``. Machine
documents need not contain a marker, which is why it is a *lower* bound.

Here ``m_H`` is measured on the reference itself (so a domain naturally full of such words does not
trip the check) or, without a reference, predicted for each batch document from a pre-LLM English
word-frequency baseline: ``P(doc of L tokens has >= 1 marker) = 1 - (1 - f)^L`` with ``f`` the
summed per-token frequency of the markers.

References
----------
Kobak, D., Gonzalez-Marquez, R., Horvat, E.-A. and Lause, J. "Delving into LLM-assisted writing in
biomedical publications through excess vocabulary", Science Advances 11(27), 2025,
arXiv:2406.07016.
Newcombe, R. G. "Interval estimation for the difference between independent proportions",
Statistics in Medicine 17 (1998), method 10 (hybrid Wilson score).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..text import surface_counts as surface_counts  # where the profile builder counts them
from .distributions import beta_ppf, binom_pvalue, fisher_exact_greater, norm_sf

_Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class ExcessResult:
    """Gap between the batch's and the baseline's share of documents with a marker.

    Attributes
    ----------
    delta
        ``share_batch - share_baseline``: a lower bound on the machine share when positive.
    interval
        95% interval of ``delta``.
    p_value
        One-sided p-value for "the batch has more marker documents than the baseline".
    share_batch, share_baseline
        The two shares.
    n_batch, n_baseline
        Documents behind each share (``n_baseline`` is 0 for a model-based baseline).
    """

    delta: float
    interval: tuple[float, float]
    p_value: float
    share_batch: float
    share_baseline: float
    n_batch: int
    n_baseline: int


@dataclass(frozen=True, slots=True)
class RateResult:
    """A marker's rate per 1,000 tokens in the batch against the reference.

    Attributes
    ----------
    rate_batch, rate_reference
        Occurrences per 1,000 tokens.
    ratio
        ``rate_batch / rate_reference`` (``inf`` when the reference never shows the marker).
    p_value
        One-sided exact conditional test (batch share of all occurrences vs its token share).
    """

    rate_batch: float
    rate_reference: float
    ratio: float
    p_value: float


def wilson_interval(k: int, n: int, z: float = _Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion ``k / n``."""
    if n <= 0:
        return (0.0, 1.0)
    p = k / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (float(max(centre - half, 0.0)), float(min(centre + half, 1.0)))


def excess_share(k_batch: int, n_batch: int, k_ref: int, n_ref: int) -> ExcessResult:
    """Excess share of marker documents in the batch over the reference.

    Parameters
    ----------
    k_batch, n_batch
        Batch documents with at least one marker, and all batch documents.
    k_ref, n_ref
        The same for the reference.

    Returns
    -------
    ExcessResult
        ``delta`` with Newcombe's hybrid-score 95% interval and a one-sided Fisher exact p-value.
    """
    if n_batch <= 0 or n_ref <= 0:
        raise ValueError(f"need documents on both sides, got n_batch={n_batch}, n_ref={n_ref}")
    p1, p2 = k_batch / n_batch, k_ref / n_ref
    l1, u1 = wilson_interval(k_batch, n_batch)
    l2, u2 = wilson_interval(k_ref, n_ref)
    d = p1 - p2
    lo = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    table = [[k_batch, n_batch - k_batch], [k_ref, n_ref - k_ref]]
    p = fisher_exact_greater(table)
    return ExcessResult(float(d), (float(lo), float(hi)), p, p1, p2, n_batch, n_ref)


def excess_share_vs_model(has_marker: np.ndarray, expected: np.ndarray) -> ExcessResult:
    """Excess share of marker documents over per-document model probabilities.

    Parameters
    ----------
    has_marker
        Boolean per batch document.
    expected
        Probability under the baseline that each document contains a marker.

    Returns
    -------
    ExcessResult
        The count of marker documents is Poisson-binomial under the baseline; the p-value uses its
        normal approximation with continuity correction, the interval adds the batch's binomial
        (Wilson) uncertainty to the baseline's Poisson-binomial spread.
    """
    has = np.asarray(has_marker, dtype=bool)
    pi = np.clip(np.asarray(expected, dtype=float), 0.0, 1.0)
    n = has.size
    if n == 0:
        raise ValueError("need at least one batch document")
    k = int(has.sum())
    mu = float(pi.sum())
    var = float(np.sum(pi * (1 - pi)))
    sd = np.sqrt(var) if var > 0 else 1e-12
    p = float(norm_sf((k - 0.5 - mu) / sd))
    share, base = k / n, mu / n
    lo, hi = wilson_interval(k, n)
    half_base = _Z95 * np.sqrt(var) / n
    d = share - base
    return ExcessResult(
        float(d),
        (float(d - np.hypot(share - lo, half_base)), float(d + np.hypot(hi - share, half_base))),
        p,
        share,
        base,
        n,
        0,
    )


def length_matched_excess(
    has_b: np.ndarray, len_b: np.ndarray, has_r: np.ndarray, len_r: np.ndarray
) -> ExcessResult:
    """Excess share of batch documents with a marker over reference documents of the same lengths.

    Longer documents hold more markers by chance, so the reference rate is taken per length decile
    of the reference (``(k + 0.5) / (n + 1)`` per decile) and averaged with the batch's own length
    mix. The one-sided p-value is a continuity-corrected normal test of the batch count against
    that expectation, its variance carrying the reference rates' own sampling error; the interval
    combines the batch's Wilson interval with that error. With fewer than two distinct length
    deciles this is ``excess_share`` of the plain counts.

    Parameters
    ----------
    has_b, len_b
        Per batch document: whether it holds a marker, and its length in tokens.
    has_r, len_r
        The same for the reference documents.
    """
    edges = np.unique(np.quantile(len_r, np.linspace(0, 1, 11)))
    if edges.size < 3:
        return excess_share(int(has_b.sum()), has_b.size, int(has_r.sum()), has_r.size)
    bin_r = np.clip(np.searchsorted(edges, len_r, side="right") - 1, 0, edges.size - 2)
    bin_b = np.clip(np.searchsorted(edges, len_b, side="right") - 1, 0, edges.size - 2)
    k = np.bincount(bin_r, weights=has_r.astype(float), minlength=edges.size - 1)
    n = np.bincount(bin_r, minlength=edges.size - 1).astype(float)
    rate = (k + 0.5) / (n + 1.0)
    pi = rate[bin_b]
    counts_b = np.bincount(bin_b, minlength=edges.size - 1).astype(float)
    baseline_var = float(np.sum(counts_b**2 * rate * (1 - rate) / (n + 1.0)))
    res = excess_share_vs_model(has_b, pi)
    # carry the reference's own sampling error into the test and the interval
    var = float(np.sum(pi * (1 - pi))) + baseline_var
    k_b = int(has_b.sum())
    p = float(norm_sf((k_b - 0.5 - pi.sum()) / math.sqrt(max(var, 1e-12))))
    half = 1.959963984540054 * math.sqrt(var) / has_b.size
    lo_b, hi_b = wilson_interval(k_b, has_b.size)
    d = res.delta
    interval = (
        d - math.hypot(res.share_batch - lo_b, half),
        d + math.hypot(hi_b - res.share_batch, half),
    )
    return ExcessResult(d, interval, p, res.share_batch, res.share_baseline, has_b.size, has_r.size)


def expected_marker_probability(lengths: np.ndarray, marker_frequency: float) -> np.ndarray:
    """``1 - (1 - f)^L``: chance that a document of ``L`` tokens holds a marker.

    ``f`` is the markers' total per-token frequency.

    Assumes tokens are independent draws, which *over*-states the chance for bursty real text (a
    word repeated within one document counts once), so the excess it implies is conservative.
    """
    f = float(np.clip(marker_frequency, 0.0, 1.0))
    return -np.expm1(np.asarray(lengths, dtype=float) * np.log1p(-f)) if f < 1 else np.ones(np.shape(lengths))


def rate_excess(k_batch: int, t_batch: int, k_ref: int, t_ref: int) -> RateResult:
    """Compare a marker's occurrence rate per token in the batch with the reference.

    Conditional on ``k_batch + k_ref`` occurrences, the batch's count is
    ``Binomial(k_batch + k_ref, t_batch / (t_batch + t_ref))`` when both rates are equal (the exact
    conditional test for two Poisson rates, Przyborowski & Wilenski 1940).

    Parameters
    ----------
    k_batch, t_batch
        Marker occurrences and tokens (or characters) in the batch.
    k_ref, t_ref
        The same in the reference.
    """
    if t_batch <= 0 or t_ref <= 0:
        raise ValueError(f"need tokens on both sides, got t_batch={t_batch}, t_ref={t_ref}")
    rb = 1000.0 * k_batch / t_batch
    rr = 1000.0 * k_ref / t_ref
    total = k_batch + k_ref
    if total == 0:
        p = 1.0
    else:
        p = binom_pvalue(k_batch, total, t_batch / (t_batch + t_ref), "greater")
    ratio = rb / rr if rr > 0 else (float("inf") if rb > 0 else 1.0)
    return RateResult(rb, rr, float(ratio), p)


def rate_ratio_lower(k_batch: int, t_batch: int, k_ref: int, t_ref: int, confidence: float = 0.95) -> float:
    """One-sided lower confidence bound of the rate ratio ``(k_batch / t_batch) / (k_ref / t_ref)``.

    Conditional on ``k_batch + k_ref``, ``k_batch`` is binomial with ``pi = rho t_batch / (rho
    t_batch + t_ref)`` (as in :func:`rate_excess`); the Clopper-Pearson lower bound of ``pi`` maps
    to one of ``rho``. Used for shares of documents, it is conservative (a binomial count varies
    less than a Poisson one). 0 when the batch has no occurrence; infinite never (``pi < 1``).
    """
    if t_batch <= 0 or t_ref <= 0:
        raise ValueError(f"need tokens on both sides, got t_batch={t_batch}, t_ref={t_ref}")
    if k_batch <= 0:
        return 0.0
    pi = float(beta_ppf(1.0 - confidence, k_batch, k_ref + 1))
    return pi / (1.0 - pi) * t_ref / t_batch


def docs_containing(
    doc_index: np.ndarray, hashes: np.ndarray, markers: np.ndarray, n_docs: int
) -> np.ndarray:
    """Per-document count of marker occurrences.

    Parameters
    ----------
    doc_index, hashes
        Document of each token (or n-gram) and its hash.
    markers
        Hashes to look for.
    n_docs
        Number of documents.
    """
    markers = np.unique(np.asarray(markers, dtype=np.uint64))
    hashes = np.asarray(hashes, dtype=np.uint64)
    if markers.size == 0 or hashes.size == 0:
        return np.zeros(n_docs, dtype=np.int64)
    # A binary search in the short sorted marker list: np.isin makes one pass per marker when the
    # list is short (0.7 s on 3.5 million tokens against 0.13 s).
    pos = np.searchsorted(markers, hashes)
    pos[pos >= markers.size] = 0
    hit = markers[pos] == hashes
    return np.bincount(np.asarray(doc_index)[hit], minlength=n_docs).astype(np.int64)
