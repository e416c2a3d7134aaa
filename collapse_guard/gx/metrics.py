"""Great Expectations table metrics that run one collapse-guard check on a batch.

Each metric is a thin adapter: it hands the batch's pandas DataFrame to :func:`collapse_guard.check`
(the function the command line uses) restricted to one check, and returns the run's JSON report
(``Report.to_dict()``, byte-for-byte what ``collapse-guard check --select CHECK --format json``
prints for the same data, reference and config, apart from the batch path). The statistics stay
in ``collapse_guard``; nothing here computes a number.

A batch that lacks some of the reference's columns, or has one with no values at all (every cell
missing), is run as the CLI runs it with ``--column NAME=ignore`` for each of them (the CLI refuses
such a batch without that option, which a Great Expectations user cannot give); the report then
also lists them in ``batch.absent_columns`` / ``batch.empty_columns`` and in a note, so that the
expectation about such a column can say so and the others are judged on their own columns. The
report also carries ``reference_kinds`` and ``ignored_columns``, so that an expectation about a
column the check did not measure can say why.

Relative paths are resolved against the Great Expectations project root (see
:mod:`collapse_guard.gx.paths`); collapse-guard's errors are reworded for Great Expectations users
(:mod:`collapse_guard.gx.messages`); and the check runs with BLAS held to one thread, as the
command line runs it, so that the numbers agree to the last digit.

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
from ..blas import blas_threads
from ..config import Config
from ..errors import CollapseGuardError, ConfigError, InputError, ReferenceFileError
from ..profile import Profile
from .messages import rephrased
from .paths import looked_up, project_root, resolve

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
    digest = profile.content_hash()
    handle = MEMORY_PREFIX + digest
    _MEMORY[handle] = profile
    return handle


def resolve_profile(reference: str, field: str = "reference", root: Path | None = None) -> Profile:
    """Load the profile named by a path or a ``memory:`` handle (recently loaded files are cached);
    a profile of machine-generated data is refused as the reference, and a human reference file
    as the synthetic_reference (an in-memory profile of a machine sample, from ``cg.profile``,
    carries no mark, as in the Python API). A relative path is resolved against ``root`` (the
    Great Expectations project root), else the working directory."""
    profile = _resolve(reference, field, root)
    as_synthetic = field == "synthetic_reference"
    marked = profile.synthetic or (as_synthetic and reference.startswith(MEMORY_PREFIX))
    if marked != as_synthetic:
        kind = "machine-generated data (synthetic=True)" if profile.synthetic else "human data"
        raise InputError(
            f"{field} {reference!r} is a profile of {kind}; pass the human reference as reference "
            "and the machine-generated sample's profile as synthetic_reference"
        )
    return profile


def _resolve(reference: str, field: str, root: Path | None) -> Profile:
    if reference.startswith(MEMORY_PREFIX):
        try:
            return _MEMORY[reference]
        except KeyError:
            raise InputError(
                f"{field} {reference!r} names an in-memory profile of another process; save it with "
                "profile.save('reference.json') and pass that path to the expectation"
            ) from None
    path = resolve(reference, root)
    try:
        stat = path.stat()
    except OSError:
        raise ReferenceFileError(
            f"{field} file {reference} not found{looked_up(reference, path, root)}; build it with "
            f"`collapse-guard profile HUMAN_DATA -o {path}` or fix the path"
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


def run_config(config: str | None, overrides: Mapping[str, Any] | None, root: Path | None = None) -> Config:
    """The collapse-guard config for one metric: a TOML file (or defaults) plus expectation overrides.

    A relative ``config`` path is resolved against ``root`` (the Great Expectations project
    root), else the working directory.

    ``overrides`` maps column name (or ``""`` for the check-wide, table-level level) to
    ``{check: {metric: {"warn": w, "fail": f}}}``; they land exactly where the same thresholds
    would sit in ``collapse-guard.toml`` (``[columns.<col>.checks.<check>.thresholds.<metric>]``
    or ``[checks.<check>.thresholds.<metric>]``), so the check and the policy see them as they
    would in the CLI.
    """
    if config:
        path = resolve(config, root)
        if not path.is_file():
            raise ConfigError(f"config file {config} not found{looked_up(config, path, root)}; fix config=")
        config = str(path)
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
    root: Path | None = None,
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
    root
        The folder relative paths are resolved against (the Great Expectations project root);
        None: the working directory.

    Returns
    -------
    dict
        ``Report.to_dict()``: the same JSON as ``collapse-guard check --format json``; when the
        batch lacks reference columns or has one without values, as with ``--column NAME=ignore``
        for each, plus ``batch.absent_columns`` / ``batch.empty_columns`` and a note naming them;
        and ``reference_kinds`` and ``ignored_columns`` for the expectations' messages.

    Raises
    ------
    CollapseGuardError
        Worded for Great Expectations users; e.g. an InputError when the batch has none of the
        reference's columns with values.
    """
    try:
        return _run_check(df, check_name, reference, synthetic_reference, config, overrides, root)
    except CollapseGuardError as exc:
        worded = rephrased(exc)
        if worded is exc:
            raise
        raise worded from exc


