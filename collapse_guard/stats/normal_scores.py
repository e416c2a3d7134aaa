"""Normal-scores (Klotz-type) two-sample scale test: is the batch spread wider than the reference?

Pool the batch (``n`` values) and the reference sample (``m``), ``N = n + m``, and rank them. The
value at pooled rank ``r`` gets the squared normal score

    a_r = N * integral over ((r - 1)/N, r/N] of Phi^-1(u)^2 du = N * (G(r/N) - G((r - 1)/N)),

``G(u) = u - z phi(z)`` with ``z = Phi^-1(u)`` (the exact integral, because
``integral of x^2 phi(x) dx = Phi(z) - z phi(z)``). This is the cell average of Klotz's score
``Phi^-1(r/(N + 1))^2`` rather than its value at one point: it has the same asymptotic
efficiency (for a change of scale of a normal, that of the variance F-test), but every prefix sum
is the closed form ``N G(k/N)``, the scores sum to exactly ``N`` (mean 1) and a tie group is
handled exactly by averaging the scores of the cells it covers (``N (G(e/N) - G(s/N)) / (e - s)``
for the group on pooled ranks ``s + 1 .. e``). The statistic is ``S``, the sum of the batch's
scores.

Under H0 (the two samples exchangeable) the batch's scores are ``n`` of the ``N`` scores drawn
without replacement, so the permutation law of ``S`` has exact moments: mean ``n``, variance
``n (N - n) / (N - 1) * s2`` and third central moment
``n (N - n) (N - 2n) / ((N - 1)(N - 2)) * s3`` with ``s2``, ``s3`` the central moments of the
``N`` scores. The scores are chi-square(1)-like, so ``S`` is skewed for moderate sizes; the
p-value ``P(S >= s)`` comes from a Pearson type III law (a shifted gamma) with those three
moments, exact in the limit where ``S`` is a sum of independent chi-square(1) variables (a
gamma law itself) and accurate to a few percent of the p-value at ``alpha = 0.01`` down to
``n = 100`` (tests/test_stats_tails.py compares it with permutations). Only the ranks enter, so
the test is calibrated for any continuous column and, with averaged scores, for tied ones.

Cost: the batch is not merged with the reference. ``S = N - (sum of the reference's scores)``,
and each reference value's pooled rank is its own rank plus a ``searchsorted`` into the sorted
batch, so with no ties the statistic costs ``O(m log n)`` and the null moments depend only on
``N`` (the extreme cells exactly, the rest by the closed-form integrals; cached). A few ties
correct those moments at a cost that grows with the tied values only; a mostly tied (discrete)
column builds its pooled tie groups in ``O(N)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special

from . import distributions as d

__all__ = [
    "NormalScoresTest",
    "needed_batch_size",
    "normal_scores_test",
    "pearson3_sf",
    "score_integral",
    "untied_moments",
]

# With no ties, the null moments use the exact scores of the EXACT_CELLS most extreme cells on
# each side and the integrals of Phi^-1(u)^(2k) over the rest; the error of the latter is about
# 1/(3 * EXACT_CELLS) in a sum of squares of order 2N, far below anything a p-value can show.
EXACT_CELLS = 4096


@dataclass(frozen=True, slots=True)
class NormalScoresTest:
    """A normal-scores scale comparison of a batch with a reference sample.

    Attributes
    ----------
    statistic
        ``S``, the sum of the batch's squared normal scores.
    null_mean, null_sd, null_skewness
        Exact permutation mean (``n``), standard deviation and skewness of ``S``.
    batch_mean_score, reference_mean_score
        Mean score of each side (both about 1 under H0).
    ratio
        ``sqrt(batch_mean_score / reference_mean_score)``: for normal columns about the batch's
        sd divided by the reference's (1 = unchanged).
    null_sd_log_ratio
        Standard deviation of ``log(ratio)`` under H0 (delta method, about
        ``sqrt((1/n + 1/m) / 2)`` without ties).
    p_value
        ``P(S >= statistic)`` under H0 (Pearson type III): a *wider* batch.
    ties
        True when the pooled values have ties (scores averaged within tie groups).
    batch_size, reference_size
        ``n`` and ``m``.
    """

    statistic: float
    null_mean: float
    null_sd: float
    null_skewness: float
    batch_mean_score: float
    reference_mean_score: float
    ratio: float
    null_sd_log_ratio: float
    p_value: float
    ties: bool
    batch_size: int
    reference_size: int

    @property
    def score_variance(self) -> float:
        """Variance of the ``N`` pooled scores (2 for large untied samples; ties make it smaller)."""
        n, m = self.batch_size, self.reference_size
        big = n + m
        return self.null_sd**2 * (big - 1) / (n * m) if n and m else math.nan


_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def score_integral(u: np.ndarray | float) -> np.ndarray:
    """``G(u)``: the integral of ``Phi^-1(t)^2`` over ``t`` in ``(0, u)`` (0 at 0, 1 at 1)."""
    uu = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
    z = np.asarray(special.ndtri(uu), dtype=float)
    tail = z * z
    tail *= -0.5
    np.exp(tail, out=tail)
    with np.errstate(invalid="ignore"):
        tail *= z  # nan at u = 0 and 1 (infinity times 0): the limit is 0
    tail = np.nan_to_num(tail, copy=False, nan=0.0)
    tail *= -_INV_SQRT_2PI
    tail += uu
    return tail


def _moment_integrals(z: float) -> tuple[float, float, float, float]:
    """``integral_-inf^z x^k phi(x) dx`` for k = 0, 2, 4, 6."""
    if not math.isfinite(z):
        return (0.0, 0.0, 0.0, 0.0) if z < 0 else (1.0, 1.0, 3.0, 15.0)
    cdf, pdf = float(d.norm_cdf(z)), math.exp(-0.5 * z * z) * _INV_SQRT_2PI
    return (
        cdf,
        cdf - z * pdf,
        3.0 * cdf - (z**3 + 3.0 * z) * pdf,
        15.0 * cdf - (z**5 + 5.0 * z**3 + 15.0 * z) * pdf,
    )


def _cell_scores(bounds: np.ndarray, total: int) -> np.ndarray:
    """Averaged scores of the pooled groups between consecutive cumulative counts ``bounds``."""
    g = score_integral(bounds / total)
    return np.asarray(total * np.diff(g) / np.diff(bounds), dtype=float)


@lru_cache(maxsize=64)
def untied_moments(total: int) -> tuple[float, float]:
    """Central moments ``(s2, s3)`` of the ``total`` untied scores (their mean is exactly 1)."""
    if total <= 2 * EXACT_CELLS:
        a = _cell_scores(np.arange(total + 1, dtype=float), total)
        c = a - 1.0
        return float(np.mean(c * c)), float(np.mean(c * c * c))
    # The extreme cells exactly (both ends: the scores are symmetric), the middle by integrals.
    a = _cell_scores(np.arange(EXACT_CELLS + 1, dtype=float), total)
    sum2 = 2.0 * float(np.sum(a * a))
    sum3 = 2.0 * float(np.sum(a * a * a))
    z_lo = float(special.ndtri(EXACT_CELLS / total))
    lo, hi = _moment_integrals(z_lo), _moment_integrals(-z_lo)
    sum2 += total * (hi[2] - lo[2])
    sum3 += total * (hi[3] - lo[3])
    # sum (a - 1)^2 = sum a^2 - N and sum (a - 1)^3 = sum a^3 - 3 sum a^2 + 2N (sum a = N).
    return (sum2 - total) / total, (sum3 - 3.0 * sum2 + 2.0 * total) / total


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The integers ``starts[i] .. starts[i] + lengths[i] - 1`` for every ``i``, concatenated."""
    lengths = lengths.astype(np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()))


