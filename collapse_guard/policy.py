"""The one place where statuses are decided from measurements.

A finding fails only when it is significant after Benjamini–Hochberg across every p-value of the
run **and** its effect is past the metric's practical ``fail`` threshold; likewise for ``warn`` with
``warn_alpha`` and the ``warn`` threshold. Large batches therefore do not fail on trivial effects,
and a check never decides its own status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from .config import Config
from .protocols import Check
from .results import Finding, Measurement, Status

_RANK = {Status.PASS: 0, Status.INSUFFICIENT: 0, Status.WARN: 1, Status.FAIL: 2, Status.ERROR: 2}


def adjust(p_values: Sequence[float]) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (Benjamini & Hochberg 1995).

    ``q_(i) = min_{j >= i} p_(j) * m / j`` over the ascending order, capped at 1. Equal to
    ``scipy.stats.false_discovery_control(p, method="bh")`` (tested), without importing
    scipy.stats on the command line's start-up path.
    """
    p = np.clip(np.asarray(p_values, dtype=float), 0.0, 1.0)
    m = len(p)
    if m == 0:
        return np.zeros(0)
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out


def decide(
    measured: Sequence[tuple[str, Measurement]],
    checks: Mapping[str, Check],
    config: Config,
    errors: Sequence[Finding] = (),
) -> list[Finding]:
    """Turn ``(check name, measurement)`` pairs into findings with statuses."""
    measured = [(name, _sanitised(m)) for name, m in measured]
    testable = [i for i, (_, m) in enumerate(measured) if m.insufficient is None and m.p_value is not None]
    adjusted = adjust([float(measured[i][1].p_value) for i in testable])  # type: ignore[arg-type]
    p_adj = dict(zip(testable, adjusted.tolist(), strict=True))
    findings = list(errors)
    for i, (name, m) in enumerate(measured):
        check = checks[name]
        spec = check.metrics[m.metric]
        warn, fail = config.thresholds(check, m.metric, m.column)
        evidence = dict(m.evidence)
        evidence["thresholds"] = {"warn": warn, "fail": fail, "worse": spec.worse}
        m = replace(m, evidence=evidence)
        if m.insufficient is not None:
            findings.append(Finding(name, m, Status.INSUFFICIENT))
            continue
        q = p_adj.get(i)
        effect = m.effect
        if effect is None or np.isnan(effect):
            status = Status.PASS
        else:
            significant_fail = q is None or q <= config.alpha
            significant_warn = q is None or q <= config.warn_alpha
            if significant_fail and spec.beyond(effect, fail):
                status = Status.FAIL
            elif significant_warn and spec.beyond(effect, warn):
                status = Status.WARN
            else:
                status = Status.PASS
        findings.append(Finding(name, m, status, q))
    return findings


def _sanitised(m: Measurement) -> Measurement:
    """A NaN p-value, or a p-value without an effect, cannot support any decision."""
    if m.insufficient is not None:
        return m
    if m.p_value is not None and np.isnan(m.p_value):
        return replace(m, insufficient="the check could not compute a p-value for this metric")
    if m.p_value is not None and (m.effect is None or np.isnan(m.effect)):
        return replace(m, insufficient="the check could not compute an effect size for this metric")
    return m


def untested_checks(findings: Sequence[Finding]) -> list[str]:
    """Checks that reported findings but could test none of them (all ``insufficient-data``),
    in the order they first appear."""
    tested: dict[str, bool] = {}
    for f in findings:
        tested[f.check] = tested.get(f.check, False) or f.status is not Status.INSUFFICIENT
    return [check for check, any_tested in tested.items() if not any_tested]


def report_status(findings: Sequence[Finding], *, with_reference: bool = True) -> str:
    """fail > warn > pass; an error counts as fail.

    A run is never a pass on what it could not test: no findings at all, or a check whose every
    finding is ``insufficient-data`` (a 3-row batch whose diversity and contamination cannot be
    measured), makes it a warn even when the few tested findings passed. Without a reference (a
    reference-free scan) some checks cannot apply to some data at all (synthetic-contamination
    on a table without text or provenance), so there only a run that tested nothing is a warn.
    """
    if not findings:
        return Status.WARN.value
    worst = max(_RANK[f.status] for f in findings)
    if worst == 2:
        return Status.FAIL.value
    if worst == 1:
        return Status.WARN.value
    untested = untested_checks(findings)
    if untested and (with_reference or len(untested) == len({f.check for f in findings})):
        return Status.WARN.value
    return Status.PASS.value
