"""Tabular rows: Naeem et al. (2020) coverage of the reference by the batch, and where it falls short."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from ...context import CheckContext
from ...kinds import Kind
from ...results import Measurement
from ...stats.coverage import (
    FeatureWidthError,
    density_coverage,
    fit_feature_space,
    transform,
)
from ...stats.entropy import compare_with_null, finite_population_inflation
from .common import MIN_ROWS, _fmt, _measure, _pct

K = 5


def _describe_uncovered(
    frame: pd.DataFrame, uncovered: np.ndarray, numeric: list[str], categorical: list[str]
) -> list[str]:
    """Where the reference rows the batch no longer covers sit, in the data's own terms."""
    notes: list[tuple[float, str]] = []
    if uncovered.sum() == 0:
        return []
    for col in categorical:
        values = frame[col].astype(object).where(frame[col].notna(), "<null>").astype(str)
        all_share = values.value_counts(normalize=True)
        unc_share = values[uncovered].value_counts(normalize=True)
        lift = (unc_share - all_share.reindex(unc_share.index)).sort_values(ascending=False)
        if len(lift) and lift.iloc[0] > 0.05:
            cat = lift.index[0]
            notes.append(
                (
                    float(lift.iloc[0]),
                    f"{col}={cat!r} ({_pct(float(unc_share[cat]))} of uncovered rows vs "
                    f"{_pct(float(all_share[cat]))} overall)",
                )
            )
    for col in numeric:
        x = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=np.float64)
        ok = np.isfinite(x)
        if ok.sum() < 10 or (ok & uncovered).sum() == 0:
            continue
        sd = float(np.std(x[ok]))
        if sd == 0:
            continue
        med_u = float(np.median(x[ok & uncovered]))
        med_a = float(np.median(x[ok]))
        shift = abs(med_u - med_a) / sd
        if shift > 0.25:
            notes.append((shift / 2, f"{col} median {_fmt(med_u)} vs {_fmt(med_a)} overall"))
    notes.sort(key=lambda t: -t[0])
    return [text for _, text in notes[:3]]


def _coverage(ctx: CheckContext) -> Iterator[Measurement]:
    assert ctx.reference is not None
    ref_df, bat_df = ctx.reference.sample, ctx.batch.sample
    if ref_df is None or bat_df is None:
        return
    numeric = [c for c in ctx.columns(Kind.NUMERIC) if c in ref_df and c in bat_df]
    categorical = [c for c in ctx.columns(Kind.CATEGORICAL) if c in ref_df and c in bat_df]
    max_cats = int(ctx.option("max_categories"))
    # Columns with too many categories to one-hot encode (cities, SKUs, ids) are left out and named
    # in the coverage finding: one insufficient-data finding per such column, on every run, buried
    # the report in advice to retype columns that are fine as they are.
    left_out: dict[str, int] = {}
    while True:
        try:
            space = fit_feature_space(ref_df, numeric, categorical, max_categories=max_cats)
            break
        except FeatureWidthError as err:
            categorical.remove(err.column)
            left_out[err.column] = err.n_categories
    without = (
        f" Left out: {', '.join(f'`{c}` ({n:,} categories)' for c, n in left_out.items())}, more than "
        f"the {max_cats:,} a one-hot encoding allows (diversity-loss max_categories)."
        if left_out
        else ""
    )
    if space.width == 0:
        if left_out:
            reason = f"no column is left to compare rows on.{without}"
            yield Measurement(None, "coverage", insufficient=reason, message=reason)
        return
    rows = int(ctx.option("coverage_rows"))
    s = min(len(bat_df), len(ref_df) // 2, rows)
    if s < max(MIN_ROWS, 4 * K):
        reason = (
            f"coverage needs at least {max(MIN_ROWS, 4 * K)} batch rows and twice that in the "
            f"reference sample; got {len(bat_df):,} and {len(ref_df):,}"
        )
        yield Measurement(None, "coverage", insufficient=reason, message=reason)
        return
    x_ref = transform(space, ref_df)
    rng = ctx.rng("coverage")
    null_cov, null_den = [], []
    for _ in range(int(ctx.option("coverage_draws"))):
        perm = rng.permutation(len(x_ref))
        dc = density_coverage(x_ref[perm[:s]], x_ref[perm[s : 2 * s]], K)
        null_cov.append(dc.coverage)
        null_den.append(dc.density)
    obs_cov, obs_den = [], []
    first_real = np.zeros(0, dtype=np.int64)
    uncovered = np.zeros(0, dtype=bool)
    for i in range(3):
        real = rng.permutation(len(x_ref))[:s]
        fake = rng.choice(len(bat_df), s, replace=False) if len(bat_df) > s else np.arange(s)
        # Only the drawn batch rows are encoded: the batch sample can be 100,000 rows.
        x_fake = transform(space, bat_df.iloc[fake])
        dc = density_coverage(x_ref[real], x_fake, K)
        obs_cov.append(dc.coverage)
        obs_den.append(dc.density)
        if i == 0:
            first_real, uncovered = real, ~dc.covered
    inflate = finite_population_inflation(s / len(x_ref))
    cmp = compare_with_null(float(np.mean(obs_cov)), null_cov, worse="lower", inflate=inflate)
    effect = cmp.observed / cmp.expected if cmp.expected > 0 else 1.0
    where = _describe_uncovered(
        ref_df.iloc[first_real].reset_index(drop=True), uncovered, numeric, categorical
    )
    subsample_note = (
        f"{s:,} rows per side (deterministic subsample of {len(bat_df):,} batch and "
        f"{len(ref_df):,} reference sample rows)"
    )
    uncovered_share = 1.0 - cmp.observed
    yield _measure(
        None,
        "coverage",
        cmp,
        effect,
        f"batch rows cover {_pct(cmp.observed)} of reference rows (k = {K} neighbourhoods, "
        f"{subsample_note}) vs {_pct(cmp.expected)} for an honest batch; "
        + (
            f"uncovered reference rows are mostly {'; '.join(where)}."
            if where
            else f"{_pct(uncovered_share)} of reference rows have no batch row nearby."
        )
        + without,
        {
            "rows_per_side": s,
            "batch_sample_rows": len(bat_df),
            "reference_sample_rows": len(ref_df),
            "feature_width": space.width,
            "numeric_columns": list(space.numeric),
            "categorical_columns": [c for c, _ in space.categorical],
            "left_out_columns": dict(left_out),
            "k": K,
            "density": float(np.mean(obs_den)),
            "density_expected": float(np.mean(null_den)),
            "uncovered_regions": where,
            "subsampling": "deterministic (seeded) subsample; coverage is O(rows^2) in time",
        },
    )
