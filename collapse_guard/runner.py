"""Run the selected checks, isolate crashes, hand measurements to the policy, build the Report."""

from __future__ import annotations

import traceback
from collections.abc import Mapping

from . import __version__
from .config import Config
from .context import CheckContext
from .policy import decide, report_status
from .profile import Profile
from .protocols import Check
from .results import Finding, Measurement, Report, Status


def _error(check: Check, message: str) -> Finding:
    m = Measurement(column=None, metric="check_error", message=message)
    return Finding(check.name, m, Status.ERROR)


def run_checks(
    reference: Profile | None,
    batch: Profile,
    checks: Mapping[str, Check],
    config: Config,
    *,
    synthetic: Profile | None = None,
    batch_paths: list[str] | None = None,
    raise_errors: bool = False,
) -> Report:
    """Run every enabled check and decide statuses.

    A check that raises becomes one ``error`` finding (unless ``raise_errors``, for --traceback);
    the other checks still run.
    """
    measured: list[tuple[str, Measurement]] = []
    errors: list[Finding] = []
    for name in sorted(checks):
        check = checks[name]
        if not config.check_enabled(check):
            continue
        ctx = CheckContext(reference, batch, config, check, synthetic)
        try:
            results = list(check.run(ctx))
            for m in results:
                if m.metric not in check.metrics:
                    raise ValueError(f"emitted undeclared metric {m.metric!r}")
        except Exception as exc:
            if raise_errors:
                raise
            where = traceback.extract_tb(exc.__traceback__)[-1]
            errors.append(
                _error(
                    check,
                    f"check {name!r} crashed ({type(exc).__name__}: {exc} at "
                    f"{where.filename.rsplit('/', 1)[-1]}:{where.lineno}); its results are missing. "
                    "Rerun with --traceback and report it to the check's author, or skip it with "
                    f"--ignore {name}",
                )
            )
            continue
        measured.extend((name, m) for m in results)
    findings = decide(measured, checks, config, errors)
    findings.sort(key=lambda f: (f.check, f.column or "", f.metric))
    ref_info: dict[str, str | int | None] = {"path": None, "sha256": None, "rows": None}
    if reference is not None:
        ref_info = {"path": reference.path, "sha256": reference.sha256, "rows": reference.rows}
    notes = tuple(f"column {c!r} skipped: {why}" for c, why in sorted(batch.skipped.items()))
    return Report(
        findings=tuple(findings),
        status=report_status(findings),
        reference=ref_info,
        batch={"paths": list(batch_paths if batch_paths is not None else batch.source), "rows": batch.rows},
        seed=config.seed,
        tool_version=__version__,
        notes=notes,
    )
