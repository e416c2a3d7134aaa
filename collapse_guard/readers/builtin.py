"""Built-in readers: csv, tsv, parquet, jsonl/ndjson, json records, txt/md, and gzip variants.

Every reader yields pandas chunks (``read``, the reader contract) with these dtypes; the built-in
ones also yield the same chunks as Arrow tables (``read_tables``) for the profile builder, with
numbers as float64, booleans as bool and text as string:

- numbers (any integer, decimal or float type) arrive as ``float64`` (NaN for missing);
- booleans arrive as pandas' nullable ``boolean``;
- strings arrive as pandas' ``str`` dtype; a CSV or JSON column that mixes numbers and words arrives
  as strings (from the chunk where the mix is first seen), so that the profile reports the mix;
- nested values are flattened (``meta.source``) or, for lists, written as JSON strings;
- a column without any value arrives as ``object`` holding None (it carries no type).

CSV types are inferred from each file's first block (``read.max_line_bytes`` bytes, 32 MiB by
default) and then fixed, with two widenings so that a read never breaks half-way through: integers
become float64 (a ``1.5`` after many whole numbers is fine) and dates stay strings. When a later
value still does not fit (a word in a column of numbers), that column is read as text from there on
(the file is re-opened and the rows already yielded are skipped), so the chunks before and after
differ in dtype and the profile reports the mix, or accepts it under ``--column NAME=categorical``.

Reading is bounded: files are read in blocks, a line (or a CSV row with quoted line breaks, a text
document, a JSON record) longer than ``read.max_line_bytes`` is an error rather than a giant
allocation, and gzip input stops at ``read.max_decompressed_bytes`` or when it expands more than
``read.max_compression_ratio`` to one.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import io
import json
import os
import re
import zlib
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from ..errors import InputError
from ..hookspecs import hookimpl
from ..profile.columns import refuse_duplicate_names, shown_names
from ..profile.settings import MAX_COLUMNS

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

#: Configuration keys that raise the limits (named in error messages).
SETTING_MAX_DECOMPRESSED = "read.max_decompressed_bytes"
SETTING_MAX_RATIO = "read.max_compression_ratio"
SETTING_MAX_LINE = "read.max_line_bytes"
SETTING_MAX_COLUMNS = "read.max_columns"

# The ratio guard only looks at streams that have already produced this much, so that small,
# very repetitive files (a column of zeros) are never mistaken for bombs.
RATIO_GUARD_AFTER_BYTES = 16 * MiB

# A chunk of text documents or JSON records is flushed once it holds this many bytes, whatever
# chunk_rows says, so that chunks of long documents stay bounded too.
CHUNK_BYTE_BUDGET = 64 * MiB

TEXT_SUFFIXES = (".txt", ".md")
# cp1252, not latin1: Windows text is the usual non-UTF-8 file, and latin1 turns its dashes and
# curly quotes into invisible control characters.
ICONV_HINT = "re-save it as UTF-8, e.g. `iconv -f cp1252 -t utf-8 IN > OUT` (or its real encoding)"

# A byte-order mark at the very start names a file's encoding reliably, and for these files the
# cp1252 guess of ICONV_HINT is the wrong fix. UTF-32 comes first: its little-endian mark starts
# with UTF-16's.
UNICODE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Bounds that keep a hostile or broken file from exhausting memory or time.

    Attributes
    ----------
    max_decompressed_bytes
        Stop reading a ``.gz`` file after this many decompressed bytes (default 10 GiB).
    max_compression_ratio
        Stop reading a ``.gz`` file that expands more than this many times its compressed size
        (checked once 16 MiB have been produced; deflate's ceiling is about 1032:1, which is what
        a zero-filled bomb reaches).
    max_line_bytes
        Longest allowed line (CSV row, JSON line or record, or whole text document). Also the size
        of a CSV file's first block, the window from which its column types are inferred.
    max_columns
        Widest file read (default 10,000 columns, the profile's own cap ``MAX_COLUMNS``). A CSV
        header is counted before pyarrow opens the file: opening a 100,000-column file took
        2 s and 900 MB before a single row was read.
    """

    max_decompressed_bytes: int = 10 * GiB
    max_compression_ratio: float = 1000.0
    max_line_bytes: int = 32 * MiB
    max_columns: int = MAX_COLUMNS

    def __post_init__(self) -> None:
        if self.max_decompressed_bytes <= 0:
            raise ValueError(f"{SETTING_MAX_DECOMPRESSED} must be positive")
        if self.max_compression_ratio <= 1:
            raise ValueError(f"{SETTING_MAX_RATIO} must be greater than 1")
        if not 1 <= self.max_line_bytes < 2 * GiB:
            raise ValueError(f"{SETTING_MAX_LINE} must be between 1 byte and 2 GiB")
        if self.max_columns < 1:
            raise ValueError(f"{SETTING_MAX_COLUMNS} must be positive")


DEFAULT_LIMITS = ReadLimits()


def _size(n: float) -> str:
    for unit, scale in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= scale:
            return f"{n / scale:.4g} {unit}"
    return f"{int(n)} bytes"


def is_gzip(path: Path) -> bool:
    """True for a ``.gz`` file name (case-insensitive)."""
    return path.name.lower().endswith(".gz")


class _GuardedGzip(io.RawIOBase):
    """A gzip stream that refuses to expand past the configured limits (gzip-bomb guard)."""

    def __init__(self, path: Path, limits: ReadLimits) -> None:
        self._path = path
        self._limits = limits
        self._raw = open(path, "rb")  # noqa: SIM115 - closed in close()
        self._gz = gzip.GzipFile(fileobj=self._raw, mode="rb")
        self._produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            n = self._gz.readinto(buffer)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(
                f"{self._path}: not a valid gzip file (corrupt or truncated: {exc}); "
                "re-compress it with gzip, or drop the .gz suffix if it is not compressed"
            ) from None
        self._produced += n
        self._guard()
        return n

    def _guard(self) -> None:
        lim = self._limits
        if self._produced > lim.max_decompressed_bytes:
            raise InputError(
                f"{self._path}: decompresses to more than {_size(lim.max_decompressed_bytes)}; "
                f"if the file is genuine, raise the `{SETTING_MAX_DECOMPRESSED}` setting"
            )
        if self._produced > RATIO_GUARD_AFTER_BYTES:
            consumed = max(self._raw.tell(), 1)
            ratio = self._produced / consumed
            if ratio > lim.max_compression_ratio:
                raise InputError(
                    f"{self._path}: expands {ratio:.0f}:1 when decompressed "
                    f"({_size(self._produced)} from {_size(consumed)}), which looks like a gzip "
                    f"bomb; if the file is genuine, raise the `{SETTING_MAX_RATIO}` setting "
                    f"(now {lim.max_compression_ratio:g})"
                )

    def close(self) -> None:
        try:
            self._gz.close()
        finally:
            self._raw.close()
            super().close()


