"""Entropy estimators and Hill numbers for count data (categories, tokens).

All entropies are in nats. The estimators take a 1-D array of non-negative integer counts (one per
type; zeros are ignored) and return a float. ``compare_with_null`` and ``compare_with_split_null``
compare a value with size-matched null draws; ``diversity_split_null`` draws the exact two-sample
null of categorical diversity (random splits of the pooled counts).

References
----------
Miller, G. (1955). Note on the bias of information estimates. In *Information Theory in Psychology*.
Chao, A. & Shen, T.-J. (2003). Nonparametric estimation of Shannon's index of diversity when there
are unseen species in sample. *Environ. Ecol. Stat.* 10, 429-443.
Hill, M. O. (1973). Diversity and evenness: a unifying notation and its consequences. *Ecology* 54.
Chao, A., Gotelli, N. J., Hsieh, T. C., et al. (2014). Rarefaction and extrapolation with Hill
numbers. *Ecological Monographs* 84(1), 45-67.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .distributions import hypergeom_pmf, norm_cdf, norm_sf


def as_counts(counts: np.ndarray | list[int] | list[float]) -> np.ndarray:
    """Validate counts and return the positive ones as int64.

    Raises
    ------
    ValueError
        When counts are not 1-D, negative, non-integer or not finite.
    """
    arr = np.asarray(counts, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"counts must be 1-D, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("counts must be finite")
    if np.any(arr < 0):
        raise ValueError("counts must be non-negative")
    if np.any(arr != np.round(arr)):
        raise ValueError("counts must be whole numbers")
    arr = arr[arr > 0].astype(np.int64)
    return arr


def count_frequencies(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(k, f_k)``: the distinct positive counts and how many types have each, as float64.

    Chao-Shen entropy and the rarefied Hill numbers q = 0, 2 depend on nothing else, and a
    column's counts repeat (many types seen once, twice, ...): computed from the frequencies they
    cost the number of distinct counts, not of types. ``counts`` are non-negative integers
    (validate with ``as_counts`` first when they come from outside).
    """
    if len(counts) and int(counts.max()) > 4 * len(counts):
        # Few types with large counts (5 categories of a million rows): a bincount as long as the
        # largest count would cost more than sorting the counts.
        k, f = np.unique(counts[counts > 0], return_counts=True)
        return k.astype(np.float64), f.astype(np.float64)
    f = np.bincount(counts)
    k = np.flatnonzero(f)
    k = k[k > 0]
    return k.astype(np.float64), f[k].astype(np.float64)


def chao_shen_from_frequencies(k: np.ndarray, f: np.ndarray) -> float:
    """``chao_shen_entropy`` of the counts whose frequencies are ``(k, f)`` (``count_frequencies``)."""
    n = float(np.dot(k, f))
    if n == 0:
        return 0.0
    f1 = float(f[0]) if len(k) and k[0] == 1 else 0.0
    if f1 == n:
        f1 = n - 1
    pa = (1.0 - f1 / n) * k / n
    return float(-np.sum(f * pa * np.log(pa) / (1.0 - (1.0 - pa) ** n)))


def hill_at_size(k: np.ndarray, f: np.ndarray, m: int) -> tuple[float, float]:
    """Hill numbers q = 0, 2 of the counts with frequencies ``(k, f)`` at ``m`` observations.

    Rarefied (``rarefied_hill``) when the counts hold more than ``m`` observations, plug-in at
    their own size otherwise (where the two agree at ``m = n``).
    """
    total = float(np.dot(k, f))
    if total <= m:
        return float(f.sum()), total**2 / float(np.dot(f, k * k))
    from scipy.special import gammaln

    # Chao et al. (2014): S(m) = sum_i 1 - C(N - X_i, m) / C(N, m); the q = 2 interpolation.
    rest = total - k
    with np.errstate(invalid="ignore"):
        log_absent = gammaln(rest + 1) - gammaln(rest - m + 1) - gammaln(total + 1) + gammaln(total - m + 1)
    absent = np.where(rest >= m, np.exp(log_absent), 0.0)
    q0 = float(np.dot(f, 1.0 - absent))
    simpson = float(np.dot(f, k * (k - 1.0))) / (total * (total - 1.0))
    return q0, 1.0 / (1.0 / m + (m - 1.0) / m * simpson)


def plugin_entropy(counts: np.ndarray | list[int]) -> float:
    """Maximum-likelihood (plug-in) Shannon entropy ``-sum p log p`` in nats.

    Biased downward; the bias grows with the number of unseen or rare types. Returns 0.0 for empty
    counts.
    """
    c = as_counts(counts)
    n = c.sum()
    if n == 0:
        return 0.0
    p = c / n
    return float(-np.sum(p * np.log(p)))


