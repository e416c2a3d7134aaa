"""Great Expectations table metrics that run one collapse-guard check on a batch.

Each metric is a thin adapter: it hands the batch's pandas DataFrame to :func:`collapse_guard.check`
(the function the command line uses) restricted to one check, and returns the run's JSON report
(``Report.to_dict()``, byte-for-byte what ``collapse-guard check --select CHECK --format json``
prints for the same data, reference and config, apart from the batch path). The statistics stay
in ``collapse_guard``; nothing here computes a number.

A batch that lacks some of the reference's columns is run as the CLI runs it with ``--column
NAME=ignore`` for each of them (the CLI refuses such a batch without that option, which a Great
Expectations user cannot give); the report then also lists them in ``batch.absent_columns`` and in a
note, so that the expectation about a missing column can say so and the others are judged on their
own columns.

The metrics are table-level on purpose. The policy controls the false discovery rate across every
finding of a run (Benjamini–Hochberg), so a column's status depends on the other columns' p-values
exactly as in the CLI; and Great Expectations resolves each distinct metric configuration once per
validation, so every column expectation of a suite that shares a reference and thresholds reuses
one run of the check.

Only the pandas execution engine is supported (see ``docs/great-expectations.md`` for Spark).
"""

from __future__ import annotations

import copy
import os
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider

from ..api import check as _cg_check
from ..api import load_synthetic, resolve_config
from ..config import Config
from ..errors import InputError, ReferenceFileError
from ..profile import Profile
from ..profile.io import content_sha256, profile_content

CHECK_TAILS = "tail-shrinkage"
CHECK_DIVERSITY = "diversity-loss"
CHECK_SYNTHETIC = "synthetic-contamination"

# Metric names are global in Great Expectations; the ``collapse_guard.`` prefix keeps ours apart.
METRIC_TAILS = "collapse_guard.tail_shrinkage"
METRIC_DIVERSITY = "collapse_guard.diversity_loss"
METRIC_SYNTHETIC = "collapse_guard.synthetic_contamination"

VALUE_KEYS = ("reference", "synthetic_reference", "config", "overrides")

MEMORY_PREFIX = "memory:"

_MEMORY: dict[str, Profile] = {}
_LOADED: OrderedDict[tuple[str, int, int], Profile] = OrderedDict()
_LOADED_MAX = 4


def register_reference(profile: Profile) -> str:
    """Make an in-memory profile usable as ``reference`` (or ``synthetic_reference``).

    Expectations store strings so that a suite can be saved; an in-memory :class:`Profile` is kept
    in this process and stands for itself as ``"memory:<sha256>"``. A suite holding such a handle
    cannot be run in another process: save the profile with ``profile.save(path)`` and pass the
    path instead.

    Parameters
    ----------
    profile
        A profile built with ``collapse_guard.profile`` (or loaded).

    Returns
    -------
    str
        The handle, ``"memory:"`` followed by the profile's content hash.
    """
    digest = profile.sha256 or content_sha256(profile_content(profile))
    handle = MEMORY_PREFIX + digest
    _MEMORY[handle] = profile
    return handle


def resolve_profile(reference: str, field: str = "reference") -> Profile:
    """Load the profile named by a path or a ``memory:`` handle (recently loaded files are cached);
    a profile of machine-generated data is refused as the reference, and a human reference file
    as the synthetic_reference (an in-memory profile of a machine sample, from ``cg.profile``,
    carries no mark, as in the Python API)."""
    profile = _resolve(reference, field)
    as_synthetic = field == "synthetic_reference"
    marked = profile.synthetic or (as_synthetic and reference.startswith(MEMORY_PREFIX))
    if marked != as_synthetic:
        kind = "machine-generated data (synthetic=True)" if profile.synthetic else "human data"
        raise InputError(
            f"{field} {reference!r} is a profile of {kind}; pass the human reference as reference "
            "and the machine-generated sample's profile as synthetic_reference"
        )
    return profile