def open_binary(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> IO[bytes]:
    """Open a file for reading bytes, decompressing ``.gz`` under the limits."""
    try:
        if is_gzip(path):
            return io.BufferedReader(_GuardedGzip(path, limits), buffer_size=1 * MiB)
        return open(path, "rb")
    except OSError as exc:
        raise InputError(
            f"{path}: cannot be opened ({exc.strerror}); check the path and its permissions"
        ) from None


def _check_not_empty(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror}); check the path") from None
    if size == 0:
        raise InputError(f"{path}: the file is empty; pass a file with a header and data rows")


def _read_blocks(
    stream: IO[bytes], path: Path, limits: ReadLimits, block: int
) -> Iterator[tuple[bytes, int]]:
    """Yield (complete lines, line number of their first line), each piece at most ~block bytes.

    A line longer than ``max_line_bytes`` raises instead of growing the buffer without bound
    (``block`` must not exceed ``max_line_bytes``).
    """
    pending = b""
    line_no = 1
    first = True
    while True:
        data = stream.read(block)
        if first:
            first = False
            data = data.removeprefix(codecs.BOM_UTF8)
        if not data:
            if pending:
                yield pending, line_no
            return
        buf = pending + data
        if pending:
            # Lines inside one read are at most `block` bytes; only a line carried over from
            # earlier reads can be longer.
            end = buf.find(b"\n")
            if end > limits.max_line_bytes:
                raise _line_too_long(path, line_no, limits)
        cut = buf.rfind(b"\n")
        if cut < 0:
            if len(buf) > limits.max_line_bytes:
                raise _line_too_long(path, line_no, limits)
            pending = buf
            continue
        complete, pending = buf[: cut + 1], buf[cut + 1 :]
        if len(pending) > limits.max_line_bytes:
            raise _line_too_long(path, line_no + complete.count(b"\n"), limits)
        yield complete, line_no
        line_no += complete.count(b"\n")


def _first_line_too_long(path: Path, limits: ReadLimits) -> bool:
    try:
        with open_binary(path, limits) as stream:
            head = stream.read(limits.max_line_bytes + 1)
    except (OSError, InputError):
        return False
    return len(head) > limits.max_line_bytes and b"\n" not in head


def _line_too_long(path: Path, line_no: int, limits: ReadLimits) -> InputError:
    return InputError(
        f"{path}: line {line_no:,} is longer than {_size(limits.max_line_bytes)}; fix the line "
        f"breaks, or raise the `{SETTING_MAX_LINE}` setting if such long lines are genuine"
    )


def _bom_error(path: Path, head: bytes) -> InputError | None:
    """The error for a file that starts with a UTF-16/UTF-32 byte-order mark, else None."""
    for bom, encoding in UNICODE_BOMS:
        if head.startswith(bom):
            name = encoding.upper()
            return InputError(
                f"{path}: is {name} text (it starts with a {name} byte-order mark), not UTF-8; "
                f"re-save it as UTF-8, e.g. `iconv -f {encoding} -t utf-8 IN > OUT`"
            )
    return None


def _utf8_error(path: Path, data: bytes, exc: UnicodeDecodeError, first_line: int) -> InputError:
    # Bytes that fail at the very start of the file may be a UTF-16/32 byte-order mark.
    bom = _bom_error(path, data) if first_line == 1 and exc.start == 0 else None
    if bom is not None:
        return bom
    line = first_line + data.count(b"\n", 0, exc.start)
    bad = data[exc.start : exc.start + 4]
    return InputError(f"{path}: line {line:,} is not valid UTF-8 (bytes {bad!r}); {ICONV_HINT}")


# How many bytes of a file's start (decompressed) are sniffed for the signature of another format.
SNIFF_BYTES = 64 * KiB

# Signatures of formats that are not text, with what the file is and the fix. A file in one of
# them fails later as invalid UTF-8, and the cp1252 hint of ICONV_HINT would be the wrong fix.
# Each magic is a whole signature (bytes, or a tuple of alternatives): "BZh" or "GIF8" alone also
# start ordinary headers ("BZh_id,text").
BINARY_SIGNATURES: tuple[tuple[bytes | tuple[bytes, ...], str, str], ...] = (
    (b"PAR1", "a Parquet file", "name it .parquet"),
    (
        b"PK\x03\x04",
        "a ZIP archive (or an .xlsx/.docx workbook, which are ZIP files)",
        "unzip it, or export the sheet as CSV, and pass the data file",
    ),
    (
        tuple(b"BZh" + bytes([level]) + b"1AY&SY" for level in b"123456789"),
        "bzip2-compressed",
        "decompress it (bunzip2), or re-compress it with gzip as NAME.gz",
    ),
    (b"\xfd7zXZ\x00", "xz-compressed", "decompress it (unxz), or re-compress it with gzip as NAME.gz"),
    (
        b"\x28\xb5\x2f\xfd",
        "zstd-compressed",
        "decompress it (unzstd), or re-compress it with gzip as NAME.gz",
    ),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "extract it and pass the data file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office file (.xls/.doc)", "export the sheet as CSV"),
    (b"SQLite format 3\x00", "an SQLite database", "export the table as CSV or Parquet"),
    (b"ARROW1\x00\x00", "an Arrow IPC (Feather) file", "convert it to Parquet, e.g. with pyarrow"),
    (b"Obj\x01", "an Avro file", "convert it to Parquet or JSON Lines"),
    ((b"%PDF-1.", b"%PDF-2."), "a PDF document", "pass the data file, not a document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", "pass a data file (images are checked by `scan`)"),
    (b"\xff\xd8\xff", "a JPEG image", "pass a data file (images are checked by `scan`)"),
    ((b"GIF87a", b"GIF89a"), "a GIF image", "pass a data file (images are checked by `scan`)"),
)
GZIP_MAGIC = b"\x1f\x8b"
# Bytes that occur in text: tab, line feed, form feed, carriage return, and everything from space
# up (UTF-8 and cp1252 alike). Text has almost none of the other control bytes; binary data has
# about one in ten.
_TEXT_BYTES = bytes([9, 10, 12, 13, *range(32, 256)])


