"""Tail statistics for numeric columns: exceedance tests, power, spread ratios, Hill index.

All functions are pure: numpy arrays in, floats or small frozen dataclasses out. The shrinkage
tests are one-sided for *less* tail in the batch than an honest sample of the batch's size from the
reference would show (docs/checks/tail-shrinkage.md, "Numeric columns"); the same machinery tests
the other side (more tail, a wider spread) with ``alternative="greater"`` and ``SpreadTest.p_larger``.

Spread and Hill ratios have two size-matched nulls: a permutation of the pooled values
(``permutation_ratio_tests``, exact but costly for large samples) and simulated order statistics
of the pooled sample at each side's size (``order_statistic_ratio_tests``, cost independent of
the sample sizes).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, Protocol

import numpy as np

from . import distributions as d

__all__ = [
    "ExceedanceTest",
    "HillIndex",
    "HillTest",
    "OrderStatistic",
    "QuantileSpread",
    "SpreadTest",
    "clopper_pearson",
    "counts_beyond_quantiles",
    "exceedance_power",
    "exceedance_test",
    "hill_k",
    "hill_xi",
    "interquartile_range",
    "needed_batch_size",
    "order_statistic_ratio_tests",
    "permutation_ratio_test",
    "permutation_ratio_tests",
    "pooled_quantile",
    "ratio_power",
    "spread",
    "tail_threshold",
]

Alternative = Literal["less", "greater"]


@dataclass(frozen=True, slots=True)
class ExceedanceTest:
    """Result of a one-sided tail-mass test.

    Attributes
    ----------
    threshold
        The reference value that defines the tail (NaN when the tail has two thresholds).
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
        ``P(K <= batch_count)`` (``alternative="less"``) or ``P(K >= batch_count)``
        (``"greater"``) under the beta-binomial null.
    ratio
        ``batch_mass / reference_mass`` (the effect; 1 = no change, 0 = tail gone).
    interval
        95% Clopper-Pearson interval for ``batch_mass``.
    alternative
        ``"less"`` (the batch has less tail) or ``"greater"`` (more tail).
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
    alternative: Alternative = "less"


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson, 1934) two-sided interval for a binomial proportion ``k / n``."""
    if n <= 0:
        return (0.0, 1.0)
    tail = (1.0 - level) / 2.0
    lo = 0.0 if k <= 0 else float(d.beta_ppf(tail, k, n - k + 1))
    hi = 1.0 if k >= n else float(d.beta_ppf(1.0 - tail, k + 1, n - k))
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


def counts_beyond_quantiles(
    sorted_ref: np.ndarray, sorted_batch: np.ndarray, mass: float
) -> tuple[float, float, int, int, int, int]:
    """Reference quantiles ``mass`` and ``1 - mass`` and the values strictly beyond each.

    Both inputs are sorted ascending. The thresholds and reference counts are ``tail_threshold``'s;
    the batch is counted the same way (strictly below the lower threshold, strictly above the upper
    one). Returns ``(t_lo, t_hi, reference below t_lo, reference above t_hi, batch below t_lo,
    batch above t_hi)``.
    """
    t_lo, y_lo = tail_threshold(sorted_ref, mass)
    t_hi, y_hi = tail_threshold(sorted_ref, 1.0 - mass)
    k_lo = int(np.searchsorted(sorted_batch, t_lo, side="left"))
    k_hi = int(len(sorted_batch) - np.searchsorted(sorted_batch, t_hi, side="right"))
    return t_lo, t_hi, y_lo, y_hi, k_lo, k_hi


def _null_beta(y: int, m: int, alternative: Alternative, thresholds: int) -> tuple[float, float]:
    """Beta law of the reference tail probability behind ``exceedance_test``'s null."""
    if alternative == "less":
        # Uniform-prior posterior: one pseudo-count more on the far side than the exact law of
        # the order statistic, i.e. a slightly smaller null mass, which is conservative here.
        return y + 1.0, m - y + 1.0
    # The exact law for continuous data: the mass beyond ``thresholds`` order statistics with
    # ``y`` values beyond them is Beta(y + thresholds, m - y - thresholds + 1). The uniform
    # posterior would put the null mass lower and flag honest batches of small references.
    return y + float(thresholds), max(1.0, m - y - thresholds + 1.0)


