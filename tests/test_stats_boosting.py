"""Gradient-boosted oblivious trees (collapse_guard.stats.boosting): known answers and parity."""

from __future__ import annotations

import numpy as np
import pytest

from collapse_guard.stats import boosting
from collapse_guard.stats.mpe import auc


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    return auc(score[y == 1], score[y == 0])


def _split(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    test = np.random.default_rng(seed).random(len(y)) < 0.5
    return x[~test], y[~test], x[test], y[test]


def test_a_clean_threshold_is_found_exactly() -> None:
    # 50 distinct values (one bin each) and a noise column; y = 1 exactly from x = 30 on
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.normal(size=2000), rng.integers(0, 50, 2000).astype(float)])
    y = (x[:, 1] >= 30).astype(float)
    model = boosting.fit(x, y, rounds=1, depth=1, min_samples_leaf=1)
    assert model.features[0, 0] == 1
    codes = model.bins.codes(np.column_stack([np.zeros(50), np.arange(50.0)]))[:, 1]
    np.testing.assert_array_equal(model.tables[0, 0][codes], np.arange(50) >= 30)
    # two leaves, each pure: the left one below the start, the right one above it
    grid = model.log_odds(np.column_stack([np.zeros(50), np.arange(50.0)]))
    assert np.all(grid[:30] == grid[0]) and np.all(grid[30:] == grid[30]) and grid[30] > grid[0]
    # values between the training values are cut halfway: 29.4 is below, 29.6 above
    between = model.log_odds(np.array([[0.0, 29.4], [0.0, 29.6]]))
    assert between[0] == grid[0] and between[1] == grid[30]


def test_a_continuous_threshold_is_found_to_within_a_quantile_bin() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, size=(6000, 1))
    y = (x[:, 0] > 0.37).astype(float)
    model = boosting.fit(x, y, rounds=1, depth=1, min_samples_leaf=1, max_bins=64)
    grid = np.linspace(0, 1, 1001)[:, None]
    score = model.log_odds(grid)
    jump = grid[np.argmax(score > score[0]), 0]
    assert abs(jump - 0.37) <= 1 / 63  # one quantile bin of 63


def test_quantile_bins_and_point_masses() -> None:
    # a continuous column gets max_bins - 2 quantile edges; a point mass (a fifth of the rows at
    # zero) collapses into one bin of its own
    rng = np.random.default_rng(8)
    x = np.r_[np.zeros(1000), rng.normal(5.0, 1.0, size=4000)][:, None]
    edges = boosting.fit(x, np.zeros(5000), rounds=0, max_bins=64).bins.edges[0]
    assert edges.size <= 62 and np.all(np.diff(edges) > 0) and edges[0] == 0.0
    codes = boosting.fit(x, np.zeros(5000), rounds=0, max_bins=64).bins.codes(x)[:, 0]
    assert np.all(codes[:1000] == 0) and np.all(codes[1000:] > 0)
    assert np.bincount(codes[1000:]).max() < 2 * 4000 / 50  # the rest spread over about 50 bins


def test_pure_noise_gives_auc_one_half_out_of_sample() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(6000, 6))
    y = (rng.random(6000) < 0.5).astype(float)
    xtr, ytr, xte, yte = _split(x, y, 0)
    (score,) = boosting.fit_predict(xtr, ytr, [xte], params={"rounds": 40, "learning_rate": 0.2})
    assert abs(_auc(yte, score) - 0.5) < 0.03


def test_an_xor_needs_depth_two() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, size=(4000, 3))
    y = (x[:, 0] * x[:, 1] > 0).astype(float)
    xtr, ytr, xte, yte = _split(x, y, 1)
    stumps = boosting.fit_predict(xtr, ytr, [xte], params={"rounds": 30, "depth": 1})[0]
    trees = boosting.fit_predict(xtr, ytr, [xte], params={"rounds": 30, "depth": 2})[0]
    assert abs(_auc(yte, stumps) - 0.5) < 0.05  # no single feature says anything
    assert _auc(yte, trees) > 0.97


def test_missing_values_get_their_own_bin() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3000, 2))
    y = (rng.random(3000) < 0.5).astype(float)
    x[y == 1, 0] = np.where(rng.random(int(y.sum())) < 0.6, np.nan, x[y == 1, 0])  # missing = label 1
    model = boosting.fit(x, y, rounds=5, depth=1)
    assert np.all(model.features == 0)
    score = model.log_odds(np.array([[np.nan, 0.0], [0.0, 0.0], [0.0, np.nan]]))
    assert score[0] > score[1]
    # a feature that had no missing value in training: a missing value does not crash, and goes
    # wherever the bin table sends the missing bin
    assert np.isfinite(score[2])


