"""What a plugin object must provide: checks, readers and reporters."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pandas as pd

    from .context import CheckContext
    from .results import Measurement, Report


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """How the policy judges one metric's ``effect``.

    Attributes
    ----------
    description
        What the effect means, in one line (shown by ``collapse-guard checks``).
    worse
        ``"lower"`` when a smaller effect means more collapse (ratios such as observed/expected),
        ``"higher"`` when a larger one does (duplicate rates, synthetic shares).
    warn, fail
        Effect thresholds. ``fail`` must be at least as extreme as ``warn``.
    bounds
        Allowed range for user-supplied thresholds.
    """

    description: str
    worse: Literal["lower", "higher"]
    warn: float
    fail: float
    bounds: tuple[float, float] = (0.0, math.inf)

    def beyond(self, effect: float, threshold: float) -> bool:
        """True when ``effect`` is at or past ``threshold`` in the worse direction."""
        if math.isnan(effect):
            return False
        return effect <= threshold if self.worse == "lower" else effect >= threshold


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """A check-specific configuration key with its default and validation."""

    default: Any
    description: str
    validate: Callable[[Any], bool] = field(default=lambda _value: True)
    expect: str = "a valid value"


@runtime_checkable
class Check(Protocol):
    """A check compares a batch profile with a reference profile and yields measurements."""

    name: str
    description: str
    default_enabled: bool
    metrics: Mapping[str, MetricSpec]
    options: Mapping[str, OptionSpec]

    def run(self, ctx: CheckContext) -> Iterable[Measurement]:
        """Measure; never decide statuses, print, read files or exit."""
        ...


@runtime_checkable
class Reader(Protocol):
    """Turns a path into DataFrame chunks."""

    name: str
    suffixes: tuple[str, ...]

    def read(self, path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
        """Yield chunks of at most about ``chunk_rows`` rows; raise InputError naming the path."""
        ...


@runtime_checkable
class Reporter(Protocol):
    """Renders a report as a string (the value of ``--format``)."""

    name: str
    description: str

    def render(self, report: Report) -> str:
        """Return the whole rendered report."""
        ...
