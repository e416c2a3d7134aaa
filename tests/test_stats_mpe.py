"""Classifier two-sample test, Best Bin Estimation and distance to closest record."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from collapse_guard.stats.dcr import gower_closest
from collapse_guard.stats.mpe import auc, bbe_alpha, cross_fit_scores, estimate_mpe


def test_auc_matches_sklearn_with_ties() -> None:
    rng = np.random.default_rng(0)
    ref = rng.integers(0, 5, 300).astype(float)
    batch = rng.integers(0, 6, 200).astype(float)
    y = np.r_[np.ones(300), np.zeros(200)]
    assert auc(ref, batch) == pytest.approx(roc_auc_score(y, np.r_[ref, batch]))


def test_bbe_on_a_known_anchor_set() -> None:
    # Reference scores: 1000 rows uniform on [0, 1]. Batch: 70% reference-like, 30% piled at 0.05
    # (no synthetic row above 0.1). Above any t >= 0.1, P_B/P_R = 0.7 exactly, so alpha = 0.3.
    ref = (np.arange(1000) + 0.5) / 1000
    batch = np.r_[(np.arange(700) + 0.5) / 700, np.full(300, 0.05)]
    alpha, share_r, share_b = bbe_alpha(ref, batch)
    assert alpha == pytest.approx(0.3, abs=0.01)
    assert share_b / share_r == pytest.approx(0.7, abs=0.01)
    # identical samples: kappa = 1, nothing unexplained
    assert bbe_alpha(ref, ref)[0] == pytest.approx(0.0, abs=1e-12)


def _mixture(rng: np.random.Generator, n: int, alpha: float) -> np.ndarray:
    k = int(alpha * n)
    human = rng.standard_t(5, size=(n - k, 3))
    # a collapsed generator: right centre, a third of the spread, no tails
    synthetic = rng.normal(0.0, 0.35, size=(k, 3))
    return np.vstack([human, synthetic])


def test_mpe_detects_collapsed_rows_and_passes_clean() -> None:
    rng = np.random.default_rng(42)
    ref = _mixture(rng, 1500, 0.0)
    clean = estimate_mpe(cross_fit_scores(ref, _mixture(rng, 1500, 0.0), seed=1), rng, n_null=100, n_boot=100)
    dirty = estimate_mpe(cross_fit_scores(ref, _mixture(rng, 1500, 0.3), seed=1), rng, n_null=100, n_boot=100)
    assert clean.p_value > 0.05 and clean.auc_p_value > 0.05
    assert clean.alpha < 0.05
    assert dirty.p_value < 0.02 and dirty.auc_p_value < 0.02
    assert dirty.auc > 0.55
    # a lower bound: never far above the truth, and the interval reaches it
    assert dirty.alpha <= 0.3 + 0.05
    assert dirty.interval[0] <= dirty.alpha <= dirty.interval[1]
    assert dirty.alpha > 0.1


def test_fold_auc_p_value_matches_mann_whitney_on_one_fold() -> None:
    from scipy.stats import mannwhitneyu

    from collapse_guard.stats.mpe import CrossFitScores, fold_auc_p_value

    rng = np.random.default_rng(9)
    ref, batch = rng.normal(0.2, 1, 300), rng.normal(0, 1, 200)
    scores = CrossFitScores(ref, batch, np.zeros(300, int), np.zeros(200, int))
    expected = mannwhitneyu(ref, batch, alternative="greater", method="asymptotic").pvalue
    assert fold_auc_p_value(scores) == pytest.approx(expected, rel=1e-6)


def test_logistic_model_and_input_validation() -> None:
    rng = np.random.default_rng(7)
    ref = rng.normal(size=(300, 2))
    shifted = rng.normal(size=(300, 2)) + np.array([1.0, 0.0])
    scores = cross_fit_scores(ref, shifted, seed=0, model="logistic", n_folds=3)
    assert auc(scores.ref, scores.batch) > 0.7
    assert set(np.unique(scores.ref_fold)) == {0, 1, 2}
    with pytest.raises(ValueError, match="same columns"):
        cross_fit_scores(ref, shifted[:, :1], seed=0)
    with pytest.raises(ValueError, match="at least 20"):
        estimate_mpe(cross_fit_scores(ref[:10], shifted[:10], seed=0, n_folds=2), rng)


def test_numpy_logistic_regression_matches_scikit_learn() -> None:
    # the "logistic" model: L2 (C = 1), balanced class weights, unpenalised intercept
    from sklearn.linear_model import LogisticRegression

    from collapse_guard.stats.mpe import _logistic_fit_predict

    rng = np.random.default_rng(11)
    x = rng.normal(size=(900, 4))
    y = (rng.random(900) < 1 / (1 + np.exp(-(0.8 * x[:, 0] - 0.5 * x[:, 2] + 1.0)))).astype(float)
    ours = _logistic_fit_predict(x[:600], y[:600], x[600:])
    theirs = LogisticRegression(class_weight="balanced", tol=1e-10, max_iter=1000).fit(x[:600], y[:600])
    np.testing.assert_allclose(ours, theirs.decision_function(x[600:]), atol=1e-5)
    # separable data: the penalty keeps the coefficients finite
    sep = _logistic_fit_predict(x, (x[:, 0] > 0).astype(float), x)
    assert np.all(np.isfinite(sep)) and auc(sep[x[:, 0] > 0], sep[x[:, 0] <= 0]) > 0.999


def test_gower_distance_by_hand() -> None:
    ref_num = np.array([[0.0, 10.0], [4.0, 20.0]])
    ref_cat = np.array([[0], [1]])
    q_num = np.array([[1.0, 10.0], [4.0, np.nan]])
    q_cat = np.array([[1], [1]])
    dist, idx = gower_closest(ref_num, ref_cat, q_num, q_cat, ranges=np.array([4.0, 10.0]))
    # row 0 vs ref 0: |1-0|/4 + 0 + 1 (category) = 1.25; vs ref 1: 3/4 + 1 + 0 = 1.75 -> 1.25/3
    # row 1 vs ref 1: 0 + 1 (NaN vs number) + 0 = 1 -> 1/3
    np.testing.assert_allclose(dist, [1.25 / 3, 1 / 3])
    assert idx.tolist() == [0, 1]


def test_gower_matches_brute_force_across_block_edges() -> None:
    # 37 query rows cross the city-block passes' 16-row blocks; some values leave the range (cap).
    rng = np.random.default_rng(11)
    ref_num, q_num = rng.normal(size=(53, 4)), rng.normal(scale=2.0, size=(37, 4))
    ranges = ref_num.max(0) - ref_num.min(0)
    full = np.minimum(np.abs(q_num[:, None, :] - ref_num[None, :, :]) / ranges, 1.0).sum(-1)
    none = np.zeros((0, 0), dtype=np.int64)
    dist, idx = gower_closest(ref_num, none.reshape(53, 0), q_num, none.reshape(37, 0), ranges, chunk=20)
    np.testing.assert_allclose(dist, full.min(axis=1) / 4, rtol=1e-12)
    assert idx.tolist() == full.argmin(axis=1).tolist()


def test_near_copy_threshold_hand_values() -> None:
    from collapse_guard.stats.dcr import near_copy_threshold

    # 100 held-out rows, 1% = 1 row: the smallest positive distance, held by one row.
    holdout = np.r_[np.zeros(5), 0.1, 0.2, 0.2, np.linspace(0.5, 1.0, 92)]
    assert near_copy_threshold(holdout, 0.01) == 0.1
    # 300 rows, 1% = 3 rows: 0.1 and 0.2 (one row each) fit, 0.3 (two more rows) does not.
    holdout = np.r_[0.1, 0.2, 0.3, 0.3, np.linspace(0.5, 1.0, 296)]
    assert near_copy_threshold(holdout, 0.01) == 0.2
    # The smallest positive distance is shared by more rows than 1%: exact copies only.
    holdout = np.r_[0.1, 0.1, np.linspace(0.5, 1.0, 98)]
    assert near_copy_threshold(holdout, 0.01) == 1e-9
    assert near_copy_threshold(np.zeros(0)) == 1e-9
    assert near_copy_threshold(np.zeros(10)) == 1e-9
