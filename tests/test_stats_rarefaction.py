"""Rarefaction, Good-Turing and Poisson-binomial statistics against exact values."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from collapse_guard.stats import rarefaction as rf


def _enumerate_distinct(p: list[float], n: int) -> tuple[float, float]:
    """Exact mean and variance of the number of distinct categories in n draws."""
    mean = second = 0.0
    for seq in itertools.product(range(len(p)), repeat=n):
        prob = math.prod(p[i] for i in seq)
        s = len(set(seq))
        mean += prob * s
        second += prob * s * s
    return mean, second - mean**2


def test_rarefaction_two_equal_categories_by_hand() -> None:
    r = rf.rarefaction(np.array([1, 1]), 2)
    assert r.expected == pytest.approx(1.5)
    assert r.variance == pytest.approx(0.25)


def test_rarefaction_matches_enumeration() -> None:
    counts = np.array([5, 3, 2, 0])
    mean, var = _enumerate_distinct([0.5, 0.3, 0.2], 4)
    r = rf.rarefaction(counts, 4)
    assert r.expected == pytest.approx(mean)
    assert r.variance == pytest.approx(var)
    assert r.sd == pytest.approx(math.sqrt(var))


def test_rarefaction_large_k_approximation_agrees(monkeypatch: pytest.MonkeyPatch) -> None:
    p = np.arange(1, 401) ** -1.1
    counts = np.round(p / p.sum() * 1e6)
    exact = rf.rarefaction(counts, 3000)
    monkeypatch.setattr(rf, "EXACT_PAIRS_MAX", 10)
    approx = rf.rarefaction(counts, 3000)
    assert approx.expected == exact.expected
    assert approx.variance == pytest.approx(exact.variance, rel=0.01)


def test_science_table_probability_of_seeing_a_category() -> None:
    # P(seen >= 1) = 1 - (1 - p)^n; p = 1e-3, n = 1,000 gives 0.632.
    counts = np.array([1, 999])  # p = 1e-3 with a large, certain reference below
    seen = 1 - rf.absence_probabilities(counts * 10**6, 1000)[0]
    assert seen == pytest.approx(0.632, abs=1e-3)


def test_absence_probability_of_a_singleton_is_closed_form() -> None:
    # c = 1 of N: E[(1-p)^n] with p ~ Beta(1, N) is N / (N + n).
    q = rf.absence_probabilities(np.array([1, 9999]), 5000)
    assert q[0] == pytest.approx(10_000 / 15_000)
    assert q[1] == pytest.approx(0.0, abs=1e-300)


def test_missing_categories_test_both_ways() -> None:
    counts = np.array([1000, 500, 100, 50, 20, 10])
    q = rf.absence_probabilities(counts, 2000)
    honest = rf.missing_categories_test(q, 0)
    assert honest.p_value == 1.0
    two_gone = rf.missing_categories_test(q, 2)
    assert two_gone.p_value < 1e-6
    assert two_gone.expected == pytest.approx(float(q.sum()))


def test_good_turing_and_singletons() -> None:
    assert rf.good_turing_missing_mass(np.array([1, 1, 2, 3])) == pytest.approx(2 / 7)
    assert math.isnan(rf.good_turing_missing_mass(np.array([], dtype=int)))
    counts = np.array([1, 1, 1, 1, 100, 100])
    pi = rf.singleton_probabilities(counts, 200)
    res = rf.singletons_test(pi, 0)
    assert res.expected == pytest.approx(float(pi.sum()))
    assert res.p_value == pytest.approx(float(np.prod(1 - pi)))


def test_share_excess_test_matches_betabinom() -> None:
    res = rf.share_excess_test(30, 1000, 100, 10_000)
    # P(K >= 30) read off the mirror image (1000 - K ~ BetaBinomial(1000, 9901, 101)): scipy's own
    # sf is 1 - cdf and loses about 1e-11 absolute, 4e-6 relative here.
    assert res.p_value == pytest.approx(stats.betabinom.cdf(970, 1000, 9901, 101), rel=1e-9)
    assert res.expected == pytest.approx(1000 * 101 / 10_002)
