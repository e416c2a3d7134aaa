"""Tail statistics against hand-computed and scipy values, and their calibration."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from collapse_guard.stats import distributions as d
from collapse_guard.stats import normal_scores as ns
from collapse_guard.stats import tails
from collapse_guard.stats.tails import (
    HillIndex,
    QuantileSpread,
    clopper_pearson,
    exceedance_power,
    exceedance_test,
    hill_k,
    hill_xi,
    needed_batch_size,
    order_statistic_ratio_tests,
    permutation_ratio_test,
    permutation_ratio_tests,
    pooled_quantile,
    ratio_power,
    spread,
    tail_threshold,
)


def test_clopper_pearson_matches_scipy_exact_interval() -> None:
    ci = stats.binomtest(5, 20).proportion_ci(confidence_level=0.95, method="exact")
    lo, hi = clopper_pearson(5, 20)
    assert lo == pytest.approx(ci.low, rel=1e-9)
    assert hi == pytest.approx(ci.high, rel=1e-9)
    assert clopper_pearson(0, 10)[0] == 0.0
    assert clopper_pearson(10, 10)[1] == 1.0


def test_tail_threshold_counts_strictly_beyond() -> None:
    ref = np.arange(1.0, 101.0)
    assert tail_threshold(ref, 0.99) == (99.0, 1)
    assert tail_threshold(ref, 0.9) == (90.0, 10)
    assert tail_threshold(ref, 0.01) == (2.0, 1)
    # All ties: nothing lies strictly beyond, whichever side.
    flat = np.full(50, 3.0)
    assert tail_threshold(flat, 0.99) == (3.0, 0)
    assert tail_threshold(flat, 0.01) == (3.0, 0)


def test_exceedance_beta_binomial_by_hand() -> None:
    # n = 1, y = 0, m = 1: p ~ Beta(1, 2), P(K = 0) = E[1 - p] = 2/3.
    res = exceedance_test(0, 1, 0, 1)
    assert res.p_value == pytest.approx(2 / 3)
    # n = 2, y = 1, m = 1: p ~ Beta(2, 1); P(K <= 0) = E[(1-p)^2] = B(2, 3) / B(2, 1) = 1/6.
    assert exceedance_test(0, 2, 1, 1).p_value == pytest.approx(1 / 6)


def test_exceedance_tends_to_exact_binomial_for_large_reference() -> None:
    res = exceedance_test(25, 5000, 10_000_000, 1_000_000_000)
    expected = stats.binomtest(25, 5000, 0.01, alternative="less").pvalue
    assert res.p_value == pytest.approx(expected, rel=0.02)
    assert res.ratio == pytest.approx(0.5)
    assert res.expected_count == pytest.approx(50.0, rel=1e-3)


def test_exceedance_is_calibrated_with_reference_uncertainty() -> None:
    # Small reference (m = 300), threshold at its own q0.95: the plain binomial test would be
    # anti-conservative; the beta-binomial null must keep the false-alarm rate at alpha.
    rng = np.random.default_rng(7)
    rejections = 0
    reps = 3000
    for _ in range(reps):
        ref = np.sort(rng.normal(size=300))
        batch = rng.normal(size=400)
        t, y = tail_threshold(ref, 0.95)
        k = int(np.sum(batch > t))
        rejections += exceedance_test(k, 400, y, 300, t).p_value <= 0.05
    assert rejections / reps <= 0.06


def test_exceedance_detects_a_halved_tail() -> None:
    rng = np.random.default_rng(3)
    ref = np.sort(rng.normal(size=20_000))
    t, y = tail_threshold(ref, 0.99)
    batch = rng.normal(size=5000)
    beyond = np.flatnonzero(batch > t)
    batch[beyond[: len(beyond) // 2]] = 0.0
    res = exceedance_test(int(np.sum(batch > t)), 5000, y, 20_000, t)
    assert res.p_value < 0.01
    assert 0.3 < res.ratio < 0.7


def test_needed_batch_size_is_the_first_size_with_power() -> None:
    # An independent power table (alpha = 0.01, power 0.8); it used a slightly different
    # convention for the saw-tooth, so agree within 6%.
    table = {(0.05, 0.5): 636, (0.01, 0.5): 3199, (0.01, 0.2): 1009, (0.01, 0.0): 459, (0.001, 0.0): 4603}
    for (p, r), want in table.items():
        n = needed_batch_size(p, r)
        assert n is not None
        assert abs(n - want) / want < 0.06
        assert float(exceedance_power(n, p, r)) >= 0.8
        assert float(exceedance_power(n - 1, p, r)) < 0.8
    # A tail that is gone entirely: power = P(K = 0 | p = 0) = 1 once c_alpha >= 0,
    # i.e. (1 - p0)^n <= alpha: n >= log(0.01) / log(0.99) = 458.2.
    assert needed_batch_size(0.01, 0.0) == 459


def test_needed_batch_size_with_small_reference_is_larger_or_none() -> None:
    known = needed_batch_size(0.01, 0.5)
    uncertain = needed_batch_size(0.01, 0.5, reference=(20, 2000))
    assert known is not None and uncertain is not None and uncertain > known
    assert needed_batch_size(0.01, 0.5, reference=(1, 100)) is None
    assert needed_batch_size(0.0, 0.5) is None


def test_hill_by_hand_and_on_pareto() -> None:
    x = np.array([1.0, 2.0, 4.0, 8.0])
    assert hill_xi(x, k=2) == pytest.approx(1.5 * math.log(2))
    assert math.isnan(hill_xi(np.array([-1.0, 2.0, 3.0]), k=2))
    assert math.isnan(hill_xi(np.array([2.0, 3.0]), k=2))
    assert hill_k(10_000) == 100
    rng = np.random.default_rng(1)
    pareto = np.sort(rng.pareto(2.0, size=200_000) + 1.0)  # xi = 1/2
    assert hill_xi(pareto) == pytest.approx(0.5, abs=0.03)


def test_spread_is_a_quantile_difference() -> None:
    x = np.arange(0.0, 101.0)
    assert spread(x, 0.25, 0.75) == pytest.approx(50.0)
    assert spread(x, 0.01, 0.99) == pytest.approx(98.0)
    assert math.isnan(spread(np.array([]), 0.25, 0.75))


def test_permutation_ratio_test_both_ways() -> None:
    rng = np.random.default_rng(11)
    ref = rng.normal(size=5000)

    def iqr(v: np.ndarray) -> float:
        return spread(v, 0.25, 0.75)

    same = permutation_ratio_test(ref, rng.normal(size=2000), iqr, np.random.default_rng(0))
    narrow = permutation_ratio_test(ref, 0.8 * rng.normal(size=2000), iqr, np.random.default_rng(0))
    assert same.p_value > 0.01
    assert 0.9 < same.ratio < 1.1
    assert narrow.p_value < 1e-4
    assert narrow.interval[0] < narrow.ratio < narrow.interval[1] < 0.95
    # Same seed, same answer.
    again = permutation_ratio_test(
        ref, 0.8 * np.random.default_rng(5).normal(size=2000), iqr, np.random.default_rng(0)
    )
    assert again == permutation_ratio_test(
        ref, 0.8 * np.random.default_rng(5).normal(size=2000), iqr, np.random.default_rng(0)
    )


def test_permutation_ratio_test_degenerate_statistic() -> None:
    res = permutation_ratio_test(
        np.zeros(100), np.zeros(50), lambda v: spread(v, 0.25, 0.75), np.random.default_rng(0)
    )
    assert math.isnan(res.p_value)


def test_permutation_ratio_test_is_calibrated_on_discrete_values() -> None:
    # Like a pixel column: ~74% zeros, so the upper quartile of an honest half is 0 or 1 and
    # the IQR ratio is often exactly 0. That must not look like collapse.
    rng = np.random.default_rng(2)
    pool = np.where(rng.random(900) < 0.74, 0.0, rng.integers(1, 8, size=900).astype(float))
    small = zero = 0
    for i in range(60):
        perm = rng.permutation(pool)
        res = permutation_ratio_test(
            perm[:450], perm[450:], lambda v: spread(v, 0.25, 0.75), np.random.default_rng(i)
        )
        zero += res.ratio == 0
        small += res.p_value < 0.01
    assert zero > 0  # the case arises
    assert small <= 1


def test_permutation_ratio_test_reports_both_sides() -> None:
    rng = np.random.default_rng(12)
    ref = rng.normal(size=3000)

    def iqr(v: np.ndarray) -> float:
        return spread(v, 0.25, 0.75)

    wide = permutation_ratio_test(ref, 1.25 * rng.normal(size=1500), iqr, np.random.default_rng(0))
    assert wide.p_larger < 1e-4 and wide.p_value > 0.5
    narrow = permutation_ratio_test(ref, 0.8 * rng.normal(size=1500), iqr, np.random.default_rng(0))
    assert narrow.p_value < 1e-4 and narrow.p_larger > 0.5


# --- the other side: more tail than an honest batch would have ---------------------------------


def test_exceedance_greater_by_hand_and_against_scipy() -> None:
    # n = 1, y = 0, m = 1, one threshold: p ~ Beta(1, 1); P(K >= 1) = E[p] = 1/2.
    assert exceedance_test(1, 1, 0, 1, alternative="greater").p_value == pytest.approx(0.5)
    # Both tails of 20,000 reference values with 400 beyond: the exact law is Beta(402, 19599).
    res = exceedance_test(130, 5000, 400, 20_000, alternative="greater", thresholds=2)
    # scipy sums its upper tail as 1 - cdf: good to about 1e-10 absolute.
    assert res.p_value == pytest.approx(stats.betabinom.sf(129, 5000, 402, 19_599), abs=1e-10)
    assert res.expected_count == pytest.approx(5000 * 402 / 20_001)
    assert res.ratio == pytest.approx(1.3)
    assert res.alternative == "greater"
    # The "less" side is unchanged by the new parameters.
    assert exceedance_test(80, 5000, 400, 20_000, thresholds=2).p_value == pytest.approx(
        stats.betabinom.cdf(80, 5000, 401, 19_601), rel=1e-9
    )


def test_betabinom_tails_match_scipy_and_stay_exact_far_out() -> None:
    """The beta-binomial tails exceedance_test uses (stats.distributions), at batch sizes."""
    for n, a, b in [(10, 1.0, 1.0), (5000, 201.0, 19_801.0), (100_000, 402.0, 19_600.0), (50, 0.5, 7.0)]:
        mean = n * a / (a + b)
        for k in sorted({0, 1, int(mean / 2), int(mean), int(mean * 1.2) + 1, n}):
            # scipy's upper tail is 1 - cdf: accurate to about 1e-10 absolute only.
            assert d.betabinom_cdf(k, n, a, b) == pytest.approx(
                stats.betabinom.cdf(k, n, a, b), rel=1e-8, abs=1e-10
            )
            assert d.betabinom_sf(k - 1, n, a, b) == pytest.approx(
                stats.betabinom.sf(k - 1, n, a, b), rel=1e-8, abs=1e-9
            )
    # Far in the upper tail the mirror image (n - K ~ BetaBinomial(n, b, a)) is the accurate value.
    far = d.betabinom_sf(2999, 100_000, 402.0, 19_600.0)
    assert far == pytest.approx(stats.betabinom.cdf(97_000, 100_000, 19_600.0, 402.0), rel=1e-6)
    assert 0 < far < 1e-12


def test_exceedance_greater_is_calibrated_with_a_small_reference() -> None:
    # Both 5% tails of a 300-value reference: the uniform-posterior law would put the null mass
    # one pseudo-count too low and flag honest batches; the exact law must keep alpha.
    rng = np.random.default_rng(8)
    reps, rejections = 3000, 0
    for _ in range(reps):
        ref = np.sort(rng.normal(size=300))
        batch = rng.normal(size=400)
        (lo, y_lo), (hi, y_hi) = tail_threshold(ref, 0.05), tail_threshold(ref, 0.95)
        k = int(np.sum(batch < lo) + np.sum(batch > hi))
        res = exceedance_test(k, 400, y_lo + y_hi, 300, alternative="greater", thresholds=2)
        rejections += res.p_value <= 0.05
    assert 0.03 <= rejections / reps <= 0.06


def test_needed_batch_size_for_more_tail_is_the_first_size_with_power() -> None:
    # Known p0 = 2%, true mass 3%, alpha = 0.01: the exact binomial test, by brute force.
    sizes = np.arange(1000, 4000)
    crit = stats.binom.isf(0.01, sizes, 0.02) + 1  # smallest c with P(K >= c) <= alpha
    crit = np.where(stats.binom.sf(crit - 2, sizes, 0.02) <= 0.01, crit - 1, crit)
    power = stats.binom.sf(crit - 1, sizes, 0.03)
    first = int(sizes[np.flatnonzero(power >= 0.8)[0]])
    n = needed_batch_size(0.02, 1.5, alternative="greater")
    assert n is not None
    assert float(exceedance_power(n, 0.02, 1.5, alternative="greater")) >= 0.8
    assert float(exceedance_power(n - 1, 0.02, 1.5, alternative="greater")) < 0.8
    assert abs(n - first) / first < 0.06  # the saw-tooth: a crossing near the first one
    # With a reference sample the law is wider, so more rows are needed; a ratio the reference
    # cannot resolve has no size at all.
    uncertain = needed_batch_size(0.02, 1.5, reference=(400, 20_000), alternative="greater", thresholds=2)
    assert uncertain is not None and uncertain > n
    assert needed_batch_size(0.02, 1.5, reference=(4, 200), alternative="greater", thresholds=2) is None
    assert needed_batch_size(0.02, 0.9, alternative="greater") is None


def test_pooled_quantile_by_hand() -> None:
    x = np.array([0.0, 1.0, 2.0, 3.0])  # order statistic i sits at (i - 0.5) / 4
    u = np.array([0.0, 0.125, 0.25, 0.5, 0.875, 1.0])
    np.testing.assert_allclose(pooled_quantile(x, u), [0.0, 0.0, 0.5, 1.5, 3.0, 3.0])
    assert pooled_quantile(np.array([7.0]), np.array([0.3]))[0] == 7.0


def test_simulated_spread_follows_uniform_order_statistics() -> None:
    # From a uniform population the spread of n draws is U_(s) - U_(r) ~ Beta(s - r, n + 1 - s + r).
    population = (np.arange(200_000) + 0.5) / 200_000
    n = 1001  # quantiles 0.01 / 0.99 are order statistics 11 and 991
    sims = QuantileSpread(0.01, 0.99).simulate(population, n, 20_000, np.random.default_rng(0))
    law = stats.beta(980, n + 1 - 980)
    assert np.mean(sims) == pytest.approx(law.mean(), abs=2e-4)
    assert np.std(sims) == pytest.approx(law.std(), rel=0.03)
    assert QuantileSpread(0.25, 0.75)(population) == pytest.approx(0.5, abs=1e-5)


def test_simulated_hill_follows_the_gamma_law_on_pareto() -> None:
    # For an exact Pareto tail, k * xi_hat / xi ~ Gamma(k): mean xi, sd xi / sqrt(k).
    xi = 0.5
    u = (np.arange(400_000) + 0.5) / 400_000
    population = (1 - u) ** -xi  # Pareto quantile function, x_m = 1
    n = 2500
    sims = HillIndex().simulate(population, n, 4000, np.random.default_rng(1))
    k = hill_k(n)
    assert np.mean(sims) == pytest.approx(xi, rel=0.02)
    assert np.std(sims) == pytest.approx(xi / math.sqrt(k), rel=0.06)
    assert math.isnan(HillIndex().simulate(-population[::-1], n, 10, np.random.default_rng(1))[0])


def test_order_statistic_null_is_calibrated_both_ways_and_matches_permutations() -> None:
    rng = np.random.default_rng(21)
    stats_ = {"wide": QuantileSpread(0.01, 0.99), "iqr": QuantileSpread(0.25, 0.75), "hill": HillIndex()}
    low = high = 0
    reps = 300
    for i in range(reps):
        ref = np.sort(rng.lognormal(0, 1, 5000))
        bat = np.sort(rng.lognormal(0, 1, 1000))
        res = order_statistic_ratio_tests(ref, bat, stats_, np.random.default_rng(i), 400)
        low += sum(t.p_value <= 0.05 for t in res.values())
        high += sum(t.p_larger <= 0.05 for t in res.values())
    assert 0.025 <= low / (3 * reps) <= 0.075
    assert 0.025 <= high / (3 * reps) <= 0.075
    # Its null spread agrees with the exact (permutation) one.
    ref, bat = np.sort(rng.lognormal(0, 1, 3000)), np.sort(rng.lognormal(0, 1, 1500))
    sim = order_statistic_ratio_tests(ref, bat, stats_, np.random.default_rng(0), 2000)
    perm = permutation_ratio_tests(ref, bat, stats_, np.random.default_rng(0), 400, 10**9)
    for name in stats_:
        assert sim[name].null_sd == pytest.approx(perm[name].null_sd, rel=0.2), name


def test_order_statistic_ratio_tests_see_widening_and_narrowing() -> None:
    rng = np.random.default_rng(4)
    ref = np.sort(rng.normal(size=20_000))
    spreads = {"wide": QuantileSpread(0.01, 0.99)}
    wider = order_statistic_ratio_tests(ref, np.sort(1.1 * rng.normal(size=5000)), spreads, rng, 1000)
    assert wider["wide"].p_larger < 1e-4 and wider["wide"].p_value > 0.5
    assert wider["wide"].interval[0] < wider["wide"].ratio < wider["wide"].interval[1]
    narrower = order_statistic_ratio_tests(ref, np.sort(0.9 * rng.normal(size=5000)), spreads, rng, 1000)
    assert narrower["wide"].p_value < 1e-4 and narrower["wide"].p_larger > 0.5
    flat = order_statistic_ratio_tests(np.zeros(100), np.zeros(50), spreads, rng, 100)
    assert math.isnan(flat["wide"].p_value) and math.isnan(flat["wide"].p_larger)
    # Same seed, same answer.
    x = np.sort(rng.normal(size=3000))
    assert order_statistic_ratio_tests(ref, x, spreads, np.random.default_rng(3), 500) == (
        order_statistic_ratio_tests(ref, x, spreads, np.random.default_rng(3), 500)
    )


def test_ratio_power_by_hand() -> None:
    # |log 1.25| / 0.05 - z_0.99 = 4.463 - 2.326
    want = stats.norm.cdf(math.log(1.25) / 0.05 - stats.norm.ppf(0.99))
    assert ratio_power(0.05, 1.25, 0.01) == pytest.approx(want)
    # A narrowing by the same factor has the same power.
    assert ratio_power(0.05, 0.8, 0.01) == pytest.approx(want)
    assert ratio_power(math.nan, 1.25) == 0.0


# --------------------------------------------------------------------------- normal scores


def _hand_score_integral(u: float) -> float:
    """G(u) = u - z phi(z), z = Phi^-1(u): the integral of Phi^-1(t)^2 over (0, u)."""
    if u <= 0 or u >= 1:
        return float(u >= 1)
    z = stats.norm.ppf(u)
    return float(u - z * stats.norm.pdf(z))


def _brute_scores(ref: np.ndarray, batch: np.ndarray) -> tuple[np.ndarray, int]:
    """Every pooled value's score from a full sort (mid-rank groups averaged); batch first."""
    pooled = np.concatenate([batch, ref])
    total = len(pooled)
    u = np.arange(total + 1) / total
    z = stats.norm.ppf(u[1:-1])
    g = np.r_[0.0, u[1:-1] - z * stats.norm.pdf(z), 1.0]
    cells = total * np.diff(g)
    order = np.argsort(pooled, kind="stable")
    values = pooled[order]
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    group = np.cumsum(np.r_[True, values[1:] != values[:-1]]) - 1
    means = np.add.reduceat(cells, starts) / np.diff(np.r_[starts, total])
    scores = np.empty(total)
    scores[order] = means[group]
    return scores, len(batch)


