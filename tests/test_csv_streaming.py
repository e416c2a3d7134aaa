"""CSV streaming: small blocks that grow for long rows, whole-row limits, chunks, and profiles.

The CSV reader streams in small blocks (bounded memory: pyarrow reads dozens of blocks ahead),
grows the block once for a genuine long row, refuses a row longer than ``read.max_line_bytes``
even when it is made of short quoted lines, and joins pyarrow's batches into chunks.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from conftest import assert_one_line_error

from collapse_guard.errors import InputError
from collapse_guard.plugins import get_readers
from collapse_guard.profile import build_profile
from collapse_guard.profile.io import profile_content
from collapse_guard.readers import ReadLimits, builtin, iter_chunks
from collapse_guard.readers.builtin import BUILTIN_READERS, CSV_CHUNK_ROWS, CSV_STREAM_BLOCK, MiB

CSV = next(r for r in BUILTIN_READERS if r.name == "csv")


def tables(path: Path, chunk_rows: int = 100_000, limits: ReadLimits | None = None) -> list[pa.Table]:
    return list(CSV.read_tables(path, chunk_rows, limits))


def frame(path: Path, chunk_rows: int = 100_000, limits: ReadLimits | None = None) -> pd.DataFrame:
    return pd.concat(list(CSV.read(path, chunk_rows, limits)), ignore_index=True)


def assert_reads_like_pandas(path: Path, limits: ReadLimits | None = None) -> None:
    """The reader's values equal pandas.read_csv's (whose ints are int64 where ours are float64)."""
    got = frame(path, limits=limits)
    expected = pd.read_csv(path, keep_default_na=False, na_values=[""])
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def error_of(path: Path, limits: ReadLimits | None = None) -> str:
    with pytest.raises(InputError) as info:
        tables(path, limits=limits)
    message = str(info.value)
    assert "\n" not in message, "errors must be one line"
    return message


def quoted_text(rng: np.random.Generator, size: int) -> str:
    """About ``size`` characters of text with commas, quotes and line breaks (needs quoting)."""
    words = np.array(["lorem", "ipsum,", 'say "hi"', "dolor\n", "sit", "amet;", "x\r\ny"])
    parts: list[str] = []
    length = 0
    while length < size:
        word = str(words[rng.integers(len(words))])
        parts.append(word)
        length += len(word) + 1
    return " ".join(parts)


@pytest.fixture
def block_spy(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Records what each row-size scan (the slow path for a row that did not fit) found."""
    found: list[tuple[int, int]] = []
    scan = builtin._longest_row

    def spy(*args: object) -> tuple[int, int]:
        result = scan(*args)  # type: ignore[arg-type]
        found.append(result)
        return result

    monkeypatch.setattr(builtin, "_longest_row", spy)
    return found


# --------------------------------------------------------------------------------------------
# Rows longer than the block


def test_rows_longer_than_the_stream_block_read_like_pandas(tmp_path: Path, block_spy: list) -> None:
    """Real block size: rows of 1.1-2.6 MiB (block 1 MiB, limit 32 MiB) grow the block once."""
    rng = np.random.default_rng(1)
    n = 300
    text = [f"w{i}" for i in range(n)]
    for i, size in zip(rng.choice(n, 4, replace=False), (1.1, 1.6, 2.1, 2.6), strict=True):
        text[i] = quoted_text(rng, int(size * MiB))
    path = tmp_path / "long.csv"
    pd.DataFrame({"n": range(n), "x": rng.normal(size=n), "text": text}).to_csv(path, index=False)
    assert_reads_like_pandas(path)
    assert len(block_spy) == 1, "one scan sizes the block for every long row"
    assert CSV_STREAM_BLOCK < block_spy[0][0] < 3 * MiB


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_quoted_line_breaks_across_block_boundaries(tmp_path: Path, newline: str) -> None:
    """1 KiB blocks and quoted fields of up to 900 bytes: most rows straddle a block boundary."""
    rng = np.random.default_rng(2)
    n = 1_500
    text = [quoted_text(rng, int(s)) for s in rng.integers(1, 900, n)]
    path = tmp_path / "quoted.csv"
    data = pd.DataFrame({"n": range(n), "text": text, "x": rng.normal(size=n)})
    data.to_csv(path, index=False, lineterminator=newline)
    assert_reads_like_pandas(path, ReadLimits(max_line_bytes=1024))
    got = frame(path, limits=ReadLimits(max_line_bytes=1024))
    assert got["text"].tolist() == text


def test_quoted_crlf_split_by_a_block_boundary_keeps_its_line_feed(tmp_path: Path) -> None:
    """pyarrow drops the LF of a quoted CR LF that two blocks split (apache/arrow#51368)."""
    head = "n,text\n0,"
    value = "x" * (CSV_STREAM_BLOCK - len(head) - 2) + "\r\n" + "y" * 10
    path = tmp_path / "crlf.csv"
    path.write_bytes(f'{head}"{value}"\n1,z\n'.encode())
    assert path.read_bytes()[CSV_STREAM_BLOCK - 1 : CSV_STREAM_BLOCK + 1] == b"\r\n"
    assert frame(path)["text"].tolist() == [value, "z"]


