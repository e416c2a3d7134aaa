"""Markdown reporter: a summary for any CI that shows Markdown (job summaries, PR comments).

Findings that need attention come first as a table; passing findings are folded into a
``<details>`` block so a clean run stays short. A scan adds a table of files and the image
marker counts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..hookspecs import hookimpl
from ..images import MARKERS
from ..results import Finding, Report, Status
from ..scan import FileResult, ScanReport
from . import one_line

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ICON = {
    "pass": "✅ pass",
    "warn": "⚠️ warn",
    "fail": "❌ fail",
    "error": "💥 error",
    "insufficient-data": "➖ insufficient-data",
}
_ORDER = {"error": 0, "fail": 1, "warn": 2, "insufficient-data": 3, "pass": 4}
NO_MARKER_NOTE = (
    "An image without markers is not proven human: generators can omit them and re-encoding, "
    "screenshots and uploads strip them."
)


def render_markdown(report: Report | ScanReport) -> str:
    """The Markdown summary of a report or a scan."""
    if isinstance(report, ScanReport):
        return _scan(report)
    return _report(report)


class MarkdownReporter:
    """Render a report or a scan as a Markdown summary."""

    name = "markdown"
    description = "Markdown summary for CI job summaries and pull-request comments"
    supports_scan = True  # render() also accepts a ScanReport

    def render(self, report: Report | ScanReport) -> str:
        return render_markdown(report)


def _report(report: Report) -> str:
    fr = FileResult.from_report(report)
    lines = [f"## collapse-guard: {ICON[report.status]}", "", _header(report, fr), ""]
    lines += _findings_block(fr.findings)
    lines += _notes(report.notes)
    return "\n".join(lines).rstrip() + "\n"


def _scan(scan: ScanReport) -> str:
    lines = [f"## collapse-guard scan of `{scan.root}`: {ICON[scan.status]}", ""]
    ref = (
        f"reference `{scan.reference.get('path', '?')}`"
        if scan.reference is not None
        else "no reference (reference-free checks only)"
    )
    lines += [f"{scan.summary_sentence()} · {ref} · collapse-guard {scan.tool_version}", ""]
    if scan.files:
        lines += ["| file | status | rows | reason |", "|---|---|---:|---|"]
        ordered = sorted(scan.files, key=lambda f: (_ORDER.get(f.status, 9), f.path))
        for f in ordered:
            rows = "" if f.rows is None else f"{f.rows:,}"
            lines.append(f"| `{_cell(one_line(f.path))}` | {ICON[f.status]} | {rows} | {_cell(f.reason)} |")
        lines.append("")
    for f in sorted(scan.files, key=lambda f: f.path):
        bad = [x for x in f.findings if x.status is not Status.PASS]
        if bad:
            lines += [f"### `{_cell(one_line(f.path))}`: {ICON[f.status]}", ""]
            lines += _table(bad)
            lines.append("")
    if scan.images is not None and (scan.images.images or scan.images.unreadable):
        lines += _images(scan)
    if scan.skipped:
        skipped = ", ".join(f"{n} {why}" for why, n in sorted(scan.skipped.items()))
        lines += [f"Skipped: {skipped}.", ""]
    lines += _notes(scan.notes)
    return "\n".join(lines).rstrip() + "\n"


def _header(report: Report, fr: FileResult) -> str:
    parts = [f"`{_cell(one_line(fr.path))}`"]
    if fr.rows is not None:
        parts.append(f"{fr.rows:,} rows")
    ref: Mapping[str, Any] = report.reference or {}
    if ref.get("path"):
        sha = str(ref.get("sha256") or "")[:12]
        parts.append(f"reference `{ref['path']}`" + (f" (sha256 {sha}…)" if sha else ""))
    parts.append(f"collapse-guard {report.tool_version}, seed {report.seed}")
    counts = {s.value: sum(1 for f in report.findings if f.status is s) for s in Status}
    parts.append(", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no findings")
    return " · ".join(parts)


def _findings_block(findings: Iterable[Finding]) -> list[str]:
    findings = list(findings)
    bad = [f for f in findings if f.status is not Status.PASS]
    good = [f for f in findings if f.status is Status.PASS]
    lines: list[str] = []
    if bad:
        lines += [*_table(bad), ""]
    elif findings:
        lines += ["Nothing needs attention.", ""]
    if good:
        lines += [f"<details><summary>{len(good)} findings passed</summary>", ""]
        lines += [*_table(good), "", "</details>", ""]
    return lines


def _table(findings: list[Finding]) -> list[str]:
    rows = [
        "| status | check | column | metric | value | expected | message |",
        "|---|---|---|---|---:|---:|---|",
    ]
    for f in sorted(findings, key=lambda f: (_ORDER[f.status.value], f.check, f.column or "")):
        m = f.measurement
        rows.append(
            f"| {ICON[f.status.value]} | {f.check} | {_cell(f.column or '(table)')} | "
            f"{f.metric} | {_num(m.value)} | {_num(m.expected)} | {_cell(f.display_message())} |"
        )
    return rows


def _images(scan: ScanReport) -> list[str]:
    s = scan.images
    assert s is not None
    lines = ["### Images", ""]
    if s.images and s.share is not None and s.interval is not None:
        lo, hi = s.interval
        lines += [
            f"{s.with_generator_marker} of {s.images} readable images ({s.share:.1%}, 95% "
            f"interval {lo:.1%}–{hi:.1%}) carry at least one generator marker"
            + (f"; {s.unreadable} could not be read." if s.unreadable else "."),
            "",
        ]
    if s.counts:
        lines += ["| marker | images | meaning |", "|---|---:|---|"]
        for marker, n in s.counts.items():
            lines.append(f"| `{marker}` | {n} | {_cell(MARKERS.get(marker, ''))} |")
        lines.append("")
    lines += [NO_MARKER_NOTE, ""]
    return lines


def _notes(notes: Iterable[str]) -> list[str]:
    notes = list(notes)
    return ["**Notes**", "", *[f"- {_cell(n)}" for n in notes], ""] if notes else []


def _num(x: float | None) -> str:
    if x is None:
        return ""
    if x == 0 or 1e-3 <= abs(x) < 1e6:
        return f"{x:.4g}"
    return f"{x:.3g}"


def _cell(text: str) -> str:
    text = _CONTROL.sub("\ufffd", " ".join(str(text).split()))
    return text.replace("|", "\\|")


@hookimpl
def register_reporters(register: Callable[[object], None]) -> None:
    register(MarkdownReporter())
