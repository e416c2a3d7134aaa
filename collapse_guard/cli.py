"""The command line: parse options, call the API, render, map outcomes to exit codes.

Exit codes (README.md, "Command line"; docs/cli.md): 0 ran and nothing failed; 1 ran and at least
one finding failed (or warned, with --fail-on warn); 2 could not run (bad usage, input, config,
reference file or plugin). stdout carries only the report; progress, warnings and errors go to
stderr.
"""

from __future__ import annotations

import errno
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from enum import IntEnum
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .config import Config, load_config, with_overrides
from .errors import EMPTY_PATH, CollapseGuardError, CollapseGuardWarning, PluginError, tracebacks_shown
from .results import Report

F = TypeVar("F", bound=Callable[..., Any])


class ExitCode(IntEnum):
    OK = 0  # the run completed and nothing failed (warnings allowed unless --fail-on warn)
    CHECKS_FAILED = 1  # the run completed and at least one finding failed
    ERROR = 2  # could not run: usage, input, config, reference file or plugin error


class UserError(click.ClickException):
    """A CollapseGuardError shown as one line; exits 2 (a plain ClickException would exit 1)."""

    exit_code = ExitCode.ERROR

    def show(self, file: Any = None) -> None:
        click.echo(f"collapse-guard: error: {self.message}", err=True)


def _split(values: Sequence[str]) -> tuple[str, ...]:
    out: list[str] = []
    for v in values:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return tuple(out)


def _selected(values: Sequence[str]) -> tuple[str, ...] | None:
    """--select's check names; None when not given. Given but blank (``--select ,,,``, or an
    unset variable) it would select no check, and is refused as ``select = []`` in a config is."""
    if not values:
        return None
    names = _split(values)
    if not names:
        raise UserError(
            "--select is empty, so no check would run; list at least one check (see "
            "`collapse-guard checks`), or leave --select out to run them all"
        )
    return names


def _parse_columns(values: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    given: dict[str, str] = {}
    for v in values:
        if "=" not in v:
            raise click.BadParameter(
                f"{v!r} is not NAME=KIND (kinds: numeric, categorical, text, ignore)", param_hint="--column"
            )
        name, kind = v.rsplit("=", 1)
        name, kind = name.strip(), kind.strip().lower()
        if name in out and out[name] != kind:
            # The last one winning silently hid the mistake (a copied command line, a merge).
            raise click.BadParameter(
                f"{given[name]} and {v} give column {name!r} two kinds; give it one", param_hint="--column"
            )
        out[name] = kind
        given.setdefault(name, v)
    return out


def refuse_empty_paths(paths: Sequence[str], **options: str | None) -> None:
    """Refuse an empty PATH argument or option value: ``Path("")`` is the current folder, so
    ``check "$DATA"`` with DATA unset would read everything under it and pass. ``options`` maps
    an option's name (``--reference``) to its value."""
    if any(p == "" for p in paths):
        raise UserError(f"PATH: {EMPTY_PATH}; pass a file or folder")
    for option, value in options.items():
        if value == "":
            raise UserError(f"{option}: {EMPTY_PATH}; pass a file, or leave the option out")


def stdout_if_dash(output: str | None) -> str | None:
    """``--output -`` is stdout (a file literally named "-" is ``./-``)."""
    return None if output == "-" else output


# Help of the options whose meaning differs between commands.
COLUMN_HELP = {
    "profile": "Set a column's kind: numeric, categorical, text, or ignore. Repeatable.",
    "check": "Ignore a column (NAME=ignore). The reference fixes every other column's kind, so "
    "another kind must match it; to change one, rebuild the reference with --column. Repeatable.",
    "scan": "Set a column's kind: numeric, categorical, text, or ignore. With --reference the "
    "reference's kinds are used and only ignore has an effect. Repeatable.",
}
SEED_HELP = {
    "profile": "Seed for the reference's row and document samples (default 0).",
    "check": "Seed for sampling and nulls (default 0).",
    "scan": "Seed for sampling and nulls (default 0).",
}
TRACEBACK_HELP = {
    "profile": "Show the full traceback of an error on stderr.",
    "check": "Show the full traceback of an error on stderr. A check that crashes still becomes an "
    "error finding and the run still reports; its traceback goes to stderr.",
    "scan": "Show the full traceback of an error on stderr. A check that crashes still becomes an "
    "error finding and the run still reports; its traceback goes to stderr.",
}


def common_options(command: str) -> Callable[[F], F]:
    """Options shared by profile, check and scan, with ``command``'s help for each."""

    def decorate(f: F) -> F:
        f = click.option("--traceback", is_flag=True, help=TRACEBACK_HELP[command])(f)
        f = click.option(
            "--config",
            "config_path",
            type=click.Path(dir_okay=False),
            help="Config file (default: collapse-guard.toml, else [tool.collapse-guard] in "
            "pyproject.toml). A file named pyproject.toml is read from [tool.collapse-guard], any "
            "other from its top level.",
        )(f)
        f = click.option(
            "--column", "columns", multiple=True, metavar="NAME=KIND", help=COLUMN_HELP[command]
        )(f)
        f = click.option("--seed", type=click.IntRange(min=0), default=None, help=SEED_HELP[command])(f)
        return f

    return decorate


def report_options(f: F) -> F:
    """Options shared by commands that produce a report (check, scan)."""
    f = click.option(
        "--verbose",
        "-v",
        is_flag=True,
        help="Text format: also list passing findings, and insufficient-data ones one by one.",
    )(f)
    f = click.option(
        "--ignore",
        "ignore",
        multiple=True,
        metavar="CHECK",
        help="Skip a check. Repeatable or comma-separated.",
    )(f)
    f = click.option(
        "--select",
        "select",
        multiple=True,
        metavar="CHECK",
        help="Run only these checks. Repeatable or comma-separated.",
    )(f)
    f = click.option(
        "--fail-on",
        type=click.Choice(["fail", "warn"]),
        default=None,
        help="Exit 1 on any fail (default), or on any warn too.",
    )(f)
    f = click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False, writable=True),
        default=None,
        help="Write the report to this file instead of stdout ('-' is stdout).",
    )(f)
    f = click.option(
        "--format",
        "fmt",
        default=None,
        metavar="FORMAT",
        help="Report format: text, json, junit, sarif, github, markdown, html, or a plugin's "
        "(see `collapse-guard reporters`). Default: from --output's suffix (.json, .html, .md, "
        ".xml, .sarif), else text.",
    )(f)
    return f


