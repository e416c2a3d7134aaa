"""tail-shrinkage, the other side: numeric tails that got heavier or wider than the reference's.

A Gaussian kernel-density generator refitted on its own output adds the kernel's variance every
generation (Scott's bandwidth: about +3.3% variance per generation at 5,000 rows), so its tails
widen instead of thinning. These tests go through the public API in both directions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import collapse_guard as cg
from collapse_guard.checks.tail_shrinkage import TailShrinkage
from collapse_guard.results import Finding

EXCESS = (
    "tail_mass_excess_q01_q99",
    "tail_mass_excess_q05_q95",
    "spread_excess_q99_q01",
    "spread_excess_normal_scores",
)
SCORES = "spread_excess_normal_scores"


def _kde_refit(prev: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """One generation: Gaussian KDE with Scott's bandwidth fitted to ``prev``, ``n`` draws."""
    h = np.std(prev, ddof=1) * len(prev) ** -0.2
    return prev[rng.integers(0, len(prev), size=n)] + rng.normal(0.0, h, size=n)


def _findings(batch: np.ndarray, ref: cg.Profile, config: dict | None = None) -> dict[str, Finding]:
    report = cg.check(pd.DataFrame({"x": batch}), ref, select=["tail-shrinkage"], config=config)
    return {f.metric: f for f in report.findings if f.column == "x"}


@pytest.fixture(scope="module")
def reference() -> cg.Profile:
    return cg.profile(pd.DataFrame({"x": np.random.default_rng(0).normal(50, 10, 20_000)}))


def test_excess_metrics_judge_larger_effects_as_worse() -> None:
    metrics = TailShrinkage.metrics
    for name in EXCESS:
        assert metrics[name].worse == "higher"
        assert 1.0 < metrics[name].warn < metrics[name].fail
        assert metrics[name].bounds[0] == 1.0


def test_clean_batch_passes_with_the_excess_measured(reference: cg.Profile) -> None:
    for seed in (1, 2, 3):
        found = _findings(np.random.default_rng(seed).normal(50, 10, 5000), reference)
        assert {m: f.status.value for m, f in found.items() if f.status.value != "pass"} == {}
        for name in EXCESS:
            assert found[name].measurement.p_value is not None, name


def test_kde_refit_generations_flag_heavier_tails(reference: cg.Profile) -> None:
    rng = np.random.default_rng(11)
    x = rng.normal(50, 10, 5000)
    for _ in range(5):
        x = _kde_refit(x, 5000, rng)
    found = _findings(x, reference)
    flagged = {m for m, f in found.items() if f.status.value in ("warn", "fail")}
    assert flagged & set(EXCESS), {m: f.message for m, f in found.items()}
    # Widening is not mistaken for shrinkage.
    assert not flagged & {"lower_tail_mass_q01", "upper_tail_mass_q99", "spread_ratio_q99_q01"}
    f = found["tail_mass_excess_q05_q95"]
    assert f.status.value in ("warn", "fail")
    assert "rows beyond the reference p5/p95" in f.message and "were expected" in f.message
    assert "p95 - p5 grew from" in f.message
    ev = f.measurement.evidence
    assert ev["batch_count"] == ev["batch_count_below"] + ev["batch_count_above"]
    assert ev["batch_count"] > ev["expected_count"]
    # The thresholds are the user's: raised above this effect, the same batch passes.
    lax = {"checks": {"tail-shrinkage": {"thresholds": {m: {"warn": 3.0, "fail": 4.0} for m in EXCESS}}}}
    assert all(_findings(x, reference, lax)[m].status.value == "pass" for m in EXCESS)


def test_small_batch_cannot_test_the_mass_excess(reference: cg.Profile) -> None:
    found = _findings(np.random.default_rng(4).normal(50, 10, 1000), reference)
    for name in ("tail_mass_excess_q01_q99", "tail_mass_excess_q05_q95"):
        f = found[name]
        assert f.status.value == "insufficient-data", name
        assert "needs about" in (f.measurement.insufficient or "")


def test_grossly_widened_small_batch_fails_on_spread(reference: cg.Profile) -> None:
    found = _findings(np.random.default_rng(5).normal(50, 15, 1000), reference)
    f = found["spread_excess_q99_q01"]
    assert f.status.value == "fail"
    assert f.measurement.effect == pytest.approx(1.5, abs=0.12)
    assert "grew" in f.message
    assert found["spread_ratio_q99_q01"].status.value == "pass"