def _sniff(path: Path, head: bytes, whole: bool) -> InputError | None:
    """The error for a text file (CSV, JSON, text) whose first bytes say it is something else, or
    None: another format's signature, gzip inside gzip, UTF-16 without a byte-order mark, or NUL
    bytes. ``head`` is the (decompressed) start of the file; ``whole`` says it is all of it.

    Costs one read of at most ``SNIFF_BYTES`` per file; a wrong fix (iconv for a Parquet file,
    "line 502 has 1 fields" for UTF-16) costs the user far more.
    """
    if not head:
        return None
    bom = _bom_error(path, head)
    if bom is not None:
        return bom
    if head.startswith(GZIP_MAGIC):
        if is_gzip(path):
            return InputError(
                f"{path}: is compressed twice (gzip inside gzip); decompress it once, e.g. "
                "`gunzip -c IN > OUT.gz`, and pass that file"
            )
        return InputError(f"{path}: is gzip-compressed; add .gz to its name (e.g. {path.name}.gz)")
    for magic, what, fix in BINARY_SIGNATURES:
        if head.startswith(magic):
            return InputError(f"{path}: is {what}, not {_format_name(path)} text; {fix}")
    nuls = head.count(0)
    if nuls == 0:
        return None
    even, odd = head[0::2], head[1::2]
    for zeros, other, encoding in ((odd, even, "utf-16le"), (even, odd, "utf-16be")):
        if zeros.count(0) >= 0.3 * len(zeros) and other.count(0) <= 0.02 * len(other):
            return InputError(
                f"{path}: looks like UTF-16 text without a byte-order mark (NUL bytes in every other "
                f"position), not UTF-8; re-save it as UTF-8, e.g. `iconv -f {encoding} -t utf-8 IN > OUT`"
            )
    if is_gzip(path) and not whole:
        return None  # a stream of NUL bytes may be a gzip bomb: its guard names that better
    if nuls == len(head):
        where = "holds only" if whole else f"starts with {len(head):,}"
        return InputError(
            f"{path}: {where} NUL bytes (zero-filled or binary data), not text; pass the real data file"
        )
    # A run of NUL bytes at the end is a zero-filled (or sparse) tail; what comes before it
    # decides, and a line that runs on into it is reported as too long.
    text = head.rstrip(b"\0")
    controls = len(text.translate(None, _TEXT_BYTES))  # NUL and other control bytes
    if controls >= len(text) / 20:
        return InputError(
            f"{path}: is binary, not text ({controls:,} control bytes, NUL among them, in its first "
            f"{len(head):,}); pass the data file itself, in the format its name says"
        )
    return None


