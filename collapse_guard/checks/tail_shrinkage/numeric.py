"""Numeric tails: exceedance beyond reference quantiles, robust spread ratios, Hill tail index.

Every statistic is calibrated at the batch's own size: exceedance counts against a beta-binomial
null that carries the reference sample's uncertainty (``stats.tails.exceedance_test``); spread
and Hill ratios against a permutation null of the pooled values re-split at the two sizes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from functools import partial

import numpy as np

from ...context import CheckContext
from ...profile import NumericProfile
from ...protocols import MetricSpec, OptionSpec
from ...results import Measurement
from ...stats.tails import (
    exceedance_test,
    hill_xi,
    needed_batch_size,
    permutation_ratio_tests,
    spread,
    tail_threshold,
)

# metric -> (side, tail probability, label). The q0.001/q0.999 tails are only measured when the
# batch is large enough to detect the configured effect there (see ``measure``).
TAILS = {
    "lower_tail_mass_q01": ("lower", 0.01, "p1"),
    "upper_tail_mass_q99": ("upper", 0.01, "p99"),
}
EXTREME_TAILS = {
    "lower_tail_mass_q001": ("lower", 0.001, "p0.1"),
    "upper_tail_mass_q999": ("upper", 0.001, "p99.9"),
}

METRICS: dict[str, MetricSpec] = {
    name: MetricSpec(
        f"batch mass {'below the reference ' if side == 'lower' else 'above the reference '}"
        f"{label} divided by the reference's own (1 = unchanged, 0 = tail gone)",
        worse="lower",
        warn=0.7,
        fail=0.5,
        bounds=(0.0, 1.0),
    )
    for name, (side, _, label) in {**TAILS, **EXTREME_TAILS}.items()
}
METRICS["spread_ratio_q99_q01"] = MetricSpec(
    "batch (p99 - p1) divided by the reference's (1 = unchanged)",
    worse="lower",
    warn=0.85,
    fail=0.7,
    bounds=(0.0, 1.0),
)
METRICS["spread_ratio_iqr"] = MetricSpec(
    "batch interquartile range divided by the reference's",
    worse="lower",
    warn=0.85,
    fail=0.7,
    bounds=(0.0, 1.0),
)
METRICS["hill_tail_index"] = MetricSpec(
    "Hill tail index xi (k = ceil(sqrt(n))) of the batch divided by the reference's; below 1 = "
    "lighter upper tail (positive heavy-tailed columns only)",
    worse="lower",
    warn=0.75,
    fail=0.5,
    bounds=(0.0, 1.0),
)

OPTIONS: dict[str, OptionSpec] = {
    "null_draws": OptionSpec(
        100,
        "permutations of the pooled values for the spread-ratio and Hill nulls",
        lambda v: isinstance(v, int) and 20 <= v <= 10_000,
        "an integer between 20 and 10000",
    ),
    "power": OptionSpec(
        0.8,
        "power below which a batch is reported as insufficient-data instead of pass",
        lambda v: isinstance(v, (int, float)) and 0 < v < 1,
        "a number between 0 and 1",
    ),
    "hill_min_xi": OptionSpec(
        0.2,
        "reference Hill index from which a positive column counts as heavy-tailed",
        lambda v: isinstance(v, (int, float)) and 0 < v < 10,
        "a number between 0 and 10",
    ),
}

MIN_REFERENCE = 100
MIN_BATCH_SPREAD = 20
PERMUTATION_CAP = 20_000
PERMUTATION_WORK = 2_000_000  # values sorted per statistic across all permutations
MAX_DRAWS = 2000
# A quantile spread is compared only when each end rests on at least this many values: the
# p99 - p1 of a few hundred rows is two or three order statistics and far from normal.
MIN_TAIL_POINTS = 10
# The Hill estimate uses ceil(sqrt(n)) order statistics; below this batch size that is fewer
# than ~30 points, too few for a tail index (science.md §2.4).
MIN_HILL_BATCH = 1000


def fmt(x: float) -> str:
    """A number as a person would write it (4 significant digits, thousands separators)."""
    if x == 0 or not math.isfinite(x):
        return str(x)
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def _insufficient_all(column: str, why: str) -> Iterator[Measurement]:
    for metric in (*TAILS, "spread_ratio_q99_q01", "spread_ratio_iqr"):
        yield Measurement(
            column,
            metric,
            message=f"{column}: tails cannot be tested because {why}",
            insufficient=why,
        )


def measure(ctx: CheckContext, column: str) -> Iterator[Measurement]:
    """All numeric tail measurements for one column."""
    assert ctx.reference is not None
    ref_col = ctx.reference.column(column)
    bat_col = ctx.batch.column(column)
    assert isinstance(ref_col, NumericProfile) and isinstance(bat_col, NumericProfile)
    ref = np.asarray(ref_col.values, dtype=float)
    batch = np.sort(np.asarray(bat_col.values, dtype=float))
    m, n = len(ref), len(batch)
    if m < MIN_REFERENCE or ref_col.is_constant:
        if ref_col.is_constant:
            why = "the reference column is constant"
        elif ctx.reference.sample is None and ref_col.count >= MIN_REFERENCE:
            why = (
                "the reference was profiled without a row sample ([profile] sample_rows = 0), "
                "which numeric tail tests need; rebuild it with the sample on"
            )
        else:
            why = f"the reference column has only {m} values (needs {MIN_REFERENCE})"
        yield from _insufficient_all(column, why)
        return
    if n == 0:
        yield from _insufficient_all(column, "the batch column has no non-null value")
        return
    power = float(ctx.option("power", column))
    sampled = "" if bat_col.sample_fraction >= 1 else f" (a seeded sample of {n:,} of {bat_col.count:,} rows)"
    plot = _quantile_plot(ref, batch)
    for metric, (side, mass, label) in {**TAILS, **EXTREME_TAILS}.items():
        tail = _tail(
            ctx, column, metric, side, mass, label, ref, batch, power, sampled, plot, metric in TAILS
        )
        if tail is not None:
            yield tail
    yield from _spreads_and_hill(ctx, column, ref, batch)


def _tail(
    ctx: CheckContext,
    column: str,
    metric: str,
    side: str,
    mass: float,
    label: str,
    ref: np.ndarray,
    batch: np.ndarray,
    power: float,
    sampled: str,
    plot: dict[str, object],
    always: bool,
) -> Measurement | None:
    m, n = len(ref), len(batch)
    upper = side == "upper"
    t, y = tail_threshold(ref, 1.0 - mass if upper else mass)
    _, fail = ctx.config.thresholds(ctx.check, metric, column)
    need = needed_batch_size(y / m, fail, ctx.config.alpha, power, reference=(y, m)) if y else None
    if not always and (need is None or n < need):
        return None  # the extreme tails are only reported where they have power
    word = "above" if upper else "below"
    if y == 0:
        why = (
            f"no reference value lies strictly {word} its {label} ({fmt(t)}): the column has "
            "too many ties there"
        )
        return Measurement(column, metric, message=f"{column}: {why}", insufficient=why)
    k = (
        int(n - np.searchsorted(batch, t, side="right"))
        if upper
        else int(np.searchsorted(batch, t, side="left"))
    )
    r = exceedance_test(k, n, y, m, t, upper)
    batch_q = float(np.quantile(batch, 1.0 - mass if upper else mass))
    moved = "fell" if batch_q < t else "rose" if batch_q > t else "stayed"
    extreme = _extremes(ref, batch, t, upper)
    message = (
        f"{column}: {label} {moved} from {fmt(t)} to {fmt(batch_q)}; {k:,} rows {word} the "
        f"reference {label} where {r.expected_count:,.0f} were expected{sampled}"
        + (f"; {extreme}" if extreme and r.ratio < 1 else "")
    )
    evidence = {
        "threshold": t,
        "batch_quantile": batch_q,
        "batch_count": k,
        "expected_count": r.expected_count,
        "reference_count": y,
        "batch_rows": n,
        "reference_sample": m,
        "needed_rows": need,
        "plot": plot,
    }
    insufficient = None
    if (need is None or n < need) and r.p_value > ctx.config.warn_alpha:
        needs = (
            f"needs about {need:,} rows"
            if need is not None
            else f"the reference sample ({m:,} values) is too small to pin this tail down"
        )
        insufficient = (
            f"a batch of {n:,} rows cannot reliably detect the {label} tail mass falling to "
            f"{fail:.0%} of the reference; {needs}"
        )
    return Measurement(
        column,
        metric,
        value=r.batch_mass,
        expected=r.reference_mass,
        interval=r.interval,
        p_value=r.p_value,
        effect=r.ratio,
        message=message,
        evidence=evidence,
        insufficient=insufficient,
    )


def _extremes(ref: np.ndarray, batch: np.ndarray, t: float, upper: bool) -> str:
    """Name the reference's extreme values that the batch no longer reaches."""
    if upper:
        top = float(batch[-1])
        beyond = ref[ref > top]
        if len(beyond) == 0:
            return ""
        return (
            f"the batch maximum is {fmt(top)}, below {len(beyond):,} reference values "
            f"up to {fmt(float(ref[-1]))}"
        )
    low = float(batch[0])
    beyond = ref[ref < low]
    if len(beyond) == 0:
        return ""
    return (
        f"the batch minimum is {fmt(low)}, above {len(beyond):,} reference values "
        f"down to {fmt(float(ref[0]))}"
    )


