"""Measurements (what checks return), findings (measurement + status) and the report."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .errors import CheckFailed

SCHEMA_VERSION = 1


class Status(StrEnum):
    """Status of a finding. A report's status is one of pass, warn, fail."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    INSUFFICIENT = "insufficient-data"
    ERROR = "error"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Measurement:
    """One measured effect, as a check returns it (no status: the policy decides).

    Attributes
    ----------
    column
        Column name, or None for table-level measurements.
    metric
        Metric name; must be declared in the check's ``metrics``.
    value, expected, interval
        The observed value, what an honest sample of the batch's size would give, and an interval
        for ``value`` when known.
    p_value
        One-sided p-value for "collapse happened", calibrated at the batch's size; None when the
        metric is judged on its effect alone.
    effect
        Practical effect size compared with the metric's warn/fail thresholds.
    message
        One sentence a person can act on, in the data's own terms.
    evidence
        JSON-serialisable details (values, categories, tokens, example pairs...).
    insufficient
        A reason when the batch is too small to detect the configured effect (or the metric could
        not be tested for another reason); the finding's status is then ``insufficient-data``.
        Reporters show it with the message (unless the message already says it), and the JSON
        report has it as the finding's ``insufficient`` key, so the message need not repeat it.
    """

    column: str | None
    metric: str
    value: float | None = None
    expected: float | None = None
    interval: tuple[float, float] | None = None
    p_value: float | None = None
    effect: float | None = None
    message: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)
    insufficient: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """A measurement with its check name, adjusted p-value and decided status.

    ``traceback`` is the full traceback of a check that crashed (status ``error``), for debugging
    (``--traceback`` prints it); it is not part of the JSON report and not compared.
    """

    check: str
    measurement: Measurement
    status: Status
    p_adjusted: float | None = None
    traceback: str | None = field(default=None, compare=False, repr=False)

    @property
    def column(self) -> str | None:
        return self.measurement.column

    @property
    def metric(self) -> str:
        return self.measurement.metric

    @property
    def message(self) -> str:
        return self.measurement.message

    @property
    def insufficient(self) -> str | None:
        """Why the metric could not be tested, for an ``insufficient-data`` finding; else None."""
        if self.status is not Status.INSUFFICIENT:
            return None
        return self.measurement.insufficient

    def display_message(self) -> str:
        """The message as reporters show it: for an ``insufficient-data`` finding, with the reason
        added unless the message already says it (built-in checks put it in their messages)."""
        message = self.measurement.message
        reason = self.insufficient
        if not reason or reason in message:
            return message
        if not message.strip():
            return reason
        return f"{message} (insufficient data: {reason})"

    def to_dict(self) -> dict[str, Any]:
        """The finding as in the JSON report (README.md, "JSON report")."""
        m = self.measurement
        return {
            "check": self.check,
            "column": m.column,
            "metric": m.metric,
            "value": _num(m.value),
            "expected": _num(m.expected),
            "interval": None if m.interval is None else [_num(m.interval[0]), _num(m.interval[1])],
            "p_value": _num(m.p_value),
            "p_adjusted": _num(self.p_adjusted),
            "effect": _num(m.effect),
            "status": self.status.value,
            "insufficient": self.insufficient,
            "message": m.message,
            "evidence": jsonable(m.evidence),
        }


@dataclass(frozen=True, slots=True)
class Report:
    """The result of one run.

    Attributes
    ----------
    findings
        All findings, sorted by check, column and metric.
    status
        ``"pass"``, ``"warn"`` or ``"fail"``.
    reference, batch
        Dicts as in the JSON report (path, sha256, rows / paths, rows).
    seed, tool_version
        Recorded so that a run can be reproduced.
    fail_on
        The run's ``fail_on`` setting ("fail" or "warn"): what ``raise_for_status`` raises on by
        default. Not part of the JSON report.
    """

    findings: tuple[Finding, ...]
    status: str
    reference: Mapping[str, Any]
    batch: Mapping[str, Any]
    seed: int
    tool_version: str
    notes: tuple[str, ...] = ()
    fail_on: str = "fail"

    @property
    def failed(self) -> bool:
        return self.status == Status.FAIL.value

    def by_status(self, status: Status | str) -> list[Finding]:
        """Findings with the given status."""
        # Status(...) refuses a typo ("failed", "FAIL") instead of finding nothing.
        value = Status(status).value
        return [f for f in self.findings if f.status.value == value]

    def raise_for_status(self, fail_on: str | None = None) -> None:
        """Raise ``CheckFailed`` when the report failed (or warned, with ``fail_on="warn"``).

        ``fail_on`` defaults to the run's setting (config ``fail_on``, CLI ``--fail-on``).
        """
        fail_on = self.fail_on if fail_on is None else fail_on
        if fail_on not in ("fail", "warn"):
            raise ValueError(f'fail_on must be "fail" or "warn", got {fail_on!r}')
        bad = {"fail"} if fail_on == "fail" else {"fail", "warn"}
        if self.status in bad:
            worst = [f for f in self.findings if f.status.value in bad | {"error"}]
            if worst:
                why = f"{len(worst)} finding(s); first: {worst[0].message}"
            else:  # a warn because a check could test nothing (policy.report_status)
                from .checks.formatting import and_list
                from .policy import untested_checks

                untested = untested_checks(self.findings)
                first = next((f.display_message() for f in self.findings if f.check in untested), "")
                why = f"{and_list(untested)} could test nothing: {first}" if untested else "no findings"
            raise CheckFailed(f"collapse-guard: {self.status} ({why})", self)

    def to_dict(self) -> dict[str, Any]:
        """The JSON report (README.md, "JSON report"; schema_version 1).

        Each finding is ``Finding.to_dict()``; ``insufficient`` (the reason of an
        ``insufficient-data`` finding, else null) was added within schema_version 1: adding an
        optional key is not a breaking change.
        """
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "collapse-guard", "version": self.tool_version},
            "reference": jsonable(self.reference),
            "batch": jsonable(self.batch),
            "seed": self.seed,
            "status": self.status,
            "summary": {s.value: sum(1 for f in self.findings if f.status is s) for s in Status},
            "notes": list(self.notes),
            "findings": [f.to_dict() for f in self.findings],
        }


def _num(x: float | None) -> float | None:
    if x is None:
        return None
    x = float(x)
    if math.isnan(x):
        return None
    if math.isinf(x):
        return None
    return x


def jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays, tuples and NaN to plain JSON values."""
    import numpy as np

    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (str, bool)) or obj is None:
        return obj
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return _num(float(obj))
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, Sequence):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.bool_):
        return bool(obj)
    return str(obj)