def _format_name(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    return name.rsplit(".", 1)[-1].upper() if "." in name else "data"


def _check_head(path: Path, limits: ReadLimits) -> bytes:
    """Raise the ``_sniff`` error for the start of ``path``, if any; else return that start."""
    with open_binary(path, limits) as stream:
        head = stream.read(SNIFF_BYTES + 1)
    _refuse_if_not_text(path, head)
    return head


def _refuse_if_not_text(path: Path, data: bytes) -> None:
    """Raise the ``_sniff`` error for ``data``, the start of ``path`` (all of it when it is no
    longer than ``SNIFF_BYTES``)."""
    error = _sniff(path, data[:SNIFF_BYTES], whole=len(data) <= SNIFF_BYTES)
    if error is not None:
        raise error


def _check_table_width(path: Path, width: int, limits: ReadLimits) -> None:
    if width > limits.max_columns:
        raise InputError(
            f"{path}: has {width:,} columns, more than the {limits.max_columns:,} collapse-guard "
            "reads; select the columns you need into a narrower file, or raise the "
            f"`{SETTING_MAX_COLUMNS}` setting if such wide tables are genuine"
        )


# --------------------------------------------------------------------------------------------
# Arrow -> pandas with consistent dtypes


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def normalize_table(table: pa.Table, path: Path) -> pa.Table:
    """Give an Arrow table the dtypes every reader promises (see the module docstring)."""
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    names = table.column_names
    refuse_duplicate_names(names, path)
    columns: list[pa.ChunkedArray] = []
    for name, col in zip(names, table.columns, strict=True):
        columns.append(_normalize_column(col, name, path))
    return pa.table(columns, names=names)


def _normalize_column(col: pa.ChunkedArray, name: str, path: Path) -> pa.ChunkedArray:
    t = col.type
    if pa.types.is_dictionary(t):
        col = col.cast(t.value_type)
        t = col.type
    if pa.types.is_integer(t) or pa.types.is_decimal(t) or pa.types.is_floating(t):
        if t != pa.float64():
            col = col.cast(pa.float64(), safe=False)
        return col
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return col.cast(pa.string())
    if pa.types.is_date(t) or pa.types.is_time(t):
        return col.cast(pa.string())
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        try:
            return col.cast(pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            # iconv cannot fix a column inside a Parquet file, so the hint is for its writer.
            raise InputError(
                f"{path}: column {name!r} holds binary values that are not UTF-8 text (raw bytes, "
                "or text in another encoding); drop the column, or write it as UTF-8 strings "
                "where the file is made"
            ) from None
    if (
        pa.types.is_list(t)
        or pa.types.is_large_list(t)
        or pa.types.is_fixed_size_list(t)
        or pa.types.is_map(t)
    ):
        return pa.chunked_array([pa.array([_json_text(v) for v in col.to_pylist()], pa.string())])
    return col


def _bool_mapper(t: pa.DataType) -> Any:
    return pd.BooleanDtype() if t == pa.bool_() else None


# --------------------------------------------------------------------------------------------
# Readers


class BuiltinReader:
    """Base class: ``name``, ``suffixes``, ``read(path, chunk_rows, limits=None)``."""

    name: str = ""
    suffixes: tuple[str, ...] = ()
    description: str = ""
    #: iter_chunks passes configured ReadLimits only to readers that say they accept them.
    supports_limits = True

    def read(self, path: Path, chunk_rows: int, limits: ReadLimits | None = None) -> Iterator[pd.DataFrame]:
        """Chunks as pandas frames with the dtypes the module docstring promises."""
        for table in self.read_tables(path, chunk_rows, limits):
            yield table.to_pandas(types_mapper=_bool_mapper)

    def read_tables(
        self, path: Path, chunk_rows: int, limits: ReadLimits | None = None
    ) -> Iterator[pa.Table]:
        """The same chunks as normalised Arrow tables (``normalize_table``), before pandas.

        The profile builder takes these directly: converting a million rows of strings to Python
        objects costs more time and memory than everything it then computes from them.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<reader {self.name} {', '.join(self.suffixes)}>"


def _gz(suffixes: Sequence[str]) -> tuple[str, ...]:
    return (*suffixes, *(s + ".gz" for s in suffixes))


# pyarrow's streaming CSV reader reads up to 32 blocks ahead in a background thread (Arrow's
# default, not configurable), so the block size sets how many raw bytes a read holds: 32 MiB at
# 1 MiB blocks, 128 MiB at 4 MiB. Blocks grow only when a long row needs it (_grown_block).
CSV_STREAM_BLOCK = 1 * MiB

# pyarrow's batches follow its blocks (about 5,000 rows of 12 columns at 1 MiB), small for the
# profile builder, which pays a fixed cost per chunk. They are joined into chunks of this many
# rows, the Parquet reader's batch size, so that a CSV file and the same data as Parquet arrive in
# the same chunks and profile alike.
CSV_CHUNK_ROWS = 65_536


class _CappedStream(io.RawIOBase):
    """The first ``cap`` bytes of a binary stream, then end of file."""

    def __init__(self, stream: IO[bytes], cap: int) -> None:
        self._stream = stream
        self._left = cap

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(min(len(buffer), self._left))
        buffer[: len(data)] = data
        self._left -= len(data)
        return len(data)


class _WholeCRLF(io.RawIOBase):
    """A binary stream whose reads end in a carriage return only at the end of the file.

    pyarrow takes each read as a block, and drops the line feed of a CR LF inside a quoted value
    when two blocks split the pair (apache/arrow#51368, open for pyarrow 26): the value silently
    loses a byte. Holding a trailing CR back for the next read keeps every pair in one block.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._held = b""
        self.tail = b""  # the last bytes read, for _unclosed_quote

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._held + self._stream.read(len(buffer) - len(self._held))
        self._held = b""
        if len(data) > 1 and data.endswith(b"\r"):
            data, self._held = data[:-1], b"\r"
        buffer[: len(data)] = data
        if data:
            self.tail = (self.tail + data[-64:])[-64:]
        return len(data)

    def close(self) -> None:
        try:
            self._stream.close()
        finally:
            super().close()


def _unclosed_quote(
    path: Path, last: pa.Table | None, source: _WholeCRLF, limits: ReadLimits
) -> InputError | None:
    """The error for a file that ends inside a quoted value, or None.

    pyarrow reads everything after an unclosed quote as one value up to the end of the file and
    says nothing: thousands of rows would silently become one. A last row whose last value holds
    a line break is how that looks; a value quoted properly would make the file end in a quote.
    """
    if last is None or last.num_rows == 0 or last.num_columns == 0:
        return None
    column = last.column(last.num_columns - 1)
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        return None
    value = column[last.num_rows - 1].as_py()
    if value is None or "\n" not in value or source.tail.rstrip(b"\r\n").endswith(b'"'):
        return None
    lines = value.rstrip("\r\n").count("\n")  # line breaks inside; pyarrow may keep the last one
    # Counted only now, reading the file again: the line number is needed on this path alone.
    with open_binary(path, limits) as stream:
        newlines = sum(block.count(b"\n") for block in iter(lambda: stream.read(MiB), b""))
    start = newlines - lines + (0 if source.tail.endswith(b"\n") else 1)
    return InputError(
        f"{path}: a quote opened on line {start:,} is never closed, so the {lines:,} "
        f"line{'' if lines == 1 else 's'} after it {'was' if lines == 1 else 'were'} "
        f"read as one value of column {last.column_names[-1]!r}; close the quote, or double a "
        'quote that is part of a value ("")'
    )


def _straddles(exc: Exception) -> bool:
    """True for pyarrow's error for a row that does not end within the next block."""
    text = str(exc)
    return "straddling" in text or "straddles" in text


def _longest_row(path: Path, limits: ReadLimits, delimiter: str) -> tuple[int, int]:
    """(bytes, first line) of the longest CSV row, quoted line breaks included.

    Stops at the first row longer than ``max_line_bytes`` without reading more of it; a single
    line longer than that raises (``_read_blocks``), so memory stays bounded by the limit.
    """
    csv.field_size_limit(min(limits.max_line_bytes, 2**31 - 1))
    consumed = 0  # bytes handed to the csv module so far
    newlines = 0  # of which line breaks, for line numbers that count "\n" as every message does
    row_start = 0

    def lines() -> Generator[str, None, None]:
        nonlocal consumed, newlines
        block = min(CSV_STREAM_BLOCK, limits.max_line_bytes)
        with open_binary(path, limits) as stream:
            for data, _ in _read_blocks(stream, path, limits, block):
                for line in data.splitlines(keepends=True):
                    consumed += len(line)
                    newlines += line.endswith(b"\n")
                    if consumed - row_start > limits.max_line_bytes:
                        return  # the csv module ends the row here; it is too long already
                    # Only the sizes matter here: bad UTF-8 is reported by the read itself.
                    yield line.decode("utf-8", "replace")

    longest = (0, 1)
    start_line = 1
    source = lines()
    # A malformed row ends the scan early (csv.Error): the read that follows names its line.
    with contextlib.closing(source), contextlib.suppress(csv.Error):
        for _ in csv.reader(source, delimiter=delimiter):
            if consumed - row_start > longest[0]:
                longest = (consumed - row_start, start_line)
                if longest[0] > limits.max_line_bytes:
                    break
            row_start, start_line = consumed, newlines + 1
    if consumed - row_start > longest[0]:  # the row the csv module failed on
        longest = (consumed - row_start, start_line)
    return longest


def _row_too_long(path: Path, line_no: int, limits: ReadLimits) -> InputError:
    return InputError(
        f"{path}: the row starting at line {line_no:,} is longer than {_size(limits.max_line_bytes)}; "
        "fix the quoting (an unclosed quote runs on to the end of the file), or raise the "
        f"`{SETTING_MAX_LINE}` setting if such long rows are genuine"
    )


def _rechunk(reader: pacsv.CSVStreamingReader, skip: int, rows: int) -> Iterator[pa.Table]:
    """The reader's batches, less the first ``skip`` rows, as tables of ``rows`` rows (the last
    may be shorter).

    When the reader fails (a value that does not fit its column's type, a malformed or too long
    row), the rows before the failing block are yielded first and the error is raised after them,
    so that a retry resumes at that block and a retyped column switches to text there.
    """
    held: list[pa.RecordBatch] = []
    count = 0
    failure: pa.ArrowInvalid | None = None
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        except pa.ArrowInvalid as exc:
            failure = exc
            break
        if skip >= batch.num_rows:
            skip -= batch.num_rows
            continue
        held.append(batch.slice(skip))
        count += batch.num_rows - skip
        skip = 0
        while count >= rows:
            table = pa.Table.from_batches(held)
            yield table.slice(0, rows)
            rest = table.slice(rows)
            held, count = rest.to_batches(), rest.num_rows
    if count:
        yield pa.Table.from_batches(held)
    if failure is not None:
        raise failure


# pyarrow's default null strings (pandas' read_csv has the same, plus "<NA>", "None"): a CSV
# value, quoted or not, that is exactly one of these is a missing value, in every column.
CSV_NULL_VALUES = (
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null",
)  # fmt: skip


class CsvReader(BuiltinReader):
    """Comma- or tab-separated files through pyarrow's streaming CSV reader.

    Missing values: an empty field, and a field that is exactly one of ``CSV_NULL_VALUES`` (``NA``,
    ``N/A``, ``n/a``, ``#N/A``, ``NULL``, ``null``, ``NaN``, ``nan``, ...: pyarrow's
    default list, the same as pandas'), is read as missing, in text columns too: a category
    spelled ``NA`` (Namibia, "not applicable") counts as a missing value, not as a category.
    """

    def __init__(self, name: str, delimiter: str, suffixes: Sequence[str]) -> None:
        self.name = name
        self.delimiter = delimiter
        self.suffixes = _gz(suffixes)
        self.description = (
            f"{'tab' if delimiter == chr(9) else 'comma'}-separated values with a header row; empty "
            "fields and NA, N/A, n/a, #N/A, NULL, null, NaN, nan are missing values"
        )

    def _open(
        self,
        source: Any,
        column_types: dict[str, pa.DataType] | None,
        block_size: int,
        use_threads: bool,
    ) -> pacsv.CSVStreamingReader:
        return pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(block_size=block_size, use_threads=use_threads),
            parse_options=pacsv.ParseOptions(delimiter=self.delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=column_types, timestamp_parsers=[], strings_can_be_null=True
            ),
        )

    def read_tables(
        self, path: Path, chunk_rows: int, limits: ReadLimits | None = None
    ) -> Iterator[pa.Table]:
        limits = limits or DEFAULT_LIMITS
        if not is_gzip(path):
            _check_not_empty(path)
        head = _check_head(path, limits)
        self._check_width(path, limits, head)
        rows = 0
        names: list[str] = []
        try:
            schema = self._infer_schema(path, limits)
            names = schema.names
            types = self._fixed_types(schema, path, limits)
            block = min(limits.max_line_bytes, CSV_STREAM_BLOCK)
            # Every retry either turns a column into text or grows the block, so this ends.
            while True:
                try:
                    with _WholeCRLF(open_binary(path, limits)) as source:
                        reader = self._open(source, types, block, use_threads=True)
                        last: pa.Table | None = None
                        for table in _rechunk(reader, rows, min(chunk_rows, CSV_CHUNK_ROWS)):
                            yield normalize_table(table, path)
                            rows += table.num_rows
                            last = table
                        # After the last chunk: the run fails, so nothing read is kept.
                        unclosed = _unclosed_quote(path, last, source, limits)
                        if unclosed is not None:
                            raise unclosed
                    break
                except pa.ArrowInvalid as exc:
                    if _straddles(exc):
                        block = self._grown_block(path, limits, block, exc)
                    else:
                        types = _retyped(exc, names, types)
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            # A header that is not UTF-8 fails in pyarrow's schema.names, not as ArrowInvalid.
            raise self._explain(path, limits, exc, rows) from None
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc}); check the file") from None
        if rows == 0:
            raise InputError(
                f"{path}: has a header ({shown_names(names)}) but no data rows; pass a file with data"
            )

    def _check_width(self, path: Path, limits: ReadLimits, head: bytes) -> None:
        """Refuse a header wider than ``max_columns`` before pyarrow opens the file, which costs
        about 9 KB and 20 us per column before any row is read.

        Separators are counted in the first line (usually within ``head``; a longer header is read
        on, at most ``max_line_bytes``); only when they exceed the cap is the line parsed, so that
        separators inside quoted names are not counted.
        """
        sep = self.delimiter.encode()
        line = head
        if b"\n" not in head and len(head) > SNIFF_BYTES:
            parts: list[bytes] = []
            size = 0
            with open_binary(path, limits) as stream:
                while size <= limits.max_line_bytes:
                    part = stream.read(MiB)
                    parts.append(part)
                    size += len(part)
                    if not part or b"\n" in part:
                        break
            line = b"".join(parts)
        line = line.split(b"\n", 1)[0]
        if line.count(sep) < limits.max_columns:
            return
        text = line.decode("utf-8", "replace").removeprefix("\ufeff")
        csv.field_size_limit(min(limits.max_line_bytes, 2**31 - 1))
        _check_table_width(path, len(next(csv.reader([text], delimiter=self.delimiter), [])), limits)

    def _infer_schema(self, path: Path, limits: ReadLimits) -> pa.Schema:
        """Column types from the first block (``max_line_bytes`` bytes), reading ~2 blocks at most.

        Opening the whole file would let pyarrow's read-ahead buffer up to 32 blocks (1 GiB at
        the default 32 MiB; all of a 180 MB file) only to learn the schema. Capped at two blocks
        and a byte, the first block is not the last and its last row may run on into a full
        second block, exactly as in an uncapped read; a row that does not end there fails as it
        would there. Without threads, pyarrow converts no block after the first.
        """
        with open_binary(path, limits) as stream:
            capped = _CappedStream(stream, 2 * limits.max_line_bytes + 1)
            # Buffered, so that every read returns a whole block: pyarrow takes a short read as
            # a short block, which would shrink the inference window.
            source = io.BufferedReader(capped, buffer_size=1 * MiB)
            reader = self._open(source, None, limits.max_line_bytes, use_threads=False)
            try:
                return reader.schema
            finally:
                reader.close()

    def _grown_block(self, path: Path, limits: ReadLimits, block: int, exc: pa.ArrowInvalid) -> int:
        """The block size for a file with a row longer than ``block`` (its remainder did not fit
        the next block), found by one scan that sizes the longest row.

        The scan, not Arrow, enforces ``max_line_bytes`` on rows: a row of many short quoted lines
        is as long as one line, and pyarrow reads dozens of blocks ahead, so growing the block
        until it fits would hold far more than the limit.
        """
        longest, line_no = _longest_row(path, limits, self.delimiter)
        if longest > limits.max_line_bytes:
            raise _row_too_long(path, line_no, limits) from None
        if block >= limits.max_line_bytes:
            raise exc
        # At least double, so that retries end even if pyarrow needs more than the row's size.
        grown = max(1 << (longest - 1).bit_length(), 2 * block)
        return min(grown, limits.max_line_bytes)

    def _fixed_types(self, schema: pa.Schema, path: Path, limits: ReadLimits) -> dict[str, pa.DataType]:
        """Column types to force so that later blocks cannot contradict the first one."""
        fixed: dict[str, pa.DataType] = {}
        for f in schema:
            t = f.type
            if pa.types.is_binary(t) or pa.types.is_large_binary(t):
                raise self._explain(path, limits, pa.ArrowInvalid("invalid UTF8"), 0)
            if pa.types.is_integer(t) or pa.types.is_decimal(t):
                fixed[f.name] = pa.float64()
            elif pa.types.is_null(t) or pa.types.is_temporal(t):
                fixed[f.name] = pa.string()
        return {f.name: fixed.get(f.name, f.type) for f in schema}

    def _explain(
        self,
        path: Path,
        limits: ReadLimits,
        exc: Exception,
        rows: int,
    ) -> InputError:
        """Turn an Arrow error into one line with the line number, found by a slow re-scan."""
        text = str(exc)
        if "Empty CSV file" in text:
            if _first_line_too_long(path, limits):  # Arrow's block then holds no whole line
                return _line_too_long(path, 1, limits)
            return InputError(f"{path}: the file is empty; pass a file with a header and data rows")
        if _straddles(exc):
            return InputError(
                f"{path}: a line after data row {rows:,} is longer than "
                f"{_size(limits.max_line_bytes)}; fix the line breaks or quoting, or raise the "
                f"`{SETTING_MAX_LINE}` setting if such long lines are genuine"
            )
        located = _locate_csv_problem(path, limits, self.delimiter)
        if located is not None:
            return located
        return InputError(
            f"{path}: cannot be parsed as {self.name.upper()} after data row {rows:,} ({text}); fix the file"
        )


