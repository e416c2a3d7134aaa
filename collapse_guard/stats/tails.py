"""Tail statistics for numeric columns: exceedance tests, power, spread ratios, Hill index.

All functions are pure: numpy arrays in, floats or small frozen dataclasses out. The tests are
one-sided for *less* tail in the batch than an honest sample of the batch's size from the
reference would show (science.md §2.1-§2.4).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "ExceedanceTest",
    "HillTest",
    "SpreadTest",
    "clopper_pearson",
    "exceedance_power",
    "exceedance_test",
    "hill_k",
    "hill_xi",
    "needed_batch_size",
    "permutation_ratio_test",
    "permutation_ratio_tests",
    "spread",
    "tail_threshold",
]


@dataclass(frozen=True, slots=True)
class ExceedanceTest:
    """Result of a one-sided tail-mass test.

    Attributes
    ----------
    threshold
        The reference value that defines the tail.
    upper
        True for the upper tail (values above ``threshold``), False for the lower one.
    reference_count, reference_size
        Reference values beyond the threshold, and the reference sample size ``m``.
    batch_count, batch_size
        Batch values beyond the threshold, and the batch size ``n``.
    reference_mass, batch_mass
        ``reference_count / m`` and ``batch_count / n``.
    expected_count
        Mean batch count under H0 (batch drawn from the reference population).
    p_value
        ``P(K <= batch_count)`` under the beta-binomial null.
    ratio
        ``batch_mass / reference_mass`` (the effect; 1 = no change, 0 = tail gone).
    interval
        95% Clopper-Pearson interval for ``batch_mass``.
    """

    threshold: float
    upper: bool
    reference_count: int
    reference_size: int
    batch_count: int
    batch_size: int
    reference_mass: float
    batch_mass: float
    expected_count: float
    p_value: float
    ratio: float
    interval: tuple[float, float]


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson, 1934) two-sided interval for a binomial proportion ``k / n``."""
    if n <= 0:
        return (0.0, 1.0)
    tail = (1.0 - level) / 2.0
    lo = 0.0 if k <= 0 else float(stats.beta.ppf(tail, k, n - k + 1))
    hi = 1.0 if k >= n else float(stats.beta.ppf(1.0 - tail, k + 1, n - k))
    return (lo, hi)


def tail_threshold(sorted_ref: np.ndarray, q: float) -> tuple[float, int]:
    """Threshold for the tail beyond reference quantile ``q`` and the reference count beyond it.

    The threshold is an order statistic of the reference sample. For ``q >= 0.5`` the tail is
    the values strictly above it, otherwise the values strictly below. With ties the count is of
    values *strictly* beyond, so the batch is always counted the same way.

    Parameters
    ----------
    sorted_ref
        Reference values, sorted ascending, finite.
    q
        Tail probability level, e.g. 0.99 (upper) or 0.01 (lower).

    Returns
    -------
    (threshold, count)
    """
    m = len(sorted_ref)
    if m == 0:
        raise ValueError("tail_threshold needs at least one reference value")
    if q >= 0.5:
        j = min(m - 1, max(0, math.ceil(q * m) - 1))
        t = float(sorted_ref[j])
        count = int(m - np.searchsorted(sorted_ref, t, side="right"))
    else:
        j = min(m - 1, max(0, math.floor(q * m)))
        t = float(sorted_ref[j])
        count = int(np.searchsorted(sorted_ref, t, side="left"))
    return t, count


