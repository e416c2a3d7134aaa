"""Marker statistics against published and hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from collapse_guard.stats.distributions import fisher_exact_greater
from collapse_guard.stats.markers import (
    docs_containing,
    excess_share,
    excess_share_vs_model,
    expected_marker_probability,
    rate_excess,
    rate_ratio_lower,
    wilson_interval,
)


def test_wilson_matches_scipy() -> None:
    ci = stats.binomtest(81, 263).proportion_ci(method="wilson")
    assert wilson_interval(81, 263) == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_newcombe_hybrid_interval_published_example() -> None:
    # Newcombe (1998), Table II example (a): 56/70 vs 48/80, method 10 gives 0.0524 to 0.3339.
    res = excess_share(56, 70, 48, 80)
    assert res.delta == pytest.approx(0.2)
    assert res.interval == pytest.approx((0.0524, 0.3339), abs=1e-4)
    fisher = stats.fisher_exact([[56, 14], [48, 32]], alternative="greater")[1]
    assert res.p_value == pytest.approx(fisher)


def test_excess_share_is_a_lower_bound_on_the_machine_share() -> None:
    # 10% machine documents, half of which carry a marker, over a 5% human marker rate:
    # delta = 0.1 * (0.5 - 0.05) = 0.045 <= 0.1.
    rng = np.random.default_rng(0)
    n = 4000
    machine = rng.random(n) < 0.1
    has = np.where(machine, rng.random(n) < 0.5, rng.random(n) < 0.05)
    ref = rng.random(20000) < 0.05
    res = excess_share(int(has.sum()), n, int(ref.sum()), ref.size)
    assert res.delta == pytest.approx(0.045, abs=0.015)
    assert res.delta <= 0.1
    assert res.p_value < 1e-6
    clean = rng.random(n) < 0.05
    assert excess_share(int(clean.sum()), n, int(ref.sum()), ref.size).p_value > 0.01


def test_expected_probability_and_model_baseline() -> None:
    # 1 - (1 - 0.01)^100 = 0.6339676587...
    assert expected_marker_probability(np.array([100]), 0.01)[0] == pytest.approx(0.6339676587)
    assert expected_marker_probability(np.array([0, 5]), 0.0).tolist() == [0.0, 0.0]
    pi = np.full(1000, 0.1)
    rng = np.random.default_rng(1)
    honest = excess_share_vs_model(rng.random(1000) < 0.1, pi)
    inflated = excess_share_vs_model(rng.random(1000) < 0.2, pi)
    assert honest.p_value > 0.01
    assert inflated.p_value < 1e-6
    assert inflated.share_baseline == pytest.approx(0.1)
    assert inflated.interval[0] < inflated.delta < inflated.interval[1]


def test_rate_excess_is_the_conditional_binomial_test() -> None:
    res = rate_excess(30, 10_000, 40, 40_000)
    assert res.rate_batch == pytest.approx(3.0)
    assert res.rate_reference == pytest.approx(1.0)
    assert res.ratio == pytest.approx(3.0)
    assert res.p_value == pytest.approx(stats.binomtest(30, 70, 0.2, "greater").pvalue)
    assert rate_excess(0, 10, 0, 10).p_value == 1.0
    with pytest.raises(ValueError, match="tokens on both sides"):
        rate_excess(1, 0, 1, 10)


def test_docs_containing_counts_per_document() -> None:
    counts = docs_containing(
        np.array([0, 0, 1, 2, 2, 2]),
        np.array([5, 6, 7, 5, 5, 8], dtype=np.uint64),
        np.array([5, 8]),
        4,
    )
    assert counts.tolist() == [1, 0, 3, 0]


def test_rate_ratio_lower_bound_known_values() -> None:
    # 3 batch documents against none: pi >= 0.05 ** (1/3) (Clopper-Pearson), rho = pi/(1-pi) * 4
    root = 0.05 ** (1 / 3)
    assert rate_ratio_lower(3, 5_000, 0, 20_000) == pytest.approx(root / (1 - root) * 4, rel=1e-12)
    pi = stats.beta.ppf(0.05, 30, 41)
    assert rate_ratio_lower(30, 10_000, 40, 40_000) == pytest.approx(pi / (1 - pi) * 4, rel=1e-10)
    assert rate_ratio_lower(0, 10, 5, 10) == 0.0
    with pytest.raises(ValueError):
        rate_ratio_lower(1, 0, 1, 10)


def test_document_share_test_is_calibrated_on_honest_batches() -> None:
    """200 honest batches of a column where 8% of documents carry the markers: the one-sided
    Fisher test with the lower-bound effect warns (p < 0.05 and effect >= 2) in under 5% of runs,
    and a batch where 30% carry them is caught every time."""
    rng = np.random.default_rng(7)
    n_ref, n_batch, share = 20_000, 2_000, 0.08
    k_ref = int(rng.binomial(n_ref, share))
    warned = caught = 0
    for _ in range(200):
        for k, tally in (
            (int(rng.binomial(n_batch, share)), "honest"),
            (int(rng.binomial(n_batch, 0.30)), "styled"),
        ):
            p = fisher_exact_greater([[k, n_batch - k], [k_ref, n_ref - k_ref]])
            alarm = p < 0.05 and rate_ratio_lower(k, n_batch, k_ref, n_ref) >= 2.0
            if tally == "honest":
                warned += alarm
            else:
                caught += alarm
    assert warned < 10 and caught == 200


def test_length_matched_excess_hand_values() -> None:
    from collapse_guard.stats.markers import length_matched_excess

    # Reference: 10 documents of each length 1, 2, 3; deciles give the edges (1, 2, 3), so length 1
    # is one bin (0 of 10 with a marker: rate 0.5/11) and lengths 2-3 the other (10 of 20: rate
    # 10.5/21 = 0.5). Batch: 4 documents of length 3 (3 with a marker), 4 of length 1 (none).
    len_r = np.repeat([1, 2, 3], 10)
    has_r = np.r_[np.zeros(10, bool), np.tile([True, False], 10)]
    len_b = np.r_[np.full(4, 3), np.full(4, 1)]
    has_b = np.r_[[True, True, True, False], np.zeros(4, bool)]
    res = length_matched_excess(has_b, len_b, has_r, len_r)
    low, high = 1 / 22, 0.5
    expected = 4 * high + 4 * low
    var = (
        4 * high * (1 - high) + 4 * low * (1 - low) + 16 * low * (1 - low) / 11 + 16 * high * (1 - high) / 21
    )
    assert res.share_batch == 3 / 8
    assert res.share_baseline == pytest.approx(expected / 8)
    assert res.delta == pytest.approx(3 / 8 - expected / 8)
    assert res.p_value == pytest.approx(stats.norm.sf((3 - 0.5 - expected) / np.sqrt(var)), rel=1e-9)
    lo_b, hi_b = wilson_interval(3, 8)
    half = 1.959963984540054 * np.sqrt(var) / 8
    assert res.interval == pytest.approx(
        (res.delta - np.hypot(3 / 8 - lo_b, half), res.delta + np.hypot(hi_b - 3 / 8, half))
    )
    assert (res.n_batch, res.n_baseline) == (8, 30)


def test_length_matched_excess_without_length_spread_is_the_plain_excess() -> None:
    from collapse_guard.stats.markers import length_matched_excess

    has_b = np.array([True, True, True, False, False, False, False, False])
    has_r = np.r_[np.ones(10, bool), np.zeros(20, bool)]
    res = length_matched_excess(has_b, np.full(8, 5), has_r, np.full(30, 5))
    assert res == excess_share(3, 8, 10, 30)
