"""Surface markers: the share of documents with em dashes or curly quotes, batch over reference."""

from __future__ import annotations

from ...profile.text import TextProfile, TokenSample
from ...results import Measurement
from ...stats import markers as mk
from ...stats.distributions import fisher_exact_greater
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
    if r is None or not r.get("docs") or "marker_docs" not in r or b["docs"] == 0:
        run.reasons.append(
            f"em-dash/curly-quote rates of {column!r} need the reference's counts (rebuild the "
            "reference with this version)"
        )
        return
    # Documents, not characters, are the unit: a few documents full of em dashes are one
    # writer's habit, and a per-character test would count every dash as independent evidence.
    k_b, n_b = b["marker_docs"], b["docs"]
    k_r, n_r = r["marker_docs"], r["docs"]
    share_b, share_r = k_b / n_b, k_r / n_r
    p_value = fisher_exact_greater([[k_b, n_b - k_b], [k_r, n_r - k_r]]) if k_b else 1.0
    ratio_low = mk.rate_ratio_lower(k_b, n_b, k_r, n_r)
    per_1000_b, per_1000_r = (1000.0 * (c["em_dash"] + c["curly_quote"]) / max(c["chars"], 1) for c in (b, r))
    run.out.append(
        Measurement(
            column,
            "typography_rate_ratio",
            value=share_b,
            expected=share_r,
            p_value=p_value,
            effect=max(ratio_low, 1.0),
            message=(
                f"{share_b:.1%} of {column!r} documents have em dashes or curly quotes vs "
                f"{share_r:.1%} in the reference ("
                + (f"at least {ratio_low:.1f}x at 95% confidence; " if ratio_low > 1.0 else "")
                + f"{per_1000_b:.2f} vs {per_1000_r:.2f} per 1,000 characters; "
                "weak evidence on its own)"
            ),
            evidence={
                "batch": b,
                "reference": r,
                "share_ratio": share_b / share_r if share_r else None,
                "share_ratio_lower_95": ratio_low,
                "chars_per_1000_batch": per_1000_b,
                "chars_per_1000_reference": per_1000_r,
                "source": load_markers()["characters"]["source"],
            },
        )
    )
