"""Tabular rows: classifier two-sample test on row features (unexplained_share) with region hints.

The reference's row sample is split in two: an *anchor* part trains the copula contrast model
(``stats.mpe.copula_contrast_scores``: real rows against a Gaussian copula of themselves), whose
score joins the row features; the rest faces the batch in the cross-fitted classifier. The share
is the larger of two lower bounds read from the classifier's scores (``stats.mpe.estimate_mpe``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...kinds import Kind
from ...results import Measurement
from ...stats import mpe
from ...stats.proportions import two_proportion_p
from ..formatting import num_pair
from ._common import (
    MIN_ROWS,
    _Candidate,
    _pct,
    _Run,
)
from .copies import _copies
from .provenance import _provenance_columns

# Rows of the reference sample that train the copula contrast model (at most this many, and at
# most ANCHOR_SHARE of the sample); they are kept out of the two-sample classifier, whose
# reference rows must be scored by a contrast model that never saw them.
ANCHOR_ROWS = 4_000
ANCHOR_SHARE = 0.4
MIN_ANCHOR_ROWS = 400
SMOOTH_SHARE = 0.5
# Batch rows for the two-sample classifier. At 5,000 batch rows and 10% synthetic rows the check
# detects copula and mixture rows (benchmarks/results/contamination_tabular.md); more rows mostly
# cost time (the classifier is the check's main cost on a 1M-row table).
BATCH_ROWS = 5_000
# A column's missing share is named in the message when it differs by this much (batch vs
# reference) and a two-proportion test rejects equal shares at MISSING_NOTE_ALPHA (22% vs 20% in a
# 300-row batch was once quoted; its p-value is 0.4).
MISSING_NOTE_GAP = 0.01
MISSING_NOTE_ALPHA = 0.01
# The copula contrast is named when its AUC reaches this and its own p-value is at most this.
COPULA_HINT_AUC = 0.52
COPULA_HINT_ALPHA = 0.01
# The "clearly human region" is quoted only when the batch holds at least this much less of it
# than the reference ("100% of reference rows ... holds only 100% of the batch" said nothing).
REGION_HINT_GAP = 0.05
# Reference rows facing the batch in the classifier (and at most the option max_rows): with 5,000
# batch rows, the AUC's standard error is 0.0053 at 7,500 reference rows against 0.0050 at 10,000.
REFERENCE_ROWS = 7_500
FOLDS = 3
# 40 rounds of 8-leaf trees (stats.boosting, depth 3): on the benchmark's mixed tables (10%
# synthetic rows among 5,000) more rounds, deeper or shallower trees, bagging or more folds did not
# raise the cross-fitted AUC, and every round costs time.
# Permutation replicates for BBE's null offset and its lower limit (a 98.75% quantile).
NULL_REPLICATES = 200
TABLE_GBT_PARAMS: dict[str, float | int] = {
    "rounds": 40,
    "learning_rate": 0.2,
    "depth": 3,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
}


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
        short = [
            f"{'the' if len(s) == prof.rows else 'the row sample of the'} {side} has "
            f"{len(s):,} row{'' if len(s) == 1 else 's'}"
            for side, s, prof in (("batch", bs, batch_prof), ("reference", rs, ref_prof))
            if len(s) < MIN_ROWS
        ]
        why = (
            f"{' and '.join(short)}, and comparing rows with a two-sample classifier needs at "
            f"least {MIN_ROWS} on each side"
        )
        run.out.append(Measurement(None, "unexplained_share", message=why, insufficient=why))
        run.reasons.append(why)
        return
    rng = ctx.rng("tabular")
    max_rows = int(ctx.option("max_rows"))
    n_anchor = min(ANCHOR_ROWS, int(ANCHOR_SHARE * len(rs)))
    if n_anchor < MIN_ANCHOR_ROWS or len(rs) - n_anchor < MIN_ROWS:
        n_anchor = 0  # a small reference is worth more to the classifier than to the contrast
    order = rng.permutation(len(rs))
    anchor_idx = np.sort(order[:n_anchor])
    ref_idx = np.sort(order[n_anchor : n_anchor + min(max_rows, REFERENCE_ROWS)])
    bs = bs.iloc[np.sort(rng.choice(len(bs), min(len(bs), max_rows, BATCH_ROWS), replace=False))]
    kinds = {c: ref_prof.columns[c].kind for c in names}
    ref_counts = {
        c: dict(getattr(ref_prof.columns[c], "counts", {})) for c in names if kinds[c] is Kind.CATEGORICAL
    }
    # Frequencies of many-level categories come from the reference rows that do not face the
    # batch (see _row_features): the full counts minus those of the classifier's reference rows.
    facing = rs.iloc[ref_idx]
    freq_counts = {}
    for c, full in ref_counts.items():
        # A plain dict: a Series lookup per category cost 0.02 s for 1,000 categories.
        own = {str(k): int(v) for k, v in facing[c].astype("string").value_counts().items()}
        freq_counts[c] = {k: v - own.get(k, 0) for k, v in full.items() if v - own.get(k, 0) > 0}
    # Missing values are masked to equal shares first: the classifier would otherwise read a
    # rise in empty cells (an upstream join or export changed) as "rows unlike the reference".
    ref_rows, batch_rows, missing_shift = equalise_missingness(
        rs[names], bs[names], ctx.rng("tabular", "missing")
    )
    # One call for anchor and classifier rows, so both get the same encoding and extra features.
    xr_all, xb, cat_mask, feature_names = _row_features(ref_rows, batch_rows, kinds, ref_counts, freq_counts)
    xr = xr_all[ref_idx]
    contrast: mpe.MPEResult | None = None
    if n_anchor:
        cr, cb = mpe.copula_contrast_scores(
            xr_all[anchor_idx],
            [xr, xb],
            seed=int(rng.integers(2**31)),
            categorical=cat_mask,
            params=TABLE_GBT_PARAMS,
            smooth_share=SMOOTH_SHARE,
        )
        # The contrast model never saw these rows, so its scores are a test of their own (one
        # fold: the exact Mann-Whitney null) and give their own bounds; they also join the
        # features of the batch classifier.
        contrast = mpe.estimate_mpe(
            mpe.CrossFitScores(cr, cb, np.zeros(cr.size, np.int64), np.zeros(cb.size, np.int64)),
            rng,
            n_boot=0,
            n_null=NULL_REPLICATES,
            use_auc_bound=True,
            confidence=1 - 0.05 / 4,
        )
        xr, xb = np.column_stack([xr, cr]), np.column_stack([xb, cb])
        cat_mask = np.r_[cat_mask, False]
        feature_names = [*feature_names, "copula contrast score"]
    scores = mpe.cross_fit_scores(
        xr,
        xb,
        seed=int(rng.integers(2**31)),
        model=ctx.option("classifier"),
        categorical=cat_mask,
        n_folds=FOLDS,
        params=TABLE_GBT_PARAMS,
    )
    n_limits = 4 if contrast is not None else 2
    res = mpe.estimate_mpe(
        scores, rng, n_boot=0, n_null=NULL_REPLICATES, use_auc_bound=True, confidence=1 - 0.05 / n_limits
    )
    # Two tests (the batch classifier and the contrast score), each with two lower bounds (BBE,
    # AUC) valid on their own: the share is the largest bound; its 95% lower limit the largest
    # of the four one-sided limits at 1 - 5%/4 (all four hold together with probability >= 95%);
    # the p-value Bonferroni's over the two tests.
    tests = [("classifier", res)] + ([("copula contrast", contrast)] if contrast is not None else [])
    best_name, best = max(tests, key=lambda t: t[1].alpha)
    alpha = best.alpha
    lo = max(t[1].lower_limit for t in tests)
    p_value = min(1.0, len(tests) * min(t[1].p_value for t in tests))
    contrast_auc = contrast.auc if contrast is not None else None
    hints = _region_hints(rs.iloc[ref_idx][names], bs[names], kinds)
    # The copula contrast is named only when its own test says it separates the batch: an AUC of
    # 0.522 on independent columns (p = 0.2) was once quoted as "rows break dependence".
    if contrast is not None and contrast.auc >= COPULA_HINT_AUC and contrast.auc_p_value <= COPULA_HINT_ALPHA:
        hints.insert(
            0,
            "rows break dependence between columns that the reference has and a Gaussian copula "
            f"of it lacks (copula contrast AUC {contrast.auc:.3f}, p = {contrast.auc_p_value:.2g})",
        )
        hints = hints[:5]
    ref_region, batch_region = best.threshold_share_ref, best.threshold_share_batch
    if best.bbe_share >= best.auc_bound and batch_region <= ref_region - REGION_HINT_GAP:
        how = (
            f"{_pct(ref_region)} of reference rows fall in a clearly human region "
            f"that holds only {_pct(batch_region)} of the batch"
        )
    elif best.auc_bound > 0:
        how = f"an AUC of {best.auc:.3f} needs at least {_pct(best.auc_bound)} of rows unlike the reference"
    else:
        how = f"its AUC is {best.auc:.3f}"
    # The classifier sees rows unlike the reference, not how they were made: machine-generated
    # rows and an ordinary shift (one day's orders against eleven months) look the same to it.
    msg = (
        f"an estimated {_pct(alpha)} of batch rows are unlike the reference (95% lower bound "
        f"{_pct(lo)}; rows a generator got right are not counted, so the data set no upper "
        "bound); that is what machine-generated rows look like, or a shift in the data: the "
        f"{best_name} separates them; {how}" + (f"; {hints[0]}" if hints else "")
    )
    missing_differs = [
        c
        for c, (r, b) in missing_shift.items()
        if abs(b - r) >= MISSING_NOTE_GAP and two_proportion_p(r, len(rs), b, len(bs)) <= MISSING_NOTE_ALPHA
    ]
    shifted = [f"{c!r} {_pct(missing_shift[c][1])} vs {_pct(missing_shift[c][0])}" for c in missing_differs]
    if shifted:
        note = (
            f"missing values differ ({', '.join(shifted)} in the reference); they were masked to "
            "equal shares before comparing rows, as empty cells are not evidence of generation"
        )
        msg += f" ({note})"
        run.reasons.append(note)
    # The data bound the share from below only: a perfect generator is invisible, so the honest
    # interval for the share runs from the bound's lower limit to 1.
    interval = (lo, 1.0)
    run.out.append(
        Measurement(
            None,
            "unexplained_share",
            value=alpha,
            expected=0.0,
            interval=interval,
            p_value=p_value,
            effect=alpha,
            message=msg,
            evidence={
                "method": "cross-fitted classifier two-sample test and copula contrast score; "
                "the largest of their Best Bin Estimation and AUC lower bounds",
                "bound_from": best_name,
                "auc": res.auc,
                "auc_p_value": res.auc_p_value,
                "auc_bound": res.auc_bound,
                "bbe_share": res.bbe_share,
                "raw_alpha": res.raw_alpha,
                "null_offset": res.null_offset,
                "null_q95": res.null_q95,
                "copula_contrast_auc": contrast_auc,
                "copula_contrast_p_value": contrast.p_value if contrast is not None else None,
                "copula_contrast_auc_p_value": contrast.auc_p_value if contrast is not None else None,
                "copula_contrast_bound": contrast.alpha if contrast is not None else None,
                "lower_limit": lo,
                "anchor_rows": int(n_anchor),
                "reference_rows": len(ref_idx),
                "batch_rows": len(bs),
                "features": feature_names,
                "hints": hints,
                "missing_shares": {c: {"reference": r, "batch": b} for c, (r, b) in missing_shift.items()},
                "missing_shares_differ": missing_differs,
            },
        )
    )
    run.candidates.append(
        _Candidate(
            "classifier + mixture-proportion bound (rows)",
            None,
            alpha,
            interval,
            p_value,
            "lower bound",
            f"rows: an estimated {_pct(alpha)} unexplained by the reference (95% lower bound "
            f"{_pct(lo)}; {best_name}, AUC {best.auc:.3f})",
        )
    )
    _copies(run, rs[names], bs[names], kinds, rng)


def equalise_missingness(
    ref: pd.DataFrame, batch: pd.DataFrame, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, tuple[float, float]]]:
    """Both frames with the same law of missing cells, and each column's missing shares before
    (for the columns with any).

    Every row also takes the missing cells of a random row of the other side, so the pattern of
    empty cells in a row is, on both sides, the union of one reference pattern and one batch
    pattern. Masking columns one by one was not enough: an upstream join that blanks three
    columns together gave rows no reference row had, and they read as 99% machine-generated. A
    classifier then cannot separate rows by their empty cells (a data-quality change, not a sign
    of generated rows); values that go missing in a pattern still change what stays observed.
    Frames are copied only when something is masked.
    """
    ref_missing, batch_missing = ref.isna().to_numpy(), batch.isna().to_numpy()
    shares = {
        str(c): (float(ref_missing[:, k].mean()), float(batch_missing[:, k].mean()))
        for k, c in enumerate(ref.columns)
        if ref_missing[:, k].any() or batch_missing[:, k].any()
    }
    if not shares or not len(ref) or not len(batch):
        return ref, batch, shares
    ref_mask = ref_missing | batch_missing[rng.integers(0, len(batch), len(ref))]
    batch_mask = batch_missing | ref_missing[rng.integers(0, len(ref), len(batch))]
    masked_ref = ref.mask(ref_mask) if (ref_mask != ref_missing).any() else ref
    masked_batch = batch.mask(batch_mask) if (batch_mask != batch_missing).any() else batch
    return masked_ref, masked_batch, shares


def _row_features(
    ref: pd.DataFrame,
    batch: pd.DataFrame,
    kinds: dict[str, Kind],
    ref_counts: dict[str, dict[str, int]] | None = None,
    freq_counts: dict[str, dict[str, int]] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Classifier features. Categories are encoded from the reference's exact full counts, not
    from its row sample: a rare category that the sample happened to miss must not make the
    batch rows holding it look separable (that alone gave AUC 0.53 on honest 1M-row batches).

    Columns with more than 30 levels become the log-frequency of the category, taken from
    ``freq_counts`` when given (else ``ref_counts``). Those counts must not include the reference
    rows that face the batch: a frequency counted over the rows it encodes is high exactly where
    the sample happens to over-represent a category, and a classifier learns that (on a
    200-level column of a reference whose sample was the whole reference, clean batches got
    p-values near 0.0003)."""
    ref_counts = ref_counts or {}
    freq_counts = freq_counts if freq_counts is not None else ref_counts
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
                fc = freq_counts.get(c, counts)
                total = float(sum(fc.values()))
                freq = pd.Series({k: v / total for k, v in fc.items()} if total > 0 else {}, dtype=float)
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
            # The reference's own share beyond them, not the nominal 2%: with ties (ratings, zero
            # amounts) p1 can be the minimum and nothing lies below it.
            expected = float(np.mean((r < lo) | (r > hi)))
            if tails < 0.5 * expected and expected >= 0.01:
                lo_s, hi_s = num_pair(lo, hi)
                hints.append(
                    (
                        expected - tails,
                        f"`{c}` has {_pct(tails)} of rows beyond the "
                        f"reference p1/p99 ({lo_s} / {hi_s}) where the reference has {_pct(expected)}",
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