def _config(config_path: str | None, **overrides: Any) -> Config:
    """The config file's settings with the command-line options on top; a check name given with
    --select/--ignore that no plugin registered is reported as coming from that option."""
    return with_overrides(
        load_config(config_path),
        select_origin="--select",
        ignore_origin="--ignore",
        column_origin="--column",
        **overrides,
    )


# The format an --output file's suffix implies when --format is not given: writing text into
# report.json (the old default) made the next `check data/` read it as malformed data.
FORMAT_BY_SUFFIX = {
    ".json": "json",
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".xml": "junit",
    ".sarif": "sarif",
    ".txt": "text",
}


def report_format(fmt: str | None, output: str | None) -> str:
    """``--format`` if given, else the one ``--output``'s suffix implies, else text."""
    if output is not None and output.lower().endswith(".gz"):
        # Reports are written plain; a text report named .json.gz poisoned the folder it was in.
        raise UserError(f"--output {output}: reports are not compressed; drop the .gz suffix")
    if fmt is not None:
        return fmt
    if output is not None:
        name = Path(output).name.lower()
        if name.endswith(".sarif.json"):  # SARIF's usual file name
            return "sarif"
        return FORMAT_BY_SUFFIX.get(Path(name).suffix, "text")
    return "text"


def validate_output(fmt: str, output: str | None) -> None:
    """Refuse an unknown format or an unwritable output file before doing any work."""
    from .plugins import get_reporters

    reporters = get_reporters()
    if fmt not in reporters:
        raise click.BadParameter(
            f"unknown format {fmt!r}; choose one of: {', '.join(reporters)}", param_hint="--format"
        )
    check_writable(output)