def exceedance_test(
    batch_count: int,
    batch_size: int,
    reference_count: int,
    reference_size: int,
    threshold: float = math.nan,
    upper: bool = True,
) -> ExceedanceTest:
    """One-sided test that the batch has fewer values beyond a reference threshold than expected.

    With ``y`` of ``m`` reference values beyond the threshold, the tail probability ``p`` has the
    posterior ``Beta(y + 1, m - y + 1)`` (uniform prior), and a batch of ``n`` honest draws puts
    ``K ~ BetaBinomial(n, y + 1, m - y + 1)`` values beyond it. For a continuous column and a
    threshold at the order statistic ``X_(m-y)`` the exact law of ``p`` is ``Beta(y + 1, m - y)``
    (the uniform order-statistic distribution), so this null is exact up to one pseudo-count and
    carries the reference's own sampling uncertainty; with a large reference it tends to the
    exact binomial test of science.md §2.1 (``scipy.stats.binomtest``, alternative "less").

    Parameters
    ----------
    batch_count, batch_size
        Batch values beyond the threshold (``k``) and batch size (``n``).
    reference_count, reference_size
        Reference values beyond the threshold (``y``) and reference sample size (``m``).
    threshold, upper
        Recorded in the result.

    Returns
    -------
    ExceedanceTest
        ``p_value = P(K <= k)``; ``ratio = (k / n) / (y / m)``.
    """
    k, n, y, m = int(batch_count), int(batch_size), int(reference_count), int(reference_size)
    if n <= 0 or m <= 0:
        raise ValueError("exceedance_test needs a non-empty batch and reference")
    a, b = y + 1.0, m - y + 1.0
    p_value = float(stats.betabinom.cdf(k, n, a, b))
    ref_mass = y / m
    batch_mass = k / n
    ratio = batch_mass / ref_mass if ref_mass > 0 else math.nan
    return ExceedanceTest(
        threshold=float(threshold),
        upper=upper,
        reference_count=y,
        reference_size=m,
        batch_count=k,
        batch_size=n,
        reference_mass=ref_mass,
        batch_mass=batch_mass,
        expected_count=n * a / (a + b),
        p_value=min(1.0, p_value),
        ratio=ratio,
        interval=clopper_pearson(k, n),
    )


def _critical_count(n: int, alpha: float, p0: float, reference: tuple[float, float] | None) -> int:
    """Largest batch count ``c`` with ``P(K <= c) <= alpha`` under H0 (``-1`` when none)."""
    if reference is None:
        k = float(stats.binom.ppf(alpha, n, p0))
        cdf = float(stats.binom.cdf(k, n, p0))
        # ppf gives the smallest k with cdf >= alpha; step back when cdf overshoots alpha.
        return int(k if cdf <= alpha + 1e-12 else k - 1)
    a, b = reference
    # scipy's betabinom.ppf is a slow generic search; the critical count lies below the mean
    # (alpha < 1/2), so one vectorised pmf over 0..mean is enough.
    top = math.ceil(n * a / (a + b)) + 1
    cumulative = np.cumsum(stats.betabinom.pmf(np.arange(top + 1), n, a, b))
    below = np.flatnonzero(cumulative <= alpha + 1e-12)
    return int(below[-1]) if len(below) else -1


def _critical_counts(
    n: np.ndarray, alpha: float, p0: float, reference: tuple[float, float] | None
) -> np.ndarray:
    return np.array([_critical_count(int(v), alpha, p0, reference) for v in n], dtype=float)


def exceedance_power(
    n: int | np.ndarray,
    reference_mass: float,
    ratio: float,
    alpha: float = 0.01,
    reference: tuple[int, int] | None = None,
) -> np.ndarray | float:
    """Power of the one-sided exceedance test when the batch's tail mass is ``ratio`` times less.

    Parameters
    ----------
    n
        Batch size(s).
    reference_mass
        Tail probability under H0 (``p0``).
    ratio
        The alternative: the batch's true tail mass is ``ratio * p0``.
    alpha
        Level of the test.
    reference
        ``(y, m)`` to use the beta-binomial null of ``exceedance_test``; None for a known ``p0``
        (the exact binomial test).

    Returns
    -------
    ``P(K <= c_alpha(n))`` with ``K ~ Binomial(n, ratio * p0)``.
    """
    arr = np.atleast_1d(np.asarray(n, dtype=float))
    ab = None if reference is None else (reference[0] + 1.0, reference[1] - reference[0] + 1.0)
    crit = _critical_counts(arr, alpha, reference_mass, ab)
    power = np.where(crit >= 0, stats.binom.cdf(crit, arr, ratio * reference_mass), 0.0)
    return float(power[0]) if np.ndim(n) == 0 else power


