"""An exceedance test's result as the check's Measurement (numeric tails and document lengths)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...results import Measurement
from ...stats.tails import ExceedanceTest


def with_reason(message: str, insufficient: str | None) -> str:
    """The message of a measured but insufficient-data finding, with the reason it is one.

    The reason (and the batch size it would take) is only in ``Measurement.insufficient``, which
    the JSON, text and CI reports do not show; the message must say it.
    """
    if not insufficient or insufficient in message:
        return message
    return f"{message}; {insufficient}" if message else insufficient


def exceedance_measurement(
    column: str,
    metric: str,
    test: ExceedanceTest,
    *,
    message: str,
    evidence: Mapping[str, Any],
    insufficient: str | None,
) -> Measurement:
    """Batch tail mass against the reference's, with the test's interval, p-value and ratio."""
    return Measurement(
        column,
        metric,
        value=test.batch_mass,
        expected=test.reference_mass,
        interval=test.interval,
        p_value=test.p_value,
        effect=test.ratio,
        message=with_reason(message, insufficient),
        evidence=evidence,
        insufficient=insufficient,
    )