def test_normal_scores_by_hand() -> None:
    # N = 4: cell scores 4 (G(r/4) - G((r-1)/4)) = 1 + 4|z|phi(z), 1 - 4|z|phi(z), ... with
    # z = Phi^-1(1/4), because G(1/4) = 1/4 + |z|phi(z), G(1/2) = 1/2, G(1) = 1.
    z = abs(stats.norm.ppf(0.25))
    outer, inner = 1 + 4 * z * stats.norm.pdf(z), 1 - 4 * z * stats.norm.pdf(z)
    t = ns.normal_scores_test(np.array([2.0, 3.0]), np.array([0.0, 5.0]))
    assert not t.ties
    assert t.statistic == pytest.approx(2 * outer)
    assert t.batch_mean_score == pytest.approx(outer) and t.reference_mean_score == pytest.approx(inner)
    assert t.ratio == pytest.approx(math.sqrt(outer / inner))
    # Null: 2 of the 4 scores without replacement; population variance (outer - 1)^2.
    assert t.null_mean == 2.0
    assert t.null_sd == pytest.approx(math.sqrt(2 * 2 / 3 * (outer - 1) ** 2))
    assert t.null_skewness == pytest.approx(0.0, abs=1e-12)  # N - 2n = 0
    # Ties: pooled 1, 1, 1, 2; the three tied values share the mean of the first three cells.
    t = ns.normal_scores_test(np.array([1.0, 1.0]), np.array([1.0, 2.0]))
    g34 = _hand_score_integral(0.75)
    assert t.ties
    assert t.statistic == pytest.approx(4 * g34 / 3 + 4 * (1 - g34))
    assert t.statistic + t.reference_mean_score * 2 == pytest.approx(4.0)  # scores sum to N


