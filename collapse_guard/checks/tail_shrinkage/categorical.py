"""Categorical tails: vanished rare categories, Good-Turing mass, and adherence (both sides).

Reference counts are exact, so every expectation is analytic at the batch's own size
(science.md §2.5-§2.6): the rarefaction expectation of distinct categories, the per-category
probability of vanishing by chance, and the expected number of batch singletons. The two-sided
part (science.md §1.8) reports categories the reference never had and over-represented rare
categories as their own findings.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from ...context import CheckContext
from ...profile import CategoricalProfile
from ...protocols import MetricSpec, OptionSpec
from ...results import Measurement
from ...stats.distributions import betabinom_cdf
from ...stats.rarefaction import (
    absence_probabilities,
    missing_categories_test,
    rarefaction,
    share_excess_test,
    singleton_probabilities,
    singletons_test,
)
from .measure import with_reason

METRICS: dict[str, MetricSpec] = {
    "reference_categories_present": MetricSpec(
        "effect = share of reference rows whose category vanished from the batch, minus the "
        "share expected to vanish by chance at the batch's size (value = categories present)",
        worse="higher",
        warn=0.005,
        fail=0.01,
        bounds=(0.0, 1.0),
    ),
    "rare_category_mass": MetricSpec(
        "batch share of the rarest reference categories (together <= rare_mass of the reference) "
        "divided by their reference share (1 = unchanged)",
        worse="lower",
        warn=0.7,
        fail=0.5,
        bounds=(0.0, 1.0),
    ),
    "good_turing_missing_mass": MetricSpec(
        "Good-Turing missing mass f1/n of the batch divided by its expectation at the batch's "
        "size (fewer singletons = a thinner tail)",
        worse="lower",
        warn=0.75,
        fail=0.5,
        bounds=(0.0, 1.0),
    ),
    "new_categories": MetricSpec(
        "adherence: share of batch rows with categories the reference never had, minus the "
        "share expected from the reference's own unseen mass",
        worse="higher",
        warn=0.005,
        fail=0.02,
        bounds=(0.0, 1.0),
    ),
    "rare_category_excess": MetricSpec(
        "adherence: batch share of the rarest reference categories divided by their reference "
        "share, when it grew (over-represented minority categories)",
        worse="higher",
        warn=1.5,
        fail=2.0,
        bounds=(1.0, math.inf),
    ),
}

OPTIONS: dict[str, OptionSpec] = {
    "rare_mass": OptionSpec.number(
        0.1, "the rarest categories that together hold at most this share of the reference are 'rare'", 0, 0.5
    ),
}

MIN_BATCH = 20
MIN_SINGLETONS = 5.0
SHOW = 10


# Below this Good-Turing sample coverage (1 - singletons / rows) of the reference, the per-category
# posteriors over-state the shares of categories seen once (the unseen mass is not theirs), so the
# nulls expect too few categories to vanish: honest batches against a 2,000-row reference of a
# 2,000-level Zipf column (coverage 84%) failed every time; at 91% and 95% coverage the expected
# count of missing categories was 3.5 and 3.1 sd too low, at 97.6% 0.7 sd (an independent audit's
# generator, a Zipf(1.1) column of 2,000 levels).
MIN_REFERENCE_COVERAGE = 0.97


def _quote(names: list[str]) -> str:
    shown = ", ".join(repr(x) for x in names[:SHOW])
    more = f" and {len(names) - SHOW} more" if len(names) > SHOW else ""
    return f"[{shown}]{more}"


def measure(ctx: CheckContext, column: str) -> Iterator[Measurement]:
    """All categorical tail and adherence measurements for one column."""
    assert ctx.reference is not None
    ref_col = ctx.reference.column(column)
    bat_col = ctx.batch.column(column)
    assert isinstance(ref_col, CategoricalProfile) and isinstance(bat_col, CategoricalProfile)
    if not ref_col.counts:
        why = "the reference column has no non-null value"
        for metric in ("reference_categories_present", "rare_category_mass"):
            yield Measurement(column, metric, message=f"{column}: {why}", insufficient=why)
        return
    names = sorted(ref_col.counts, key=lambda c: (ref_col.counts[c], c))  # rarest first
    ref_counts = np.array([ref_col.counts[c] for c in names], dtype=np.int64)
    total = int(ref_counts.sum())
    bat_counts = np.array([bat_col.counts.get(c, 0) for c in names], dtype=np.int64)
    n = int(sum(bat_col.counts.values()))
    yield _new_categories(column, ref_col, bat_col, n, total)
    if n == 0:
        why = "the batch column has no non-null value"
        for metric in ("reference_categories_present", "rare_category_mass"):
            yield Measurement(column, metric, message=f"{column}: {why}", insufficient=why)
        return
    if len(names) == 1:
        why = f"the reference holds a single category ({names[0]!r}), so there is no rare category to lose"
        for metric in ("reference_categories_present", "rare_category_mass"):
            yield Measurement(column, metric, message=f"{column}: {why}", insufficient=why)
        return
    singletons = int(np.sum(ref_counts == 1))
    coverage = 1.0 - singletons / total
    if coverage < MIN_REFERENCE_COVERAGE:
        why = (
            f"the reference has seen too little of this column to predict which categories an "
            f"honest batch misses: {singletons:,} of its {len(names):,} categories occur once in "
            f"{total:,} rows (Good-Turing coverage {coverage:.1%}, needs {MIN_REFERENCE_COVERAGE:.0%}); "
            "profile more reference rows"
        )
        for metric in ("reference_categories_present", "rare_category_mass"):
            yield Measurement(column, metric, message=f"{column}: {why}", insufficient=why)
        return
    yield from _coverage(ctx, column, names, ref_counts, bat_counts, n)
    yield from _rare_mass(ctx, column, names, ref_counts, bat_counts, n)


def _coverage(
    ctx: CheckContext,
    column: str,
    names: list[str],
    ref_counts: np.ndarray,
    bat_counts: np.ndarray,
    n: int,
) -> Iterator[Measurement]:
    total = int(ref_counts.sum())
    shares = ref_counts / total
    q = absence_probabilities(ref_counts, n)
    present = bat_counts > 0
    missing = int((~present).sum())
    if n < MIN_BATCH:
        why = f"a batch of {n} rows cannot show which categories are missing (needs at least {MIN_BATCH})"
        yield Measurement(
            column, "reference_categories_present", message=f"{column}: {why}", insufficient=why
        )
        return
    test = missing_categories_test(q, missing)
    rare = rarefaction(ref_counts, n)
    vanished_mass = float(shares[~present].sum())
    expected_vanished = float(np.sum(shares * q))
    effect = max(vanished_mass - expected_vanished, 0.0)
    vanished = np.flatnonzero(~present)
    # Most surprising first: the categories least likely to vanish by chance.
    vanished = vanished[np.argsort(q[vanished], kind="stable")]
    gone = [names[i] for i in vanished]
    chance = float(np.exp(np.sum(np.log(np.maximum(q[vanished], 1e-300))))) if len(gone) else 1.0
    expected_present = float(np.sum(1.0 - q))
    sd = math.sqrt(float(np.sum(q * (1 - q))))
    if missing:
        message = (
            f"{column}: {missing:,} of {len(names):,} reference categories are missing from a "
            f"batch of {n:,} rows where {test.expected:.1f} ± {sd:.1f} were expected to be "
            f"missing; they held {vanished_mass:.2%} of reference rows: {_quote(gone)}"
        )
    else:
        message = (
            f"{column}: all {len(names):,} reference categories appear in the batch of {n:,} "
            f"rows ({expected_present:.1f} expected)"
        )
    evidence = {
        "missing": [
            {
                "category": names[i],
                "reference_count": int(ref_counts[i]),
                "reference_share": float(shares[i]),
                "p_vanish_by_chance": float(q[i]),
            }
            for i in vanished[:50]
        ],
        "p_all_vanish_by_chance": chance,
        "rarefaction_expected": rare.expected,
        "rarefaction_sd": rare.sd,
        "vanished_reference_mass": vanished_mass,
        "expected_vanished_mass": expected_vanished,
        "batch_rows": n,
        "plot": _bars(
            names, shares, bat_counts / n, vanished if len(vanished) else np.arange(min(50, len(names)))
        ),
    }
    yield Measurement(
        column,
        "reference_categories_present",
        value=float(present.sum()),
        expected=expected_present,
        interval=(expected_present - 1.96 * sd, expected_present + 1.96 * sd),
        p_value=test.p_value,
        effect=effect,
        message=message,
        evidence=evidence,
    )
    # Good-Turing: singletons among reference categories (new ones are adherence, not tail).
    pi = singleton_probabilities(ref_counts, n)
    if pi.sum() >= MIN_SINGLETONS:
        f1 = int(np.sum(bat_counts == 1))
        gt = singletons_test(pi, f1)
        ratio = f1 / gt.expected
        yield Measurement(
            column,
            "good_turing_missing_mass",
            value=f1 / n,
            expected=gt.expected / n,
            p_value=gt.p_value,
            effect=ratio,
            message=(
                f"{column}: {f1:,} categories occur exactly once in the batch where "
                f"{gt.expected:.1f} were expected (Good-Turing missing mass {f1 / n:.2%} vs "
                f"{gt.expected / n:.2%})"
            ),
            evidence={"singletons": f1, "expected_singletons": gt.expected, "sd": gt.sd},
        )


def _rare_set(ref_counts: np.ndarray, rare_mass: float) -> np.ndarray:
    """Indices (rarest first) of the rarest categories holding at most ``rare_mass``."""
    cum = np.cumsum(ref_counts) / ref_counts.sum()
    k = max(1, int(np.searchsorted(cum, rare_mass, side="right")))
    return np.arange(min(k, len(ref_counts) - 1))


def _rare_mass(
    ctx: CheckContext,
    column: str,
    names: list[str],
    ref_counts: np.ndarray,
    bat_counts: np.ndarray,
    n: int,
) -> Iterator[Measurement]:
    total = int(ref_counts.sum())
    rare = _rare_set(ref_counts, float(ctx.option("rare_mass", column)))
    y = int(ref_counts[rare].sum())
    k = int(bat_counts[rare].sum())
    a, b = y + 1.0, total - y + 1.0
    expected = n * a / (a + b)
    ratio = (k / n) / (y / total)
    label = f"the {len(rare):,} rarest categories ({y / total:.1%} of reference rows)"
    lo_p = betabinom_cdf(k, n, a, b)
    excess = share_excess_test(k, n, y, total)
    plot = _bars(names, ref_counts / total, bat_counts / n, rare[:50])
    common = {
        "rare_categories": [names[i] for i in rare[:50]],
        "reference_rows": y,
        "batch_rows_in_rare": k,
        "batch_rows": n,
        "expected_rows": expected,
        "plot": plot,
    }
    # Shrinkage side: rare categories thinned out.
    dropped = rare[np.argsort((bat_counts[rare] + 0.5) / (n * ref_counts[rare] / total))]
    thin = [names[i] for i in dropped if bat_counts[i] < n * ref_counts[i] / total / 2]
    insufficient = None
    if expected < 5 and lo_p > ctx.config.warn_alpha:
        insufficient = (
            f"a batch of {n:,} rows is expected to hold only {expected:.1f} rows of "
            f"{label}, too few to test their share; needs about "
            f"{math.ceil(5 * (a + b) / a - 1e-9):,} rows"
        )
    yield Measurement(
        column,
        "rare_category_mass",
        value=k / n,
        expected=y / total,
        interval=_cp(k, n),
        p_value=lo_p,
        effect=ratio,
        message=with_reason(
            f"{column}: {label} hold {k:,} batch rows where {expected:,.0f} were expected "
            f"({ratio:.0%} of their reference share)"
            + (f"; at less than half their share: {_quote(thin)}" if thin and ratio < 1 else ""),
            insufficient,
        ),
        evidence=common,
        insufficient=insufficient,
    )
    # Adherence side: rare categories inflated (CTGAN-style minority oversampling).
    over = rare[np.argsort(-(bat_counts[rare] - n * ref_counts[rare] / total))]
    grown = [
        f"{names[i]!r} {bat_counts[i] / n:.2%} vs {ref_counts[i] / total:.2%}"
        for i in over[:5]
        if bat_counts[i] > 2 * n * ref_counts[i] / total and bat_counts[i] >= 3
    ]
    yield Measurement(
        column,
        "rare_category_excess",
        value=k / n,
        expected=y / total,
        interval=_cp(k, n),
        p_value=excess.p_value,
        effect=ratio,
        message=(
            f"{column}: {label} make up {k / n:.2%} of the batch against {y / total:.2%} of the "
            f"reference ({ratio:.2f}x)"
            + (f"; most over-represented: {', '.join(grown)}" if grown and ratio > 1 else "")
        ),
        evidence=common,
    )


def _new_categories(
    column: str, ref_col: CategoricalProfile, bat_col: CategoricalProfile, n: int, total: int
) -> Measurement:
    new = {c: k for c, k in bat_col.counts.items() if c not in ref_col.counts}
    rows = int(sum(new.values()))
    # Good-Turing: the reference's own unseen mass is f1/N; an honest batch shows that much.
    f1 = sum(1 for v in ref_col.counts.values() if v == 1)
    if n == 0:
        why = "the batch column has no non-null value"
        return Measurement(column, "new_categories", message=f"{column}: {why}", insufficient=why)
    test = share_excess_test(rows, n, f1, max(total, 1))
    expected_share = (f1 + 1.0) / (total + 2.0)
    effect = max(rows / n - expected_share, 0.0)
    listed = sorted(new, key=lambda c: (-new[c], c))
    if rows:
        message = (
            f"{column}: {rows:,} batch rows ({rows / n:.2%}) hold {len(new):,} categories the "
            f"reference never had, where about {expected_share:.2%} would be expected: "
            f"{_quote(listed)}"
        )
    else:
        message = f"{column}: every batch category occurs in the reference"
    return Measurement(
        column,
        "new_categories",
        value=rows / n,
        expected=expected_share,
        interval=_cp(rows, n),
        p_value=test.p_value,
        effect=effect,
        message=message,
        evidence={
            "new_categories": [{"category": c, "batch_count": new[c]} for c in listed[:50]],
            "distinct_new": len(new),
            "reference_singletons": f1,
        },
    )


def _cp(k: int, n: int) -> tuple[float, float]:
    from ...stats.tails import clopper_pearson

    return clopper_pearson(k, n)


def _bars(
    names: list[str], ref_share: np.ndarray, bat_share: np.ndarray, idx: np.ndarray
) -> dict[str, object]:
    idx = np.asarray(idx, dtype=np.int64)[:50]
    return {
        "type": "bars",
        "labels": [names[i] for i in idx],
        "reference": [float(ref_share[i]) for i in idx],
        "batch": [float(bat_share[i]) for i in idx],
    }
