"""collapse_guard.stats.distributions agrees with scipy.stats, which it replaces at run time."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from collapse_guard.stats import distributions as d


def test_normal_functions_match_scipy() -> None:
    z = np.array([-40.0, -8.0, -1.96, 0.0, 0.5, 1.96, 8.0, 38.0])
    np.testing.assert_allclose(d.norm_cdf(z), stats.norm.cdf(z), rtol=1e-12, atol=0)
    np.testing.assert_allclose(d.norm_sf(z), stats.norm.sf(z), rtol=1e-12, atol=0)
    q = np.array([1e-12, 0.025, 0.5, 0.975, 1 - 1e-9])
    np.testing.assert_allclose(d.norm_ppf(q), stats.norm.ppf(q), rtol=1e-12)


@pytest.mark.parametrize(("n", "p"), [(1, 0.3), (20, 0.01), (5_000, 0.01), (100_000, 0.001)])
def test_binomial_matches_scipy(n: int, p: float) -> None:
    k = np.array([-3, -1, 0, 1, 2, n // 100, n // 10, n - 1, n, n + 4])
    np.testing.assert_allclose(d.binom_cdf(k, n, p), stats.binom.cdf(k, n, p), rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose(d.binom_sf(k, n, p), stats.binom.sf(k, n, p), rtol=1e-10, atol=1e-300)
    for k_obs in sorted({0, 1, round(n * p), min(n, round(3 * n * p) + 1)}):
        for alt in ("less", "greater"):
            expected = stats.binomtest(k_obs, n, p, alternative=alt).pvalue
            assert d.binom_pvalue(k_obs, n, p, alt) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_binomial_pvalue_rejects_two_sided() -> None:
    with pytest.raises(ValueError, match="alternative"):
        d.binom_pvalue(1, 10, 0.5, "two-sided")


def test_beta_ppf_matches_scipy() -> None:
    for q, a, b in [(0.025, 1, 10), (0.975, 51, 4951), (0.5, 0.5, 0.5), (1e-6, 3, 100_000)]:
        assert d.beta_ppf(q, a, b) == pytest.approx(stats.beta.ppf(q, a, b), rel=1e-10)


@pytest.mark.parametrize(
    ("n", "a", "b"),
    [
        (10, 1.0, 1.0),
        (5_000, 201.0, 19_801.0),
        (100_000, 1_001.0, 99_001.0),
        (50, 0.5, 7.0),
        (1_000_000, 5e5, 5e5),
    ],
)
def test_beta_binomial_matches_scipy(n: int, a: float, b: float) -> None:
    mean = n * a / (a + b)
    ks = sorted({0, 1, int(mean / 2), int(mean), int(mean * 1.5), int(mean * 3) + 1, n - 1, n})
    np.testing.assert_allclose(
        d.betabinom_pmf(np.array(ks), n, a, b), stats.betabinom.pmf(ks, n, a, b), rtol=1e-9, atol=1e-300
    )
    # scipy sums the pmf from 0, so its upper tail bottoms out near 1e-11; the mirror image
    # (n - K is BetaBinomial(n, b, a)) gives an accurate upper tail to compare against.
    for k in [*ks, -1, n + 2]:
        below = float(stats.betabinom.cdf(k, n, a, b))
        above = float(stats.betabinom.cdf(n - k - 1, n, b, a)) if k < n else 0.0
        assert d.betabinom_cdf(k, n, a, b) == pytest.approx(1 - above if above < 0.5 else below, rel=1e-8)
        assert d.betabinom_sf(k, n, a, b) == pytest.approx(above if above < 0.5 else 1 - below, rel=1e-8)
    m, sd = d.betabinom_mean_sd(n, a, b)
    assert m == pytest.approx(stats.betabinom.mean(n, a, b))
    assert sd == pytest.approx(stats.betabinom.std(n, a, b))


def test_beta_binomial_far_tail_is_not_rounded_to_zero() -> None:
    # A batch with no rows in a tail the reference fills at 1% of 100,000 rows.
    p = d.betabinom_cdf(0, 100_000, 1_001.0, 99_001.0)
    assert 0 < p < 1e-300 or p == pytest.approx(stats.betabinom.cdf(0, 100_000, 1_001.0, 99_001.0))


def test_hypergeometric_and_fisher_match_scipy() -> None:
    k = np.arange(-1, 12)
    np.testing.assert_allclose(d.hypergeom_pmf(k, 50, 12, 10), stats.hypergeom.pmf(k, 50, 12, 10), atol=1e-15)
    for table in ([[8, 2], [1, 5]], [[0, 10], [10, 0]], [[30, 970], [10, 990]], [[3, 0], [0, 0]]):
        expected = stats.fisher_exact(table, alternative="greater")[1]
        assert d.fisher_exact_greater(table) == pytest.approx(expected, rel=1e-9)


def test_rankdata_and_mann_whitney_match_scipy() -> None:
    rng = np.random.default_rng(7)
    x = np.round(rng.normal(0.2, 1, 300), 1)  # rounded: many ties
    y = np.round(rng.normal(0.0, 1, 500), 1)
    np.testing.assert_array_equal(d.rankdata(np.concatenate([x, y])), stats.rankdata(np.concatenate([x, y])))
    expected = stats.mannwhitneyu(x, y, alternative="greater", method="asymptotic").pvalue
    assert d.mannwhitney_greater(x, y) == pytest.approx(expected, rel=1e-9)
    with pytest.raises(ValueError):
        d.mannwhitney_greater(x, np.array([]))


def test_a_tabular_check_never_imports_scipy_stats() -> None:
    """The default tabular path stays off scipy.stats (0.5 s and 60 MiB to import)."""
    code = (
        "import sys, numpy as np, pandas as pd\n"
        "import collapse_guard as cg\n"
        "rng = np.random.default_rng(0)\n"
        "df = pd.DataFrame({'x': rng.lognormal(size=3000), 'c': rng.choice(list('abcdef'), 3000)})\n"
        "cg.check(df.iloc[:1500], cg.profile(df.iloc[1500:]), select=['tail-shrinkage', 'diversity-loss'])\n"
        "print(sorted(m for m in sys.modules if m == 'scipy.stats' or m.startswith('sklearn')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
