"""Bad input beyond the issue's list, found by fuzzing the command line: each still gets exit 2
and one line naming the file (or option) and the fix, never a crash or an internal error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import assert_one_line_error

from collapse_guard.readers.builtin import JSON_MAX_FAST_DEPTH, _may_nest_deeper

Run = Callable[..., tuple[int, str, str]]


def _records(n: int = 300) -> list[str]:
    return [json.dumps({"x": i * 1.5, "y": [i]}) for i in range(n)]


def test_deeply_nested_json_lines_are_refused_not_a_crash(tmp_path: Path) -> None:
    # pyarrow's JSON parser recursed until the process died (exit 139, nothing on stderr) at
    # about 20,000 levels; a separate process, so that a regression cannot kill the test run.
    lines = _records()
    depth = 20_000
    lines[5] = '{"x": 1.0, "y": ' + "[" * depth + "]" * depth + "}"
    data = tmp_path / "deep.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "collapse_guard", "profile", str(data), "-o", str(tmp_path / "r.json")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert_one_line_error((proc.returncode, proc.stdout, proc.stderr), "deep.jsonl: line 6", "flatten")


def test_deeply_nested_json_array_record_is_refused(run_cli: Run, tmp_path: Path) -> None:
    depth = 5_000
    data = tmp_path / "deep.json"
    data.write_text("[" + ",".join(_records(10)) + ',{"x": 1, "y": ' + "[" * depth + "]" * depth + "}]")
    result = run_cli("profile", data, "-o", tmp_path / "r.json")
    assert_one_line_error(result, "deep.json: record 11", "nested too deeply")


def test_the_depth_guard_never_misses_deep_data_and_passes_ordinary_records() -> None:
    limit = JSON_MAX_FAST_DEPTH
    ordinary = ("\n".join(_records(2_000)) + "\n").encode()
    assert not _may_nest_deeper(ordinary, limit)
    # Brackets inside strings may only make it cautious, never blind.
    prose = (json.dumps({"t": "[x] {y} " * 5_000}) + "\n").encode()
    assert not _may_nest_deeper(prose, limit)
    assert _may_nest_deeper(ordinary + b"[" * (limit + 1) + b"]" * (limit + 1), limit)
    assert _may_nest_deeper(b'{"a": ' * (limit + 1) + b"1" + b"}" * (limit + 1), limit)
    assert _may_nest_deeper(b"[" * (limit + 1), limit)  # unclosed, as in a truncated line
    assert not _may_nest_deeper(b"[" * limit + b"]" * limit, limit)


@pytest.mark.parametrize("pattern", ["[z-a]", "\\", "!"])
def test_an_invalid_exclude_pattern_is_a_usage_error(run_cli: Run, tmp_path: Path, pattern: str) -> None:
    (tmp_path / "a.csv").write_text("x\n1\n2\n", encoding="utf-8")
    result = run_cli("scan", tmp_path, "--exclude", pattern)
    assert_one_line_error(result, f"--exclude {pattern!r}", "gitignore")


def test_an_invalid_gitignore_line_is_skipped_as_git_does(run_cli: Run, tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("[z-a]\nskipped.csv\n\\\n", encoding="utf-8")
    (tmp_path / "kept.csv").write_text("x\n" + "\n".join(str(i) for i in range(50)) + "\n")
    (tmp_path / "skipped.csv").write_text("x\n1\n")
    code, out, err = run_cli("scan", tmp_path, "--format", "json")
    assert code in (0, 1), err
    files = [f["path"] for f in json.loads(out)["files"]]
    assert [Path(f).name for f in files] == ["kept.csv"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["readers"], ["checks"], ["--version"], ["--help"], ["scan", "{dir}"]])
def test_a_full_disk_on_stdout_is_exit_2_for_every_command(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "a.csv").write_text("x\n" + "\n".join(str(i) for i in range(50)) + "\n")
    argv = [a.replace("{dir}", str(tmp_path)) for a in args]
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "collapse_guard", *argv],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "cannot write the output (No space left on device)" in proc.stderr


def test_a_listing_with_stdout_closed_is_not_a_silent_success() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "collapse_guard", "checks"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        # Closing descriptor 1 in the child: the shell's `>&-`.
        preexec_fn=lambda: os.close(1),
    )
    assert proc.returncode == 2
    assert "stdout is closed" in proc.stderr
