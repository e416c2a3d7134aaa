"""The ``text`` reporter: a readable table with the evidence line of each finding (rich)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..checks.formatting import SCIENTIFIC_ABOVE
from ..hookspecs import hookimpl
from ..results import Finding, Report, Status
from . import code_spans

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

# rich loads when a table is drawn, not when the plugin registers: a run writing JSON or a file
# does not pay for it.

STYLES = {
    Status.FAIL: "bold red",
    Status.WARN: "yellow",
    Status.PASS: "green",
    Status.INSUFFICIENT: "cyan",
    Status.ERROR: "bold magenta",
}
ORDER = {Status.ERROR: 0, Status.FAIL: 1, Status.WARN: 2, Status.INSUFFICIENT: 3, Status.PASS: 4}
# Markdown code spans in messages (`country`) are drawn in this style, without the backticks.
CODE_STYLE = "bold cyan"


def styled(message: str) -> Text:
    """A message as rich ``Text``: code spans styled instead of backticks, and no rich markup
    (square brackets quoted from the data are shown as they are)."""
    from rich.text import Text

    text = Text()
    for piece, is_code in code_spans(message):
        text.append(piece, style=CODE_STYLE if is_code else "")
    return text


def _num(x: float | None) -> str:
    if x is None:
        return "-"
    if x != x:
        return "-"
    if abs(x) >= SCIENTIFIC_ABOVE:  # no 300-digit numbers in the table
        return f"{x:.1e}"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if x != 0 and abs(x) < 1e-3:
        return f"{x:.1e}"
    return f"{x:.3g}"


class TextReporter:
    name = "text"
    description = "readable table for terminals (default on a terminal)"
    verbose = False

    def table(self, report: Report, verbose: bool = False) -> Table:
        from rich.table import Table
        from rich.text import Text

        findings = sorted(report.findings, key=lambda f: (ORDER[f.status], f.check, f.column or "", f.metric))
        if not verbose:
            shown = [f for f in findings if f.status is not Status.PASS]
        else:
            shown = findings
        table = Table(show_lines=False, expand=False, pad_edge=False)
        table.add_column("status", no_wrap=True)
        table.add_column("check", no_wrap=True)
        table.add_column("column", no_wrap=True)
        table.add_column("metric", no_wrap=True)
        table.add_column("effect", justify="right", no_wrap=True)
        table.add_column("p adj", justify="right", no_wrap=True)
        table.add_column("evidence")
        for f in shown:
            table.add_row(
                Text(f.status.value, style=STYLES[f.status]),
                Text(f.check),
                Text(f.column or "(table)"),
                Text(f.metric),
                _num(f.measurement.effect),
                _num(f.p_adjusted),
                styled(f.display_message()),
            )
        return table

    def write(self, report: Report, console: Console, verbose: bool = False) -> None:
        """Print the report to a rich console (colour when it is a terminal)."""
        from rich.text import Text

        counts = {s: len(report.by_status(s)) for s in Status}
        style = {"pass": "bold green", "warn": "bold yellow", "fail": "bold red"}[report.status]
        ref = report.reference
        console.print(
            Text.assemble(
                ("collapse-guard: ", "bold"),
                (report.status.upper(), style),
                f"  batch {', '.join(map(str, report.batch.get('paths', [])))}"
                f" ({report.batch.get('rows', 0):,} rows)",
                f" vs reference {ref.get('path')} ({(ref.get('sha256') or '')[:12]})"
                if ref.get("path")
                else "",
            )
        )
        console.print(
            "  "
            + ", ".join(f"{n} {s.value}" for s, n in counts.items() if n)
            + ("" if verbose else "  (passing findings hidden; --verbose shows all)")
        )
        if any(f.status is not Status.PASS for f in report.findings) or verbose:
            console.print(self.table(report, verbose))
        for note in report.notes:
            console.print(Text("note: ").append_text(styled(note)))

    def render(self, report: Report) -> str:
        """Plain text for logs and files: one block per finding, no table borders to wrap.

        Messages are written as they are, code-span backticks included (plain text has no other
        way to set a name apart)."""
        ref = report.reference
        lines = [
            f"collapse-guard: {report.status.upper()}  batch "
            f"{', '.join(map(str, report.batch.get('paths', [])))} ({report.batch.get('rows', 0):,} rows)"
            + (
                f" vs reference {ref.get('path')} ({(ref.get('sha256') or '')[:12]})"
                if ref.get("path")
                else ""
            ),
            "  "
            + ", ".join(f"{len(report.by_status(s))} {s.value}" for s in Status if report.by_status(s))
            + ("" if self.verbose else "  (passing findings hidden; --verbose shows all)"),
        ]
        findings = sorted(report.findings, key=lambda f: (ORDER[f.status], f.check, f.column or "", f.metric))
        for f in findings:
            if f.status is Status.PASS and not self.verbose:
                continue
            lines.append(
                f"{f.status.value:<17} {f.check} | {f.column or '(table)'} | {f.metric}"
                f"  effect {_num(f.measurement.effect)}, p adj {_num(f.p_adjusted)}"
            )
            lines.append(f"{'':<18}{f.display_message()}")
        lines.extend(f"note: {note}" for note in report.notes)
        return "\n".join(lines) + "\n"


def finding_line(f: Finding) -> str:
    """One line per finding, for plain logs."""
    return f"{f.status.value}: {f.check} {f.column or '(table)'} {f.metric}: {f.display_message()}"


@hookimpl
def register_reporters(register: Callable[[Any], None]) -> None:
    register(TextReporter())
