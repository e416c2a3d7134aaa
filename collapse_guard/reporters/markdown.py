"""Markdown reporter: a summary for any CI that shows Markdown (job summaries, PR comments).

Findings that need attention come first as a table; passing findings are folded into a
``<details>`` block so a clean run stays short. A scan adds a table of files and the image
marker counts.

``limit`` caps the size in bytes of UTF-8 (GitHub drops a job summary over 1 MiB whole): the
heading, the summary line, the images and notes always stay, then table rows are added in order
of importance while they fit, and a line says how many were left out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..hookspecs import hookimpl
from ..images import MARKERS
from ..results import Finding, Report, Status
from ..scan import FileResult, ScanReport
from . import one_line
from .text import untested_line

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


def render_markdown(report: Report | ScanReport, limit: int | None = None) -> str:
    """The Markdown summary of a report or a scan, at most ``limit`` bytes of UTF-8 when given
    (and the parts that are always kept fit)."""
    budget = Budget(limit)
    if isinstance(report, ScanReport):
        return _scan(report, budget)
    return _report(report, budget)


class MarkdownReporter:
    """Render a report or a scan as a Markdown summary."""

    name = "markdown"
    description = "Markdown summary for CI job summaries and pull-request comments"
    supports_scan = True  # render() also accepts a ScanReport

    def render(self, report: Report | ScanReport) -> str:
        return render_markdown(report)


def _report(report: Report, budget: Budget) -> str:
    fr = FileResult.from_report(report)
    head = [f"## collapse-guard: {ICON[report.status]}", "", _header(report, fr), ""]
    untested = untested_line(report)
    if untested:  # why a run with no warn finding is a warn
        head += [untested.strip() + ".", ""]
    tail = _notes(report.notes)
    budget.reserve(head, tail, _OMISSIONS)
    return _joined([*head, *_findings_block(fr.findings, budget), *tail])


def _scan(scan: ScanReport, budget: Budget) -> str:
    head = [f"## collapse-guard scan of {_code(scan.root)}: {ICON[scan.status]}", ""]
    ref = (
        f"reference {_code(str(scan.reference.get('path', '?')))}"
        if scan.reference is not None
        else "no reference (reference-free checks only)"
    )
    head += [f"{scan.summary_sentence()} · {ref} · collapse-guard {scan.tool_version}", ""]
    tail: list[str] = []
    if scan.images is not None and (scan.images.images or scan.images.unreadable):
        tail += _images(scan)
    if scan.skipped:
        skipped = ", ".join(f"{n} {why}" for why, n in sorted(scan.skipped.items()))
        tail += [f"Skipped: {skipped}.", ""]
    tail += _notes(scan.notes)
    budget.reserve(head, tail, _OMISSIONS)
    ordered = sorted(scan.files, key=lambda f: (_ORDER.get(f.status, 9), f.path))
    body: list[str] = []
    if ordered:
        rows = [
            f"| {_code(f.path, cell=True)} | {ICON[f.status]} | "
            f"{'' if f.rows is None else f'{f.rows:,}'} | {_cell(f.reason)} |"
            for f in ordered
        ]
        body += budget.rows(["| file | status | rows | reason |", "|---|---|---:|---|"], rows, "files")
        body.append("")
    # Details for the files that need attention, worst first (the order the budget keeps them
    # in); a passing file's only non-passing findings are insufficient-data, which its reason
    # in the table already sums up.
    detailed = [f for f in ordered if f.status in ("error", "fail", "warn") and _bad(f.findings)]
    for n, f in enumerate(detailed):
        heading = [f"### {_code(f.path)}: {ICON[f.status]}", ""]
        table = _table(_bad(f.findings))
        if not budget.take([*heading, *table[:3]]):
            left = len(detailed) - n
            body += [f"… {left} more file{'s' if left > 1 else ''} with findings not shown; {_SEE_JSON}", ""]
            break
        body += [*heading, *table[:3], *budget.rows([], table[3:], "findings"), ""]
    return _joined([*head, *body, *tail])


def _bad(findings: Iterable[Finding]) -> list[Finding]:
    return [x for x in findings if x.status is not Status.PASS]


def _joined(lines: list[str]) -> str:
    return "\n".join(lines).rstrip() + "\n"


_SEE_JSON = "see the JSON report (`--format json`)."
# Room kept for the "… N more … not shown" lines (at most three, with their blank lines).
_OMISSIONS = ["", "x" * 120] * 3


class Budget:
    """Bytes of UTF-8 left for a document (``None``: no limit), spent line by line."""

    def __init__(self, limit: int | None) -> None:
        self.left = math.inf if limit is None else limit

    @staticmethod
    def cost(lines: Iterable[str]) -> int:
        return sum(len(line.encode("utf-8", "replace")) + 1 for line in lines)

    def reserve(self, *parts: list[str]) -> None:
        """Set aside room for lines that are always written (they may overdraw)."""
        self.left -= sum(self.cost(p) for p in parts)

    def take(self, lines: list[str], spare: int = 0) -> bool:
        """Spend the lines' bytes if they fit with ``spare`` bytes still left over."""
        cost = self.cost(lines)
        if cost + spare > self.left:
            return False
        self.left -= cost
        return True

    def rows(self, header: list[str], rows: list[str], what: str) -> list[str]:
        """``header`` and the leading ``rows`` that fit, then a line counting the rest (paid for
        from the spare each row leaves, so many cut tables stay within the limit)."""
        spare = self.cost(_OMISSIONS[:2]) if rows else 0
        if not self.take(header, spare):
            return self._omitted([f"… {len(rows)} {what} not shown; {_SEE_JSON}"]) if rows else []
        kept = [*header]
        for n, row in enumerate(rows):
            if not self.take([row], spare):
                left = len(rows) - n
                noun = what[:-1] if left == 1 and what.endswith("s") else what
                return [*kept, *self._omitted(["", f"… {left} more {noun} not shown; {_SEE_JSON}"])]
            kept.append(row)
        return kept

    def _omitted(self, lines: list[str]) -> list[str]:
        self.left -= self.cost(lines)
        return lines


