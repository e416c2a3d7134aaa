"""The collapse-guard expectations for Great Expectations 1.x.

Each expectation reads one collapse-guard check's report (computed by the table metrics in
:mod:`collapse_guard.gx.metrics`, the same call as the CLI) and turns the findings it covers into a
Great Expectations result:

- ``success`` is False when any covered finding has status ``fail`` or ``error`` (also ``warn``
  with ``fail_on="warn"``), or when the check produced no finding at all for the column (a check
  that measured nothing must not wave a batch through), or when the batch has no such column;
- ``observed_value`` is the ``effect`` of the *decisive* finding (the worst status, then the
  smallest adjusted p-value), i.e. the number the ``warn``/``fail`` thresholds are compared with;
  for ``ExpectBatchSyntheticShareToBeBelow`` it is the estimated synthetic share;
- ``details`` holds that finding as in the JSON report (value, expected, interval, p-value,
  adjusted p-value, effect, status, message, evidence) plus every covered finding.

Thresholds are mapped onto collapse-guard's own config (``[columns.<col>.checks.<check>
.thresholds.<metric>]``), so they act on the check exactly as in ``collapse-guard.toml``.
Fields use Great Expectations' pydantic compatibility layer (pydantic v1 API) on purpose: a
pydantic v2 ``Field`` in these models is silently ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from great_expectations.compatibility import pydantic
from great_expectations.core.suite_parameters import SuiteParameterDict
from great_expectations.execution_engine import ExecutionEngine
from great_expectations.expectations.expectation import (
    BatchExpectation,
    ColumnAggregateExpectation,
)
from great_expectations.render import (
    LegacyDiagnosticRendererType,
    LegacyRendererType,
    RenderedStringTemplateContent,
)
from great_expectations.render.renderer.renderer import renderer
from great_expectations.render.renderer_configuration import (
    RendererConfiguration,
    RendererValueType,
)
from great_expectations.validator.metric_configuration import MetricConfiguration
from great_expectations.validator.validator import ValidationDependencies

from ..profile import Profile
from . import rendering
from .metrics import (
    CHECK_DIVERSITY,
    CHECK_SYNTHETIC,
    CHECK_TAILS,
    METRIC_DIVERSITY,
    METRIC_SYNTHETIC,
    METRIC_TAILS,
    register_reference,
)

if TYPE_CHECKING:
    import pandas as pd

SYNTHETIC_SHARE_METRIC = "synthetic_share"

_LIBRARY_METADATA: dict[str, str | list | bool] = {
    "maturity": "experimental",
    "tags": ["collapse-guard", "model collapse", "distribution"],
    "contributors": ["collapse-guard"],
    "requirements": ["collapse-guard"],
}

REFERENCE_DESCRIPTION = (
    "Path of a collapse-guard reference profile built from trusted human data "
    "(`collapse-guard profile HUMAN_DATA -o reference.json`), or an in-memory Profile."
)
CONFIG_DESCRIPTION = (
    "Path of a collapse-guard.toml or pyproject.toml with [tool.collapse-guard]; "
    "None uses the built-in defaults (the CLI reads the same file with --config)."
)
METRIC_DESCRIPTION = (
    "Judge only this metric of the check (e.g. upper_tail_mass_q99); None judges every metric "
    "the check reports for the column."
)
WARN_DESCRIPTION = "Warn threshold on the effect of `metric` (or of every ratio metric of the check)."
FAIL_DESCRIPTION = "Fail threshold on the effect of `metric` (or of every ratio metric of the check)."
THRESHOLDS_DESCRIPTION = (
    'Per-metric thresholds, as in collapse-guard.toml: {"metric": {"warn": w, "fail": f}}.'
)
FAIL_ON_DESCRIPTION = 'Fail the expectation on "fail" findings only (default) or also on "warn".'


def _as_reference(value: Any, field: str) -> Any:
    """Turn an in-memory Profile into a storable handle and a Path into a string."""
    if isinstance(value, Profile):
        return register_reference(value)
    if isinstance(value, Path):
        return str(value)
    if field == "synthetic_reference" and _is_dataframe(value):
        from ..api import load_synthetic
        from ..config import Config

        return register_reference(load_synthetic(value, Config()))  # type: ignore[arg-type]
    return value


def _is_dataframe(value: Any) -> bool:
    import pandas as pd

    return isinstance(value, pd.DataFrame)


def _is_param(value: Any) -> bool:
    return isinstance(value, dict) and "$PARAMETER" in value


def _check_metrics(check_name: str) -> dict[str, Any]:
    """The registered check's metric specs (empty when the check is not installed)."""
    from ..plugins import default_registry

    check = default_registry().checks.get(check_name)
    return dict(check.metrics) if check is not None else {}


