"""What a plugin object must provide: checks, readers and reporters."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

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

    # The usual kinds of option, each validated the same way everywhere (a TOML ``true`` is not the
    # integer 1, and NaN or inf is not a number in range).

    @classmethod
    def integer(cls, default: int, description: str, low: int, high: int | None = None) -> OptionSpec:
        """An integer in ``[low, high]`` (no upper bound when ``high`` is None)."""

        def validate(v: Any) -> bool:
            return isinstance(v, int) and not isinstance(v, bool) and low <= v and (high is None or v <= high)

        if high is not None:
            expect = f"an integer between {low} and {high}"
        else:
            expect = "a positive integer" if low == 1 else f"an integer of at least {low}"
        return cls(default, description, validate, expect)

    @classmethod
    def number(
        cls, default: float, description: str, low: float, high: float, *, inclusive: bool = False
    ) -> OptionSpec:
        """A finite number strictly between ``low`` and ``high`` (or within them, ``inclusive``)."""

        def validate(v: Any) -> bool:
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                return False
            # Compared before isfinite: TOML integers can be too large for a float.
            inside = low <= v <= high if inclusive else low < v < high
            return inside and math.isfinite(v)

        return cls(default, description, validate, f"a number between {low:g} and {high:g}")

    @classmethod
    def choice(cls, default: str, description: str, choices: Iterable[str]) -> OptionSpec:
        """One of a few strings."""
        allowed = tuple(choices)
        return cls(
            default,
            description,
            lambda v: isinstance(v, str) and v in allowed,
            " or ".join(repr(c) for c in allowed),
        )


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
    """Turns a path into chunks: pandas DataFrames or pyarrow Tables (flat columns), in any mix."""

    name: str
    suffixes: tuple[str, ...]

    def read(self, path: Path, chunk_rows: int) -> Iterator[pd.DataFrame | pa.Table]:
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
