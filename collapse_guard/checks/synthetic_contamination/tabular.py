"""Tabular rows: classifier two-sample test on row features (unexplained_share) with region hints."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...kinds import Kind
from ...results import Measurement
from ...stats import mpe
from ._common import (
    MIN_ROWS,
    _Candidate,
    _pct,
    _Run,
)
from .copies import _copies
from .provenance import _provenance_columns


def _tabular(run: _Run) -> None:
    ctx = run.ctx
    ref_prof, batch_prof = ctx.reference, ctx.batch
    assert ref_prof is not None
    prov = set(_provenance_columns(ctx))
    names = [c for c in ctx.columns(Kind.NUMERIC) + ctx.columns(Kind.CATEGORICAL) if c not in prov]
    rs, bs = ref_prof.sample, batch_prof.sample
    if not names:
        return
    if rs is None or bs is None:
        run.reasons.append("the profiles hold no row sample (sample_rows = 0), so rows cannot be compared")
        return
    names = [c for c in names if c in rs.columns and c in bs.columns]
    if not names:
        return
    if len(rs) < MIN_ROWS or len(bs) < MIN_ROWS:
        run.out.append(
            Measurement(
                None,
                "unexplained_share",
                insufficient=f"row samples of {len(rs)} reference and {len(bs)} batch rows are too "
                f"small to train a two-sample classifier (need {MIN_ROWS} each)",
            )
        )
        return
    rng = ctx.rng("tabular")
    max_rows = int(ctx.option("max_rows"))
    rs = rs.iloc[np.sort(rng.choice(len(rs), min(len(rs), max_rows), replace=False))]
    bs = bs.iloc[np.sort(rng.choice(len(bs), min(len(bs), max_rows), replace=False))]
    kinds = {c: ref_prof.columns[c].kind for c in names}
    ref_counts = {
        c: dict(getattr(ref_prof.columns[c], "counts", {})) for c in names if kinds[c] is Kind.CATEGORICAL
    }
    xr, xb, cat_mask, feature_names = _row_features(rs[names], bs[names], kinds, ref_counts)
    n_boot = int(ctx.option("n_boot"))
    scores = mpe.cross_fit_scores(
        xr,
        xb,
        seed=int(rng.integers(2**31)),
        model=ctx.option("classifier"),
        categorical=cat_mask,
        n_folds=3,
    )
    res = mpe.estimate_mpe(scores, rng, n_boot=min(n_boot, 200), n_null=min(n_boot, 200))
    lo, hi = res.interval
    hints = _region_hints(rs[names], bs[names], kinds)
    msg = (
        f"at least {_pct(res.alpha)} [{_pct(lo)}, {_pct(hi)}] of batch rows are unlike the "
        f"reference: a classifier separates them (AUC {res.auc:.3f}); "
        f"{_pct(res.threshold_share_ref)} of reference rows fall in a clearly human region that "
        f"holds only {_pct(res.threshold_share_batch)} of the batch" + (f"; {hints[0]}" if hints else "")
    )
    run.out.append(
        Measurement(
            None,
            "unexplained_share",
            value=res.alpha,
            expected=0.0,
            interval=res.interval,
            p_value=res.p_value,
            effect=res.alpha,
            message=msg,
            evidence={
                "method": "cross-fitted classifier two-sample test + Best Bin Estimation",
                "auc": res.auc,
                "auc_p_value": res.auc_p_value,
                "raw_alpha": res.raw_alpha,
                "null_offset": res.null_offset,
                "null_q95": res.null_q95,
                "reference_rows": len(rs),
                "batch_rows": len(bs),
                "features": feature_names,
                "hints": hints,
            },
        )
    )
    run.candidates.append(
        _Candidate(
            "classifier + mixture-proportion bound (rows)",
            None,
            res.alpha,
            res.interval,
            res.p_value,
            "lower bound",
            f"rows: at least {_pct(res.alpha)} unexplained (AUC {res.auc:.3f})",
        )
    )
    _copies(run, rs[names], bs[names], kinds, rng)


def _row_features(
    ref: pd.DataFrame,
    batch: pd.DataFrame,
    kinds: dict[str, Kind],
    ref_counts: dict[str, dict[str, int]] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Classifier features. Categories are encoded from the reference's exact full counts, not
    from its row sample: a rare category that the sample happened to miss must not make the
    batch rows holding it look separable (that alone gave AUC 0.53 on honest 1M-row batches)."""
    ref_counts = ref_counts or {}
    cols_r, cols_b, cat, names = [], [], [], []
    for c, kind in kinds.items():
        if kind is Kind.NUMERIC:
            r = pd.to_numeric(ref[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            b = pd.to_numeric(batch[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            cols_r.append(r)
            cols_b.append(b)
            cat.append(False)
            names.append(c)
            finite = r[np.isfinite(r)]
            # Generators such as copulas turn whole numbers into fractions; trees cannot see that
            # from the raw value, so integrality becomes its own feature.
            if finite.size and np.all(finite == np.round(finite)):
                cols_r.append((np.abs(r - np.round(r)) > 1e-9).astype(float))
                cols_b.append((np.abs(b - np.round(b)) > 1e-9).astype(float))
                cat.append(False)
                names.append(f"{c} (not a whole number)")
        else:
            rv = ref[c].astype("string").fillna("\x00missing")
            bv = batch[c].astype("string").fillna("\x00missing")
            counts = ref_counts.get(c) or rv.value_counts().to_dict()
            known = pd.Index(sorted(counts))  # type: ignore[type-var]
            if len(known) <= 30:
                # Few levels: every level is in the sample; categories the reference never had
                # share one extra level.
                cols_r.append(
                    np.where(known.get_indexer(rv) < 0, len(known), known.get_indexer(rv)).astype(float)  # type: ignore[arg-type]
                )
                cols_b.append(
                    np.where(known.get_indexer(bv) < 0, len(known), known.get_indexer(bv)).astype(float)  # type: ignore[arg-type]
                )
                cat.append(True)
            else:
                total = float(sum(counts.values()))
                freq = pd.Series({k: v / total for k, v in counts.items()})
                cols_r.append(np.log10(rv.map(freq).fillna(0.0).to_numpy(dtype=float) + 1e-9))
                cols_b.append(np.log10(bv.map(freq).fillna(0.0).to_numpy(dtype=float) + 1e-9))
                cat.append(False)
            names.append(c)
    return np.column_stack(cols_r), np.column_stack(cols_b), np.array(cat), names


def _region_hints(ref: pd.DataFrame, batch: pd.DataFrame, kinds: dict[str, Kind]) -> list[str]:
    """Plain-language pointers to what the batch lacks or invents, column by column."""
    hints: list[tuple[float, str]] = []
    for c, kind in kinds.items():
        if kind is Kind.NUMERIC:
            r = pd.to_numeric(ref[c], errors="coerce").dropna().to_numpy(dtype=float)
            b = pd.to_numeric(batch[c], errors="coerce").dropna().to_numpy(dtype=float)
            if r.size < 20 or b.size < 20:
                continue
            if np.all(r == np.round(r)):
                frac = float(np.mean(b != np.round(b)))
                if frac > 0.01:
                    hints.append(
                        (
                            frac,
                            f"{_pct(frac)} of `{c}` values are fractions where the "
                            "reference has only whole numbers",
                        )
                    )
            lo, hi = np.quantile(r, [0.01, 0.99])
            tails = float(np.mean((b < lo) | (b > hi)))
            if tails < 0.01:
                hints.append(
                    (
                        0.02 - tails,
                        f"`{c}` has {_pct(tails)} of rows beyond the "
                        f"reference p1/p99 ({lo:.4g}, {hi:.4g}) where 2% "
                        "were expected",
                    )
                )
        else:
            rv = ref[c].astype("string").value_counts(normalize=True)
            bv = batch[c].astype("string").value_counts(normalize=True)
            new = [str(v) for v in bv.index if v not in rv.index][:3]
            if new:
                hints.append(
                    (
                        float(bv[bv.index.isin(new)].sum()),
                        f"`{c}` has values never seen in the reference: {new}",
                    )
                )
    hints.sort(key=lambda t: -t[0])
    return [h for _, h in hints[:5]]