def check_writable(output: str | None) -> None:
    """Refuse an output path that cannot be written, before any work is done."""
    if output is not None:
        target = Path(output)
        parent = target.parent if str(target.parent) else Path(".")
        if target.is_dir():
            raise UserError(f"--output {output} is a folder; give a file name")
        if not parent.is_dir():
            raise UserError(f"--output {output}: folder {parent} does not exist; create it first")
        if not os.access(parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
            raise UserError(f"--output {output} is not writable; choose another path")


def refuse_overwriting_inputs(output: str | None, inputs: Sequence[str | None]) -> None:
    """An --output that is one of the command's own input files would destroy it."""
    if output is None:
        return
    target = os.path.realpath(output)  # unlike Path.resolve, no error on a loop of links
    for given in inputs:
        if given is not None and os.path.realpath(given) == target:
            raise UserError(
                f"--output {output} is also an input ({given}); writing it would replace that file: "
                "choose another output path"
            )


def emit(report: Report, fmt: str, output: str | None, verbose: bool) -> None:
    """Render the report with the chosen reporter to stdout or a file."""
    from .plugins import get_reporters, render_report

    reporters = get_reporters()
    if fmt not in reporters:
        raise click.BadParameter(
            f"unknown format {fmt!r}; choose one of: {', '.join(reporters)}", param_hint="--format"
        )
    reporter = reporters[fmt]
    refuse_closed_stdout(output)
    if fmt == "text" and output is None and sys.stdout.isatty():
        from rich.console import Console

        reporter.write(report, Console(), verbose)  # type: ignore[attr-defined]
        return
    if fmt == "text":
        reporter.verbose = verbose  # type: ignore[attr-defined]
    text = render_report(reporter, report)
    if output is None:
        write_to_stdout(text)
    else:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UserError(f"cannot write --output {output} ({exc.strerror}); choose another path") from None
        click.echo(f"collapse-guard: {report.status}; report written to {output}", err=True)


def refuse_closed_stdout(output: str | None) -> None:
    """A report for stdout when the process has none (started with ``>&-``) would be lost."""
    if output is None and sys.stdout is None:
        raise UserError("stdout is closed, so the report cannot be written; write it to a file with --output")


def write_to_stdout(text: str) -> None:
    """The report on stdout; a full disk or a failing device there is a clear exit 2. (A pipe
    closed by its reader is handled for every command by _Commands.)"""
    try:
        click.echo(text, nl=False)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise UserError(
            f"cannot write the report to stdout ({exc.strerror or exc}); write it to a file with --output"
        ) from None


def exit_code(report: Report, fail_on: str) -> int:
    if report.status == "fail" or (fail_on == "warn" and report.status == "warn"):
        return ExitCode.CHECKS_FAILED
    return ExitCode.OK


class _Commands(click.Group):
    """The command group; a reader that closes stdout early (``| head``) gets exit 2 and one line
    from any command, plugin commands included (click itself would exit 1, the code for failed
    checks)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            name = ctx.invoked_subcommand
            command = self.get_command(ctx, name) if name else None
            to_file = command is not None and any(p.name == "output" for p in command.params)
            raise UserError(
                "stdout was closed before the output was written (the program reading it exited "
                "early); "
                + (
                    "write the report to a file with --output"
                    if to_file
                    else "read all of it, or redirect it to a file"
                )
            ) from None


@click.group(
    cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(__version__, prog_name="collapse-guard")
def cli() -> None:
    """Guard a data pipeline against model collapse.

    \b
    Build a reference from trusted human data, then check every new batch against it:
      collapse-guard profile human.parquet -o reference.json
      collapse-guard check batch.parquet -r reference.json
    Exit codes: 0 nothing failed, 1 a finding failed, 2 could not run.
    """


PROFILE_SUFFIXES = (".json", ".json.gz")


def refuse_profile_suffix(output: str) -> None:
    """A reference is JSON (gzip-compressed with .gz); under another name (ref.txt, ref.csv) the
    next run would take it for data, and `check -r` users for something else."""
    if output == "-":
        raise UserError(
            "--output -: a reference is written to a file, not stdout (check -r reads it back from "
            "one); name it .json, or .json.gz to compress it"
        )
    if not output.lower().endswith(PROFILE_SUFFIXES):
        raise UserError(
            f"--output {output}: a reference file is JSON; name it .json, or .json.gz to compress it"
        )


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False),
    help="Reference file to write (.json, or .json.gz to compress; not '-': a reference is a file).",
)
@click.option("--synthetic", is_flag=True, help="Mark the data as a known machine-generated sample.")
@common_options("profile")
def profile(
    paths: tuple[str, ...],
    output: str,
    synthetic: bool,
    columns: tuple[str, ...],
    config_path: str | None,
    seed: int | None,
    traceback: bool,
) -> None:
    """Build a reference profile from human data (files or folders)."""
    from .api import profile_files

    refuse_empty_paths(paths, **{"--output": output, "--config": config_path})
    check_writable(output)
    refuse_overwriting_inputs(output, [*paths, config_path])
    refuse_profile_suffix(output)
    column_kinds = _parse_columns(columns)
    cfg = _config(config_path, columns=column_kinds, seed=seed)
    # columns= again (already in cfg) so that a --column naming no column is refused as a typo.
    prof = profile_files(
        [Path(p) for p in paths], config=cfg, columns=column_kinds, synthetic=synthetic, output=output
    )
    try:
        digest = prof.save(output)
    except OSError as exc:
        raise UserError(f"cannot write {output} ({exc.strerror}); choose another path") from None
    kinds: dict[str, int] = {}
    for col in prof.columns.values():
        kinds[col.kind.value] = kinds.get(col.kind.value, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in kinds.items())
    click.echo(
        f"collapse-guard: wrote {output}: {prof.rows:,} rows, {len(prof.columns)} columns "
        f"({summary}), sha256 {digest[:12]}",
        err=True,
    )
    for name, why in prof.skipped.items():
        click.echo(f"collapse-guard: note: column {name!r} skipped: {why}", err=True)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--reference", "-r", required=True, type=click.Path(), help="Reference file made by `profile`.")
@click.option(
    "--synthetic-reference",
    type=click.Path(),
    default=None,
    help="Known machine-generated sample (data files/folder, or a profile made with --synthetic).",
)
@report_options
@common_options("check")
def check(
    paths: tuple[str, ...],
    reference: str,
    synthetic_reference: str | None,
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
    """Check batch files against a reference; exit 1 if a finding fails."""
    from .api import check_files

    refuse_empty_paths(
        paths,
        **{
            "--reference": reference,
            "--synthetic-reference": synthetic_reference,
            "--output": output,
            "--config": config_path,
        },
    )
    output = stdout_if_dash(output)
    fmt = report_format(fmt, output)
    validate_output(fmt, output)
    refuse_overwriting_inputs(output, [*paths, reference, synthetic_reference, config_path])
    column_kinds = _parse_columns(columns)
    cfg = _config(
        config_path,
        fail_on=fail_on,
        select=_selected(select),
        ignore=_split(ignore),
        columns=column_kinds,
        seed=seed,
    )
    report = check_files(
        [Path(p) for p in paths],
        reference,
        config=cfg,
        columns=column_kinds,  # again, so that a --column naming no column is refused as a typo
        synthetic_reference=synthetic_reference,
        show_tracebacks=traceback,
        output=output,
    )
    emit(report, fmt, output, verbose)
    sys.exit(exit_code(report, cfg.fail_on))


def _listing(rows: Sequence[tuple[str, ...]], headers: tuple[str, ...]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*headers, show_edge=False, pad_edge=False)
    for row in rows:
        table.add_row(*row)
    console = Console(soft_wrap=True)
    # Captured, then written by click: rich exits 1 on a closed pipe itself (see _Commands).
    with console.capture() as captured:
        console.print(table)
    click.echo(captured.get(), nl=False)


@cli.command("checks")
def list_checks() -> None:
    """List installed checks, their metrics and default thresholds."""
    refuse_closed_stdout(None)
    from .plugins import default_registry

    reg = default_registry()
    for name, c in reg.checks.items():
        enabled = (
            "on by default" if getattr(c, "default_enabled", True) else "off by default (enable in config)"
        )
        click.echo(f"{name}  [{enabled}; plugin {reg.owners[('check', name)]}]")
        click.echo(f"    {c.description}")
        for metric, spec in c.metrics.items():
            click.echo(
                f"    - {metric}: warn {spec.warn:g}, fail {spec.fail:g} ({spec.worse} is worse): "
                f"{spec.description}"
            )
        for option, ospec in c.options.items():
            click.echo(f"    * option {option} = {ospec.default!r}: {ospec.description}")


@cli.command("readers")
def list_readers() -> None:
    """List installed readers and the file suffixes they read."""
    refuse_closed_stdout(None)
    from .plugins import default_registry

    reg = default_registry()
    _listing(
        [(n, " ".join(r.suffixes), reg.owners[("reader", n)]) for n, r in reg.readers.items()],
        ("reader", "suffixes", "plugin"),
    )


@cli.command("reporters")
def list_reporters() -> None:
    """List installed report formats (values of --format)."""
    refuse_closed_stdout(None)
    from .plugins import default_registry

    reg = default_registry()
    _listing(
        [(n, r.description, reg.owners[("reporter", n)]) for n, r in reg.reporters.items()],
        ("format", "description", "plugin"),
    )


def add_plugin_commands(group: click.Group) -> None:
    """Let plugins add commands (``register_commands``); a name clash is a PluginError."""
    from .plugins import call_each_plugin, default_plugin_manager

    before: dict[str, click.Command] = {}

    def arguments(plugin: str) -> dict[str, Any]:
        before.clear()
        before.update(group.commands)
        return {"cli": group}

    def refuse_replaced(plugin: str) -> None:
        for name, cmd in group.commands.items():
            if name in before and before[name] is not cmd:
                raise PluginError(
                    f"plugin {plugin!r} registered command {name!r}, which already exists; "
                    "rename the plugin's command"
                )

    call_each_plugin(default_plugin_manager(), "register_commands", arguments, refuse_replaced)


def _one_line_warnings(previous: Callable[..., None]) -> Callable[..., None]:
    """A ``warnings.showwarning`` that writes collapse-guard's own warnings as one
    ``collapse-guard: warning:`` line on stderr, each message once, and hands others to
    ``previous``. (Python's own once-per-location memory is reset whenever a library enters
    ``warnings.catch_warnings``, as pandas does while reading, so it cannot be relied on.)"""
    shown: set[str] = set()

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        if issubclass(category, CollapseGuardWarning):
            if str(message) not in shown:
                shown.add(str(message))
                click.echo(f"collapse-guard: warning: {message}", err=True)
        else:
            previous(message, category, filename, lineno, file, line)

    return show


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    show_traceback = "--traceback" in args
    with tracebacks_shown(show_traceback):
        return _main_with_warnings(args, show_traceback)


def _main_with_warnings(args: list[str], show_traceback: bool) -> int:
    with warnings.catch_warnings():
        if not show_traceback:
            # numpy's floating-point warnings (overflow on values near 1e308, ...) are not messages
            # for a user: the statistics handle infinities and NaN themselves, and stderr carries
            # one line per error. --traceback, for debugging, shows them.
            warnings.filterwarnings("ignore", category=RuntimeWarning)
        # Each of our warnings as one line, once per run (a scan checks many files).
        warnings.filterwarnings("always", category=CollapseGuardWarning)
        warnings.showwarning = _one_line_warnings(warnings.showwarning)
        return _main(args, show_traceback)


_WRITE_FAILURES = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def _main(args: list[str], show_traceback: bool) -> int:
    try:
        add_plugin_commands(cli)
        cli.main(args=args, prog_name="collapse-guard", standalone_mode=False)
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int) else ExitCode.ERROR
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        if show_traceback:
            traceback.print_exc()
            return ExitCode.ERROR
        if exc.exit_code == 0:
            return ExitCode.OK
        hint = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            hint = f"; see `{exc.ctx.command_path} --help`"
        message = exc.format_message()
        if hint:
            message = message.rstrip(".")  # "Missing argument 'PATHS...'.; see ..." read badly
        click.echo(f"collapse-guard: error: {message}{hint}", err=True)
        return ExitCode.ERROR
    except click.Abort:
        click.echo("collapse-guard: aborted", err=True)
        return ExitCode.ERROR
    except CollapseGuardError as exc:
        if show_traceback:
            traceback.print_exc()
            return ExitCode.ERROR
        click.echo(f"collapse-guard: error: {exc}", err=True)
        return ExitCode.ERROR
    except KeyboardInterrupt:
        click.echo("collapse-guard: interrupted", err=True)
        return ExitCode.ERROR
    except OSError as exc:
        # Reading never fails this way; writing (a full disk, a failing device) does, and a
        # report or listing that was not written must not pass for a run that succeeded.
        if show_traceback or exc.errno not in _WRITE_FAILURES:
            raise
        click.echo(
            f"collapse-guard: error: cannot write the output ({exc.strerror}); free some space or "
            "write it somewhere else (--output for a report)",
            err=True,
        )
        return ExitCode.ERROR
    except Exception as exc:
        if show_traceback:
            traceback.print_exc()
            return ExitCode.ERROR
        click.echo(
            f"collapse-guard: internal error: {type(exc).__name__}: {exc}; rerun with --traceback and "
            "report it at the project's issue tracker",
            err=True,
        )
        return ExitCode.ERROR
    return ExitCode.OK
