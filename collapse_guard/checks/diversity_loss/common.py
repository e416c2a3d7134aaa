"""Shared by the diversity-loss modules: the row minimum, number formatting and null-comparison findings."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...results import Measurement
from ...stats.entropy import NullComparison
from ...stats.text_diversity import take_docs
from ..formatting import SCIENTIFIC_ABOVE, shorten
from ..formatting import pct as _pct  # noqa: F401  (one definition, shared by the sibling modules)

MIN_ROWS = 30


def _fmt(x: float) -> str:
    """Three significant digits, thousands separators from 1,000 up.

    Not ``formatting.num(x, 3)``, whose output differs for zero ("0" here, "0.0" there) and for
    values that round up to 1,000 ("1e+03" here, "1,000" there): the diversity-loss messages keep
    their wording.
    """
    if not math.isfinite(x):
        return str(x)
    if SCIENTIFIC_ABOVE > abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}"


_quote = shorten  # the name the sibling modules use


def _null_plot(cmp: NullComparison) -> dict[str, Any]:
    return {"type": "null", "null": list(cmp.null), "observed": cmp.observed}


def _measure(
    column: str | None,
    metric: str,
    cmp: NullComparison,
    effect: float,
    message: str,
    evidence: dict[str, Any],
) -> Measurement:
    evidence = {**evidence, "null_sd": cmp.sd, "z": cmp.z, "plot": _null_plot(cmp)}
    return Measurement(
        column=column,
        metric=metric,
        value=cmp.observed,
        expected=cmp.expected,
        interval=cmp.interval,
        p_value=cmp.p_value,
        effect=effect,
        message=message,
        evidence=evidence,
    )


def _nonempty_docs_with_index(
    tokens: np.ndarray, offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The non-empty documents (tokens, offsets) and their indices in the input."""
    keep = np.flatnonzero(np.diff(offsets) > 0)
    sub_t, sub_o = take_docs(tokens, offsets, keep)
    return sub_t, sub_o, keep
