"""Run the selected checks, isolate crashes, hand measurements to the policy, build the Report."""

from __future__ import annotations

import os
import traceback
from collections.abc import Mapping

from . import __version__
from .config import Config
from .context import CheckContext
from .policy import decide, report_status
from .profile import Profile
from .protocols import Check
from .results import Finding, Measurement, Report, Status

# Default concurrency cap: beyond a few checks at once, memory grows faster than the speed-up.
MAX_DEFAULT_THREADS = 4


def _error(check: Check, message: str) -> Finding:
    m = Measurement(column=None, metric="check_error", message=message)
    return Finding(check.name, m, Status.ERROR)


def _run_one(check: Check, ctx: CheckContext, raise_errors: bool) -> list[Measurement] | Finding:
    """One check's measurements, or its ``error`` finding if it crashed."""
    try:
        results = list(check.run(ctx))
        for m in results:
            if m.metric not in check.metrics:
                raise ValueError(f"emitted undeclared metric {m.metric!r}")
        return results
    except Exception as exc:
        if raise_errors:
            raise
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return _error(
            check,
            f"check {check.name!r} crashed ({type(exc).__name__}: {exc} at "
            f"{where.filename.rsplit('/', 1)[-1]}:{where.lineno}); its results are missing. "
            "Rerun with --traceback and report it to the check's author, or skip it with "
            f"--ignore {check.name}",
        )


def _workers(config: Config, n_checks: int) -> int:
    wanted = config.threads or min(os.cpu_count() or 1, MAX_DEFAULT_THREADS)
    return max(1, min(wanted, n_checks))


def _run_all(
    checks: list[Check], contexts: list[CheckContext], workers: int, raise_errors: bool
) -> list[list[Measurement] | Finding]:
    """Run the checks, side by side when ``workers > 1``; outcomes come back in input order.

    Checks spend their time in numpy, pandas and BLAS, which release the GIL, so threads overlap
    well. Each check seeds its own generators from the config, so results do not depend on the
    schedule. BLAS is held to one thread per check while they overlap; the process's own setting
    is restored afterwards (threadpoolctl contexts entered from several threads would otherwise
    restore each other's values).
    """
    if workers == 1:
        return [_run_one(c, ctx, raise_errors) for c, ctx in zip(checks, contexts, strict=True)]
    from concurrent.futures import ThreadPoolExecutor

    from .blas import blas_threads

    with blas_threads(1), ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [
            pool.submit(_run_one, c, ctx, raise_errors) for c, ctx in zip(checks, contexts, strict=True)
        ]
        return [f.result() for f in futures]


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
    enabled = [checks[name] for name in sorted(checks) if config.check_enabled(checks[name])]
    contexts = [CheckContext(reference, batch, config, check, synthetic) for check in enabled]
    outcomes = _run_all(enabled, contexts, _workers(config, len(enabled)), raise_errors)
    measured: list[tuple[str, Measurement]] = []
    errors: list[Finding] = []
    for check, outcome in zip(enabled, outcomes, strict=True):
        if isinstance(outcome, Finding):
            errors.append(outcome)
        else:
            measured.extend((check.name, m) for m in outcome)
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
        fail_on=config.fail_on,
    )
