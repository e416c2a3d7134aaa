"""Bad input found by fuzzing the readers and the profile builder: exit 2 and one line on stderr
naming the file and the fix, never a silent pass (a value turned into another type, a row or
column made up, a misleading fix)."""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from conftest import assert_one_line_error

import collapse_guard as cg
from collapse_guard.errors import InputError
from collapse_guard.profile import ProfileSettings, build_profile
from collapse_guard.readers.builtin import BUILTIN_READERS, CSV_NULL_VALUES, ReadLimits

N = 500
Run = Callable[..., tuple[int, str, str]]


def frame(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"x": rng.normal(size=N), "y": rng.lognormal(size=N), "c": rng.choice(list("abcde"), N)}
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bad_input_readers")


@pytest.fixture(scope="module")
def reference(workdir: Path) -> Path:
    """x and y numeric, c categorical (words)."""
    ref = workdir / "reference.json"
    cg.profile(frame(0)).save(ref)
    return ref


def batch_with_x(workdir: Path, name: str, x: pa.Array) -> Path:
    base = frame(1)
    table = pa.table({"x": x, "y": base["y"], "c": base["c"]})
    path = workdir / name
    if name.endswith(".parquet"):
        pq.write_table(table, path)
    else:
        pacsv.write_csv(table, path)
    return path


# --- 6: timestamps, durations, booleans, complex numbers in a numeric column -----------------


@pytest.mark.parametrize(
    "name, x, what",
    [
        (
            "ts_tz.parquet",
            pa.array(pd.date_range("2024-01-01", periods=N, freq="h", tz="Europe/Paris")),
            "holds timestamps here",
        ),
        ("ts.parquet", pa.array(pd.date_range("2024-01-01", periods=N, freq="h")), "holds timestamps here"),
        ("duration.parquet", pa.array(pd.to_timedelta(np.arange(N), unit="s")), "holds durations here"),
        ("bool.csv", pa.array(np.arange(N) % 3 == 0), "holds booleans (True/False) here"),
        ("bool.parquet", pa.array(np.arange(N) % 3 == 0), "holds booleans (True/False) here"),
    ],
)
def test_other_types_in_a_numeric_column_are_refused(
    run_cli: Run, workdir: Path, reference: Path, name: str, x: pa.Array, what: str
) -> None:
    # They were cast to numbers: "p1 rose from -2.398 to 1.704e+15" (epoch nanoseconds), exit 1.
    path = batch_with_x(workdir, name, x)
    result = run_cli("check", path, "-r", reference, "-o", workdir / "report.txt")
    assert_one_line_error(result, str(path), "column 'x' is numeric in the reference", what, "right file")


def test_booleans_against_a_0_1_reference(run_cli: Run, workdir: Path) -> None:
    # On its own a boolean column is categorical; declared numeric it reads as 0/1, and so must
    # a batch of booleans checked against that reference.
    flags = np.arange(N) % 3 == 0
    data = batch_with_x(workdir, "flags_ref.csv", pa.array(flags))
    assert str(cg.profile_files([data]).column("x").kind) == "categorical"
    ref = workdir / "flags_ref.json"
    assert run_cli("profile", data, "-o", ref, "--column", "x=numeric")[0] == 0
    batch = batch_with_x(workdir, "flags_batch.csv", pa.array(np.arange(N) % 4 == 0))
    code, _, err = run_cli("check", batch, "-r", ref, "-o", workdir / "flags.txt")
    assert code in (0, 1), err
    # 0/1 numbers against that reference, too
    numbers = batch_with_x(workdir, "flags_numbers.csv", pa.array((np.arange(N) % 4 == 0).astype(float)))
    code, _, err = run_cli("check", numbers, "-r", ref, "-o", workdir / "flags.txt")
    assert code in (0, 1), err


