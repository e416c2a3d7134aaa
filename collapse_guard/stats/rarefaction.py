"""Category coverage at a matched sample size: rarefaction, Good-Turing, vanish probabilities.

Pure functions on category counts (docs/checks/tail-shrinkage.md, "Categorical columns"). A batch
of ``n`` rows drawn from the reference population shows category ``c`` (share ``p_c``) with
probability ``1 - (1 - p_c)^n``; the expected number of distinct reference categories in the
batch is the rarefaction expectation ``E[S_n] = sum_c 1 - (1 - p_c)^n`` (Sanders 1968; Hurlbert
1971; with-replacement form, Heck, van Belle & Simberloff 1975 give its variance).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .distributions import betabinom_mean_sd, betabinom_pmf, betabinom_sf
from .poisson_binomial import poisson_binomial_cdf, poisson_binomial_sf

__all__ = [
    "CountTest",
    "Rarefaction",
    "absence_probabilities",
    "good_turing_missing_mass",
    "missing_categories_test",
    "rarefaction",
    "share_excess_test",
    "singleton_probabilities",
    "singletons_test",
]

# Above this many categories the pairwise covariance sum of the rarefaction variance is
# approximated in O(K) (see ``rarefaction``); below it is computed exactly in O(K^2).
EXACT_PAIRS_MAX = 3000


@dataclass(frozen=True, slots=True)
class Rarefaction:
    """Expected number of distinct categories in ``n`` draws, and its variance.

    Attributes
    ----------
    n
        Sample size.
    expected
        ``E[S_n] = sum_c 1 - (1 - p_c)^n``.
    variance
        ``Var[S_n]`` under multinomial sampling (with replacement).
    """

    n: int
    expected: float
    variance: float

    @property
    def sd(self) -> float:
        return math.sqrt(max(self.variance, 0.0))


def _shares(counts: np.ndarray) -> np.ndarray:
    c = np.asarray(counts, dtype=float)
    c = c[c > 0]
    total = c.sum()
    if total <= 0:
        raise ValueError("category counts must contain at least one positive count")
    return c / total


def rarefaction(counts: np.ndarray, n: int) -> Rarefaction:
    """Rarefaction expectation and variance of the number of categories seen in ``n`` draws.

    ``E[S_n] = sum_i [1 - (1-p_i)^n]`` and
    ``Var[S_n] = sum_i (1-p_i)^n [1 - (1-p_i)^n]
    + 2 sum_{i<j} [(1-p_i-p_j)^n - (1-p_i)^n (1-p_j)^n]``
    with ``p_i = counts_i / sum(counts)`` (multinomial sampling; Heck et al. 1975, eq. 2-3 in the
    with-replacement form). The pair sum is exact up to ``EXACT_PAIRS_MAX`` categories; above it
    uses ``(1-p_i-p_j)^n - (1-p_i)^n(1-p_j)^n ~ -n p_i p_j (1-p_i)^n (1-p_j)^n``, which is
    accurate whenever ``n p_i p_j`` is small for all pairs that matter.

    Parameters
    ----------
    counts
        Counts per category (zeros are ignored).
    n
        Number of draws.
    """
    p = _shares(counts)
    n = int(n)
    log1m = np.log1p(-np.minimum(p, 1.0 - 1e-16))
    q = np.exp(n * log1m)  # P(category absent)
    expected = float(np.sum(1.0 - q))
    var = float(np.sum(q * (1.0 - q)))
    k = len(p)
    if k > 1:
        if k <= EXACT_PAIRS_MAX:
            cov = 0.0
            for start in range(0, k, 512):
                pi = p[start : start + 512, None]
                qi = q[start : start + 512, None]
                with np.errstate(divide="ignore"):  # p_i + p_j = 1 gives log(0) = -inf, exp -> 0
                    joint = np.exp(n * np.log1p(-np.minimum(pi + p[None, :], 1.0)))
                block = joint - qi * q[None, :]
                idx_i = np.arange(start, min(k, start + 512))[:, None]
                cov += float(np.sum(np.where(idx_i < np.arange(k)[None, :], block, 0.0)))
            var += 2.0 * cov
        else:
            w = p * q
            cov = -n * 0.5 * (float(np.sum(w)) ** 2 - float(np.sum(w * w)))
            var += 2.0 * cov
    return Rarefaction(n=n, expected=expected, variance=max(var, 0.0))


def absence_probabilities(counts: np.ndarray, n: int) -> np.ndarray:
    """Probability that each reference category is absent from an honest batch of ``n`` rows.

    The category's share ``p`` is uncertain because the reference is itself a sample: with
    ``c`` of ``N`` reference rows, ``p ~ Beta(c, N - c + 1)`` (a near-Haldane prior, which keeps
    the mean at about ``c/N`` and gives categories seen once the spread they deserve), so
    ``P(absent) = E[(1 - p)^n] = B(c, N - c + 1 + n) / B(c, N - c + 1)`` -- the beta-binomial
    probability of zero. For large ``c`` this is ``(1 - c/N)^n``, the with-replacement rarefaction
    term (Heck, van Belle & Simberloff 1975).

    Parameters
    ----------
    counts
        Reference counts per category (all positive).
    n
        Batch size.
    """
    c = np.asarray(counts, dtype=float)
    total = float(c.sum())
    return np.asarray(betabinom_pmf(0, int(n), c, total - c + 1.0), dtype=float)


def singleton_probabilities(counts: np.ndarray, n: int) -> np.ndarray:
    """Probability that each reference category appears exactly once in a batch of ``n`` rows.

    Same beta posterior as ``absence_probabilities``: ``P(N_c = 1) = BetaBinomial(n, c, N-c+1)``
    at 1 (plug-in limit ``n p (1-p)^(n-1)``).
    """
    c = np.asarray(counts, dtype=float)
    total = float(c.sum())
    return np.asarray(betabinom_pmf(1, int(n), c, total - c + 1.0), dtype=float)


@dataclass(frozen=True, slots=True)
class CountTest:
    """An observed count against its null expectation.

    Attributes
    ----------
    observed, expected, sd
        Observed count, its mean and standard deviation under H0.
    p_value
        One-sided p-value in the direction the caller asked for.
    """

    observed: float
    expected: float
    sd: float
    p_value: float


def missing_categories_test(absence: np.ndarray, missing: int) -> CountTest:
    """Are more reference categories missing from the batch than chance allows?

    ``missing`` is compared with ``M = sum_c 1(c absent)``, treated as a sum of independent
    Bernoulli(``absence``) indicators. Under multinomial sampling the indicators are negatively
    correlated, so the true variance is smaller and the p-value ``P(M >= missing)`` is
    conservative.
    """
    q = np.asarray(absence, dtype=float)
    return CountTest(
        observed=float(missing),
        expected=float(q.sum()),
        sd=math.sqrt(float(np.sum(q * (1 - q)))),
        p_value=poisson_binomial_sf(q, missing),
    )


def singletons_test(singleton_probs: np.ndarray, singletons: int) -> CountTest:
    """Are there fewer batch singletons (categories seen exactly once) than chance allows?

    ``P(F1 <= singletons)`` with ``F1`` a Poisson-binomial sum of the per-category probabilities
    of appearing exactly once (Good 1953: ``F1 / n`` is the Good-Turing missing mass).
    """
    pi = np.asarray(singleton_probs, dtype=float)
    return CountTest(
        observed=float(singletons),
        expected=float(pi.sum()),
        sd=math.sqrt(float(np.sum(pi * (1 - pi)))),
        p_value=poisson_binomial_cdf(pi, singletons),
    )


def good_turing_missing_mass(counts: np.ndarray) -> float:
    """Good (1953) estimate of the probability mass of unseen categories: ``f1 / n``.

    ``f1`` is the number of categories seen exactly once and ``n`` the number of draws.
    Sample coverage is ``1 - f1 / n``.
    """
    c = np.asarray(counts, dtype=np.int64)
    n = int(c.sum())
    if n <= 0:
        return math.nan
    return float(np.sum(c == 1)) / n


def share_excess_test(
    batch_count: int, batch_size: int, reference_count: int, reference_size: int
) -> CountTest:
    """Does the batch hold *more* rows of a group than the reference share allows?

    Same beta-binomial null as ``tails.exceedance_test`` (reference share uncertain,
    ``p ~ Beta(y + 1, m - y + 1)``), upper tail: ``P(K >= batch_count)``.
    """
    k, n, y, m = int(batch_count), int(batch_size), int(reference_count), int(reference_size)
    a, b = y + 1.0, m - y + 1.0
    mean, sd = betabinom_mean_sd(n, a, b)
    return CountTest(observed=float(k), expected=mean, sd=sd, p_value=betabinom_sf(k - 1, n, a, b))