def needed_batch_size(
    reference_mass: float,
    ratio: float,
    alpha: float = 0.01,
    power: float = 0.8,
    reference: tuple[int, int] | None = None,
    max_n: int = 50_000_000,
) -> int | None:
    """Smallest batch size at which the exceedance test reaches ``power`` against ``ratio``.

    Follows the table of science.md §2.1 with ``reference=None`` (a 1% tail halved at
    alpha = 0.01 and power 0.8 needs 3,052 rows here, 3,199 there: the power of a discrete test
    is a saw-tooth in ``n`` and the table used another convention; they differ by up to 5%).
    The search doubles ``n`` until the power is reached, then bisects to a size ``n`` whose
    power reaches the target while ``n - 1``'s does not. Returns None when even ``max_n`` rows
    are not enough
    (for example when the reference sample is too small to pin the tail mass down).
    """
    if not 0.0 < reference_mass < 1.0 or not 0.0 <= ratio < 1.0:
        return None
    if reference is not None:
        # As n grows the batch mass becomes exact, so the test can only ever reject when the
        # alternative lies below the alpha-quantile of the reference's own uncertainty.
        y, m = reference
        if ratio * reference_mass >= float(stats.beta.ppf(alpha, y + 1.0, m - y + 1.0)):
            return None

    def powered(size: int) -> bool:
        return float(exceedance_power(size, reference_mass, ratio, alpha, reference)) >= power

    hi = 16
    while not powered(hi):
        hi *= 2
        if hi > max_n:
            return None
    # Bisection to a boundary where n - 1 misses and n reaches the power. The saw-tooth can put
    # an earlier crossing a little lower; the result is within a few percent of the first one.
    lo = hi // 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if powered(mid):
            hi = mid
        else:
            lo = mid
    return hi


def hill_k(n: int) -> int:
    """Number of upper order statistics used by ``hill_xi``: ``ceil(sqrt(n))`` (science.md §2.4)."""
    return max(2, math.ceil(math.sqrt(n)))


def hill_xi(sorted_values: np.ndarray, k: int | None = None) -> float:
    """Hill (1975) estimate of the tail index ``xi = 1/alpha`` from the ``k`` largest values.

    ``xi_hat = (1/k) * sum_{i=1..k} [log X_(i) - log X_(k+1)]`` with ``X_(1) >= X_(2) >= ...``.
    Larger means heavier tail. Needs positive values; returns NaN when the top ``k + 1`` values
    are not all positive or there are fewer than ``k + 1`` values.

    Parameters
    ----------
    sorted_values
        Values sorted ascending.
    k
        Upper order statistics to use; default ``hill_k(len(sorted_values))``.
    """
    n = len(sorted_values)
    k = hill_k(n) if k is None else int(k)
    if n < k + 1 or k < 1:
        return math.nan
    top = np.asarray(sorted_values[n - k - 1 :], dtype=float)
    if top[0] <= 0:
        return math.nan
    logs = np.log(top)
    return float(np.mean(logs[1:]) - logs[0])


def spread(sorted_values: np.ndarray, lo: float, hi: float) -> float:
    """Quantile spread ``Q(hi) - Q(lo)`` of sorted values (linear interpolation, numpy default)."""
    if len(sorted_values) == 0:
        return math.nan
    q = np.quantile(sorted_values, [lo, hi])
    return float(q[1] - q[0])


@dataclass(frozen=True, slots=True)
class SpreadTest:
    """A batch-vs-reference ratio of a scale statistic with a permutation null.

    Attributes
    ----------
    batch, reference
        The statistic on the batch and on the reference sample.
    ratio
        ``batch / reference`` (the effect).
    null_mean, null_sd
        Mean and standard deviation of the log ratio over random re-splits of the pooled sample
        into parts of the batch's and the reference's sizes.
    p_value
        One-sided (batch smaller) normal-approximation p-value of the observed log ratio against
        that null.
    interval
        Approximate 95% interval for ``ratio``: ``exp(log ratio -/+ 1.96 * null_sd)``.
    draws
        Number of permutations.
    """

    batch: float
    reference: float
    ratio: float
    null_mean: float
    null_sd: float
    p_value: float
    interval: tuple[float, float]
    draws: int


HillTest = SpreadTest
"""The Hill-index comparison has the same shape as a spread comparison (ratio of two statistics)."""