def exceedance_test(
    batch_count: int,
    batch_size: int,
    reference_count: int,
    reference_size: int,
    threshold: float = math.nan,
    upper: bool = True,
    alternative: Alternative = "less",
    thresholds: int = 1,
) -> ExceedanceTest:
    """One-sided test that the batch has fewer (or more) values beyond a reference threshold.

    With ``y`` of ``m`` reference values beyond the threshold, the tail probability ``p`` has the
    posterior ``Beta(y + 1, m - y + 1)`` (uniform prior), and a batch of ``n`` honest draws puts
    ``K ~ BetaBinomial(n, y + 1, m - y + 1)`` values beyond it. For a continuous column and a
    threshold at the order statistic ``X_(m-y)`` the exact law of ``p`` is ``Beta(y + 1, m - y)``
    (the uniform order-statistic distribution), so this null is exact up to one pseudo-count and
    carries the reference's own sampling uncertainty; with a large reference it tends to the
    exact binomial test ``K ~ Binomial(n, p)`` (``scipy.stats.binomtest``, alternative "less"; see
    docs/checks/tail-shrinkage.md).

    ``alternative="greater"`` tests for *more* values beyond (heavier or wider tails) with the
    exact law ``Beta(y + t, m - y - t + 1)``, where ``t = thresholds`` is the number of reference
    order statistics that bound the counted region (2 when both tails are counted together:
    the mass outside ``(X_(a), X_(b))`` is ``1 - (U_(b) - U_(a))``).

    Parameters
    ----------
    batch_count, batch_size
        Batch values beyond the threshold (``k``) and batch size (``n``).
    reference_count, reference_size
        Reference values beyond the threshold (``y``) and reference sample size (``m``).
    threshold, upper
        Recorded in the result.
    alternative
        ``"less"`` (default): ``p_value = P(K <= k)``; ``"greater"``: ``P(K >= k)``.
    thresholds
        Reference thresholds bounding the tail region (1 or 2); used by ``"greater"``.

    Returns
    -------
    ExceedanceTest
        ``ratio = (k / n) / (y / m)``.
    """
    k, n, y, m = int(batch_count), int(batch_size), int(reference_count), int(reference_size)
    if n <= 0 or m <= 0:
        raise ValueError("exceedance_test needs a non-empty batch and reference")
    a, b = _null_beta(y, m, alternative, thresholds)
    # P(K <= k), or P(K >= k) for "greater": both sum only the pmf near k, exact far out.
    p_value = d.betabinom_cdf(k, n, a, b) if alternative == "less" else d.betabinom_sf(k - 1, n, a, b)
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
        alternative=alternative,
    )


def _critical_count(n: int, alpha: float, p0: float, reference: tuple[float, float] | None) -> int:
    """Largest batch count ``c`` with ``P(K <= c) <= alpha`` under H0 (``-1`` when none)."""
    # The critical count lies below the mean (alpha < 1/2): one vectorised cdf over 0..mean.
    mean = n * p0 if reference is None else n * reference[0] / (reference[0] + reference[1])
    ks = np.arange(math.ceil(mean) + 2)
    if reference is None:
        cumulative = d.binom_cdf(ks, n, p0)
    else:
        cumulative = np.cumsum(d.betabinom_pmf(ks, n, *reference))
    below = np.flatnonzero(cumulative <= alpha + 1e-12)
    return int(below[-1]) if len(below) else -1


