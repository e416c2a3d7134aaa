"""Expectation thresholds: checked when an expectation is built, and mapped onto collapse-guard's
own config where the same setting would sit in ``collapse-guard.toml``."""

from __future__ import annotations

from typing import Any


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


def validate_thresholds(
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
