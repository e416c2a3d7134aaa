"""GitHub Actions reporter: workflow-command annotations plus a Markdown job summary.

Each finding that needs attention becomes an ``::error`` / ``::warning`` / ``::notice`` line
located at its data file, which GitHub shows on the run and on the pull request's changed files.
When ``$GITHUB_STEP_SUMMARY`` is set (always, inside Actions) the Markdown summary is appended to
that file, so it appears on the run's summary page. Escaping follows the workflow-command rules
of ``@actions/core`` (``%``, CR and LF in the message; also ``:`` and ``,`` in properties).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping

from ..hookspecs import hookimpl
from ..results import Report, Status
from ..scan import FileResult, ScanReport, file_results
from .markdown import render_markdown

# Other control characters from quoted data would garble the log line; they are replaced.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_COMMAND = {
    "fail": "error",
    "error": "error",
    "warn": "warning",
    "insufficient-data": "notice",
}


class GitHubReporter:
    """Render workflow-command annotations; write the job summary when running in Actions."""

    name = "github"
    description = "GitHub Actions annotations (::error file=...) and a job summary"
    supports_scan = True  # render() also accepts a ScanReport

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ

    def render(self, report: Report | ScanReport) -> str:
        lines = [line for fr in file_results(report) for line in _annotations(fr)]
        lines.append(f"collapse-guard: {report.status} — {_summary(report)}")
        env = os.environ if self._environ is None else self._environ
        summary_path = env.get("GITHUB_STEP_SUMMARY")
        if summary_path:
            # Appending is the documented contract: other steps' summaries share the file.
            with open(summary_path, "a", encoding="utf-8") as fh:
                fh.write(render_markdown(report) + "\n")
        return "\n".join(lines) + "\n"


def _annotations(fr: FileResult) -> Iterator[str]:
    if fr.kind in ("unreadable", "image") or (fr.status == "error" and not fr.findings):
        command = _COMMAND.get(fr.status)
        if command:
            title = "collapse-guard: cannot read" if fr.kind == "unreadable" else "image-provenance"
            yield _command(command, fr.reason, file=fr.locations[0], title=title)
        return
    for f in fr.findings:
        if f.status is Status.PASS:
            continue
        where = f" ({f.column})" if f.column else ""
        yield _command(
            _COMMAND[f.status.value],
            f.display_message() or f.metric,
            file=fr.locations[0],
            line="1",
            title=f"{f.check}{where}: {f.metric}",
        )


def _summary(report: Report | ScanReport) -> str:
    if isinstance(report, ScanReport):
        return report.summary_sentence()
    counts = {s.value: sum(1 for f in report.findings if f.status is s) for s in Status}
    return ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no findings"


def _command(name: str, message: str, **props: str) -> str:
    rendered = ",".join(f"{k}={_escape_property(v)}" for k, v in props.items() if v)
    return f"::{name} {rendered}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return _CONTROL.sub("\ufffd", text)


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


@hookimpl
def register_reporters(register: Callable[[object], None]) -> None:
    register(GitHubReporter())
