"""Bad input at the command line: exit 2, one line on stderr naming the file or setting and the fix.

One test per item of the foundation issue's bad-input list. Each runs the real CLI entry point
(in-process for speed; one test runs a separate process to cover ``python -m collapse_guard``).
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import assert_one_line_error

from collapse_guard.cli import main

N = 2_000


def human_frame(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(size=N),
            "y": rng.lognormal(size=N),
            "c": rng.choice(list("abcdef"), N),
        }
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bad_input")


@pytest.fixture(scope="module")
def reference(workdir: Path) -> Path:
    data = workdir / "human.csv"
    human_frame(0).to_csv(data, index=False)
    ref = workdir / "reference.json"
    assert main(["profile", str(data), "-o", str(ref)]) == 0
    return ref


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(run_cli: Run) -> Run:
    return run_cli


def profile_of(cli: Run, workdir: Path, *paths: Path, extra: tuple[str, ...] = ()) -> tuple[int, str, str]:
    return cli("profile", *paths, "-o", workdir / "out.json", *extra)


# ----- files ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["empty.csv", "empty.parquet", "empty.jsonl", "my empty é.csv"])
def test_empty_file(cli: Run, workdir: Path, name: str) -> None:
    path = workdir / name
    path.write_bytes(b"")
    assert_one_line_error(profile_of(cli, workdir, path), str(path), "empty", "pass a file")


def test_header_only_file(cli: Run, workdir: Path) -> None:
    path = workdir / "header.csv"
    path.write_text("x,y,c\n")
    assert_one_line_error(profile_of(cli, workdir, path), str(path), "no data rows")


def test_malformed_csv_line(cli: Run, workdir: Path) -> None:
    path = workdir / "malformed.csv"
    path.write_text("x,y,c\n1,2,a\n3,4,b,5\n")
    assert_one_line_error(profile_of(cli, workdir, path), str(path), "line 3", "fix that line")


def test_truncated_parquet(cli: Run, workdir: Path) -> None:
    path = workdir / "truncated.parquet"
    human_frame().to_parquet(path)
    path.write_bytes(path.read_bytes()[:-200])
    assert_one_line_error(profile_of(cli, workdir, path), str(path), "truncated", "re-export")


@pytest.mark.parametrize("name", ["latin1.txt", "latin1.csv"])
def test_non_utf8_bytes(cli: Run, workdir: Path, name: str) -> None:
    path = workdir / name
    path.write_bytes("x,c\n1,café\n".encode("latin-1"))
    assert_one_line_error(profile_of(cli, workdir, path), str(path), "UTF-8", "iconv")


def test_gzip_bomb(cli: Run, workdir: Path) -> None:
    path = workdir / "bomb.csv.gz"
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(b"x\n")
        f.write(b"0" * (24 * 1024 * 1024))
    assert_one_line_error(
        profile_of(cli, workdir, path), str(path), "gzip bomb", "read.max_compression_ratio"
    )


def test_huge_single_line(cli: Run, workdir: Path) -> None:
    path = workdir / "one line.jsonl"
    path.write_bytes(b'{"t": "' + b"x" * (33 * 1024 * 1024) + b'"}\n')
    assert_one_line_error(profile_of(cli, workdir, path), str(path), "read.max_line_bytes")


def test_unknown_suffix_and_missing_path(cli: Run, workdir: Path) -> None:
    path = workdir / "sheet.xlsx"
    path.write_bytes(b"PK\x03\x04")
    assert_one_line_error(profile_of(cli, workdir, path), str(path), ".xlsx", ".parquet")
    missing = workdir / "nowhere.csv"
    assert_one_line_error(profile_of(cli, workdir, missing), str(missing), "no such file")


def test_files_with_different_columns(cli: Run, workdir: Path) -> None:
    a, b = workdir / "cols_a.csv", workdir / "cols_b.csv"
    a.write_text("x,y\n1,2\n")
    b.write_text("x,z\n1,2\n")
    assert_one_line_error(profile_of(cli, workdir, a, b), str(a), str(b), "['y']", "['z']")


# ----- columns -----------------------------------------------------------------------------------


def test_column_in_reference_missing_from_batch(cli: Run, workdir: Path, reference: Path) -> None:
    path = workdir / "no_y.csv"
    human_frame(1).drop(columns="y").to_csv(path, index=False)
    assert_one_line_error(cli("check", path, "-r", reference), str(path), "'y'", "--column y=ignore")


def test_column_option_naming_no_column_is_an_error(cli: Run, workdir: Path, reference: Path) -> None:
    """A typo in --column is refused, not silently ignored (at profile and at check time)."""
    path = workdir / "typo.csv"
    human_frame(2).to_csv(path, index=False)
    out = workdir / "typo.json"
    assert_one_line_error(
        cli("profile", path, "-o", out, "--column", "yy=categorical"), str(path), "'yy'", "check the spelling"
    )
    assert_one_line_error(cli("check", path, "-r", reference, "--column", "xx=ignore"), str(path), "'xx'")
    # Ignoring a reference column the batch lacks is the advertised fix, so it stays allowed.
    no_y = workdir / "typo_no_y.csv"
    human_frame(3).drop(columns="y").to_csv(no_y, index=False)
    code, _, err = cli("check", no_y, "-r", reference, "--column", "y=ignore")
    assert code in (0, 1), err


def test_all_null_column(cli: Run, workdir: Path) -> None:
    path = workdir / "all_null.csv"
    human_frame().assign(y=np.nan).to_csv(path, index=False)
    assert_one_line_error(profile_of(cli, workdir, path), str(path), "'y'", "--column y=ignore")


def test_all_nan_parquet_column(cli: Run, workdir: Path) -> None:
    path = workdir / "all_nan.parquet"
    pq.write_table(pa.table({"x": np.full(N, np.nan), "c": ["a", "b"] * (N // 2)}), path)
    assert_one_line_error(profile_of(cli, workdir, path), str(path), "'x'")


@pytest.mark.parametrize("column", ["x", "c"])
def test_constant_reference_column_is_insufficient_data_not_an_error(
    cli: Run, workdir: Path, column: str
) -> None:
    """The issue is explicit: a constant reference column is not an error; its tail checks say
    insufficient-data with a reason (a constant *batch* column is a finding, not bad input)."""
    path = workdir / f"constant_{column}.csv"
    human_frame().assign(**{column: 7.0 if column == "x" else "k"}).to_csv(path, index=False)
    ref = workdir / f"constant_{column}.json"
    code, _, err = cli("profile", path, "-o", ref)
    assert code == 0, err
    code, out, err = cli("check", path, "-r", ref, "--select", "tail-shrinkage", "--format", "json")
    assert code == 0, err
    mine = [f for f in json.loads(out)["findings"] if f["column"] == column]
    statuses = {f["metric"]: f["status"] for f in mine}
    # Tail metrics cannot be tested; adherence (categories never seen before) still can.
    assert "insufficient-data" in statuses.values(), statuses
    assert set(statuses.values()) <= {"insufficient-data", "pass"}, statuses
    assert all(f["message"] for f in mine)


def test_infinite_values(cli: Run, workdir: Path) -> None:
    path = workdir / "inf.csv"
    frame = human_frame()
    frame.loc[5, "x"] = np.inf
    frame.to_csv(path, index=False)
    assert_one_line_error(profile_of(cli, workdir, path), str(path), "'x'", "infinite")


def test_mixed_types_in_one_csv_block(cli: Run, workdir: Path) -> None:
    path = workdir / "mixed.csv"
    frame = human_frame().astype({"x": object})
    frame.loc[5, "x"] = "oops"
    frame.to_csv(path, index=False)
    assert_one_line_error(profile_of(cli, workdir, path), str(path), "'x'", "oops", "--column x=categorical")


def test_mixed_types_across_files(cli: Run, workdir: Path) -> None:
    a, b = workdir / "numbers.csv", workdir / "words.csv"
    human_frame(0).to_csv(a, index=False)
    frame = human_frame(1).astype({"y": object})
    frame.loc[3, "y"] = "n/a-ish"
    frame.to_csv(b, index=False)
    assert_one_line_error(profile_of(cli, workdir, a, b), str(b), "'y'", "n/a-ish")


def test_mixed_types_in_jsonl(cli: Run, workdir: Path) -> None:
    path = workdir / "mixed.jsonl"
    records = [{"x": float(v), "c": "a"} for v in range(200)] + [{"x": "oops", "c": "b"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert_one_line_error(profile_of(cli, workdir, path), str(path), "'x'", "oops")


def test_mixed_column_declared_categorical_is_accepted(cli: Run, workdir: Path) -> None:
    a, b = workdir / "codes_a.csv", workdir / "codes_b.csv"
    a.write_text("code\n" + "".join(f"{i % 40}\n" for i in range(400)))
    b.write_text("code\n" + "".join(f"{i % 40}\n" for i in range(400)) + "X1\n")
    code, _, err = profile_of(cli, workdir, a, b, extra=("--column", "code=categorical"))
    assert code == 0, err


# ----- reference files ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def batch(workdir: Path) -> Path:
    path = workdir / "batch.csv"
    human_frame(2).to_csv(path, index=False)
    return path


def test_corrupt_reference(cli: Run, workdir: Path, reference: Path, batch: Path) -> None:
    bad = workdir / "corrupt.json"
    text = reference.read_text()
    bad.write_text(text[: len(text) // 2])
    assert_one_line_error(cli("check", batch, "-r", bad), str(bad), "corrupt", "rebuild")


def test_hand_edited_reference(cli: Run, workdir: Path, reference: Path, batch: Path) -> None:
    bad = workdir / "edited.json"
    doc = json.loads(reference.read_text())
    doc["content"]["rows"] += 1
    bad.write_text(json.dumps(doc))
    assert_one_line_error(cli("check", batch, "-r", bad), str(bad), "sha256", "rebuild")


def test_reference_from_a_future_version(cli: Run, workdir: Path, reference: Path, batch: Path) -> None:
    bad = workdir / "future.json"
    doc = json.loads(reference.read_text())
    doc["format_version"] = 99
    bad.write_text(json.dumps(doc))
    assert_one_line_error(cli("check", batch, "-r", bad), str(bad), "99", "upgrade")


@pytest.mark.parametrize("content", ['{"hello": "world"}', "x,y\n1,2\n"])
def test_not_a_reference_file(cli: Run, workdir: Path, batch: Path, content: str) -> None:
    bad = workdir / "other.json"
    bad.write_text(content)
    assert_one_line_error(cli("check", batch, "-r", bad), str(bad), "not a collapse-guard")


# ----- configuration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "needles"),
    [
        ("bogus = 1\n", ("'bogus'", "known keys")),
        ("[profile]\nsample_rowz = 10\n", ("'sample_rowz'", "known keys")),
        ("alpha = 0.9\n", ("alpha", "out of range")),
        (
            "[checks.tail-shrinkage.thresholds.upper_tail_mass_q99]\nwarn = -3\n",
            ("upper_tail_mass_q99", "out of range"),
        ),
    ],
)
def test_bad_config(
    cli: Run, workdir: Path, reference: Path, batch: Path, toml: str, needles: tuple[str, ...]
) -> None:
    config = workdir / "collapse-guard.toml"
    config.write_text(toml)
    result = cli("check", batch, "-r", reference, "--config", config)
    assert_one_line_error(result, str(config), *needles)


def test_separate_process_exit_code_and_streams(workdir: Path) -> None:
    path = workdir / "header only.csv"
    path.write_text("x,y\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "collapse_guard",
            "profile",
            str(path),
            "-o",
            str(workdir / "o.json"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and str(path) in proc.stderr
    assert "Traceback" not in proc.stderr
