"""The headline synthetic_share finding, picked from the candidates of every method."""

from __future__ import annotations

from ...kinds import Kind
from ...results import Measurement
from ._common import (
    _pct,
    _Run,
)
from .provenance import _provenance_columns


def _unmeasured(run: _Run) -> str:
    """Why no method produced a share: the recorded reasons, then what the batch lacks."""
    ctx = run.ctx
    parts = list(run.reasons)
    if not ctx.columns(Kind.TEXT):
        parts.append("the batch has no text column")
    prov = set(_provenance_columns(ctx))
    if ctx.reference is None:
        # scan also checks a file without its reference when the file lacks the reference's columns
        parts.append("there is no reference to compare rows with")
    elif not [c for c in ctx.columns(Kind.NUMERIC) + ctx.columns(Kind.CATEGORICAL) if c not in prov]:
        parts.append("the batch has no numeric or categorical column to compare rows on")
    if not prov:
        parts.append("no provenance column (source, generator, ...) declares machine-generated rows")
    else:
        parts.append(
            f"the provenance column(s) {', '.join(map(repr, sorted(prov)))} declare no machine-generated rows"
        )
    return "; ".join(dict.fromkeys(parts))


def _headline(run: _Run) -> Measurement:
    cands = run.candidates
    if not cands:
        reason = _unmeasured(run)
        return Measurement(
            None,
            "synthetic_share",
            message=f"the machine-generated share cannot be estimated: {reason}",
            insufficient=reason,
            evidence={"methods": []},
        )
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
    source = f"({best.method}{', column ' + repr(best.column) if best.column else ''})"
    if best.kind == "estimate":  # against a known machine sample: a share of machine text
        msg = (
            f"an estimated {_pct(best.value)} (95% interval {_pct(lo)} to {_pct(hi)}) of the batch "
            f"is machine-generated {source}"
        )
    elif best.method == "declared provenance":  # the data's own labels, not a comparison
        msg = f"{_pct(best.value)} of the batch's rows declare machine generation {source}"
    else:
        # Without a machine sample the methods see rows unlike the reference, which machine
        # generation explains and so does a shift in the data (one day against a year); only
        # the lower bound is a claim, and "[lo, 100%]" said nothing.
        share = (
            f"at least {_pct(lo)}"
            if _pct(best.value) == _pct(lo)
            else f"an estimated {_pct(best.value)} (95% lower bound {_pct(lo)})"
        )
        msg = f"{share} of the batch is unlike the reference: machine-generated, or a data shift {source}"
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