def _group_scores(lo: np.ndarray, hi: np.ndarray, total: int) -> np.ndarray:
    """Averaged score of each pooled group on ranks ``lo + 1 .. hi`` (a cell when ``hi = lo + 1``)."""
    g_hi = score_integral(hi / total)
    g_lo = score_integral(lo / total)
    return np.asarray(total * (g_hi - g_lo) / (hi - lo), dtype=float)


def _tied(
    ref: np.ndarray, batch: np.ndarray, below: np.ndarray, repeats: np.ndarray
) -> tuple[float, float, float]:
    """Sum of the reference's averaged scores and the scores' central moments, with ties.

    ``repeats`` holds the indices ``i`` with ``batch[i + 1] == batch[i]``. The pooled group of a
    value ``v`` covers ranks ``#batch < v + #ref < v + 1`` to ``#batch <= v + #ref <= v``. Only
    groups of two or more values change the untied moments: those holding a reference value come
    from the reference's runs, the others from runs of equal batch values. When those groups
    cover at most half of the pooled ranks (a continuous column with a few repeated values), the
    untied moments are corrected for them, at a cost that grows with the ties only; otherwise (a
    discrete column: few, large groups) every group's averaged score is computed.
    """
    n, m = len(batch), len(ref)
    total = n + m
    r_start = np.flatnonzero(np.r_[True, ref[1:] != ref[:-1]])
    r_stop = np.r_[r_start[1:], m]
    ref_lo = below[r_start] + r_start
    ref_hi = np.searchsorted(batch, ref[r_start], side="right") + r_stop
    ref_scores = _group_scores(ref_lo, ref_hi, total)
    ref_sum = float(np.dot(ref_scores, r_stop - r_start))
    if 2 * len(repeats) >= total:
        # The tied groups cover at least half of the pooled ranks: no correction.
        return (ref_sum, *_all_groups(ref, batch, below, ref_hi))
    # Runs of equal batch values (two or more) from the repeats: a run of k values is k - 1
    # consecutive repeat indices.
    first = np.r_[True, np.diff(repeats) != 1] if len(repeats) else np.zeros(0, dtype=bool)
    run_start = repeats[first]
    run_len = np.diff(np.r_[np.flatnonzero(first), len(repeats)]) + 1
    value = batch[run_start]
    r_lt = np.searchsorted(ref, value, side="left")
    alone = r_lt == np.searchsorted(ref, value, side="right")
    bat_lo = run_start[alone] + r_lt[alone]
    bat_hi = bat_lo + run_len[alone]
    tied_ref = ref_hi - ref_lo >= 2
    lo = np.r_[ref_lo[tied_ref], bat_lo]
    hi = np.r_[ref_hi[tied_ref], bat_hi]
    size = (hi - lo).astype(float)
    covered = float(size.sum())
    if 2.0 * covered <= total:
        # Untied sums, minus the cells inside the tied groups, plus the groups' averaged scores.
        s2, s3 = untied_moments(total)
        # G at every rank lo .. hi of each group, differenced within the groups.
        g = np.diff(score_integral(_ranges(lo, hi - lo + 1) / total))
        last = np.cumsum(hi - lo + 1)[:-1] - 1  # differences across two groups
        c = np.delete(g, last) * total - 1.0
        c_bar = np.r_[ref_scores[tied_ref], _group_scores(bat_lo, bat_hi, total)] - 1.0
        sum2 = s2 * total - float(np.dot(c, c)) + float(np.dot(size, c_bar * c_bar))
        sum3 = s3 * total - float(np.dot(c * c, c)) + float(np.dot(size * c_bar * c_bar, c_bar))
        return ref_sum, sum2 / total, sum3 / total
    return (ref_sum, *_all_groups(ref, batch, below, ref_hi))


