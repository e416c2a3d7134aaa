"""From a collapse-guard JSON report to a Great Expectations result: which findings an expectation
covers, which one decides it, and what ``observed_value`` and ``details`` hold.

Plain functions of dicts, so that the rules can be tested without running Great Expectations.
"""

from __future__ import annotations

from typing import Any

from .messages import nothing_measured

_ORDER = {"fail": 0, "error": 0, "warn": 1, "pass": 2, "insufficient-data": 3}


def decisive(findings: list[dict[str, Any]], prefer: str | None = None) -> dict[str, Any]:
    """The finding that decides an expectation.

    The worst status wins (fail/error, then warn); among equals, the ``prefer`` metric (the
    headline of the batch synthetic-share expectation, so that its details stay that finding
    unless another one is worse), then the smallest adjusted p-value. A tested finding (pass)
    outranks an ``insufficient-data`` one, because the expectation is only insufficient when
    nothing could be tested, as for the report status.
    """

    def key(f: dict[str, Any]) -> tuple[int, int, float, str]:
        p = f.get("p_adjusted")
        return (
            _ORDER.get(f["status"], 2),
            0 if f["metric"] == prefer else 1,
            2.0 if p is None else float(p),
            f["metric"],
        )

    return sorted(findings, key=key)[0]


def _error_result(context: dict[str, Any], message: str) -> dict[str, Any]:
    """A failed result with status "error": the expectation could not be judged."""
    return {
        "success": False,
        "result": {
            "observed_value": None,
            "details": {**context, "status": "error", "message": message, "findings": []},
        },
    }


def _unusable(check_name: str, column: str, absent: list[str], empty: list[str]) -> str | None:
    """The message for an expectation about a column the metric left out of the run, else None."""
    if column in absent:
        return (
            f"the batch has no column {column!r}, which the reference profile has, so collapse-guard "
            f"{check_name} cannot judge it; fix the data or the batch definition if the column was "
            "lost upstream, or remove this expectation from the suite if the column is gone for good"
        )
    if column in empty:
        return (
            f"the batch's column {column!r} has no values (every cell is missing), so collapse-guard "
            f"{check_name} cannot judge it; fix the data or the batch definition if the values were "
            "lost upstream (a failed join, a renamed source field), or remove this expectation from "
            "the suite if the column is no longer filled"
        )
    return None


def outcome(
    report: dict[str, Any],
    *,
    check_name: str,
    column: str | None,
    metric: str | None,
    fail_on: str,
    observed: str = "effect",
    every_column: bool = False,
    headline: str | None = None,
) -> dict[str, Any]:
    """Turn a collapse-guard JSON report into a Great Expectations result dict.

    Parameters
    ----------
    report
        ``Report.to_dict()`` of a run restricted to ``check_name``.
    check_name, column, metric
        Which findings the expectation covers (``column=None``: table-level findings; ``metric``
        None: every metric).
    fail_on
        ``"fail"`` or ``"warn"``: the finding status from which the expectation fails.
    observed
        Field of the finding reported as ``observed_value``.
    every_column
        Cover the check's findings for every column as well as the table-level ones (``column``
        is then ignored): the batch synthetic-share expectation is the only one that reaches the
        per-column findings of synthetic-contamination.
    headline
        A metric whose finding, when covered, gives ``observed_value`` whatever decides the result
        (``synthetic_share``: the number a dashboard tracks); details then name it in
        ``observed_metric`` if another finding decided.
    """
    covered = [
        f
        for f in report["findings"]
        if f["check"] == check_name
        and (every_column or f["column"] == column or f["status"] == "error")
        and (metric is None or f["metric"] == metric or f["status"] == "error")
    ]
    context = {
        "check": check_name,
        "reference": report["reference"],
        "batch_rows": report["batch"].get("rows"),
        "seed": report["seed"],
        "tool_version": report["tool"]["version"],
        "notes": report.get("notes", []),
    }
    absent = list(report["batch"].get("absent_columns") or [])
    empty = list(report["batch"].get("empty_columns") or [])
    if absent:
        context["absent_columns"] = absent
    if empty:
        context["empty_columns"] = empty
    if column is not None and not every_column:
        message = _unusable(check_name, column, absent, empty)
        if message is not None:
            return _error_result(context, message)
    if not covered:
        return _error_result(context, nothing_measured(check_name, column, report, metric))
    worst = decisive(covered, prefer=headline)
    status = worst["status"]
    failing = {"fail", "error"} | ({"warn"} if fail_on == "warn" else set())
    # All-insufficient counts as a warn, as in the report status: never a silent pass.
    effective = "warn" if status == "insufficient-data" else status
    details = {
        **context,
        "status": status,
        "metric": worst["metric"],
        "column": worst["column"],
        "value": worst["value"],
        "expected": worst["expected"],
        "interval": worst["interval"],
        "p_value": worst["p_value"],
        "p_adjusted": worst["p_adjusted"],
        "effect": worst["effect"],
        "message": worst["message"],
        "insufficient": worst.get("insufficient"),
        "evidence": worst["evidence"],
        "findings": covered,
    }
    shown = next((f for f in covered if f["metric"] == headline and f["column"] is None), worst)
    if shown is not worst:
        details["observed_metric"] = shown["metric"]
    return {
        "success": effective not in failing,
        "result": {"observed_value": shown[observed], "details": details},
    }