def miller_madow_entropy(counts: np.ndarray | list[int]) -> float:
    """Miller-Madow corrected entropy ``H_ML + (m - 1) / (2 n)`` (Miller 1955).

    ``m`` is the number of observed types and ``n`` the number of observations.
    """
    c = as_counts(counts)
    n = int(c.sum())
    if n == 0:
        return 0.0
    return plugin_entropy(c) + (len(c) - 1) / (2.0 * n)


def chao_shen_entropy(counts: np.ndarray | list[int]) -> float:
    """Chao-Shen (2003) coverage-adjusted Horvitz-Thompson entropy estimator.

    ``p~ = C p^`` with Good-Turing sample coverage ``C = 1 - f1/n`` and
    ``H = -sum p~ log p~ / (1 - (1 - p~)^n)``. As in the R package ``entropy``, when every
    observation is a singleton ``f1`` is set to ``n - 1`` so that coverage stays positive.
    """
    return chao_shen_from_frequencies(*count_frequencies(as_counts(counts)))


def hill_number(counts: np.ndarray | list[int], q: float) -> float:
    """Hill number (effective number of types) of order ``q`` of the plug-in proportions.

    ``qD = (sum p_i^q)^(1/(1-q))``; ``q = 0`` is richness, ``q -> 1`` is ``exp(H)``, ``q = 2`` is
    the inverse Simpson index (Hill 1973).
    """
    if q < 0:
        raise ValueError(f"q must be >= 0, got {q}")
    c = as_counts(counts)
    n = c.sum()
    if n == 0:
        return 0.0
    p = c / n
    if q == 0:
        return float(len(c))
    if abs(q - 1.0) < 1e-12:
        return math.exp(float(-np.sum(p * np.log(p))))
    return float(np.sum(p**q) ** (1.0 / (1.0 - q)))


def rarefied_hill(counts: np.ndarray | list[int], m: int, q: int) -> float:
    """Expected Hill number of order ``q`` in a random subsample of size ``m`` (no replacement).

    The interpolation formulas of Chao et al. (2014, Table 1) for sampling ``m`` of the ``n``
    observed individuals:

    * ``q = 0``: ``S(m) = sum_i [1 - C(n - X_i, m) / C(n, m)]`` (classical rarefaction);
    * ``q = 1``: ``exp(-sum_k (k/m) log(k/m) f_k(m))`` with
      ``f_k(m) = sum_i C(X_i, k) C(n - X_i, m - k) / C(n, m)`` (hypergeometric);
    * ``q = 2``: ``1 / (1/m + (m - 1)/m * sum_i X_i (X_i - 1) / (n (n - 1)))``.

    At ``m = n`` these equal the plug-in Hill numbers of ``counts``.
    """
    c = as_counts(counts)
    n = int(c.sum())
    if not 1 <= m <= n:
        raise ValueError(f"m must be between 1 and the number of observations ({n}), got {m}")
    if q == 0:
        return hill_at_size(*count_frequencies(c), m)[0]
    if q == 1:
        if m == n:
            return hill_number(c, 1)
        values, mult = np.unique(c, return_counts=True)
        h = 0.0
        for x, w in zip(values.tolist(), mult.tolist(), strict=True):
            lo = max(1, m - (n - x))
            hi = min(x, m)
            if hi < lo:
                continue
            k = np.arange(lo, hi + 1)
            pmf = hypergeom_pmf(k, n, x, m)
            share = k / m
            h -= w * float(np.sum(pmf * share * np.log(share)))
        return math.exp(h)
    if q == 2:
        return 1.0 if n < 2 else hill_at_size(*count_frequencies(c), m)[1]
    raise ValueError(f"rarefied Hill numbers are implemented for q in (0, 1, 2), got {q}")


@dataclass(frozen=True, slots=True)
class NullComparison:
    """An observed statistic against a size-matched null.

    Attributes
    ----------
    observed
        The batch's value.
    expected
        Centre of the null (what an honest sample of the same size gives).
    sd
        Spread of the null after inflation (see ``compare_with_null``).
    z
        ``(observed - expected) / sd``; from ``compare_with_split_null``, the standardised
        difference the tail used instead (``tail_p_value``: on the difference's own scale, log
        for ratios, over the wider of its sd and its worse-side semi-deviation).
    p_value
        One-sided p-value in the "worse" direction.
    null
        Up to 50 null values (inflated and centred), for plots.
    bounds
        Central 95% range of the null when taken from the draws' own quantiles (see
        ``compare_with_split_null``); ``None`` for ``expected +- 1.96 sd``.
    """

    observed: float
    expected: float
    sd: float
    z: float
    p_value: float
    null: tuple[float, ...]
    bounds: tuple[float, float] | None = None

    @property
    def interval(self) -> tuple[float, float]:
        """Central 95% range of the null (what an honest batch would show)."""
        if self.bounds is not None:
            return self.bounds
        return (self.expected - 1.96 * self.sd, self.expected + 1.96 * self.sd)


