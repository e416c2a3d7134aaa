"""Categorical tails: vanished rare categories, Good-Turing mass, and adherence (both sides).

Every null is conditional on the combined counts ``Z = X + Y`` of the reference (``X``, ``N``
rows) and the batch (``Y``, ``n`` rows): under H0 the batch is a uniformly random ``n`` of the
``N + n`` combined rows, whatever the category shares are, so the laws below are exact (or
conservative) at any reference size, even one that has seen little of a long-tailed column
(``stats.conditional_counts``; docs/checks/tail-shrinkage.md). The two-sided part reports
categories the reference never had and over-represented rare categories as their own findings,
because tabular generators invent categories and inflate minority ones (docs/checks/tail-shrinkage.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from ...context import CheckContext
from ...profile import CategoricalProfile
from ...protocols import MetricSpec, OptionSpec
from ...results import Measurement
from ...stats.conditional_counts import (
    absent_given_combined,
    hypergeom_cdf,
    hypergeom_sf,
    most_overrepresented,
    new_categories_test,
    new_given_combined,
    rarest_combined,
    singleton_given_combined,
)
from ...stats.rarefaction import missing_categories_test, singletons_test
from .measure import with_reason

METRICS: dict[str, MetricSpec] = {
    "reference_categories_present": MetricSpec(
        "effect = share of reference rows whose category vanished from the batch, minus the "
        "share expected to vanish by chance given the reference and batch counts together "
        "(value = categories present)",
        worse="higher",
        warn=0.005,
        fail=0.01,
        bounds=(0.0, 1.0),
    ),
    "rare_category_mass": MetricSpec(
        "batch share of the rarest categories (together <= rare_mass of the reference and batch "
        "rows together) divided by their reference share (1 = unchanged)",
        worse="lower",
        warn=0.7,
        fail=0.5,
        bounds=(0.0, 1.0),
    ),
    "good_turing_missing_mass": MetricSpec(
        "Good-Turing missing mass f1/n of the batch divided by its expectation given the "
        "reference and batch counts together (fewer singletons = a thinner tail)",
        worse="lower",
        warn=0.75,
        fail=0.5,
        bounds=(0.0, 1.0),
    ),
    "new_categories": MetricSpec(
        "adherence: share of batch rows with categories the reference never had, minus the "
        "share expected by chance given the reference and batch counts together",
        worse="higher",
        warn=0.005,
        fail=0.02,
        bounds=(0.0, 1.0),
    ),
    "rare_category_excess": MetricSpec(
        "adherence: batch share of the rarest categories the reference has divided by their "
        "reference share, when it grew, or that of the most over-represented rare category when it "
        "is the more significant (over-represented minority categories)",
        worse="higher",
        warn=1.5,
        fail=2.0,
        bounds=(1.0, math.inf),
    ),
}

OPTIONS: dict[str, OptionSpec] = {
    "rare_mass": OptionSpec.number(
        0.1,
        "the rarest categories that together hold at most this share of the reference and batch "
        "rows are 'rare'",
        0,
        0.5,
    ),
}

MIN_BATCH = 20
MIN_SINGLETONS = 5.0
MIN_RARE_ROWS = 5.0
SHOW = 10


def _quote(names: list[str]) -> str:
    shown = ", ".join(repr(x) for x in names[:SHOW])
    more = f" and {len(names) - SHOW} more" if len(names) > SHOW else ""
    return f"[{shown}]{more}"


def _not_measured(column: str, why: str) -> Iterator[Measurement]:
    for metric in ("reference_categories_present", "rare_category_mass"):
        yield Measurement(column, metric, message=f"{column}: {why}", insufficient=why)


def measure(ctx: CheckContext, column: str) -> Iterator[Measurement]:
    """All categorical tail and adherence measurements for one column."""
    assert ctx.reference is not None
    ref_col = ctx.reference.column(column)
    bat_col = ctx.batch.column(column)
    assert isinstance(ref_col, CategoricalProfile) and isinstance(bat_col, CategoricalProfile)
    if not ref_col.counts:
        yield from _not_measured(column, "the reference column has no non-null value")
        return
    # Reference categories rarest first, then the batch's new ones: the union, so that the
    # combined counts cover every category either side has.
    ref_names = sorted(ref_col.counts, key=lambda c: (ref_col.counts[c], c))
    new_names = sorted(c for c in bat_col.counts if c not in ref_col.counts)
    names = ref_names + new_names
    x = np.array([ref_col.counts.get(c, 0) for c in names], dtype=np.int64)
    y = np.array([bat_col.counts.get(c, 0) for c in names], dtype=np.int64)
    n = int(y.sum())
    if n == 0:
        why = "the batch column has no non-null value"
        yield Measurement(column, "new_categories", message=f"{column}: {why}", insufficient=why)
        yield from _not_measured(column, why)
        return
    yield _new_categories(column, names, x, y)
    if len(ref_names) == 1:
        yield from _not_measured(
            column,
            f"the reference holds a single category ({ref_names[0]!r}), so there is no rare category to lose",
        )
        return
    yield from _category_coverage(column, names, x, y)
    yield from _rare_mass(ctx, column, names, x, y)


def _category_coverage(column: str, names: list[str], x: np.ndarray, y: np.ndarray) -> Iterator[Measurement]:
    big_n, n = int(x.sum()), int(y.sum())
    n_ref = int(np.sum(x > 0))
    if n < MIN_BATCH:
        why = f"a batch of {n} rows cannot show which categories are missing (needs at least {MIN_BATCH})"
        yield Measurement(
            column, "reference_categories_present", message=f"{column}: {why}", insufficient=why
        )
        return
    z = x + y
    shares = x / big_n
    # Over the union: a category absent from the batch is a reference category, and every
    # category of the combined counts could have been one.
    q = absent_given_combined(z, big_n, n)
    gone_mask = y == 0
    missing = int(gone_mask.sum())
    test = missing_categories_test(q, missing)
    vanished_mass = float(shares[gone_mask].sum())
    expected_vanished = float(np.sum(q * z)) / big_n
    effect = max(vanished_mass - expected_vanished, 0.0)
    vanished = np.flatnonzero(gone_mask)
    # Most surprising first: the categories least likely to vanish by chance.
    vanished = vanished[np.argsort(q[vanished], kind="stable")]
    gone = [names[i] for i in vanished]
    # Exact: all of them vanish together when all their combined rows are reference rows.
    chance = float(absent_given_combined(np.array([z[vanished].sum()]), big_n, n)[0])
    # The count alone misses one large category gone among many small ones, and invented batch
    # categories (which could have been reference ones) raise its expectation; so also a bound
    # for the largest one: P(a category at least that large vanishes) <= sum of their q, Bonferroni x2.
    p_largest = min(1.0, float(q[z >= z[vanished].max()].sum())) if missing else 1.0
    p_value = min(1.0, 2.0 * min(test.p_value, p_largest))
    # Reference categories present in the batch: neither all rows reference nor all batch.
    expected_present = float(np.sum(1.0 - q - new_given_combined(z, big_n, n)))
    if missing:
        # "where 0.0 ± 0.0 were expected to be missing" said "none" in a roundabout way.
        by_chance = (
            "where an honest batch of this size misses none"
            if round(test.expected, 1) == 0 and round(test.sd, 1) == 0
            else f"where {test.expected:.1f} ± {test.sd:.1f} were expected to be missing"
        )
        message = (
            f"{column}: {missing:,} of {n_ref:,} reference categories are missing from a "
            f"batch of {n:,} rows {by_chance}; they held {vanished_mass:.2%} of reference rows: "
            f"{_quote(gone)}"
        )
    else:
        message = (
            f"{column}: all {n_ref:,} reference categories appear in the batch of {n:,} "
            f"rows ({expected_present:.1f} expected)"
        )
    evidence = {
        "missing": [
            {
                "category": names[i],
                "reference_count": int(x[i]),
                "reference_share": float(shares[i]),
                "p_vanish_by_chance": float(q[i]),
            }
            for i in vanished[:50]
        ],
        "p_all_vanish_by_chance": chance,
        "p_largest_vanishes_by_chance": p_largest,
        "expected_missing": test.expected,
        "sd_missing": test.sd,
        "vanished_reference_mass": vanished_mass,
        "expected_vanished_mass": expected_vanished,
        "batch_rows": n,
        "plot": _bars(names, shares, y / n, vanished if len(vanished) else np.arange(min(50, n_ref))),
    }
    yield Measurement(
        column,
        "reference_categories_present",
        value=float(n_ref - missing),
        expected=expected_present,
        interval=(expected_present - 1.96 * test.sd, expected_present + 1.96 * test.sd),
        p_value=p_value,
        effect=effect,
        message=message,
        evidence=evidence,
    )
    # Good-Turing: singletons among reference categories (new ones are adherence, not tail).
    pi = singleton_given_combined(z, big_n, n)
    if pi.sum() >= MIN_SINGLETONS:
        f1 = int(np.sum((y == 1) & (x >= 1)))
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
                f"{column}: {f1:,} reference categories occur exactly once in the batch where "
                f"{gt.expected:.1f} were expected (Good-Turing missing mass {f1 / n:.2%} vs "
                f"{gt.expected / n:.2%})"
            ),
            evidence={"singletons": f1, "expected_singletons": gt.expected, "sd": gt.sd},
        )


def _share_ratio(batch: float, reference: float) -> float:
    """Batch share / reference share (infinite when the reference share is 0)."""
    if reference <= 0:
        return math.inf if batch > 0 else 1.0
    return batch / reference


def _rare_mass(
    ctx: CheckContext, column: str, names: list[str], x: np.ndarray, y: np.ndarray
) -> Iterator[Measurement]:
    big_n, n = int(x.sum()), int(y.sum())
    z = x + y
    # Ties broken by name: the set must depend on the combined counts alone.
    tiebreak = np.empty(len(names), dtype=np.int64)
    tiebreak[np.argsort(np.array(names, dtype=object), kind="stable")] = np.arange(len(names))
    rare = rarest_combined(z, float(ctx.option("rare_mass", column)), tiebreak)
    total = big_n + n
    z_rare = int(z[rare].sum())
    k = int(y[rare].sum())
    ref_rows = z_rare - k
    expected = n * z_rare / total
    ratio = _share_ratio(k / n, ref_rows / big_n)
    shown_ratio = "no reference share" if math.isinf(ratio) else f"{ratio:.0%} of their reference share"
    label = f"the {len(rare):,} rarest categories ({z_rare / total:.1%} of reference and batch rows together)"
    lo_p = hypergeom_cdf(k, total, z_rare, n)
    # A category's expected batch rows given its combined count: n Z_c / (N + n).
    expected_c = n * z / total
    common = {
        "rare_categories": [names[i] for i in rare[:50]],
        "combined_rows": z_rare,
        "reference_rows": ref_rows,
        "batch_rows_in_rare": k,
        "batch_rows": n,
        "expected_rows": expected,
        "plot": _bars(names, x / big_n, y / n, rare[:50]),
    }
    # Shrinkage side: rare categories thinned out.
    dropped = rare[np.argsort((y[rare] + 0.5) / expected_c[rare], kind="stable")]
    thin = [names[i] for i in dropped if y[i] < expected_c[i] / 2]
    insufficient = None
    if expected < MIN_RARE_ROWS and lo_p > ctx.config.warn_alpha:
        insufficient = (
            f"a batch of {n:,} rows is expected to hold only {expected:.1f} rows of "
            f"{label}, too few to test their share; needs about "
            f"{math.ceil(MIN_RARE_ROWS * total / z_rare - 1e-9):,} rows"
        )
    yield Measurement(
        column,
        "rare_category_mass",
        value=k / n,
        expected=z_rare / total,
        interval=_cp(k, n),
        p_value=lo_p,
        effect=ratio,
        message=with_reason(
            f"{column}: {label} hold {k:,} batch rows where {expected:,.0f} were expected "
            f"({shown_ratio})"
            + (f"; at less than half their share: {_quote(thin)}" if thin and ratio < 1 else ""),
            insufficient,
        ),
        evidence=common,
        insufficient=insufficient,
    )
    # Adherence side: rare categories inflated (CTGAN-style minority oversampling). A category
    # inflated far enough is no longer rare in the combined counts and leaves the set, so the rarest
    # *reference* categories are also tested one by one (a union bound over every category keeps
    # that choice from biasing the p-value); the more surprising of the two tests decides.
    # (New categories are new_categories' finding.)
    candidates = np.union1d(_reference_rare(x, float(ctx.option("rare_mass", column))), rare)
    candidates = candidates[x[candidates] > 0]
    worst, p_single = most_overrepresented(z, y, candidates, n)
    # The set counts only the batch rows of categories the reference has, in its effect and in its
    # test alike: invented ones are new_categories' finding, and a test driven by them next to an
    # effect blind to them read as "p = 1e-12, 1.00x". Those rows K_ref never exceed the set's
    # rows K, so P(K >= k_ref), K hypergeometric, is a valid (conservative) p-value for K_ref.
    k_new = int(y[rare][x[rare] == 0].sum())
    k_ref = k - k_new
    hi_p = hypergeom_sf(k_ref - 1, total, z_rare, n)
    # E[Y_c 1(X_c >= 1) | Z_c] = n Z_c / (N + n) - Z_c P(X_c = 0 | Z_c): a new category has Y_c = Z_c.
    expected_ref = expected - float(np.sum(z[rare] * new_given_combined(z[rare], big_n, n)))
    single = worst >= 0 and p_single < hi_p
    set_ratio = _share_ratio(k_ref / n, ref_rows / big_n) if ref_rows else 1.0
    effect = float(y[worst] / n / (x[worst] / big_n)) if single else set_ratio
    p_value = min(1.0, 2.0 * (p_single if single else hi_p))
    over = candidates[np.argsort(-(y[candidates] - expected_c[candidates]), kind="stable")]
    grown = [
        f"{names[i]!r} {y[i] / n:.2%} vs {x[i] / big_n:.2%}"
        for i in over[:5]
        if y[i] > 2 * expected_c[i] and y[i] >= 3
    ]
    times = f"{set_ratio:.2f}x"
    if k_new:
        times += f"; {k_new / n:.2%} of the batch in categories the reference never had, not counted"
    message = (
        f"{column}: {label} make up {k_ref / n:.2%} of the batch against "
        f"{ref_rows / big_n:.2%} of the reference ({times})"
    )
    if single:  # one category decided: say so first
        message = (
            f"{column}: {names[worst]!r} makes up {y[worst] / n:.2%} of the batch against "
            f"{x[worst] / big_n:.2%} of the reference ({effect:.2f}x), more than chance allows for "
            f"any category; {label} make up {k_ref / n:.2%} of the batch ({times})"
        )
    if grown and effect > 1:
        message += f"; most over-represented: {', '.join(grown)}"
    # value, expected and interval describe what the effect describes: the one category that
    # decided, or the set (the set's share beside a single category's ratio read as shrinkage).
    k_shown, expected_shown = (int(y[worst]), float(expected_c[worst])) if single else (k_ref, expected_ref)
    yield Measurement(
        column,
        "rare_category_excess",
        value=k_shown / n,
        expected=expected_shown / n,
        interval=_cp(k_shown, n),
        p_value=p_value,
        effect=effect,
        message=message,
        evidence={
            **common,
            "batch_rows_in_rare_reference_categories": k_ref,
            "expected_rows_in_rare_reference_categories": expected_ref,
            "batch_rows_in_rare_new_categories": k_new,
            "p_value_rare_set": hi_p,
            "most_overrepresented": None
            if worst < 0
            else {
                "category": names[worst],
                "batch_count": int(y[worst]),
                "reference_count": int(x[worst]),
                "expected_batch_count": float(expected_c[worst]),
                "p_value_all_categories": p_single,
            },
        },
    )


def _reference_rare(x: np.ndarray, rare_mass: float) -> np.ndarray:
    """The rarest reference categories holding at most ``rare_mass`` of the reference rows."""
    idx = np.flatnonzero(x > 0)
    idx = idx[np.argsort(x[idx], kind="stable")]
    cum = np.cumsum(x[idx]) / x.sum()
    k = max(1, int(np.searchsorted(cum, rare_mass, side="right")))
    return idx[: min(k, len(idx) - 1)]


def _new_categories(column: str, names: list[str], x: np.ndarray, y: np.ndarray) -> Measurement:
    big_n, n = int(x.sum()), int(y.sum())
    z = x + y
    r = new_given_combined(z, big_n, n)
    new = x == 0
    rows = int(y[new].sum())
    test = new_categories_test(z, new, r)
    # Exact: E[rows of categories the reference lacks | Z] = sum_c Z_c P(X_c = 0 | Z_c).
    expected_share = float(np.sum(r * z)) / n
    effect = max(rows / n - expected_share, 0.0)
    idx = np.flatnonzero(new)
    idx = idx[np.argsort(-y[idx], kind="stable")]  # most used first (names sorted within ties)
    listed = [names[i] for i in idx]
    if rows:
        held = f"{len(listed):,} {'category' if len(listed) == 1 else 'categories'}"
        message = (
            f"{column}: {rows:,} batch rows ({rows / n:.2%}) hold {held} the reference never had, "
            f"where about {test.expected:.1f} such categories ({expected_share:.2%} of rows) "
            f"would be expected by chance: {_quote(listed)}"
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
            "new_categories": [{"category": names[i], "batch_count": int(y[i])} for i in idx[:50]],
            "distinct_new": len(listed),
            "expected_distinct_new": test.expected,
            "reference_singletons": int(np.sum(x == 1)),
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
