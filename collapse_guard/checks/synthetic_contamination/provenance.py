"""Provenance columns that declare machine-generated rows (declared_synthetic_share)."""

from __future__ import annotations

from ...context import CheckContext
from ...kinds import Kind
from ...provenance import declared_share, is_provenance_column, split_declared
from ...results import Measurement
from ._common import (
    _Candidate,
    _pct,
    _Run,
)


def _provenance_columns(ctx: CheckContext) -> list[str]:
    extra = ctx.option("provenance_columns")
    return [
        name
        for name, col in ctx.batch.columns.items()
        if col.kind is Kind.CATEGORICAL and is_provenance_column(name, extra)
    ]


def _provenance(run: _Run) -> None:
    """Declared machine share of each provenance column, minus what the reference declared."""
    ctx = run.ctx
    for name in _provenance_columns(ctx):
        col = ctx.batch.columns[name]
        counts: dict[str, int] = dict(getattr(col, "counts", {}))
        machine, human = split_declared(counts, name)
        total = sum(counts.values()) + int(getattr(col, "nulls", 0))
        k = sum(machine.values())
        share = k / total if total else 0.0
        ref_share = 0.0
        ref_col = ctx.reference.columns.get(name) if ctx.reference is not None else None
        if ref_col is not None and ref_col.kind is Kind.CATEGORICAL:
            ref_share = declared_share(ref_col.counts, ref_col.nulls, name)  # type: ignore[union-attr]
        top = sorted(machine.items(), key=lambda t: (-t[1], t[0]))[:5]
        if k:
            message = (
                f"{k:,} of {total:,} rows ({_pct(share)}) declare machine generation in {name!r} "
                f"({', '.join(f'{v!r}: {c:,}' for v, c in top)}); drop them or keep them out of human data"
            )
        else:
            message = f"{name!r} names no generator in its {total:,} rows"
        if ref_share:
            message += f" (the reference declared {_pct(ref_share)})"
        run.out.append(
            Measurement(
                name,
                "declared_synthetic_share",
                value=share,
                expected=ref_share,
                interval=(share, share),
                effect=max(0.0, share - ref_share),
                message=message,
                evidence={
                    "machine_values": dict(top),
                    "human_values": dict(sorted(human.items(), key=lambda t: (-t[1], t[0]))[:5]),
                    "rows": total,
                    "reference_share": ref_share,
                },
            )
        )
        if k:
            run.candidates.append(
                _Candidate(
                    "declared provenance",
                    name,
                    share,
                    (share, share),
                    None,
                    "lower bound",
                    f"{name}: {_pct(share)} declared machine-generated",
                )
            )