def compare_with_null(
    observed: float,
    null: np.ndarray | list[float],
    *,
    worse: str,
    expected: float | None = None,
    inflate: float = 1.0,
    min_sd: float = 0.0,
    guarded: bool = False,
) -> NullComparison:
    """One-sided test of an observed statistic against draws from a size-matched null.

    The null's deviations from their mean are multiplied by ``inflate`` and recentred on
    ``expected`` (default: the null mean). Use ``inflate = sqrt((1 + f) / (1 - f))`` for null draws
    taken without replacement as a fraction ``f`` of a finite reference sample: ``1 - f`` undoes the
    finite-population shrinkage of the draws, ``1 + f`` adds the reference sample's own sampling
    error (both exact for sample means, approximate otherwise).

    The p-value is the permutation-style ``(1 + k) / (B + 1)`` (Phipson & Smyth 2010) while the
    observed value lies inside the null's range, and a Gaussian tail fitted to the null beyond it:
    ``B`` draws cannot resolve p-values below ``1 / (B + 1)``, which a multiple-testing correction
    across many findings needs. With ``guarded`` the tail is ``tail_p_value``'s instead (Student's
    t on the wider of sd and worse-side semi-deviation, at least an exponential tail of the worse
    quarter of the draws), for statistics whose null is skewed toward the worse side, unless
    ``min_sd`` is larger than the draws' spread (that floor stands for a binomial-like null the
    draws cannot show). A degenerate null (every draw equal and no ``min_sd``) has no tail to fit:
    the p-value is then the permutation one, never 0.

    Parameters
    ----------
    observed
        The batch's statistic.
    null
        The statistic on ``B`` honest samples of the batch's size.
    worse
        ``"lower"`` if smaller values mean collapse, ``"higher"`` otherwise.
    expected
        Centre of the null when known analytically (e.g. rarefaction).
    inflate
        Factor for the null's spread (see above).
    min_sd
        Floor for the spread (for discrete statistics whose null can be degenerate).
    guarded
        Use the guarded tail beyond the draws (see above).
    """
    if worse not in ("lower", "higher"):
        raise ValueError(f"worse must be 'lower' or 'higher', got {worse!r}")
    draws = np.asarray(null, dtype=np.float64)
    draws = draws[np.isfinite(draws)]
    if len(draws) < 2:
        raise ValueError("the null needs at least two finite draws")
    centre = float(draws.mean()) if expected is None else float(expected)
    adjusted = centre + (draws - draws.mean()) * inflate
    draws_sd = float(adjusted.std(ddof=1))
    sd = max(draws_sd, float(min_sd))
    diff = observed - centre
    if sd > 0:
        z = diff / sd
    else:
        z = 0.0 if diff == 0 else math.copysign(math.inf, diff)
    if worse == "lower":
        p_gauss = float(norm_cdf(z))
        k = int(np.sum(adjusted <= observed))
    else:
        p_gauss = float(norm_sf(z))
        k = int(np.sum(adjusted >= observed))
    p_emp = (1 + k) / (len(adjusted) + 1)
    if sd <= 0:
        p = p_emp  # no spread to extrapolate from: B draws resolve no p-value below 1 / (B + 1)
    elif guarded and draws_sd >= min_sd:
        # Without the skewness cut-off: at the 20-40 draws these nulls get, sample skewness is too
        # noisy to switch on; the exponential envelope of the worse quarter follows a skewed tail.
        p = tail_p_value(observed, adjusted, worse=worse, max_skew=math.inf)[0]
    else:
        p = p_gauss if k == 0 else max(p_gauss, p_emp)
    step = max(1, len(adjusted) // 50)
    return NullComparison(
        observed=float(observed),
        expected=centre,
        sd=sd,
        z=float(z),
        p_value=float(min(1.0, p)),
        null=tuple(float(v) for v in np.sort(adjusted)[::step][:50]),
    )


def finite_population_inflation(fraction: float) -> float:
    """``sqrt((1 + f) / (1 - f))``: see ``compare_with_null``. ``f`` is capped at 0.9."""
    f = min(max(float(fraction), 0.0), 0.9)
    return math.sqrt((1.0 + f) / (1.0 - f))


def tail_p_value(
    observed: float, null: np.ndarray | list[float], *, worse: str, max_skew: float = 1.0
) -> tuple[float, float]:
    """One-sided p-value of ``observed`` against exchangeable null draws, with a guarded tail.

    Inside the draws' range the p-value is the permutation ``(1 + k) / (B + 1)`` (Phipson & Smyth
    2010; exact when the observed value is exchangeable with the draws), or the fitted tail where
    that is larger. Beyond the most extreme draw a tail is extrapolated so that a multiple-testing
    correction can still reach small levels, built not to be anti-conservative:

    * the spread is the larger of the draws' standard deviation and their semi-deviation on the
      "worse" side of the mean, so a null skewed toward the worse side gets the wider tail;
    * the tail is Student's ``t`` with ``B - 1`` degrees of freedom scaled by ``sqrt(1 + 1/B)``,
      the predictive law of one more draw from a normal whose mean and variance were estimated
      from the ``B`` draws, heavier than the normal at the ``B`` a check can afford;
    * beyond the draws the p-value is at least that of an exponential tail fitted to the worse
      quarter of the draws (threshold the quarter's edge, scale its mean excess): heavier than the
      normal, so moderate skew or kurtosis of the null does not make the tail anti-conservative;
    * a null skewed toward the worse side beyond ``max_skew`` (sample skewness; its standard
      error is about ``sqrt(6 / B)``, 0.39 at ``B = 40``) has a tail no normal or ``t`` law
      follows: the permutation p-value is returned, as for a null without spread (all draws
      equal).

    Returns ``(p_value, z)`` with ``z`` the standardised distance on the spread above.
    """
    if worse not in ("lower", "higher"):
        raise ValueError(f"worse must be 'lower' or 'higher', got {worse!r}")
    draws = np.asarray(null, dtype=np.float64)
    draws = draws[np.isfinite(draws)]
    b = len(draws)
    if b < 2:
        raise ValueError("the null needs at least two finite draws")
    sign = 1.0 if worse == "lower" else -1.0
    d = sign * draws
    obs = sign * float(observed)
    k = int(np.sum(d <= obs))
    p_perm = (1 + k) / (b + 1)
    centre = float(d.mean())
    below = d[d < centre] - centre
    semi = math.sqrt(float(np.sum(below**2)) / len(below)) if len(below) else 0.0
    sd = max(float(d.std(ddof=1)), semi)
    if not sd > 0 or not math.isfinite(obs):
        z = 0.0 if obs == centre else math.copysign(math.inf, obs - centre)
        return float(min(1.0, p_perm)), sign * z
    z = (obs - centre) / sd
    skew = float(np.mean((d - centre) ** 3)) / float(d.std()) ** 3 if d.std() > 0 else 0.0
    if -skew > max_skew:
        return float(min(1.0, p_perm)), sign * z
    from scipy.special import stdtr

    p_tail = float(stdtr(b - 1, z / math.sqrt(1.0 + 1.0 / b)))
    if k == 0:
        # Exponential envelope fitted to the worse quarter of the draws (peaks over threshold):
        # lighter tails than it (the normal's) are over-covered, so skew and heavy tails the
        # draws can show are not extrapolated as normal.
        q = max(5, b // 4)
        low = np.sort(d)[:q]
        excess = float(np.mean(low[-1] - low[:-1]))
        if excess > 0:
            p_tail = max(p_tail, q / (b + 1) * math.exp(-(low[-1] - obs) / excess))
    p = min(p_perm, p_tail) if k == 0 else max(p_perm, p_tail)
    return float(min(1.0, max(p, 0.0))), sign * z


def compare_with_split_null(
    batch_value: float,
    reference_value: float,
    null_differences: np.ndarray | list[float],
    *,
    worse: str,
    log_scale: bool = False,
) -> NullComparison:
    """Two-sample comparison against random splits of the pooled data (an exact permutation null).

    ``batch_value`` and ``reference_value`` are one statistic on each side at a common size; the
    test statistic is their difference ``D`` (``log`` ratio with ``log_scale``), and
    ``null_differences`` holds ``D`` on random splits of the pooled rows into a reference-sized
    and a batch-sized part. Under H0 the two samples are exchangeable, so the observed ``D`` is one
    more draw from that law and the p-value (``tail_p_value``) is exact inside the draws.

    The result is on the statistic's own scale: ``expected`` is what an honest batch would show
    next to this reference (``reference_value`` shifted by the mean null difference), ``bounds``
    the central 95% of the honest batches (null quantiles), ``null`` up to 50 of them for plots,
    ``sd`` their standard deviation and ``z`` the standardised difference used for the tail.
    """
    diffs = np.asarray(null_differences, dtype=np.float64)
    diffs = diffs[np.isfinite(diffs)]
    if log_scale:
        if batch_value <= 0 or reference_value <= 0:
            raise ValueError("log_scale needs positive values")
        observed = math.log(batch_value) - math.log(reference_value)
    else:
        observed = batch_value - reference_value
    p, z = tail_p_value(observed, diffs, worse=worse)

    def back(d: np.ndarray | float) -> np.ndarray:
        d = np.asarray(d, dtype=np.float64)
        return reference_value * np.exp(d) if log_scale else reference_value + d

    values = back(diffs)
    lo, hi = np.quantile(diffs, [0.025, 0.975])
    step = max(1, len(values) // 50)
    return NullComparison(
        observed=float(batch_value),
        expected=float(back(float(diffs.mean()))),
        sd=float(values.std(ddof=1)),
        z=float(z),
        p_value=p,
        null=tuple(float(v) for v in np.sort(values)[::step][:50]),
        bounds=(float(back(lo)), float(back(hi))),
    )


# Two-sample diversity of categorical counts against random splits of the pool (the exact null of
# diversity-loss's categorical findings; see docs/checks/diversity-loss.md).

HypergeometricMethod = Literal["count", "marginals"]

#: Size-m subsamples whose mean Chao-Shen entropy stands for a side larger than the matched size.
CHAO_SHEN_SUBSAMPLES = 3


def diversity_at_size(
    x: np.ndarray, m: int, rng: np.random.Generator, method: HypergeometricMethod
) -> tuple[float, float, float]:
    """(Chao-Shen entropy, Hill q0, Hill q2) of counts ``x`` matched to ``m`` rows.

    The Hill numbers are rarefied to ``m`` in closed form (``hill_at_size``); the Chao-Shen entropy
    of a side larger than ``m`` is the mean over ``CHAO_SHEN_SUBSAMPLES`` size-``m`` subsamples drawn
    without replacement with ``rng`` (``method`` as in ``Generator.multivariate_hypergeometric``).
    """
    frequencies = count_frequencies(x)
    q0, q2 = hill_at_size(*frequencies, m)
    if int(x.sum()) <= m:
        return chao_shen_from_frequencies(*frequencies), q0, q2
    subs = [rng.multivariate_hypergeometric(x, m, method=method) for _ in range(CHAO_SHEN_SUBSAMPLES)]
    return float(np.mean([chao_shen_from_frequencies(*count_frequencies(s)) for s in subs])), q0, q2


def matched_diversity(
    ref: np.ndarray, bat: np.ndarray, m: int, rng: np.random.Generator, method: HypergeometricMethod
) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """``diversity_at_size`` of the reference counts, then of the batch counts (in that order)."""
    return diversity_at_size(ref, m, rng, method), diversity_at_size(bat, m, rng, method)


def diversity_differences(
    ref: tuple[float, float, float], bat: tuple[float, float, float]
) -> tuple[float, ...]:
    """``D``: batch minus reference Chao-Shen entropy, log ratios of the Hill numbers q = 0, 2."""
    return (bat[0] - ref[0], math.log(bat[1] / ref[1]), math.log(bat[2] / ref[2]))


def diversity_split_null(
    r: np.ndarray, b: np.ndarray, draws: int, rng: np.random.Generator
) -> tuple[tuple[tuple[float, float, float], tuple[float, float, float]], np.ndarray]:
    """The statistics of both sides at ``m = min(N, n)`` and ``D`` on ``draws`` random splits.

    ``r`` and ``b`` are the reference and batch counts of the same categories (none zero in
    both). Each split draws the smaller side's rows from the pooled counts without replacement
    (``multivariate_hypergeometric``); the larger side is the rest. Returns
    ``((reference, batch), null)`` with each side as (Chao-Shen entropy, Hill q0, Hill q2) and
    ``null`` of shape ``(draws, 3)`` holding ``diversity_differences`` of each split.
    """
    n_ref, n = int(r.sum()), int(b.sum())
    m = min(n, n_ref)
    pool = r + b
    method: HypergeometricMethod = "count" if pool.sum() <= 10 * len(pool) else "marginals"
    obs = matched_diversity(r, b, m, rng, method)
    null = np.empty((draws, 3))
    for j in range(draws):
        x = rng.multivariate_hypergeometric(pool, m, method=method)
        ref_j, bat_j = (x, pool - x) if n_ref <= n else (pool - x, x)
        null[j] = diversity_differences(*matched_diversity(ref_j, bat_j, m, rng, method))
    return obs, null