@pytest.mark.parametrize(
    "values, what",
    [
        (pd.Series(pd.date_range("2024-01-01", periods=N)), "timestamps"),
        (pd.Series(pd.date_range("2024-01-01", periods=N, tz="UTC")), "timestamps"),
        (pd.Series(pd.to_timedelta(np.arange(N), unit="s")), "durations"),
        (pd.Series(pd.period_range("2024-01-01", periods=N, freq="D")), "timestamps"),
        (pd.Series(np.arange(N) + 1j), "complex numbers"),
        (
            pd.Series([dt.datetime(2024, 1, 1) + dt.timedelta(days=i) for i in range(N)], dtype=object),
            "timestamps",
        ),
        (pd.Series([True, False, None] * (N // 3) + [True] * (N % 3), dtype=object), "booleans"),
        (pd.Series(np.arange(N) % 2 == 0), "booleans"),
    ],
)
def test_other_types_in_a_numeric_column_are_refused_in_the_api(values: pd.Series, what: str) -> None:
    ref = cg.profile(frame(0))
    batch = frame(1).assign(x=values)
    with pytest.raises(InputError, match=f"column 'x' is numeric in the reference but holds {what}"):
        cg.check(batch, ref)


def test_a_column_of_timestamps_declared_numeric_is_refused_when_profiling() -> None:
    data = frame(0).assign(x=pd.date_range("2024-01-01", periods=N, tz="UTC"))
    with pytest.raises(InputError, match=r"column 'x' holds timestamps .*not numbers"):
        cg.profile(data, columns={"x": "numeric"})


# --- 7: numbers against categories that are words -------------------------------------------


def test_numbers_against_word_categories_are_refused(run_cli: Run, workdir: Path, reference: Path) -> None:
    path = workdir / "numbers_for_words.csv"
    frame(1).assign(c=np.random.default_rng(2).normal(size=N)).to_csv(path, index=False)
    result = run_cli("check", path, "-r", reference, "-o", workdir / "r.txt")
    assert_one_line_error(
        result, str(path), "column 'c' holds only numbers", "all words", "right file", "--column c=ignore"
    )


def test_numbers_keep_matching_numeric_looking_codes(run_cli: Run, workdir: Path) -> None:
    rng = np.random.default_rng(3)
    data = workdir / "codes.csv"
    frame(0).assign(c=rng.integers(1, 4, N)).to_csv(data, index=False)
    ref = workdir / "codes.json"
    assert run_cli("profile", data, "-o", ref, "--column", "c=categorical")[0] == 0
    assert set(cg.Profile.load(ref).column("c").counts) == {"1", "2", "3"}
    batch = workdir / "codes_batch.csv"
    frame(1).assign(c=rng.integers(1, 4, N)).to_csv(batch, index=False)
    code, _, err = run_cli("check", batch, "-r", ref, "-o", workdir / "codes.txt")
    assert code in (0, 1), err


# --- 10: a tab-separated .csv, blank column names -------------------------------------------


def test_profile_refuses_a_csv_of_tab_separated_lines(run_cli: Run, workdir: Path) -> None:
    path = workdir / "tabs.csv"
    frame(0).to_csv(path, index=False, sep="\t")
    result = run_cli("profile", path, "-o", workdir / "tabs.json")
    assert_one_line_error(result, str(path), "separated by tabs", "suffix of its separator")


def test_a_one_column_csv_with_a_semicolon_in_its_name_only_is_fine(run_cli: Run, workdir: Path) -> None:
    path = workdir / "semicolon_name.csv"
    pd.DataFrame({"price; EUR": np.random.default_rng(0).lognormal(size=N)}).to_csv(path, index=False)
    code, _, err = run_cli("profile", path, "-o", workdir / "semicolon_name.json")
    assert code == 0, err


def test_profile_refuses_blank_column_names(run_cli: Run, workdir: Path) -> None:
    path = workdir / "whitespace.csv"
    path.write_text("   \n  \n")
    result = run_cli("profile", path, "-o", workdir / "ws.json")
    assert_one_line_error(result, str(path), "blank name", "give the column a name")
    with pytest.raises(InputError, match="column 2 of 2 has a blank name"):
        cg.profile(pd.DataFrame({"a": np.arange(N) * 1.5, " ": np.arange(N) * 2.5}))


# --- 11: JSON Lines: null lines, duplicate keys, lone surrogates -----------------------------


def jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def records(n: int = N) -> list[str]:
    rng = np.random.default_rng(0)
    return [json.dumps({"x": float(v), "c": "abc"[i % 3]}) for i, v in enumerate(rng.normal(size=n))]


@pytest.mark.parametrize("line", ["null", "  null ", "42", "[1, 2]", '"text"', "true"])
def test_a_jsonl_line_that_is_not_an_object_is_refused(run_cli: Run, workdir: Path, line: str) -> None:
    path = jsonl(workdir / "not_object.jsonl", [*records(), line, *records(3)])
    result = run_cli("profile", path, "-o", workdir / "nl.json")
    assert_one_line_error(result, str(path), f"line {N + 1:,} is ", "not an object")


def test_a_jsonl_key_given_twice_is_refused_with_its_line(run_cli: Run, workdir: Path) -> None:
    path = jsonl(workdir / "dup.jsonl", [*records(10), '{"x": 1.0, "x": 2.0, "c": "a"}'])
    result = run_cli("profile", path, "-o", workdir / "dup.json")
    assert_one_line_error(result, str(path), "line 11 has the key 'x' twice")
    nested = jsonl(workdir / "dup_nested.jsonl", [*records(10), '{"x": 1.0, "c": {"k": 1, "k": 2}}'])
    assert_one_line_error(
        run_cli("profile", nested, "-o", workdir / "dup.json"), "line 11 has the key 'k' twice"
    )


def test_a_lone_surrogate_escape_names_its_line(run_cli: Run, workdir: Path, reference: Path) -> None:
    path = jsonl(workdir / "surrogate.jsonl", [*records(), '{"x": 1.0, "c": "\\ud800"}'])
    result = run_cli("check", path, "-r", reference)
    assert_one_line_error(result, str(path), f"line {N + 1:,}", "surrogate", "fix or remove that escape")
    # a proper pair is a character
    pair = jsonl(workdir / "pair.jsonl", [*records(), '{"x": 1.0, "c": "\\ud83d\\ude00"}'])
    assert cg.profile_files([pair]).rows == N + 1
    array = workdir / "surrogate.json"
    array.write_text('[{"x": 1.0, "c": "a"}, {"x": 2.0, "c": "\\udc00"}]')
    assert_one_line_error(run_cli("profile", array, "-o", workdir / "s.json"), "record 2", "surrogate")


# --- 16-19: the right diagnosis for files that are not UTF-8 text ---------------------------


def csv_bytes() -> bytes:
    return frame(0).to_csv(index=False).encode()


@pytest.mark.parametrize(
    "name, content, needles",
    [
        ("utf16le.csv", csv_bytes().decode().encode("utf-16-le"), ["UTF-16", "iconv -f utf-16le"]),
        ("utf16be.csv", csv_bytes().decode().encode("utf-16-be"), ["UTF-16", "iconv -f utf-16be"]),
        ("all_nul.csv", b"\0" * 5000, ["holds only NUL bytes"]),
        ("nul.jsonl", b"\0" * 5000, ["holds only NUL bytes"]),
        ("binary.csv", bytes(range(256)) * 40, ["is binary"]),
        ("double.csv.gz", gzip.compress(gzip.compress(csv_bytes())), ["compressed twice"]),
        ("plain_gzip.csv", gzip.compress(csv_bytes()), ["gzip-compressed", "plain_gzip.csv.gz"]),
        ("png.txt", b"\x89PNG\r\n\x1a\n" + bytes(100), ["PNG image"]),
        ("bz.csv", bz2.compress(csv_bytes()), ["bzip2-compressed", "bunzip2"]),
    ],
)
def test_binary_and_utf16_files_get_the_right_fix(
    run_cli: Run, workdir: Path, reference: Path, name: str, content: bytes, needles: list[str]
) -> None:
    path = workdir / name
    path.write_bytes(content)
    err = assert_one_line_error(run_cli("check", path, "-r", reference), str(path), *needles)
    assert "cp1252" not in err and "fields where the header" not in err


def test_a_parquet_or_zip_file_named_csv(run_cli: Run, workdir: Path, reference: Path) -> None:
    path = workdir / "parquet_as.csv"
    pq.write_table(pa.Table.from_pandas(frame(1)), path)
    assert_one_line_error(run_cli("check", path, "-r", reference), "is a Parquet file", "name it .parquet")
    zipped = workdir / "zipped.csv"
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("data.csv", csv_bytes())
    assert_one_line_error(run_cli("check", zipped, "-r", reference), "ZIP archive", "unzip")


# --- 20, 24: wide tables ----------------------------------------------------------------------


def test_messages_name_at_most_a_few_columns(run_cli: Run, workdir: Path) -> None:
    path = workdir / "wide_header_only.csv"
    path.write_text(",".join(f"column_{i}" for i in range(5_000)) + "\n")
    err = assert_one_line_error(run_cli("profile", path, "-o", workdir / "w.json"), "no data rows")
    assert "'column_7', ... and 4,992 more" in err and len(err) < 400
    dupes = workdir / "dupes.parquet"
    names = [f"d{i}" for i in range(50)] * 2
    pq.write_table(pa.table([pa.array([1.0])] * 100, names=names), dupes)
    err = assert_one_line_error(run_cli("profile", dupes, "-o", workdir / "w.json"), "duplicate column name")
    assert "... and 42 more" in err and len(err) < 400


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet", ".jsonl"])
def test_a_table_wider_than_the_cap_is_refused_before_it_is_read(
    run_cli: Run, workdir: Path, suffix: str
) -> None:
    width = 10_001
    table = pa.table([pa.array([1.0, 2.0])] * width, names=[f"c{i}" for i in range(width)])
    path = workdir / f"too_wide{suffix}"
    if suffix == ".parquet":
        pq.write_table(table, path)
    elif suffix == ".jsonl":
        path.write_text("\n".join(json.dumps(r) for r in table.to_pylist()) + "\n")
    else:
        text = table.to_pandas().to_csv(index=False).encode()
        path.write_bytes(gzip.compress(text) if suffix.endswith(".gz") else text)
    result = run_cli("profile", path, "-o", workdir / "wide.json")
    assert_one_line_error(result, str(path), "has 10,001 columns", "more than the 10,000", "read.max_columns")


def test_the_width_cap_is_a_read_limit_and_a_profile_limit(workdir: Path) -> None:
    path = workdir / "six.csv"
    frame(0).assign(a=1.5, b=2.5, d=3.5).to_csv(path, index=False)
    reader = next(r for r in BUILTIN_READERS if r.name == "csv")
    with pytest.raises(InputError, match="has 6 columns, more than the 5"):
        list(reader.read_tables(path, 1000, ReadLimits(max_columns=5)))
    # a quoted name holding the separator is one column
    quoted = workdir / "quoted.csv"
    quoted.write_text('"a,b",c\n1,2\n')
    assert len(next(reader.read_tables(quoted, 1000, ReadLimits(max_columns=2))).column_names) == 2
    data = frame(0).assign(a=1.5, b=2.5, d=3.5)
    with pytest.raises(InputError, match=r"has 6 columns, more than the 5 a profile may hold.*=ignore"):
        build_profile([data], max_columns=5)
    prof = build_profile([data], max_columns=5, ignore=["d"], settings=ProfileSettings.reference())
    assert len(prof.columns) + len(prof.skipped) == 5


# --- 8: missing-value strings are documented --------------------------------------------------


def test_csv_null_strings_are_pyarrows_defaults_and_documented() -> None:
    assert sorted(CSV_NULL_VALUES) == sorted(pacsv.ConvertOptions().null_values)
    csv_reader = next(r for r in BUILTIN_READERS if r.name == "csv")
    for word in ("NA", "N/A", "NULL", "nan"):
        assert word in csv_reader.description and word in (type(csv_reader).__doc__ or "")


def test_the_column_cap_is_a_config_setting(run_cli: Run, tmp_path: Path) -> None:
    data = tmp_path / "wide.csv"
    data.write_text(",".join(f"c{i}" for i in range(12)) + "\n" + ",".join(["1"] * 12) + "\n")
    config = tmp_path / "collapse-guard.toml"
    config.write_text("[read]\nmax_columns = 10\n", encoding="utf-8")
    result = run_cli("profile", data, "-o", tmp_path / "r.json", "--config", config)
    assert_one_line_error(result, "wide.csv", "has 12 columns", "more than the 10")
    config.write_text("[read]\nmax_columns = 0\n", encoding="utf-8")
    result = run_cli("profile", data, "-o", tmp_path / "r.json", "--config", config)
    assert_one_line_error(result, "read.max_columns")
    # At the width of the file, it is read.
    config.write_text("[read]\nmax_columns = 12\n", encoding="utf-8")
    code, _, err = run_cli("profile", data, "-o", tmp_path / "r.json", "--config", config)
    assert code == 0, err


@pytest.mark.parametrize("header", ["BZh_id", "GIF8x", "PK_order", "%PDF-ish"])
def test_a_header_that_starts_like_a_binary_signature_is_still_text(
    run_cli: Run, tmp_path: Path, header: str
) -> None:
    data = tmp_path / "table.csv"
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({header: rng.normal(size=300), "c": rng.choice(list("abc"), 300)})
    frame.to_csv(data, index=False)
    code, _, err = run_cli("profile", data, "-o", tmp_path / "r.json")
    assert code == 0, err


@pytest.mark.parametrize(
    "name, header, row",
    [
        ("quoted_commas.csv", '"Comments, free text"', '"apple, fox and golf {i}"'),
        ("quoted_tabs.tsv", '"a\tb"', '"x{i}\ty"'),
        ("free_semicolons.csv", '"Comments; free text"', '"word {i}; and more; and more"'),
    ],
)
def test_a_one_column_file_of_free_text_is_not_taken_for_a_wrong_separator(
    run_cli: Run, tmp_path: Path, name: str, header: str, row: str
) -> None:
    # The separator the file was read with can only be in quoted fields; another one that the
    # values do not repeat as the header does is text, not structure.
    data = tmp_path / name
    data.write_text("\n".join([header, *(row.format(i=i) for i in range(300))]) + "\n", encoding="utf-8")
    code, _, err = run_cli("profile", data, "-o", tmp_path / "r.json")
    assert code == 0, err


def test_the_unnamed_index_column_pandas_writes_is_left_out(run_cli: Run, tmp_path: Path) -> None:
    data = tmp_path / "with_index.csv"
    rng = np.random.default_rng(0)
    pd.DataFrame({"x": rng.normal(size=300), "c": rng.choice(list("abc"), 300)}).to_csv(data)
    ref = tmp_path / "r.json"
    code, _, err = run_cli("profile", data, "-o", ref)
    assert code == 0, err
    assert "column '' skipped" in err and "index=False" in err
    code, _, err = run_cli("check", data, "-r", ref, "--select", "tail-shrinkage")
    assert code in (0, 1), err
