"""The ``text`` reporter: a readable table with the evidence line of each finding (rich)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..checks.formatting import SCIENTIFIC_ABOVE, and_list
from ..hookspecs import hookimpl
from ..policy import untested_checks
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


# Above this many insufficient-data findings the report groups them by check and metric (one row
# each, with one column's reason): a small batch of a wide table otherwise buries the warnings
# and failures under hundreds of "cannot detect ..." rows. --verbose lists every one.
GROUP_INSUFFICIENT_ABOVE = 10


def _rows(report: Report) -> str:
    rows = report.batch.get("rows", 0)
    return f"{rows:,} row{'' if rows == 1 else 's'}"


def untested_line(report: Report) -> str | None:
    """The checks that could test nothing, which make a run a warn without a warn finding
    (``policy.report_status``); None when there are none, or when nothing at all was tested."""
    untested = untested_checks(report.findings)
    everything = len(untested) == len({f.check for f in report.findings})
    if not untested or everything or report.status == Status.PASS.value:
        return None  # nothing tested: every finding says why; a reference-free pass: not the reason
    return f"  {untested_sentence(untested)}"


def untested_sentence(untested: list[str]) -> str:
    """ "X and Y could test nothing on this batch: ...", as the text and HTML reports say it."""
    return f"{and_list(untested)} could test nothing on this batch: see the insufficient-data findings"


@dataclass(frozen=True, slots=True)
class Row:
    """One row of the report: a finding, or several insufficient-data findings of one metric."""

    status: Status
    check: str
    column: str
    metric: str
    effect: float | None
    p_adjusted: float | None
    message: str
    grouped: int = 0  # how many insufficient-data findings the row stands for (0: one, not grouped)


def report_rows(findings: Iterable[Finding], verbose: bool) -> list[Row]:
    """The findings to show, most severe first; passing ones only with ``verbose``, and many
    insufficient-data ones grouped by check and metric unless ``verbose``."""
    findings = sorted(findings, key=lambda f: (ORDER[f.status], f.check, f.column or "", f.metric))
    shown = findings if verbose else [f for f in findings if f.status is not Status.PASS]
    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in shown:
        if f.status is Status.INSUFFICIENT:
            groups.setdefault((f.check, f.metric), []).append(f)
    if verbose or sum(map(len, groups.values())) <= GROUP_INSUFFICIENT_ABOVE:
        return [_row(f) for f in shown]
    rows: list[Row] = []
    for f in shown:
        if f.status is not Status.INSUFFICIENT:
            rows.append(_row(f))
        elif f is groups[f.check, f.metric][0]:  # one row per group, where its first finding sorts
            rows.append(_grouped(groups[f.check, f.metric]))
    return rows


def _row(f: Finding) -> Row:
    return Row(
        f.status,
        f.check,
        f.column or "(table)",
        f.metric,
        f.measurement.effect,
        f.p_adjusted,
        f.display_message(),
    )


def _grouped(findings: list[Finding]) -> Row:
    first = findings[0]
    if len(findings) == 1:
        return _row(first)
    reason = first.insufficient or first.display_message()
    # Name the example's column unless its reason already does ("`c0` has 20 values ...").
    named = not first.column or f"`{first.column}`" in reason or reason.startswith(f"{first.column}:")
    where = "" if named else f"`{first.column}`: "
    message = f"{where}{reason} (and {len(findings) - 1} more; --verbose lists each)"
    columns = {f.column for f in findings}
    label = f"{len(columns)} columns" if None not in columns else f"{len(findings)} findings"
    return Row(first.status, first.check, label, first.metric, None, None, message, grouped=len(findings))


class TextReporter:
    name = "text"
    description = "readable report for terminals and logs (the default)"
    verbose = False

    def table(self, report: Report, verbose: bool = False) -> Table:
        from rich.table import Table
        from rich.text import Text

        table = Table(show_lines=False, expand=False, pad_edge=False)
        table.add_column("status", no_wrap=True)
        table.add_column("check", no_wrap=True)
        table.add_column("column", no_wrap=True)
        table.add_column("metric", no_wrap=True)
        table.add_column("effect", justify="right", no_wrap=True)
        table.add_column("p adj", justify="right", no_wrap=True)
        table.add_column("evidence")
        for row in report_rows(report.findings, verbose):
            table.add_row(
                Text(row.status.value, style=STYLES[row.status]),
                Text(row.check),
                Text(row.column),
                Text(row.metric),
                _num(row.effect),
                _num(row.p_adjusted),
                styled(row.message),
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
                f"  batch {', '.join(map(str, report.batch.get('paths', [])))} ({_rows(report)})",
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
        untested = untested_line(report)
        if untested:
            console.print(untested, style="yellow")
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
            f"{', '.join(map(str, report.batch.get('paths', [])))} ({_rows(report)})"
            + (
                f" vs reference {ref.get('path')} ({(ref.get('sha256') or '')[:12]})"
                if ref.get("path")
                else ""
            ),
            "  "
            + ", ".join(f"{len(report.by_status(s))} {s.value}" for s in Status if report.by_status(s))
            + ("" if self.verbose else "  (passing findings hidden; --verbose shows all)"),
        ]
        untested = untested_line(report)
        if untested:
            lines.append(untested)
        for row in report_rows(report.findings, self.verbose):
            lines.append(
                f"{row.status.value:<17} {row.check} | {row.column} | {row.metric}"
                f"  effect {_num(row.effect)}, p adj {_num(row.p_adjusted)}"
            )
            lines.append(f"{'':<18}{row.message}")
        lines.extend(f"note: {note}" for note in report.notes)
        return "\n".join(lines) + "\n"


@hookimpl
def register_reporters(register: Callable[[Any], None]) -> None:
    register(TextReporter())
