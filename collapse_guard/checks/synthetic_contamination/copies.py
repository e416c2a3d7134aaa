"""Exact and near copies of reference rows in the batch (reference_copies).

Held-out reference rows are honest by construction, so the null is theirs: the batch's copy rate
is compared with the hold-out's at the same definition of a copy, in two parts that each have a
two-sample test (the hold-out's own sampling error included):

* exact copies: rows hashed (missing equals missing), batch and hold-out rows looked up among all
  the other reference rows of the sample. Hashing is cheap, so the samples are large.
* near copies: rows that are not exact copies but lie closer (Gower distance) to a reference row
  than 99% of held-out rows that are not exact copies either. Data with natural duplicates once
  made the hold-out's 1% quantile 0, so "near" meant "exact" on 750 rows against a plug-in rate
  and 5% of honest splits had p < 0.01 at warn_alpha 0.05 (2% warned).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ...kinds import Kind
from ...results import Measurement
from ...stats import dcr as dcr_stats
from ...stats.proportions import excess_rate_p
from ._common import (
    _pct,
    _Run,
)

COPY_QUERY_ROWS = 750
COPY_REFERENCE_ROWS = 4_000
# Held-out reference rows for the exact-copy rate (hashing costs nothing next to the distances):
# with 5,000 batch rows the difference of two 5% rates has a standard error of 0.5 points at
# 3,000 held-out rows, against 0.9 points at 750 on each side.
EXACT_HOLDOUT_ROWS = 3_000
NEAR_QUANTILE = 0.01


def _copies(
    run: _Run,
    ref: pd.DataFrame,
    batch: pd.DataFrame,
    kinds: dict[str, Kind],
    rng: np.random.Generator,
) -> None:
    # 750 query rows measure a near-copy rate to within about 1.5 points and 4,000 reference rows
    # are enough to find copies of the rows a generator saw most; the brute-force distance costs
    # queries x reference rows, and was a quarter of the check's time on a 1M-row table at
    # 2 x 1,000 x 5,000.
    n_hold = min(max(int(0.2 * len(ref)), 20), EXACT_HOLDOUT_ROWS)
    order = rng.permutation(len(ref))
    hold, train = ref.iloc[order[:n_hold]], ref.iloc[order[n_hold:]]
    num = [c for c, k in kinds.items() if k is Kind.NUMERIC]
    cat = [c for c, k in kinds.items() if k is not Kind.NUMERIC]

    # Category codes shared by the three frames: factorize their values together (one pass in
    # C, where hashing each value in Python cost a third of the copy search).
    frames = (train, hold, batch)
    codes = {}
    for c in cat:
        joined = pd.concat([f[c] for f in frames], ignore_index=True).astype("string").fillna("\x00")
        codes[c] = np.split(
            pd.factorize(joined)[0].astype(np.int64), np.cumsum([len(f) for f in frames])[:-1]
        )

    def arrays(df: pd.DataFrame, which: int) -> tuple[np.ndarray, np.ndarray]:
        xn = (
            np.column_stack(
                [pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan) for c in num]
            )
            if num
            else np.zeros((len(df), 0))
        )
        xc = (
            np.column_stack([codes[c][which] for c in cat]) if cat else np.zeros((len(df), 0), dtype=np.int64)
        )
        return xn + 0.0, xc  # + 0.0: -0.0 hashes like 0.0

    (tn, tc), (hn, hc), (bn, bc) = arrays(train, 0), arrays(hold, 1), arrays(batch, 2)
    th, hh, bh = _row_hashes(tn, tc), _row_hashes(hn, hc), _row_hashes(bn, bc)
    exact_h, exact_b = np.isin(hh, th), np.isin(bh, th)

    # Near copies: the first rows of the (shuffled) reference parts, random batch rows (a batch
    # file may be sorted).
    nt, nq = min(len(train), COPY_REFERENCE_ROWS), COPY_QUERY_ROWS
    qb = np.sort(rng.choice(len(batch), min(nq, len(batch)), replace=False))
    ranges = (np.nanmax(tn[:nt], axis=0) - np.nanmin(tn[:nt], axis=0)) if num else np.zeros(0)
    ranges = np.where(np.isfinite(ranges), ranges, 1.0)
    hd, _ = dcr_stats.gower_closest(tn[:nt], tc[:nt], hn[:nq], hc[:nq], ranges)
    bd, bidx = dcr_stats.gower_closest(tn[:nt], tc[:nt], bn[qb], bc[qb], ranges)
    hd_other, bd_other = hd[~exact_h[:nq]], bd[~exact_b[qb]]
    threshold = dcr_stats.near_copy_threshold(hd_other, NEAR_QUANTILE)
    k_near_h = int(np.sum((hd_other > 0) & (hd_other <= threshold)))
    k_near_b = int(np.sum((bd_other > 0) & (bd_other <= threshold)))
    k_exact_h, k_exact_b = int(exact_h.sum()), int(exact_b.sum())
    p_exact = excess_rate_p(k_exact_b, exact_b.size, k_exact_h, exact_h.size)
    p_near = excess_rate_p(k_near_b, bd_other.size, k_near_h, hd_other.size)
    p_value = min(1.0, 2.0 * min(p_exact, p_near))
    exact_share, exp_exact = k_exact_b / exact_b.size, k_exact_h / exact_h.size
    # Shares of all rows: near copies are counted among the rows that are not exact copies.
    near_only = (1 - exact_share) * k_near_b / max(bd_other.size, 1)
    exp_near_only = (1 - exp_exact) * k_near_h / max(hd_other.size, 1)
    value, expected = exact_share + near_only, exp_exact + exp_near_only
    effect = max(value - expected, 0.0)
    example = None
    if k_exact_b:
        row = int(np.flatnonzero(np.isin(th, bh[exact_b]))[0])
        example = {k: _plain(v) for k, v in train.iloc[row].items()}
    elif k_near_b:
        i = int(np.argmin(np.where(exact_b[qb], np.inf, bd)))
        example = {k: _plain(v) for k, v in train.iloc[int(bidx[i])].items()}
    leaking = effect > 0.01 and p_value < 0.05
    med_h = float(np.median(hd))
    run.out.append(
        Measurement(
            None,
            "reference_copies",
            value=value,
            expected=expected,
            p_value=p_value,
            effect=effect,
            message=(
                f"{k_exact_b} of {exact_b.size:,} batch rows are exact copies of reference rows "
                f"({_pct(exact_share)}; {_pct(exp_exact)} among held-out human rows) and "
                f"{k_near_b} of {bd_other.size:,} others are near copies (distance <= "
                f"{threshold:.3g}; {_pct(k_near_h / max(hd_other.size, 1))} among held-out human rows)"
                + ("; a generator may be leaking its training rows" if leaking else "")
            ),
            evidence={
                "exact_share": exact_share,
                "expected_exact_share": exp_exact,
                "near_share": value,
                "near_only_share": near_only,
                "expected_near_only_share": exp_near_only,
                "threshold": threshold,
                "exact_p_value": p_exact,
                "near_p_value": p_near,
                "p_value_adjustment": "Bonferroni over the exact-copy and near-copy tests",
                "median_dcr_ratio": float(np.median(bd)) / med_h if med_h > 0 else float("nan"),
                "example_copied_row": example,
                "reference_rows_searched": int(nt),
                "reference_rows_hashed": len(train),
                "holdout_rows": len(hold),
                "batch_rows": len(batch),
                "batch_rows_searched": int(qb.size),
            },
        )
    )


def _row_hashes(xn: np.ndarray, xc: np.ndarray) -> np.ndarray:
    """One 64-bit hash per row of numeric values and category codes (NaN equals NaN)."""
    frame = pd.DataFrame(np.column_stack([xn, xc.astype(float)]) if xc.size else xn)
    if frame.shape[1] == 0:
        return np.zeros(len(frame), dtype=np.uint64)
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _plain(v: Any) -> Any:
    if isinstance(v, (np.floating, float)):
        return None if math.isnan(float(v)) else float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    return None if v is pd.NA else str(v)