def _header(report: Report, fr: FileResult) -> str:
    parts = [_code(fr.path)]
    if fr.rows is not None:
        parts.append(f"{fr.rows:,} row{'' if fr.rows == 1 else 's'}")
    ref: Mapping[str, Any] = report.reference or {}
    if ref.get("path"):
        sha = str(ref.get("sha256") or "")[:12]
        parts.append(f"reference {_code(str(ref['path']))}" + (f" (sha256 {sha}…)" if sha else ""))
    parts.append(f"collapse-guard {report.tool_version}, seed {report.seed}")
    counts = {s.value: sum(1 for f in report.findings if f.status is s) for s in Status}
    parts.append(", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no findings")
    return " · ".join(parts)


def _findings_block(findings: Iterable[Finding], budget: Budget) -> list[str]:
    findings = list(findings)
    bad = _bad(findings)
    good = [f for f in findings if f.status is Status.PASS]
    lines: list[str] = []
    if bad:
        table = _table(bad)
        lines += [*budget.rows(table[:2], table[2:], "findings"), ""]
    elif findings:
        lines += ["Nothing needs attention.", ""]
    if good:
        table = _table(good)
        opening = [f"<details><summary>{len(good)} findings passed</summary>", ""]
        closing = ["", "</details>", ""]
        if budget.take([*opening, *closing]):
            lines += [*opening, *budget.rows(table[:2], table[2:], "passing findings"), *closing]
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
    return ["**Notes**", "", *[f"- {_text(n)}" for n in notes], ""] if notes else []


def _num(x: float | None) -> str:
    if x is None:
        return ""
    if x == 0 or 1e-3 <= abs(x) < 1e6:
        return f"{x:.4g}"
    return f"{x:.3g}"


def _text(text: str) -> str:
    """``text`` on one line of Markdown outside a table."""
    return _CONTROL.sub("\ufffd", " ".join(str(text).split()))


def _cell(text: str) -> str:
    """``text`` in a table cell: GFM splits cells at every ``|``, even in a code span, unless
    escaped; outside a table the backslash would show (so only table cells escape it)."""
    return _text(text).replace("|", "\\|")


def _code(text: str, cell: bool = False) -> str:
    """``text`` (a path or name, quoted verbatim) as a code span: fenced by one more backtick
    than its longest run of them, padded when it starts or ends with a backtick or space."""
    text = one_line(text)
    runs = [len(r) for r in re.findall("`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    if text[:1] in ("`", " ") or text[-1:] in ("`", " "):
        text = f" {text} "
    return f"{fence}{text.replace('|', chr(92) + '|') if cell else text}{fence}"


@hookimpl
def register_reporters(register: Callable[[object], None]) -> None:
    register(MarkdownReporter())
