"""Tail statistics against hand-computed and scipy values, and their calibration."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from collapse_guard.stats.tails import (
    clopper_pearson,
    exceedance_power,
    exceedance_test,
    hill_k,
    hill_xi,
    needed_batch_size,
    permutation_ratio_test,
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
    # science.md §2.1 table (alpha = 0.01, power 0.8); that table used a slightly different
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