def _ratio_metrics(specs: dict[str, Any]) -> list[str]:
    """Metrics that ``warn``/``fail`` set when no ``metric`` is named.

    These are the observed/expected ratios (lower is worse, 1 = as an honest sample): one knob
    for "how much shrinkage is acceptable". Rates and excess ratios have other scales and keep
    their defaults unless set through ``thresholds``.
    """
    return sorted(name for name, spec in specs.items() if spec.worse == "lower")


def _validate_thresholds(
    check_name: str,
    metric: str | None,
    warn: Any,
    fail: Any,
    thresholds: dict[str, dict[str, float]] | None,
    names: tuple[str, str] = ("warn", "fail"),
) -> None:
    """Reject what the check would reject at run time, when the expectation is built.

    Unknown metric names, keys other than warn/fail, values outside a metric's bounds, and a
    warn/fail pair on the wrong side of each other (``fail`` must be at least as bad as ``warn``
    in the metric's worse direction). ``names`` are the argument names for warn and fail, as the
    caller wrote them (``warn_share``/``max_share`` for the synthetic share). Suite parameters are
    only known at run time; the config check catches a bad value then.
    """
    metrics = _check_metrics(check_name)
    if not metrics:
        return
    known = ", ".join(sorted(metrics))
    for name in ([metric] if metric else []) + sorted(thresholds or {}):
        if name not in metrics:
            raise ValueError(f"{check_name} has no metric {name!r}; choose one of: {known}")
    # Per metric, each level as (value, argument name, argument as written), merged as
    # threshold_overrides merges them.
    given: dict[str, dict[str, tuple[float, str, str]]] = {}
    for name, levels in (thresholds or {}).items():
        for key, value in levels.items():
            if key not in ("warn", "fail"):
                raise ValueError(f"thresholds[{name!r}] has key {key!r}; use warn and fail")
            arg = f"thresholds[{name!r}][{key!r}]"
            given.setdefault(name, {})[key] = (float(value), arg, f"{arg}={value}")
    for key, arg, value in (("warn", names[0], warn), ("fail", names[1], fail)):
        if value is None or _is_param(value):
            continue
        for name in [metric] if metric else _ratio_metrics(metrics):
            given.setdefault(name, {})[key] = (float(value), arg, f"{arg}={value}")
    for name, entry in given.items():
        spec = metrics[name]
        lo, hi = spec.bounds
        # warn/fail without metric= set every ratio metric: say so rather than name one of them.
        group = metric is None and all(given_as in names for _, given_as, _ in entry.values())
        where = (
            f"the ratio metrics of {check_name} (warn and fail without metric= set all of them)"
            if group
            else f"metric {name!r} of {check_name}"
        )
        for value, _, written in entry.values():
            if not lo <= value <= hi:
                hint = "; name the metric you mean with metric=... or use thresholds={...}" if group else ""
                raise ValueError(f"{written} is outside [{lo}, {hi}] for {where}{hint}")
        if "warn" in entry and "fail" in entry:
            (w, w_arg, w_written), (f, f_arg, f_written) = entry["warn"], entry["fail"]
            if not spec.beyond(f, w):
                side = "at or below" if spec.worse == "lower" else "at or above"
                raise ValueError(
                    f"{f_written} and {w_written} are the wrong way round for {where}: {spec.worse} "
                    f"values are worse, so {f_arg} must be {side} {w_arg}; swap them"
                )


