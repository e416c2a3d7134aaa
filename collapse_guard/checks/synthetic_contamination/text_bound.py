"""Text lower bound (unexplained_share): classifier two-sample test on n-gram features + BBE."""

from __future__ import annotations

from ...results import Measurement
from ...stats import mpe
from ._common import (
    MIN_DOCS,
    _Candidate,
    _cap_index,
    _pct,
    _Run,
)
from .loglik import _loglik_findings
from .text_scoring import _Scored


def _signature(run: _Run, column: str, scored: _Scored) -> None:
    ctx = run.ctx
    rng = ctx.rng("signature", column)
    n_boot = int(ctx.option("n_boot"))
    cap = int(ctx.option("max_rows"))
    xh = scored.ref_feats[_cap_index(len(scored.ref_feats), cap, rng)]
    xb = scored.batch_feats[_cap_index(len(scored.batch_feats), cap, rng)]
    if len(xh) < MIN_DOCS or len(xb) < MIN_DOCS:
        run.reasons.append(f"too few non-empty documents in {column!r} to score")
        return
    sb = scored.batch_mean[_cap_index(scored.batch_mean.size, 4 * cap, rng)]
    sh = scored.ref_mean[_cap_index(scored.ref_mean.size, 4 * cap, rng)]
    _loglik_findings(run, column, sb, sh, rng, min(n_boot, 200))
    scores = mpe.cross_fit_scores(
        xh,
        xb,
        seed=int(rng.integers(2**31)),
        model=ctx.option("classifier"),
        n_folds=3,
    )
    res = mpe.estimate_mpe(scores, rng, n_boot=min(n_boot, 200), n_null=min(n_boot, 200))
    lo, hi = res.interval
    msg = (
        f"at least {_pct(res.alpha)} [{_pct(lo)}, {_pct(hi)}] of {column!r} documents are unlike "
        f"anything in the reference: a classifier on n-gram likelihood features separates them "
        f"(AUC {res.auc:.3f}); {_pct(res.threshold_share_ref)} of human reference documents "
        f"score as clearly human but only {_pct(res.threshold_share_batch)} of the batch"
    )
    run.out.append(
        Measurement(
            column,
            "unexplained_share",
            value=res.alpha,
            expected=0.0,
            interval=res.interval,
            p_value=res.p_value,
            effect=res.alpha,
            message=msg,
            evidence={
                "method": "cross-fitted two-sample classifier on per-document n-gram features + BBE",
                "auc": res.auc,
                "auc_p_value": res.auc_p_value,
                "raw_alpha": res.raw_alpha,
                "null_offset": res.null_offset,
                "null_q95": res.null_q95,
                "reference_documents": len(xh),
                "batch_documents": len(xb),
                "features": [
                    "mean token log-prob",
                    "sd token log-prob",
                    "share of surprising tokens",
                    "log length",
                    "distinct-token ratio",
                    "style-marker rate",
                ],
            },
        )
    )
    run.candidates.append(
        _Candidate(
            "classifier + mixture-proportion bound (text)",
            column,
            res.alpha,
            res.interval,
            res.p_value,
            "lower bound",
            f"{column}: at least {_pct(res.alpha)} unexplained by the reference (AUC {res.auc:.3f})",
        )
    )