@pytest.mark.parametrize("kind", ["continuous", "tied", "few ties"])
def test_normal_scores_moments_are_the_exact_permutation_moments(kind: str) -> None:
    rng = np.random.default_rng(5)
    if kind == "continuous":
        ref, batch = np.sort(rng.normal(size=9)), np.sort(rng.normal(1.0, 2.0, size=6))
    elif kind == "few ties":
        # A repeated batch value and a value shared by both sides: the untied moments, corrected.
        ref, batch = rng.normal(size=9), rng.normal(1.0, 2.0, size=6)
        batch[1], batch[4] = batch[0], ref[2]
        ref, batch = np.sort(ref), np.sort(batch)
    else:
        ref, batch = (
            np.sort(rng.integers(0, 4, 9).astype(float)),
            np.sort(rng.integers(0, 5, 6).astype(float)),
        )
    t = ns.normal_scores_test(ref, batch)
    scores, n = _brute_scores(ref, batch)
    assert t.statistic == pytest.approx(scores[:n].sum())
    assert t.ties == (kind != "continuous")
    # Every split of the 15 pooled values into 6 + 9: the exact permutation law of S.
    sums = np.array([scores[list(c)].sum() for c in itertools.combinations(range(15), n)])
    assert t.null_mean == pytest.approx(sums.mean())
    assert t.null_sd == pytest.approx(sums.std())
    assert t.null_skewness == pytest.approx(stats.skew(sums), abs=1e-9)
    assert t.p_value == pytest.approx(np.mean(sums >= t.statistic - 1e-12), abs=0.06)


