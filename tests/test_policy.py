"""The policy: Benjamini–Hochberg across the run, and significance AND effect for warn/fail."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import false_discovery_control

from collapse_guard.config import Config
from collapse_guard.policy import adjust, decide, report_status, untested_checks
from collapse_guard.protocols import MetricSpec
from collapse_guard.results import Finding, Measurement, Status


class _Check:
    name = "demo"
    description = "demo"
    default_enabled = True
    options: dict = {}
    metrics = {
        "ratio": MetricSpec("observed / expected", worse="lower", warn=0.7, fail=0.5),
        "share": MetricSpec("duplicate share", worse="higher", warn=0.05, fail=0.2),
    }


CHECKS = {"demo": _Check()}


def test_bh_matches_hand_computation_and_scipy() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    # Hand: sorted 0.005, 0.01, 0.03, 0.04 -> 0.005*4/1=0.02, 0.01*4/2=0.02, 0.03*4/3=0.04, 0.04
    np.testing.assert_allclose(adjust(p), [0.02, 0.04, 0.04, 0.02])
    rng = np.random.default_rng(0)
    q = rng.uniform(size=50) ** 3
    np.testing.assert_allclose(adjust(q), false_discovery_control(q))


def _one(m: Measurement, config: Config | None = None) -> Finding:
    return decide([("demo", m)], CHECKS, config or Config())[0]


@pytest.mark.parametrize(
    "p, effect, status",
    [
        (1e-9, 0.2, Status.FAIL),  # significant and large
        (1e-9, 0.6, Status.WARN),  # significant, effect only past warn
        (1e-9, 0.95, Status.PASS),  # huge batch, trivial effect: must not fail
        (0.2, 0.0, Status.PASS),  # large effect but not significant (tiny batch)
        (0.03, 0.2, Status.WARN),  # significant at warn_alpha only
    ],
)
def test_significance_and_effect_both_needed(p: float, effect: float, status: Status) -> None:
    assert _one(Measurement("x", "ratio", p_value=p, effect=effect)).status is status


def test_higher_is_worse_metrics_and_effect_only() -> None:
    assert _one(Measurement(None, "share", effect=0.3)).status is Status.FAIL
    assert _one(Measurement(None, "share", effect=0.1)).status is Status.WARN
    assert _one(Measurement(None, "share", effect=0.01)).status is Status.PASS


def test_insufficient_is_never_pass_or_fail() -> None:
    f = _one(Measurement("x", "ratio", p_value=1e-9, effect=0.0, insufficient="too small"))
    assert f.status is Status.INSUFFICIENT
    assert f.measurement.evidence["thresholds"] == {"warn": 0.7, "fail": 0.5, "worse": "lower"}


def test_nan_p_or_missing_effect_is_never_a_decision() -> None:
    assert _one(Measurement("x", "ratio", p_value=float("nan"), effect=0.1)).status is Status.INSUFFICIENT
    assert _one(Measurement("x", "ratio", p_value=1e-9, effect=None)).status is Status.INSUFFICIENT
    assert _one(Measurement("x", "ratio", p_value=1e-9, effect=float("nan"))).status is Status.INSUFFICIENT


def test_thresholds_from_config() -> None:
    cfg = Config(checks={"demo": {"thresholds": {"ratio": {"fail": 0.7}}}})
    assert _one(Measurement("x", "ratio", p_value=1e-9, effect=0.6), cfg).status is Status.FAIL


def test_multiple_testing_is_across_the_run() -> None:
    ms = [("demo", Measurement(f"c{i}", "ratio", p_value=0.02, effect=0.1)) for i in range(1)]
    assert decide(ms, CHECKS, Config())[0].status is Status.WARN
    many = ms + [("demo", Measurement(f"d{i}", "ratio", p_value=0.9, effect=1.0)) for i in range(20)]
    assert decide(many, CHECKS, Config())[0].status is Status.PASS


def test_report_status() -> None:
    def f(s: Status) -> Finding:
        return Finding("demo", Measurement("x", "ratio"), s)

    assert report_status([f(Status.PASS), f(Status.INSUFFICIENT)]) == "pass"
    assert report_status([f(Status.PASS), f(Status.WARN)]) == "warn"
    assert report_status([f(Status.WARN), f(Status.FAIL)]) == "fail"
    assert report_status([f(Status.PASS), f(Status.ERROR)]) == "fail"
    assert report_status([f(Status.INSUFFICIENT)]) == "warn"  # nothing could be tested
    assert report_status([]) == "warn"


def test_a_check_that_could_test_nothing_makes_the_run_a_warn() -> None:
    def f(check: str, s: Status) -> Finding:
        return Finding(check, Measurement("x", "ratio"), s)

    tiny = [
        f("tails", Status.PASS),
        f("diversity", Status.INSUFFICIENT),
        f("tails", Status.INSUFFICIENT),
        f("contamination", Status.INSUFFICIENT),
    ]
    assert untested_checks(tiny) == ["diversity", "contamination"]
    assert report_status(tiny) == "warn"  # the tails passed, but two checks measured nothing
    tested = [f("tails", Status.PASS), f("diversity", Status.INSUFFICIENT), f("diversity", Status.PASS)]
    assert untested_checks(tested) == [] and report_status(tested) == "pass"
    assert report_status([*tiny, f("tails", Status.FAIL)]) == "fail"
    # Without a reference a check may not apply at all (contamination of a plain table): only a
    # run that tested nothing is a warn there.
    assert report_status(tiny, with_reference=False) == "pass"
    assert report_status([f("a", Status.INSUFFICIENT)], with_reference=False) == "warn"
