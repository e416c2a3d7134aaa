"""Text lower bound (unexplained_share): what share of the batch is missing from human-like regions.

Two per-document scores, both out-of-sample for every document:

* the cross-fitted "reference vs batch" classifier on likelihood features (a C2ST; any difference);
* the long-context gain, fixed in advance: the log-likelihood ratio of the reference's 5-gram over
  its trigram model. A short-memory generator's text does not gain from the longer context.

For each score the batch's share in reference-like regions of fixed size is compared with the
human hold-out's, and the largest simultaneous lower confidence bound is reported
(``stats.mixture.tail_deficit_bound``).
"""

from __future__ import annotations

import numpy as np

from ...results import Measurement
from ...stats import mixture, mpe
from ._common import (
    MIN_DOCS,
    _Candidate,
    _cap_index,
    _pct,
    _Run,
)
from .loglik import _loglik_findings
from .text_scoring import CONTEXT_BASE, CONTEXT_ORDER, FEATURES, _Scored

SCORES = (
    "two-sample classifier on likelihood features",
    f"long-context gain ({CONTEXT_ORDER}-gram over {CONTEXT_BASE}-gram log-likelihood ratio)",
)


def _signature(run: _Run, column: str, scored: _Scored) -> None:
    ctx = run.ctx
    rng = ctx.rng("signature", column)
    n_boot = int(ctx.option("n_boot"))
    cap = int(ctx.option("max_rows"))
    xh = scored.ref_feats[_cap_index(len(scored.ref_feats), cap, rng)]
    xb = scored.batch_feats  # capped at max_rows when scored
    if len(xh) < MIN_DOCS or len(xb) < MIN_DOCS:
        run.reasons.append(
            f"too few non-empty documents in {column!r} to score: {len(xb):,} in the batch and "
            f"{len(xh):,} in the reference (need {MIN_DOCS} each)"
        )
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
    auc = mpe.auc(scores.ref, scores.batch)
    c2st_p = mpe.fold_auc_p_value(scores)
    # The fixed score needs no training, so every held-out reference document can serve. The
    # classifier's scores are not independent given the score: its fold models share training
    # data (the C2ST p-value doubles its variance for the same reason), and the cross-fitted
    # language models leave a small reference/batch difference it can learn. In 100 clean
    # benchmark batches its tail statistic had mean +0.35 and sd 1.1 instead of 0 and 1; doubling
    # its variance covers both (second moment 1.33).
    res = mixture.tail_deficit_bound(
        [scores.ref, scored.ref_context],
        [scores.batch, scored.batch_context],
        level=0.95,
        variance_factors=(2.0, 1.0),
    )
    gain_r, gain_b = float(np.median(scored.ref_context)), float(np.median(scored.batch_context))
    # One-sided, like the tabular bound: documents a generator got right are invisible, so the data
    # cannot bound the share from above. The bound's own upper limit is in the evidence.
    interval = (res.alpha, 1.0)
    msg = (
        f"at least {_pct(res.alpha)} of {column!r} documents (95% lower confidence bound; point "
        f"estimate {_pct(res.estimate)}) are unlike the reference, which is what machine-written "
        f"text looks like, or a shift in topic or source: {_pct(res.reference_share)} of held-out human "
        f"documents score as clearly human by the {SCORES[res.score]}, only "
        f"{_pct(res.batch_share)} of the batch (classifier AUC "
        f"{auc:.3f}, long-context gain median {gain_b:+.2f} vs {gain_r:+.2f} for human text)"
    )
    run.out.append(
        Measurement(
            column,
            "unexplained_share",
            value=res.alpha,
            expected=0.0,
            interval=interval,
            p_value=res.p_value,
            effect=res.alpha,
            message=msg,
            evidence={
                "method": "largest simultaneous 95% lower confidence bound on the share missing "
                "from reference-like regions of two per-document scores",
                "score": SCORES[res.score],
                "scores": list(SCORES),
                "estimate": res.estimate,
                "estimate_upper": res.upper,
                "reference_share": res.reference_share,
                "batch_share": res.batch_share,
                "z": res.z,
                "tests": res.n_tests,
                "auc": auc,
                "auc_p_value": c2st_p,
                "context_gain_median_reference": gain_r,
                "context_gain_median_batch": gain_b,
                "reference_documents": len(xh),
                "batch_documents": len(xb),
                "features": list(FEATURES),
            },
        )
    )
    run.candidates.append(
        _Candidate(
            "lower confidence bound from likelihood scores (text)",
            column,
            res.alpha,
            interval,
            res.p_value,
            "lower bound",
            f"{column}: at least {_pct(res.alpha)} (95% lower bound) missing from human-like regions "
            f"({SCORES[res.score]}; classifier AUC {auc:.3f})",
        )
    )