def threshold_overrides(
    check_name: str,
    column: str,
    metric: str | None,
    warn: Any,
    fail: Any,
    thresholds: dict[str, dict[str, float]] | None,
) -> dict[str, Any]:
    """Threshold overrides in the shape :func:`collapse_guard.gx.metrics.run_config` expects.

    When only one of warn/fail is given, the other keeps its default unless that would put it on
    the wrong side (e.g. ``fail=0.9`` above the default ``warn=0.75`` for a lower-is-worse
    metric), in which case it moves to the given value: asking for a stricter fail must not
    raise a config error about the warn level nobody set.
    """
    specs = _check_metrics(check_name)
    by_metric: dict[str, dict[str, float]] = {}
    for name, given in (thresholds or {}).items():
        by_metric[name] = {k: float(v) for k, v in given.items()}
    levels = {k: float(v) for k, v in (("warn", warn), ("fail", fail)) if v is not None}
    if levels:
        for name in [metric] if metric else _ratio_metrics(specs):
            by_metric.setdefault(name, {}).update(levels)
    for name, entry in by_metric.items():
        spec = specs.get(name)
        if spec is None:
            continue
        if "fail" in entry and "warn" not in entry:
            entry["warn"] = spec.warn if spec.beyond(entry["fail"], spec.warn) else entry["fail"]
        elif "warn" in entry and "fail" not in entry:
            entry["fail"] = spec.fail if spec.beyond(spec.fail, entry["warn"]) else entry["warn"]
    if not by_metric:
        return {}
    return {column: {check_name: by_metric}}


def decisive(findings: list[dict[str, Any]]) -> dict[str, Any]:
    """The finding that decides an expectation.

    The worst status wins (fail/error, then warn); among equals, the smallest adjusted p-value.
    A tested finding (pass) outranks an ``insufficient-data`` one, because the expectation is
    only insufficient when nothing could be tested, as for the report status.
    """
    order = {"fail": 0, "error": 0, "warn": 1, "pass": 2, "insufficient-data": 3}

    def key(f: dict[str, Any]) -> tuple[int, float, str]:
        p = f.get("p_adjusted")
        return (order.get(f["status"], 2), 2.0 if p is None else float(p), f["metric"])

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


