"""The headline synthetic_share finding, picked from the candidates of every method."""

from __future__ import annotations

from ...results import Measurement
from ._common import (
    _pct,
    _Run,
)


def _headline(run: _Run) -> Measurement:
    cands = run.candidates
    if not cands:
        reason = "; ".join(run.reasons) or (
            "nothing to measure: no text column, no row sample shared with a reference and no "
            "provenance column"
        )
        return Measurement(None, "synthetic_share", insufficient=reason, evidence={"methods": []})
    estimates = [c for c in cands if c.kind == "estimate"]
    if estimates:
        # An MLE against a known machine sample beats any lower bound; with several text columns
        # the largest share speaks for the batch.
        best = max(estimates, key=lambda c: c.value)
        pool = estimates
    else:
        # Every remaining method is a lower bound, so the largest one is the most informative.
        best = max(cands, key=lambda c: (c.value, -(c.p_value or 0.0)))
        pool = cands
    tested = [c for c in pool if c.p_value is not None]
    p = None if best.p_value is None else min(1.0, best.p_value * max(len(tested), 1))
    lo, hi = best.interval
    kind = "estimated" if best.kind == "estimate" else "at least"
    msg = (
        f"{kind} {_pct(best.value)} [{_pct(lo)}, {_pct(hi)}] of the batch is machine-generated "
        f"({best.method}{', column ' + repr(best.column) if best.column else ''})"
    )
    evidence = {
        "method": best.method,
        "kind": best.kind,
        "column": best.column,
        "methods": [
            {
                "method": c.method,
                "column": c.column,
                "value": c.value,
                "interval": list(c.interval),
                "p_value": c.p_value,
                "kind": c.kind,
                "note": c.note,
            }
            for c in cands
        ],
        "p_value_adjustment": f"Bonferroni over {max(len(tested), 1)} candidate method(s)",
        "unit": "batch (no per-document verdicts)",
        "not_measured": run.reasons,
    }
    return Measurement(
        None,
        "synthetic_share",
        value=best.value,
        expected=0.0,
        interval=(lo, hi),
        p_value=p,
        effect=best.value,
        message=msg,
        evidence=evidence,
    )
