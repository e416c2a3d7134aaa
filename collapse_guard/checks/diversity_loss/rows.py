"""Tabular rows: the share of batch rows that repeat another row, against random splits of the samples.

A generator that collapses onto its modes emits the same rows again and again; honest data has
duplicates of its own (repeat orders, default values), so the batch's share is compared with the
reference's at the same number of rows. Both row samples are uniform samples of their data, so
under H0 their rows are exchangeable: the null is random splits of the pooled rows (exact, any
amount of honest duplication).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from ...context import CheckContext
from ...kinds import Kind
from ...results import Measurement
from ...stats.entropy import compare_with_split_null
from .common import MIN_ROWS, _measure, _pct

# Rows per side at which the shares are compared. A repeat is seen only when both copies land in
# the sample, so more rows see more; this many keep the check at a few tens of milliseconds.
MAX_ROWS = 10_000


def repeat_share(codes: np.ndarray) -> float:
    """Share of rows equal to an earlier row: ``1 - distinct / rows`` (0 for no rows)."""
    if len(codes) == 0:
        return 0.0
    ordered = np.sort(codes)  # a sort is several times faster than np.unique's hash table here
    return float(np.count_nonzero(ordered[1:] == ordered[:-1])) / len(codes)


def _row_codes(frame: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per row of ``frame`` (missing values hash alike)."""
    return np.asarray(pd.util.hash_pandas_object(frame, index=False), dtype=np.uint64)


def _duplicate_rows(ctx: CheckContext) -> Iterator[Measurement]:
    assert ctx.reference is not None
    ref_df, bat_df = ctx.reference.sample, ctx.batch.sample
    if ref_df is None or bat_df is None:
        return
    kinds = (Kind.NUMERIC, Kind.CATEGORICAL)
    columns = [c for kind in kinds for c in ctx.columns(kind) if c in ref_df and c in bat_df]
    if not columns:
        return
    m = min(len(ref_df), len(bat_df), MAX_ROWS)
    if m < MIN_ROWS:
        reason = (
            f"duplicate rows need at least {MIN_ROWS} rows in each row sample; got {len(bat_df):,} "
            f"batch and {len(ref_df):,} reference rows"
        )
        yield Measurement(None, "duplicate_row_share", insufficient=reason, message=reason)
        return
    rng = ctx.rng("duplicate_rows")
    # Random subsets of each sample are still uniform samples, so pooling them keeps the null exact
    # while hashing at most 2m rows per side.
    ref_rows = rng.choice(len(ref_df), min(len(ref_df), 2 * m), replace=False)  # in random order:
    bat_rows = rng.choice(len(bat_df), min(len(bat_df), 2 * m), replace=False)  # the first m are too
    ref_codes = _row_codes(ref_df.iloc[ref_rows][columns])
    bat_codes = _row_codes(bat_df.iloc[bat_rows][columns])
    batch_share = repeat_share(bat_codes[:m])
    reference_share = repeat_share(ref_codes[:m])
    pooled = np.concatenate([ref_codes, bat_codes])
    # The two halves of a random 2m-row subset of the pooled rows are what a random split of the
    # samples gives at m rows each: their difference is one draw of the null.
    draws = int(ctx.option("null_draws"))
    differences = []
    for _ in range(draws):
        pick = rng.choice(len(pooled), 2 * m, replace=False)
        differences.append(repeat_share(pooled[pick[:m]]) - repeat_share(pooled[pick[m:]]))
    cmp = compare_with_split_null(batch_share, reference_share, differences, worse="higher")
    excess = batch_share - reference_share
    repeated = round(batch_share * m)
    yield _measure(
        None,
        "duplicate_row_share",
        cmp,
        excess,
        f"{repeated:,} of {m:,} sampled batch rows ({_pct(batch_share)}) repeat another sampled row "
        f"where {m:,} reference rows show {_pct(reference_share)} (all {len(columns)} numeric and "
        f"categorical columns equal)"
        + ("; deduplicate before ingesting." if excess > 0 and cmp.p_value < 0.01 else "."),
        {
            "rows_per_side": m,
            "batch_sample_rows": len(bat_df),
            "reference_sample_rows": len(ref_df),
            "columns": columns,
            "batch_repeated_rows": repeated,
            "reference_repeated_rows": round(reference_share * m),
            "null_draws": draws,
            "null": "random splits of the pooled row samples (exact under exchangeability)",
        },
    )
