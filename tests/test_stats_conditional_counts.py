"""Category counts conditional on the combined counts: hand-computed values, exact enumeration,
and scipy.stats / scipy.special cross-checks (scipy.stats only here, never in the package)."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest
from scipy import special, stats

from collapse_guard.stats import conditional_counts as cc


def test_absent_probability_by_hand() -> None:
    # N = 3 reference rows, n = 2 batch rows: C(5 - Z, 2) / C(5, 2) = C(5 - Z, 2) / 10.
    q = cc.absent_given_combined(np.array([0, 1, 2, 3, 4, 5]), 3, 2)
    np.testing.assert_allclose(q, [1.0, 0.6, 0.3, 0.1, 0.0, 0.0], atol=1e-15)


def test_singleton_probability_by_hand() -> None:
    # Z C(5 - Z, 1) / 10 for 2 <= Z <= N + 1 = 4: one row in the batch, at least one in the reference.
    pi = cc.singleton_given_combined(np.array([0, 1, 2, 3, 4, 5]), 3, 2)
    np.testing.assert_allclose(pi, [0.0, 0.0, 0.6, 0.6, 0.4, 0.0], atol=1e-15)
    assert cc.singleton_given_combined(np.array([3]), 3, 0)[0] == 0.0


def test_new_probability_by_hand() -> None:
    # C(2, Z) / C(5, Z): all of the category's rows are batch rows.
    r = cc.new_given_combined(np.array([1, 2, 3]), 3, 2)
    np.testing.assert_allclose(r, [0.4, 0.1, 0.0], atol=1e-15)


def test_hypergeometric_tails_by_hand() -> None:
    # 5 rows, 2 in the set, 2 drawn: P(K = 0, 1, 2) = 0.3, 0.6, 0.1.
    assert cc.hypergeom_cdf(0, 5, 2, 2) == pytest.approx(0.3)
    assert cc.hypergeom_cdf(1, 5, 2, 2) == pytest.approx(0.9)
    assert cc.hypergeom_cdf(2, 5, 2, 2) == 1.0
    assert cc.hypergeom_cdf(-1, 5, 2, 2) == 0.0
    assert cc.hypergeom_sf(0, 5, 2, 2) == pytest.approx(0.7)
    assert cc.hypergeom_sf(1, 5, 2, 2) == pytest.approx(0.1)
    assert cc.hypergeom_sf(-1, 5, 2, 2) == 1.0
    assert cc.hypergeom_sf(2, 5, 2, 2) == 0.0


@pytest.mark.parametrize(("big_n", "n"), [(3, 2), (50, 30), (2000, 200), (500, 20_000), (20_000, 20_000)])
def test_per_category_probabilities_match_scipy(big_n: int, n: int) -> None:
    total = big_n + n
    z = np.unique(np.r_[np.arange(0, min(total, 60) + 1), np.linspace(0, total, 40).astype(int)])
    absent = stats.hypergeom.pmf(0, total, z, n)
    once = np.where(z >= 2, stats.hypergeom.pmf(1, total, z, n), 0.0)
    new = stats.hypergeom.pmf(z, total, z, n)
    np.testing.assert_allclose(cc.absent_given_combined(z, big_n, n), absent, rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(cc.singleton_given_combined(z, big_n, n), once, rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(cc.new_given_combined(z, big_n, n), new, rtol=1e-9, atol=1e-300)
    # The closed forms of the module docstring, with exact integer binomials (small totals: slow).
    for zc in z[(z >= 1) & (z <= min(big_n, 50)) & (total <= 3000)].tolist():
        absent_c = special.comb(total - zc, n, exact=True) / special.comb(total, n, exact=True)
        once_c = zc * special.comb(total - zc, n - 1, exact=True) / special.comb(total, n, exact=True)
        assert cc.absent_given_combined(np.array([zc]), big_n, n)[0] == pytest.approx(absent_c, rel=1e-8)
        if zc >= 2:
            assert cc.singleton_given_combined(np.array([zc]), big_n, n)[0] == pytest.approx(once_c, rel=1e-8)


@pytest.mark.parametrize(
    ("total", "successes", "draws"),
    [(80, 20, 30), (1_000_000, 3000, 20_000), (50_000, 40_000, 30_000), (40_000, 4100, 20_000)],
)
def test_hypergeometric_tails_match_scipy_far_into_the_tails(total: int, successes: int, draws: int) -> None:
    law = stats.hypergeom(total, successes, draws)
    for k in np.unique(np.linspace(0, min(successes, draws), 60).astype(int)):
        cdf, sf = law.cdf(k), law.sf(k)
        if cdf > 1e-250:
            assert cc.hypergeom_cdf(int(k), total, successes, draws) == pytest.approx(cdf, rel=1e-7)
        if sf > 1e-250:
            assert cc.hypergeom_sf(int(k), total, successes, draws) == pytest.approx(sf, rel=1e-7)


def test_conditional_expectations_match_exact_enumeration() -> None:
    """Every split of the combined rows into reference and batch, equally likely under H0."""
    z = np.array([3, 2, 1, 1])
    big_n, n = 4, 3
    rows = np.repeat(np.arange(len(z)), z)
    missing = singletons = new = new_rows = 0.0
    splits = list(itertools.combinations(range(len(rows)), n))
    for batch in splits:
        y = np.bincount(rows[list(batch)], minlength=len(z))
        x = z - y
        missing += np.sum(y == 0)
        singletons += np.sum((y == 1) & (x >= 1))
        new += np.sum(x == 0)
        new_rows += y[x == 0].sum()
    k = len(splits)
    assert missing / k == pytest.approx(cc.absent_given_combined(z, big_n, n).sum())
    assert singletons / k == pytest.approx(cc.singleton_given_combined(z, big_n, n).sum())
    r = cc.new_given_combined(z, big_n, n)
    assert new / k == pytest.approx(r.sum())
    assert new_rows / k == pytest.approx(np.sum(r * z))


def test_rare_set_depends_on_combined_counts_only() -> None:
    z = np.array([5, 1, 0, 1, 40, 3, 50])
    tiebreak = np.array([0, 6, 1, 2, 3, 4, 5])  # index 3 sorts before index 1
    # Combined rows 100; at most 10%: 1 + 1 + 3 + 5 = 10.
    np.testing.assert_array_equal(cc.rarest_combined(z, 0.1, tiebreak), [3, 1, 5, 0])
    np.testing.assert_array_equal(cc.rarest_combined(z, 0.015, tiebreak), [3])
    # At least one category, never all of them; empty categories are ignored.
    np.testing.assert_array_equal(cc.rarest_combined(z, 0.0, tiebreak), [3])
    assert len(cc.rarest_combined(z, 1.0, tiebreak)) == 5
    assert len(cc.rarest_combined(np.array([0, 7]), 0.5, np.arange(2))) == 0


def test_new_categories_test_counts_and_largest() -> None:
    z = np.array([10, 20, 1, 1, 1, 30])
    big_n, n = 40, 23
    r = cc.new_given_combined(z, big_n, n)
    none = cc.new_categories_test(z, np.zeros(6, dtype=bool), r)
    assert none.p_value == 1.0 and none.expected == pytest.approx(r.sum())
    # One category of 20 combined rows, all in the batch: its union bound is sum_{Z >= 20} r_c.
    one = np.array([False, True, False, False, False, False])
    test = cc.new_categories_test(z, one, r)
    assert r[1] == pytest.approx(special.comb(23, 20) / special.comb(63, 20))
    assert test.p_value == pytest.approx(2 * (r[1] + r[5]))
    # Three new singletons: the union bound is useless (>= 1), the count test is P(D >= 3) for
    # independent indicators, here enumerated.
    three = np.array([False, False, True, True, True, False])
    count = cc.new_categories_test(z, three, r)
    p_count = sum(
        np.prod(np.where(bits, r, 1 - r))
        for bits in itertools.product([False, True], repeat=6)
        if sum(bits) >= 3
    )
    assert r[2] == pytest.approx(n / (big_n + n))
    assert count.p_value == pytest.approx(2 * p_count, rel=1e-9)


def _poisson_binomial_by_groups(probs: np.ndarray, length: int) -> np.ndarray:
    """Exact pmf (first ``length`` terms) of a sum of independent Bernoulli(``probs``) taking few
    distinct values: a product of binomials, convolved directly (sums of positive terms)."""
    pmf = np.zeros(length)
    pmf[0] = 1.0
    for value, count in zip(*np.unique(probs, return_counts=True), strict=True):
        if value > 0:
            pmf = np.convolve(pmf, stats.binom.pmf(np.arange(min(count, length) + 1), count, value))[:length]
    return pmf


def test_new_categories_count_of_a_high_cardinality_column_is_exact() -> None:
    """50,000 categories, most seen once among ~450,000 rows, batch of 100: the new-category
    indicators are sparse (mean 6.7). The normal approximation used above 5,000 indicators gave
    upper tails 3x (15 new categories) to 17,000x (25) too small: 18 new categories, p = 2.1e-4,
    read as 1.4e-5. The law is now exact."""
    z = np.random.default_rng(50_000).zipf(2.0, 50_000)
    n = 100
    r = cc.new_given_combined(z, int(z.sum()) - n, n)
    exact = _poisson_binomial_by_groups(r, 200)
    mean, sd = float(r.sum()), float(np.sqrt(np.sum(r * (1 - r))))
    for d in (5, 10, 15, 18, 25, 40):
        new = np.zeros(len(z), dtype=bool)
        new[np.flatnonzero(z == 1)[:d]] = True  # d of the combined singletons are batch rows only
        test = cc.new_categories_test(z, new, r)
        # The largest-category bound (sum of r over Z >= 1) is useless here: the count decides.
        assert test.p_value == pytest.approx(min(1.0, 2 * exact[d:].sum()), rel=1e-9), d
    old_normal = stats.norm.sf((18 - 0.5 - mean) / sd)
    assert exact[18:].sum() > 10 * old_normal
    assert stats.norm.sf((25 - 0.5 - mean) / sd) < 1e-3 * exact[25:].sum()


def test_most_overrepresented_is_a_union_bound_over_every_category() -> None:
    z = np.array([100, 50, 30, 8, 2])
    y = np.array([20, 10, 6, 8, 0])  # category 3: all 8 combined rows in the batch
    n = int(y.sum())
    idx, p = cc.most_overrepresented(z, y, np.array([3, 4]), n)
    assert idx == 3
    single = stats.hypergeom.sf(7, z.sum(), 8, n)
    assert p == pytest.approx(5 * single, rel=1e-9)
    # Nothing above its expectation among the candidates.
    assert cc.most_overrepresented(z, y, np.array([4]), n) == (-1, 1.0)


def test_most_overrepresented_caps_the_exact_tails(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    z = rng.integers(1, 30, size=500)
    y = rng.binomial(z, 0.3)
    y[17] = z[17] = 40  # far beyond chance
    n = int(y.sum())
    full = cc.most_overrepresented(z, y, np.arange(500), n)
    monkeypatch.setattr(cc, "MAX_EXACT_CANDIDATES", 5)
    assert cc.most_overrepresented(z, y, np.arange(500), n) == full
    assert full[0] == 17


def test_p_values_are_calibrated_under_random_splits() -> None:
    """Exact (hypergeometric) and conservative (Poisson-binomial) laws on random splits."""
    rng = np.random.default_rng(1)
    p = 1.0 / np.arange(1, 301) ** 1.1
    p /= p.sum()
    big_n, n, reps = 600, 400, 2000
    low = missing = single = 0
    for _ in range(reps):
        z = rng.multinomial(big_n + n, p)
        rows = np.repeat(np.arange(len(z)), z)
        y = np.bincount(rng.choice(rows, n, replace=False), minlength=len(z))
        rare = cc.rarest_combined(z, 0.1, np.arange(len(z)))
        low += cc.hypergeom_cdf(int(y[rare].sum()), big_n + n, int(z[rare].sum()), n) <= 0.05
        from collapse_guard.stats.rarefaction import missing_categories_test, singletons_test

        live = z > 0
        q = cc.absent_given_combined(z[live], big_n, n)
        missing += missing_categories_test(q, int(np.sum(y[live] == 0))).p_value <= 0.05
        pi = cc.singleton_given_combined(z[live], big_n, n)
        x = z - y
        single += singletons_test(pi, int(np.sum((y[live] == 1) & (x[live] >= 1)))).p_value <= 0.05
    # Exact discrete test: at most 5% (plus Monte Carlo error, sd 0.5%); the others conservative.
    assert low / reps <= 0.06
    assert missing / reps <= 0.06
    assert single / reps <= 0.06


def test_the_module_does_not_import_scipy_stats() -> None:
    code = (
        "import sys; import collapse_guard.stats.conditional_counts; "
        "import collapse_guard.checks.tail_shrinkage.categorical; "
        "print('scipy.stats' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_absent_categories_p_is_the_hypergeometric_chance_of_one_rare_category_vanishing() -> None:
    from scipy import stats

    from collapse_guard.stats.conditional_counts import absent_categories_p

    # 9 of 2,000 reference rows; none of them among 500 batch rows drawn from the 2,500.
    exact = stats.hypergeom.pmf(0, 2_500, 9, 500)
    assert exact == pytest.approx(0.134, abs=0.001)
    p = absent_categories_p(np.array([996, 995, 9]), np.array([250, 250, 0]))
    assert p == pytest.approx(exact, rel=1e-3)  # the common categories cannot vanish
    assert absent_categories_p(np.array([996, 995, 9]), np.array([250, 240, 10])) == 1.0
    # Many rare categories gone at once is another matter.
    ref, bat = np.r_[[500] * 2, [9] * 40], np.r_[[250] * 2, [0] * 40]
    assert absent_categories_p(ref, bat) < 1e-20