def _all_groups(
    ref: np.ndarray, batch: np.ndarray, below: np.ndarray, ref_hi: np.ndarray
) -> tuple[float, float]:
    """Central moments of the averaged scores from every pooled group (a discrete column).

    A group's upper bound is the cumulative count ``#batch <= v + #ref <= v`` at each distinct
    value ``v``; ``ref_hi`` holds those of the reference's distinct values.
    """
    n, m = len(batch), len(ref)
    total = n + m
    b_end = np.flatnonzero(np.r_[batch[1:] != batch[:-1], True])
    if 4 * len(b_end) < n:
        ref_le = np.searchsorted(ref, batch[b_end], side="right")
    else:
        # #ref <= batch[i] is the number of reference values whose #batch-below is <= i.
        ref_le = np.cumsum(np.bincount(below, minlength=n + 1))[b_end]
    keep = np.zeros(total + 1, dtype=bool)
    keep[0] = True
    keep[b_end + 1 + ref_le] = True
    keep[ref_hi] = True
    bounds = np.flatnonzero(keep)
    sizes = np.diff(bounds)
    c = total * np.diff(score_integral(bounds / total)) / sizes - 1.0
    weighted = sizes * c * c
    return float(np.sum(weighted)) / total, float(np.dot(weighted, c)) / total