def _retyped(
    exc: pa.ArrowInvalid, names: Sequence[str], types: dict[str, pa.DataType]
) -> dict[str, pa.DataType]:
    """``types`` with the column that failed to convert read as text, or ``exc`` raised again.

    A later value does not fit the type inferred from the first block (a word in a column of
    numbers): the column is read as text from there on and the profile judges the mix. Rows
    already yielded are skipped on the re-read.
    """
    column = _conversion_column(exc, names)
    if column is None or types[column] == pa.string():
        raise exc
    return {**types, column: pa.string()}


def _conversion_column(exc: Exception, names: Sequence[str]) -> str | None:
    """The column named by an Arrow 'In CSV column #k: CSV conversion error' message."""
    match = re.search(r"In CSV column #(\d+): CSV conversion error", str(exc))
    if match is None or int(match.group(1)) >= len(names):
        return None
    return names[int(match.group(1))]


def _locate_csv_problem(path: Path, limits: ReadLimits, delimiter: str) -> InputError | None:
    """Re-read a CSV with the csv module (error path only) to name the offending line."""
    with open_binary(path, limits) as stream:
        for data, first in _read_blocks(stream, path, limits, min(4 * MiB, limits.max_line_bytes)):
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                return _utf8_error(path, data, exc, first)
    csv.field_size_limit(min(limits.max_line_bytes, 2**31 - 1))
    sep = "tabs" if delimiter == "\t" else "commas"
    with open_binary(path, limits) as stream:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        reader = csv.reader(text, delimiter=delimiter, strict=True)
        try:
            header = next(reader)
            width = len(header)
            for row in reader:
                if row and len(row) != width:
                    return InputError(
                        f"{path}: line {reader.line_num:,} has {len(row)} fields where the header "
                        f"has {width}; fix that line (quote fields that contain {sep})"
                    )
        except StopIteration:
            return None
        except csv.Error as exc:
            return InputError(f"{path}: line {reader.line_num:,} is malformed ({exc}); fix that line")
    return None


