"""Exact and near copies of reference rows in the batch (reference_copies)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ...kinds import Kind
from ...results import Measurement
from ...stats import dcr as dcr_stats
from ._common import (
    _pct,
    _Run,
)

COPY_QUERY_ROWS = 750
COPY_REFERENCE_ROWS = 4_000


def _copies(
    run: _Run,
    ref: pd.DataFrame,
    batch: pd.DataFrame,
    kinds: dict[str, Kind],
    rng: np.random.Generator,
) -> None:
    # 750 query rows measure a copy rate to within about 1.5 points (a 5% rate of copies is
    # 37 rows against about 8 expected) and 4,000 reference rows are enough to find copies of the
    # rows a generator saw most; the brute-force distance costs queries x reference rows, and was
    # a quarter of the check's time on a 1M-row table at 2 x 1,000 x 5,000.
    n_hold = min(max(int(0.2 * len(ref)), 20), COPY_QUERY_ROWS)
    order = rng.permutation(len(ref))
    hold, train = ref.iloc[order[:n_hold]], ref.iloc[order[n_hold : n_hold + COPY_REFERENCE_ROWS]]
    bsub = batch.iloc[: min(len(batch), COPY_QUERY_ROWS)]
    num = [c for c, k in kinds.items() if k is Kind.NUMERIC]
    cat = [c for c, k in kinds.items() if k is not Kind.NUMERIC]

    # Category codes shared by the three frames: factorize their values together (one pass in
    # C, where hashing each value in Python cost a third of the copy search).
    frames = (train, hold, bsub)
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
        return xn, xc

    tn, tc = arrays(train, 0)
    ranges = (np.nanmax(tn, axis=0) - np.nanmin(tn, axis=0)) if num else np.zeros(0)
    ranges = np.where(np.isfinite(ranges), ranges, 1.0)
    hd, _ = dcr_stats.gower_closest(tn, tc, *arrays(hold, 1), ranges)
    bd, bidx = dcr_stats.gower_closest(tn, tc, *arrays(bsub, 2), ranges)
    res = dcr_stats.copy_statistics(bd, hd)
    effect = max(res.near_share - res.expected_near_share, 0.0)
    example = None
    if res.n_near:
        i = int(np.argmin(bd))
        example = {k: _plain(v) for k, v in train.iloc[int(bidx[i])].items()}
    run.out.append(
        Measurement(
            None,
            "reference_copies",
            value=res.near_share,
            expected=res.expected_near_share,
            p_value=res.p_value,
            effect=effect,
            message=(
                f"{res.n_exact} of {res.n_batch:,} batch rows are exact copies of reference "
                "rows and "
                f"{res.n_near} are near copies (distance <= {res.threshold:.3g}); among "
                "held-out human "
                f"rows {_pct(res.expected_near_share)} are that close"
                + ("; a generator may be leaking its training rows" if effect > 0.01 else "")
            ),
            evidence={
                "exact_share": res.exact_share,
                "expected_exact_share": res.expected_exact_share,
                "near_share": res.near_share,
                "threshold": res.threshold,
                "median_dcr_ratio": res.median_ratio,
                "example_copied_row": example,
                "reference_rows_searched": len(train),
            },
        )
    )


def hash_str(value: str) -> int:
    """Stable integer code of a category (only equality matters)."""
    import zlib

    return zlib.crc32(str(value).encode("utf-8"))


def _plain(v: Any) -> Any:
    if isinstance(v, (np.floating, float)):
        return None if math.isnan(float(v)) else float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    return None if v is pd.NA else str(v)