def test_normal_scores_thresholds_match_the_p5_p95_excess_for_a_normal() -> None:
    """1.1 / 1.25 times the mass beyond p5/p95 of a normal are sd ratios 1.029 / 1.072."""
    metrics = TailShrinkage.metrics
    z95 = stats.norm.ppf(0.95)
    q05 = metrics["tail_mass_excess_q05_q95"]
    for ours, theirs in ((metrics[SCORES].warn, q05.warn), (metrics[SCORES].fail, q05.fail)):
        assert 2 * stats.norm.sf(z95 / ours) / 0.1 == pytest.approx(theirs, abs=0.005)


@pytest.mark.parametrize(("sd", "status"), [(11.0, "fail"), (10.5, "warn")])
def test_wider_normal_is_seen_by_the_normal_scores(reference: cg.Profile, sd: float, status: str) -> None:
    found = _findings(np.random.default_rng(6).normal(50, sd, 5000), reference)
    f = found[SCORES]
    assert f.status.value == status, f.message
    assert f.measurement.effect == pytest.approx(sd / 10, abs=0.015)
    assert "batch values sit further out than the reference's: normal-score spread" in f.message
    assert "an honest batch of this size: 1.000 ± 0.02" in f.message
    assert "rows beyond the reference p5/p95" in f.message and "were expected" in f.message
    assert "more on both sides" in f.message
    ev = f.measurement.evidence
    assert ev["batch_count_below"] + ev["batch_count_above"] > ev["expected_count"]
    assert not ev["ties"] and ev["needed_rows"] < 5000


def test_normal_scores_say_when_one_side_carries_the_excess(reference: cg.Profile) -> None:
    f = _findings(np.random.default_rng(7).normal(54, 10, 5000), reference)[SCORES]
    assert (f.measurement.effect or 0.0) > 1.02
    assert "the extra rows are all above p95: a shift of location raises this statistic" in f.message


def test_normal_scores_on_integer_columns() -> None:
    rng = np.random.default_rng(9)
    ref = cg.profile(pd.DataFrame({"x": rng.poisson(6, 20_000)}))
    clean = _findings(rng.poisson(6, 5000), ref)[SCORES]
    assert clean.status.value == "pass" and clean.measurement.evidence["ties"]
    # Over-dispersed counts with the same mean: a wider distribution.
    wide = rng.negative_binomial(6, 0.5, 5000)  # mean 6, variance 12
    assert _findings(wide, ref)[SCORES].status.value == "fail"


def test_normal_scores_rarely_flag_clean_batches() -> None:
    """Clean splits of normal, Pareto and integer columns: p-values of this metric at most nominal."""
    rng = np.random.default_rng(10)
    draws = {
        "gauss": lambda k: rng.normal(0, 1, k),
        "pareto": lambda k: rng.pareto(1.5, k) + 1,
        "counts": lambda k: rng.poisson(3, k),
    }
    ref = cg.profile(pd.DataFrame({name: f(20_000) for name, f in draws.items()}))
    p_values, flagged = [], 0
    for _ in range(20):
        report = cg.check(
            pd.DataFrame({name: f(2000) for name, f in draws.items()}), ref, select=["tail-shrinkage"]
        )
        for f in report.findings:
            if f.metric == SCORES:
                p_values.append(f.measurement.p_value)
                flagged += f.status.value in ("warn", "fail")
    # At 2,000 rows the effect gate (1.029, about 1.7 null sd) lets a significant honest batch
    # warn now and then: at most nominally often.
    assert len(p_values) == 60 and flagged <= 0.05 * 60
    assert np.mean(np.array(p_values) <= 0.05) <= 0.1


def test_small_batch_cannot_test_the_normal_scores(reference: cg.Profile) -> None:
    f = _findings(np.random.default_rng(12).normal(50, 12, 500), reference)[SCORES]
    assert f.status.value == "insufficient-data"
    why = f.measurement.insufficient or ""
    assert "cannot reliably detect a normal-score spread 1.07 times the reference's" in why
    # About 1,100 rows against a 20,000-value reference (see tests/test_stats_tails.py).
    need = f.measurement.evidence["needed_rows"]
    assert 1000 < need < 1200 and f"needs about {need:,} rows" in why
