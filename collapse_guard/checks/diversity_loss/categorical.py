"""Categorical columns: Chao-Shen entropy and Hill numbers q = 0, 2 against random splits of the pool.

Under H0 the reference's ``N`` rows and the batch's ``n`` rows are exchangeable given their pooled
counts ``r + b`` (as in ``stats.conditional_counts``), so an honest (reference, batch) pair is a
uniformly random split of the pool into ``N`` and ``n`` rows (``multivariate_hypergeometric``). The
test statistic is two-sample, at the matched size ``m = min(n, N)``: ``D = S(batch at m) -
S(reference at m)`` for the Chao-Shen entropy, and the log ratio for the Hill numbers q = 0, 2 (the
larger side rarefied to ``m``: closed form for the Hill numbers, the mean over a few size-``m``
subsamples for Chao-Shen). The same ``D`` on random splits of the pool is its exact null, whatever
the column's shares are and however little of it the reference has seen; a one-sample statistic of
the batch alone would lose its power when ``n >> N``, the difference keeps it both ways.
The statistics and the split null are ``stats.entropy.diversity_split_null``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from ...context import CheckContext
from ...profile import CategoricalProfile
from ...results import Measurement
from ...stats.conditional_counts import absent_categories_p
from ...stats.entropy import (
    chao_shen_entropy,
    compare_with_split_null,
    diversity_split_null,
    miller_madow_entropy,
    plugin_entropy,
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
    keep = (r + b) > 0
    r, b = r[keep], b[keep]
    labels = [x for x, k in zip(labels, keep.tolist(), strict=True) if k]
    obs, null = diversity_split_null(r, b, draws, rng)
    (ref_cs, ref_q0, ref_q2), (obs_cs, obs_q0, obs_q2) = obs
    cs = compare_with_split_null(obs_cs, ref_cs, null[:, 0], worse="lower")
    q0 = compare_with_split_null(obs_q0, ref_q0, null[:, 1], worse="lower", log_scale=True)
    if n <= n_ref:
        # The batch's richness is then a whole count: its exact chance of missing as many
        # categories bounds the p-value from below, where the draws may never have shown it.
        q0 = dataclasses.replace(q0, p_value=max(q0.p_value, absent_categories_p(r, b)))
    q2 = compare_with_split_null(obs_q2, ref_q2, null[:, 2], worse="lower", log_scale=True)
    if n > m:
        scope = f"the batch, rarefied to the reference's {m:,} rows,"
    else:
        scope = "the batch"
    honest = f"an honest batch of {m:,} rows next to this reference"

    top = [i for i in np.argsort(-b, kind="stable")[:5].tolist() if b[i] > 0]
    top_b = float(b[top].sum() / n)
    top_r = float(r[top].sum() / n_ref)
    top_names = [labels[i] for i in top]
    holders = f"top {len(top)} categories hold" if len(top) > 1 else "its only category holds"
    if 1 < len(top) == int(np.count_nonzero(b)):
        holders = f"its {len(top)} categories hold"
    concentration = (
        f"{holders} {_pct(top_b)} of the batch vs {_pct(top_r)} of the "
        f"reference ({', '.join(repr(x) for x in top_names)})"
    )
    # The plot gets the vanished categories (largest reference share first) and then the largest
    # changes in share, with how many there are in all: the 20 most common categories hid 'jp'
    # going from 1.1% to 0 under a caption about two absent ones, beside "23 missing".
    vanished_all = np.flatnonzero((r > 0) & (b == 0))
    vanished = vanished_all[np.argsort(-r[vanished_all], kind="stable")][:12]
    by_change = np.argsort(-np.abs(r / n_ref - b / n), kind="stable")
    show = np.concatenate([vanished, by_change[~np.isin(by_change, vanished)]])[:40]
    shared: dict[str, Any] = {
        "batch_rows": n,
        "reference_rows": n_ref,
        "matched_rows": m,
        "null": "random splits of the pooled reference + batch counts (exact under exchangeability)",
        "null_draws": draws,
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
            "total": int(np.count_nonzero((r > 0) | (b > 0))),
            "absent": len(vanished_all),
        },
    }
    eff = math.exp(cs.observed - cs.expected)
    population = ""
    if max(math.exp(cs.observed), math.exp(cs.expected)) > m:
        population = (
            f"; Chao-Shen estimates the effective number of the population sampled, which can "
            f"exceed the {m:,} rows"
        )
    yield _measure(
        column,
        "entropy",
        cs,
        eff,
        f"`{column}`: {scope} has {_fmt(math.exp(cs.observed))} effective categories where "
        f"{honest} would have about {_fmt(math.exp(cs.expected))} (Chao-Shen entropy "
        f"{cs.observed:.3f} vs {cs.expected:.3f} nats; the reference at {m:,} rows: "
        f"{ref_cs:.3f}{population}); {concentration}.",
        {
            **shared,
            "hill_q1": math.exp(cs.observed),
            "hill_q1_expected": math.exp(cs.expected),
            "reference_at_matched_rows": ref_cs,
        },
    )
    present = set(np.flatnonzero(b > 0).tolist())
    missing = [labels[i] for i in np.argsort(-r, kind="stable") if r[i] > 0 and i not in present]
    yield _measure(
        column,
        "hill_q0",
        q0,
        q0.observed / q0.expected if q0.expected > 0 else 1.0,
        f"`{column}`: {scope} shows {_fmt(q0.observed)} distinct categories where {honest} "
        f"would show about {_fmt(q0.expected)} (the reference at {m:,} rows: {_fmt(ref_q0)}); "
        f"most common absent: {', '.join(repr(x) for x in missing[:5]) or 'none'}.",
        {
            **shared,
            "absent_categories": missing[:20],
            "absent_count": len(missing),
            "reference_at_matched_rows": ref_q0,
        },
    )
    yield _measure(
        column,
        "hill_q2",
        q2,
        q2.observed / q2.expected if q2.expected > 0 else 1.0,
        f"`{column}`: {scope} has an inverse Simpson index of {_fmt(q2.observed)} where "
        f"{honest} would have about {_fmt(q2.expected)} (the reference at {m:,} rows: "
        f"{_fmt(ref_q2)}): {concentration}.",
        {**shared, "reference_at_matched_rows": ref_q2},
    )