PARQUET_BATCH_ROWS = 65_536
PARQUET_BUFFER_BYTES = 64 * 1024


class ParquetReader(BuiltinReader):
    """Parquet files, one record batch of at most ``chunk_rows`` rows at a time."""

    name = "parquet"
    suffixes = (".parquet", ".pq")
    description = "Apache Parquet (read by row groups, in batches)"

    def read_tables(
        self, path: Path, chunk_rows: int, limits: ReadLimits | None = None
    ) -> Iterator[pa.Table]:
        _check_not_empty(path)
        try:
            # Buffered column reads without pre-buffering: memory follows the batch, not the
            # row group (a 1M-row row group otherwise stays decoded-in-waiting in Arrow's pool).
            # 64 KiB buffers, not 1 MiB: 10 MiB less peak for 12 columns, the same speed.
            pf = pq.ParquetFile(path, buffer_size=PARQUET_BUFFER_BYTES, pre_buffer=False)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(
                f"{path}: not a readable Parquet file, probably truncated or corrupt ({exc}); "
                "re-export or re-download it"
            ) from None
        _check_table_width(path, len(pf.schema_arrow.names), limits or DEFAULT_LIMITS)
        if pf.metadata.num_rows == 0:
            raise InputError(
                f"{path}: has columns ({shown_names(pf.schema_arrow.names)}) but no data rows; "
                "pass a file with data"
            )
        try:
            # One decoding thread: on a busy machine Arrow's column threads cost more than they
            # save (0.20 s against 0.10 s for a 1M-row file here), and each holds its own pages.
            # At most 65,536 rows a batch: against 100,000, 13 MiB less peak for the same time
            # (measured on the 1M-row speed benchmark; smaller batches cost the builder time).
            batch_rows = min(chunk_rows, PARQUET_BATCH_ROWS)
            for batch in pf.iter_batches(batch_size=batch_rows, use_threads=False):
                yield normalize_table(pa.Table.from_batches([batch]), path)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(
                f"{path}: a row group cannot be read, probably truncated or corrupt ({exc}); "
                "re-export or re-download it"
            ) from None


def _records_to_table(records: list[Any], path: Path, first_line: int) -> pa.Table:
    """Python records -> Arrow, turning columns that mix types into strings."""
    keys: dict[str, None] = {}
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise InputError(
                f"{path}: record {first_line + i:,} is {_json_type(rec)}, not an object; "
                'every record must be {"column": value, ...}'
            )
        keys.update(dict.fromkeys(rec))
    arrays = []
    try:
        for key in keys:
            values = [rec.get(key) for rec in records]
            try:
                arrays.append(pa.array(values))
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                arrays.append(
                    pa.array(
                        [v if isinstance(v, str) or v is None else _json_text(v) for v in values],
                        pa.string(),
                    )
                )
    except UnicodeEncodeError:
        raise _surrogate_error(path, records, first_line) from None
    return pa.table(arrays, names=list(keys))


def _surrogate_error(path: Path, records: list[Any], first: int) -> InputError:
    """The error for records one of which holds a string with an unpaired surrogate."""
    index = next((i for i, rec in enumerate(records) if _lone_surrogate(rec)), 0)
    return _surrogate_at(path, f"record {first + index:,}")


def _surrogate_at(path: Path, where: str) -> InputError:
    return InputError(
        f"{path}: {where} holds a lone UTF-16 surrogate escape (\\ud800-\\udfff without its "
        "pair), which is not a character; fix or remove that escape"
    )


# Records nested deeper than this never reach pyarrow's JSON parser, which recurses without a
# limit (a 40 KB line of 20,000 nested arrays crashed the process): Python's parser takes them and
# refuses what it cannot hold with a line number.
JSON_MAX_FAST_DEPTH = 8_000


def _may_nest_deeper(data: bytes, limit: int) -> bool:
    """Whether a line of ``data`` may nest a value more than ``limit`` levels deep.

    Brackets inside strings count too, so this can say yes for shallow data (which then takes the
    slower, safe parser) but never no for deep data. Only lines longer than ``limit`` bytes can
    nest that deep; their brackets are counted, and only a line with more than ``limit`` opening
    brackets is scanned for its depth.
    """
    if len(data) <= limit:
        return False
    raw = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(raw == ord("\n"))
    starts = np.concatenate(([0], newlines + 1))
    stops = np.concatenate((newlines, [raw.size]))
    long = stops - starts > limit
    for start, stop in zip(starts[long].tolist(), stops[long].tolist(), strict=True):
        opens = data.count(b"[", start, stop) + data.count(b"{", start, stop)
        if opens > limit and _max_depth(raw[start:stop]) > limit:
            return True
    return False


def _max_depth(line: np.ndarray) -> int:
    """The deepest running count of open brackets in one line, a slice at a time (bounded memory)."""
    depth = deepest = 0
    for start in range(0, line.size, MiB):
        # "[" and "{" become 0x7B, "]" and "}" 0x7D under | 0x20, and no other byte does.
        folded = line[start : start + MiB] | 0x20
        running = np.cumsum((folded == 0x7B).astype(np.int32) - (folded == 0x7D)) + depth
        deepest = max(deepest, int(running.max()))
        depth = int(running[-1])
    return deepest


