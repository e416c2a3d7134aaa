"""Readers: every format (plain and gzip), folders, bounded chunks, and reader-level bad input."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from collapse_guard.errors import InputError
from collapse_guard.readers import (
    ReadLimits,
    find_reader,
    iter_chunks,
    iter_data_files,
    supported_suffixes,
)
from collapse_guard.readers.builtin import BUILTIN_READERS, MiB, register_readers

READERS = BUILTIN_READERS


def read_all(*paths: Path | str, chunk_rows: int = 100_000, **kw: object) -> pd.DataFrame:
    frames = [df for _, df in iter_chunks(list(paths), READERS, chunk_rows, **kw)]  # type: ignore[arg-type]
    return pd.concat(frames, ignore_index=True)


def error_of(*paths: Path | str, chunk_rows: int = 100_000, **kw: object) -> str:
    with pytest.raises(InputError) as info:
        for _ in iter_chunks(list(paths), READERS, chunk_rows, **kw):  # type: ignore[arg-type]
            pass
    message = str(info.value)
    assert "\n" not in message, "errors must be one line"
    return message


def write_gz(path: Path, data: bytes) -> Path:
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(data)
    return path


ROWS: list[dict[str, Any]] = [
    {"n": 1, "x": 0.5, "cat": "a", "flag": True},
    {"n": 2, "x": -1.25, "cat": "b", "flag": False},
    {"n": 3, "x": None, "cat": None, "flag": None},
]


def frame_text(fmt: str) -> bytes:
    if fmt in ("csv", "tsv"):
        sep = "," if fmt == "csv" else "\t"
        lines = [sep.join(["n", "x", "cat", "flag"])]
        for r in ROWS:
            cells = [
                "" if r[k] is None else str(r[k]).lower() if k == "flag" else str(r[k])
                for k in ("n", "x", "cat", "flag")
            ]
            lines.append(sep.join(cells))
        return ("\n".join(lines) + "\n").encode()
    if fmt in ("jsonl", "ndjson"):
        return "".join(json.dumps(r) + "\n" for r in ROWS).encode()
    if fmt == "json":
        return json.dumps(ROWS, indent=2).encode()
    raise AssertionError(fmt)


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "ndjson", "json"])
@pytest.mark.parametrize("gz", [False, True])
def test_tabular_formats_round_trip_with_promised_dtypes(tmp_path: Path, fmt: str, gz: bool) -> None:
    data = frame_text(fmt)
    path = tmp_path / f"data.{fmt}"
    if gz:
        path = write_gz(tmp_path / f"data.{fmt}.gz", data)
    else:
        path.write_bytes(data)
    df = read_all(path)
    assert list(df.columns) == ["n", "x", "cat", "flag"]
    assert df["n"].dtype == np.float64
    assert df["n"].tolist() == [1.0, 2.0, 3.0]
    assert df["x"].iloc[:2].tolist() == [0.5, -1.25] and np.isnan(df["x"].iloc[2])
    assert pd.api.types.is_string_dtype(df["cat"].dtype)
    assert df["cat"].iloc[:2].tolist() == ["a", "b"] and pd.isna(df["cat"].iloc[2])
    assert isinstance(df["flag"].dtype, pd.BooleanDtype)
    assert df["flag"].iloc[:2].tolist() == [True, False] and pd.isna(df["flag"].iloc[2])


def test_parquet_types_are_normalised(tmp_path: Path) -> None:
    table = pa.table(
        {
            "i": pa.array([1, 2, None], pa.int32()),
            "d": pa.array(["u", "v", "u"]).dictionary_encode(),
            "b": pa.array([True, None, False]),
            "meta": pa.array([{"src": "web"}, {"src": "book"}, None]),
            "tags": pa.array([[1, 2], [], None]),
            "day": pa.array([0, 1, 2], pa.int32()).cast(pa.date32()),
        }
    )
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    df = read_all(path)
    assert df["i"].dtype == np.float64 and df["i"].iloc[:2].tolist() == [1.0, 2.0]
    assert pd.api.types.is_string_dtype(df["d"].dtype) and df["d"].tolist() == ["u", "v", "u"]
    assert isinstance(df["b"].dtype, pd.BooleanDtype)
    assert df["meta.src"].iloc[:2].tolist() == ["web", "book"]
    assert df["tags"].iloc[:2].tolist() == ["[1, 2]", "[]"] and pd.isna(df["tags"].iloc[2])
    assert df["day"].tolist() == ["1970-01-01", "1970-01-02", "1970-01-03"]


def test_parquet_is_read_in_batches_of_chunk_rows(tmp_path: Path) -> None:
    path = tmp_path / "big.parquet"
    values = np.arange(5_000, dtype=np.float64)
    pq.write_table(pa.table({"v": values}), path, row_group_size=1_500)
    sizes = [len(df) for _, df in iter_chunks([path], READERS, chunk_rows=700)]
    assert max(sizes) <= 700 and sum(sizes) == 5_000
    assert np.array_equal(read_all(path, chunk_rows=700)["v"].to_numpy(), values)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_chunks_are_bounded_and_complete(tmp_path: Path, fmt: str) -> None:
    n = 2_000
    if fmt == "csv":
        body = "k,v\n" + "".join(f"{i},w{i % 7}\n" for i in range(n))
    elif fmt == "jsonl":
        body = "".join(json.dumps({"k": i, "v": f"w{i % 7}"}) + "\n" for i in range(n))
    else:
        body = json.dumps([{"k": i, "v": f"w{i % 7}"} for i in range(n)])
    path = tmp_path / f"d.{fmt}"
    path.write_text(body)
    limits = ReadLimits(max_line_bytes=4096)  # many small blocks
    chunks = [df for _, df in iter_chunks([path], READERS, chunk_rows=128, limits=limits)]
    assert len(chunks) > 10
    assert max(len(c) for c in chunks) <= 128
    assert {str(c["k"].dtype) for c in chunks} == {"float64"}
    whole = pd.concat(chunks, ignore_index=True)
    assert whole["k"].tolist() == [float(i) for i in range(n)]
    assert whole["v"].tolist() == [f"w{i % 7}" for i in range(n)]


def test_csv_types_fixed_after_first_block_ints_then_floats(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a,when\n" + "1,2024-01-01\n" * 2_000 + "1.5,not a date\n")
    df = read_all(path, limits=ReadLimits(max_line_bytes=1024))
    assert df["a"].dtype == np.float64 and df["a"].iloc[-1] == 1.5
    assert df["when"].iloc[-1] == "not a date"


def test_csv_column_mixing_numbers_and_words_arrives_as_strings(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a\n1\nabc\n3\n")
    df = read_all(path)
    assert pd.api.types.is_string_dtype(df["a"].dtype)
    assert df["a"].tolist() == ["1", "abc", "3"]


def test_jsonl_mixed_types_and_optional_fields(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"a": 1, "b": "x"}\n\n{"a": "one"}\n{"a": 2, "b": "y"}\n')
    df = read_all(path)
    assert df["a"].tolist() == ["1", "one", "2"]
    assert df["b"].iloc[[0, 2]].tolist() == ["x", "y"] and pd.isna(df["b"].iloc[1])


def test_csv_quoted_newlines_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(b'\xef\xbb\xbfid,text\n1,"line one\nline two"\n2,plain\n')
    df = read_all(path)
    assert list(df.columns) == ["id", "text"]
    assert df["text"].tolist() == ["line one\nline two", "plain"]


def test_text_folder_is_one_document_per_file_sorted(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "b.txt").write_text("second doc")
    (folder / "a.md").write_text("# first doc")
    (folder / "sub" / "c.TXT").write_text("third doc")
    write_gz(folder / "d.txt.gz", b"fourth doc")
    (folder / ".hidden.txt").write_text("ignored")
    df = read_all(folder, chunk_rows=2)
    assert list(df.columns) == ["text"]
    assert df["text"].tolist() == ["# first doc", "second doc", "fourth doc", "third doc"]
    sizes = [len(d) for _, d in iter_chunks([folder], READERS, chunk_rows=2)]
    assert sizes == [2, 2]


def test_single_text_file_is_one_document(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("just one\ndocument")
    assert read_all(path)["text"].tolist() == ["just one\ndocument"]


def test_data_folder_reads_every_file_sorted_recursively(tmp_path: Path) -> None:
    (tmp_path / "d" / "z").mkdir(parents=True)
    (tmp_path / "d" / "b.csv").write_text("v\n2\n")
    (tmp_path / "d" / "a.csv").write_text("v\n1\n")
    pq.write_table(pa.table({"v": [3]}), tmp_path / "d" / "z" / "c.parquet")
    (tmp_path / "d" / "README").write_text("not data")
    (tmp_path / "d" / ".cache.csv").write_text("junk\n")
    seen = [(p.name, df["v"].tolist()) for p, df in iter_chunks([tmp_path / "d"], READERS)]
    assert seen == [("a.csv", [1.0]), ("b.csv", [2.0]), ("c.parquet", [3.0])]
    names = [p.name for p in iter_data_files(tmp_path / "d", READERS)]
    assert names == ["a.csv", "b.csv", "c.parquet"]


def test_data_folder_passes_over_collapse_guards_own_files(tmp_path: Path) -> None:
    """A reference profile and a JSON report kept beside the batches are not data; named on
    their own they stay errors, and a folder of nothing else says so."""
    import collapse_guard as cg

    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "a.csv").write_text("v\n1\n2\n3\n")
    cg.profile(pd.DataFrame({"v": [1.0, 2.0, 3.0]})).save(folder / "reference.json.gz")
    (folder / "report.json").write_text(
        '{\n  "schema_version": "1.0",\n  "tool": {"name": "collapse-guard", "version": "0"}\n}'
    )
    (folder / "records.json").write_text('[{"v": 4}]')  # ordinary JSON data stays data
    (folder / "report.sarif.json").write_text(
        '{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",\n'
        '"runs": [{"tool": {"driver": {"name": "collapse-guard"}}}]}'
    )
    names = [p.name for p in iter_data_files(folder, READERS)]
    assert names == ["a.csv", "records.json"]
    assert "reference file, not data" in error_of(folder / "reference.json.gz")
    (folder / "a.csv").unlink()
    (folder / "records.json").unlink()
    own = "collapse-guard report, reference profile"
    assert f"holds no data files (only collapse-guard's own files: {own})" in error_of(folder)


def test_names_with_spaces_and_non_ascii(tmp_path: Path) -> None:
    folder = tmp_path / "données été"
    folder.mkdir()
    path = folder / "my file ü.csv"
    path.write_text("é,v\nça,1\n", encoding="utf-8")
    df = read_all(path)
    assert df.columns.tolist() == ["é", "v"] and df["é"].tolist() == ["ça"]
    assert [p for p, _ in iter_chunks([folder], READERS)] == [path]


def test_find_reader_prefers_longest_suffix_case_insensitively(tmp_path: Path) -> None:
    assert find_reader("x.CSV.GZ", READERS).name == "csv"
    assert find_reader("x.tsv.gz", READERS).name == "tsv"
    assert find_reader("x.ndjson", READERS).name == "jsonl"
    assert find_reader("x.json.gz", READERS).name == "json"
    assert find_reader(tmp_path, READERS).name == "text"
    assert {".csv", ".csv.gz", ".parquet", ".jsonl", ".json", ".txt", ".md.gz"} <= set(
        supported_suffixes(READERS)
    )


def test_register_readers_registers_unique_suffixes() -> None:
    registered: list[object] = []
    register_readers(registered.append)
    suffixes = [s for r in registered for s in r.suffixes]  # type: ignore[attr-defined]
    assert len(registered) == 6 and len(suffixes) == len(set(suffixes))


def test_a_reader_without_limits_support_and_a_broken_one() -> None:
    class Plain:
        name = "plain"
        suffixes = (".plain",)

        def read(self, path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
            yield pd.DataFrame({"v": [1, 2]})

    class Broken(Plain):
        name = "broken"
        suffixes = (".broken",)

        def read(self, path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
            yield [1, 2]  # type: ignore[misc]

    readers = {"plain": Plain(), "broken": Broken()}
    here = Path(__file__)
    fake = here.with_name("x.plain")
    fake_b = here.with_name("x.broken")
    for p in (fake, fake_b):
        p.write_text("")
    try:
        got = list(iter_chunks([fake], readers, limits=ReadLimits()))
        assert got[0][1]["v"].dtype == np.float64
        with pytest.raises(InputError, match="not a pandas DataFrame"):
            list(iter_chunks([fake_b], readers))
    finally:
        fake.unlink()
        fake_b.unlink()


def test_a_plugin_reader_may_yield_arrow_tables_of_any_types(tmp_path: Path) -> None:
    """Tables from a plugin's read() get the built-in readers' normalisation: nested records are
    flattened and types made canonical, so the profile equals the pandas route's."""

    class ArrowPlugin:
        name = "arrowish"
        suffixes = (".arrowish",)

        def read(self, path: Path, chunk_rows: int) -> Iterator[pa.Table]:
            yield pa.table(
                {
                    "n": pa.array([1, 2, 3], pa.int32()),
                    "s": pa.array(["a", "b", None], pa.large_string()),
                    "rec": pa.array([{"x": 1.5}, {"x": 2.5}, {"x": None}]),
                }
            )

    path = tmp_path / "data.arrowish"
    path.write_text("")
    ((_, table),) = iter_chunks([path], {"arrowish": ArrowPlugin()}, arrow=True)
    assert table.column_names == ["n", "s", "rec.x"]
    assert [str(t) for t in table.schema.types] == ["double", "string", "double"]
    import collapse_guard as cg

    from_plugin = cg.profile(table.to_pandas())
    by_hand = cg.profile(
        pd.DataFrame({"n": [1.0, 2.0, 3.0], "s": ["a", "b", None], "rec.x": [1.5, 2.5, None]})
    )
    assert from_plugin.to_json() == by_hand.to_json()


