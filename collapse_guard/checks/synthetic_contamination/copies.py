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


def _copies(
    run: _Run,
    ref: pd.DataFrame,
    batch: pd.DataFrame,
    kinds: dict[str, Kind],
    rng: np.random.Generator,
) -> None:
    # 1,000 query rows measure a copy rate to within about 1.5 points and 5,000 reference rows
    # are enough to find copies of the rows a generator saw most; the brute-force distance costs
    # queries x reference rows, so larger samples only cost time.
    n_hold = min(max(int(0.2 * len(ref)), 20), 1_000)
    order = rng.permutation(len(ref))
    hold, train = ref.iloc[order[:n_hold]], ref.iloc[order[n_hold : n_hold + 5_000]]
    bsub = batch.iloc[: min(len(batch), 1_000)]
    num = [c for c, k in kinds.items() if k is Kind.NUMERIC]
    cat = [c for c, k in kinds.items() if k is not Kind.NUMERIC]

    def arrays(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        xn = (
            np.column_stack(
                [pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan) for c in num]
            )
            if num
            else np.zeros((len(df), 0))
        )
        xc = (
            np.column_stack(
                [df[c].astype("string").fillna("\x00").map(hash_str).to_numpy(dtype=np.int64) for c in cat]
            )
            if cat
            else np.zeros((len(df), 0), dtype=np.int64)
        )
        return xn, xc

    tn, tc = arrays(train)
    ranges = (np.nanmax(tn, axis=0) - np.nanmin(tn, axis=0)) if num else np.zeros(0)
    ranges = np.where(np.isfinite(ranges), ranges, 1.0)
    hd, _ = dcr_stats.gower_closest(tn, tc, *arrays(hold), ranges)
    bd, bidx = dcr_stats.gower_closest(tn, tc, *arrays(bsub), ranges)
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