def pearson3_sf(x: float, mean: float, sd: float, skewness: float) -> float:
    """``P(X >= x)`` for the Pearson type III law (shifted gamma) with these three moments."""
    if not sd > 0:
        return 1.0 if x <= mean else 0.0
    z = (x - mean) / sd
    if abs(skewness) < 1e-6:
        return float(d.norm_sf(z))
    shape = 4.0 / skewness**2
    # Standardised gamma: X = mean + sd * (G - shape) / sqrt(shape), G ~ Gamma(shape), mirrored
    # for a negative skewness.
    if skewness > 0:
        g = shape + z * math.sqrt(shape)
        return 1.0 if g <= 0 else float(special.gammaincc(shape, g))
    g = shape - z * math.sqrt(shape)
    return 0.0 if g <= 0 else float(special.gammainc(shape, g))


def normal_scores_test(sorted_ref: np.ndarray, sorted_batch: np.ndarray) -> NormalScoresTest:
    """Normal-scores test that the batch is *wider* (more spread out) than the reference.

    Parameters
    ----------
    sorted_ref, sorted_batch
        Finite values of each side, sorted ascending (neither is copied or re-sorted).

    Returns
    -------
    NormalScoresTest
        ``p_value`` is one-sided for a larger batch score sum; ``ratio`` is the effect.
    """
    ref = np.asarray(sorted_ref, dtype=float)
    batch = np.asarray(sorted_batch, dtype=float)
    n, m = len(batch), len(ref)
    if n == 0 or m == 0:
        raise ValueError("normal_scores_test needs a non-empty batch and reference")
    total = n + m
    below = np.searchsorted(batch, ref, side="left")
    repeats = np.flatnonzero(batch[1:] == batch[:-1])
    inside = below < n
    ties = (
        len(repeats) > 0
        or bool(np.any(ref[1:] == ref[:-1]))
        # A reference value equal to a batch value is the batch value at its insertion point.
        or bool(np.any(batch[below[inside]] == ref[inside]))
    )
    if ties:
        ref_sum, s2, s3 = _tied(ref, batch, below, repeats)
    else:
        # Reference value j (0-based) sits at pooled rank j + 1 + #batch below it.
        rank = np.arange(1, m + 1) + below
        ref_sum = float(total * np.sum(score_integral(rank / total) - score_integral((rank - 1) / total)))
        s2, s3 = untied_moments(total)
    statistic = total - ref_sum
    var = n * (total - n) / (total - 1) * s2 if total > 1 else 0.0
    third = n * (total - n) * (total - 2 * n) / ((total - 1) * (total - 2)) * s3 if total > 2 else 0.0
    sd = math.sqrt(max(var, 0.0))
    skew = third / sd**3 if sd > 0 else 0.0
    batch_mean, ref_mean = max(statistic, 0.0) / n, ref_sum / m
    ratio = math.sqrt(batch_mean / ref_mean) if ref_mean > 0 and batch_mean >= 0 else math.inf
    return NormalScoresTest(
        statistic=statistic,
        null_mean=float(n),
        null_sd=sd,
        null_skewness=skew,
        batch_mean_score=batch_mean,
        reference_mean_score=ref_mean,
        ratio=ratio,
        # log ratio = (log S/n - log (N - S)/m) / 2, whose derivative in S is N / (2 n m).
        null_sd_log_ratio=sd * total / (2.0 * n * m),
        p_value=min(1.0, max(0.0, pearson3_sf(statistic, float(n), sd, skew))),
        ties=ties,
        batch_size=n,
        reference_size=m,
    )


def needed_batch_size(
    score_variance: float, reference_size: int, ratio: float, alpha: float, power: float
) -> int | None:
    """Smallest batch size at which the test reaches ``power`` against an effect ``ratio`` (> 1).

    Normal approximation on the log ratio, whose null sd is about
    ``sqrt(score_variance / 4 * (1/n + 1/m))``; None when even an infinite batch is not enough
    (the reference sample alone is too noisy).
    """
    if not ratio > 1 or not score_variance > 0:
        return None
    z = float(d.norm_ppf(1.0 - alpha)) + float(d.norm_ppf(power))
    room = 4.0 * (math.log(ratio) / z) ** 2 / score_variance - 1.0 / reference_size
    if room <= 0:
        return None
    return math.ceil(1.0 / room)
