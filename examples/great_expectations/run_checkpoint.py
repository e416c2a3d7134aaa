"""Validate data batches with the collapse-guard expectations in a Great Expectations checkpoint.

This is the shape of an Airflow or Dagster task that guards ingestion: build (or reuse) a file data
context, a pandas data source, a suite with the collapse-guard expectations and a checkpoint,
run the checkpoint on each batch, print what it found, and exit non-zero when a batch failed.

Run from the repository root (needs ``pip install 'collapse-guard[gx]'``)::

    python examples/great_expectations/run_checkpoint.py examples/data/clean_batch.csv      # exit 0
    python examples/great_expectations/run_checkpoint.py examples/data/collapsed_batch.csv  # exit 1

Exit codes follow the collapse-guard CLI: 0 every batch passed, 1 a batch failed, 2 the run
could not happen (missing file, bad reference, an expectation that raised, Great Expectations not
installed).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"

SUITE = "collapse-guard"


def build_reference(human: Path, reference: Path) -> None:
    """Profile the trusted human data once; later runs reuse the committed reference file."""
    import collapse_guard as cg

    reference.parent.mkdir(parents=True, exist_ok=True)
    cg.profile_files([human]).save(reference)
    print(f"built reference {reference} from {human}", file=sys.stderr)


def build_checkpoint(project_dir: Path, reference: Path, columns: dict[str, list[str]]) -> Any:
    """Create (or replace) the data source, suite, validation definition and checkpoint."""
    import great_expectations as gx

    import collapse_guard.gx as cgx  # importing registers the expectations

    context = gx.get_context(mode="file", project_root_dir=str(project_dir))
    # Re-creating everything keeps the example idempotent; a real pipeline creates them once.
    if "collapse-guard-checkpoint" in [c.name for c in context.checkpoints.all()]:
        context.checkpoints.delete("collapse-guard-checkpoint")
    if "batch" in [v.name for v in context.validation_definitions.all()]:
        context.validation_definitions.delete("batch")
    if SUITE in [s.name for s in context.suites.all()]:
        context.suites.delete(SUITE)
    if "ingest" in context.data_sources.all():
        context.data_sources.delete("ingest")

    source = context.data_sources.add_pandas("ingest")
    asset = source.add_dataframe_asset("incoming")
    batch_definition = asset.add_batch_definition_whole_dataframe("whole batch")

    suite = context.suites.add(gx.ExpectationSuite(name=SUITE))
    # A relative path is resolved against the project root when the checkpoint runs, whatever the
    # runner's working directory: store the reference that way when it lives in the project, so
    # the project can move (or be checked out elsewhere) with its reference.
    try:
        ref = str(reference.resolve().relative_to(project_dir.resolve()))
    except ValueError:
        ref = str(reference.resolve())
    for column in columns["tails"]:
        suite.add_expectation(cgx.ExpectColumnTailsNotToShrink(column=column, reference=ref))
    for column in columns["diversity"]:
        suite.add_expectation(cgx.ExpectColumnDiversityNotToDrop(column=column, reference=ref))
    # Rows can lose joint variety (only some combinations of values left) while every column on
    # its own still looks diverse: the batch-level coverage of reference rows catches that.
    suite.add_expectation(cgx.ExpectBatchDiversityNotToDrop(reference=ref))
    # The synthetic-share bound is a suite parameter so that the task can tighten it per run.
    suite.add_expectation(
        cgx.ExpectBatchSyntheticShareToBeBelow(reference=ref, max_share={"$PARAMETER": "max_synthetic_share"})
    )

    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name="batch", data=batch_definition, suite=suite)
    )
    return context.checkpoints.add(
        gx.Checkpoint(
            name="collapse-guard-checkpoint",
            validation_definitions=[validation],
            actions=[gx.checkpoint.UpdateDataDocsAction(name="update data docs")],
            result_format={"result_format": "COMPLETE"},
        )
    )


def print_result(batch: Path, result: Any) -> str:
    """Print one line per expectation; return "pass", "fail", or "error" when an expectation
    could not be evaluated (its exception is printed)."""
    print(f"{batch}: {'PASS' if result.success else 'FAIL'}")
    outcome = "pass" if result.success else "fail"
    for run in result.run_results.values():
        for r in run.results:
            kwargs = r.expectation_config.kwargs
            target = kwargs.get("column") or "<batch>"
            details = r.result.get("details", {})
            error = _exception_message(r.exception_info)
            if error is not None:
                message, status = error, "error"
            else:
                message = details.get("message", "")
                status = details.get("status", "?")
            if status == "error":
                outcome = "error"
            mark = "ok  " if r.success else "FAIL"
            print(f"  {mark} {r.expectation_config.type}[{target}] {status}: {message}")
    return outcome


def _exception_message(info: Any) -> str | None:
    """The error message of a result, if its expectation or metric raised.

    Great Expectations reports expectation errors flat and metric errors keyed by metric id.
    """
    if not info:
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "batches",
        nargs="*",
        type=Path,
        default=[DATA / "clean_batch.csv"],
        help="CSV batches to validate (default: examples/data/clean_batch.csv)",
    )
    parser.add_argument(
        "--human",
        type=Path,
        default=DATA / "human.csv",
        help="trusted human data, profiled when the reference file is missing",
    )
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=HERE / "gx_project",
        help="where the Great Expectations file context lives",
    )
    parser.add_argument(
        "--reference",
        type=Path,
        default=None,
        help="reference profile (default PROJECT_DIR/reference.json.gz, built from --human when missing)",
    )
    parser.add_argument(
        "--tails",
        default="income,session_minutes,country",
        help="comma-separated columns for ExpectColumnTailsNotToShrink",
    )
    parser.add_argument(
        "--diversity",
        default="country,review",
        help="comma-separated columns for ExpectColumnDiversityNotToDrop",
    )
    parser.add_argument(
        "--max-synthetic-share",
        type=float,
        default=0.15,
        help="suite parameter: fail when the estimated synthetic share reaches this",
    )
    args = parser.parse_args(argv)
    if args.reference is None:
        args.reference = args.project_dir / "reference.json.gz"

    try:
        import pandas as pd

        import collapse_guard.gx  # fail early with the install hint
        from collapse_guard import Profile
        from collapse_guard.errors import CollapseGuardError
    except ImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    missing = [p for p in [*args.batches] if not p.is_file()]
    if missing:
        print(f"error: batch file {missing[0]} not found; pass an existing CSV", file=sys.stderr)
        return 2
    try:
        if not args.reference.is_file():
            if not args.human.is_file():
                print(
                    f"error: no reference {args.reference} and no human data {args.human} to build it from",
                    file=sys.stderr,
                )
                return 2
            build_reference(args.human, args.reference)
        # Read once here so that a bad reference is a clear exit 2 before Great Expectations
        # runs; inside an expectation the error would only be a failed result.
        Profile.load(args.reference)
        columns = {
            "tails": [c for c in args.tails.split(",") if c],
            "diversity": [c for c in args.diversity.split(",") if c],
        }
        checkpoint = build_checkpoint(args.project_dir, args.reference, columns)
        # Tails and diversity per column, plus the batch diversity and synthetic-share ones.
        expected = len(columns["tails"]) + len(columns["diversity"]) + 2
        outcomes = set()
        for batch in args.batches:
            result = checkpoint.run(
                batch_parameters={"dataframe": pd.read_csv(batch)},
                expectation_parameters={"max_synthetic_share": args.max_synthetic_share},
            )
            # A suite loaded without `import collapse_guard.gx` silently loses these expectations
            # and passes; a real task that loads a stored checkpoint needs this guard most.
            collapse_guard.gx.require_evaluated(result, expected)
            outcomes.add(print_result(batch, result))
    except CollapseGuardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    docs = args.project_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    print(f"Data Docs: {docs}", file=sys.stderr)
    if "error" in outcomes:
        print("error: an expectation could not be evaluated (see its line above)", file=sys.stderr)
        return 2
    return 1 if "fail" in outcomes else 0


if __name__ == "__main__":
    sys.exit(main())
