"""Two-sample rate tests against scipy: the beta-binomial predictive tail and the pooled z-test
(whose square is Pearson's chi-square on the 2x2 table, without continuity correction)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from collapse_guard.stats.proportions import excess_rate_p, two_proportion_p


@pytest.mark.parametrize(("k_b", "n_b", "k_h", "n_h"), [(12, 750, 4, 750), (0, 100, 3, 300), (50, 50, 0, 10)])
def test_excess_rate_p_is_the_beta_binomial_predictive_tail(k_b: int, n_b: int, k_h: int, n_h: int) -> None:
    expected = stats.betabinom.sf(k_b - 1, n_b, k_h + 0.5, n_h - k_h + 0.5)
    assert excess_rate_p(k_b, n_b, k_h, n_h) == pytest.approx(expected, rel=1e-9)


def test_excess_rate_p_is_one_sided_and_neutral_on_empty_sides() -> None:
    assert excess_rate_p(0, 500, 5, 500) == pytest.approx(1.0)
    assert excess_rate_p(40, 500, 5, 500) < 1e-6
    assert excess_rate_p(3, 0, 1, 10) == 1.0
    assert excess_rate_p(3, 10, 0, 0) == 1.0


@pytest.mark.parametrize(
    ("a", "n_a", "b", "n_b"), [(0.20, 5_000, 0.22, 5_000), (0.05, 300, 0.12, 120), (0.5, 40, 0.45, 60)]
)
def test_two_proportion_p_matches_pearson_chi_square(a: float, n_a: int, b: float, n_b: int) -> None:
    table = np.array([[a * n_a, (1 - a) * n_a], [b * n_b, (1 - b) * n_b]])
    _, expected, _, _ = stats.chi2_contingency(table, correction=False)
    assert two_proportion_p(a, n_a, b, n_b) == pytest.approx(expected, rel=1e-9)


def test_two_proportion_p_by_hand() -> None:
    # 0.20 vs 0.22 on 5,000 each: pooled 0.21, se sqrt(0.21 * 0.79 * 2 / 5000) = 0.0081462, z = 2.4551
    assert two_proportion_p(0.20, 5_000, 0.22, 5_000) == pytest.approx(2 * stats.norm.sf(2.45513), rel=1e-4)


def test_two_proportion_p_without_variance() -> None:
    assert two_proportion_p(0.0, 100, 0.0, 50) == 1.0
    assert two_proportion_p(1.0, 100, 1.0, 50) == 1.0