def test_untied_null_moments_match_the_direct_sums() -> None:
    ns.untied_moments.cache_clear()
    for total in (1000, 30_000):
        cells = total * np.diff(ns.score_integral(np.arange(total + 1) / total))
        assert cells.sum() == pytest.approx(total)
        s2, s3 = ns.untied_moments(total)
        assert s2 == pytest.approx(np.mean((cells - 1) ** 2), rel=1e-9)
        assert s3 == pytest.approx(np.mean((cells - 1) ** 3), rel=1e-9)
    # They tend to the chi-square(1) moments 2 and 8.
    assert ns.untied_moments(10**7) == pytest.approx((2.0, 8.0), rel=1e-3)


@pytest.mark.parametrize(("n", "m", "discrete"), [(60, 240, False), (400, 100, False), (80, 300, True)])
def test_normal_scores_pearson_tail_matches_permutations(n: int, m: int, discrete: bool) -> None:
    """The shifted-gamma p-value at the permutation law's 5% and 1% points."""
    rng = np.random.default_rng(n)
    pooled = rng.poisson(3, n + m).astype(float) if discrete else rng.standard_t(3, n + m)
    t = ns.normal_scores_test(np.sort(pooled[n:]), np.sort(pooled[:n]))
    scores, _ = _brute_scores(pooled[n:], pooled[:n])
    draws = 40_000
    picks = np.argsort(rng.random((draws, n + m)), axis=1)[:, :n]
    sums = scores[picks].sum(axis=1)
    for level, tol in ((0.05, 0.1), (0.01, 0.2)):
        crit = np.quantile(sums, 1 - level)
        p = ns.pearson3_sf(crit, t.null_mean, t.null_sd, t.null_skewness)
        assert p == pytest.approx(level, rel=tol), (level, p)