def permutation_ratio_test(
    reference: np.ndarray,
    batch: np.ndarray,
    statistic: Callable[[np.ndarray], float],
    rng: np.random.Generator,
    draws: int = 100,
    cap: int = 50_000,
) -> SpreadTest:
    """Compare ``statistic(batch) / statistic(reference)`` with a size-matched permutation null.

    Under H0 (batch and reference drawn from one population) the pooled values can be re-split at
    random into parts of the two sizes; the log ratio over those re-splits is the null, which
    carries the sampling error of *both* sides at their own sizes (science.md §7.1-§7.2). Inside
    the range of the permutations the p-value is the permutation p-value ``(1 + k) / (B + 1)``
    (Phipson & Smyth 2010); beyond every permutation it extrapolates with a normal fitted to the
    null log ratios, so that it is not floored at ``1 / (B + 1)`` (which multiple-testing control
    would never let through). When the null is lumpy (fewer distinct values than half the draws:
    discrete data) only the permutation p-value is used.

    Parameters
    ----------
    reference, batch
        Finite values (any order). Each side is subsampled to ``cap`` values with ``rng`` first.
    statistic
        Function of an ascending-sorted array returning a positive scale (spread, Hill xi).
    rng
        Random generator (seeded by the caller).
    draws
        Number of permutations.
    cap
        Largest number of values used per side.

    Returns
    -------
    SpreadTest
        With NaN fields when the statistic is not positive and finite on both sides.
    """
    return permutation_ratio_tests(reference, batch, {"s": statistic}, rng, draws, cap)["s"]


def permutation_ratio_tests(
    reference: np.ndarray,
    batch: np.ndarray,
    statistics: Mapping[str, Callable[[np.ndarray], float]],
    rng: np.random.Generator,
    draws: int = 100,
    cap: int = 50_000,
) -> dict[str, SpreadTest]:
    """``permutation_ratio_test`` for several statistics sharing the same permutations."""
    ref = np.asarray(reference, dtype=float)
    bat = np.asarray(batch, dtype=float)
    if len(ref) > cap:
        ref = rng.choice(ref, size=cap, replace=False)
    if len(bat) > cap:
        bat = rng.choice(bat, size=cap, replace=False)
    ref_sorted, bat_sorted = np.sort(ref), np.sort(bat)
    observed: dict[str, tuple[float, float]] = {
        name: (fn(bat_sorted), fn(ref_sorted)) for name, fn in statistics.items()
    }
    # A batch statistic of exactly 0 (e.g. an IQR of 0 because most values tie) is testable:
    # the permutations say how often an honest split shows 0 too.
    usable = [
        name
        for name, (b, r) in observed.items()
        if b >= 0 and r > 0 and math.isfinite(b) and math.isfinite(r)
    ]
    nulls = {name: np.full(draws, math.nan) for name in usable}
    if usable:
        pooled = np.concatenate([bat, ref])
        nb = len(bat)
        for i in range(draws):
            perm = rng.permutation(pooled)
            part_b, part_r = np.sort(perm[:nb]), np.sort(perm[nb:])
            for name in usable:
                a, b = statistics[name](part_b), statistics[name](part_r)
                if b > 0 and a >= 0:
                    nulls[name][i] = a / b
    out: dict[str, SpreadTest] = {}
    nan = math.nan
    for name, (s_bat, s_ref) in observed.items():
        ratio = s_bat / s_ref if s_ref and math.isfinite(s_ref) else nan
        null = nulls.get(name, np.zeros(0))
        null = null[np.isfinite(null)]
        if name not in usable or len(null) < 10:
            out[name] = SpreadTest(s_bat, s_ref, ratio, nan, nan, nan, (nan, nan), len(null))
            continue
        below = int(np.sum(null <= ratio))
        empirical = (1 + below) / (len(null) + 1)
        positive = null[null > 0]
        logs = np.log(positive)
        mu = float(np.mean(logs)) if len(logs) else nan
        sd = float(np.std(logs, ddof=1)) if len(logs) > 1 else nan
        lumpy = len(np.unique(null)) < len(null) // 2
        if ratio <= 0 or lumpy or below > 0 or not sd > 0:
            # Inside the permutations, at 0, or a lumpy null (discrete values, heavy ties): the
            # permutation p-value (Phipson & Smyth 2010); a normal curve would invent tiny ones.
            p = empirical
        else:
            # Beyond every permutation: extrapolate with the normal tail of the log ratios,
            # never above the permutation p-value.
            p = min(float(stats.norm.cdf((math.log(ratio) - mu) / sd)), empirical)
        if ratio > 0 and sd > 0:
            interval = (ratio * math.exp(-1.96 * sd), ratio * math.exp(1.96 * sd))
        else:
            interval = (nan, nan)
        out[name] = SpreadTest(s_bat, s_ref, ratio, mu, sd, p, interval, len(null))
    return out