# ------------------------------------------------------------------------------------------
# Bad input: each is one line naming the file and the fix


@pytest.mark.parametrize("name", ["e.csv", "e.tsv", "e.parquet", "e.jsonl", "e.json", "e.txt"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    message = error_of(path)
    assert str(path) in message and "empty" in message


@pytest.mark.parametrize("name", ["e.csv.gz", "e.jsonl.gz", "e.json.gz"])
def test_empty_gzip_file(tmp_path: Path, name: str) -> None:
    path = write_gz(tmp_path / name, b"")
    message = error_of(path)
    assert str(path) in message and ("empty" in message or "no " in message)


def test_header_only_csv(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("a,b,c\n")
    message = error_of(path)
    assert str(path) in message and "header ('a', 'b', 'c') but no data rows" in message


def test_parquet_without_rows(tmp_path: Path) -> None:
    path = tmp_path / "h.parquet"
    pq.write_table(pa.table({"a": pa.array([], pa.float64())}), path)
    message = error_of(path)
    assert str(path) in message and "no data rows" in message


@pytest.mark.parametrize(
    ("name", "body"),
    [("e.json", b"[]"), ("e.jsonl", b"\n\n"), ("e.json", b"  ")],
)
def test_files_without_records(tmp_path: Path, name: str, body: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(body)
    assert str(path) in error_of(path)


def test_malformed_csv_line_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("a,b\n1,2\n3,4,5\n6,7\n")
    message = error_of(path)
    assert str(path) in message and "line 3 has 3 fields where the header has 2" in message


def test_word_in_numeric_column_after_first_block_switches_it_to_text(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("a,b\n" + "".join(f"{i},{i % 2 == 0}\n" for i in range(3_000)) + "oops,maybe\n")
    chunks = [df for _, df in iter_chunks([path], READERS, 500, ReadLimits(max_line_bytes=1024))]
    whole = pd.concat([c.astype(object) for c in chunks], ignore_index=True)
    assert len(whole) == 3_001, "rows read before the switch must not be repeated"
    assert [float(v) for v in whole["a"].iloc[:3_000]] == [float(i) for i in range(3_000)]
    assert whole["a"].iloc[-1] == "oops" and whole["b"].iloc[-1] == "maybe"
    assert chunks[0]["a"].dtype == np.float64
    assert pd.api.types.is_string_dtype(chunks[-1]["a"].dtype)


def test_truncated_parquet(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"a": np.arange(1000.0)}), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    message = error_of(path)
    assert str(path) in message and "truncated or corrupt" in message


@pytest.mark.parametrize("name", ["l.csv", "l.tsv", "l.jsonl", "l.json", "l.txt", "l.csv.gz"])
def test_non_utf8_bytes(tmp_path: Path, name: str) -> None:
    if name.startswith("l.json") and not name.endswith("l"):
        body = '[{"a": "ok"},\n {"a": "café"}]'.encode("latin-1")
    elif "json" in name:
        body = '{"a": "ok"}\n{"a": "café"}\n'.encode("latin-1")
    else:
        body = "a\nok\ncafé\n".encode("latin-1")
    path = tmp_path / name
    if name.endswith(".gz"):
        write_gz(path, body)
    else:
        path.write_bytes(body)
    message = error_of(path)
    assert str(path) in message and "UTF-8" in message and "iconv" in message
    if not name.endswith(".json"):
        assert "line 2" in message or "line 3" in message


def test_non_utf8_after_the_first_csv_block(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    path.write_bytes(b"a\n" + b"ok\n" * 2_000 + "café\n".encode("latin-1"))
    message = error_of(path, limits=ReadLimits(max_line_bytes=1024))
    assert "line 2,002 is not valid UTF-8" in message and "iconv" in message


def test_gzip_bomb_absolute_limit(tmp_path: Path) -> None:
    path = write_gz(tmp_path / "bomb.csv.gz", b"a\n" + b"1\n" * (2 * MiB))
    message = error_of(path, limits=ReadLimits(max_decompressed_bytes=1 * MiB))
    assert str(path) in message and "read.max_decompressed_bytes" in message


def test_gzip_bomb_ratio_guard(tmp_path: Path) -> None:
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(b'{"a": "')
        f.write(b"\0" * (40 * MiB))
    message = error_of(path, limits=ReadLimits(max_line_bytes=256 * MiB))
    assert str(path) in message and "gzip bomb" in message and "read.max_compression_ratio" in message


@pytest.mark.parametrize("kind", ["not gzip", "truncated"])
def test_corrupt_gzip(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "c.csv.gz"
    if kind == "not gzip":
        path.write_bytes(b"a,b\n1,2\n")
    else:
        write_gz(path, b"a,b\n" + b"1,2\n" * 50_000)
        path.write_bytes(path.read_bytes()[:300])
    message = error_of(path)
    assert str(path) in message and "gzip" in message


@pytest.mark.parametrize("name", ["long.csv", "long.jsonl", "long.json", "long.txt", "long.tsv.gz"])
def test_huge_single_line_is_refused_without_reading_it_whole(tmp_path: Path, name: str) -> None:
    line = b"x" * (3 * MiB)
    if "json" in name:
        body = b'{"a": "' + line + b'"}\n'
        body = b"[" + body + b"]" if name.endswith(".json") else body
    else:
        body = b"a\n" + line + b"\n"
    path = tmp_path / name
    if name.endswith(".gz"):
        write_gz(path, body)
    else:
        path.write_bytes(body)
    message = error_of(path, limits=ReadLimits(max_line_bytes=256 * 1024))
    assert str(path) in message and "read.max_line_bytes" in message


def test_unknown_suffix_lists_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(b"PK")
    message = error_of(path)
    assert str(path) in message and ".xlsx" in message and ".csv" in message
    assert ".parquet" in message


def test_missing_path(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    message = error_of(path)
    assert str(path) in message and "no such file" in message


def test_folder_without_data_files(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.pdf").write_bytes(b"%PDF")
    assert "holds no data files" in error_of(tmp_path / "empty")


def test_mismatched_columns_across_files_names_both(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("x,y\n1,2\n")
    b.write_text("x,z\n1,2\n")
    message = error_of(a, b)
    assert str(a) in message and str(b) in message
    assert "missing ['y']" in message and "extra ['z']" in message


def test_same_columns_in_another_order_are_aligned(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("x,y\n1,u\n")
    b.write_text("y,x\nv,2\n")
    df = read_all(a, b)
    assert df.columns.tolist() == ["x", "y"] and df["x"].tolist() == [1.0, 2.0]


def test_type_change_across_files_is_passed_on_for_the_profile_to_judge(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("x\n1\n2\n")
    b.write_text("x\n3\nthree\n")
    chunks = [df for _, df in iter_chunks([a, b], READERS)]
    assert chunks[0]["x"].dtype == np.float64
    assert chunks[1]["x"].tolist() == ["3", "three"]


def test_all_null_column_in_one_file_takes_the_other_files_type(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("x,y\n1,\n2,\n")
    b.write_text("x,y\n3,4.5\n")
    chunks = [df for _, df in iter_chunks([b, a], READERS)]
    assert [str(c["y"].dtype) for c in chunks] == ["float64", "float64"]


def test_duplicate_csv_columns(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("a,a\n1,2\n")
    assert "duplicate column" in error_of(path)


def test_json_that_is_not_an_array_of_records(tmp_path: Path) -> None:
    path = tmp_path / "o.json"
    path.write_text('{"a": [1, 2]}')
    assert "expected a JSON array of records" in error_of(path)
    path.write_text("[1, 2]")
    assert "not an object" in error_of(path)
    path.write_text('[{"a": 1}, {"a": 2}')
    assert "not closed" in error_of(path)
    path.write_text('[{"a": 1} {"a": 2}]')
    assert "expected ',' or ']'" in error_of(path)


def test_reference_file_passed_as_data(tmp_path: Path) -> None:
    path = tmp_path / "reference.json"
    path.write_text('{"format": "collapse-guard-profile", "format_version": 1, "content": {}}')
    assert "is a collapse-guard reference file, not data" in error_of(path)


def test_malformed_jsonl_line(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text('{"a": 1}\n{"a": 2\n{"a": 3}\n')
    message = error_of(path)
    assert str(path) in message and "line 2 is not valid JSON" in message


def test_csv_line_longer_than_the_streaming_block_still_reads(tmp_path: Path) -> None:
    """Blocks start small for bounded memory and double when a genuine long line needs it."""
    from collapse_guard.readers.builtin import CSV_STREAM_BLOCK

    path = tmp_path / "long.csv"
    long_text = "word " * (CSV_STREAM_BLOCK // 5 + 1000)
    frame = pd.DataFrame({"n": range(50), "text": ["short"] * 49 + [long_text]})
    frame.to_csv(path, index=False)
    reader = next(r for r in BUILTIN_READERS if r.name == "csv")
    chunks = list(reader.read(path, 1000))
    got = pd.concat(chunks, ignore_index=True)
    assert len(got) == 50 and got["text"].iloc[-1] == long_text