@pytest.mark.parametrize("source", ["gaussian", "pareto", "integers"])
def test_normal_scores_p_values_are_uniform_on_clean_splits(source: str) -> None:
    rng = np.random.default_rng(77)

    def draw(size: int) -> np.ndarray:
        if source == "gaussian":
            return rng.normal(size=size)
        if source == "pareto":
            return rng.pareto(1.5, size) + 1
        return rng.poisson(4, size).astype(float)

    p = []
    for size in (500, 5000, 50_000):
        for _ in range(150 if size < 50_000 else 60):
            t = ns.normal_scores_test(np.sort(draw(20_000)), np.sort(draw(size)))
            p.append(t.p_value)
            assert t.ties == (source == "integers")
    p_arr = np.array(p)
    assert stats.kstest(p_arr, "uniform").pvalue > 0.01
    assert np.mean(p_arr <= 0.05) <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / len(p_arr))
    assert np.mean(p_arr <= 0.01) <= 0.01 + 3 * math.sqrt(0.01 * 0.99 / len(p_arr))


def test_normal_scores_see_a_wider_normal_and_measure_the_sd_ratio() -> None:
    rng = np.random.default_rng(8)
    ref = np.sort(rng.normal(size=20_000))
    wide = ns.normal_scores_test(ref, np.sort(rng.normal(0, 1.1, 5000)))
    assert wide.p_value < 1e-10
    assert wide.ratio == pytest.approx(1.1, abs=0.03)
    # Null sd of the log ratio: sqrt((1/n + 1/m) / 2) without ties, as for log(sd ratio).
    assert wide.null_sd_log_ratio == pytest.approx(math.sqrt((1 / 5000 + 1 / 20_000) / 2), rel=0.01)
    narrow = ns.normal_scores_test(ref, np.sort(rng.normal(0, 0.9, 5000)))
    assert narrow.p_value > 0.99 and narrow.ratio < 1
    # Only ranks enter: a monotone transform of both sides changes nothing.
    x = np.sort(rng.normal(0, 1.05, 3000))
    a, b = ns.normal_scores_test(ref, x), ns.normal_scores_test(np.exp(ref), np.exp(x))
    assert (a.statistic, a.p_value) == pytest.approx((b.statistic, b.p_value))