def _critical_count_upper(n: int, alpha: float, p0: float, reference: tuple[float, float] | None) -> int:
    """Smallest batch count ``c`` with ``P(K >= c) <= alpha`` under H0 (``n + 1`` when none)."""
    if reference is None:
        mean, var = n * p0, n * p0 * (1.0 - p0)
    else:
        a, b = reference
        mean, sd = d.betabinom_mean_sd(n, a, b)
        var = sd * sd
    lo = max(0, math.floor(mean))
    # Beyond 30 sd above the mean even the skewed law of a tail with a single reference value
    # (a Gamma(3)-like shape) holds less than 1e-12: summing the pmf up to there is exact enough
    # for a critical value at alpha >= 1e-6.
    hi = min(n, math.ceil(mean + 30.0 * math.sqrt(var)) + 30)
    xs = np.arange(lo, hi + 1)
    if reference is None:
        tail = d.binom_sf(xs - 1, n, p0)
    else:
        tail = np.cumsum(d.betabinom_pmf(xs, n, *reference)[::-1])[::-1]
    ok = np.flatnonzero(tail <= alpha + 1e-12)
    return int(xs[ok[0]]) if len(ok) else n + 1


def _power(
    n: np.ndarray,
    reference_mass: float,
    ratio: float,
    alpha: float,
    ab: tuple[float, float] | None,
    alternative: Alternative,
) -> np.ndarray:
    true_mass = min(1.0, ratio * reference_mass)
    if alternative == "less":
        crit = np.array([_critical_count(int(v), alpha, reference_mass, ab) for v in n], dtype=float)
        return np.where(crit >= 0, d.binom_cdf(crit, n, true_mass), 0.0)
    crit = np.array([_critical_count_upper(int(v), alpha, reference_mass, ab) for v in n], dtype=float)
    return np.where(crit <= n, d.binom_sf(crit - 1, n, true_mass), 0.0)


def exceedance_power(
    n: int | np.ndarray,
    reference_mass: float,
    ratio: float,
    alpha: float = 0.01,
    reference: tuple[int, int] | None = None,
    alternative: Alternative = "less",
    thresholds: int = 1,
) -> np.ndarray | float:
    """Power of the one-sided exceedance test when the batch's tail mass is ``ratio`` times ``p0``.

    Parameters
    ----------
    n
        Batch size(s).
    reference_mass
        Tail probability under H0 (``p0``).
    ratio
        The alternative: the batch's true tail mass is ``ratio * p0`` (below 1 for
        ``alternative="less"``, above 1 for ``"greater"``).
    alpha
        Level of the test.
    reference
        ``(y, m)`` to use the beta-binomial null of ``exceedance_test``; None for a known ``p0``
        (the exact binomial test).
    alternative, thresholds
        As in ``exceedance_test``.

    Returns
    -------
    ``P(K <= c_alpha(n))`` (or ``P(K >= c_alpha(n))``) with ``K ~ Binomial(n, ratio * p0)``.
    """
    arr = np.atleast_1d(np.asarray(n, dtype=float))
    ab = None if reference is None else _null_beta(reference[0], reference[1], alternative, thresholds)
    power = _power(arr, reference_mass, ratio, alpha, ab, alternative)
    return float(power[0]) if np.ndim(n) == 0 else power


def needed_batch_size(
    reference_mass: float,
    ratio: float,
    alpha: float = 0.01,
    power: float = 0.8,
    reference: tuple[int, int] | None = None,
    max_n: int = 50_000_000,
    alternative: Alternative = "less",
    thresholds: int = 1,
) -> int | None:
    """Smallest batch size at which the exceedance test reaches ``power`` against ``ratio``.

    With ``reference=None`` a 1% tail halved at alpha = 0.01 and power 0.8 needs 3,179 rows,
    close to the 3,199 of the normal-approximation sample-size tables the design
    started from: the power of a discrete test is a saw-tooth in ``n``, so such figures differ
    by a few percent.
    The search doubles ``n`` until the power is reached, then bisects to a size ``n`` whose
    power reaches the target while ``n - 1``'s does not. Returns None when even ``max_n`` rows
    are not enough
    (for example when the reference sample is too small to pin the tail mass down).
    ``alternative="greater"`` asks the same of the test for *more* tail (``ratio > 1``).
    Results are cached: a check asks the same question for every column of a table.
    """
    return _needed_batch_size(
        float(reference_mass),
        float(ratio),
        float(alpha),
        float(power),
        None if reference is None else (int(reference[0]), int(reference[1])),
        int(max_n),
        alternative,
        int(thresholds),
    )