def test_long_rows_with_a_small_block_and_a_larger_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_spy: list
) -> None:
    """The same path as above at test size: 1 KiB blocks, rows of up to 6 KiB, a 16 KiB limit."""
    monkeypatch.setattr(builtin, "CSV_STREAM_BLOCK", 1024)
    rng = np.random.default_rng(3)
    n = 400
    text = [quoted_text(rng, int(s)) for s in rng.integers(1, 6_000, n)]
    path = tmp_path / "long.csv"
    pd.DataFrame({"n": range(n), "text": text}).to_csv(path, index=False)
    assert_reads_like_pandas(path, ReadLimits(max_line_bytes=16 * 1024))
    assert len(block_spy) == 1


# --------------------------------------------------------------------------------------------
# Rows longer than the limit


def long_row_file(path: Path, before: int, lines: int, after: int = 100) -> Path:
    """A CSV whose row at line ``before + 2`` is one quoted field of ``lines`` short lines."""
    field = "\n".join(["a short line, with a comma"] * lines)
    body = ["n,text"]
    body += [f"{i},w{i}" for i in range(before)]
    body.append(f'{before},"{field}"')
    body += [f"{i},w{i}" for i in range(before + 1, before + 1 + after)]
    path.write_text("\n".join(body) + "\n")
    return path


@pytest.mark.parametrize("stream_block", [None, 1024], ids=["block=limit", "block<limit"])
def test_row_of_short_quoted_lines_longer_than_the_limit_names_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stream_block: int | None
) -> None:
    if stream_block is not None:
        monkeypatch.setattr(builtin, "CSV_STREAM_BLOCK", stream_block)
    path = long_row_file(tmp_path / "rows.csv", before=100, lines=1_000)  # a 27 KB row
    message = error_of(path, ReadLimits(max_line_bytes=4096))
    assert message.startswith(f"{path}: the row starting at line 102 is longer than 4 KiB")
    assert "read.max_line_bytes" in message and "quot" in message


def test_unclosed_quote_names_the_line_where_it_opens(tmp_path: Path) -> None:
    rows = [f"{i},w{i}" for i in range(3_000)]
    rows[48] = '48,"an unclosed quote'
    path = tmp_path / "open.csv"
    path.write_text("n,text\n" + "\n".join(rows) + "\n")
    message = error_of(path, ReadLimits(max_line_bytes=4096))
    assert f"{path}: the row starting at line 50 is longer than 4 KiB" in message
    assert "unclosed quote" in message


def test_one_physical_line_longer_than_the_limit_names_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(builtin, "CSV_STREAM_BLOCK", 1024)
    rows = [f"{i},w{i}" for i in range(100)]
    rows[28] = "28," + "x" * 20_000
    path = tmp_path / "line.csv"
    path.write_text("n,text\n" + "\n".join(rows) + "\n")
    message = error_of(path, ReadLimits(max_line_bytes=8192))
    assert f"{path}: line 30 is longer than 8 KiB" in message and "read.max_line_bytes" in message


def test_too_long_row_at_the_command_line_is_exit_2(tmp_path: Path, run_cli: object) -> None:
    path = long_row_file(tmp_path / "rows.csv", before=10, lines=1_000)
    config = tmp_path / "collapse-guard.toml"
    config.write_text("[read]\nmax_line_bytes = 4096\n")
    result = run_cli("profile", path, "-o", tmp_path / "ref.json", "--config", config)  # type: ignore[operator]
    assert_one_line_error(result, str(path), "row starting at line 12", "read.max_line_bytes")


# --------------------------------------------------------------------------------------------
# Type changes, gzip, chunks


def test_word_after_many_numeric_blocks_is_the_mixed_types_error(tmp_path: Path) -> None:
    n = 400_000  # about 4 MiB: the word comes a dozen blocks after the first (inferred) one
    path = tmp_path / "mixed.csv"
    values = [str((i * 37) % 1_000 / 4) for i in range(n)]  # not identifier-like
    values[n - 1_000] = "oops"
    path.write_text("a,b\n" + "".join(f"{v},k{i % 5}\n" for i, v in enumerate(values)))
    limits = ReadLimits(max_line_bytes=256 * 1024)
    chunks = tables(path, limits=limits)
    assert sum(t.num_rows for t in chunks) == n, "no row lost or read twice at the switch"
    assert chunks[0]["a"].type == pa.float64() and chunks[-1]["a"].type == pa.string()
    switched = next(i for i, t in enumerate(chunks) if t["a"].type == pa.string())
    before = pa.concat_tables(chunks[:switched])["a"].to_pylist()
    assert before == [float(v) for v in values[: len(before)]]
    assert "oops" in pa.concat_tables(chunks[switched:])["a"].to_pylist()
    with pytest.raises(InputError, match=r"column 'a' mixes numbers and text \(e\.g\. 'oops'") as info:
        build_profile(iter_chunks([path], get_readers(), limits=limits, arrow=True))
    assert str(info.value).startswith(str(path))


