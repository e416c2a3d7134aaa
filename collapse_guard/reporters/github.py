"""GitHub Actions reporter: workflow-command annotations plus a Markdown job summary.

Each finding that needs attention becomes an ``::error`` / ``::warning`` / ``::notice`` line
located at its data file, which GitHub shows on the run and on the pull request's changed files.
When ``$GITHUB_STEP_SUMMARY`` is set (always, inside Actions) the Markdown summary is appended to
that file, so it appears on the run's summary page. Escaping follows the workflow-command rules
of ``@actions/core`` (``%``, CR and LF in the message; also ``:`` and ``,`` in properties).

GitHub shows only the first 10 errors, 10 warnings and 10 notices of a step, so the annotations
are chosen and ordered by importance (see :mod:`._annotations`) and a last notice says how many
were left out; the job summary is kept under GitHub's 1 MiB limit.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Mapping

from ..hookspecs import hookimpl
from ..results import Report, Status
from ..scan import ScanReport, file_results
from . import one_line
from ._annotations import PER_STEP, Annotation, select
from .markdown import render_markdown
from .text import untested_line

# Other control characters from quoted data would garble the log line; they are replaced.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# GitHub drops a whole step summary over 1 MiB; what other commands of the same step appended
# counts too, and the margin leaves room for a closing line after ours.
SUMMARY_LIMIT = 900 * 1024
#: GitHub's own limit for a step's summary file: above it the whole file is dropped.
GITHUB_SUMMARY_MAX = 1024 * 1024


class GitHubReporter:
    """Render workflow-command annotations; write the job summary when running in Actions."""

    name = "github"
    description = "GitHub Actions annotations (::error file=...) and a job summary"
    supports_scan = True  # render() also accepts a ScanReport

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ

    def render(self, report: Report | ScanReport) -> str:
        chosen, left_out = select(file_results(report))
        lines = [_command(a) for a in chosen]
        if left_out:
            lines.append(_command(_pointer(left_out)))
        # Last: own_files.py recognises a saved GitHub report by this closing line.
        lines.append(f"collapse-guard: {report.status} — {_summary(report)}")
        env = os.environ if self._environ is None else self._environ
        summary_path = env.get("GITHUB_STEP_SUMMARY")
        if summary_path:
            _write_summary(summary_path, report)
        return "\n".join(lines) + "\n"


def _write_summary(path: str, report: Report | ScanReport) -> None:
    """Append the Markdown summary to ``path``. A summary that cannot be written is a warning,
    not a failure: the annotations and the exit code still say what the data did."""
    try:
        used = os.path.getsize(path) if os.path.exists(path) else 0
        text = render_markdown(report, limit=max(SUMMARY_LIMIT - used - 1, 0)) + "\n"
        if used + len(text.encode("utf-8")) > GITHUB_SUMMARY_MAX:
            # Even the heading would push the step's summary past GitHub's limit, which drops
            # the whole file (other steps' parts too).
            raise OSError(0, f"the file already holds {used:,} bytes, near GitHub's limit")
        # Appending is the documented contract: other steps' summaries share the file.
        with open(path, "a", encoding="utf-8", errors="replace") as fh:
            fh.write(text)
    except OSError as exc:
        from ..errors import CollapseGuardWarning

        why = exc.strerror or str(exc)
        warnings.warn(
            f"cannot write the job summary to {one_line(path)} ({why}); the annotations are printed anyway",
            CollapseGuardWarning,
            stacklevel=3,
        )


def _pointer(left_out: Mapping[str, int]) -> Annotation:
    parts = [f"{n} {level}" for level, n in left_out.items()]
    counts = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    total = sum(left_out.values())
    return Annotation(
        "notice",
        f"{counts} annotation{'' if total == 1 else 's'} left out: GitHub shows {PER_STEP} of each "
        "kind per step. The job summary (or `--format json`) lists every finding.",
        {"title": "collapse-guard: more findings"},
    )


def _summary(report: Report | ScanReport) -> str:
    if isinstance(report, ScanReport):
        return report.summary_sentence()
    counts = {s.value: sum(1 for f in report.findings if f.status is s) for s in Status}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no findings"
    untested = untested_line(report)
    return f"{summary}; {untested.strip()}" if untested else summary


def _command(a: Annotation) -> str:
    rendered = ",".join(f"{k}={_escape_property(v)}" for k, v in a.props.items() if v)
    head = f"{a.command} {rendered}" if rendered else a.command
    return f"::{head}::{_escape_data(a.message)}"


def _escape_data(text: str) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return _CONTROL.sub("\ufffd", text)


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


@hookimpl
def register_reporters(register: Callable[[object], None]) -> None:
    register(GitHubReporter())