def test_normal_scores_needed_batch_size_is_where_the_power_is_reached() -> None:
    need = ns.needed_batch_size(2.0, 20_000, 1.072, 0.01, 0.8)
    assert need is not None and 1000 < need < 1200

    def sd(n: int) -> float:
        return math.sqrt(2.0 / 4 * (1 / n + 1 / 20_000))

    assert ratio_power(sd(need), 1.072, 0.01) >= 0.8 > ratio_power(sd(need - 2), 1.072, 0.01)
    # A reference too small to pin the spread down at any batch size.
    assert ns.needed_batch_size(2.0, 200, 1.072, 0.01, 0.8) is None
    assert ns.needed_batch_size(2.0, 20_000, 1.0, 0.01, 0.8) is None


def test_pearson3_tail_reduces_to_the_normal_and_the_gamma() -> None:
    assert ns.pearson3_sf(1.96, 0.0, 1.0, 0.0) == pytest.approx(stats.norm.sf(1.96))
    g = stats.gamma(4.0)  # skewness 2 / sqrt(4) = 1
    x = 9.0
    assert ns.pearson3_sf(x, g.mean(), g.std(), 1.0) == pytest.approx(g.sf(x))
    # Mirrored for a negative skewness.
    assert ns.pearson3_sf(-x, -g.mean(), g.std(), -1.0) == pytest.approx(g.cdf(x))