def _resolve(reference: str, field: str) -> Profile:
    if reference.startswith(MEMORY_PREFIX):
        try:
            return _MEMORY[reference]
        except KeyError:
            raise InputError(
                f"{field} {reference!r} names an in-memory profile of another process; save it with "
                "profile.save('reference.json') and pass that path to the expectation"
            ) from None
    path = Path(reference).expanduser()
    try:
        stat = path.stat()
    except OSError:
        raise ReferenceFileError(
            f"{field} file {reference} not found; build it with "
            f"`collapse-guard profile HUMAN_DATA -o {reference}` or fix the path"
        ) from None
    # Keyed by size and mtime too, so a rebuilt reference file is picked up without a restart.
    key = (os.path.realpath(path), stat.st_mtime_ns, stat.st_size)
    cached = _LOADED.get(key)
    if cached is None:
        cached = Profile.load(path)
        _LOADED[key] = cached
        while len(_LOADED) > _LOADED_MAX:
            _LOADED.popitem(last=False)
    else:
        _LOADED.move_to_end(key)
    return cached


def run_config(config: str | None, overrides: Mapping[str, Any] | None) -> Config:
    """The collapse-guard config for one metric: a TOML file (or defaults) plus expectation overrides.

    ``overrides`` maps column name (or ``""`` for the check-wide, table-level level) to
    ``{check: {metric: {"warn": w, "fail": f}}}``; they land exactly where the same thresholds
    would sit in ``collapse-guard.toml`` (``[columns.<col>.checks.<check>.thresholds.<metric>]``
    or ``[checks.<check>.thresholds.<metric>]``), so the check and the policy see them as they
    would in the CLI.
    """
    base = resolve_config(config)
    if not overrides:
        return base
    cfg = copy.deepcopy(base)
    cfg.source = f"{base.source} with thresholds set on the expectation"
    for column, by_check in overrides.items():
        for check_name, by_metric in by_check.items():
            if column:
                table = cfg.columns.setdefault(column, {}).setdefault("checks", {})
            else:
                table = cfg.checks
            thresholds = table.setdefault(check_name, {}).setdefault("thresholds", {})
            for metric, levels in by_metric.items():
                thresholds.setdefault(metric, {}).update(levels)
    return cfg


