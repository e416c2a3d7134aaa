"""Readable Data Docs text for the collapse-guard expectations.

Great Expectations renders an expectation in two places: the *prescriptive* column (what is
expected, from the expectation's kwargs) and the *observed value* column (from the validation
result). Both helpers here are plain functions of dicts, so the wording can be tested without
building Data Docs. Data Docs calls renderers with ``configuration`` or ``result`` missing on some
paths, so both accept ``None`` and fall back to short, still-true text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from great_expectations.render import RenderedContentBlockContainer, RenderedStringTemplateContent

_CHECK_BY_LABEL = {
    "tails": "tail-shrinkage",
    "diversity": "diversity-loss",
    "batch diversity": "diversity-loss",
    "synthetic share": "synthetic-contamination",
}


def _text(value: Any) -> str:
    if isinstance(value, dict) and "$PARAMETER" in value:
        return f"the suite parameter {value['$PARAMETER']}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def prescriptive(label: str, kwargs: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    """Template and parameters saying what the expectation requires.

    Parameters
    ----------
    label
        ``"tails"``, ``"diversity"``, ``"batch diversity"`` or ``"synthetic share"``.
    kwargs
        The expectation's kwargs (may be empty).

    Returns
    -------
    (str, dict)
        A ``$name`` template and its string parameters.
    """
    params: dict[str, str] = {}
    reference = kwargs.get("reference")
    params["reference"] = _text(reference) if reference is not None else "the reference profile"
    check = _CHECK_BY_LABEL.get(label, label)
    if label == "synthetic share":
        metric = kwargs.get("metric")
        if metric is None:
            # Every finding of the check is judged; copies of reference rows are the one a reader
            # would not guess from "share of machine-generated rows".
            template = (
                "Estimated share of machine-generated rows must stay low, and rows must not copy "
                "the reference, against reference $reference"
            )
        elif metric == "synthetic_share":
            template = "Estimated share of machine-generated rows must stay low against reference $reference"
        else:
            params["metric"] = _text(metric)
            template = "Machine-generated content must stay low against reference $reference on $metric"
        if kwargs.get("max_share") is not None:
            params["max_share"] = _text(kwargs["max_share"])
            template += ": fail at $max_share"
            if kwargs.get("warn_share") is not None:
                params["warn_share"] = _text(kwargs["warn_share"])
                template += ", warn at $warn_share"
        if kwargs.get("synthetic_reference") is not None:
            params["synthetic_reference"] = _text(kwargs["synthetic_reference"])
            template += " (known machine text: $synthetic_reference)"
    else:
        if label == "batch diversity":
            template = "The diversity of the batch's rows must not drop against reference $reference"
        else:
            params["column"] = _text(kwargs.get("column", "this column"))
            verb = "must not shrink" if label == "tails" else "must not drop"
            template = f"The {label} of $column {verb} against reference $reference"
        if kwargs.get("metric") is not None:
            params["metric"] = _text(kwargs["metric"])
            template += " on $metric"
        levels = [k for k in ("warn", "fail") if kwargs.get(k) is not None]
        for key in levels:
            params[key] = _text(kwargs[key])
        if levels:
            template += " (" + ", ".join(f"{k} at effect ${k}" for k in levels) + ")"
    params["check"] = check
    template += " (collapse-guard $check)."
    if kwargs.get("fail_on") == "warn":
        template += " Warnings fail."
    return template, params


def observed_headline(result: Mapping[str, Any] | None) -> str:
    """One line for the observed-value column: metric, number, status and what changed."""
    if not result:
        return "--"
    details = result.get("details") or {}
    status = str(details.get("status", "")).upper() or "?"
    message = details.get("message") or ""
    value = result.get("observed_value")
    metric = details.get("metric")
    number = "n/a" if value is None else _text(float(value))
    shown = details.get("observed_metric")
    if shown:
        # observed_value is the headline metric (the synthetic share) but another finding decided.
        head = f"{shown} = {number}; {metric}" if metric else f"{shown} = {number}"
        return f"{head} ({status}): {message}" if message else f"{head} ({status})"
    head = f"{metric} = {number}" if metric else number
    return f"{head} ({status}): {message}" if message else f"{head} ({status})"


def observed(result: Mapping[str, Any] | None) -> Any:
    """Observed-value content: the decisive finding, then the other findings that were not a pass.

    Returns a plain string when there is nothing else to show, otherwise a container of one
    line per finding, so a reviewer sees every vanished tail or category without opening JSON.
    """
    head = observed_headline(result)
    details = (result or {}).get("details") or {}
    others = [
        f
        for f in details.get("findings", [])
        if f.get("status") != "pass" and f.get("message") != details.get("message")
    ]
    if not others:
        return head
    blocks = [
        RenderedStringTemplateContent(
            content_block_type="string_template",
            string_template={"template": "$line", "params": {"line": line}},
        )
        for line in [head] + [f"{f['metric']} ({f['status'].upper()}): {f['message']}" for f in others]
    ]
    return RenderedContentBlockContainer(content_block_type="content_block_container", content_blocks=blocks)
