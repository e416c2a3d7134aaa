"""Numeric tails: exceedance beyond reference quantiles and robust spread ratios."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from scipy import stats

from ...context import CheckContext
from ...profile import NumericProfile
from ...protocols import MetricSpec, OptionSpec
from ...results import Measurement

TAILS = {
    "lower_tail_mass_q01": ("lower", 0.01, "p1"),
    "upper_tail_mass_q99": ("upper", 0.01, "p99"),
}

METRICS: dict[str, MetricSpec] = {
    name: MetricSpec(
        f"batch mass {'below the reference p1' if side == 'lower' else 'above the reference p99'} "
        "divided by the reference's own (1 = unchanged, 0 = tail gone)",
        worse="lower",
        warn=0.7,
        fail=0.5,
        bounds=(0.0, 1.0),
    )
    for name, (side, _, _) in TAILS.items()
}
METRICS["spread_ratio_q99_q01"] = MetricSpec(
    "batch (p99 - p1) divided by the reference's (1 = unchanged)", worse="lower", warn=0.85, fail=0.7,
    bounds=(0.0, 1.0),
)
METRICS["spread_ratio_iqr"] = MetricSpec(
    "batch interquartile range divided by the reference's", worse="lower", warn=0.85, fail=0.7,
    bounds=(0.0, 1.0),
)

OPTIONS: dict[str, OptionSpec] = {
    "null_draws": OptionSpec(
        200,
        "size-matched reference subsamples drawn for the spread-ratio null",
        lambda v: isinstance(v, int) and 20 <= v <= 10_000,
        "an integer between 20 and 10000",
    ),
    "power": OptionSpec(
        0.8,
        "power below which a batch is reported as insufficient-data instead of pass",
        lambda v: isinstance(v, (int, float)) and 0 < v < 1,
        "a number between 0 and 1",
    ),
}

MIN_REFERENCE = 100


def fmt(x: float) -> str:
    """A number as a person would write it (4 significant digits, thousands separators)."""
    if x == 0 or not math.isfinite(x):
        return str(x)
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def needed_rows(p0: float, ratio: float, alpha: float, power: float) -> int:
    """Smallest batch size at which a one-sided exact binomial test at ``alpha`` detects a tail
    whose mass fell from ``p0`` to ``ratio * p0`` with the given power."""
    p1 = p0 * ratio

    def powered(n: int) -> bool:
        crit = int(stats.binom.ppf(alpha, n, p0))
        while crit >= 0 and stats.binom.cdf(crit, n, p0) > alpha:
            crit -= 1
        return crit >= 0 and stats.binom.cdf(crit, n, p1) >= power

    lo, hi = 1, 16
    while not powered(hi):
        lo, hi = hi, hi * 2
        if hi > 1 << 34:
            return hi
    while lo < hi:
        mid = (lo + hi) // 2
        if powered(mid):
            hi = mid
        else:
            lo = mid + 1
    return hi


def exceedance(ref: np.ndarray, batch: np.ndarray, mass: float, side: str) -> dict[str, float]:
    """Beta-binomial exceedance test of a batch against a reference order statistic.

    The threshold t is the reference order statistic with ``k ≈ mass * m`` values beyond it. For
    continuous data the true mass beyond t is Beta(k + 1, m - k) exactly, so the batch count
    beyond t is Beta-Binomial(n, k + 1, m - k) under H0 (this includes the reference's own sampling
    error). Ties at t (discrete data) use the Jeffreys posterior Beta(k + 1/2, m - k + 1/2).
    """
    m, n = len(ref), len(batch)
    k = max(int(round(mass * m)), 1)
    if side == "upper":
        t = float(ref[m - k - 1])
        ref_beyond = int(np.sum(ref > t))
        batch_beyond = int(np.sum(batch > t))
    else:
        t = float(ref[k])
        ref_beyond = int(np.sum(ref < t))
        batch_beyond = int(np.sum(batch < t))
    ties = int(np.sum(ref == t)) > 1
    a, b = (ref_beyond + 0.5, m - ref_beyond + 0.5) if ties else (ref_beyond + 1.0, float(m - ref_beyond))
    p0 = a / (a + b)
    p_value = float(stats.betabinom.cdf(batch_beyond, n, a, b))
    lo, hi = stats.beta.ppf([0.025, 0.975], [batch_beyond, batch_beyond + 1], [n - batch_beyond + 1, n - batch_beyond])
    return {
        "threshold": t,
        "reference_mass": p0,
        "batch_count": batch_beyond,
        "batch_mass": batch_beyond / n,
        "expected_count": n * p0,
        "p_value": p_value,
        "low": 0.0 if batch_beyond == 0 else float(lo),
        "high": 1.0 if batch_beyond == n else float(hi),
    }


def spread(values: np.ndarray, lo: float, hi: float) -> float:
    q = np.quantile(values, [lo, hi])
    return float(q[1] - q[0])


def spread_null(
    ref: np.ndarray, batch: np.ndarray, lo: float, hi: float, rng: np.random.Generator, draws: int
) -> dict[str, float] | None:
    """Spread ratio with a size-matched null: reference subsamples of the batch's size.

    The null gives the sd of log(spread ratio) at size n; the reference's own error adds n/m of
    that variance. The p-value is one-sided normal on the log ratio.
    """
    m, n = len(ref), len(batch)
    s_ref = spread(ref, lo, hi)
    if s_ref <= 0:
        return None
    ratio = spread(batch, lo, hi) / s_ref
    replace = n > m // 2
    size = n if replace else n
    null = np.empty(draws)
    for i in range(draws):
        sub = ref[rng.choice(m, size=size, replace=replace)]
        null[i] = spread(sub, lo, hi) / s_ref
    with np.errstate(divide="ignore"):
        log_null = np.log(null[null > 0])
    if len(log_null) < draws // 2:
        return None
    sd = float(np.std(log_null, ddof=1)) * math.sqrt(1.0 + n / m)
    center = float(np.mean(log_null))
    if ratio <= 0:
        p_value = 0.0 if sd > 0 else 1.0
        z = -math.inf
    else:
        z = (math.log(ratio) - center) / sd if sd > 0 else 0.0
        p_value = float(stats.norm.cdf(z))
    return {
        "ratio": ratio,
        "p_value": p_value,
        "low": ratio * math.exp(-1.96 * sd),
        "high": ratio * math.exp(1.96 * sd),
        "reference_spread": s_ref,
        "batch_spread": ratio * s_ref,
    }


def measure(ctx: CheckContext, column: str) -> Iterator[Measurement]:
    """All numeric tail measurements for one column."""
    assert ctx.reference is not None
    ref_col = ctx.reference.column(column)
    bat_col = ctx.batch.column(column)
    assert isinstance(ref_col, NumericProfile) and isinstance(bat_col, NumericProfile)
    ref, batch = ref_col.values, bat_col.values
    m, n = len(ref), len(batch)
    if m < MIN_REFERENCE or ref_col.is_constant:
        why = "is constant" if ref_col.is_constant else f"has only {m} values (needs {MIN_REFERENCE})"
        for metric in METRICS:
            yield Measurement(
                column, metric, message=f"{column}: tails cannot be tested because the reference {why}",
                insufficient=f"reference column {why}",
            )
        return
    power = float(ctx.option("power", column))
    sampled = "" if bat_col.sample_fraction >= 1 else f" (a seeded sample of {n:,} of {bat_col.count:,} rows)"
    for metric, (side, mass, label) in TAILS.items():
        r = exceedance(ref, batch, mass, side)
        effect = r["batch_mass"] / r["reference_mass"]
        _, fail = ctx.config.thresholds(ctx.check, metric, column)
        need = needed_rows(r["reference_mass"], fail, ctx.config.alpha, power)
        word = "below" if side == "lower" else "above"
        batch_q = float(np.quantile(batch, mass if side == "lower" else 1 - mass)) if n else float("nan")
        moved = "fell" if batch_q < r["threshold"] else "rose"
        message = (
            f"{column}: {label} {moved} from {fmt(r['threshold'])} to {fmt(batch_q)}; "
            f"{r['batch_count']:,} rows {word} the reference {label} where "
            f"{r['expected_count']:,.0f} were expected{sampled}"
        )
        evidence = {
            "threshold": r["threshold"],
            "batch_quantile": batch_q,
            "batch_count": r["batch_count"],
            "expected_count": r["expected_count"],
            "batch_rows": n,
            "reference_sample": m,
            "needed_rows": need,
            "plot": _quantile_plot(ref, batch),
        }
        insufficient = None
        if n < need and r["p_value"] > ctx.config.warn_alpha:
            insufficient = (
                f"a batch of {n:,} rows cannot reliably detect the {label} tail mass falling to "
                f"{fail:.0%} of the reference; needs about {need:,} rows"
            )
        yield Measurement(
            column, metric, value=r["batch_mass"], expected=r["reference_mass"],
            interval=(r["low"], r["high"]), p_value=r["p_value"], effect=effect,
            message=message, evidence=evidence, insufficient=insufficient,
        )
    draws = int(ctx.option("null_draws", column))
    for metric, (lo, hi, label) in {
        "spread_ratio_q99_q01": (0.01, 0.99, "p99 - p1"),
        "spread_ratio_iqr": (0.25, 0.75, "IQR"),
    }.items():
        if n < 20:
            yield Measurement(column, metric, message=f"{column}: {n} batch values are too few for a spread",
                              insufficient=f"only {n} batch values")
            continue
        s = spread_null(ref, batch, lo, hi, ctx.rng(column, metric), draws)
        if s is None:
            yield Measurement(column, metric, message=f"{column}: the reference {label} is zero",
                              insufficient=f"reference {label} is zero")
            continue
        yield Measurement(
            column, metric, value=s["ratio"], expected=1.0, interval=(s["low"], s["high"]),
            p_value=s["p_value"], effect=s["ratio"],
            message=(
                f"{column}: {label} is {fmt(s['batch_spread'])} vs {fmt(s['reference_spread'])} in the "
                f"reference ({s['ratio']:.0%} of it)"
            ),
            evidence={"reference_spread": s["reference_spread"], "batch_spread": s["batch_spread"],
                      "null_draws": draws, "batch_rows": n},
        )


def _quantile_plot(ref: np.ndarray, batch: np.ndarray) -> dict[str, object]:
    probs = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999]
    return {
        "type": "quantiles",
        "probs": probs,
        "reference": np.quantile(ref, probs).tolist(),
        "batch": np.quantile(batch, probs).tolist() if len(batch) else [],
    }