@pytest.mark.parametrize("decimals", [2, 4, None])
def test_normal_scores_with_ties_match_brute_force_at_scale(decimals: int | None) -> None:
    """Large pooled samples, discrete (few big groups) and nearly continuous (a few ties)."""
    rng = np.random.default_rng(3)
    ref, batch = rng.normal(size=20_000), rng.normal(0.1, 1.1, size=30_000)
    if decimals is None:
        batch[::500] = batch[1::500]  # a few repeats in a continuous column
        ref[:20] = batch[:20]
    else:
        ref, batch = np.round(ref, decimals), np.round(batch, decimals)
    ref, batch = np.sort(ref), np.sort(batch)
    t = ns.normal_scores_test(ref, batch)
    scores, n = _brute_scores(ref, batch)
    total = len(scores)
    assert t.ties
    assert t.statistic == pytest.approx(scores[:n].sum(), rel=1e-10)
    assert t.null_sd**2 == pytest.approx(n * (total - n) / (total - 1) * scores.var(), rel=1e-9)
    third = n * (total - n) * (total - 2 * n) / ((total - 1) * (total - 2)) * np.mean((scores - 1) ** 3)
    assert t.null_skewness * t.null_sd**3 == pytest.approx(third, rel=1e-7)


def test_statistics_on_rows_equal_the_statistics_of_each_row() -> None:
    rng = np.random.default_rng(7)
    rows = np.sort(rng.pareto(2.0, size=(40, 301)) + 1.0, axis=1)
    for statistic in (tails.QuantileSpread(0.01, 0.99), tails.QuantileSpread(0.25, 0.75), tails.HillIndex()):
        assert np.array_equal(statistic.rows(rows), [statistic(row) for row in rows])
    rows[3] -= rows[3, -5]  # the (k+1)-th largest value is negative: Hill is undefined there
    hill = tails.HillIndex().rows(rows)
    assert np.isnan(hill[3]) and np.isnan(tails.HillIndex()(rows[3])) and not np.isnan(hill[2])