def _run_check(
    df: pd.DataFrame,
    check_name: str,
    reference: str,
    synthetic_reference: str | None,
    config: str | None,
    overrides: Mapping[str, Any] | None,
    root: Path | None,
) -> dict[str, Any]:
    cfg = run_config(config, overrides, root)
    ref = resolve_profile(reference, root=root)
    synthetic: Profile | None = None
    if synthetic_reference is not None:
        if synthetic_reference.startswith(MEMORY_PREFIX):
            synthetic = resolve_profile(synthetic_reference, "synthetic_reference")
        else:
            path = resolve(synthetic_reference, root)
            if not path.exists():
                raise InputError(
                    f"synthetic_reference {synthetic_reference} not found"
                    f"{looked_up(synthetic_reference, path, root)}; pass a profile file or data files "
                    "of known machine-generated rows, or drop the setting"
                )
            synthetic = load_synthetic(str(path), cfg)
    absent, empty = unusable_columns(df, ref, cfg)
    # The command line starts OpenBLAS with one thread; a multi-threaded BLAS sums in another
    # order and moved some numbers in the last digits, so the same batch gave GX and the CLI
    # different values.
    with blas_threads(1):
        report = _cg_check(
            df,
            ref,
            config=cfg,
            select=[check_name],
            synthetic_reference=synthetic,
            columns=dict.fromkeys(absent + empty, "ignore") or None,
        )
    out = report.to_dict()
    notes = list(out.get("notes", []))
    if absent:
        out["batch"]["absent_columns"] = absent
        notes.append(
            "the batch has no column " + ", ".join(repr(c) for c in absent) + ", which the reference "
            "has; the check ran on the other columns"
        )
    if empty:
        out["batch"]["empty_columns"] = empty
        notes.append(
            "the batch's column " + ", ".join(repr(c) for c in empty) + " has no values (every cell "
            "is missing); the check ran on the other columns"
        )
    if absent or empty:
        out["notes"] = notes
    out["reference_kinds"] = {name: kind.value for name, kind in ref.kinds().items()}
    out["ignored_columns"] = sorted(set(ref.columns) & cfg.ignored_columns())
    return out


def unusable_columns(df: pd.DataFrame, ref: Profile, cfg: Config) -> tuple[list[str], list[str]]:
    """Reference columns the batch lacks, and those it has with no values (every cell missing),
    not counting columns the config ignores; each list in reference order.

    The CLI refuses such a batch and points at ``--column NAME=ignore``; a Great Expectations
    expectation has no such option and is about one column (or the batch), so the metric leaves
    these columns out of the run instead, exactly as that option would, and lets the expectation
    about such a column say so. An all-missing column is most often a failed join or a renamed
    source field upstream: the same loss as a dropped column, so it is treated the same. Raises
    when no reference column is left: then nothing can be compared and the batch is most likely
    the wrong data. A batch without rows is left to the check, which says so.
    """
    names = {str(c): c for c in df.columns}
    wanted = [c for c in ref.columns if c not in cfg.ignored_columns()]
    absent = [c for c in wanted if c not in names]
    empty = [c for c in wanted if c in names and len(df) and bool(df[names[c]].isna().all())]
    if wanted and len(absent) + len(empty) == len(wanted):
        shown = ", ".join(repr(c) for c in wanted[:8]) + (", ..." if len(wanted) > 8 else "")
        if not empty:
            raise InputError(
                f"the batch has none of the reference's columns ({shown}); check that the batch "
                "definition reads the data the reference was built for"
            )
        raise InputError(
            f"the batch has no values in any of the reference's columns ({shown}): each is missing "
            "or has every cell empty; check that the batch definition reads the data the reference "
            "was built for"
        )
    return absent, empty


def _table_frame(execution_engine: PandasExecutionEngine, domain_kwargs: dict) -> pd.DataFrame:
    df, _, _ = execution_engine.get_compute_domain(
        domain_kwargs=domain_kwargs, domain_type=MetricDomainTypes.TABLE
    )
    return df


def _run(
    execution_engine: PandasExecutionEngine,
    check_name: str,
    metric_domain_kwargs: dict,
    metric_value_kwargs: Mapping[str, Any],
) -> dict[str, Any]:
    return run_check(
        _table_frame(execution_engine, metric_domain_kwargs),
        check_name,
        reference=metric_value_kwargs["reference"],
        synthetic_reference=metric_value_kwargs.get("synthetic_reference"),
        config=metric_value_kwargs.get("config"),
        overrides=metric_value_kwargs.get("overrides"),
        root=project_root(execution_engine),
    )


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
        return _run(execution_engine, CHECK_TAILS, metric_domain_kwargs, metric_value_kwargs)


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
        return _run(execution_engine, CHECK_DIVERSITY, metric_domain_kwargs, metric_value_kwargs)


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
        return _run(execution_engine, CHECK_SYNTHETIC, metric_domain_kwargs, metric_value_kwargs)


METRIC_FOR_CHECK = {
    CHECK_TAILS: METRIC_TAILS,
    CHECK_DIVERSITY: METRIC_DIVERSITY,
    CHECK_SYNTHETIC: METRIC_SYNTHETIC,
}