def _spreads_and_hill(
    ctx: CheckContext, column: str, ref: np.ndarray, batch: np.ndarray
) -> Iterator[Measurement]:
    n = len(batch)
    spreads = {
        "spread_ratio_q99_q01": (0.01, 0.99, "p99 - p1"),
        "spread_ratio_iqr": (0.25, 0.75, "IQR"),
    }
    if n < MIN_BATCH_SPREAD:
        for metric in spreads:
            why = f"only {n} batch values (a spread needs {MIN_BATCH_SPREAD})"
            yield Measurement(column, metric, message=f"{column}: {why}", insufficient=why)
        return
    statistics: dict[str, Callable[[np.ndarray], float]] = {
        metric: partial(spread, lo=lo, hi=hi) for metric, (lo, hi, _) in spreads.items()
    }
    hill_ref = hill_xi(ref)
    heavy = (
        ref[0] > 0
        and math.isfinite(hill_ref)
        and hill_ref >= float(ctx.option("hill_min_xi", column))
        and n >= MIN_HILL_BATCH
    )
    if heavy:
        statistics["hill_tail_index"] = partial(hill_xi, k=None)
    # Small samples get more permutations (same total work): their quantile ratios are far from
    # normal, so the p-value should come from the permutations, not from extrapolation.
    used = min(n, PERMUTATION_CAP) + min(len(ref), PERMUTATION_CAP)
    draws = max(int(ctx.option("null_draws", column)), min(MAX_DRAWS, PERMUTATION_WORK // used))
    tests = permutation_ratio_tests(ref, batch, statistics, ctx.rng(column, "spread"), draws, PERMUTATION_CAP)
    for metric, (lo, _hi, label) in spreads.items():
        s = tests[metric]
        fewest = min(n, len(ref))
        if fewest * lo < MIN_TAIL_POINTS:
            why = (
                f"{label} of {fewest:,} values rests on their {math.ceil(fewest * lo)} most "
                f"extreme values at each end; needs {math.ceil(MIN_TAIL_POINTS / lo):,} rows "
                "on both sides"
            )
            yield Measurement(column, metric, message=f"{column}: {why}", insufficient=why)
            continue
        if not math.isfinite(s.p_value):
            why = f"the reference {label} is zero" if s.reference <= 0 else f"the {label} cannot be compared"
            yield Measurement(column, metric, message=f"{column}: {why}", insufficient=why)
            continue
        if s.batch <= 0:
            message = (
                f"{column}: the batch {label} is 0 against {fmt(s.reference)} in the "
                "reference: most of its values are identical"
            )
        else:
            message = (
                f"{column}: {label} is {fmt(s.batch)} vs {fmt(s.reference)} in the "
                f"reference ({s.ratio:.0%} of it)"
            )
        expected = math.exp(s.null_mean) if math.isfinite(s.null_mean) else 1.0
        interval = s.interval if math.isfinite(s.interval[0]) else None
        yield Measurement(
            column,
            metric,
            value=s.ratio,
            expected=expected,
            interval=interval,
            p_value=s.p_value,
            effect=s.ratio,
            message=message,
            evidence={
                "reference_spread": s.reference,
                "batch_spread": s.batch,
                "null_draws": s.draws,
                "null_sd_log_ratio": s.null_sd,
                "batch_rows": n,
            },
        )
    if heavy:
        h = tests["hill_tail_index"]
        if math.isfinite(h.p_value):
            alpha_b = 1 / h.batch if h.batch > 0 else math.inf
            yield Measurement(
                column,
                "hill_tail_index",
                value=h.batch,
                expected=h.reference,
                interval=(h.interval[0] * h.reference, h.interval[1] * h.reference)
                if math.isfinite(h.interval[0])
                else None,
                p_value=h.p_value,
                effect=h.ratio,
                message=(
                    f"{column}: the upper tail is {'lighter' if h.ratio < 1 else 'not lighter'}: "
                    f"Hill index {h.batch:.3g} vs "
                    f"{h.reference:.3g} in the reference (tail exponent {alpha_b:.3g} vs "
                    f"{1 / h.reference:.3g}; larger exponent = fewer extreme values)"
                ),
                evidence={
                    "xi_batch": h.batch,
                    "xi_reference": h.reference,
                    "k_batch": math.ceil(math.sqrt(min(n, PERMUTATION_CAP))),
                    "null_draws": h.draws,
                },
            )


def _quantile_plot(ref: np.ndarray, batch: np.ndarray) -> dict[str, object]:
    probs = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999]
    return {
        "type": "quantiles",
        "probs": probs,
        "reference": np.quantile(ref, probs).tolist(),
        "batch": np.quantile(batch, probs).tolist() if len(batch) else [],
    }