def test_permutation_nulls_are_the_same_with_and_without_row_methods() -> None:
    """A statistic without ``rows`` (any callable) gets the same permutations, one row at a time."""
    rng = np.random.default_rng(3)
    ref, batch = rng.standard_t(3, 400), 0.8 * rng.standard_t(3, 300)
    iqr = tails.QuantileSpread(0.25, 0.75)

    def plain(sorted_values: np.ndarray) -> float:
        return iqr(sorted_values)

    fast = tails.permutation_ratio_tests(ref, batch, {"s": iqr}, np.random.default_rng(1), draws=500)["s"]
    slow = tails.permutation_ratio_tests(ref, batch, {"s": plain}, np.random.default_rng(1), draws=500)["s"]
    assert fast == slow and fast.p_value < 0.05


def test_interquartile_range_hand_values() -> None:
    from collapse_guard.stats.tails import interquartile_range

    assert interquartile_range(np.array([1.0, 2.0, 3.0, 4.0, 5.0])) == 2.0
    assert interquartile_range(np.array([5.0, 1.0, 4.0, 2.0, 3.0])) == 2.0  # any order
    assert interquartile_range(np.array([0.0, 10.0])) == 5.0  # 7.5 - 2.5, linear interpolation


def test_counts_beyond_quantiles_hand_values() -> None:
    from collapse_guard.stats.tails import counts_beyond_quantiles

    ref = np.arange(1.0, 101.0)  # p5 is the 6th value (5 strictly below), p95 the 95th (5 above)
    batch = np.array([0.0, 6.0, 6.0, 50.0, 95.0, 96.0, 200.0])
    assert counts_beyond_quantiles(ref, batch, 0.05) == (6.0, 95.0, 5, 5, 1, 2)
