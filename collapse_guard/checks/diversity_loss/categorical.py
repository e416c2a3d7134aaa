"""Categorical columns: Chao-Shen entropy and Hill numbers q = 0, 2 against a size-matched reference null."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from ...context import CheckContext
from ...profile import CategoricalProfile
from ...results import Measurement
from ...stats.entropy import (
    chao_shen_entropy,
    compare_with_null,
    hill_number,
    miller_madow_entropy,
    plugin_entropy,
    rarefied_hill,
)
from .common import MIN_ROWS, _fmt, _measure, _pct


def _categorical(ctx: CheckContext, column: str) -> Iterator[Measurement]:
    ref = ctx.reference.column(column) if ctx.reference is not None else None
    bat = ctx.batch.column(column)
    if not isinstance(ref, CategoricalProfile) or not isinstance(bat, CategoricalProfile):
        return
    labels = sorted(set(ref.counts) | set(bat.counts))
    r = np.array([ref.counts.get(c, 0) for c in labels], dtype=np.int64)
    b = np.array([bat.counts.get(c, 0) for c in labels], dtype=np.int64)
    n_ref, n = int(r.sum()), int(b.sum())
    if np.count_nonzero(r) < 2:
        return  # a constant reference has no diversity to lose
    if n < MIN_ROWS or n_ref < MIN_ROWS:
        reason = (
            f"`{column}` has {n:,} non-null batch values and {n_ref:,} reference values; "
            f"category diversity needs at least {MIN_ROWS} on each side"
        )
        yield Measurement(column, "entropy", insufficient=reason, message=reason)
        return
    m = min(n, n_ref)
    draws = int(ctx.option("null_draws"))
    rng = ctx.rng("categorical", column)
    p_ref = r / n_ref
    inflate = math.sqrt(1.0 + m / n_ref)
    mult = rng.multinomial(m, p_ref, size=draws)
    # Expected values come from rarefying the reference (unbiased for m <= n_ref); the spread of
    # an honest size-m batch comes from multinomial draws, inflated for the reference's own error.
    hyper = [rng.multivariate_hypergeometric(r, m, method="marginals") for _ in range(draws)]
    if n > m:
        b_sub = [rng.multivariate_hypergeometric(b, m, method="marginals") for _ in range(10)]
        obs_cs = float(np.mean([chao_shen_entropy(x) for x in b_sub]))
        obs_q0, obs_q2 = rarefied_hill(b, m, 0), rarefied_hill(b, m, 2)
        scope = f"the batch rarefied to the reference's {m:,} rows"
    else:
        obs_cs = chao_shen_entropy(b)
        obs_q0, obs_q2 = hill_number(b, 0), hill_number(b, 2)
        scope = f"an honest batch of {m:,} rows"
    exp_cs = float(np.mean([chao_shen_entropy(x) for x in hyper]))
    null_cs = [chao_shen_entropy(x) for x in mult]
    cs = compare_with_null(obs_cs, null_cs, worse="lower", expected=exp_cs, inflate=inflate)
    q0 = compare_with_null(
        obs_q0,
        [hill_number(x, 0) for x in mult],
        worse="lower",
        expected=rarefied_hill(r, m, 0),
        inflate=inflate,
        min_sd=0.5,
    )
    q2 = compare_with_null(
        obs_q2,
        [hill_number(x, 2) for x in mult],
        worse="lower",
        expected=rarefied_hill(r, m, 2),
        inflate=inflate,
    )

    top = np.argsort(-b, kind="stable")[:5]
    top_b = float(b[top].sum() / n)
    top_r = float(r[top].sum() / n_ref)
    top_names = [labels[i] for i in top]
    concentration = (
        f"top {len(top)} categories hold {_pct(top_b)} of the batch vs {_pct(top_r)} of the "
        f"reference ({', '.join(repr(x) for x in top_names)})"
    )
    show = np.argsort(-(r / n_ref + b / n), kind="stable")[:20]
    shared: dict[str, Any] = {
        "batch_rows": n,
        "reference_rows": n_ref,
        "matched_rows": m,
        "top_categories": top_names,
        "top_share_batch": top_b,
        "top_share_reference": top_r,
        "estimators": {
            "plugin": plugin_entropy(b),
            "miller_madow": miller_madow_entropy(b),
            "chao_shen": chao_shen_entropy(b),
            "reference_plugin": plugin_entropy(r),
            "reference_miller_madow": miller_madow_entropy(r),
            "reference_chao_shen": chao_shen_entropy(r),
        },
        "bars": {
            "type": "bars",
            "labels": [labels[i] for i in show],
            "reference": (r[show] / n_ref).tolist(),
            "batch": (b[show] / n).tolist(),
        },
    }
    eff = math.exp(cs.observed - cs.expected)
    yield _measure(
        column,
        "entropy",
        cs,
        eff,
        f"`{column}` has {_fmt(math.exp(cs.observed))} effective categories where {scope} has "
        f"{_fmt(math.exp(cs.expected))} (Chao-Shen entropy {cs.observed:.3f} vs "
        f"{cs.expected:.3f} nats); {concentration}.",
        {**shared, "hill_q1": math.exp(cs.observed), "hill_q1_expected": math.exp(cs.expected)},
    )
    present = set(np.flatnonzero(b > 0).tolist())
    missing = [labels[i] for i in np.argsort(-r, kind="stable") if r[i] > 0 and i not in present]
    yield _measure(
        column,
        "hill_q0",
        q0,
        q0.observed / q0.expected if q0.expected > 0 else 1.0,
        f"`{column}` shows {_fmt(q0.observed)} distinct categories where {scope} shows "
        f"{_fmt(q0.expected)} by rarefaction; most common absent: "
        f"{', '.join(repr(x) for x in missing[:5]) or 'none'}.",
        {**shared, "absent_categories": missing[:20], "absent_count": len(missing)},
    )
    yield _measure(
        column,
        "hill_q2",
        q2,
        q2.observed / q2.expected if q2.expected > 0 else 1.0,
        f"`{column}` has an inverse Simpson index of {_fmt(q2.observed)} vs {_fmt(q2.expected)} "
        f"expected: {concentration}.",
        shared,
    )