def outcome(
    report: dict[str, Any],
    *,
    check_name: str,
    column: str | None,
    metric: str | None,
    fail_on: str,
    observed: str = "effect",
) -> dict[str, Any]:
    """Turn a collapse-guard JSON report into a Great Expectations result dict.

    Parameters
    ----------
    report
        ``Report.to_dict()`` of a run restricted to ``check_name``.
    check_name, column, metric
        Which findings the expectation covers (``column=None``: table-level findings).
    fail_on
        ``"fail"`` or ``"warn"``: the finding status from which the expectation fails.
    observed
        Field of the decisive finding reported as ``observed_value``.
    """
    covered = [
        f
        for f in report["findings"]
        if f["check"] == check_name
        and (f["column"] == column or f["status"] == "error")
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
    if absent:
        context["absent_columns"] = absent
    if column is not None and column in absent:
        message = (
            f"the batch has no column {column!r}, which the reference profile has, so collapse-guard "
            f"{check_name} cannot judge it; fix the data or the batch definition if the column was "
            "lost upstream, or remove this expectation from the suite if the column is gone for good"
        )
        return _error_result(context, message)
    if not covered:
        where = f"column {column!r}" if column is not None else "the batch"
        why = [n for n in report.get("notes", []) if column is not None and repr(column) in n]
        reason = (
            why[0]
            if why
            else (f"{where} is not in the reference profile, or {check_name} does not apply to its kind")
        )
        message = (
            f"collapse-guard {check_name} measured nothing for {where} ({reason}); rebuild the "
            "reference with that column or remove this expectation"
        )
        return _error_result(context, message)
    worst = decisive(covered)
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
    return {
        "success": effective not in failing,
        "result": {"observed_value": worst[observed], "details": details},
    }


class _CollapseGuardExpectationMixin:
    """Renderers shared by the three expectations (Data Docs and GX's inline renderer)."""

    check_name: ClassVar[str]
    check_label: ClassVar[str]

    @classmethod
    def _prescriptive_template(cls, renderer_configuration: RendererConfiguration) -> RendererConfiguration:
        kwargs = renderer_configuration.kwargs or {}
        template, params = rendering.prescriptive(cls.check_label, kwargs)
        for name, value in params.items():
            renderer_configuration.add_param(name=name, param_type=RendererValueType.STRING, value=value)
        renderer_configuration.template_str = template
        return renderer_configuration

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(
        cls,
        configuration: Any = None,
        result: Any = None,
        runtime_configuration: dict | None = None,
        **kwargs: Any,
    ) -> list[RenderedStringTemplateContent]:
        # Data Docs calls this with configuration=None on some paths; fall back to the result's.
        if configuration is None and result is not None:
            configuration = getattr(result, "expectation_config", None)
        exp_kwargs = dict(getattr(configuration, "kwargs", None) or {})
        template, params = rendering.prescriptive(cls.check_label, exp_kwargs)
        styling = (runtime_configuration or {}).get("styling")
        return [
            RenderedStringTemplateContent(
                content_block_type="string_template",
                string_template={"template": template, "params": params, "styling": styling},
            )
        ]

    @classmethod
    @renderer(renderer_type=LegacyDiagnosticRendererType.OBSERVED_VALUE)
    def _diagnostic_observed_value_renderer(
        cls,
        configuration: Any = None,
        result: Any = None,
        runtime_configuration: dict | None = None,
        **kwargs: Any,
    ) -> Any:
        return rendering.observed(getattr(result, "result", None))


class _ColumnCollapseExpectation(_CollapseGuardExpectationMixin, ColumnAggregateExpectation):
    """Fields and logic shared by the two column expectations (abstract: not registered)."""

    if TYPE_CHECKING:
        # What callers may pass; the validator below stores it as a string (path or handle).
        reference: str | Path | Profile | SuiteParameterDict
    else:
        reference: str | SuiteParameterDict = pydantic.Field(..., description=REFERENCE_DESCRIPTION)
    config: str | None = pydantic.Field(default=None, description=CONFIG_DESCRIPTION)
    metric: str | None = pydantic.Field(default=None, description=METRIC_DESCRIPTION)
    warn: float | SuiteParameterDict | None = pydantic.Field(default=None, description=WARN_DESCRIPTION)
    fail: float | SuiteParameterDict | None = pydantic.Field(default=None, description=FAIL_DESCRIPTION)
    thresholds: dict[str, dict[str, float]] | None = pydantic.Field(
        default=None, description=THRESHOLDS_DESCRIPTION
    )
    fail_on: Literal["fail", "warn"] = pydantic.Field(default="fail", description=FAIL_ON_DESCRIPTION)

    success_keys: ClassVar[tuple[str, ...]] = (
        "reference",
        "config",
        "metric",
        "warn",
        "fail",
        "thresholds",
        "fail_on",
    )
    args_keys: ClassVar[tuple[str, ...]] = ("column", "reference")
    library_metadata: ClassVar[dict[str, str | list | bool]] = _LIBRARY_METADATA
    gx_metric: ClassVar[str]

    @pydantic.validator("reference", pre=True)
    def _reference(cls, value: Any) -> Any:
        return _as_reference(value, "reference")

    @pydantic.validator("config", pre=True)
    def _config(cls, value: Any) -> Any:
        return str(value) if isinstance(value, Path) else value

    @pydantic.root_validator(skip_on_failure=True)
    def _thresholds_valid(cls, values: dict) -> dict:
        _validate_thresholds(
            cls.check_name,
            values.get("metric"),
            values.get("warn"),
            values.get("fail"),
            values.get("thresholds"),
        )
        return values

    def get_validation_dependencies(
        self,
        execution_engine: ExecutionEngine | None = None,
        runtime_configuration: dict | None = None,
    ) -> ValidationDependencies:
        deps = super().get_validation_dependencies(
            execution_engine=execution_engine, runtime_configuration=runtime_configuration
        )
        base = deps.get_metric_configuration(self.gx_metric)
        assert base is not None
        kw = self._get_success_kwargs()
        # Only what changes the check's numbers goes into the metric's key, so column
        # expectations without overrides share one run of the check per validation.
        value_kwargs = {
            "reference": kw["reference"],
            "synthetic_reference": None,
            "config": kw.get("config"),
            "overrides": threshold_overrides(
                self.check_name,
                self.column,
                kw.get("metric"),
                kw.get("warn"),
                kw.get("fail"),
                kw.get("thresholds"),
            ),
        }
        deps.set_metric_configuration(
            self.gx_metric,
            MetricConfiguration(
                metric_name=self.gx_metric,
                metric_domain_kwargs=base.metric_domain_kwargs,
                metric_value_kwargs=value_kwargs,
            ),
        )
        return deps

    def _column_outcome(self, metrics: dict) -> dict[str, Any]:
        kw = self._get_success_kwargs()
        return outcome(
            metrics[self.gx_metric],
            check_name=self.check_name,
            column=self.column,
            metric=kw.get("metric"),
            fail_on=kw.get("fail_on") or "fail",
        )


class ExpectColumnTailsNotToShrink(_ColumnCollapseExpectation):
    """Expect a column's tails (extreme quantiles, rare categories, rare tokens) not to shrink.

    Runs collapse-guard's ``tail-shrinkage`` check against a reference profile of trusted human
    data: one-sided exact binomial tests of the mass beyond the reference's p1/p99 (and
    p0.1/p99.9), spread ratios, rare-category coverage against the rarefaction expectation at the
    batch's size, rare-token coverage for text. ``observed_value`` is the effect of the decisive
    finding (1 = unchanged, 0 = tail gone); ``details`` carries the finding as in the JSON report.

    Args:
        column (str): The column to check.
        reference (str or Profile): The reference profile file (or an in-memory Profile).
        config (str or None): A collapse-guard.toml / pyproject.toml, as ``--config``.
        metric (str or None): Judge one metric only, e.g. ``upper_tail_mass_q99``.
        warn, fail (float or None): Effect thresholds for ``metric`` (or every metric); suite
            parameters (``{"$PARAMETER": "name"}``) work.
        thresholds (dict or None): ``{"metric": {"warn": w, "fail": f}}``.
        fail_on (str): ``"fail"`` (default) or ``"warn"``.
    """

    check_name: ClassVar[str] = CHECK_TAILS
    check_label: ClassVar[str] = "tails"
    gx_metric: ClassVar[str] = METRIC_TAILS
    metric_dependencies: ClassVar[tuple[str, ...]] = (METRIC_TAILS,)

    def _validate(
        self,
        metrics: dict,
        runtime_configuration: dict | None = None,
        execution_engine: ExecutionEngine | None = None,
    ) -> dict[str, Any]:
        return self._column_outcome(metrics)


class ExpectColumnDiversityNotToDrop(_ColumnCollapseExpectation):
    """Expect a column's diversity not to drop below an honest sample of the same size.

    Runs collapse-guard's ``diversity-loss`` check against a reference profile: bias-corrected
    entropy and Hill numbers for categories and tokens, distinct-n, compression ratio and
    near-duplicate rate for text, each against a size-matched reference null. Arguments and result
    as in :class:`ExpectColumnTailsNotToShrink`.
    """

    check_name: ClassVar[str] = CHECK_DIVERSITY
    check_label: ClassVar[str] = "diversity"
    gx_metric: ClassVar[str] = METRIC_DIVERSITY
    metric_dependencies: ClassVar[tuple[str, ...]] = (METRIC_DIVERSITY,)

    def _validate(
        self,
        metrics: dict,
        runtime_configuration: dict | None = None,
        execution_engine: ExecutionEngine | None = None,
    ) -> dict[str, Any]:
        return self._column_outcome(metrics)


class ExpectBatchSyntheticShareToBeBelow(_CollapseGuardExpectationMixin, BatchExpectation):
    """Expect the estimated share of machine-generated rows in the batch to stay below a bound.

    Runs collapse-guard's ``synthetic-contamination`` check (classifier two-sample test turned
    into a mixture-proportion lower bound for tables; word-frequency mixture estimate or marker
    vocabulary for text) and judges its table-level ``synthetic_share`` finding.
    ``observed_value`` is the estimated share in [0, 1]; ``details`` carries its 95% interval,
    p-value and the evidence.

    Args:
        reference (str or Profile): The reference profile of human data.
        synthetic_reference (str, Profile, DataFrame or None): Known machine-generated data (a
            profile file or data files), as ``--synthetic-reference``.
        max_share (float or None): Fail threshold on the share (the check's ``fail`` threshold).
        warn_share (float or None): Warn threshold on the share.
        config, thresholds, fail_on: As in :class:`ExpectColumnTailsNotToShrink`.
    """

    if TYPE_CHECKING:
        # What callers may pass; the validator below stores it as a string (path or handle).
        reference: str | Path | Profile | SuiteParameterDict
    else:
        reference: str | SuiteParameterDict = pydantic.Field(..., description=REFERENCE_DESCRIPTION)
    if TYPE_CHECKING:
        synthetic_reference: str | Path | Profile | pd.DataFrame | SuiteParameterDict | None = None
    else:
        synthetic_reference: str | SuiteParameterDict | None = pydantic.Field(
            default=None,
            description="Known machine-generated data: a profile file, data files or a Profile.",
        )
    config: str | None = pydantic.Field(default=None, description=CONFIG_DESCRIPTION)
    max_share: float | SuiteParameterDict | None = pydantic.Field(
        default=None, description="Fail when the estimated synthetic share reaches this value."
    )
    warn_share: float | SuiteParameterDict | None = pydantic.Field(
        default=None, description="Warn when the estimated synthetic share reaches this value."
    )
    thresholds: dict[str, dict[str, float]] | None = pydantic.Field(
        default=None, description=THRESHOLDS_DESCRIPTION
    )
    fail_on: Literal["fail", "warn"] = pydantic.Field(default="fail", description=FAIL_ON_DESCRIPTION)

    check_name: ClassVar[str] = CHECK_SYNTHETIC
    check_label: ClassVar[str] = "synthetic share"
    metric_dependencies: ClassVar[tuple[str, ...]] = (METRIC_SYNTHETIC,)
    success_keys: ClassVar[tuple[str, ...]] = (
        "reference",
        "synthetic_reference",
        "config",
        "max_share",
        "warn_share",
        "thresholds",
        "fail_on",
    )
    args_keys: ClassVar[tuple[str, ...]] = ("reference", "max_share")
    library_metadata: ClassVar[dict[str, str | list | bool]] = _LIBRARY_METADATA

    @pydantic.validator("reference", "synthetic_reference", pre=True)
    def _reference(cls, value: Any, field: Any) -> Any:
        return _as_reference(value, field.name)

    @pydantic.validator("config", pre=True)
    def _config(cls, value: Any) -> Any:
        return str(value) if isinstance(value, Path) else value

    @pydantic.root_validator(skip_on_failure=True)
    def _thresholds_valid(cls, values: dict) -> dict:
        _validate_thresholds(
            CHECK_SYNTHETIC,
            SYNTHETIC_SHARE_METRIC,
            values.get("warn_share"),
            values.get("max_share"),
            values.get("thresholds"),
            names=("warn_share", "max_share"),
        )
        return values

    def get_validation_dependencies(
        self,
        execution_engine: ExecutionEngine | None = None,
        runtime_configuration: dict | None = None,
    ) -> ValidationDependencies:
        deps = super().get_validation_dependencies(
            execution_engine=execution_engine, runtime_configuration=runtime_configuration
        )
        base = deps.get_metric_configuration(METRIC_SYNTHETIC)
        assert base is not None
        kw = self._get_success_kwargs()
        overrides = threshold_overrides(
            CHECK_SYNTHETIC,
            "",
            SYNTHETIC_SHARE_METRIC,
            kw.get("warn_share"),
            kw.get("max_share"),
            kw.get("thresholds"),
        )
        deps.set_metric_configuration(
            METRIC_SYNTHETIC,
            MetricConfiguration(
                metric_name=METRIC_SYNTHETIC,
                metric_domain_kwargs=base.metric_domain_kwargs,
                metric_value_kwargs={
                    "reference": kw["reference"],
                    "synthetic_reference": kw.get("synthetic_reference"),
                    "config": kw.get("config"),
                    "overrides": overrides,
                },
            ),
        )
        return deps

    def _validate(
        self,
        metrics: dict,
        runtime_configuration: dict | None = None,
        execution_engine: ExecutionEngine | None = None,
    ) -> dict[str, Any]:
        kw = self._get_success_kwargs()
        return outcome(
            metrics[METRIC_SYNTHETIC],
            check_name=CHECK_SYNTHETIC,
            column=None,
            metric=SYNTHETIC_SHARE_METRIC,
            fail_on=kw.get("fail_on") or "fail",
            observed="value",
        )
