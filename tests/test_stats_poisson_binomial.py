"""The Poisson-binomial law's tails against scipy's binomial and Poisson laws and the exact recursion."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from collapse_guard.stats import poisson_binomial as pb


def test_poisson_binomial_against_binomial_and_enumeration() -> None:
    assert pb.poisson_binomial_sf(np.full(10, 0.3), 4) == pytest.approx(stats.binom.sf(3, 10, 0.3))
    assert pb.poisson_binomial_cdf(np.full(10, 0.3), 4) == pytest.approx(stats.binom.cdf(4, 10, 0.3))
    p = [0.1, 0.5, 0.9, 0.25]
    brute = [0.0] * 5
    for bits in itertools.product([0, 1], repeat=4):
        brute[sum(bits)] += math.prod(pi if b else 1 - pi for pi, b in zip(p, bits, strict=True))
    assert pb.poisson_binomial_pmf(np.array(p)) == pytest.approx(brute)
    # Sure indicators shift the law; tiny tails keep their precision.
    assert pb.poisson_binomial_sf(np.array([1.0, 1.0, 0.5]), 3) == pytest.approx(0.5)
    assert pb.poisson_binomial_sf(np.full(40, 1e-3), 10) == pytest.approx(
        stats.binom.sf(9, 40, 1e-3), rel=1e-6
    )


@pytest.mark.parametrize(("m", "p"), [(1000, 0.01), (100_000, 1e-3), (50_000, 0.5), (20_000, 0.999)])
def test_poisson_binomial_tails_match_the_binomial(m: int, p: float) -> None:
    """Equal probabilities: both tails, from the bulk far out (down to 1e-250), to 1e-9 relative."""
    probs = np.full(m, p)
    mean, sd = m * p, math.sqrt(m * p * (1 - p))
    offsets = [-60, -25, -8, -3, -1, 0, 1, 2, 5, 8, 25, 60]
    ks = sorted({min(m, max(0, round(mean + c * sd))) for c in offsets} | {0, 1, m - 1, m})
    checked = 0
    for k in ks:
        sf, cdf = stats.binom.sf(k - 1, m, p), stats.binom.cdf(k, m, p)
        if sf > 1e-250:
            assert pb.poisson_binomial_sf(probs, k) == pytest.approx(sf, rel=1e-9), k
            checked += 1
        if cdf > 1e-250:
            assert pb.poisson_binomial_cdf(probs, k) == pytest.approx(cdf, rel=1e-9), k
            checked += 1
    assert checked >= 12


def test_poisson_binomial_tails_match_the_exact_recursion_for_sparse_unequal_probabilities() -> None:
    """6,000 indicators with p between 1e-4 and 1e-2 (mean ~13): the O(m^2) recursion is exact,
    and sums positive terms only, so its tails are precise however small."""
    p = np.exp(np.random.default_rng(6000).uniform(math.log(1e-4), math.log(1e-2), 6000))
    pmf = pb.poisson_binomial_pmf(p)
    for k in (0, 1, 3, 6, 10, 13, 14, 20, 30, 50, 80, 120):
        assert pb.poisson_binomial_sf(p, k) == pytest.approx(pmf[k:].sum(), rel=1e-9), k
        assert pb.poisson_binomial_cdf(p, k) == pytest.approx(pmf[: k + 1].sum(), rel=1e-9), k
    assert pb.poisson_binomial_sf(p, 120) < 1e-70  # far tails keep their relative precision


def test_poisson_binomial_tends_to_the_poisson_law() -> None:
    """200,000 tiny unequal probabilities summing to 5: Poisson(5) up to Le Cam's ~k^2 sum p^2 / 2."""
    u = np.random.default_rng(200_000).uniform(0.5, 1.5, 200_000)
    p = 5.0 * u / u.sum()
    for k in (0, 1, 2, 5, 9, 15, 30):
        assert pb.poisson_binomial_cdf(p, k) == pytest.approx(stats.poisson.cdf(k, 5.0), rel=5e-3), k
        assert pb.poisson_binomial_sf(p, k) == pytest.approx(stats.poisson.sf(k - 1, 5.0), rel=5e-3), k


def test_poisson_binomial_is_never_zero_for_a_possible_count() -> None:
    """Indicators of probability 1e-20 used to be dropped, so the count 12 below read as impossible
    (p-value 0); it needs two of them, and its probability is ~C(5, 2) 1e-32 P(all ten others)."""
    tiny = np.r_[np.full(5, 1e-16), np.full(10, 0.3)]
    pmf = pb.poisson_binomial_pmf(tiny)
    assert pb.poisson_binomial_sf(tiny, 12) == pytest.approx(pmf[12:].sum(), rel=1e-9)
    assert pb.poisson_binomial_sf(tiny, 12) == pytest.approx(10 * 1e-32 * 0.3**10, rel=1e-9)
    assert pb.poisson_binomial_sf(tiny, 16) == 0.0  # more than the indicators: impossible
    # Below the smallest double the probability underflows; it is still reported as possible.
    assert 0.0 < pb.poisson_binomial_sf(np.full(40, 1e-20), 40) <= 1e-300
    assert 0.0 < pb.poisson_binomial_cdf(np.full(40, 1 - 1e-12), 0) <= 1e-300
    assert pb.poisson_binomial_sf(np.full(3, 1e-20), 3) == pytest.approx(1e-60, rel=1e-9)
    # Sure and impossible indicators only shift the count.
    assert pb.poisson_binomial_cdf(np.array([1.0, 1.0, 0.5, 0.0]), 1) == 0.0
    assert pb.poisson_binomial_cdf(np.array([1.0, 1.0, 0.5, 0.0]), 2) == pytest.approx(0.5)
    assert pb.poisson_binomial_sf(np.array([]), 0) == 1.0
    assert pb.poisson_binomial_sf(np.array([]), 1) == 0.0


def test_poisson_binomial_truncated_tail_adds_a_bound_for_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    """The upper tail sums terms up to D and adds a Chernoff bound for P(S > D): with the bound
    forced to matter (a tiny allowance), D grows and the value stays exact, never below the truth."""
    p = np.exp(np.random.default_rng(7).uniform(math.log(1e-4), math.log(1e-2), 3000))
    pmf = pb.poisson_binomial_pmf(p)
    monkeypatch.setattr(pb, "LOG_NEGLIGIBLE", math.log(1e-300))
    for k in (9, 12, 40):
        value = pb.poisson_binomial_sf(p, k)
        assert value == pytest.approx(pmf[k:].sum(), rel=1e-9)
        assert value >= pmf[k:].sum() * (1 - 1e-12)
