"""The collapse-guard expectations for Great Expectations 1.x.

Each expectation reads one collapse-guard check's report (computed by the table metrics in
:mod:`collapse_guard.gx.metrics`, the same call as the CLI) and turns the findings it covers into a
Great Expectations result:

- ``success`` is False when any covered finding has status ``fail`` or ``error`` (also ``warn``
  with ``fail_on="warn"``), or when the check produced no finding at all for the column (a check
  that measured nothing must not wave a batch through), or when the batch has no such column or
  no values in it;
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
from .outcome import outcome
from .thresholds import threshold_overrides, validate_thresholds

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


class _CollapseGuardExpectationMixin:
    """Renderers shared by the expectations (Data Docs and GX's inline renderer)."""

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


def _metric_dependency(
    deps: ValidationDependencies, gx_metric: str, value_kwargs: dict[str, Any]
) -> ValidationDependencies:
    """Point the expectation's table metric at these value kwargs (same domain as GX built it).

    Only what changes the check's numbers goes into the metric's key, so expectations of one
    check without overrides share one run of the check per validation.
    """
    base = deps.get_metric_configuration(gx_metric)
    assert base is not None
    deps.set_metric_configuration(
        gx_metric,
        MetricConfiguration(
            metric_name=gx_metric,
            metric_domain_kwargs=base.metric_domain_kwargs,
            metric_value_kwargs=value_kwargs,
        ),
    )
    return deps


class _OneCheckRun:
    """Dependencies and judgement of an expectation that runs one check: a plain mixin, placed
    before the GX base class so that ``super()`` reaches GX. The synthetic-share expectation
    overrides the three hooks below (its thresholds are named for the share, it may pass a
    machine sample, and its observed value is the share)."""

    check_name: ClassVar[str]
    gx_metric: ClassVar[str]
    #: Extra arguments of ``outcome`` (how the observed value and the deciding findings are read).
    outcome_options: ClassVar[dict[str, Any]] = {}

    def _judged_column(self) -> str | None:
        """The column whose findings decide (None: the table-level ones)."""
        return getattr(self, "column", None)

    def _threshold_args(self, kw: dict[str, Any]) -> tuple[Any, Any, Any, Any]:
        """The metric, warn, fail and thresholds arguments, for ``threshold_overrides``."""
        return kw.get("metric"), kw.get("warn"), kw.get("fail"), kw.get("thresholds")

    def _synthetic_reference(self, kw: dict[str, Any]) -> Any:
        return None

    def get_validation_dependencies(
        self,
        execution_engine: ExecutionEngine | None = None,
        runtime_configuration: dict | None = None,
    ) -> ValidationDependencies:
        gx: Any = super()
        deps = gx.get_validation_dependencies(
            execution_engine=execution_engine, runtime_configuration=runtime_configuration
        )
        kw = self._kwargs()
        # Table-level findings have no column to hang overrides on: they go in the check-wide
        # table ([checks.NAME.thresholds]), and so reach the run's column findings too, which a
        # batch expectation does not judge; a run with overrides is its own run.
        overrides = threshold_overrides(
            self.check_name, self._judged_column() or "", *self._threshold_args(kw)
        )
        return _metric_dependency(
            deps,
            self.gx_metric,
            {
                "reference": kw["reference"],
                "synthetic_reference": self._synthetic_reference(kw),
                "config": kw.get("config"),
                "overrides": overrides,
            },
        )

    def _validate(
        self,
        metrics: dict,
        runtime_configuration: dict | None = None,
        execution_engine: ExecutionEngine | None = None,
    ) -> dict[str, Any]:
        kw = self._kwargs()
        return outcome(
            metrics[self.gx_metric],
            check_name=self.check_name,
            column=self._judged_column(),
            metric=kw.get("metric"),
            fail_on=kw.get("fail_on") or "fail",
            **self.outcome_options,
        )

    def _kwargs(self) -> dict[str, Any]:
        expectation: Any = self
        return dict(expectation._get_success_kwargs())


class _ColumnCollapseExpectation(_OneCheckRun, _CollapseGuardExpectationMixin, ColumnAggregateExpectation):
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
        validate_thresholds(
            cls.check_name,
            values.get("metric"),
            values.get("warn"),
            values.get("fail"),
            values.get("thresholds"),
        )
        return values


class ExpectColumnTailsNotToShrink(_ColumnCollapseExpectation):
    """Expect a column's tails (extreme quantiles, rare categories, rare tokens) not to shrink.

    Runs collapse-guard's ``tail-shrinkage`` check against a reference profile of trusted human
    data: one-sided exact binomial tests of the mass beyond the reference's p1/p99 (and
    p0.1/p99.9), spread ratios, rare-category coverage against the rarefaction expectation at the
    batch's size, rare-token coverage for text. ``observed_value`` is the effect of the decisive
    finding (1 = unchanged, 0 = tail gone); ``details`` carries the finding as in the JSON report.

    Args:
        column (str): The column to check.
        reference (str or Profile): The reference profile file (or an in-memory Profile); a
            relative path is resolved against the Great Expectations project root.
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


class ExpectColumnDiversityNotToDrop(_ColumnCollapseExpectation):
    """Expect a column's diversity not to drop below an honest sample of the same size.

    Runs collapse-guard's ``diversity-loss`` check against a reference profile: bias-corrected
    entropy and Hill numbers for categorical columns, distinct-n, compression ratio and
    near-duplicate rate for text columns, each against a size-matched reference null. Numeric
    columns count in the coverage of reference rows, which ``ExpectBatchDiversityNotToDrop``
    judges. Arguments and result as in :class:`ExpectColumnTailsNotToShrink`.
    """

    check_name: ClassVar[str] = CHECK_DIVERSITY
    check_label: ClassVar[str] = "diversity"
    gx_metric: ClassVar[str] = METRIC_DIVERSITY
    metric_dependencies: ClassVar[tuple[str, ...]] = (METRIC_DIVERSITY,)


class ExpectBatchDiversityNotToDrop(_OneCheckRun, _CollapseGuardExpectationMixin, BatchExpectation):
    """Expect the batch's rows to cover the reference as an honest sample of their size would.

    Judges the table-level findings of collapse-guard's ``diversity-loss`` check: the coverage
    of reference rows by batch rows (Naeem et al. 2020, k = 5, over the numeric and categorical
    columns together), which falls when a generator keeps only part of the joint distribution
    even though every column on its own still looks diverse. ``observed_value`` is the effect of
    the decisive finding (1 = as an honest sample); arguments as in
    :class:`ExpectColumnTailsNotToShrink`, without ``column``.
    """

    if TYPE_CHECKING:
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

    check_name: ClassVar[str] = CHECK_DIVERSITY
    check_label: ClassVar[str] = "batch diversity"
    gx_metric: ClassVar[str] = METRIC_DIVERSITY
    metric_dependencies: ClassVar[tuple[str, ...]] = (METRIC_DIVERSITY,)
    success_keys: ClassVar[tuple[str, ...]] = _ColumnCollapseExpectation.success_keys
    args_keys: ClassVar[tuple[str, ...]] = ("reference",)
    library_metadata: ClassVar[dict[str, str | list | bool]] = _LIBRARY_METADATA

    @pydantic.validator("reference", pre=True)
    def _reference(cls, value: Any) -> Any:
        return _as_reference(value, "reference")

    @pydantic.validator("config", pre=True)
    def _config(cls, value: Any) -> Any:
        return str(value) if isinstance(value, Path) else value

    @pydantic.root_validator(skip_on_failure=True)
    def _thresholds_valid(cls, values: dict) -> dict:
        validate_thresholds(
            CHECK_DIVERSITY,
            values.get("metric"),
            values.get("warn"),
            values.get("fail"),
            values.get("thresholds"),
        )
        return values


class ExpectBatchSyntheticShareToBeBelow(_OneCheckRun, _CollapseGuardExpectationMixin, BatchExpectation):
    """Expect the estimated share of machine-generated rows in the batch to stay below a bound.

    Runs collapse-guard's ``synthetic-contamination`` check (classifier two-sample test turned
    into a mixture-proportion lower bound for tables; word-frequency mixture estimate or marker
    vocabulary for text) and judges every finding it reports: the table-level
    ``synthetic_share`` (whose ``fail``/``warn`` thresholds are ``max_share``/``warn_share``),
    copies of reference rows (``reference_copies``), the share of rows the reference cannot
    explain, and the per-column text signals, so that it fails exactly when ``collapse-guard check
    --select synthetic-contamination`` does. ``metric`` narrows it to one metric.
    ``observed_value`` is the estimated share in [0, 1]; ``details`` carries the decisive finding
    (``synthetic_share`` unless another is worse) with its interval, p-value and evidence.

    Args:
        reference (str or Profile): The reference profile of human data.
        synthetic_reference (str, Profile, DataFrame or None): Known machine-generated data (a
            profile file or data files), as ``--synthetic-reference``.
        max_share (float or None): Fail threshold on the share (the check's ``fail`` threshold).
        warn_share (float or None): Warn threshold on the share.
        metric (str or None): Judge only this metric of the check (e.g. ``reference_copies``).
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
    metric: str | None = pydantic.Field(
        default=None,
        description="Judge only this metric of the check (e.g. reference_copies); None judges every "
        "finding of the check.",
    )
    thresholds: dict[str, dict[str, float]] | None = pydantic.Field(
        default=None, description=THRESHOLDS_DESCRIPTION
    )
    fail_on: Literal["fail", "warn"] = pydantic.Field(default="fail", description=FAIL_ON_DESCRIPTION)

    check_name: ClassVar[str] = CHECK_SYNTHETIC
    check_label: ClassVar[str] = "synthetic share"
    gx_metric: ClassVar[str] = METRIC_SYNTHETIC
    outcome_options: ClassVar[dict[str, Any]] = {
        "observed": "value",
        "every_column": True,
        "headline": SYNTHETIC_SHARE_METRIC,
    }
    metric_dependencies: ClassVar[tuple[str, ...]] = (METRIC_SYNTHETIC,)
    success_keys: ClassVar[tuple[str, ...]] = (
        "reference",
        "synthetic_reference",
        "config",
        "max_share",
        "warn_share",
        "metric",
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
        metric = values.get("metric")
        validate_thresholds(CHECK_SYNTHETIC, metric, None, None, None)
        if metric not in (None, SYNTHETIC_SHARE_METRIC):
            given = [k for k in ("max_share", "warn_share") if values.get(k) is not None]
            if given:
                raise ValueError(
                    f"{' and '.join(given)} {'are thresholds' if len(given) > 1 else 'is a threshold'} "
                    f"on synthetic_share, which metric={metric!r} leaves out; set "
                    f'thresholds={{"{metric}": {{"warn": ..., "fail": ...}}}} instead'
                )
        validate_thresholds(
            CHECK_SYNTHETIC,
            SYNTHETIC_SHARE_METRIC,
            values.get("warn_share"),
            values.get("max_share"),
            values.get("thresholds"),
            names=("warn_share", "max_share"),
        )
        return values

    def _threshold_args(self, kw: dict[str, Any]) -> tuple[Any, Any, Any, Any]:
        # max_share and warn_share are the share's fail and warn levels.
        return SYNTHETIC_SHARE_METRIC, kw.get("warn_share"), kw.get("max_share"), kw.get("thresholds")

    def _synthetic_reference(self, kw: dict[str, Any]) -> Any:
        return kw.get("synthetic_reference")
