"""What a plugin object must provide: checks, readers and reporters."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from .context import CheckContext
    from .results import Measurement, Report


CHECK_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
"""What a check's name must look like (``tail-shrinkage``): it is typed in ``--select``, in TOML
table names and in reports, so one spelling per check."""

RESERVED_OPTION_NAMES = frozenset({"enabled", "thresholds"})
"""Keys that ``[checks.NAME]`` (and ``[columns.COL.checks.NAME]``) give a meaning of their own
(config.py); an option of that name could never be set."""


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)


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

    def __post_init__(self) -> None:
        # Caught here, when the plugin is loaded, rather than as a batch judged the wrong way round:
        # the policy trusts these values and config.py checks user thresholds against them.
        where = f"MetricSpec({self.description!r})"
        if self.worse not in ("lower", "higher"):
            raise ValueError(f'{where}: worse must be "lower" or "higher", got {self.worse!r}')
        for key in ("warn", "fail"):
            if not _is_real(getattr(self, key)):
                raise ValueError(f"{where}: {key} must be a number, got {getattr(self, key)!r}")
        bounds = tuple(self.bounds) if isinstance(self.bounds, (tuple, list)) else ()
        if len(bounds) != 2 or not all(_is_real(b) for b in bounds) or bounds[0] > bounds[1]:
            raise ValueError(
                f"{where}: bounds must be (low, high) numbers with low <= high, got {self.bounds!r}"
            )
        lo, hi = bounds
        for key in ("warn", "fail"):
            value = getattr(self, key)
            if not lo <= value <= hi:
                raise ValueError(f"{where}: {key} = {value!r} is outside bounds [{lo}, {hi}]")
        if not self.beyond(self.fail, self.warn):
            relation = "<=" if self.worse == "lower" else ">="
            raise ValueError(
                f"{where}: fail ({self.fail!r}) must be {relation} warn ({self.warn!r}) because "
                f"{self.worse} effects are worse; swap them or fix worse="
            )

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
    default_enabled: bool  # optional on a plugin's check: True when absent
    metrics: Mapping[str, MetricSpec]
    options: Mapping[str, OptionSpec]

    def run(self, ctx: CheckContext) -> Iterable[Measurement]:
        """Measure; never decide statuses, print, read files or exit."""
        ...


def validate_check(check: Any) -> None:
    """Raise ValueError saying what is wrong with a check's declarations, if anything.

    The plugin host calls it on every registered check (``PluginError`` naming the plugin); a
    plugin's own tests may call it too. ``MetricSpec`` validates its thresholds itself.
    """
    name = getattr(check, "name", None)
    if not isinstance(name, str) or not CHECK_NAME.fullmatch(name):
        raise ValueError(
            f"check name {name!r} must be lowercase letters and digits in words joined by single "
            "hyphens, like 'tail-shrinkage' (it is typed in --select and in TOML table names)"
        )
    default_enabled = getattr(check, "default_enabled", True)
    if not isinstance(default_enabled, bool):
        raise ValueError(f"check {name!r}: default_enabled must be True or False, got {default_enabled!r}")
    _check_declarations(name, "metric", getattr(check, "metrics", None), MetricSpec)
    _check_declarations(name, "option", getattr(check, "options", None), OptionSpec, RESERVED_OPTION_NAMES)
    if not callable(getattr(check, "run", None)):
        raise ValueError(f"check {name!r}: run must be a method run(ctx)")


def _check_declarations(
    check: str, kind: str, table: Any, spec_type: type, reserved: frozenset[str] = frozenset()
) -> None:
    """``metrics``/``options``: a dict of non-empty string names (none of them ``reserved``) to
    ``spec_type`` objects, else a ValueError naming the check and the entry."""
    if not isinstance(table, Mapping):
        raise ValueError(
            f"check {check!r}: {kind}s must be a dict of {spec_type.__name__}, got {type(table).__name__}"
        )
    for key, spec in table.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"check {check!r}: {kind} names must be non-empty strings, got {key!r}")
        if key in reserved:
            raise ValueError(
                f"check {check!r}: {kind} {key!r} is a reserved key of [checks.{check}] "
                f"({', '.join(sorted(reserved))}); rename the {kind}"
            )
        if not isinstance(spec, spec_type):
            raise ValueError(
                f"check {check!r}: {kind} {key!r} must be a collapse_guard.{spec_type.__name__}, "
                f"got {type(spec).__name__}"
            )


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
