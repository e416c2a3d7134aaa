"""The few probability distributions the checks need, on ``scipy.special`` alone.

Why not ``scipy.stats``: importing it costs about 0.5 s and 60 MiB (it builds hundreds of
distribution objects and their docstrings), which is most of a ``check`` on a small batch and a
large share of the speed target on a big one. Every function here is tested against its
``scipy.stats`` counterpart (tests/test_distributions.py).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

ArrayLike = float | int | np.ndarray


def norm_cdf(z: ArrayLike) -> np.ndarray | float:
    """Standard normal ``P(Z <= z)``."""
    return special.ndtr(z)  # type: ignore[no-any-return]


def norm_sf(z: ArrayLike) -> np.ndarray | float:
    """Standard normal ``P(Z > z)``, accurate far into the upper tail."""
    return special.ndtr(-np.asarray(z, dtype=np.float64))  # type: ignore[no-any-return]


def norm_ppf(q: ArrayLike) -> np.ndarray | float:
    """Standard normal quantile."""
    return special.ndtri(q)  # type: ignore[no-any-return]


def binom_cdf(k: ArrayLike, n: ArrayLike, p: float) -> np.ndarray:
    """Binomial ``P(K <= k)``; 0 for ``k < 0`` and 1 for ``k >= n``."""
    k_arr = np.floor(np.asarray(k, dtype=np.float64))
    n_arr = np.asarray(n, dtype=np.int64)
    safe = np.clip(k_arr, 0, np.maximum(n_arr, 0))
    out = np.where(k_arr < 0, 0.0, np.where(k_arr >= n_arr, 1.0, special.bdtr(safe, n_arr, p)))
    return np.asarray(out, dtype=np.float64)


def binom_sf(k: ArrayLike, n: ArrayLike, p: float) -> np.ndarray:
    """Binomial ``P(K > k)``; 1 for ``k < 0`` and 0 for ``k >= n``."""
    k_arr = np.floor(np.asarray(k, dtype=np.float64))
    n_arr = np.asarray(n, dtype=np.int64)
    safe = np.clip(k_arr, 0, np.maximum(n_arr, 0))
    out = np.where(k_arr < 0, 1.0, np.where(k_arr >= n_arr, 0.0, special.bdtrc(safe, n_arr, p)))
    return np.asarray(out, dtype=np.float64)


def binom_pvalue(k: int, n: int, p: float, alternative: str) -> float:
    """One-sided exact binomial test: ``less`` is ``P(K <= k)``, ``greater`` is ``P(K >= k)``."""
    if alternative == "less":
        return float(binom_cdf(k, n, p))
    if alternative == "greater":
        return float(binom_sf(k - 1, n, p))
    raise ValueError(f"alternative must be 'less' or 'greater', got {alternative!r}")


def beta_ppf(q: ArrayLike, a: ArrayLike, b: ArrayLike) -> np.ndarray | float:
    """Quantile of Beta(a, b)."""
    return special.betaincinv(a, b, q)  # type: ignore[no-any-return]


def betabinom_logpmf(k: ArrayLike, n: int, a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """Log of the beta-binomial pmf ``C(n, k) B(k + a, n - k + b) / B(a, b)`` (-inf off support)."""
    k_arr = np.asarray(k, dtype=np.float64)
    inside = (k_arr >= 0) & (k_arr <= n)
    kk = np.clip(k_arr, 0, n)
    log_comb = special.gammaln(n + 1.0) - special.gammaln(kk + 1.0) - special.gammaln(n - kk + 1.0)
    out = log_comb + special.betaln(kk + a, n - kk + b) - special.betaln(a, b)
    return np.asarray(np.where(inside, out, -np.inf), dtype=np.float64)


def betabinom_pmf(k: ArrayLike, n: int, a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """Beta-binomial pmf."""
    return np.exp(betabinom_logpmf(k, n, a, b))


def _tail_sum(lo: int, hi: int, n: int, a: float, b: float) -> float:
    """Sum of the beta-binomial pmf over ``lo..hi`` (a tail: every term beyond it is smaller).

    Terms more than 40 standard deviations from the inner end of a tail are below e^-800 of the
    largest one, so only a window that wide is summed: a 1,000,000-row batch would otherwise
    evaluate a million log-gamma terms per call.
    """
    _, sd = betabinom_mean_sd(n, a, b)
    width = math.ceil(40 * sd) + 50
    mean = n * a / (a + b)
    if hi <= mean:
        lo = max(lo, hi - width)
    else:
        hi = min(hi, lo + width)
    return float(betabinom_pmf(np.arange(lo, hi + 1), n, a, b).sum())


def betabinom_cdf(k: float, n: int, a: float, b: float) -> float:
    """Beta-binomial ``P(K <= k)``, summing the pmf on the shorter side so tiny tails stay exact."""
    k = math.floor(k)
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if k <= n * a / (a + b):
        return min(1.0, _tail_sum(0, k, n, a, b))
    return max(0.0, 1.0 - _tail_sum(k + 1, n, n, a, b))


def betabinom_sf(k: float, n: int, a: float, b: float) -> float:
    """Beta-binomial ``P(K > k)``."""
    k = math.floor(k)
    if k < 0:
        return 1.0
    if k >= n:
        return 0.0
    if k >= n * a / (a + b):
        return min(1.0, _tail_sum(k + 1, n, n, a, b))
    return max(0.0, 1.0 - _tail_sum(0, k, n, a, b))


def betabinom_mean_sd(n: int, a: float, b: float) -> tuple[float, float]:
    """Mean and standard deviation of the beta-binomial."""
    mean = n * a / (a + b)
    var = n * a * b * (a + b + n) / ((a + b) ** 2 * (a + b + 1))
    return mean, math.sqrt(var)


def hypergeom_pmf(k: ArrayLike, total: int, successes: int, draws: int) -> np.ndarray:
    """``P(K = k)`` for ``draws`` items taken without replacement from ``total`` holding
    ``successes`` (``scipy.stats.hypergeom.pmf(k, M=total, n=successes, N=draws)``)."""
    k_arr = np.asarray(k, dtype=np.float64)
    lo, hi = max(0, draws - (total - successes)), min(successes, draws)
    kk = np.clip(k_arr, lo, hi)
    log_p = _log_comb(successes, kk) + _log_comb(total - successes, draws - kk) - _log_comb(total, draws)
    return np.asarray(np.where((k_arr >= lo) & (k_arr <= hi), np.exp(log_p), 0.0), dtype=np.float64)


def _log_comb(n: ArrayLike, k: ArrayLike) -> np.ndarray:
    n_arr = np.asarray(n, dtype=np.float64)
    k_arr = np.asarray(k, dtype=np.float64)
    return np.asarray(
        special.gammaln(n_arr + 1) - special.gammaln(k_arr + 1) - special.gammaln(n_arr - k_arr + 1)
    )


def fisher_exact_greater(table: np.ndarray | list[list[int]]) -> float:
    """One-sided Fisher exact test of a 2x2 table ``[[a, b], [c, d]]``: odds ratio > 1."""
    (a, b), (c, d) = np.asarray(table, dtype=np.int64).tolist()
    total, row, col = a + b + c + d, a + b, a + c
    hi = min(row, col)
    return float(min(1.0, hypergeom_pmf(np.arange(a, hi + 1), total, row, col).sum()))


def rankdata(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their average rank (``scipy.stats.rankdata``'s default)."""
    values = np.asarray(x, dtype=np.float64).ravel()
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    # Starts of runs of equal values; each run's ranks are averaged.
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    average = (starts + ends + 1) / 2.0
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.repeat(average, ends - starts)
    return ranks


def mannwhitney_greater(x: np.ndarray, y: np.ndarray) -> float:
    """One-sided Mann-Whitney U test that ``x`` tends to exceed ``y``.

    Normal approximation with tie correction and continuity correction, as
    ``scipy.stats.mannwhitneyu(x, y, alternative="greater", method="asymptotic")``; the samples
    this tool compares are hundreds of values or more, where the exact method is not used either.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        raise ValueError("both samples need at least one value")
    ranks = rankdata(np.concatenate([x, y]))
    u = float(ranks[:n1].sum()) - n1 * (n1 + 1) / 2.0
    n = n1 + n2
    _, ties = np.unique(ranks, return_counts=True)
    tie_term = float((ties**3 - ties).sum()) / (n * (n - 1))
    sd = math.sqrt(n1 * n2 / 12.0 * ((n + 1) - tie_term))
    if sd == 0:
        return 1.0
    z = (u - n1 * n2 / 2.0 - 0.5) / sd
    return float(norm_sf(z))
