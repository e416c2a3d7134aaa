"""The command line: exit codes 0/1/2, stdout carries only the report, deterministic JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES, assert_one_line_error


def _command(*args: str | Path) -> list[str]:
    """The command line as a process of its own (``python -m collapse_guard``), for what only a
    real process shows: exit codes on closed or full output streams, tracebacks."""
    return [sys.executable, "-m", "collapse_guard", *map(str, args)]


def test_example_clean_passes_and_collapsed_fails(run_cli, example_reference: Path) -> None:
    code, out, err = run_cli("check", EXAMPLES / "clean_batch.csv", "-r", example_reference)
    assert code == 0, out + err
    assert out.startswith("collapse-guard: PASS") and err == ""
    code, out, err = run_cli("check", EXAMPLES / "collapsed_batch.csv", "-r", example_reference)
    assert code == 1
    assert "FAIL" in out.splitlines()[0] and "tail-shrinkage" in out


def test_a_tiny_batch_is_a_warn_naming_what_could_not_be_tested(
    run_cli, example_reference: Path, tmp_path: Path
) -> None:
    lines = (EXAMPLES / "clean_batch.csv").read_text(encoding="utf-8").splitlines()
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    code, out, err = run_cli("check", tiny, "-r", example_reference)
    # A few tail findings can be tested on one row; diversity and contamination cannot: not a pass.
    assert code == 0 and err == ""
    head = out.splitlines()[:3]
    assert head[0].startswith("collapse-guard: WARN  batch") and "(1 row)" in head[0]
    assert "pass" in head[1] and "insufficient-data" in head[1]
    assert head[2].strip() == (
        "diversity-loss and synthetic-contamination could test nothing on this batch: see the "
        "insufficient-data findings"
    )
    code, out, _ = run_cli("check", tiny, "-r", example_reference, "--format", "json")
    assert code == 0 and json.loads(out)["status"] == "warn"
    assert run_cli("check", tiny, "-r", example_reference, "--fail-on", "warn")[0] == 1


def test_a_usage_error_is_one_line_with_the_help_command(run_cli) -> None:
    code, out, err = run_cli("check")
    assert code == 2 and out == ""
    assert err == "collapse-guard: error: Missing argument 'PATHS...'; see `collapse-guard check --help`\n"


def test_json_report_shape_and_determinism(run_cli, example_reference: Path) -> None:
    args = ("check", EXAMPLES / "collapsed_batch.csv", "-r", example_reference, "--format", "json")
    code1, out1, _ = run_cli(*args)
    code2, out2, _ = run_cli(*args)
    assert code1 == code2 == 1
    assert out1 == out2  # byte-identical
    report = json.loads(out1)
    assert report["schema_version"] == 1
    assert report["tool"]["name"] == "collapse-guard" and report["tool"]["version"]
    assert report["reference"]["sha256"] and report["reference"]["rows"] == 20_000
    assert report["batch"] == {"paths": [str(EXAMPLES / "collapsed_batch.csv")], "rows": 5000}
    assert report["seed"] == 0 and report["status"] == "fail"
    keys = {
        "check",
        "column",
        "metric",
        "value",
        "expected",
        "interval",
        "p_value",
        "effect",
        "status",
        "message",
        "evidence",
    }
    for f in report["findings"]:
        assert keys <= set(f)
        assert f["status"] in {"pass", "warn", "fail", "insufficient-data", "error"}


def test_output_file_select_ignore_and_fail_on(run_cli, example_reference: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "report.json"
    code, out, err = run_cli(
        "check", EXAMPLES / "collapsed_batch.csv", "-r", example_reference, "--format", "json", "-o", out_file
    )
    assert code == 1 and out == "" and "report written" in err
    assert json.loads(out_file.read_text())["status"] == "fail"
    code, out, _ = run_cli(
        "check",
        EXAMPLES / "collapsed_batch.csv",
        "-r",
        example_reference,
        "--ignore",
        "tail-shrinkage",
        "--format",
        "json",
    )
    assert all(f["check"] != "tail-shrinkage" for f in json.loads(out)["findings"])
    code, out, _ = run_cli(
        "check",
        EXAMPLES / "clean_batch.csv",
        "-r",
        example_reference,
        "--select",
        "tail-shrinkage",
        "--fail-on",
        "warn",
        "--format",
        "json",
    )
    assert code == (1 if json.loads(out)["status"] == "warn" else 0)


@pytest.mark.parametrize(
    "args, message",
    [
        (["check", "missing.csv", "-r", "REF"], "missing.csv"),
        (
            ["check", str(EXAMPLES / "clean_batch.csv"), "-r", "REF", "--format", "nope"],
            "unknown format 'nope'",
        ),
        (
            ["check", str(EXAMPLES / "clean_batch.csv"), "-r", "REF", "--select", "nope"],
            "unknown check 'nope'",
        ),
        (["check", str(EXAMPLES / "clean_batch.csv"), "-r", "REF", "--column", "income"], "NAME=KIND"),
        (
            ["check", str(EXAMPLES / "clean_batch.csv"), "-r", str(EXAMPLES / "human.csv")],
            "not a collapse-guard reference file",
        ),
        (["profile", str(EXAMPLES / "human.csv")], "Missing option"),
        (["nonsense"], "No such command"),
        (
            ["check", str(EXAMPLES / "clean_batch.csv"), "-r", "REF", "-o", "/nonexistent/dir/r.json"],
            "does not exist",
        ),
        (
            [
                "check",
                str(EXAMPLES / "clean_batch.csv"),
                "-r",
                "REF",
                "--ignore",
                "tail-shrinkage,diversity-loss,synthetic-contamination",
            ],
            "no check is left",
        ),
    ],
)
def test_errors_exit_2_with_one_line(run_cli, example_reference: Path, args: list[str], message: str) -> None:
    args = [str(example_reference) if a == "REF" else a for a in args]
    assert_one_line_error(run_cli(*args), message)


def test_traceback_flag_shows_the_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        _command("check", tmp_path / "nope.csv", "-r", tmp_path / "nope.json", "--traceback"),
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "Traceback" in proc.stderr


@pytest.mark.parametrize(
    "command", ["check clean_batch.csv", "check collapsed_batch.csv", "checks", "readers"]
)
def test_a_closed_stdout_pipe_is_exit_2_not_a_check_result(example_reference: Path, command: str) -> None:
    # `collapse-guard check ... | head` whose reader exits first: click alone would exit 1 (= failed).
    name, *batch = command.split()
    args = [name, str(EXAMPLES / batch[0]), "-r", str(example_reference)] if batch else [name]
    proc = subprocess.Popen(
        _command(*args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # long before the output is ready
    err = proc.stderr.read()
    assert proc.wait() == 2
    assert err.startswith("collapse-guard: error: stdout was closed")
    assert ("--output" in err) == (name == "check")  # the listings have no --output
    assert "Traceback" not in err and "Exception ignored" not in err


def test_no_stdout_at_all_is_exit_2_unless_the_report_goes_to_a_file(
    example_reference: Path, tmp_path: Path
) -> None:
    args = _command("check", EXAMPLES / "clean_batch.csv", "-r", example_reference)
    closed = subprocess.run(
        args, capture_output=False, stderr=subprocess.PIPE, text=True, preexec_fn=lambda: os.close(1)
    )  # as `>&-` does
    assert closed.returncode == 2
    assert (
        closed.stderr.startswith("collapse-guard: error: stdout is closed")
        and "Traceback" not in closed.stderr
    )
    to_file = subprocess.run(
        [*args, "-o", str(tmp_path / "r.txt")],
        capture_output=False,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.close(1),
    )
    assert to_file.returncode == 0 and "PASS" in (tmp_path / "r.txt").read_text().upper()


def test_a_closed_pipe_shared_by_stdout_and_stderr_is_still_exit_2(example_reference: Path) -> None:
    # `collapse-guard check ... 2>&1 | head`: not even the error line can be written.
    proc = subprocess.Popen(
        _command("check", EXAMPLES / "clean_batch.csv", "-r", example_reference),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert proc.stdout is not None
    proc.stdout.close()
    assert proc.wait() == 2


def test_listing_commands(run_cli) -> None:
    for command, expected in (("checks", "tail-shrinkage"), ("readers", "parquet"), ("reporters", "json")):
        code, out, err = run_cli(command)
        assert code == 0 and expected in out and err == ""


def test_profile_writes_a_loadable_reference(run_cli, tmp_path: Path) -> None:
    import collapse_guard as cg

    code, out, err = run_cli(
        "profile", EXAMPLES / "human.csv", "-o", tmp_path / "r.json.gz", "--column", "country=text"
    )
    assert code == 0 and out == "" and "20,000 rows" in err
    assert cg.Profile.load(tmp_path / "r.json.gz").column("country").kind.value == "text"


def test_python_api_matches_the_cli(run_cli, example_reference: Path) -> None:
    import collapse_guard as cg

    report = cg.check_files([EXAMPLES / "collapsed_batch.csv"], example_reference)
    _, out, _ = run_cli(
        "check", EXAMPLES / "collapsed_batch.csv", "-r", example_reference, "--format", "json"
    )
    assert json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n" == out
    with pytest.raises(cg.CheckFailed, match="fail"):
        report.raise_for_status()


def test_output_that_is_an_input_is_refused_and_the_input_kept(
    run_cli, example_reference: Path, tmp_path: Path
) -> None:
    batch = tmp_path / "batch.csv"
    batch.write_bytes((EXAMPLES / "clean_batch.csv").read_bytes())
    before = batch.read_bytes(), example_reference.read_bytes()
    for args in (
        ["check", batch, "-r", example_reference, "-o", batch],
        ["check", batch, "-r", example_reference, "-o", example_reference],
        ["profile", batch, "-o", tmp_path / "." / "batch.csv"],
        ["scan", batch, "-o", batch],
    ):
        code, _, err = run_cli(*args)
        assert code == 2, err
        assert "is also an input" in err and len(err.strip().splitlines()) == 1
    assert (batch.read_bytes(), example_reference.read_bytes()) == before


def test_the_output_suffix_picks_the_format_unless_format_is_given(
    run_cli, example_reference: Path, tmp_path: Path
) -> None:
    batch = EXAMPLES / "clean_batch.csv"
    for name, starts in (("r.json", "{"), ("r.html", "<!doctype html>"), ("r.md", "#"), ("r.xml", "<?xml")):
        assert run_cli("check", batch, "-r", example_reference, "-o", tmp_path / name)[0] == 0
        assert (tmp_path / name).read_text().lower().startswith(starts), name
    assert run_cli("check", batch, "-r", example_reference, "-o", tmp_path / "r.out")[0] == 0
    assert (tmp_path / "r.out").read_text().startswith("collapse-guard")  # unknown suffix: text
    explicit = tmp_path / "text.json"
    assert run_cli("check", batch, "-r", example_reference, "--format", "text", "-o", explicit)[0] == 0
    assert not explicit.read_text().startswith("{")  # --format wins over the suffix
    assert run_cli("scan", batch, "-o", tmp_path / "scan.json")[0] == 0
    assert json.loads((tmp_path / "scan.json").read_text())["files"]
    assert run_cli("check", batch, "-r", example_reference, "-o", tmp_path / "r.sarif.json")[0] == 0
    assert json.loads((tmp_path / "r.sarif.json").read_text())["version"] == "2.1.0"
    code, _, err = run_cli("check", batch, "-r", example_reference, "-o", tmp_path / "r.json.gz")
    assert code == 2 and "reports are not compressed" in err and not (tmp_path / "r.json.gz").exists()


def test_a_data_folder_may_keep_its_reference_and_reports(run_cli, tmp_path: Path) -> None:
    """`check data/ -r data/reference.json -o data/report.json`, run again and again."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "batch.csv").write_bytes((EXAMPLES / "clean_batch.csv").read_bytes())
    ref = folder / "reference.json"
    assert run_cli("profile", EXAMPLES / "human.csv", "-o", ref)[0] == 0
    args = ("check", folder, "-r", ref, "--format", "json", "-o", folder / "report.json")
    assert run_cli(*args)[0] == 0
    first = (folder / "report.json").read_text()
    code, _, err = run_cli(*args)
    assert code == 0, err
    assert (folder / "report.json").read_text() == first  # the earlier report was not read as data