@lru_cache(maxsize=1024)
def _needed_batch_size(
    reference_mass: float,
    ratio: float,
    alpha: float,
    power: float,
    reference: tuple[int, int] | None,
    max_n: int,
    alternative: Alternative,
    thresholds: int,
) -> int | None:
    if not 0.0 < reference_mass < 1.0:
        return None
    if alternative == "less" and not 0.0 <= ratio < 1.0:
        return None
    if alternative == "greater" and not 1.0 < ratio < 1.0 / reference_mass:
        return None
    if reference is not None:
        # As n grows the batch mass becomes exact, so the test can only ever reject when the
        # alternative lies beyond the alpha-quantile of the reference's own uncertainty.
        a, b = _null_beta(reference[0], reference[1], alternative, thresholds)
        if alternative == "less" and ratio * reference_mass >= float(d.beta_ppf(alpha, a, b)):
            return None
        if alternative == "greater" and ratio * reference_mass <= float(d.beta_ppf(1 - alpha, a, b)):
            return None

    def powered(size: int) -> bool:
        got = exceedance_power(size, reference_mass, ratio, alpha, reference, alternative, thresholds)
        return float(got) >= power

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
    """Number of upper order statistics used by ``hill_xi``: ``ceil(sqrt(n))`` (a common rule of thumb)."""
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
    return float(hill_xi_rows(np.asarray(sorted_values, dtype=float)[None, :], k)[0])


def hill_xi_rows(sorted_rows: np.ndarray, k: int | None = None) -> np.ndarray:
    """``hill_xi`` of each row of a 2-D array of rows sorted ascending (NaN where undefined)."""
    n = sorted_rows.shape[1]
    k = hill_k(n) if k is None else int(k)
    if n < k + 1 or k < 1:
        return np.full(len(sorted_rows), math.nan)
    top = sorted_rows[:, n - k - 1 :]
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log(top)
        xi = logs[:, 1:].mean(axis=1) - logs[:, 0]
    return np.where(top[:, 0] > 0, xi, math.nan)


def spread(sorted_values: np.ndarray, lo: float, hi: float) -> float:
    """Quantile spread ``Q(hi) - Q(lo)`` of sorted values (linear interpolation, numpy default)."""
    if len(sorted_values) == 0:
        return math.nan
    q = np.quantile(sorted_values, [lo, hi])
    return float(q[1] - q[0])


def interquartile_range(values: np.ndarray) -> float:
    """``Q(0.75) - Q(0.25)`` of non-empty values in any order (linear interpolation, numpy default)."""
    q1, q3 = np.quantile(values, [0.25, 0.75])
    return float(q3 - q1)


