"""``collapse-guard scan PATH... [-r REFERENCE]``: a one-off audit of every data file in a folder.

A thin adapter over :func:`collapse_guard.scan.scan_paths`: parse options, show a progress bar on
a terminal, render the :class:`~collapse_guard.scan.ScanReport`, map it to an exit code.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..hookspecs import hookimpl
from ..reporters import one_line

if TYPE_CHECKING:
    from ..scan import Progress, ScanReport


def parse_size(text: str, option: str = "--max-decompressed-bytes") -> int:
    """Parse a size such as ``4096``, ``512K``, ``4M``, ``10GiB`` into bytes (binary units), with
    the parser the config's ``[read]`` sizes use (:func:`collapse_guard.config.parse_size`)."""
    from ..config import parse_size as parse

    try:
        return parse(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def _with_limit(limits: Any, option: str, key: str, text: str) -> Any:
    """``limits`` with one size from the command line; a size out of range is reported under
    its option, not under the config key ``ReadLimits`` names."""
    size = parse_size(text, option)
    try:
        return dataclasses.replace(limits, **{key: size})
    except ValueError as exc:
        # ReadLimits says "read.KEY must be ...": keep the rule, name what the user typed.
        rule = str(exc).removeprefix(f"read.{key}").strip()
        raise click.BadParameter(f"{text} is {size:,} bytes; it {rule}", param_hint=option) from None


def exit_code(scan: ScanReport, fail_on: str) -> int:
    """2 when a file could not be read or checked; 1 on a failure (or warning with
    ``--fail-on warn``); otherwise 0."""
    counts = scan.counts()
    if counts["error"]:
        return 2
    if counts["fail"] or (fail_on == "warn" and counts["warn"]):
        return 1
    return 0


def render_text(scan: ScanReport, verbose: bool = False, width: int | None = None) -> str:
    """The scan for a terminal or a log: one line per file, then what needs attention. ``width``
    defaults to ``$COLUMNS`` (a pipe has no terminal to ask), else 120."""
    from rich.console import Console

    console = Console(
        file=None,
        record=True,
        width=width or text_width(),
        force_terminal=False,
        color_system=None,
        soft_wrap=True,
    )
    with console.capture() as capture:
        write_text(scan, console, verbose)
    # rich pads every table cell to the column's width; in a log or a file the trailing spaces
    # are noise (and break diffs of saved reports).
    return "\n".join(line.rstrip(" ") for line in capture.get().split("\n"))


#: Below this the files table cannot show a path and a status (COLUMNS=20 printed "e…").
MIN_TEXT_WIDTH = 80


def text_width(default: int = 120) -> int:
    """``$COLUMNS`` when it is a positive whole number (at least ``MIN_TEXT_WIDTH``), else
    ``default``."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        return default
    return max(columns, MIN_TEXT_WIDTH) if columns > 0 else default


def write_text(scan: ScanReport, console: Any, verbose: bool = False) -> None:
    from rich.table import Table
    from rich.text import Text

    from ..reporters.text import report_rows, styled

    def message(text: str) -> Text:
        # On a terminal code spans are styled, as in check's report; in a file the backticks stay.
        # Never rich markup: paths and reasons quote the data, brackets included. Paths and
        # column names with a newline are escaped: one row, one line.
        text = one_line(text)
        return styled(text) if console.is_terminal else Text(text)

    styles = {
        "pass": "green",
        "warn": "yellow",
        "fail": "bold red",
        "error": "bold red",
        "insufficient-data": "dim",
    }
    table = Table(
        "file",
        "status",
        "rows",
        "reason",
        show_edge=False,
        pad_edge=False,
        title=Text(f"collapse-guard scan of {one_line(scan.root)}"),
        title_justify="left",
    )
    for f in scan.files:
        if f.status == "pass" and not verbose and len(scan.files) > 20:
            continue
        rows = "" if f.rows is None else f"{f.rows:,}"
        table.add_row(
            Text(one_line(f.path)), Text(f.status, style=styles.get(f.status, "")), rows, message(f.reason)
        )
    console.print(table)
    for f in scan.files:
        bad = [x for x in f.findings if x.status.value != "pass" or verbose]
        # Against a reference, columns left out of the comparison matter even in a passing file.
        notes = f.notes if verbose or scan.reference is not None else ()
        if not bad and not notes:
            continue
        console.print(Text("\n").append(one_line(f.path), style="bold").append(f": {f.status}"))
        for row in report_rows(bad, verbose):
            where = (
                f" ({row.column})" if row.grouped else f" `{row.column}`" if row.column != "(table)" else ""
            )
            line = message(f"  {row.status.value:<17} {row.check}{where} {row.metric}: {row.message}")
            console.print(line, highlight=False)
        for note in notes:
            console.print(message(f"  note: {note}"), highlight=False)
    if scan.images is not None and scan.images.counts:
        console.print(
            "\nimage markers: " + ", ".join(f"{m} {n}" for m, n in scan.images.counts.items()),
            highlight=False,
        )
    for note in scan.notes:
        console.print(Text("note: ", style="dim").append_text(message(note)), highlight=False)
    console.print(f"\n{scan.status}: {scan.summary_sentence()}", markup=False, highlight=False)


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[Progress | None]:
    """A rich progress bar on stderr, only when stderr is a terminal."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("scanning"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def update(done: int, total: int | None, path: str) -> None:
            bar.update(task, completed=done, total=total, description=one_line(path)[-60:])

        yield update


def _reporter(fmt: str) -> Any:
    """The reporter for ``--format``, checked before scanning (None for the built-in text)."""
    from ..plugins import get_reporters

    if fmt == "text":
        return None
    reporters = get_reporters()
    if fmt not in reporters:
        raise click.BadParameter(
            f"unknown format {fmt!r}; choose one of: {', '.join(reporters)}", param_hint="--format"
        )
    reporter = reporters[fmt]
    if not (getattr(reporter, "supports_scan", False) or fmt == "json"):
        able = sorted(n for n, r in reporters.items() if getattr(r, "supports_scan", False))
        raise click.BadParameter(
            f"format {fmt!r} cannot render a scan; use text, json or one of: {', '.join(able)}",
            param_hint="--format",
        )
    return reporter


def _emit(scan: ScanReport, reporter: Any, output: str | None, verbose: bool, announce: bool = True) -> None:
    """Write the report to stdout or ``output``; with ``announce``, say on stderr where it went
    (off when exit 2's one error line will say it)."""
    from ..cli import refuse_closed_stdout, write_to_stdout

    refuse_closed_stdout(output)
    if reporter is None:
        if output is None and sys.stdout.isatty():
            from rich.console import Console

            write_text(scan, Console(soft_wrap=True), verbose)
            return
        text = render_text(scan, verbose)
    else:
        from ..plugins import render_report

        text = render_report(reporter, scan)
    if output is None:
        write_to_stdout(text)
    else:
        Path(output).write_text(text, encoding="utf-8")
        if announce:
            click.echo(f"collapse-guard: {scan.status}; report written to {one_line(output)}", err=True)


def make_command() -> click.Command:
    """Build the ``scan`` command with the CLI's shared options."""
    from ..cli import _config, _parse_columns, _selected, _split, common_options, report_options

    @click.command("scan")
    @click.argument("paths", nargs=-1, required=True, type=click.Path())
    @click.option(
        "--reference",
        "-r",
        type=click.Path(),
        default=None,
        envvar="COLLAPSE_GUARD_REFERENCE",
        show_envvar=True,
        help="Reference file made by `profile`; without one, the reference-free checks run.",
    )
    @click.option(
        "--exclude",
        "exclude",
        multiple=True,
        metavar="GLOB",
        help="Leave out paths matching this gitignore-style pattern. Repeatable.",
    )
    @click.option("--no-gitignore", is_flag=True, help="Do not respect .gitignore files.")
    @click.option(
        "--max-decompressed-bytes",
        "max_decompressed",
        default=None,
        metavar="SIZE",
        help="Stop reading a .gz file after this many bytes, e.g. 2G (default 10G, or "
        "read.max_decompressed_bytes in the config).",
    )
    @click.option(
        "--max-line-bytes",
        "max_line",
        default=None,
        metavar="SIZE",
        help="Longest allowed line, JSON record or text document, e.g. 4M (default 32M, or "
        "read.max_line_bytes in the config).",
    )
    @report_options
    @common_options("scan")
    def scan(
        paths: tuple[str, ...],
        reference: str | None,
        exclude: tuple[str, ...],
        no_gitignore: bool,
        max_decompressed: str | None,
        max_line: str | None,
        fmt: str | None,
        output: str | None,
        fail_on: str | None,
        select: tuple[str, ...],
        ignore: tuple[str, ...],
        verbose: bool,
        columns: tuple[str, ...],
        config_path: str | None,
        seed: int | None,
        traceback: bool,
    ) -> None:
        """Audit every data file and image under folders (or the files given).

        \b
        Each file is checked on its own and gets a status and the reason for it; a summary of
        the folder follows. With --reference every file is compared with it; without one the
        reference-free checks run (repetition and near-duplicates, marker vocabulary against a
        pre-LLM English baseline, image provenance markers, provenance columns). .gitignore is
        respected; nothing under the folder is written. Exit codes: 0 nothing failed, 1 a file
        failed, 2 a file could not be read or the scan could not run.
        """
        from ..api import load_reference
        from ..cli import refuse_empty_paths, refuse_overwriting_inputs, report_format, stdout_if_dash
        from ..scan import scan_paths

        refuse_empty_paths(paths, **{"--reference": reference, "--output": output, "--config": config_path})
        output = stdout_if_dash(output)
        reporter = _reporter(report_format(fmt, output))
        refuse_overwriting_inputs(output, [*paths, reference, config_path])
        column_kinds = _parse_columns(columns)
        cfg = _config(
            config_path,
            fail_on=fail_on,
            select=_selected(select),
            ignore=_split(ignore),
            columns=column_kinds,
            seed=seed,
        )
        for p in paths:
            if not Path(p).exists() and not Path(p).is_symlink():
                raise click.BadParameter(f"{p}: no such file or folder; check the path", param_hint="PATH")
        ref = load_reference(reference) if reference else None
        if ref is not None:
            _warn_unknown_columns(column_kinds, ref)
        # Command-line sizes override the config's [read] table, which overrides the defaults.
        limits = cfg.read_limits()
        for option, key, text in (
            ("--max-decompressed-bytes", "max_decompressed_bytes", max_decompressed),
            ("--max-line-bytes", "max_line_bytes", max_line),
        ):
            if text is not None:
                limits = _with_limit(limits, option, key, text)
        excluded = list(exclude)
        with _progress_bar(sys.stderr.isatty()) as progress:
            report = scan_paths(
                list(paths),
                reference=ref,
                config=cfg,
                exclude=excluded,
                gitignore=not no_gitignore,
                limits=limits,
                progress=progress,
                raise_errors=traceback,
                output=output,
            )
        code = exit_code(report, cfg.fail_on)
        _emit(report, reporter, output, verbose, announce=code != 2)
        if code == 2:
            # Exit 2 comes with one line on stderr, as from every command: which file, and why
            # (and where the report went, which is otherwise a line of its own).
            errors = [f for f in report.files if f.status == "error"]
            more = f" (and {len(errors) - 1} more; the report lists them)" if len(errors) > 1 else ""
            written = f"; report written to {one_line(output)}" if output is not None else ""
            click.echo(f"collapse-guard: error: {one_line(errors[0].reason)}{more}{written}", err=True)
        sys.exit(code)

    return scan


def _warn_unknown_columns(columns: dict[str, str], reference: Any) -> None:
    """Warn about ``--column`` names the reference does not know: with a reference only
    ``ignore`` has an effect, and a file lacking the column is checked on its own, so a typo
    would otherwise go unnoticed. (The run's own warning covers the config's ``[columns]``.)"""
    import difflib
    import warnings

    from ..errors import CollapseGuardWarning

    known = [*reference.columns, *reference.skipped]
    for name, kind in columns.items():
        if name in known:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        guess = f" (did you mean {close[0]!r}?)" if close else ""
        where = f" {reference.path}" if reference.path else ""
        warnings.warn(
            f"--column {name}={kind} names a column the reference{where} does not have{guess}; it "
            "has no effect: fix the name",
            CollapseGuardWarning,
            stacklevel=2,
        )


_COMMAND: list[click.Command] = []


@hookimpl
def register_commands(cli: click.Group) -> None:
    # One command object per process, so that registering twice (main() called again, as tests
    # do) adds the same command rather than a clashing twin.
    if not _COMMAND:
        _COMMAND.append(make_command())
    cli.add_command(_COMMAND[0])
