"""What every reporter shows of a finding's message: the insufficient-data reason, and Markdown code
spans rendered where the format can (HTML, a terminal) and kept where it is the format (Markdown).
Also the warning about configured columns the reference lacks."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

import collapse_guard as cg
from collapse_guard.errors import CollapseGuardWarning
from collapse_guard.reporters import code_spans
from collapse_guard.reporters.github import GitHubReporter
from collapse_guard.reporters.html import render_html
from collapse_guard.reporters.json import JsonReporter
from collapse_guard.reporters.junit import JUnitReporter
from collapse_guard.reporters.markdown import MarkdownReporter
from collapse_guard.reporters.sarif import SarifReporter
from collapse_guard.reporters.text import CODE_STYLE, GROUP_INSUFFICIENT_ABOVE, TextReporter, styled
from collapse_guard.results import Finding, Measurement, Report, Status

# A plugin check that keeps its reason out of its message, and a built-in style one that repeats it.
OWN_REASON = "a batch of 12 rows cannot detect a rise to 5 negative values; needs about 900"
SAID_REASON = "no reference value lies above its p99 (5)"


def _finding(check: str, column: str, message: str, reason: str | None, status: Status) -> Finding:
    m = Measurement(column, "negative_share", value=0.25, effect=0.25, message=message, insufficient=reason)
    return Finding(check, m, status)


def _report(*findings: Finding, notes: tuple[str, ...] = ()) -> Report:
    return Report(
        findings=findings,
        status="warn",
        reference={"path": "ref.json", "sha256": "ab" * 32, "rows": 100},
        batch={"paths": ["batch.csv"], "rows": 12},
        seed=0,
        tool_version="0.1.0",
        notes=notes,
    )


def _text(report: Report) -> str:
    reporter = TextReporter()
    reporter.verbose = True
    return reporter.render(report)


def _rich(report: Report) -> str:
    console = Console(record=True, width=400, color_system=None)
    TextReporter().write(report, console, verbose=True)
    return console.export_text()


RENDER: dict[str, Callable[[Report], str]] = {
    "text": _text,
    "text (terminal)": _rich,
    "json": JsonReporter().render,
    "markdown": MarkdownReporter().render,
    "junit": JUnitReporter().render,
    "sarif": SarifReporter(describe=lambda c, m: None).render,
    "github": GitHubReporter(environ={}).render,
    "html": render_html,
}


@pytest.mark.parametrize("fmt", sorted(RENDER))
def test_insufficient_reason_reaches_every_format(fmt: str) -> None:
    message = "amount: 3 of 12 values are negative"
    f = _finding("non-negative", "amount", message, OWN_REASON, Status.INSUFFICIENT)
    out = RENDER[fmt](_report(f))
    assert "3 of 12 values are negative" in out
    assert OWN_REASON in out, f"{fmt} lost the insufficient-data reason"


@pytest.mark.parametrize("fmt", sorted(set(RENDER) - {"json", "sarif"}))
def test_a_reason_the_message_already_says_is_not_repeated(fmt: str) -> None:
    """(JSON and SARIF also carry the reason as a field of its own, for programs.)"""
    said = _finding("tail-shrinkage", "rating", f"rating: {SAID_REASON}", SAID_REASON, Status.INSUFFICIENT)
    silent = _finding("tail-shrinkage", "rating", f"rating: {SAID_REASON}", None, Status.INSUFFICIENT)
    out = RENDER[fmt](_report(said))
    assert SAID_REASON in out
    # exactly as often as the message alone puts it there
    assert out.count(SAID_REASON) == RENDER[fmt](_report(silent)).count(SAID_REASON)


def test_display_message_adds_only_a_missing_reason() -> None:
    own = _finding("c", "a", "3 of 12 values are negative", OWN_REASON, Status.INSUFFICIENT)
    assert own.display_message() == f"3 of 12 values are negative (insufficient data: {OWN_REASON})"
    assert own.insufficient == OWN_REASON
    said = _finding("c", "a", f"a: {SAID_REASON}", SAID_REASON, Status.INSUFFICIENT)
    assert said.display_message() == f"a: {SAID_REASON}"
    bare = _finding("c", "a", "", OWN_REASON, Status.INSUFFICIENT)
    assert bare.display_message() == OWN_REASON
    tested = _finding("c", "a", "fine", None, Status.PASS)
    assert tested.display_message() == "fine" and tested.insufficient is None


def test_json_report_has_the_reason_as_its_own_key() -> None:
    own = _finding("c", "a", "3 of 12 values are negative", OWN_REASON, Status.INSUFFICIENT)
    tested = _finding("c", "b", "fine", None, Status.PASS)
    report = json.loads(JsonReporter().render(_report(own, tested)))
    assert report["schema_version"] == 1  # an added optional key is not a breaking change
    first, second = report["findings"]
    assert first["insufficient"] == OWN_REASON
    assert first["message"] == "3 of 12 values are negative"  # raw, the reason is not copied in
    assert second["insufficient"] is None


def test_sarif_carries_the_reason_in_text_and_properties() -> None:
    own = _finding("c", "a", "3 of 12 values are negative", OWN_REASON, Status.INSUFFICIENT)
    sarif = json.loads(SarifReporter(describe=lambda c, m: None).render(_report(own)))
    # Not an alert (it would stay open on clean batches): a note among the run's notifications.
    assert sarif["runs"][0]["results"] == []
    note = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]
    assert note["level"] == "note"
    assert note["message"]["text"].endswith(f"(insufficient data: {OWN_REASON})")
    assert note["properties"]["insufficient"] == OWN_REASON


def test_junit_skips_with_the_reason() -> None:
    own = _finding("c", "a", "3 of 12 values are negative", OWN_REASON, Status.INSUFFICIENT)
    xml = JUnitReporter().render(_report(own))
    skipped = re.search(r'<skipped message="([^"]*)"', xml)
    assert skipped is not None and OWN_REASON in skipped.group(1)


# --- Markdown code spans ---------------------------------------------------------------------------

CODE_MESSAGE = '`country` lost 3 of its 40 categories; `a<b & "c"` is new; it`s odd'


def test_code_spans_split() -> None:
    assert code_spans("`a` and `b c`, and one ` alone") == [
        ("a", True),
        (" and ", False),
        ("b c", True),
        (", and one ` alone", False),
    ]
    assert code_spans("``") == [("``", False)]
    assert code_spans("no code") == [("no code", False)]
    assert code_spans("") == []


def test_html_renders_code_spans_escaped() -> None:
    f = _finding("c", "country", CODE_MESSAGE, None, Status.FAIL)
    page = render_html(_report(f, notes=("column `id` looks like an identifier <x>",)))
    assert (
        "<code>country</code> lost 3 of its 40 categories; <code>a&lt;b &amp; &quot;c&quot;</code> "
        "is new; it`s odd"
    ) in page
    assert "<li>column <code>id</code> looks like an identifier &lt;x&gt;</li>" in page
    assert "`country`" not in page and "<x>" not in page


def test_rich_text_styles_code_spans_without_backticks() -> None:
    text = styled(CODE_MESSAGE)
    assert text.plain == 'country lost 3 of its 40 categories; a<b & "c" is new; it`s odd'
    coded = [text.plain[s.start : s.end] for s in text.spans if s.style == CODE_STYLE]
    assert coded == ["country", 'a<b & "c"']
    # square brackets from the data are not rich markup
    assert styled("[bold]x[/bold] `y`").plain == "[bold]x[/bold] y"
    f = _finding("c", "country", CODE_MESSAGE, None, Status.FAIL)
    shown = _rich(_report(f, notes=("column `id` skipped",)))
    assert "country lost 3" in shown and "`country`" not in shown
    assert "note: column id skipped" in shown


def test_markdown_github_and_json_keep_the_backticks() -> None:
    f = _finding("c", "country", CODE_MESSAGE, None, Status.FAIL)
    report = _report(f)
    assert "`country` lost 3" in MarkdownReporter().render(report)
    assert "`country` lost 3" in GitHubReporter(environ={}).render(report)
    assert json.loads(JsonReporter().render(report))["findings"][0]["message"] == CODE_MESSAGE


# --- configured columns the reference lacks ---------------------------------------------------------


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "income": rng.lognormal(3, 1, n),
            "country": rng.choice(list("abcdef"), n),
            "user": [f"u{seed}-{i}" for i in range(n)],  # an identifier: skipped by the reference
        }
    )


@pytest.fixture(scope="module")
def reference() -> cg.Profile:
    ref = cg.profile(_frame(3000, seed=1))
    assert "user" in ref.skipped
    return ref


COLUMNS = {
    "incme": {"checks": {"tail-shrinkage": {"enabled": False}}},
    "nope": {"kind": "ignore"},
    "income": {"checks": {"tail-shrinkage": {"enabled": False}}},
    "user": {"kind": "ignore"},
}


def test_api_warns_about_configured_columns_the_reference_lacks(reference: cg.Profile) -> None:
    with pytest.warns(CollapseGuardWarning) as caught:
        report = cg.check(_frame(800, seed=2), reference, config={"columns": COLUMNS})
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith(
        "[columns] names columns 'incme', 'nope' in the config passed to the Python API, which are not"
    )
    assert "did you mean 'income' for 'incme'?" in message
    assert "their settings are not used: fix the name, or ignore this if the config is shared" in message
    assert "'user'" not in message  # skipped by the reference, so known to it
    # the run is complete, and the settings of the columns that exist still apply
    assert not [f for f in report.findings if f.check == "tail-shrinkage" and f.column == "income"]
    assert [f for f in report.findings if f.column == "country"]


def test_no_warning_when_every_configured_column_is_known(reference: cg.Profile) -> None:
    columns = {k: v for k, v in COLUMNS.items() if k in ("income", "user")}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cg.check(_frame(800, seed=2), reference, config={"columns": columns})


def test_cli_prints_one_warning_line_per_run(
    run_cli: Callable[..., tuple[int, str, str]], reference: cg.Profile, tmp_path: Path
) -> None:
    reference.save(tmp_path / "ref.json")
    _frame(800, seed=2).to_csv(tmp_path / "a.csv", index=False)
    _frame(800, seed=3).to_csv(tmp_path / "b.csv", index=False)
    config = tmp_path / "cg.toml"
    config.write_text('[columns.incme]\nkind = "ignore"\n[columns.nope]\nkind = "ignore"\n')
    expected = (
        f"collapse-guard: warning: [columns] names columns 'incme', 'nope' in {config}, which are not "
        f"in the reference {tmp_path / 'ref.json'} (did you mean 'income' for 'incme'?); their "
        "settings are not used: fix the name, or ignore this if the config is shared with other data\n"
    )
    for _ in range(2):  # every run warns (not only the first of a process)
        args = ["check", tmp_path / "a.csv", "-r", tmp_path / "ref.json", "--config", config]
        code, out, err = run_cli(*args, "--format", "json")
        assert code in (0, 1) and json.loads(out)["status"] in ("pass", "warn")
        assert err == expected
    # a scan checks each file against the reference, and still warns once
    code, out, err = run_cli(
        "scan", tmp_path / "a.csv", tmp_path / "b.csv", "-r", tmp_path / "ref.json", "--config", config
    )
    assert code in (0, 1)
    assert err.count("collapse-guard: warning:") == 1 and expected in err


def _rows_of(plain: str, status: Status) -> int:
    return sum(line.startswith(f"{status.value} ") for line in plain.splitlines())


def test_text_report_groups_many_insufficient_findings_by_metric() -> None:
    """A small batch of a wide table: one row per check and metric, not one per column, unless
    --verbose; warnings and failures stay one row each."""
    many = [
        _finding(
            "tails", f"c{i}", f"c{i}: 3 rows", f"a batch of 12 rows cannot detect c{i}", Status.INSUFFICIENT
        )
        for i in range(12)
    ]
    warned = _finding("tails", "c3", "c3: p99 fell from 9 to 5", None, Status.WARN)
    report = _report(warned, *many)
    quiet = TextReporter()
    plain = quiet.render(report)
    assert _rows_of(plain, Status.INSUFFICIENT) == 1 and "tails | 12 columns | negative_share" in plain
    assert "`c0`: a batch of 12 rows cannot detect c0 (and 11 more; --verbose lists each)" in plain
    assert "warn              tails | c3 | negative_share" in plain
    console = Console(record=True, width=400, color_system=None)
    quiet.write(report, console)
    assert "12 columns" in console.export_text() and "c11" not in console.export_text()
    assert _rows_of(_text(report), Status.INSUFFICIENT) == 12  # --verbose: every finding
    named = [
        _finding("d", f"c{i}", "x", f"`c{i}` has 20 non-null batch values", Status.INSUFFICIENT)
        for i in range(12)
    ]
    grouped = quiet.render(_report(*named))
    assert "`c0` has 20 non-null batch values (and 11 more" in grouped and "`c0`: `c0`" not in grouped
    few = _report(warned, *many[:GROUP_INSUFFICIENT_ABOVE])
    assert _rows_of(quiet.render(few), Status.INSUFFICIENT) == GROUP_INSUFFICIENT_ABOVE
