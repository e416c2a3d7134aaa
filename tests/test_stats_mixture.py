"""Liang-style mixture MLE: known values, bootstrap coverage, null offset."""

from __future__ import annotations

import numpy as np
import pytest

from collapse_guard.stats.mixture import (
    document_frequencies,
    estimate_mixture,
    fit_occurrence_model,
    mle_alpha,
    mle_alpha_weighted,
)


def _docs(rng: np.random.Generator, probs: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    occ = rng.random((n, probs.size)) < probs
    _, word = np.nonzero(occ)
    tokens = word.astype(np.uint64) * np.uint64(1_000_003) + np.uint64(17)
    offsets = np.r_[0, np.cumsum(occ.sum(axis=1))].astype(np.int64)
    return tokens, offsets


def _concat(a, b):  # type: ignore[no-untyped-def]
    return np.r_[a[0], b[0]], np.r_[a[1][:-1], b[1] + a[1][-1]]


def test_mle_hand_built_two_point_mixture() -> None:
    # One word, p = 0.2 under P and q = 0.8 under Q. The Bernoulli model is saturated, so the MLE
    # solves (1 - a) 0.2 + a 0.8 = observed share: 380/1000 -> a = (0.38 - 0.2) / 0.6 = 0.3.
    llr = np.r_[np.full(380, np.log(0.8 / 0.2)), np.full(620, np.log(0.2 / 0.8))]
    assert mle_alpha(llr) == pytest.approx(0.3, abs=1e-8)
    # below P's own share the likelihood is maximised at the boundary
    assert mle_alpha(np.r_[np.full(150, np.log(4.0)), np.full(850, -np.log(4.0))]) == 0.0
    assert mle_alpha(np.full(10, 5.0)) == 1.0
    assert np.isnan(mle_alpha(np.array([])))


def test_weighted_bisection_matches_brent() -> None:
    rng = np.random.default_rng(3)
    llr = np.r_[rng.normal(-2, 1.5, 900), rng.normal(2, 1.5, 100)]
    centroids = np.sort(llr)
    weights = np.ones((1, llr.size))
    assert mle_alpha_weighted(centroids, weights)[0] == pytest.approx(mle_alpha(llr), abs=1e-9)


def test_document_frequencies_count_each_document_once() -> None:
    tokens = np.array([5, 5, 7, 5, 9, 9], dtype=np.uint64)
    offsets = np.array([0, 3, 4, 6])
    words, counts = document_frequencies(tokens, offsets)
    assert words.tolist() == [5, 7, 9]
    assert counts.tolist() == [2, 1, 1]


def test_word_selection_and_log_ratio_by_hand() -> None:
    # word 1 in 6/10 human and 1/4 synthetic docs; word 2 in 2/10 human and 3/4 synthetic;
    # word 3 only in human docs (dropped: not in both corpora); word 4 in 4 human docs (< 5).
    h_docs = [[1, 2]] * 2 + [[1, 3, 4]] * 4 + [[3]] * 4
    s_docs = [[2, 1], [2], [2], [5]]

    def pack(docs):  # type: ignore[no-untyped-def]
        return (
            np.array([t for d in docs for t in d], dtype=np.uint64),
            np.r_[0, np.cumsum([len(d) for d in docs])],
        )

    model = fit_occurrence_model(*pack(h_docs), *pack(s_docs), min_human_docs=2, min_synthetic_docs=1)
    assert model.vocab.tolist() == [1, 2]
    p = np.array([6.5, 2.5]) / 11
    q = np.array([1.5, 3.5]) / 5
    np.testing.assert_allclose(np.exp(model.log_p), p)
    np.testing.assert_allclose(np.exp(model.log_q), q)
    # document {2}: word 1 absent, word 2 present
    expected = np.log(1 - q[0]) + np.log(q[1]) - np.log(1 - p[0]) - np.log(p[1])
    got = model.log_ratio(np.array([2], dtype=np.uint64), np.array([0, 1]))
    assert got[0] == pytest.approx(expected)


@pytest.fixture(scope="module")
def world():  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(11)
    v = 400
    p = np.clip(rng.lognormal(-3.5, 1.0, v), 0, 0.5)
    q = np.clip(p * rng.lognormal(0, 0.35, v), 0, 0.5)
    model = fit_occurrence_model(*_docs(rng, p, 4000), *_docs(rng, q, 1500))
    human_holdout = model.log_ratio(*_docs(rng, p, 2000))
    synth_holdout = model.log_ratio(*_docs(rng, q, 800))
    return rng, p, q, model, human_holdout, synth_holdout


def test_interval_coverage_on_simulated_mixtures(world) -> None:  # type: ignore[no-untyped-def]
    rng, p, q, model, hh, sh = world
    covered, errors = 0, []
    reps, n, alpha = 30, 1000, 0.15
    for _ in range(reps):
        k = int(alpha * n)
        batch = _concat(_docs(rng, p, n - k), _docs(rng, q, k))
        res = estimate_mixture(model.log_ratio(*batch), hh, sh, rng, n_boot=200, n_null=100)
        covered += res.interval[0] <= alpha <= res.interval[1]
        errors.append(abs(res.alpha - alpha))
    assert covered / reps >= 0.85
    assert float(np.median(errors)) < 0.04


def test_null_offset_keeps_pure_human_near_zero(world) -> None:  # type: ignore[no-untyped-def]
    rng, p, _q, model, hh, sh = world
    estimates, raws = [], []
    for _ in range(20):
        res = estimate_mixture(model.log_ratio(*_docs(rng, p, 1000)), hh, sh, rng, n_boot=100, n_null=100)
        estimates.append(res.alpha)
        raws.append(res.raw_alpha)
        assert 0.0 <= res.interval[0] <= res.alpha <= res.interval[1] <= 1.0
    # the uncorrected MLE is biased upwards on human text; the corrected one is not
    assert np.mean(raws) > np.mean(estimates)
    assert float(np.quantile(estimates, 0.9)) <= 0.06


def test_detects_contamination_and_passes_clean_with_fixed_seed(world) -> None:  # type: ignore[no-untyped-def]
    _rng, p, q, model, hh, sh = world
    rng = np.random.default_rng(5)
    clean = estimate_mixture(model.log_ratio(*_docs(rng, p, 1500)), hh, sh, rng)
    dirty = estimate_mixture(model.log_ratio(*_concat(_docs(rng, p, 1050), _docs(rng, q, 450))), hh, sh, rng)
    assert clean.p_value > 0.05
    assert dirty.p_value < 0.01
    assert dirty.interval[0] <= 0.3 <= dirty.interval[1]


def test_empty_inputs_raise() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="needs documents"):
        estimate_mixture(np.array([]), np.array([0.1]), np.array([0.2]), rng)


def test_null_p_value_is_the_permutation_p_value() -> None:
    from collapse_guard.stats.mixture import null_p_value

    null = np.linspace(-1.0, 1.0, 99)
    assert null_p_value(null, 0.5) == pytest.approx((1 + np.sum(null >= 0.5)) / 100)
    # never zero, never extrapolated beyond the replicates (Phipson & Smyth 2010)
    assert null_p_value(null, 50.0) == pytest.approx(1 / 100)
    assert null_p_value(np.zeros(9), 0.0) == pytest.approx(1.0)