def pooled_quantile(sorted_values: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Quantile function of a sorted sample at probabilities ``u``, linear between order statistics.

    Order statistic ``i`` (1-based) of ``N`` sits at ``(i - 0.5) / N`` (Hazen's plotting position,
    symmetric in both tails); below the first and above the last position the function stays at
    the sample minimum and maximum.
    """
    x = np.asarray(sorted_values, dtype=float)
    size = len(x)
    if size == 1:
        return np.full(np.shape(u), x[0])
    pos = np.clip(np.asarray(u, dtype=float) * size - 0.5, 0.0, size - 1.0)
    i = np.minimum(pos.astype(np.int64), size - 2)
    return x[i] + (pos - i) * (x[i + 1] - x[i])


class OrderStatistic(Protocol):
    """A scale statistic of a sorted sample that can also be simulated at any sample size."""

    def __call__(self, sorted_values: np.ndarray) -> float: ...

    def simulate(
        self, population: np.ndarray, size: int, draws: int, rng: np.random.Generator
    ) -> np.ndarray: ...


@dataclass(frozen=True, slots=True)
class QuantileSpread:
    """``Q(hi) - Q(lo)`` of a sample (``spread``), simulable at any size from order statistics."""

    lo: float
    hi: float

    def __call__(self, sorted_values: np.ndarray) -> float:
        return spread(sorted_values, self.lo, self.hi)

    def rows(self, sorted_rows: np.ndarray) -> np.ndarray:
        """The spread of each row of a 2-D array of rows sorted ascending (``spread`` per row)."""
        q = np.quantile(sorted_rows, [self.lo, self.hi], axis=1)
        return np.asarray(q[1] - q[0], dtype=float)

    def simulate(self, population: np.ndarray, size: int, draws: int, rng: np.random.Generator) -> np.ndarray:
        """``draws`` values of the spread of ``size`` draws from the sorted ``population``.

        numpy's quantile ``p`` of ``n`` values is order statistic ``r = 1 + (n - 1) p``
        (fractional ranks interpolate). The uniform order statistic of rank ``r`` is
        ``Beta(r, n + 1 - r)`` and, given it, the one of rank ``s > r`` is
        ``U_r + (1 - U_r) Beta(s - r, n + 1 - s)``, so the pair is drawn exactly and mapped
        through the population's quantile function.
        """
        if size < 2:
            return np.full(draws, math.nan)
        r_lo = 1.0 + (size - 1) * self.lo
        r_hi = 1.0 + (size - 1) * self.hi
        u_lo = rng.beta(r_lo, size + 1.0 - r_lo, draws)
        u_hi = u_lo + (1.0 - u_lo) * rng.beta(r_hi - r_lo, size + 1.0 - r_hi, draws)
        return pooled_quantile(population, u_hi) - pooled_quantile(population, u_lo)


@dataclass(frozen=True, slots=True)
class HillIndex:
    """The Hill estimate ``hill_xi`` of a sample, simulable at any size from order statistics."""

    k: int | None = None

    def __call__(self, sorted_values: np.ndarray) -> float:
        return hill_xi(sorted_values, self.k)

    def rows(self, sorted_rows: np.ndarray) -> np.ndarray:
        """``hill_xi`` of each row of a 2-D array of rows sorted ascending."""
        return hill_xi_rows(sorted_rows, self.k)

    def simulate(self, population: np.ndarray, size: int, draws: int, rng: np.random.Generator) -> np.ndarray:
        """``draws`` Hill estimates of ``size`` draws from the sorted ``population``.

        The ``k + 1`` largest of ``n`` uniforms are ``1 - G_i / G_{n+1}`` with ``G_i`` the partial
        sums of independent standard exponentials (Rényi's representation); only those ``k + 1``
        are drawn, with ``G_{n+1} = G_{k+1} + Gamma(n - k)``.
        """
        k = hill_k(size) if self.k is None else int(self.k)
        if size < k + 1 or k < 1:
            return np.full(draws, math.nan)
        partial = np.cumsum(rng.standard_exponential((draws, k + 1)), axis=1)
        total = partial[:, -1] + rng.standard_gamma(size - k, draws)
        top = pooled_quantile(population, 1.0 - partial / total[:, None])  # descending
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.log(top)
            xi = logs[:, :k].mean(axis=1) - logs[:, k]
        return np.where(top[:, k] > 0, xi, math.nan)


@dataclass(frozen=True, slots=True)
class SpreadTest:
    """A batch-vs-reference ratio of a scale statistic with a size-matched null.

    Attributes
    ----------
    batch, reference
        The statistic on the batch and on the reference sample.
    ratio
        ``batch / reference`` (the effect).
    null_mean, null_sd
        Mean and standard deviation of the log ratio under the null (re-splits of the pooled
        sample, or simulated samples of the two sizes from it).
    p_value
        One-sided p-value for a *smaller* batch statistic (see ``permutation_ratio_test``).
    interval
        Approximate 95% interval for ``ratio``: ``exp(log ratio -/+ 1.96 * null_sd)``.
    draws
        Number of null draws.
    p_larger
        One-sided p-value for a *larger* batch statistic (wider spread, heavier tail).
    """

    batch: float
    reference: float
    ratio: float
    null_mean: float
    null_sd: float
    p_value: float
    interval: tuple[float, float]
    draws: int
    p_larger: float = math.nan


HillTest = SpreadTest
"""The Hill-index comparison has the same shape as a spread comparison (ratio of two statistics)."""


def _one_sided(ratio: float, null: np.ndarray, mu: float, sd: float, lumpy: bool, larger: bool) -> float:
    """Permutation-style p-value of ``ratio`` against null ratios, extrapolated beyond them.

    Inside the range of the null the p-value is ``(1 + k) / (B + 1)`` (Phipson & Smyth 2010);
    beyond every null draw it extrapolates with the normal tail of the log ratios, never above
    that bound, so that strong effects are not floored at ``1 / (B + 1)`` (which multiple-testing
    control would never let through). A lumpy null (discrete values, heavy ties) or a ratio of 0
    keeps the permutation p-value: a normal curve would invent tiny ones.
    """
    beyond = int(np.sum(null >= ratio)) if larger else int(np.sum(null <= ratio))
    empirical = (1 + beyond) / (len(null) + 1)
    if ratio <= 0 or lumpy or beyond > 0 or not sd > 0:
        return empirical
    z = (math.log(ratio) - mu) / sd
    normal = float(d.norm_sf(z)) if larger else float(d.norm_cdf(z))
    return min(normal, empirical)


def _ratio_test(s_bat: float, s_ref: float, null: np.ndarray, usable: bool) -> SpreadTest:
    nan = math.nan
    ratio = s_bat / s_ref if s_ref and math.isfinite(s_ref) else nan
    null = null[np.isfinite(null)]
    if not usable or len(null) < 10:
        return SpreadTest(s_bat, s_ref, ratio, nan, nan, nan, (nan, nan), len(null), nan)
    positive = null[null > 0]
    logs = np.log(positive)
    mu = float(np.mean(logs)) if len(logs) else nan
    sd = float(np.std(logs, ddof=1)) if len(logs) > 1 else nan
    lumpy = len(np.unique(null)) < len(null) // 2
    p_smaller = _one_sided(ratio, null, mu, sd, lumpy, larger=False)
    p_larger = _one_sided(ratio, null, mu, sd, lumpy, larger=True)
    if ratio > 0 and sd > 0:
        interval = (ratio * math.exp(-1.96 * sd), ratio * math.exp(1.96 * sd))
    else:
        interval = (nan, nan)
    return SpreadTest(s_bat, s_ref, ratio, mu, sd, p_smaller, interval, len(null), p_larger)


def ratio_power(null_sd: float, ratio: float, alpha: float = 0.01) -> float:
    """Power of a one-sided ratio test (``SpreadTest``) against a true ratio ``ratio``.

    Normal approximation on the log scale: ``Phi(|log ratio| / sd - z_(1 - alpha))``, with ``sd``
    the null's standard deviation of the log ratio. NaN or non-positive ``sd`` gives 0.
    """
    if not null_sd > 0 or not ratio > 0:
        return 0.0
    return float(d.norm_cdf(abs(math.log(ratio)) / null_sd - float(d.norm_ppf(1.0 - alpha))))


def _testable(s_bat: float, s_ref: float) -> bool:
    # A batch statistic of exactly 0 (e.g. an IQR of 0 because most values tie) is testable:
    # the null says how often an honest batch shows 0 too.
    return s_bat >= 0 and s_ref > 0 and math.isfinite(s_bat) and math.isfinite(s_ref)


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
    carries the sampling error of *both* sides at their own sizes (docs/checks/tail-shrinkage.md,
    "Spread ratios and Hill index"). Inside
    the range of the permutations the p-value is the permutation p-value ``(1 + k) / (B + 1)``
    (Phipson & Smyth 2010); beyond every permutation it extrapolates with a normal fitted to the
    null log ratios, so that it is not floored at ``1 / (B + 1)`` (which multiple-testing control
    would never let through). When the null is lumpy (fewer distinct values than half the draws:
    discrete data) only the permutation p-value is used. Both one-sided p-values are returned
    (``p_value`` for a smaller batch statistic, ``p_larger`` for a larger one).

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


# Values permuted at once by ``permutation_ratio_tests`` (8 MiB of float64 per block).
PERMUTATION_BLOCK_VALUES = 1 << 20


def _on_rows(statistic: Callable[[np.ndarray], float], sorted_rows: np.ndarray) -> np.ndarray:
    """``statistic`` of each sorted row: its own ``rows`` method if it has one, else row by row."""
    rows = getattr(statistic, "rows", None)
    if callable(rows):
        return np.asarray(rows(sorted_rows), dtype=float)
    return np.array([statistic(row) for row in sorted_rows], dtype=float)


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
    usable = [name for name, (b, r) in observed.items() if _testable(b, r)]
    nulls = {name: np.full(draws, math.nan) for name in usable}
    if usable:
        pooled = np.concatenate([bat, ref])
        nb = len(bat)
        # Permutations a block of rows at a time, each statistic computed on all rows of a block
        # at once: one call per permutation and statistic took 8.5 s for 30 columns of 285 rows.
        block = max(1, PERMUTATION_BLOCK_VALUES // len(pooled))
        for start in range(0, draws, block):
            perms = rng.permuted(np.broadcast_to(pooled, (min(block, draws - start), len(pooled))), axis=1)
            part_b, part_r = np.sort(perms[:, :nb], axis=1), np.sort(perms[:, nb:], axis=1)
            for name in usable:
                a, b = _on_rows(statistics[name], part_b), _on_rows(statistics[name], part_r)
                with np.errstate(divide="ignore", invalid="ignore"):
                    nulls[name][start : start + len(perms)] = np.where((b > 0) & (a >= 0), a / b, math.nan)
    return {
        name: _ratio_test(s_bat, s_ref, nulls.get(name, np.zeros(0)), name in usable)
        for name, (s_bat, s_ref) in observed.items()
    }


def order_statistic_ratio_tests(
    reference: np.ndarray,
    batch: np.ndarray,
    statistics: Mapping[str, OrderStatistic],
    rng: np.random.Generator,
    draws: int = 1000,
) -> dict[str, SpreadTest]:
    """Ratio tests like ``permutation_ratio_tests``, with a null simulated from order statistics.

    Under H0 both samples come from one population, best estimated by the pooled sample. The
    null draws one sample of the batch's size and one of the reference's from that pooled
    sample's quantile function (``pooled_quantile``), but only the order statistics the
    statistic reads: exact uniform order statistics (beta laws for quantiles, Rényi's exponential
    spacings for the top ``k`` of the Hill estimator) mapped through the quantile function. The
    null therefore has the sampling error of each side at its own size, including the skew of
    extreme order statistics and the size-dependent bias of the Hill estimator, at a cost that
    does not grow with the sample sizes. It is a smoothed bootstrap: where the population is
    discrete, ``permutation_ratio_tests`` is exact and should be preferred for small samples.

    Parameters
    ----------
    reference, batch
        Finite values sorted ascending (all of them are used: no subsampling).
    statistics
        Name -> ``QuantileSpread`` or ``HillIndex`` (anything with ``__call__`` on a sorted array
        and ``simulate(population, size, draws, rng)``).
    rng
        Random generator (seeded by the caller).
    draws
        Simulated samples per side.

    Returns
    -------
    dict of SpreadTest
        With NaN fields when the statistic is not positive and finite on both sides.
    """
    ref = np.asarray(reference, dtype=float)
    bat = np.asarray(batch, dtype=float)
    # Two sorted runs: the stable sort (timsort) merges them in linear time.
    pooled = np.sort(np.concatenate([ref, bat]), kind="stable")
    out: dict[str, SpreadTest] = {}
    for name, statistic in statistics.items():
        s_bat, s_ref = statistic(bat), statistic(ref)
        usable = _testable(s_bat, s_ref) and len(pooled) >= 2
        null = np.zeros(0)
        if usable:
            a = statistic.simulate(pooled, len(bat), draws, rng)
            b = statistic.simulate(pooled, len(ref), draws, rng)
            with np.errstate(divide="ignore", invalid="ignore"):
                null = np.where((b > 0) & (a >= 0), a / b, math.nan)
        out[name] = _ratio_test(s_bat, s_ref, null, usable)
    return out
