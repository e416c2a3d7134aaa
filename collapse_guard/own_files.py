"""Recognise collapse-guard's own output (reference profiles, reports) kept beside data."""

from __future__ import annotations

import re
from pathlib import Path

# Suffixes under which a report can land where a reader would take it for data: a JSON report
# (any suffix, with --format json -o report.txt) and the text, Markdown and GitHub reports
# (.txt/.md, which the text reader reads as documents). HTML, JUnit XML and SARIF files are
# not data suffixes, and reports are never compressed.
_REPORT_SUFFIXES = (".json", ".txt", ".md")

# The first line of each plain-text report format (check and scan), as the reporters write it.
_FIRST_LINES = re.compile(
    rb"collapse-guard: (?:PASS|WARN|FAIL)  batch "  # text report of check
    rb"|collapse-guard scan of "  # text report of scan
    rb"|## collapse-guard(?::| scan of )"  # Markdown report of check / scan
    rb"|collapse-guard: (?:pass|warn|fail) \xe2\x80\x94 "  # GitHub report without annotations
)
# A GitHub report opens with workflow commands and always ends with its summary line.
# A multi-file check's annotations name no file, so they start with their title.
_GITHUB_FIRST = re.compile(rb"::(?:error|warning|notice) (?:file|title)=")
_GITHUB_LAST = re.compile(rb"collapse-guard: (?:pass|warn|fail) \xe2\x80\x94 [^\n]*\n?\Z")


def own_output_kind(path: Path) -> str | None:
    """The kind of collapse-guard output a file is ("reference profile", "collapse-guard report"), or None.

    Folders of data often keep the reference and the last report next to the batches; read as
    data they only ever fail (a profile is not records, a report is one record of findings, a
    text or Markdown report a stray document).
    """
    name = path.name.lower()
    if name.endswith((".json", ".json.gz")):
        from .profile.io import is_profile_file  # profile.io imports the profile model

        if is_profile_file(path):
            return "reference profile"
    if name.endswith(_REPORT_SUFFIXES) and _is_report(path):
        return "collapse-guard report"
    return None


def _is_report(path: Path) -> bool:
    """True when the file starts like one of the reports of `check` or `scan` (JSON, SARIF, text,
    Markdown or GitHub), judged from its first and last few hundred bytes."""
    try:
        with path.open("rb") as fh:
            head = fh.read(400)
            if not _GITHUB_FIRST.match(head):
                return _is_json_report(head) or _FIRST_LINES.match(head) is not None
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - 400))
            tail = fh.read()
    except OSError:
        return False
    last = tail.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    return _GITHUB_LAST.match(last) is not None


def _is_json_report(head: bytes) -> bool:
    """True when ``head`` starts like a JSON or SARIF report: the report's opening key, then the
    tool's name, within the first few hundred bytes."""
    compact = b"".join(head.split())
    opening = compact.startswith(b'{"schema_version":') or (
        compact.startswith(b'{"$schema":') and b"sarif" in compact[:80]
    )
    return opening and b'"name":"collapse-guard"' in compact
