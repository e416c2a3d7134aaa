"""Naeem et al. (2020) density and coverage, and the standardised one-hot feature space."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

from collapse_guard.stats.coverage import (
    FeatureWidthError,
    density_coverage,
    expected_coverage_identical,
    fit_feature_space,
    transform,
)


def _brute_force(x: np.ndarray, y: np.ndarray, k: int) -> tuple[float, float]:
    # Straight from the definitions in the prdc README (strict inequality).
    radii = np.sort(cdist(x, x), axis=1)[:, k]
    dxy = cdist(x, y)
    coverage = float(np.mean(dxy.min(axis=1) < radii))
    density = float((dxy < radii[:, None]).sum() / (k * len(y)))
    return density, coverage


def test_matches_brute_force_definition() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 8))
    y = rng.standard_normal((250, 8)) * 0.8 + 0.3
    res = density_coverage(x, y, k=5)
    density, coverage = _brute_force(x, y, 5)
    assert res.density == pytest.approx(density)
    assert res.coverage == pytest.approx(coverage)


def test_known_value_identical_gaussians_reduced_size() -> None:
    # Naeem et al.'s README: identical N(0, I), N = M = 10,000, d = 1,000, k = 5 give coverage
    # 0.9735 and density 1.0555; exchangeability gives E[coverage] = 1 - prod (N-j)/(N+M-j)
    # = 0.9688 and E[density] = 1. Reduced here to N = M = 1,000, d = 200, mean of 4 draws.
    assert expected_coverage_identical(10_000, 10_000, 5) == pytest.approx(0.9688, abs=1e-4)
    rng = np.random.default_rng(1)
    draws = [
        density_coverage(rng.standard_normal((1000, 200)), rng.standard_normal((1000, 200)), 5)
        for _ in range(4)
    ]
    coverage = np.mean([d.coverage for d in draws])
    density = np.mean([d.density for d in draws])
    assert coverage == pytest.approx(expected_coverage_identical(1000, 1000, 5), abs=0.02)
    assert coverage == pytest.approx(0.97, abs=0.02)
    assert density == pytest.approx(1.0, abs=0.1)


def _mixture(rng: np.random.Generator, n: int, modes: list[int]) -> np.ndarray:
    angles = 2 * np.pi * np.arange(8) / 8
    centres = np.stack([np.cos(angles), np.sin(angles)], axis=1) * 6
    which = rng.choice(modes, size=n)
    return centres[which] + rng.standard_normal((n, 2))


def test_coverage_falls_as_modes_are_dropped() -> None:
    rng = np.random.default_rng(2)
    reference = _mixture(rng, 2000, list(range(8)))
    coverages = []
    for kept in (8, 7, 6, 4, 2):
        batch = _mixture(rng, 2000, list(range(kept)))
        coverages.append(density_coverage(reference, batch, 5).coverage)
    assert all(a > b for a, b in itertools.pairwise(coverages))
    assert coverages[0] > 0.95
    assert coverages[2] == pytest.approx(0.75 * coverages[0], abs=0.04)


def test_narrowed_batch_loses_coverage_and_shifted_batch_loses_density() -> None:
    rng = np.random.default_rng(3)
    reference = rng.standard_normal((1500, 3))
    narrow = density_coverage(reference, rng.standard_normal((1500, 3)) * 0.5, 5)
    # Inside the support every batch row sits in about k balls, so density stays near 1 while
    # coverage of the outer reference rows collapses.
    assert narrow.coverage < 0.7
    assert narrow.density == pytest.approx(1.0, abs=0.1)
    shifted = density_coverage(reference, rng.standard_normal((1500, 3)) + 3.0, 5)
    assert shifted.density < 0.3


def test_feature_space_standardises_and_one_hot_encodes() -> None:
    ref = pd.DataFrame({"x": [1.0, 2.0, 3.0, None], "c": ["a", "b", "a", None], "k": [5.0, 5.0, 5.0, 5.0]})
    space = fit_feature_space(ref, ["x", "k"], ["c"])
    assert space.width == 2 + 3
    out = transform(space, pd.DataFrame({"x": [2.0, None], "k": [5.0, 7.0], "c": ["b", "zzz"]}))
    sd = np.std([1.0, 2.0, 3.0])
    assert out[0].tolist() == pytest.approx([0.0, 0.0, 0.0, 0.0, 1.0])
    # Missing x is imputed with the reference median (2); a constant column keeps scale 1;
    # a category the reference never had is all zeros.
    assert out[1].tolist() == pytest.approx([0.0 / sd, 2.0, 0.0, 0.0, 0.0])
    categories = dict(space.categorical)["c"]
    assert categories == ("<null>", "a", "b")


def test_one_hot_width_explosion_is_refused_before_encoding() -> None:
    ref = pd.DataFrame({"comment": [f"free text number {i}" for i in range(5000)]})
    with pytest.raises(FeatureWidthError, match=r"'comment' has 5,000 distinct values") as err:
        fit_feature_space(ref, [], ["comment"], max_categories=100)
    assert "--column comment=text" in str(err.value)
    assert err.value.column == "comment"


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="more than k"):
        density_coverage(np.zeros((3, 2)), np.zeros((3, 2)), 5)
    with pytest.raises(ValueError, match="same number of columns"):
        density_coverage(np.zeros((10, 2)), np.zeros((3, 3)), 5)


def test_density_coverage_matches_a_scikit_learn_computation() -> None:
    """The brute-force distances agree with scikit-learn's exact neighbour search, ties included."""
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.default_rng(11)
    real = np.round(rng.standard_normal((400, 4)), 1)  # rounded: duplicate rows and equal distances
    fake = np.vstack([real[:50], np.round(rng.standard_normal((250, 4)) * 0.8, 1)])
    radii = NearestNeighbors(n_neighbors=6).fit(real).kneighbors(real)[0][:, 5]
    dist = np.sqrt(((real[:, None, :] - fake[None, :, :]) ** 2).sum(axis=2))
    hits = dist <= radii[:, None] + 1e-12
    res = density_coverage(real, fake, 5)
    assert res.coverage == pytest.approx(hits.any(axis=1).mean())
    assert res.density == pytest.approx(hits.sum() / (5 * len(fake)))
    np.testing.assert_array_equal(res.covered, hits.any(axis=1))
