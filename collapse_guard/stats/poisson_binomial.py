"""The Poisson-binomial law: the number of successes among independent Bernoulli(``p_i``) trials.

Counts of categories absent from (or seen once in) a batch are such sums, with one trial per
reference category and as many as a categorical column has levels (up to 50,000). The tails are
exact to round-off at any size: a normal approximation there was anti-conservative for sparse
probabilities (p-values 15x to 17,000x too small at 50,000 categories), which fails honest batches.

How: the generating polynomial ``prod_i (1 - p_i + p_i x)`` is multiplied out by divide and
conquer (direct sums for short products, FFT for long ones), after tilting the law exponentially
so that its bulk sits at the count being tested; FFT round-off is relative to the largest term, so
the tilt keeps a tail's relative precision however small it is (the saddlepoint idea, made exact).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import fft as sp_fft
from scipy import special

__all__ = ["poisson_binomial_cdf", "poisson_binomial_pmf", "poisson_binomial_sf"]

# Partial products of the Poisson-binomial generating polynomials up to this many coefficients
# are multiplied directly (exact sums), longer ones by FFT.
DIRECT_CONVOLUTION_MAX = 16
# A possible event's tail that underflows is reported as the smallest positive double (an upper
# bound), never as 0.
SMALLEST_TAIL = math.ulp(0.0)
# The Chernoff bound added for the untruncated rest of a tail is kept below e^-27.6 = 1e-12 of it.
LOG_NEGLIGIBLE = math.log(1e-12)


def poisson_binomial_pmf(probs: np.ndarray) -> np.ndarray:
    """Exact law of a sum of independent Bernoulli(``probs``) variables (the classic recursion)."""
    p = np.asarray(probs, dtype=float)
    pmf = np.zeros(len(p) + 1)
    pmf[0] = 1.0
    for i, pi in enumerate(p.tolist()):
        # pmf[1:i+2] depends on the old pmf[0:i+1]; compute right-hand side before assigning.
        upd = pmf[: i + 1] * pi
        pmf[: i + 1] *= 1.0 - pi
        pmf[1 : i + 2] += upd
    return pmf


def _pruned(probs: np.ndarray) -> tuple[np.ndarray, int]:
    """Drop indicators that are surely 0, count those that are surely 1.

    Only exact 0s and 1s: an indicator with a tiny probability can still decide a tail (``k``
    beyond the other indicators), and the tilted product below keeps it at no cost.
    """
    p = np.asarray(probs, dtype=float)
    sure = int(np.sum(p >= 1.0))
    keep = p[(p > 0.0) & (p < 1.0)]
    return keep, sure


def _pair_direct(rows: np.ndarray, size: int) -> np.ndarray:
    """Multiply the polynomials (coefficient-major ``rows[i]`` = all ``x^i`` coefficients) in pairs.

    The first half times the second (the product does not care about order, and contiguous halves
    are several times faster than interleaved pairs); an odd one out is paired with 1. Direct sums
    of non-negative terms, so every coefficient keeps full relative precision.
    """
    d, c = rows.shape
    if c % 2:
        one = np.zeros((d, 1))
        one[0] = 1.0
        rows = np.hstack([rows, one])
    half = rows.shape[1] // 2
    a, b = rows[:, :half], rows[:, half:]
    out = np.zeros((min(2 * d - 1, size), half))
    for i in range(d):
        for j in range(min(d, size - i)):
            out[i + j] += a[i] * b[j]
    return out


def _pair_fft(polys: np.ndarray, size: int) -> np.ndarray:
    """Multiply the polynomials (``polys[k]`` = coefficients of polynomial ``k``) in pairs by FFT.

    Round-off is absolute, about 1e-16 of the largest coefficient, and can make a coefficient
    slightly negative; those are clipped, as no coefficient of a product of these is negative.
    """
    c, d = polys.shape
    if c % 2:
        one = np.zeros((1, d))
        one[0, 0] = 1.0
        polys = np.vstack([polys, one])
    half = polys.shape[0] // 2
    nfft = sp_fft.next_fast_len(2 * d - 1, real=True)
    spec = sp_fft.rfft(polys[:half], nfft, axis=1) * sp_fft.rfft(polys[half:], nfft, axis=1)
    out = sp_fft.irfft(spec, nfft, axis=1)[:, : min(2 * d - 1, size)]
    return np.maximum(out, 0.0)


def _product_pmf(lo: np.ndarray, hi: np.ndarray, size: int) -> np.ndarray:
    """Coefficients of ``x^0 .. x^(size-1)`` of ``prod_i (lo_i + hi_i x)``.

    Divide and conquer, O(m log^2 m). Truncating every partial product at ``size`` terms is exact
    for the terms kept (a coefficient of degree ``j`` only involves factors' coefficients of
    degree ``<= j``), which makes short tails of many indicators cheap.
    """
    rows = np.stack([lo, hi])[:size]
    while rows.shape[1] > 1 and rows.shape[0] <= DIRECT_CONVOLUTION_MAX:
        rows = _pair_direct(rows, size)
    polys = np.ascontiguousarray(rows.T)
    while polys.shape[0] > 1:
        polys = _pair_fft(polys, size)
    return np.asarray(polys[0])


def _cumulant(logit: np.ndarray, theta: float) -> float:
    """``K(theta) = log E[exp(theta S)] = sum_i log(1 - p_i + p_i e^theta)``, in logits.

    ``log(1 - p + p e^t) = log(1 - p) + log(1 + e^(logit p + t))``, stable for any ``p`` and ``t``.
    """
    return float(np.sum(-np.logaddexp(0.0, logit) + np.logaddexp(0.0, logit + theta)))


def _saddlepoint(logit: np.ndarray, target: float) -> float:
    """The tilt ``theta`` whose tilted law ``p_i(theta) = expit(logit_i + theta)`` has mean ``target``.

    Any ``theta`` gives an exact tilt; it only needs the tilted law's bulk at ``target``, so a
    mean within 1/4 of it will do. Newton on the log of the mean (or, above half the indicators, of
    ``m`` minus the mean), which is linear in ``theta`` when every ``p_i`` is small (resp. close to
    1), so one or two steps usually suffice; bisection whenever a step leaves the bracket.
    """
    m = len(logit)
    upper = target > m / 2
    lo, hi = -math.inf, math.inf
    theta = 0.0
    for _ in range(200):
        s = special.expit(logit + theta)
        mean = float(s.sum())
        if abs(mean - target) <= 0.25:
            break
        if mean > target:
            hi = theta
        else:
            lo = theta
        var = float(np.sum(s * (1.0 - s)))
        # d log(mean) / d theta = var / mean; d log(m - mean) / d theta = -var / (m - mean).
        rest = max(m - mean if upper else mean, 1e-300)
        gap = math.log(m - target) - math.log(rest) if upper else math.log(target) - math.log(rest)
        step = theta + (-gap if upper else gap) * rest / var if var > 0 else math.nan
        if not lo < step < hi:  # NaN included
            step = _bisect(lo, hi)
        theta = step
    return theta


def _bisect(lo: float, hi: float) -> float:
    """Midpoint of a bracket; with one end open, a step away from the other doubling each time."""
    if math.isfinite(lo) and math.isfinite(hi):
        return 0.5 * (lo + hi)
    return hi - 1.0 - abs(hi) if math.isfinite(hi) else lo + 1.0 + abs(lo)


def _tilted_pmf(logit: np.ndarray, target: float, size: int) -> tuple[np.ndarray, float, float]:
    """The law of ``S`` exponentially tilted to mean ``target``, its first ``size`` terms.

    ``P(S = j) = P_theta(S = j) exp(K(theta) - theta j)``. Round-off in the product is relative to
    its largest term, which the tilt puts at ``target``: the tail starting there keeps full
    relative precision however small it is (the saddlepoint idea, made exact).

    Returns ``(pmf_theta[:size], theta, K(theta))``.
    """
    theta = _saddlepoint(logit, target)
    z = logit + theta
    lo, hi = special.expit(-z), special.expit(z)
    # lo + hi is 1 only to a rounding, the same one for equal probabilities: over 10^5 factors
    # the product would drift by ~1e-11. Dividing by the product of the rounded sums removes it
    # (the larger summand minus 1 is exact, so log1p sees the rounding itself).
    excess = np.where(lo >= hi, (lo - 1.0) + hi, (hi - 1.0) + lo)
    drift = float(np.sum(np.log1p(excess)))
    return _product_pmf(lo, hi, size), theta, _cumulant(logit, theta) - drift


def _log_sum(terms: np.ndarray) -> float:
    total = float(np.sum(terms))
    return math.log(total) if total > 0 else -math.inf


def _at_most(logit: np.ndarray, j: int) -> float:
    """``log P(S <= j)``, exact, for ``0 <= j < m`` below the mean: terms ``0..j`` only, tilted to ``j``.

    ``P(S <= j) = exp(K - theta j) sum_{i <= j} t_i e^(theta (j - i))``; ``theta <= 0`` there, so
    every weight is at most 1 and the terms near ``j``, the tilted bulk, dominate.
    """
    t, theta, cum = _tilted_pmf(logit, max(float(j), 0.5), j + 1)
    return cum - theta * j + _log_sum(t * np.exp(theta * (j - np.arange(j + 1))))


def _first_margin(k: int, m: int) -> float:
    """How far past ``k`` ``_at_least`` first sums: 40 sds of ``S`` under any tilt to ``k``."""
    return 40.0 * math.sqrt(min(k, m - k)) + 64.0


def _at_least(logit: np.ndarray, k: int) -> float:
    """``log`` of an upper bound on ``P(S >= k)``, exact to round-off, for ``1 <= k <= m`` above the mean.

    Tilted to ``k``, the terms ``k..D`` are summed and ``P(S > D)`` is bounded by Chernoff,
    ``exp(K(eta) - eta (D + 1))`` for any ``eta >= 0`` (``k``'s own tilt, or if that is too flat the
    one tilted to ``D + 1``, near the best), and added, so the result is never below the truth.
    ``D`` starts 40 sds above ``k`` (an sd of ``S`` under any tilt to ``k`` is at most
    ``sqrt(min(k, m - k))``), where the bound is ~e^-800 of the tail, and grows if it is not
    below 1e-12 of it.
    """
    m = len(logit)
    margin = _first_margin(k, m)
    while True:
        top = min(m, k + math.ceil(margin))
        t, theta, cum = _tilted_pmf(logit, min(float(k), m - 0.5), top + 1)
        log_head = cum - theta * k + _log_sum(t[k:] * np.exp(-theta * np.arange(top + 1 - k)))
        if top == m:
            return log_head
        log_rest = cum - theta * (top + 1)
        if log_rest > log_head + LOG_NEGLIGIBLE:
            eta = _saddlepoint(logit, top + 1.0)
            log_rest = _cumulant(logit, eta) - eta * (top + 1)
        if log_rest <= log_head + LOG_NEGLIGIBLE:
            return float(np.logaddexp(log_head, log_rest))
        margin *= 2.0


def _at_least_k(logit: np.ndarray, k: int) -> float:
    """``P(S >= k)`` for ``S`` a sum of independent Bernoulli(``expit(logit)``), all in (0, 1).

    Exact to round-off, with its relative precision however small the tail. Up to the mean it is 1
    minus the lower tail (at least about 1/2 there, so nothing is lost); beyond it, the tail is
    computed on ``S`` or as ``P(m - S <= m - k)`` (negated logits), whichever needs fewer terms.
    """
    m = len(logit)
    if k <= 0:
        return 1.0
    if k > m:
        return 0.0
    if k <= float(np.sum(special.expit(logit))):
        return max(0.0, 1.0 - _at_least_k(-logit, m - k + 1))  # P(S <= k - 1) = P(m - S >= m - k + 1)
    log_p = _at_most(-logit, m - k) if m - k < k + _first_margin(k, m) else _at_least(logit, k)
    # A possible event is never reported impossible, even when its probability underflows.
    return min(1.0, max(math.exp(log_p), SMALLEST_TAIL))


def _logits(probs: np.ndarray) -> tuple[np.ndarray, int]:
    """Logits of the indicators that are not sure, and the number that are surely 1."""
    keep, sure = _pruned(probs)
    return np.log(keep) - np.log1p(-keep), sure


def poisson_binomial_sf(probs: np.ndarray, k: int) -> float:
    """``P(M >= k)`` for ``M`` a sum of independent Bernoulli(``probs``).

    Exact to round-off and relatively precise however small the tail, in O(m log^2 m) at most (a
    tilted generating-function product, ``_at_least_k``); 0 only when ``k`` exceeds the number of
    indicators with ``p > 0``.
    """
    logit, sure = _logits(probs)
    return _at_least_k(logit, int(k) - sure)


def poisson_binomial_cdf(probs: np.ndarray, k: int) -> float:
    """``P(M <= k)`` for ``M`` a sum of independent Bernoulli(``probs``); see ``poisson_binomial_sf``.

    ``P(M <= k) = P(m - M >= m - k)``, the same computation on the negated logits.
    """
    logit, sure = _logits(probs)
    return _at_least_k(-logit, len(logit) - (int(k) - sure))
