"""Numeric tails: exceedance beyond reference quantiles, robust spread ratios, Hill tail index.

Every statistic is calibrated at the batch's own size: exceedance counts against a beta-binomial
null that carries the reference sample's uncertainty (``stats.tails.exceedance_test``); spread
and Hill ratios against a size-matched null of the pooled values: simulated order statistics at
the two sizes, or, for small samples, where it is cheap and exact with ties, a permutation.

Shrinkage is the main question; four findings look the other way (``tail_mass_excess_q01_q99``,
``tail_mass_excess_q05_q95``, ``spread_excess_q99_q01``, ``spread_excess_normal_scores``), because
kernel-density and noisy generators widen a distribution over generations instead of thinning its
tails. The last is a rank test on every value (``stats.normal_scores``): about 1.6 times the
information of the p5/p95 count about a change of scale of a normal column.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping

import numpy as np

from ...context import CheckContext
from ...profile import NumericProfile
from ...protocols import MetricSpec, OptionSpec
from ...results import Measurement
from ...stats import normal_scores
from ...stats.tails import (
    HillIndex,
    OrderStatistic,
    QuantileSpread,
    SpreadTest,
    counts_beyond_quantiles,
    exceedance_test,
    hill_k,
    hill_xi,
    needed_batch_size,
    order_statistic_ratio_tests,
    permutation_ratio_tests,
    ratio_power,
    spread,
    tail_threshold,
)
from ..formatting import moved, num_pair
from ..formatting import num as fmt
from .measure import exceedance_measurement, with_reason

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
METRICS["tail_mass_excess_q01_q99"] = MetricSpec(
    "batch share beyond the reference p1 or p99 divided by the reference's, when it grew "
    "(heavier tails; 1 = unchanged)",
    worse="higher",
    warn=1.25,
    fail=1.5,
    bounds=(1.0, math.inf),
)
METRICS["tail_mass_excess_q05_q95"] = MetricSpec(
    "batch share beyond the reference p5 or p95 divided by the reference's, when it grew "
    "(a wider distribution, e.g. a kernel-density generator; 1 = unchanged)",
    worse="higher",
    warn=1.1,
    fail=1.25,
    bounds=(1.0, math.inf),
)
METRICS["spread_excess_q99_q01"] = MetricSpec(
    "batch (p99 - p1) divided by the reference's, when it grew (a wider distribution; 1 = unchanged)",
    worse="higher",
    warn=1.1,
    fail=1.25,
    bounds=(1.0, math.inf),
)
METRICS["spread_excess_normal_scores"] = MetricSpec(
    "batch normal-score spread divided by the reference's, when it grew (about the sd ratio "
    "for a normal column; 1 = unchanged; 1.029 / 1.072 match tail_mass_excess_q05_q95's "
    "1.1 / 1.25 for a normal)",
    worse="higher",
    warn=1.029,
    fail=1.072,
    bounds=(1.0, math.inf),
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
    "null_draws": OptionSpec.integer(
        100,
        "minimum draws of the spread-ratio and Hill nulls (permutations of small samples; "
        "at least 1,000 simulated samples otherwise)",
        20,
        10_000,
    ),
    "power": OptionSpec.number(
        0.8, "power below which a batch is reported as insufficient-data instead of pass", 0, 1
    ),
    "hill_min_xi": OptionSpec.number(
        0.2, "reference Hill index from which a positive column counts as heavy-tailed", 0, 10
    ),
}

# metric -> (tail probability on each side, lower label, upper label)
EXCESS = {
    "tail_mass_excess_q01_q99": (0.01, "p1", "p99"),
    "tail_mass_excess_q05_q95": (0.05, "p5", "p95"),
}
SPREAD_EXCESS = "spread_excess_q99_q01"
NORMAL_SCORES = "spread_excess_normal_scores"
# metric -> (lower quantile, upper quantile, label)
SPREADS = {
    "spread_ratio_q99_q01": (0.01, 0.99, "p99 - p1"),
    "spread_ratio_iqr": (0.25, 0.75, "IQR"),
}

MIN_REFERENCE = 100
MIN_BATCH_SPREAD = 20
# Pooled samples up to this size get the exact permutation null: it costs draws x sorts of the
# pool, negligible here, and is exact for discrete values. Larger ones get the simulated
# order-statistic null, whose cost does not grow with the sizes (a 1M-row batch column: ~1 ms).
PERMUTATION_POOL = 5000
PERMUTATION_WORK = 2_000_000  # values sorted per statistic across all permutations
MAX_DRAWS = 2000
SIMULATED_DRAWS = 1000
# A quantile spread is compared only when each end rests on at least this many values: the
# p99 - p1 of a few hundred rows is two or three order statistics and far from normal.
MIN_TAIL_POINTS = 10
# The Hill estimate uses ceil(sqrt(n)) order statistics; below this batch size that is fewer
# than ~30 points, too few for a tail index (docs/checks/tail-shrinkage.md, Hill 1975).
MIN_HILL_BATCH = 1000


def _insufficient_all(column: str, why: str) -> Iterator[Measurement]:
    for metric in (*TAILS, *EXCESS, NORMAL_SCORES, *SPREADS, SPREAD_EXCESS):
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
    for metric in EXCESS:
        yield _excess(ctx, column, metric, ref, batch, power, sampled)
    yield _normal_scores(ctx, column, ref, batch, power, sampled)
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
    extreme = _extremes(ref, batch, t, upper)
    message = (
        f"{column}: {label} {moved(t, batch_q)}; {k:,} rows {word} the "
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
    return exceedance_measurement(
        column,
        metric,
        r,
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
        shown, most = num_pair(top, float(ref[-1]))
        return f"the batch maximum is {shown}, below {len(beyond):,} reference values up to {most}"
    low = float(batch[0])
    beyond = ref[ref < low]
    if len(beyond) == 0:
        return ""
    shown, least = num_pair(low, float(ref[0]))
    return f"the batch minimum is {shown}, above {len(beyond):,} reference values down to {least}"


def _excess(
    ctx: CheckContext,
    column: str,
    metric: str,
    ref: np.ndarray,
    batch: np.ndarray,
    power: float,
    sampled: str,
) -> Measurement:
    """More batch rows beyond the reference's lower and upper quantiles than an honest batch has.

    Both tails are counted together: a widening generator adds mass on both sides, and the sum
    has twice the count of either tail for the same relative change. Unlike the shrinkage
    tails, a batch without the power to see the ``fail`` effect is insufficient-data even when
    the count is significant: at such sizes the effect gate cannot tell a wider distribution
    from sampling noise, and every ungated test would add its full alpha to the run's false
    alarms.
    """
    mass, lo_label, hi_label = EXCESS[metric]
    labels = f"{lo_label}/{hi_label}"
    m, n = len(ref), len(batch)
    t_lo, t_hi, y_lo, y_hi, k_lo, k_hi = counts_beyond_quantiles(ref, batch, mass)
    y = y_lo + y_hi
    if y == 0:
        why = f"no reference value lies strictly beyond its {lo_label} or {hi_label}: too many ties"
        return Measurement(column, metric, message=f"{column}: {why}", insufficient=why)
    k = k_lo + k_hi
    r = exceedance_test(k, n, y, m, alternative="greater", thresholds=2)
    _, fail = ctx.config.thresholds(ctx.check, metric, column)
    need = needed_batch_size(
        y / m, fail, ctx.config.alpha, power, reference=(y, m), alternative="greater", thresholds=2
    )
    ref_spread, bat_spread = spread(ref, mass, 1.0 - mass), spread(batch, mass, 1.0 - mass)
    width = f"{hi_label} - {lo_label}"
    if bat_spread > ref_spread:
        widened = f"{width} {moved(ref_spread, bat_spread, up='grew')}"
    else:
        shown, against = num_pair(bat_spread, ref_spread)
        widened = f"{width} is {shown} against {against} in the reference"
    lo_s, hi_s = num_pair(t_lo, t_hi)
    message = (
        f"{column}: {k:,} rows beyond the reference {labels} ({lo_s} / {hi_s}) where "
        f"{r.expected_count:,.0f} were expected ({k_lo:,} below {lo_label}, {k_hi:,} above "
        f"{hi_label}){sampled}; {widened}"
    )
    insufficient = None
    if need is None or n < need:
        needs = (
            f"needs about {need:,} rows"
            if need is not None
            else f"the reference sample ({m:,} values) is too small to pin these tails down"
        )
        insufficient = (
            f"a batch of {n:,} rows cannot reliably detect {fail - 1:.0%} more rows beyond the "
            f"reference {labels}; {needs}"
        )
    return exceedance_measurement(
        column,
        metric,
        r,
        message=message,
        evidence={
            "thresholds": [t_lo, t_hi],
            "batch_count": k,
            "batch_count_below": k_lo,
            "batch_count_above": k_hi,
            "expected_count": r.expected_count,
            "reference_count": y,
            "batch_rows": n,
            "reference_sample": m,
            "needed_rows": need,
            "reference_spread": ref_spread,
            "batch_spread": bat_spread,
        },
        insufficient=insufficient,
    )


def _normal_scores(
    ctx: CheckContext,
    column: str,
    ref: np.ndarray,
    batch: np.ndarray,
    power: float,
    sampled: str,
) -> Measurement:
    """A batch more spread out than the reference: the normal-scores rank test on every value.

    Ranks the batch among the pooled values and sums its squared normal scores
    (``stats.normal_scores``): for a change of scale of a normal column this has the power of the
    variance F-test, where a count beyond p5/p95 has about 64% of its information, and it stays
    calibrated for any column because only ranks enter. Values piled at *one* end of the pooled
    ranks raise it too (a location shift also puts more batch mass in the reference's
    extremes), so the message says on which side the extra rows beyond p5/p95 are. As for the
    other excess findings, a batch without the power to see the ``fail`` effect is
    insufficient-data.
    """
    m, n = len(ref), len(batch)
    t = normal_scores.normal_scores_test(ref, batch)
    _, fail = ctx.config.thresholds(ctx.check, NORMAL_SCORES, column)
    alpha = ctx.config.alpha
    need = normal_scores.needed_batch_size(t.score_variance, m, fail, alpha, power)
    sd = t.null_sd_log_ratio
    band = math.exp(1.96 * sd) - 1.0
    t_lo, t_hi, y_lo, y_hi, k_lo, k_hi = counts_beyond_quantiles(ref, batch, 0.05)
    # The mean of exceedance_test's exact null for two thresholds (mass ~ Beta(y + 2, m - y - 1)),
    # without its tail sum, which costs ~10 ms at a million rows and is not needed here.
    expected = n * (y_lo + y_hi + 2) / (m + 1)
    share_lo = (y_lo + 1) / (y_lo + y_hi + 2)
    extra_lo = k_lo - expected * share_lo
    extra_hi = k_hi - expected * (1.0 - share_lo)
    wider = t.ratio >= 1.0 + band
    if wider:
        further = "further out than"
    elif t.ratio <= 1.0 / (1.0 + band):
        further = "closer in than"
    else:
        further = "about as far out as"
    side = ""
    if wider and max(extra_lo, extra_hi) > 0:
        if min(extra_lo, extra_hi) > 0:
            side = "; more on both sides, as a wider spread gives"
        else:
            where = "above p95" if extra_hi > 0 else "below p5"
            side = (
                f"; the extra rows are all {where}: a shift of location raises this statistic "
                "as well as a wider spread"
            )
    lo_s, hi_s = num_pair(t_lo, t_hi)
    message = (
        f"{column}: batch values sit {further} the reference's: normal-score spread "
        f"{t.ratio:.3f}x the reference's (an honest batch of this size: 1.000 ± {band:.3f}); "
        f"{k_lo + k_hi:,} rows beyond the reference p5/p95 ({lo_s} / {hi_s}) where "
        f"{expected:,.0f} were expected ({k_lo:,} below, {k_hi:,} above){sampled}{side}"
    )
    insufficient = None
    if ratio_power(sd, fail, alpha) < power:
        needs = (
            f"needs about {need:,} rows"
            if need is not None
            else f"the reference sample ({m:,} values) is too small to pin the spread down"
        )
        insufficient = (
            f"a batch of {n:,} rows cannot reliably detect a normal-score spread "
            f"{fail:.3g} times the reference's (a normal column {fail - 1:.1%} wider); {needs}"
        )
    return Measurement(
        column,
        NORMAL_SCORES,
        value=t.ratio,
        expected=1.0,
        interval=(t.ratio * math.exp(-1.96 * sd), t.ratio * math.exp(1.96 * sd)),
        p_value=t.p_value,
        effect=t.ratio,
        message=with_reason(message, insufficient),
        evidence={
            "statistic": t.statistic,
            "null_mean": t.null_mean,
            "null_sd": t.null_sd,
            "null_skewness": t.null_skewness,
            "batch_mean_score": t.batch_mean_score,
            "reference_mean_score": t.reference_mean_score,
            "null_sd_log_ratio": sd,
            "ties": t.ties,
            "thresholds_p5_p95": [t_lo, t_hi],
            "batch_count_below": k_lo,
            "batch_count_above": k_hi,
            "expected_count": expected,
            "batch_rows": n,
            "reference_sample": m,
            "needed_rows": need,
        },
        insufficient=insufficient,
    )


def _ratio_tests(
    ctx: CheckContext,
    column: str,
    ref: np.ndarray,
    batch: np.ndarray,
    statistics: Mapping[str, OrderStatistic],
) -> tuple[dict[str, SpreadTest], str]:
    """Size-matched nulls for the spread and Hill ratios, and which null was used."""
    pooled = len(ref) + len(batch)
    minimum = int(ctx.option("null_draws", column))
    rng = ctx.rng(column, "spread")
    if pooled <= PERMUTATION_POOL:
        # Small samples get more permutations (same total work): their quantile ratios are far
        # from normal, so the p-value should come from the permutations, not extrapolation.
        draws = max(minimum, min(MAX_DRAWS, PERMUTATION_WORK // pooled))
        return permutation_ratio_tests(ref, batch, statistics, rng, draws, pooled), "permutation"
    draws = max(minimum, SIMULATED_DRAWS)
    return order_statistic_ratio_tests(ref, batch, statistics, rng, draws), "order statistics"


def _spreads_and_hill(
    ctx: CheckContext, column: str, ref: np.ndarray, batch: np.ndarray
) -> Iterator[Measurement]:
    n = len(batch)
    if n < MIN_BATCH_SPREAD:
        why = f"only {n} batch values (a spread needs {MIN_BATCH_SPREAD})"
        for metric in (*SPREADS, SPREAD_EXCESS):
            yield Measurement(column, metric, message=f"{column}: {why}", insufficient=why)
        return
    statistics: dict[str, OrderStatistic] = {
        metric: QuantileSpread(lo, hi) for metric, (lo, hi, _) in SPREADS.items()
    }
    hill_ref = hill_xi(ref)
    heavy = (
        ref[0] > 0
        and math.isfinite(hill_ref)
        and hill_ref >= float(ctx.option("hill_min_xi", column))
        and n >= MIN_HILL_BATCH
    )
    if heavy:
        statistics["hill_tail_index"] = HillIndex()
    tests, null = _ratio_tests(ctx, column, ref, batch, statistics)
    fewest = min(n, len(ref))
    for metric, (lo, _hi, label) in SPREADS.items():
        s = tests[metric]
        if fewest * lo < MIN_TAIL_POINTS:
            why = (
                f"{label} of {fewest:,} values rests on their {math.ceil(fewest * lo)} most "
                f"extreme values at each end; needs {math.ceil(MIN_TAIL_POINTS / lo):,} rows "
                "on both sides"
            )
            yield Measurement(column, metric, message=f"{column}: {why}", insufficient=why)
            if metric == "spread_ratio_q99_q01":
                yield Measurement(column, SPREAD_EXCESS, message=f"{column}: {why}", insufficient=why)
            continue
        if not math.isfinite(s.p_value):
            if s.reference <= 0:
                why = f"the reference {label} is zero"
            elif not (math.isfinite(s.reference) and math.isfinite(s.batch)):
                why = (
                    f"the {label} overflows to infinity: the values lie too near the largest "
                    "representable number to subtract"
                )
            else:
                why = (
                    f"the {label} could not be tested: its null distribution at this batch size "
                    f"is unusable ({s.draws:,} finite null draws)"
                )
            yield Measurement(column, metric, message=f"{column}: {why}", insufficient=why)
            if metric == "spread_ratio_q99_q01":
                yield Measurement(column, SPREAD_EXCESS, message=f"{column}: {why}", insufficient=why)
            continue
        if s.batch <= 0:
            message = (
                f"{column}: the batch {label} is 0 against {fmt(s.reference)} in the "
                "reference: most of its values are identical"
            )
        else:
            shown, against = num_pair(s.batch, s.reference)
            message = f"{column}: {label} is {shown} vs {against} in the reference ({s.ratio:.0%} of it)"
        expected = math.exp(s.null_mean) if math.isfinite(s.null_mean) else 1.0
        interval = s.interval if math.isfinite(s.interval[0]) else None
        evidence = {
            "reference_spread": s.reference,
            "batch_spread": s.batch,
            "null": null,
            "null_draws": s.draws,
            "null_sd_log_ratio": s.null_sd,
            "batch_rows": n,
        }
        yield Measurement(
            column,
            metric,
            value=s.ratio,
            expected=expected,
            interval=interval,
            p_value=s.p_value,
            effect=s.ratio,
            message=message,
            evidence=evidence,
        )
        if metric == "spread_ratio_q99_q01":
            yield _spread_excess(ctx, column, s, label, n, expected, interval, evidence)
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
                    "k_batch": hill_k(n),
                    "k_reference": hill_k(len(ref)),
                    "null": null,
                    "null_draws": h.draws,
                },
            )


def _spread_excess(
    ctx: CheckContext,
    column: str,
    s: SpreadTest,
    label: str,
    n: int,
    expected: float,
    interval: tuple[float, float] | None,
    evidence: dict[str, object],
) -> Measurement:
    """The spread ratio's other side: a batch spread wider than honest sampling explains.

    As for the tail-mass excess, a batch whose null is too wide to see the ``fail`` effect with
    the configured power (normal approximation on the log ratio) is insufficient-data.
    """
    _, fail = ctx.config.thresholds(ctx.check, SPREAD_EXCESS, column)
    if ratio_power(s.null_sd, fail, ctx.config.alpha) < float(ctx.option("power", column)):
        why = (
            f"the {label} of an honest batch of {n:,} rows varies too much (sd of the log "
            f"ratio {s.null_sd:.2f}) to reliably detect it growing to {fail:.0%} of the reference"
        )
        return Measurement(column, SPREAD_EXCESS, message=f"{column}: {why}", insufficient=why)
    grew = "grew" if s.ratio > 1 else "did not grow"
    shown, against = num_pair(s.batch, s.reference)
    return Measurement(
        column,
        SPREAD_EXCESS,
        value=s.ratio,
        expected=expected,
        interval=interval,
        p_value=s.p_larger,
        effect=s.ratio,
        message=(f"{column}: {label} {grew}: {shown} vs {against} in the reference ({s.ratio:.0%} of it)"),
        evidence=evidence,
    )


def _quantile_plot(ref: np.ndarray, batch: np.ndarray) -> dict[str, object]:
    probs = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999]
    return {
        "type": "quantiles",
        "probs": probs,
        "reference": np.quantile(ref, probs).tolist(),
        "batch": np.quantile(batch, probs).tolist() if len(batch) else [],
    }
