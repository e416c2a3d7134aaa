"""Entropy estimators, Hill numbers, rarefaction and the size-matched null comparison."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats as sps

from collapse_guard.stats.entropy import (
    as_counts,
    chao_shen_entropy,
    compare_with_null,
    compare_with_split_null,
    finite_population_inflation,
    hill_number,
    miller_madow_entropy,
    plugin_entropy,
    rarefied_hill,
    tail_p_value,
)


def test_hand_values_two_singletons() -> None:
    # counts (1, 1): H = ln 2; MM adds (2 - 1) / (2 * 2); Chao-Shen sets f1 = n - 1 = 1, so
    # C = 1/2, p~ = 1/4 each, inclusion = 1 - (3/4)^2 = 7/16, H = 2 * (1/4) ln 4 / (7/16).
    assert plugin_entropy([1, 1]) == pytest.approx(math.log(2))
    assert miller_madow_entropy([1, 1]) == pytest.approx(math.log(2) + 0.25)
    assert chao_shen_entropy([1, 1]) == pytest.approx(0.5 * math.log(4) / (7 / 16))
    assert chao_shen_entropy([1, 1]) == pytest.approx(1.584336, abs=1e-6)


def test_hand_values_two_one_one() -> None:
    # counts (2, 1, 1), n = 4: p = (1/2, 1/4, 1/4).
    h = 0.5 * math.log(2) + 2 * 0.25 * math.log(4)
    assert plugin_entropy([2, 1, 1]) == pytest.approx(h)
    assert plugin_entropy([2, 1, 1]) == pytest.approx(1.039721, abs=1e-6)
    assert miller_madow_entropy([2, 1, 1]) == pytest.approx(h + 2 / 8)
    # Chao-Shen: f1 = 2, C = 1/2, p~ = (1/4, 1/8, 1/8).
    cs = 0.25 * math.log(4) / (1 - 0.75**4) + 2 * 0.125 * math.log(8) / (1 - 0.875**4)
    assert chao_shen_entropy([2, 1, 1]) == pytest.approx(cs)
    assert chao_shen_entropy([2, 1, 1]) == pytest.approx(1.763240, abs=1e-6)
    assert hill_number([2, 1, 1], 0) == 3
    assert hill_number([2, 1, 1], 1) == pytest.approx(2 * math.sqrt(2))
    assert hill_number([2, 1, 1], 2) == pytest.approx(1 / 0.375)
    # Order 3 from the general formula (sum p^3)^(-1/2).
    assert hill_number([2, 1, 1], 3) == pytest.approx((0.125 + 2 / 64) ** -0.5)


def test_zeros_are_ignored_and_bad_counts_refused() -> None:
    assert plugin_entropy([0, 3, 0, 3]) == pytest.approx(math.log(2))
    assert plugin_entropy([]) == 0.0
    assert chao_shen_entropy([5]) == 0.0
    with pytest.raises(ValueError, match="non-negative"):
        as_counts([1, -1])
    with pytest.raises(ValueError, match="whole numbers"):
        as_counts([1.5, 2])
    with pytest.raises(ValueError, match="1-D"):
        as_counts(np.array([[1, 2]]))


def _subsample_expectations(counts: list[int], m: int) -> tuple[float, float, float]:
    labels = np.repeat(np.arange(len(counts)), counts)
    richness, shannon, simpson = [], [], []
    for subset in itertools.combinations(range(len(labels)), m):
        c = np.bincount(labels[list(subset)])
        c = c[c > 0]
        p = c / m
        richness.append(len(c))
        shannon.append(-np.sum(p * np.log(p)))
        simpson.append(np.sum(p**2))
    return float(np.mean(richness)), float(np.mean(shannon)), float(np.mean(simpson))


@pytest.mark.parametrize("m", [2, 3, 5])
def test_rarefaction_matches_enumeration_of_all_subsamples(m: int) -> None:
    counts = [4, 2, 1, 1]
    richness, shannon, simpson = _subsample_expectations(counts, m)
    assert rarefied_hill(counts, m, 0) == pytest.approx(richness)
    assert rarefied_hill(counts, m, 1) == pytest.approx(math.exp(shannon))
    assert rarefied_hill(counts, m, 2) == pytest.approx(1 / simpson)


def test_rarefaction_hand_value_and_full_size() -> None:
    # S(2) for (2, 1, 1): 1 - C(2,2)/C(4,2) + 2 * (1 - C(3,2)/C(4,2)) = 5/6 + 1.
    assert rarefied_hill([2, 1, 1], 2, 0) == pytest.approx(11 / 6)
    for q in (0, 1, 2):
        assert rarefied_hill([7, 3, 2, 1], 13, q) == pytest.approx(hill_number([7, 3, 2, 1], q))
    with pytest.raises(ValueError, match="between 1"):
        rarefied_hill([2, 1], 4, 0)


def _zipf_probs(s: float, v: int) -> np.ndarray:
    w = np.arange(1, v + 1, dtype=np.float64) ** -s
    return w / w.sum()


def test_known_distribution_uniform() -> None:
    rng = np.random.default_rng(0)
    counts = rng.multinomial(20_000, np.full(10, 0.1))
    for estimator in (plugin_entropy, miller_madow_entropy, chao_shen_entropy):
        assert estimator(counts) == pytest.approx(math.log(10), abs=0.003)
    assert hill_number(counts, 0) == 10
    assert hill_number(counts, 2) == pytest.approx(10, abs=0.1)


def test_known_distribution_zipf_bias_order() -> None:
    # Zipf(1.1) over 50,000 types has H = 6.463 nats; at n = 20,000
    # the plug-in is about 6.02, Miller-Madow 6.14, Chao-Shen 6.40 (mean of 5 draws).
    p = _zipf_probs(1.1, 50_000)
    assert -np.sum(p * np.log(p)) == pytest.approx(6.463, abs=0.001)
    rng = np.random.default_rng(1)
    draws = [rng.multinomial(20_000, p) for _ in range(5)]
    plug = np.mean([plugin_entropy(d) for d in draws])
    mm = np.mean([miller_madow_entropy(d) for d in draws])
    cs = np.mean([chao_shen_entropy(d) for d in draws])
    assert plug < mm < cs
    assert plug == pytest.approx(6.02, abs=0.05)
    assert mm == pytest.approx(6.14, abs=0.05)
    assert cs == pytest.approx(6.40, abs=0.05)


def test_compare_with_null_gaussian_tail_beyond_range() -> None:
    rng = np.random.default_rng(0)
    null = rng.normal(10.0, 1.0, 200)
    res = compare_with_null(4.0, null, worse="lower")
    z = (4.0 - null.mean()) / null.std(ddof=1)
    assert res.p_value == pytest.approx(sps.norm.cdf(z))
    assert res.p_value < 1e-6
    assert len(res.null) <= 50


def test_compare_with_null_inside_range_uses_permutation_p() -> None:
    null = np.arange(100, dtype=float)
    res = compare_with_null(9.5, null, worse="lower")
    # 10 null draws are <= 9.5: (1 + 10) / 101 is larger than the Gaussian tail here.
    assert res.p_value == pytest.approx(max(11 / 101, sps.norm.cdf(res.z)))
    high = compare_with_null(95.0, null, worse="higher", expected=50.0)
    assert high.expected == 50.0
    assert high.p_value >= 5 / 101


def test_compare_with_null_inflation_and_floor() -> None:
    null = np.array([1.0, 2.0, 3.0])
    base = compare_with_null(0.0, null, worse="lower")
    wide = compare_with_null(0.0, null, worse="lower", inflate=2.0)
    assert wide.sd == pytest.approx(2 * base.sd)
    assert wide.p_value > base.p_value
    flat = compare_with_null(0.1, np.zeros(10), worse="higher", min_sd=0.05)
    assert flat.sd == 0.05
    assert flat.z == pytest.approx(2.0)
    assert finite_population_inflation(0.5) == pytest.approx(math.sqrt(3))
    assert finite_population_inflation(0.0) == 1.0
    with pytest.raises(ValueError):
        compare_with_null(1.0, [1.0], worse="lower")


def test_compare_with_null_degenerate_null_gives_the_permutation_p_never_zero() -> None:
    # Coverage of 100-row batches: 20 draws all equal 1.0. Nothing to extrapolate from.
    low = compare_with_null(0.99, np.ones(20), worse="lower")
    assert low.p_value == pytest.approx(1 / 21)
    assert compare_with_null(1.0, np.ones(20), worse="lower").p_value == 1.0
    assert compare_with_null(1.5, np.ones(20), worse="higher").p_value == pytest.approx(1 / 21)


def test_tail_p_value_permutation_inside_and_guarded_tail_beyond() -> None:
    null = np.arange(100, dtype=float)
    p, _ = tail_p_value(9.5, null, worse="lower")
    assert p >= 11 / 101
    p_hi, _ = tail_p_value(89.5, null, worse="higher")
    assert p_hi >= 11 / 101
    # Beyond the draws: Student t with B - 1 df on the wider of sd and worse-side semi-deviation.
    rng = np.random.default_rng(0)
    draws = rng.normal(0.0, 1.0, 40)
    p, z = tail_p_value(-6.0, draws, worse="lower")
    below = draws[draws < draws.mean()] - draws.mean()
    sd = max(draws.std(ddof=1), math.sqrt(np.mean(below**2)))
    assert z == pytest.approx((-6.0 - draws.mean()) / sd)
    # at least the t tail (an exponential envelope on the worse quarter may widen it)
    assert p >= sps.t.cdf(z / math.sqrt(1 + 1 / 40), 39)
    assert 0 < p < 1 / 41
    # A null skewed toward the worse side is not extrapolated: the permutation p-value.
    skewed = -(rng.exponential(1.0, 40) ** 2)
    assert tail_p_value(-100.0, skewed, worse="lower")[0] == pytest.approx(1 / 41)
    assert tail_p_value(3.0, np.zeros(10), worse="higher")[0] == pytest.approx(1 / 11)


def test_tail_p_value_is_calibrated_against_a_large_simulation() -> None:
    # Observed and draws exchangeable (one normal and one moderately skewed law): the rejection
    # rate at 1% and 0.1% must not exceed the level by more than simulation noise.
    rng = np.random.default_rng(1)
    for law in (lambda s: rng.standard_normal(s), lambda s: -rng.gamma(9.0, size=s)):
        ps = np.array([tail_p_value(d[0], d[1:], worse="lower")[0] for d in (law(41) for _ in range(6000))])
        assert np.mean(ps < 0.01) <= 0.0135
        assert np.mean(ps < 0.001) <= 0.002
        assert np.mean(ps < 0.05) <= 0.055


def test_split_null_comparison_is_on_the_statistic_scale() -> None:
    diffs = np.linspace(-0.2, 0.2, 41)
    res = compare_with_split_null(9.0, 10.0, diffs, worse="lower", log_scale=True)
    assert res.expected == pytest.approx(10.0)
    lo, hi = res.interval
    assert lo == pytest.approx(10.0 * math.exp(np.quantile(diffs, 0.025)))
    assert hi == pytest.approx(10.0 * math.exp(np.quantile(diffs, 0.975)))
    # log(0.9) = -0.105: 11 of 41 draws are at or below it.
    assert res.p_value == pytest.approx(max(11 / 42, res.p_value))
    assert res.p_value < 0.35
    additive = compare_with_split_null(2.0, 2.5, diffs, worse="lower")
    assert additive.expected == pytest.approx(2.5)
    assert additive.p_value == pytest.approx(1 / 42, rel=0.5) or additive.p_value < 1 / 42


def test_guarded_tail_is_far_less_anti_conservative_on_a_skewed_null() -> None:
    """Self-repetition-like nulls: mostly small, now and then a jump (exponential draws). The
    observed value is one more draw of the same law. Measured: at the 0.001 level the Gaussian tail
    rejects 1.9% (19x), the guarded one 0.5%; at 0.01, 2.4% and 1.5%."""
    rng = np.random.default_rng(11)
    trials, b = 4_000, 40
    sets = rng.exponential(size=(trials, b + 1))
    gaussian = np.array([compare_with_null(s[0], s[1:], worse="higher").p_value for s in sets])
    guarded = np.array([compare_with_null(s[0], s[1:], worse="higher", guarded=True).p_value for s in sets])
    assert np.mean(gaussian < 0.001) > 0.012 and np.mean(guarded < 0.001) < 0.007
    assert np.mean(guarded < 0.01) < 0.02 < np.mean(gaussian < 0.01)
    far = compare_with_null(30.0, sets[0, 1:], worse="higher", guarded=True)
    assert far.p_value < 1e-4  # a real excess still reaches small p-values