def test_gzip_csv_gives_the_same_chunks_as_plain(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    n = 20_000
    text = [quoted_text(rng, int(s)) if s < 60 else f"k{s}" for s in rng.integers(0, 400, n)]
    data = pd.DataFrame({"n": range(n), "x": rng.normal(size=n), "text": text})
    plain = tmp_path / "d.csv"
    data.to_csv(plain, index=False)
    packed = tmp_path / "d.csv.gz"
    with gzip.open(packed, "wb", compresslevel=1) as f:
        f.write(plain.read_bytes())
    limits = ReadLimits(max_line_bytes=4096)
    a, b = tables(plain, 1_000, limits), tables(packed, 1_000, limits)
    assert len(a) == len(b) == 20
    assert all(x.equals(y) for x, y in zip(a, b, strict=True))


def numbers_file(path: Path, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(
        {"n": np.arange(n, dtype=np.float64), "x": rng.normal(size=n), "c": rng.choice(list("abc"), n)}
    )
    data.to_csv(path, index=False)
    return data


@pytest.mark.parametrize("chunk_rows", [1, 7, 128, 1_000, 5_000])
def test_chunks_add_up_to_the_file(tmp_path: Path, chunk_rows: int) -> None:
    path = tmp_path / "d.csv"
    data = numbers_file(path, 3_000, seed=5)
    chunks = tables(path, chunk_rows, ReadLimits(max_line_bytes=4096))  # ~100 rows a block
    sizes = [t.num_rows for t in chunks]
    assert sizes[:-1] == [chunk_rows] * (len(sizes) - 1) and 0 < sizes[-1] <= chunk_rows
    got = pa.concat_tables(chunks).to_pandas()
    pd.testing.assert_frame_equal(got, data, check_dtype=False)


@pytest.mark.parametrize("chunk_rows", [50_000, 100_000])
def test_chunks_are_at_most_csv_chunk_rows(tmp_path: Path, chunk_rows: int) -> None:
    path = tmp_path / "d.csv"
    data = numbers_file(path, 150_000, seed=6)
    chunks = tables(path, chunk_rows)
    size = min(chunk_rows, CSV_CHUNK_ROWS)
    whole, rest = divmod(150_000, size)
    assert [t.num_rows for t in chunks] == [size] * whole + ([rest] if rest else [])
    pd.testing.assert_frame_equal(pa.concat_tables(chunks).to_pandas(), data, check_dtype=False)


# --------------------------------------------------------------------------------------------
# The profile does not depend on the format


def test_csv_profile_equals_the_parquet_profile(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    n = 150_000  # three chunks
    table = pa.table(
        {
            "gauss": rng.normal(50.0, 10.0, n),
            "heavy": (rng.pareto(2.5, n) + 1.0) * 100.0,
            "whole": pa.array(rng.integers(0, 1_000, n)),
            "holes": pa.array(rng.normal(size=n), mask=rng.random(n) < 0.1),
            "cat": rng.choice([f"k{i:03d}" for i in range(300)], n),
        }
    )
    csv_path, pq_path = tmp_path / "d.csv", tmp_path / "d.parquet"
    pacsv.write_csv(table, csv_path)
    pq.write_table(table, pq_path)

    def content(path: Path) -> dict:
        chunks: Iterator = iter_chunks([path], get_readers(), arrow=True)
        return json.loads(json.dumps(profile_content(build_profile(chunks))))

    from_csv, from_parquet = content(csv_path), content(pq_path)
    assert from_csv["rows"] == from_parquet["rows"] == n
    for a, b in zip(from_csv["columns"], from_parquet["columns"], strict=True):
        for key in ("mean", "m2"):
            if key in a:
                assert a.pop(key) == pytest.approx(b.pop(key), rel=1e-12, abs=0), (a["name"], key)
        assert a == b  # names, kinds, counts, nulls, min, max, category counts
    assert from_csv["sample"] == from_parquet["sample"]


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_an_unclosed_quote_is_an_error_naming_its_line_not_one_huge_value(
    tmp_path: Path, suffix: str
) -> None:
    body = "id,text\n" + "".join(f'{i},"short text {i}"\n' for i in range(99)) + '99,"oops\n'
    body += "".join(f"{i},short text {i}\n" for i in range(100, 3_000))
    path = tmp_path / f"unclosed{suffix}"
    path.write_bytes(gzip.compress(body.encode()) if suffix.endswith(".gz") else body.encode())
    never_closed = r"a quote opened on line 101 is never closed, so the 2,900 lines after it were read"
    with pytest.raises(InputError, match=never_closed):
        tables(path)
    # A properly quoted multi-line value at the end of the file is data, with or without a final newline.
    for end in ("\n", ""):
        good = tmp_path / "good.csv"
        good.write_text('id,text\n1,plain\n2,"two\nlines"' + end)
        assert frame(good)["text"].tolist() == ["plain", "two\nlines"]
