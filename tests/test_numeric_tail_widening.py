"""tail-shrinkage, the other side: numeric tails that got heavier or wider than the reference's.

A Gaussian kernel-density generator refitted on its own output adds the kernel's variance every
generation (Scott's bandwidth: about +3.3% variance per generation at 5,000 rows), so its tails
widen instead of thinning. These tests go through the public API in both directions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import collapse_guard as cg
from collapse_guard.checks.tail_shrinkage import TailShrinkage
from collapse_guard.results import Finding

EXCESS = ("tail_mass_excess_q01_q99", "tail_mass_excess_q05_q95", "spread_excess_q99_q01")


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