def _too_deep(path: Path, where: str) -> str:
    return (
        f"{path}: {where} is nested too deeply to read (nearly 1,000 levels of arrays or objects); "
        "flatten those records before checking them"
    )


# A line that is only `null`: pyarrow's fast path would read it as a row of missing values.
_NULL_LINE_AFTER_NEWLINE = re.compile(rb"\n[ \t\r]*null[ \t\r]*(?:\n|\Z)")
_NULL_FIRST_LINE = re.compile(rb"[ \t\r]*null[ \t\r]*(?:\n|\Z)")
# A JSON escape in the surrogate range (\ud800-\udfff): only its pair makes a character.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def _has_null_line(data: bytes) -> bool:
    """Whether a line of ``data`` is a bare JSON ``null``. The pattern starts with a newline, so
    the regex engine jumps from newline to newline instead of trying every byte."""
    return bool(_NULL_FIRST_LINE.match(data) or _NULL_LINE_AFTER_NEWLINE.search(data))


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads`` object hook that refuses a key given twice (``dict`` keeps the last)."""
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return record


def _lone_surrogate(value: Any) -> bool:
    """Whether a decoded JSON value holds a string with an unpaired surrogate."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _json_type(value: Any) -> str:
    """How JSON names the type of a decoded value, with its article."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a JSON boolean)"
    if isinstance(value, (int, float)):
        return "a JSON number"
    if isinstance(value, str):
        return "a JSON string"
    if isinstance(value, list):
        return "a JSON array"
    return f"a JSON {type(value).__name__}"


class JsonLinesReader(BuiltinReader):
    """One JSON object per line, parsed by pyarrow a block of lines at a time.

    Blank lines are skipped. A line that is not an object (``null``, a number, a string, an
    array) is an error with its line number, and so is an object with the same key twice
    (pyarrow refuses it; the line-by-line parser that then names the line checks every key).
    """

    name = "jsonl"
    suffixes = _gz((".jsonl", ".ndjson"))
    description = "JSON Lines / NDJSON: one JSON object per line"

    def read_tables(
        self, path: Path, chunk_rows: int, limits: ReadLimits | None = None
    ) -> Iterator[pa.Table]:
        limits = limits or DEFAULT_LIMITS
        if not is_gzip(path):
            _check_not_empty(path)
        _check_head(path, limits)
        columns: list[str] | None = None
        rows = 0
        block = min(limits.max_line_bytes, 16 * MiB)
        with open_binary(path, limits) as stream:
            for data, first_line in _read_blocks(stream, path, limits, block):
                try:
                    data.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise _utf8_error(path, data, exc, first_line) from None
                table = self._parse(data, path, first_line)
                if table.num_rows == 0:
                    continue
                names = table.column_names
                if columns is None:
                    _check_table_width(path, len(names), limits)
                    columns = names
                elif names != columns:
                    table = self._align(table, columns, path, first_line)
                table = normalize_table(table, path)
                for start in range(0, table.num_rows, chunk_rows):
                    yield table.slice(start, chunk_rows)
                rows += table.num_rows
        if rows == 0:
            raise InputError(f"{path}: holds no JSON records; pass a file with one object per line")

    @staticmethod
    def _parse(data: bytes, path: Path, first_line: int) -> pa.Table:
        # pyarrow reads a line holding `null` as a row of missing values; the slow path refuses
        # it as it refuses `42`. A search from newline to newline in C: about 1 ms per MiB.
        if not _may_nest_deeper(data, JSON_MAX_FAST_DEPTH) and not _has_null_line(data):
            try:
                return pajson.read_json(
                    pa.BufferReader(data), read_options=pajson.ReadOptions(block_size=len(data) + 1)
                )
            except pa.ArrowInvalid:
                pass  # mixed types, a duplicate key or a bad line: the slow path below says which
        records: list[Any] = []
        for i, line in enumerate(data.split(b"\n")):
            if not line.strip():
                continue
            where = f"line {first_line + i:,}"
            try:
                records.append(json.loads(line, object_pairs_hook=_unique_keys))
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}: {where} is not valid JSON ({exc.msg}); fix that line") from None
            except RecursionError:
                raise InputError(_too_deep(path, where)) from None
            except _DuplicateKeyError as exc:
                raise InputError(
                    f"{path}: {where} has the key {exc.key!r} twice in one object; keep one of them "
                    "(a JSON reader would silently drop the other)"
                ) from None
            if not isinstance(records[-1], dict):
                raise InputError(
                    f"{path}: {where} is {_json_type(records[-1])}, not an object; every line must be "
                    'one {"column": value, ...} record'
                )
            if _SURROGATE_ESCAPE.search(line) and _lone_surrogate(records[-1]):
                raise _surrogate_at(path, where)
        return _records_to_table(records, path, first_line)

    @staticmethod
    def _align(table: pa.Table, columns: list[str], path: Path, first_line: int) -> pa.Table:
        new = [c for c in table.column_names if c not in columns]
        if new:
            raise InputError(
                f"{path}: field(s) {shown_names(new)} first appear near line {first_line:,}, after records "
                f"without them; add them (as null) to the first record, or drop them"
            )
        missing = [c for c in columns if c not in table.column_names]
        for name in missing:
            table = table.append_column(name, pa.nulls(table.num_rows))
        return table.select(columns)


class JsonRecordsReader(BuiltinReader):
    """A JSON array of objects, decoded incrementally so that memory stays bounded.

    Decoded by Python's ``json`` module: an object with the same key twice keeps the last value
    (as ``json.loads`` does), without an error. Use JSON Lines to have duplicate keys refused.
    """

    name = "json"
    suffixes = _gz((".json",))
    description = "JSON array of records: [{...}, {...}] (a key given twice keeps its last value)"

    def read_tables(
        self, path: Path, chunk_rows: int, limits: ReadLimits | None = None
    ) -> Iterator[pa.Table]:
        limits = limits or DEFAULT_LIMITS
        if not is_gzip(path):
            _check_not_empty(path)
        _check_head(path, limits)
        columns: list[str] | None = None
        rows = 0
        for records, first in self._records(path, limits, chunk_rows):
            table = _records_to_table(records, path, first)
            if columns is None:
                _check_table_width(path, table.num_columns, limits)
                columns = table.column_names
            elif table.column_names != columns:
                table = JsonLinesReader._align(table, columns, path, first)
            yield normalize_table(table, path)
            rows += table.num_rows
        if rows == 0:
            raise InputError(f"{path}: the JSON array holds no records; pass a file with data")

    def _records(self, path: Path, limits: ReadLimits, chunk_rows: int) -> Iterator[tuple[list[Any], int]]:
        decoder = json.JSONDecoder()
        incremental = codecs.getincrementaldecoder("utf-8-sig")()
        buf = ""
        pos = 0
        eof = False
        consumed_lines = 1
        index = 1
        start_index = 1
        at_start = True
        stream = open_binary(path, limits)

        def more() -> bool:
            nonlocal buf, pos, eof, consumed_lines, at_start
            raw = stream.read(4 * MiB)
            try:
                text = incremental.decode(raw, final=not raw)
            except UnicodeDecodeError as exc:
                bom = _bom_error(path, raw) if at_start else None
                if bom is not None:
                    raise bom from None
                raise InputError(
                    f"{path}: not valid UTF-8 near line {consumed_lines + buf.count(chr(10)):,} "
                    f"(bytes {raw[exc.start : exc.start + 4]!r}); {ICONV_HINT}"
                ) from None
            at_start = False
            consumed_lines += buf.count("\n", 0, pos)
            buf = buf[pos:] + text
            pos = 0
            eof = not raw
            return bool(raw)

        def skip_ws() -> str:
            nonlocal pos
            while True:
                while pos < len(buf) and buf[pos] in " \t\r\n":
                    pos += 1
                if pos < len(buf):
                    return buf[pos]
                if not more():
                    return ""

        def line() -> int:
            return consumed_lines + buf.count("\n", 0, pos)

        with stream:
            more()
            first = skip_ws()
            if first == "":
                raise InputError(f"{path}: the file is empty; pass a JSON array of records")
            if first == "{" and '"collapse-guard-profile"' in buf[pos : pos + 200]:
                raise InputError(
                    f"{path}: is a collapse-guard reference file, not data; pass it after "
                    "-r/--reference and the data files before"
                )
            if first != "[":
                raise InputError(
                    f"{path}: expected a JSON array of records ([{{...}}, ...]) but the file "
                    f"starts with {first!r}; for one object per line, name it .jsonl"
                )
            pos += 1
            records: list[Any] = []
            held = 0
            expect_value = True
            while True:
                c = skip_ws()
                if c == "":
                    raise InputError(
                        f"{path}: the JSON array is not closed (truncated at line {line():,}); "
                        "re-export the file"
                    )
                if c == "]" and (not expect_value or index == 1):
                    pos += 1
                    break
                if not expect_value:
                    if c != ",":
                        raise InputError(
                            f"{path}: expected ',' or ']' at line {line():,} but found {c!r}; fix the JSON"
                        )
                    pos += 1
                    expect_value = True
                    continue
                while True:
                    try:
                        value, end = decoder.raw_decode(buf, pos)
                        break
                    except RecursionError:
                        raise InputError(_too_deep(path, f"record {index:,} at line {line():,}")) from None
                    except json.JSONDecodeError as exc:
                        # A record cut by the read boundary fails at the buffer's end (or in an
                        # unterminated string); anything else is malformed JSON.
                        cut = exc.pos >= len(buf) - 1 or exc.msg.startswith("Unterminated")
                        if not cut or eof:
                            raise InputError(
                                f"{path}: record {index:,} at line {line():,} is not valid JSON "
                                f"({exc.msg}); fix the JSON"
                            ) from None
                        if len(buf) - pos > limits.max_line_bytes:
                            raise InputError(
                                f"{path}: record {index:,} (line {line():,}) is longer than "
                                f"{_size(limits.max_line_bytes)}; raise the `{SETTING_MAX_LINE}` "
                                "setting if such records are genuine"
                            ) from None
                        if eof or not more():
                            raise InputError(
                                f"{path}: record {index:,} at line {line():,} is not valid JSON "
                                f"({exc.msg}); fix the JSON"
                            ) from None
                if end - pos > limits.max_line_bytes:
                    raise InputError(
                        f"{path}: record {index:,} (line {line():,}) is longer than "
                        f"{_size(limits.max_line_bytes)}; raise the `{SETTING_MAX_LINE}` "
                        "setting if such records are genuine"
                    )
                held += end - pos
                pos = end
                records.append(value)
                index += 1
                expect_value = False
                if len(records) >= chunk_rows or held >= CHUNK_BYTE_BUDGET:
                    yield records, start_index
                    start_index, records, held = index, [], 0
            if records:
                yield records, start_index
            if skip_ws() != "":
                raise InputError(
                    f"{path}: unexpected data after the JSON array at line {line():,}; "
                    "the file must hold exactly one array"
                )


class TextReader(BuiltinReader):
    """Plain-text documents: one document per ``.txt``/``.md`` file, in one column ``text``.

    Given a folder, reads every text file under it (sorted by relative path, hidden files
    skipped); given a file, that file is one document.
    """

    name = "text"
    suffixes = _gz(TEXT_SUFFIXES)
    description = "text documents (.txt/.md): one document per file, column `text`"
    column = "text"

    def read(self, path: Path, chunk_rows: int, limits: ReadLimits | None = None) -> Iterator[pd.DataFrame]:
        limits = limits or DEFAULT_LIMITS
        if path.is_dir():
            files = text_files(path)
            if not files:
                raise InputError(f"{path}: holds no .txt or .md files; pass a folder of documents")
        else:
            if not is_gzip(path):
                _check_not_empty(path)
            files = [path]
        docs: list[str] = []
        held = 0
        for file in files:
            doc = read_document(file, limits)
            docs.append(doc)
            held += len(doc)
            if len(docs) >= chunk_rows or held >= CHUNK_BYTE_BUDGET:
                yield pd.DataFrame({self.column: pd.Series(docs, dtype="str")})
                docs, held = [], 0
        if docs:
            yield pd.DataFrame({self.column: pd.Series(docs, dtype="str")})


def _walk(folder: Path, keep: Callable[[Path], bool]) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            p = Path(dirpath, name)
            if not name.startswith(".") and keep(p):
                found.append(p)
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def text_files(folder: Path) -> list[Path]:
    """Every visible .txt/.md (optionally .gz) file under ``folder``, sorted by relative path."""
    return _walk(folder, is_text_file)


def is_text_file(path: Path) -> bool:
    """True for a .txt/.md (optionally .gz) file name."""
    name = path.name.lower()
    return name.endswith(_gz(TEXT_SUFFIXES))


def read_document(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> str:
    """Read one text document, refusing documents longer than ``max_line_bytes``."""
    with open_binary(path, limits) as stream:
        data = stream.read(limits.max_line_bytes + 1)
    _refuse_if_not_text(path, data)
    if len(data) > limits.max_line_bytes:
        raise InputError(
            f"{path}: the document is longer than {_size(limits.max_line_bytes)}; split it, or "
            f"raise the `{SETTING_MAX_LINE}` setting"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _utf8_error(path, data, exc, 1) from None


BUILTIN_READERS: tuple[BuiltinReader, ...] = (
    CsvReader("csv", ",", (".csv",)),
    CsvReader("tsv", "\t", (".tsv", ".tab")),
    ParquetReader(),
    JsonLinesReader(),
    JsonRecordsReader(),
    TextReader(),
)


@hookimpl
def register_readers(register: Callable[[Any], None]) -> None:
    """Register the built-in readers."""
    for reader in BUILTIN_READERS:
        register(reader)