def test_categorical_codes_split_as_subsets_and_unseen_codes_are_missing() -> None:
    rng = np.random.default_rng(5)
    code = rng.integers(0, 10, 4000).astype(float)
    y = np.isin(code, [2, 5, 7]).astype(float)
    x = np.column_stack([code, rng.normal(size=4000)])
    model = boosting.fit(x, y, categorical=np.array([True, False]), rounds=3, depth=1, min_samples_leaf=1)
    score = model.log_odds(np.column_stack([np.arange(10.0), np.zeros(10)]))
    # one split per tree separates {2, 5, 7} from the rest: a subset no threshold on codes gives
    assert set(np.flatnonzero(score > np.median(score))) == {2, 5, 7}
    assert np.ptp(score[[2, 5, 7]]) == 0 and np.ptp(score[[0, 1, 3, 4, 6, 8, 9]]) == 0
    as_numbers = boosting.fit(x, y, rounds=3, depth=1, min_samples_leaf=1)
    assert _auc(y, as_numbers.log_odds(x)) < 0.9 < _auc(y, model.log_odds(x))
    unseen = model.log_odds(np.array([[11.0, 0.0], [np.nan, 0.0]]))
    assert unseen[0] == unseen[1]  # a category never seen in training counts as missing


def test_min_samples_leaf_holds_for_every_leaf() -> None:
    rng = np.random.default_rng(6)
    x = rng.normal(size=(1000, 3))
    y = (x[:, 0] + 0.5 * rng.normal(size=1000) > 1.2).astype(float)
    model = boosting.fit(x, y, rounds=1, depth=3, min_samples_leaf=150)
    # rows sharing a leaf value form the leaves (a node that could not split keeps one value)
    _, counts = np.unique(model.log_odds(x), return_counts=True)
    assert counts.min() >= 150 and counts.size > 1


def test_fits_are_deterministic_whatever_the_thread_limit() -> None:
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(7)
    x = rng.normal(size=(3000, 5))
    x[rng.random(x.shape) < 0.05] = np.nan
    y = (rng.random(3000) < 1 / (1 + np.exp(-np.nan_to_num(x[:, 0])))).astype(float)
    first = boosting.fit_predict(x, y, [x])[0]
    with threadpool_limits(1):
        second = boosting.fit_predict(x, y, [x])[0]
    np.testing.assert_array_equal(first, second)


def test_bad_input_is_rejected() -> None:
    x = np.zeros((10, 2))
    with pytest.raises(ValueError, match="one label per row"):
        boosting.fit(x, np.zeros(9))
    with pytest.raises(ValueError, match="labels 0 and 1"):
        boosting.fit(x, np.full(10, 2.0))
    with pytest.raises(ValueError, match="depth"):
        boosting.fit(x, np.zeros(10), depth=0)
    with pytest.raises(ValueError, match="max_bins"):
        boosting.fit(x, np.zeros(10), max_bins=300)
    with pytest.raises(TypeError):
        boosting.fit_predict(x, np.zeros(10), [x], params={"max_iter": 5})


