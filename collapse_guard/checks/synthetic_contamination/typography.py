"""Surface markers: em dashes and curly quotes per character, batch over reference."""

from __future__ import annotations

import math

from ...profile.text import TextProfile, TokenSample
from ...results import Measurement
from ...stats import markers as mk
from ._common import (
    _Run,
    load_markers,
)


def _reference_surface(rcol: TextProfile) -> dict[str, int] | None:
    if rcol.sample.texts is not None:
        return mk.surface_counts(rcol.sample.texts)
    counts = getattr(rcol, "surface_counts", None)
    return dict(counts) if counts else None


def _typography(run: _Run, column: str, batch: TokenSample, ref: TextProfile | None) -> None:
    if batch.texts is None:
        return
    b = mk.surface_counts(batch.texts)
    if ref is None:
        return  # a rate needs a baseline from the same genre; wordfreq has no punctuation
    r = _reference_surface(ref)
    if r is None or r["chars"] == 0 or b["chars"] == 0:
        run.reasons.append(
            f"em-dash/curly-quote rates of {column!r} need the reference's counts (rebuild the "
            "reference with this version)"
        )
        return
    k_b = b["em_dash"] + b["curly_quote"]
    k_r = r["em_dash"] + r["curly_quote"]
    res = mk.rate_excess(k_b, b["chars"], k_r, r["chars"])
    ratio = res.ratio if math.isfinite(res.ratio) else 1e6
    run.out.append(
        Measurement(
            column,
            "typography_rate_ratio",
            value=res.rate_batch,
            expected=res.rate_reference,
            p_value=res.p_value,
            effect=max(ratio, 1.0) if k_b else 1.0,
            message=(
                f"em dashes and curly quotes appear {res.rate_batch:.2f} times per 1,000 "
                "characters "
                f"in {column!r} vs {res.rate_reference:.2f} in the reference "
                f"({b['em_dash_docs']} documents with an em dash; weak evidence on its own)"
            ),
            evidence={
                "batch": b,
                "reference": r,
                "ratio": res.ratio,
                "source": load_markers()["characters"]["source"],
            },
        )
    )
