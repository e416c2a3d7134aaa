"""Run the selected checks, isolate crashes, hand measurements to the policy, build the Report."""

from __future__ import annotations

import difflib
import os
import sys
import traceback
import warnings
from collections.abc import Mapping

from . import __version__
from .config import Config
from .context import CheckContext
from .errors import CollapseGuardWarning
from .policy import decide, report_status
from .profile import Profile
from .protocols import Check
from .results import Finding, Measurement, Report, Status

# Default concurrency cap: beyond a few checks at once, memory grows faster than the speed-up.
MAX_DEFAULT_THREADS = 4


def _error(check: Check, message: str, trace: str | None = None) -> Finding:
    m = Measurement(column=None, metric="check_error", message=message)
    return Finding(check.name, m, Status.ERROR, traceback=trace)


def _undeclared(check: Check, results: list[Measurement]) -> Finding | None:
    """The ``error`` finding for a check that emitted a metric it does not declare, or None."""
    undeclared = sorted({m.metric for m in results if m.metric not in check.metrics})
    if not undeclared:
        return None
    names = ", ".join(repr(name) for name in undeclared)
    declared = ", ".join(sorted(check.metrics)) or "none"
    plural = "s" if len(undeclared) > 1 else ""
    return _error(
        check,
        f"check {check.name!r} broke the check contract: metric{plural} {names} "
        f"{'are' if plural else 'is'} not declared in the check's metrics (declared: {declared}); "
        "its results are missing. The check's author should declare every metric it emits in "
        f"`metrics` (with its MetricSpec) or fix the name; until then skip it with --ignore {check.name}",
    )


def _run_one(check: Check, ctx: CheckContext, show_tracebacks: bool) -> list[Measurement] | Finding:
    """One check's measurements, or its ``error`` finding if it crashed or broke the contract."""
    try:
        results = list(check.run(ctx))
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        hint = (
            "Its traceback is on stderr; report it to the check's author"
            if show_tracebacks
            else "Rerun with --traceback and report it to the check's author"
        )
        return _error(
            check,
            f"check {check.name!r} crashed ({type(exc).__name__}: {exc} at "
            f"{where.filename.rsplit('/', 1)[-1]}:{where.lineno}); its results are missing. "
            f"{hint}, or skip it with --ignore {check.name}",
            "".join(traceback.format_exception(exc)),
        )
    return _undeclared(check, results) or results


def _workers(config: Config, n_checks: int) -> int:
    wanted = config.threads or min(os.cpu_count() or 1, MAX_DEFAULT_THREADS)
    return max(1, min(wanted, n_checks))


def _run_all(
    checks: list[Check], contexts: list[CheckContext], workers: int, show_tracebacks: bool
) -> list[list[Measurement] | Finding]:
    """Run the checks, side by side when ``workers > 1``; outcomes come back in input order.

    Checks spend their time in numpy, pandas and BLAS, which release the GIL, so threads overlap
    well. Each check seeds its own generators from the config, so results do not depend on the
    schedule. BLAS is held to one thread per check while they overlap; the process's own setting
    is restored afterwards (threadpoolctl contexts entered from several threads would otherwise
    restore each other's values).
    """
    if workers == 1:
        return [_run_one(c, ctx, show_tracebacks) for c, ctx in zip(checks, contexts, strict=True)]
    from concurrent.futures import ThreadPoolExecutor

    from .blas import blas_threads

    with blas_threads(1), ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [
            pool.submit(_run_one, c, ctx, show_tracebacks) for c, ctx in zip(checks, contexts, strict=True)
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
    show_tracebacks: bool = False,
) -> Report:
    """Run every enabled check and decide statuses.

    A check that raises, or emits a metric it does not declare, becomes one ``error`` finding
    (the crash's traceback is kept in ``Finding.traceback``); the other checks still run and the
    report is complete.

    ``show_tracebacks`` is the ``--traceback`` mode: the run still completes, and the full
    traceback of every crashed check is also written to stderr, in check order, once all checks
    have run. It never aborts the run.

    Configured columns (``[columns.NAME]``, ``--column``) that the reference lacks are ignored, as
    a shared config may name columns of other datasets, but named in a ``CollapseGuardWarning``
    (one ``collapse-guard: warning:`` line per run on the command line), since a misspelled name
    is the usual cause.
    """
    if reference is not None:
        warn_unknown_columns(config, reference)
    enabled = [checks[name] for name in sorted(checks) if config.check_enabled(checks[name])]
    contexts = [CheckContext(reference, batch, config, check, synthetic) for check in enabled]
    outcomes = _run_all(enabled, contexts, _workers(config, len(enabled)), show_tracebacks)
    measured: list[tuple[str, Measurement]] = []
    errors: list[Finding] = []
    for check, outcome in zip(enabled, outcomes, strict=True):
        if isinstance(outcome, Finding):
            errors.append(outcome)
            if show_tracebacks and outcome.traceback:
                sys.stderr.write(f"collapse-guard: check {check.name!r} crashed:\n{outcome.traceback}")
        else:
            measured.extend((check.name, m) for m in outcome)
    findings = decide(measured, checks, config, errors)
    findings.sort(key=lambda f: (f.check, f.column or "", f.metric))
    ref_info: dict[str, str | int | None] = {"path": None, "sha256": None, "rows": None}
    if reference is not None:
        ref_info = {"path": reference.path, "sha256": reference.content_hash(), "rows": reference.rows}
    notes = tuple(f"column {c!r} skipped: {why}" for c, why in sorted(batch.skipped.items()))
    return Report(
        findings=tuple(findings),
        status=report_status(findings, with_reference=reference is not None),
        reference=ref_info,
        batch={"paths": list(batch_paths if batch_paths is not None else batch.source), "rows": batch.rows},
        seed=config.seed,
        tool_version=__version__,
        notes=notes,
        fail_on=config.fail_on,
    )


def warn_unknown_columns(config: Config, reference: Profile) -> None:
    """Warn (``CollapseGuardWarning``) about configured columns the reference does not have.

    Not an error: a config shared between datasets may name columns a given one lacks. Columns
    the reference skipped (identifiers, empty columns) are known to it, so they are not named.
    """
    known = [*reference.columns, *reference.skipped]
    unknown = config.unknown_columns(known)
    if not unknown:
        return
    plural = len(unknown) > 1
    names = ", ".join(repr(c) for c in unknown)
    guesses = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        if close:
            guesses.append(f"{close[0]!r}" + (f" for {name!r}" if plural else ""))
    guess = f" (did you mean {', '.join(guesses)}?)" if guesses else ""
    source = "" if config.source == "defaults" else f" in {config.source}"
    ref = f" {reference.path}" if reference.path else ""
    warnings.warn(
        f"[columns] names column{'s' if plural else ''} {names}{source}, which "
        f"{'are' if plural else 'is'} not in the reference{ref}{guess}; "
        f"{'their' if plural else 'its'} settings are not used: fix the name, or ignore this if "
        "the config is shared with other data",
        CollapseGuardWarning,
        stacklevel=3,
    )
