"""Category counts of a batch against a reference, conditional on their combined counts.

Pure functions on count vectors (numpy and ``scipy.special`` only). Under H0 the reference's
``N`` rows and the batch's ``n`` rows are independent draws from one distribution. The combined
counts ``Z_c = X_c + Y_c`` (``X`` reference, ``Y`` batch) are then sufficient for the unknown
shares, and given them the batch is a uniformly random ``n`` of the ``N + n`` combined rows,
whatever the shares are (exchangeability; Fisher's exact test is the two-category case). Every
law below is that conditional law, so nothing is estimated about categories the reference saw
once or never, and the tests stay valid however little of the column the reference has seen:

- category ``c`` absent from the batch: ``P(Y_c = 0 | Z_c) = C(N + n - Z_c, n) / C(N + n, n)``;
- ``c`` once in the batch and at least once in the reference:
  ``P(Y_c = 1, X_c >= 1 | Z_c) = Z_c C(N + n - Z_c, n - 1) / C(N + n, n)`` for ``Z_c >= 2``;
- ``c`` absent from the reference (new in the batch): ``P(X_c = 0 | Z_c) = C(n, Z_c) / C(N + n, Z_c)``;
- batch rows in a set of categories ``R`` chosen from the combined counts alone:
  ``K ~ Hypergeometric(N + n, Z_R, n)``, exactly.

The per-category "absent" events are negatively associated (multivariate hypergeometric
sampling, Joag-Dev & Proschan 1983), so counting them as independent Bernoulli indicators (the
Poisson-binomial tests of ``rarefaction``) over-states the spread of the count: those p-values
are conservative. "Once in the batch" is not monotone in the count, so for Good-Turing
singletons the same treatment is only approximately conservative (exact enumeration of small
cases: size 0.013 at alpha 0.01; calibrated on the simulated grid of
``benchmarks/detection/categorical_grid.py``).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from .poisson_binomial import poisson_binomial_sf
from .rarefaction import CountTest

__all__ = [
    "absent_categories_p",
    "absent_given_combined",
    "hypergeom_cdf",
    "hypergeom_sf",
    "most_overrepresented",
    "new_categories_test",
    "new_given_combined",
    "rarest_combined",
    "singleton_given_combined",
]

# ``most_overrepresented`` computes the exact tail of at most this many candidates.
MAX_EXACT_CANDIDATES = 200


def _as_float(z: np.ndarray | float) -> np.ndarray:
    return np.asarray(z, dtype=np.float64)


def absent_given_combined(combined: np.ndarray, reference_rows: int, batch_rows: int) -> np.ndarray:
    """``P(Y_c = 0 | Z_c)``: every one of the category's ``Z_c`` combined rows is a reference row.

    ``C(N + n - Z, n) / C(N + n, n) = prod_{j < Z} (N - j) / (N + n - j)``, computed as
    ``B(N + n - Z + 1, Z) / B(N - Z + 1, Z)``; 1 for ``Z = 0`` and 0 for ``Z > N``.

    Parameters
    ----------
    combined
        Reference plus batch count per category.
    reference_rows, batch_rows
        ``N`` and ``n``, the two totals.
    """
    z = _as_float(combined)
    big_n, n = float(reference_rows), float(batch_rows)
    out = np.where(z <= 0, 1.0, 0.0)
    ok = (z >= 1) & (z <= big_n)
    zz = z[ok]
    out[ok] = np.exp(special.betaln(big_n + n - zz + 1.0, zz) - special.betaln(big_n - zz + 1.0, zz))
    return np.minimum(out, 1.0)


def absent_categories_p(reference: np.ndarray, batch: np.ndarray) -> float:
    """``P(at least as many combined categories absent from the batch as observed)``, given the
    combined counts: the batch's richness as a count, without the null draws' granularity.

    A category seen 9 times in 2,000 reference rows is absent from an honest batch of 500 one time
    in seven; a few dozen random splits may never show it absent, and a tail fitted beyond them
    then called one absence impossible (p = 1e-22). The absences are counted as independent
    indicators with their exact conditional probabilities, which over-states their spread
    (negative association, see above): the p-value is conservative.
    """
    ref = np.asarray(reference, dtype=np.int64)
    bat = np.asarray(batch, dtype=np.int64)
    combined = ref + bat
    seen = combined > 0
    absent = int(np.count_nonzero(seen & (bat == 0)))
    if absent == 0:
        return 1.0
    probs = absent_given_combined(combined[seen], int(ref.sum()), int(bat.sum()))
    return min(1.0, poisson_binomial_sf(probs, absent))


def new_given_combined(combined: np.ndarray, reference_rows: int, batch_rows: int) -> np.ndarray:
    """``P(X_c = 0 | Z_c)``: every one of the category's combined rows is a batch row.

    ``C(n, Z) / C(N + n, Z)``, the mirror image of ``absent_given_combined``; 0 for ``Z > n``.
    """
    return absent_given_combined(combined, batch_rows, reference_rows)


def singleton_given_combined(combined: np.ndarray, reference_rows: int, batch_rows: int) -> np.ndarray:
    """``P(Y_c = 1, X_c >= 1 | Z_c)``: one combined row in the batch, the others (at least one) in
    the reference.

    ``Z C(N + n - Z, n - 1) / C(N + n, n) = Z n / (Z - 1) * B(N + n - Z + 1, Z) / B(N - Z + 2, Z - 1)``
    for ``2 <= Z <= N + 1`` and ``n >= 1``, else 0.
    """
    z = _as_float(combined)
    big_n, n = float(reference_rows), float(batch_rows)
    out = np.zeros_like(z)
    if n < 1:
        return out
    ok = (z >= 2) & (z <= big_n + 1)
    zz = z[ok]
    log_ratio = special.betaln(big_n + n - zz + 1.0, zz) - special.betaln(big_n - zz + 2.0, zz - 1.0)
    out[ok] = zz * n / (zz - 1.0) * np.exp(log_ratio)
    return np.minimum(out, 1.0)


def _log_comb(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """``log C(a, b)`` for ``0 <= b <= a``, via ``-log(a + 1) - log B(a - b + 1, b + 1)``."""
    a_arr, b_arr = _as_float(a), _as_float(b)
    return np.asarray(-np.log1p(a_arr) - special.betaln(a_arr - b_arr + 1.0, b_arr + 1.0))


def _hypergeom_sum(lo: int, hi: int, total: int, successes: int, draws: int) -> float:
    """Sum of the hypergeometric pmf over ``lo..hi``, a tail (every term beyond it is smaller).

    Terms more than 40 standard deviations from the tail's inner end are below e^-800 of the
    largest, so at most that wide a window is summed.
    """
    p = successes / total
    var = draws * p * (1.0 - p) * (total - draws) / max(total - 1, 1)
    width = math.ceil(40.0 * math.sqrt(var)) + 50
    mean = draws * p
    if hi <= mean:
        lo = max(lo, hi - width)
    else:
        hi = min(hi, lo + width)
    if hi < lo:
        return 0.0
    k = np.arange(lo, hi + 1, dtype=np.float64)
    log_pmf = _log_comb(successes, k) + _log_comb(total - successes, draws - k) - _log_comb(total, draws)
    return float(np.exp(log_pmf).sum())


def hypergeom_cdf(k: int, total: int, successes: int, draws: int) -> float:
    """``P(K <= k)`` for ``K`` the successes among ``draws`` items taken without replacement from
    ``total`` items holding ``successes`` (``scipy.stats.hypergeom.cdf(k, total, successes, draws)``).

    The pmf is summed on the shorter side, so small tails keep their precision.
    """
    k = math.floor(k)
    lo, hi = max(0, draws - (total - successes)), min(successes, draws)
    if k < lo:
        return 0.0
    if k >= hi:
        return 1.0
    if k <= draws * successes / total:
        return min(1.0, _hypergeom_sum(lo, k, total, successes, draws))
    return max(0.0, 1.0 - _hypergeom_sum(k + 1, hi, total, successes, draws))


def hypergeom_sf(k: int, total: int, successes: int, draws: int) -> float:
    """``P(K > k)`` (``scipy.stats.hypergeom.sf``); ``hypergeom_sf(k - 1, ...)`` is ``P(K >= k)``.

    ``K > k`` is "at most ``draws - k - 1`` failures", the same law with the two kinds swapped.
    """
    k = math.floor(k)
    return hypergeom_cdf(draws - k - 1, total, total - successes, draws)


def rarest_combined(combined: np.ndarray, rare_mass: float, tiebreak: np.ndarray) -> np.ndarray:
    """Indices of the rarest categories by combined count that together hold at most ``rare_mass``
    of the combined rows: at least one, never all (rarest first).

    The set depends on the combined counts only (ties broken by ``tiebreak``, a key that must not
    depend on which rows are reference and which batch, e.g. the rank of the category's name), so
    the batch rows it holds are exactly hypergeometric under H0. Categories with no row are ignored.

    Parameters
    ----------
    combined
        Reference plus batch count per category.
    rare_mass
        Share of the combined rows.
    tiebreak
        Sort key per category for equal combined counts.
    """
    z = np.asarray(combined, dtype=np.int64)
    live = np.flatnonzero(z > 0)
    if len(live) < 2:
        return np.zeros(0, dtype=np.int64)
    order = live[np.lexsort((np.asarray(tiebreak)[live], z[live]))]
    cum = np.cumsum(z[order]) / z[order].sum()
    k = max(1, int(np.searchsorted(cum, rare_mass, side="right")))
    return order[: min(k, len(order) - 1)]


def new_categories_test(combined: np.ndarray, new: np.ndarray, new_probs: np.ndarray) -> CountTest:
    """Did the batch bring more categories the reference lacks, or a larger one, than chance allows?

    Two one-sided tests, Bonferroni-combined (``p = min(1, 2 min(p_count, p_largest))``):

    - the number of new categories ``D = #{c: X_c = 0}`` against the Poisson-binomial law of the
      indicators ``P(X_c = 0 | Z_c)`` (``new_probs``): many small invented categories;
    - the largest new category, ``z* = max Z_c`` over the new ones:
      ``P(some category with Z_c >= z* is new) <= sum_{c: Z_c >= z*} P(X_c = 0 | Z_c)`` (a union
      bound, valid under any dependence): one heavily used invented category, which adds only 1 to
      ``D`` and would be lost in the count of a long-tailed column.

    ``expected``/``sd`` are those of ``D``.

    Parameters
    ----------
    combined
        Reference plus batch count per category.
    new
        Boolean mask of the categories the reference lacks.
    new_probs
        ``new_given_combined(combined, N, n)``.
    """
    z = np.asarray(combined, dtype=np.int64)
    mask = np.asarray(new, dtype=bool)
    r = np.asarray(new_probs, dtype=np.float64)
    d = int(mask.sum())
    if d == 0:
        p = 1.0
    else:
        p_count = poisson_binomial_sf(r, d)
        largest = int(z[mask].max())
        p_largest = min(1.0, float(r[z >= largest].sum()))
        p = min(1.0, 2.0 * min(p_count, p_largest))
    return CountTest(
        observed=float(d),
        expected=float(r.sum()),
        sd=math.sqrt(float(np.sum(r * (1.0 - r)))),
        p_value=p,
    )


def most_overrepresented(
    combined: np.ndarray, batch: np.ndarray, candidates: np.ndarray, batch_rows: int
) -> tuple[int, float]:
    """The candidate category whose batch count is least likely given its combined count, and a
    p-value for it valid over *every* category.

    For each category ``P(Y_c >= y_c | Z_c)`` is hypergeometric, exactly. The returned p-value is
    that of the most surprising candidate times the number of categories with a combined row (a
    union bound over all of them), so the candidates may be chosen any way at all, e.g. as the
    categories rare in the reference, whose selection would bias a test of the candidates alone
    (given ``Z_c``, a small reference count means a large batch count).

    Parameters
    ----------
    combined, batch
        Reference plus batch count, and batch count, per category.
    candidates
        Indices of the categories to look at.
    batch_rows
        ``n``; the reference's ``N`` is ``combined.sum() - n``.

    Returns
    -------
    ``(index, p_value)``; ``(-1, 1.0)`` when no candidate is above its expectation.
    """
    z = np.asarray(combined, dtype=np.int64)
    y = np.asarray(batch, dtype=np.int64)
    total = int(z.sum())
    idx = np.asarray(candidates, dtype=np.int64)
    idx = idx[y[idx] * total > batch_rows * z[idx]]  # above expectation n Z_c / (N + n)
    if len(idx) == 0:
        return -1, 1.0
    if len(idx) > MAX_EXACT_CANDIDATES:  # the most surprising by a z-score; any choice stays valid
        mean = batch_rows * z[idx] / total
        score = (y[idx] - mean) / np.sqrt(mean * (1.0 - z[idx] / total) + 1.0)
        idx = idx[np.argsort(-score, kind="stable")[:MAX_EXACT_CANDIDATES]]
    p = np.array([hypergeom_sf(int(y[i]) - 1, total, int(z[i]), batch_rows) for i in idx])
    best = int(np.argmin(p))
    return int(idx[best]), min(1.0, float(p[best]) * int(np.sum(z > 0)))