def test_a_full_disk_for_the_report_is_exit_2(example_reference: Path) -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            _command("check", EXAMPLES / "clean_batch.csv", "-r", example_reference, "--format", "json"),
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert proc.returncode == 2
    assert proc.stderr.startswith("collapse-guard: error: cannot write the report to stdout")
    assert "Traceback" not in proc.stderr


def test_a_file_read_with_the_wrong_separator_is_an_error_naming_the_separator(
    run_cli, example_reference: Path, tmp_path: Path
) -> None:
    semi = tmp_path / "semi.csv"
    semi.write_text("x;y;cat\n" + "".join(f"{i};{i * 2};c{i % 3}\n" for i in range(60)))
    code, _, err = run_cli("profile", semi, "-o", tmp_path / "ref.json")
    assert code == 2 and "no column can be profiled" in err and "separated by ';'" in err
    assert not (tmp_path / "ref.json").exists()  # no empty reference written
    code, _, err = run_cli("check", semi, "-r", example_reference)
    assert code == 2 and "separated by ';'" in err


def test_text_in_a_column_the_reference_holds_as_numeric_says_to_rebuild_the_reference(
    run_cli, example_reference: Path, tmp_path: Path
) -> None:
    lines = (EXAMPLES / "clean_batch.csv").read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[5].split(",")
    cells[header.index("income")] = "high"
    lines[5] = ",".join(cells)
    batch = tmp_path / "words.csv"
    batch.write_text("\n".join(lines) + "\n")
    code, _, err = run_cli("check", batch, "-r", example_reference)
    assert code == 2
    assert "is numeric in the reference but holds text here (e.g. 'high')" in err
    assert "rebuild the reference with --column income=categorical" in err