def run_check(
    df: pd.DataFrame,
    check_name: str,
    *,
    reference: str,
    synthetic_reference: str | None = None,
    config: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Run one collapse-guard check on a DataFrame and return the JSON report as a dict.

    This is the whole of what the Great Expectations metrics compute; it is a plain function so
    that it can be tested and compared with the CLI without Great Expectations in the loop.

    Parameters
    ----------
    df
        The batch.
    check_name
        ``"tail-shrinkage"``, ``"diversity-loss"`` or ``"synthetic-contamination"``.
    reference, synthetic_reference
        Paths to profile files (``synthetic_reference`` may also be data files) or ``memory:``
        handles from :func:`register_reference`.
    config
        Path to a ``collapse-guard.toml`` or ``pyproject.toml``; None for the built-in defaults.
    overrides
        Threshold overrides, see :func:`run_config`.

    Returns
    -------
    dict
        ``Report.to_dict()``: the same JSON as ``collapse-guard check --format json``; when the
        batch lacks reference columns, as with ``--column NAME=ignore`` for each, plus
        ``batch.absent_columns`` and a note naming them.

    Raises
    ------
    InputError
        When the batch has none of the reference's columns.
    """
    cfg = run_config(config, overrides)
    ref = resolve_profile(reference)
    synthetic: Profile | None = None
    if synthetic_reference is not None:
        if synthetic_reference.startswith(MEMORY_PREFIX):
            synthetic = resolve_profile(synthetic_reference, "synthetic_reference")
        else:
            if not Path(synthetic_reference).expanduser().exists():
                raise InputError(
                    f"synthetic_reference {synthetic_reference} not found; pass a profile file or "
                    "data files of known machine-generated rows, or drop the setting"
                )
            synthetic = load_synthetic(synthetic_reference, cfg)
    absent = absent_columns(df, ref, cfg)
    report = _cg_check(
        df,
        ref,
        config=cfg,
        select=[check_name],
        synthetic_reference=synthetic,
        columns=dict.fromkeys(absent, "ignore") or None,
    )
    out = report.to_dict()
    if absent:
        out["batch"]["absent_columns"] = absent
        out["notes"] = [
            *out.get("notes", []),
            "the batch has no column " + ", ".join(repr(c) for c in absent) + ", which the reference "
            "has; the check ran on the other columns",
        ]
    return out


def absent_columns(df: pd.DataFrame, ref: Profile, cfg: Config) -> list[str]:
    """Reference columns the batch lacks (not counting columns the config ignores).

    The CLI refuses such a batch and points at ``--column NAME=ignore``; a Great Expectations
    expectation has no such option and is about one column (or the batch), so the metric leaves
    these columns out of the run instead, exactly as that option would, and lets the expectation
    about a missing column say so. Raises when the batch has none of the reference's columns:
    then nothing can be compared and the batch is most likely the wrong data.
    """
    names = {str(c) for c in df.columns}
    wanted = [c for c in ref.columns if c not in cfg.ignored_columns()]
    absent = [c for c in wanted if c not in names]
    if absent and len(absent) == len(wanted):
        shown = ", ".join(repr(c) for c in absent[:8]) + (", ..." if len(absent) > 8 else "")
        raise InputError(
            f"the batch has none of the reference's columns ({shown}); check that the batch "
            "definition reads the data the reference was built for"
        )
    return absent


def _table_frame(execution_engine: PandasExecutionEngine, domain_kwargs: dict) -> pd.DataFrame:
    df, _, _ = execution_engine.get_compute_domain(
        domain_kwargs=domain_kwargs, domain_type=MetricDomainTypes.TABLE
    )
    return df


def _value_kwargs(metric_value_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "reference": metric_value_kwargs["reference"],
        "synthetic_reference": metric_value_kwargs.get("synthetic_reference"),
        "config": metric_value_kwargs.get("config"),
        "overrides": metric_value_kwargs.get("overrides"),
    }


class CollapseGuardTailShrinkage(TableMetricProvider):
    """The ``tail-shrinkage`` report for the batch (value: the JSON report as a dict)."""

    metric_name = METRIC_TAILS
    value_keys = VALUE_KEYS

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(
        cls,
        execution_engine: PandasExecutionEngine,
        metric_domain_kwargs: dict,
        metric_value_kwargs: dict,
        metrics: dict[str, Any],
        runtime_configuration: dict,
    ) -> dict[str, Any]:
        df = _table_frame(execution_engine, metric_domain_kwargs)
        return run_check(df, CHECK_TAILS, **_value_kwargs(metric_value_kwargs))


class CollapseGuardDiversityLoss(TableMetricProvider):
    """The ``diversity-loss`` report for the batch (value: the JSON report as a dict)."""

    metric_name = METRIC_DIVERSITY
    value_keys = VALUE_KEYS

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(
        cls,
        execution_engine: PandasExecutionEngine,
        metric_domain_kwargs: dict,
        metric_value_kwargs: dict,
        metrics: dict[str, Any],
        runtime_configuration: dict,
    ) -> dict[str, Any]:
        df = _table_frame(execution_engine, metric_domain_kwargs)
        return run_check(df, CHECK_DIVERSITY, **_value_kwargs(metric_value_kwargs))


class CollapseGuardSyntheticContamination(TableMetricProvider):
    """The ``synthetic-contamination`` report for the batch (value: the JSON report as a dict)."""

    metric_name = METRIC_SYNTHETIC
    value_keys = VALUE_KEYS

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(
        cls,
        execution_engine: PandasExecutionEngine,
        metric_domain_kwargs: dict,
        metric_value_kwargs: dict,
        metrics: dict[str, Any],
        runtime_configuration: dict,
    ) -> dict[str, Any]:
        df = _table_frame(execution_engine, metric_domain_kwargs)
        return run_check(df, CHECK_SYNTHETIC, **_value_kwargs(metric_value_kwargs))


METRIC_FOR_CHECK = {
    CHECK_TAILS: METRIC_TAILS,
    CHECK_DIVERSITY: METRIC_DIVERSITY,
    CHECK_SYNTHETIC: METRIC_SYNTHETIC,
}
