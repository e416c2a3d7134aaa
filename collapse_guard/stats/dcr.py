"""Distance to closest record (DCR): exact and near copies of reference rows.

A generator that memorises leaks its training rows. The DCR of a row is its Gower distance to the
nearest reference row: numeric differences divided by the reference column's range, categorical
mismatches counted 1, averaged over columns (SDMetrics' DCRBaselineProtection uses the same
distance). The batch's share of exact copies (DCR = 0) and near copies (DCR at or below the 1st
percentile of human-to-human DCRs) is compared with the same shares for held-out reference rows,
which come from the same human source and therefore show how often honest data repeat.

References
----------
Gower, J. C. "A general coefficient of similarity and some of its properties", Biometrics 27 (1971).
SDMetrics, ``DCRBaselineProtection`` / ``DCROverfittingProtection`` (docs.sdv.dev).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .distributions import betabinom_sf


@dataclass(frozen=True, slots=True)
class DCRResult:
    """Copies of reference rows in the batch.

    Attributes
    ----------
    exact_share, near_share
        Batch rows at distance 0, and at or below ``threshold``.
    expected_exact_share, expected_near_share
        The same shares for held-out reference rows.
    threshold
        Near-copy distance: the 1st percentile of held-out DCRs (at least 1e-9).
    p_value
        One-sided beta-binomial p-value that near copies exceed the held-out share (the
        hold-out share is estimated, not known).
    n_exact, n_near, n_batch
        Counts behind the shares.
    median_ratio
        Median batch DCR over median held-out DCR (below 1 = closer to the reference than human
        data are).
    """

    exact_share: float
    near_share: float
    expected_exact_share: float
    expected_near_share: float
    threshold: float
    p_value: float
    n_exact: int
    n_near: int
    n_batch: int
    median_ratio: float


def gower_closest(
    ref_num: np.ndarray,
    ref_cat: np.ndarray,
    query_num: np.ndarray,
    query_cat: np.ndarray,
    ranges: np.ndarray,
    *,
    chunk: int = 256,
) -> tuple[np.ndarray, np.ndarray]:
    """Gower distance from every query row to its closest reference row.

    Parameters
    ----------
    ref_num, query_num
        Numeric features (rows x p); NaN equals NaN and differs from any number by 1.
    ref_cat, query_cat
        Integer category codes (rows x c); codes must be shared between the two sides.
    ranges
        Reference range of each numeric column (zero ranges are treated as 1).
    chunk
        Query rows per block; memory is ``chunk * n_ref * (p + c)`` floats.

    Returns
    -------
    distance, index
        Closest distance in [0, 1] and the index of that reference row.

    Numeric columns without missing values on either side are summed by ``_cityblock`` in
    cache-sized blocks. That sum skips Gower's cap of 1 per column, which only matters for a
    query value outside the reference's range; such query rows are recomputed exactly
    afterwards, so results are the same.
    """
    ref_num = np.asarray(ref_num, dtype=float).reshape(len(ref_num), -1)
    query_num = np.asarray(query_num, dtype=float).reshape(len(query_num), -1)
    ref_cat = np.asarray(ref_cat).reshape(len(ref_cat), -1)
    query_cat = np.asarray(query_cat).reshape(len(query_cat), -1)
    n_feat = ref_num.shape[1] + ref_cat.shape[1]
    if n_feat == 0:
        raise ValueError("DCR needs at least one numeric or categorical column")
    scale = np.where(np.asarray(ranges, dtype=float) > 0, ranges, 1.0)
    rn = ref_num / scale
    qn = query_num / scale
    r_nan = np.isnan(rn)
    clean = ~(r_nan.any(axis=0) | np.isnan(qn).any(axis=0))  # columns for the fast path
    # A query value farther than 1 (one range) from some reference value needs the cap.
    if rn.shape[0] and clean.any():
        lo, hi = rn[:, clean].min(axis=0), rn[:, clean].max(axis=0)
        capped = np.any((qn[:, clean] < hi - 1.0) | (qn[:, clean] > lo + 1.0), axis=1)
    else:
        capped = np.zeros(len(qn), dtype=bool)
    dist = np.empty(len(qn))
    index = np.empty(len(qn), dtype=np.int64)
    rn_clean_t = np.ascontiguousarray(rn[:, clean].T)
    for start in range(0, len(qn), chunk):
        stop = min(start + chunk, len(qn))
        q = qn[start:stop]
        if clean.any():
            total = _cityblock(q[:, clean], rn_clean_t)
            slow = np.flatnonzero(capped[start:stop])
            for j in np.flatnonzero(clean):
                if slow.size:
                    d = np.minimum(np.abs(q[slow, j, None] - rn[None, :, j]), 1.0)
                    total[slow] += d - np.abs(q[slow, j, None] - rn[None, :, j])
        else:
            total = np.zeros((len(q), len(rn)))
        for j in np.flatnonzero(~clean):
            d = np.abs(q[:, j, None] - rn[None, :, j])
            q_nan = np.isnan(q[:, j])[:, None]
            both = q_nan & r_nan[None, :, j]
            total += np.where(both, 0.0, np.where(q_nan | r_nan[None, :, j], 1.0, np.minimum(d, 1.0)))
        for c in range(ref_cat.shape[1]):
            total += query_cat[start:stop, c, None] != ref_cat[None, :, c]
        best = np.argmin(total, axis=1)
        index[start:stop] = best
        dist[start:stop] = total[np.arange(len(q)), best] / n_feat
    return dist, index


# Query rows per city-block pass: against 4,000 reference rows, the block and its temporary
# (0.5 MiB of float64 each) stay in cache; 8 and 32 rows were measured no faster.
_CITYBLOCK_ROWS = 16


def _cityblock(query: np.ndarray, ref_t: np.ndarray) -> np.ndarray:
    """City-block distances (query rows x reference rows); ``ref_t`` is the reference transposed.

    One column at a time over a few query rows, so every pass stays in cache: measured at 1.7x
    the time of scipy's compiled ``cdist``, which is not worth the 0.12 s that importing
    ``scipy.spatial`` (with its linear algebra and rotations) costs a check.
    """
    out = np.zeros((len(query), ref_t.shape[1]))
    tmp = np.empty((min(_CITYBLOCK_ROWS, len(query)), ref_t.shape[1]))
    for start in range(0, len(query), _CITYBLOCK_ROWS):
        block = out[start : start + _CITYBLOCK_ROWS]
        diff = tmp[: len(block)]
        for j in range(ref_t.shape[0]):
            np.subtract(query[start : start + len(block), j, None], ref_t[j][None, :], out=diff)
            np.abs(diff, out=diff)
            block += diff
    return out


def copy_statistics(batch_dcr: np.ndarray, holdout_dcr: np.ndarray) -> DCRResult:
    """Compare the batch's closest-record distances with held-out human rows'.

    Parameters
    ----------
    batch_dcr
        DCR of each batch row to the reference training rows.
    holdout_dcr
        DCR of each held-out reference row to the same training rows.
    """
    b = np.asarray(batch_dcr, dtype=float)
    h = np.asarray(holdout_dcr, dtype=float)
    if b.size == 0 or h.size == 0:
        raise ValueError(f"need DCRs on both sides, got {b.size} and {h.size}")
    eps = 1e-12
    threshold = max(float(np.quantile(h, 0.01)), 1e-9)
    n_exact = int(np.sum(b <= eps))
    n_near = int(np.sum(b <= threshold))
    exp_exact = float(np.mean(h <= eps))
    # "near" in the hold-out is at least 1% by construction of the threshold
    exp_near = float(np.mean(h <= threshold))
    # The threshold is the hold-out's own 1% quantile, so the hold-out share is itself an
    # estimate: under H0 the batch count is Beta-Binomial around it (Jeffreys prior; one
    # pseudo-row keeps it honest when the hold-out shows no copy at all).

    k_h = int(np.sum(h <= threshold))
    a, b_ = k_h + 0.5, h.size - k_h + 0.5
    p = betabinom_sf(n_near - 1, b.size, a, b_) if b.size else 1.0
    med_h = float(np.median(h))
    return DCRResult(
        exact_share=n_exact / b.size,
        near_share=n_near / b.size,
        expected_exact_share=exp_exact,
        expected_near_share=exp_near,
        threshold=threshold,
        p_value=p,
        n_exact=n_exact,
        n_near=n_near,
        n_batch=int(b.size),
        median_ratio=float(np.median(b)) / med_h if med_h > 0 else float("nan"),
    )
