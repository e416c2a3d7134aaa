"""Density and coverage (Naeem et al. 2020) of a reference by a batch, in a standardised space.

Coverage is the share of reference rows whose k-nearest-neighbour ball (radius = distance to the
k-th nearest *reference* neighbour) contains at least one batch row: it falls when the batch misses
regions (modes, tails) of the reference. Density counts, per batch row, how many reference balls
contain it, divided by ``k``: it is about 1 for an honest sample and for any batch that stays inside
the reference's support (even a narrowed one), below 1 when the batch strays off the reference
manifold, and above 1 when batch rows pile up on individual reference rows (copies).

References
----------
Naeem, M. F., Oh, S. J., Uh, Y., Choi, Y. & Yoo, J. (2020). Reliable fidelity and diversity metrics
for generative models. ICML. Reference implementation: clovaai/generative-evaluation-prdc.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..blas import blas_threads

NULL_CATEGORY = "<null>"


class FeatureWidthError(ValueError):
    """One-hot encoding would be too wide (a free-text or identifier column typed categorical)."""

    def __init__(self, column: str, n_categories: int, limit: int) -> None:
        self.column = column
        self.n_categories = n_categories
        self.limit = limit
        super().__init__(
            f"column {column!r} has {n_categories:,} distinct values, more than the {limit:,} "
            "a one-hot encoding allows; it looks like free text or an identifier: declare its "
            f"kind (--column {column}=text) or ignore it"
        )


@dataclass(frozen=True, slots=True)
class FeatureSpace:
    """A standardised feature space fitted on the reference.

    Attributes
    ----------
    numeric
        Numeric columns, standardised by the reference mean and standard deviation; missing
        values are imputed with the reference median.
    categorical
        Categorical column -> reference categories, one-hot encoded (missing values are their
        own category; a category the reference never had encodes as all zeros).
    """

    numeric: tuple[str, ...]
    center: tuple[float, ...]
    scale: tuple[float, ...]
    fill: tuple[float, ...]
    categorical: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def width(self) -> int:
        return len(self.numeric) + sum(len(cats) for _, cats in self.categorical)


def _categories(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), NULL_CATEGORY).astype(str)


def fit_feature_space(
    reference: pd.DataFrame,
    numeric: Sequence[str],
    categorical: Sequence[str],
    *,
    max_categories: int = 100,
) -> FeatureSpace:
    """Fit standardisation and one-hot encoding on the reference sample.

    Raises
    ------
    FeatureWidthError
        When a categorical column has more than ``max_categories`` distinct reference values.
        The check is made on the distinct count before any encoding, so a mistyped free-text
        column cannot exhaust memory.
    """
    centers: list[float] = []
    scales: list[float] = []
    fills: list[float] = []
    for col in numeric:
        values = pd.to_numeric(reference[col], errors="coerce").to_numpy(dtype=np.float64)
        values = values[np.isfinite(values)]
        if len(values) == 0:
            centers.append(0.0)
            scales.append(1.0)
            fills.append(0.0)
            continue
        sd = float(values.std())
        centers.append(float(values.mean()))
        scales.append(sd if sd > 0 else 1.0)
        fills.append(float(np.median(values)))
    cats: list[tuple[str, tuple[str, ...]]] = []
    for col in categorical:
        distinct = _categories(reference[col]).unique()
        if len(distinct) > max_categories:
            raise FeatureWidthError(col, len(distinct), max_categories)
        cats.append((col, tuple(sorted(distinct.tolist()))))
    return FeatureSpace(tuple(numeric), tuple(centers), tuple(scales), tuple(fills), tuple(cats))


def transform(space: FeatureSpace, frame: pd.DataFrame) -> np.ndarray:
    """Rows of ``frame`` in the fitted feature space, as a float64 array (rows x width)."""
    out = np.zeros((len(frame), space.width), dtype=np.float64)
    for j, col in enumerate(space.numeric):
        values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=np.float64)
        values = np.where(np.isfinite(values), values, space.fill[j])
        out[:, j] = (values - space.center[j]) / space.scale[j]
    pos = len(space.numeric)
    for col, categories in space.categorical:
        codes = pd.Index(categories).get_indexer(pd.Index(_categories(frame[col])))
        rows = np.flatnonzero(codes >= 0)
        out[rows, pos + codes[rows]] = 1.0
        pos += len(categories)
    return out


@dataclass(frozen=True, slots=True)
class DensityCoverage:
    """Naeem et al. (2020) density and coverage of ``real`` by ``fake``."""

    density: float
    coverage: float
    n_real: int
    n_fake: int
    k: int
    # Which real rows are covered (coverage is its mean); not part of equality.
    covered: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool), compare=False, repr=False)


def density_coverage(
    real: np.ndarray, fake: np.ndarray, k: int = 5, *, threads: int | None = 1
) -> DensityCoverage:
    """Density and coverage of the real (reference) rows by the fake (batch) rows.

    ``density = 1/(k M) sum_j sum_i 1[Y_j in B(X_i, NND_k(X_i))]`` and
    ``coverage = 1/N sum_i 1[exists j: Y_j in B(X_i, NND_k(X_i))]`` with X real (N rows), Y fake
    (M rows) and ``NND_k`` the distance to the k-th nearest other real row, as in the reference
    implementation (clovaai/generative-evaluation-prdc), except that a ball includes its boundary
    (``<=``): tabular data has exact ties, and a batch row identical to a reference row with
    radius 0 is covered. For continuous data the two definitions agree almost surely.

    Distances are brute force in blocks (bounded memory): at the sizes a check uses (about 1,000
    rows a side, tens of features) one matrix product beats a tree, and it spares importing
    scikit-learn. ``threads`` caps the BLAS threads (``None``: library default): on a loaded
    machine the default thread pools were measured 15x slower from oversubscription.
    """
    x, y = _as_pair(real, fake)
    if k < 1 or len(x) <= k:
        raise ValueError(f"need more than k = {k} real rows, got {len(x)}")
    if len(y) == 0:
        raise ValueError("fake must have at least one row")
    with blas_threads(threads):
        radii = _kth_neighbour_sq(x, k)
        covered, inside = _balls_hit(x, radii, y)
    return DensityCoverage(
        density=inside / (k * len(y)),
        coverage=float(np.mean(covered)),
        n_real=len(x),
        n_fake=len(y),
        k=k,
        covered=covered,
    )


# Distance-matrix entries computed at once (16 MiB of float64).
_BLOCK_ENTRIES = 2_000_000


def _as_pair(real: np.ndarray, fake: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.ascontiguousarray(real, dtype=np.float64)
    y = np.ascontiguousarray(fake, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError("real and fake must be 2-D arrays with the same number of columns")
    return x, y


def _partial_sq_distances(a_neg2: np.ndarray, b: np.ndarray, b_sq: np.ndarray) -> np.ndarray:
    """``|b_j|^2 - 2 a_i.b_j`` for the rows of ``a`` (given as ``-2 a``) and ``b``.

    The squared distance is this plus ``|a_i|^2``, a constant per row: callers rank or threshold
    a row at a time, so they add it to one value (or subtract it from one threshold) per row
    instead of to every entry, two fewer passes over a matrix that does not fit in cache.
    """
    d = a_neg2 @ b.T
    d += b_sq[None, :]
    return d


def _snap_noise(a_sq: np.ndarray, b_sq: np.ndarray) -> np.ndarray:
    """Per row of ``a``: squared distances at or below this are rounding noise of an exact 0.

    The expansion ``|a|^2 + |b|^2 - 2 a.b`` leaves a few ulps of the norms where the true
    distance is 0; those count as exactly 0 so that identical rows (common in tabular data)
    compare as identical on both sides of a ``<=``.
    """
    return (16 * np.finfo(np.float64).eps) * (a_sq + (b_sq.max() if len(b_sq) else 0.0))


# Relative slack when comparing a distance with a radius: points on a ball's boundary are inside,
# and distances that are equal in exact arithmetic differ by rounding in the expansion above.
_BOUNDARY = 1.0 + 1e-9


def _kth_neighbour_sq(x: np.ndarray, k: int) -> np.ndarray:
    """Squared distance from each row of ``x`` to its k-th nearest *other* row."""
    x_sq = np.einsum("ij,ij->i", x, x)
    noise = _snap_noise(x_sq, x_sq)
    out = np.empty(len(x), dtype=np.float64)
    step = max(1, _BLOCK_ENTRIES // len(x))
    for start in range(0, len(x), step):
        rows = slice(start, start + step)
        d = _partial_sq_distances(-2.0 * x[rows], x, x_sq)
        # Each row's own distance (0) is the smallest, so index k is the k-th other neighbour.
        # In place: the block is a temporary, and a copy was a tenth of the check's time.
        d.partition(k, axis=1)
        out[rows] = d[:, k] + x_sq[rows]
    out[out <= noise] = 0.0
    return out


def _balls_hit(x: np.ndarray, radii_sq: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, int]:
    """Which real balls hold at least one fake row, and how many (real ball, fake row) hits."""
    x_sq = np.einsum("ij,ij->i", x, x)
    y_sq = np.einsum("ij,ij->i", y, y)
    # A snapped distance (0) is inside every ball, so a row's bound is the larger of the two.
    bound = np.maximum(radii_sq * _BOUNDARY, _snap_noise(x_sq, y_sq)) - x_sq
    covered = np.zeros(len(x), dtype=bool)
    inside = 0
    step = max(1, _BLOCK_ENTRIES // max(len(y), 1))
    for start in range(0, len(x), step):
        rows = slice(start, start + step)
        hits = _partial_sq_distances(-2.0 * x[rows], y, y_sq) <= bound[rows, None]
        covered[rows] = hits.any(axis=1)
        inside += int(np.count_nonzero(hits))
    return covered, inside


def expected_coverage_identical(n_real: int, n_fake: int, k: int) -> float:
    """Expected coverage when real and fake come from the same continuous distribution.

    A real row is uncovered when its ``k`` nearest neighbours among the other ``N - 1 + M`` rows
    are all real; by exchangeability that has probability ``prod_{j=1..k} (N - j) / (N + M - j)``
    (Naeem et al. 2020, section 4). For ``N = M`` and ``k = 5`` it is about ``1 - 2**-5``.
    """
    if k < 1 or n_real <= k or n_fake < 1:
        raise ValueError("need n_real > k >= 1 and n_fake >= 1")
    miss = math.prod((n_real - j) / (n_real + n_fake - j) for j in range(1, k + 1))
    return 1.0 - miss