def _two_sample(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference rows against a batch with 30% collapsed rows, an interaction and a category."""
    rng = np.random.default_rng(seed)
    n = 4000
    ref = rng.standard_t(5, size=(n, 3))
    k = int(0.3 * n)
    batch = np.vstack([rng.standard_t(5, size=(n - k, 3)), rng.normal(0, 0.35, size=(k, 3))])
    x = np.vstack([ref, batch])
    y = np.r_[np.ones(n), np.zeros(n)]
    # a category whose mix depends on the label and on the sign of the first column
    cat = rng.integers(0, 6, 2 * n)
    swap = (y == 0) & (x[:, 0] > 0) & (rng.random(2 * n) < 0.3)
    cat[swap] = 5
    x = np.column_stack([x, cat, rng.normal(size=2 * n)])
    x[rng.random(2 * n) < 0.05, 1] = np.nan
    return x, y, np.array([False, False, False, True, False])


def test_held_out_auc_matches_scikit_learn_histogram_boosting() -> None:
    hgb = pytest.importorskip("sklearn.ensemble").HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    gaps = []
    for seed in range(3):
        x, y, cat = _two_sample(seed)
        xtr, ytr, xte, yte = _split(x, y, seed + 10)
        ours = boosting.fit_predict(
            xtr, ytr, [xte], categorical=cat, params={"rounds": 40, "learning_rate": 0.2, "depth": 3}
        )[0]
        theirs = hgb(
            max_iter=40,
            learning_rate=0.2,
            max_leaf_nodes=8,
            min_samples_leaf=40,
            l2_regularization=1.0,
            categorical_features=cat,
            early_stopping=False,
            random_state=0,
        )
        with threadpool_limits(1):  # OpenMP on a busy machine is many times slower
            theirs.fit(xtr, ytr)
            gaps.append(_auc(yte, ours) - _auc(yte, theirs.predict_proba(xte)[:, 1]))
    assert _auc(yte, ours) > 0.6  # a problem with something to learn
    assert all(abs(g) < 0.015 for g in gaps), gaps


def test_codes_match_a_search_of_each_value() -> None:
    # codes are computed in sorted order and put back; each must be what a search of its own value
    # gives: (edges[k - 1], edges[k]] -> k for numbers, the level's index for categories, and the
    # missing bin for NaN and unseen categories
    rng = np.random.default_rng(11)
    n = 3000
    x = np.column_stack(
        [
            rng.normal(size=n),
            np.round(rng.normal(size=n) * 5),
            rng.choice([-np.inf, -0.0, 0.0, 1.0, np.inf], n),
            rng.integers(0, 12, n).astype(float),
        ]
    )
    x[rng.random(x.shape) < 0.1] = np.nan
    cat = np.array([False, False, False, True])
    bins = boosting.fit(x, np.zeros(n), categorical=cat, rounds=0, max_bins=64).bins
    new = np.vstack([x, rng.normal(size=(200, 4)) * 10, [[np.nan, np.inf, -np.inf, 99.0]]])
    codes = bins.codes(new)
    for j, edges in enumerate(bins.edges):
        col = new[:, j]
        if bins.categorical[j]:
            pos = np.minimum(np.searchsorted(edges, col), edges.size - 1)
            want = np.where(edges[pos] == col, pos, bins.n_bins - 1)
        else:
            want = np.where(np.isnan(col), bins.n_bins - 1, np.searchsorted(edges, col, side="left"))
        np.testing.assert_array_equal(codes[:, j], want)


def test_complex_weights_sum_bit_for_bit_as_two_real_passes() -> None:
    # fit carries gradient g and hessian h as g + ih through np.add.at, cumulative sums and
    # differences; its results are those of real arithmetic only if numpy keeps the parts apart
    rng = np.random.default_rng(12)
    g, h = rng.normal(size=5000), rng.random(5000) / 4
    codes = rng.integers(0, 100, 5000)
    gh = np.empty(5000, dtype=complex)
    gh.real, gh.imag = g, h
    hist = np.zeros(100, dtype=complex)
    np.add.at(hist, codes, gh)
    np.testing.assert_array_equal(hist.real, np.bincount(codes, g, 100))
    np.testing.assert_array_equal(hist.imag, np.bincount(codes, h, 100))
    np.testing.assert_array_equal(np.cumsum(hist).real, np.cumsum(hist.real))
    np.testing.assert_array_equal(np.cumsum(hist).imag, np.cumsum(hist.imag))
    np.testing.assert_array_equal((hist[::-1] - hist).imag, hist.imag[::-1] - hist.imag)


def test_child_histograms_bin_the_smaller_child_and_subtract_for_the_larger() -> None:
    rng = np.random.default_rng(13)
    n, d, n_bins = 2000, 3, 16
    codes = rng.integers(0, n_bins, (d, n))
    flat = codes + np.arange(d)[:, None] * n_bins
    gh = rng.normal(size=n) + 1j * rng.random(n)
    node = rng.integers(0, 2, n)
    bit = rng.random(n) < np.where(node == 0, 0.3, 0.6)

    def histogram(rows: np.ndarray) -> np.ndarray:
        out = np.zeros((2, d, n_bins), dtype=complex)
        for j in range(d):
            np.add.at(out[0, j], codes[j, rows], gh[rows])
            out[1, j] = np.bincount(codes[j, rows], None, n_bins)
        return out

    parents = np.stack([histogram(node == k) for k in range(2)], axis=1)
    small_right = np.array([True, False])  # node 0 sends fewer rows right, node 1 fewer left
    children = boosting._child_histograms(parents, flat, node, bit, small_right, gh)
    for child in range(4):
        rows = (node == child // 2) & (bit == child % 2)
        direct = histogram(rows)
        if child % 2 == small_right[child // 2]:
            np.testing.assert_array_equal(children[:, child], direct)  # binned: the same sums
        else:
            np.testing.assert_allclose(children[:, child], direct, atol=1e-12)  # parent - smaller
            np.testing.assert_array_equal(children[1, child], direct[1])  # whole row counts


def test_max_bins_below_three_is_refused_not_a_crash() -> None:
    x = np.random.default_rng(0).normal(size=(100, 2))
    y = (x[:, 0] > 0).astype(float)
    with pytest.raises(ValueError, match="max_bins must be between 3 and 256"):
        boosting.fit(x, y, max_bins=2)
    assert boosting.fit(x, y, max_bins=3, rounds=2).values.shape == (2, 8)
