"""One column of a chunk, from pandas or Arrow: the few operations the profile builder needs.

Readers hand the builder Arrow tables (``read_tables``); the Python API hands it pandas frames.
Arrow columns are worked on natively where it pays (float64 values, counts, hashes and picked rows
of strings); everything else goes through the very pandas Series the pandas path sees
(``series``), so both give byte-identical profiles (tested).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from ..hashing import coded_hashes, value_hashes


def source_name(path: Path | str | None) -> str:
    """How an error message names where data came from: the file, or "the data" for a DataFrame."""
    return str(path) if path is not None else "the data"


#: Error messages name at most this many columns (a 100,000-column header must not become one
#: 800 KB line on stderr).
SHOWN_NAMES = 8


def shown_names(names: Iterable[object], limit: int = SHOWN_NAMES) -> str:
    """Names for a message: the first ``limit`` quoted, then "... and N more"."""
    names = list(names)
    shown = ", ".join(repr(str(n)) for n in names[:limit])
    return shown + (f", ... and {len(names) - limit:,} more" if len(names) > limit else "")


def duplicates(names: Sequence[object]) -> list[str]:
    """The names that occur more than once, sorted (linear: headers can be very wide)."""
    counts = Counter(str(n) for n in names)
    return sorted(n for n, c in counts.items() if c > 1)


def refuse_duplicate_names(names: Sequence[object], path: Path | str | None) -> None:
    """Raise the one message for column names that repeat (compared as text: 0 and "0" clash)."""
    repeated = duplicates(names)
    if repeated:
        raise InputError(
            f"{source_name(path)}: duplicate column name(s) [{shown_names(repeated)}]; rename them so "
            "that every column is unique"
        )


class MixedTypesError(InputError):
    """A numeric column holding words; the profile builder words the fix for a batch (whose
    kinds come from its reference) differently."""

    #: What the column holds instead of numbers, for the builder's message.
    what = "text"

    def __init__(self, column: str, example: str, path: Path | str | None) -> None:
        self.column, self.example, self.path = column, example, path
        super().__init__(
            f"{source_name(path)}: column {column!r} mixes numbers and text (e.g. {example!r}); "
            f"fix those values, or declare the column with --column {column}=categorical"
        )


class NotNumbersError(MixedTypesError):
    """A numeric column whose values have a type of their own that is not a number: timestamps,
    durations, periods, complex numbers, or booleans where the reference holds other numbers.

    Casting them would compare epoch nanoseconds or a real part with the reference's numbers."""

    def __init__(self, column: str, what: str, example: str, path: Path | str | None) -> None:
        self.column, self.example, self.path, self.what = column, example, path, what
        InputError.__init__(
            self,
            f"{source_name(path)}: column {column!r} holds {what} (e.g. {example!r}), not numbers; "
            "derive a number from it where the data is made (e.g. seconds since a date), or "
            f"declare it with --column {column}=categorical",
        )


# Values with a type of their own that pandas would silently turn into numbers.
_TEMPORAL_TYPES = (dt.datetime, dt.date, dt.time, np.datetime64, pd.Period)
_DURATION_TYPES = (dt.timedelta, np.timedelta64)


def _not_numbers(dtype: Any) -> str | None:
    """What a dtype holds if it is not a plain number (or boolean) type, else None."""
    if pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.PeriodDtype):
        return "timestamps"
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "durations"
    if pd.api.types.is_complex_dtype(dtype):
        return "complex numbers"
    return None


def _value_kind(value: object) -> str | None:
    """What an object value holds if it is a timestamp or a duration (which pandas reads as no
    number at all, so the message would otherwise call it text)."""
    if isinstance(value, _DURATION_TYPES):
        return "durations"
    if isinstance(value, _TEMPORAL_TYPES):
        return "timestamps"
    return None


def _first_present(series: pd.Series) -> str:
    present = series.dropna()
    return str(present.iloc[0])[:40] if len(present) else ""


def to_float(series: pd.Series, column: str, path: Path | str | None, *, booleans: bool = True) -> np.ndarray:
    """Column values as float64 with NaN for missing; InputError on text, infinities and values
    that are not numbers (timestamps, durations, periods, complex numbers; booleans, which
    otherwise read as 0/1, unless ``booleans``)."""
    what = _not_numbers(series.dtype)
    if what is not None:
        raise NotNumbersError(column, what, _first_present(series), path)
    if pd.api.types.is_bool_dtype(series.dtype):
        if not booleans:
            raise NotNumbersError(column, "booleans (True/False)", _first_present(series), path)
        x = series.astype("float64").to_numpy()
    elif pd.api.types.is_numeric_dtype(series.dtype):
        x = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        coerced = pd.to_numeric(series, errors="coerce")
        bad = coerced.isna() & series.notna() & (series.astype(str).str.strip() != "")
        if bad.any():
            first = series.iloc[int(np.flatnonzero(bad.to_numpy())[0])]
            kind = _value_kind(first)
            if kind is not None:
                raise NotNumbersError(column, kind, str(first)[:40], path)
            raise MixedTypesError(column, str(first)[:40], path)
        if pd.api.types.is_complex_dtype(coerced.dtype):
            raise NotNumbersError(column, "complex numbers", _first_present(series), path)
        if not booleans and series.dtype == object:
            flags = series.map(lambda v: isinstance(v, (bool, np.bool_))).to_numpy(dtype=bool)
            if flags.any():
                example = str(series.iloc[int(np.flatnonzero(flags)[0])])
                raise NotNumbersError(column, "booleans (True/False)", example, path)
        x = coerced.to_numpy(dtype=np.float64, na_value=np.nan)
    return _finite(x, column, path)


def _finite(x: np.ndarray, column: str, path: Path | str | None) -> np.ndarray:
    infinite = np.isinf(x)
    if infinite.any():
        raise InputError(
            f"{source_name(path)}: column {column!r} has {int(infinite.sum())} infinite value(s); "
            "replace them with empty cells (missing) or finite numbers"
        )
    return x


def to_categories(series: pd.Series) -> pd.Series:
    """Category labels as strings (None for missing).

    Each number is labelled on its own, so the label never depends on the chunk it came in:
    integral values print without '.0' (1.0 -> "1"), others as Python prints them (2.5 -> "2.5").
    """
    present = series.notna().to_numpy()
    values = series[present]
    out = np.full(len(series), None, dtype=object)
    if pd.api.types.is_bool_dtype(values.dtype) or not pd.api.types.is_numeric_dtype(values.dtype):
        out[present] = values.astype(str).to_numpy(dtype=object)
    else:
        x = values.to_numpy(dtype=np.float64)
        integral = np.isfinite(x) & (np.floor(x) == x) & (np.abs(x) < 2**53)
        labels = np.array([repr(v) for v in x.tolist()], dtype=object)
        labels[integral] = x[integral].astype(np.int64).astype(str).astype(object)
        out[present] = labels
    return pd.Series(out, index=series.index, dtype=object)


def shared_labels(series: pd.Series) -> np.ndarray:
    """``to_categories`` as an object array whose rows share one string object per category.

    Labelling only the distinct values is faster, and a 100,000-row sample then holds 100,000
    pointers to a few hundred strings instead of 100,000 separate ones (about 6 MiB less per column).
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return _labels_from_codes(codes, pd.Series(uniques))


def _labels_from_codes(codes: np.ndarray, distinct: pd.Series) -> np.ndarray:
    labels = to_categories(distinct).to_numpy(dtype=object)
    out = np.full(len(codes), None, dtype=object)
    present = codes >= 0
    out[present] = labels[codes[present]]
    return out


def label_counts(distinct: pd.Series, counts: list[int]) -> dict[str, int]:
    """Counts per category label (two raw values can share a label, e.g. 1 and 1.0)."""
    merged: dict[str, int] = {}
    for label, n in zip(to_categories(distinct).tolist(), counts, strict=True):
        merged[label] = merged.get(label, 0) + int(n)
    return merged


def _bool_mapper(t: pa.DataType) -> pd.api.extensions.ExtensionDtype | None:
    return pd.BooleanDtype() if t == pa.bool_() else None


class PandasColumn:
    """A column of a pandas chunk."""

    def __init__(self, series: pd.Series) -> None:
        self._series = series

    def __len__(self) -> int:
        return len(self._series)

    def series(self) -> pd.Series:
        return self._series

    def present(self) -> np.ndarray:
        return np.asarray(self._series.notna().to_numpy(), dtype=bool)

    def floats(self, column: str, path: Path | str | None, *, booleans: bool = True) -> np.ndarray:
        return to_float(self._series, column, path, booleans=booleans)

    def is_numbers(self) -> bool:
        """Whether the column's type is a number type (not boolean): every value is a number."""
        dtype = self._series.dtype
        return bool(pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype))

    def value_counts(self) -> tuple[pd.Series, list[int]]:
        """Distinct non-missing values and how often each occurs."""
        counts = self._series.value_counts(dropna=True, sort=False)
        # A pandas category column counts its unused levels too (0 rows): a filtered frame kept
        # every level of its dtype, and those read as categories the data has lost.
        counts = counts[counts > 0]
        return pd.Series(counts.index, dtype=counts.index.dtype), counts.tolist()

    def content_hashes(self, numbers: bool) -> np.ndarray:
        """Per-row hashes of the raw values for ``combine_columns``; with ``numbers``, a numeric
        (or boolean) column is hashed as float64, as categorical columns always were."""
        s = self._series
        if numbers and pd.api.types.is_numeric_dtype(s.dtype):
            return value_hashes(s.to_numpy(dtype=np.float64, na_value=np.nan))
        return value_hashes(s.array)

    def labels_at(self, rows: np.ndarray) -> np.ndarray:
        return shared_labels(self._series.iloc[rows])

    def texts(self) -> list[str]:
        """The present values as strings, in row order."""
        s = self._series
        return list(s[s.notna()].astype(str).tolist())


class ArrowColumn:
    """A column of an Arrow chunk; falls back to :class:`PandasColumn` for anything unusual."""

    def __init__(self, array: pa.ChunkedArray | pa.Array) -> None:
        if isinstance(array, pa.ChunkedArray):
            # One chunk is the rule (a reader's batch); combine_chunks would copy even that one.
            array = array.chunk(0) if array.num_chunks == 1 else array.combine_chunks()
        self._array = array
        self._pandas: PandasColumn | None = None
        self._encoded: tuple[np.ndarray, pa.Array] | None = None
        self._fast = self._array.type in (pa.float64(), pa.string())

    def __len__(self) -> int:
        return len(self._array)

    def _slow(self) -> PandasColumn:
        if self._pandas is None:
            # Straight from the array: through a one-column table took 13 times as long (0.3 ms a
            # column, most of the time a 10,000-column file took to profile), for the same Series.
            self._pandas = PandasColumn(self._array.to_pandas(types_mapper=_bool_mapper))
        return self._pandas

    def series(self) -> pd.Series:
        return self._slow().series()

    def present(self) -> np.ndarray:
        if not self._fast or self._array.type == pa.float64():
            # as texts() sees it: a NaN stored as a value is missing too (Arrow calls it valid)
            return self._slow().present()
        if self._array.null_count == 0:
            return np.ones(len(self._array), dtype=bool)
        return np.asarray(self._array.is_valid().to_numpy(zero_copy_only=False), dtype=bool)

    def floats(self, column: str, path: Path | str | None, *, booleans: bool = True) -> np.ndarray:
        if self._array.type != pa.float64():
            return self._slow().floats(column, path, booleans=booleans)
        # Nulls become NaN; a NaN stored as a value is missing too, as in pandas.
        x = np.asarray(self._array.to_numpy(zero_copy_only=False), dtype=np.float64)
        return _finite(x, column, path)

    def is_numbers(self) -> bool:
        t = self._array.type
        return bool(pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t))

    def value_counts(self) -> tuple[pd.Series, list[int]]:
        if not self._fast:
            return self._slow().value_counts()
        if self._array.type == pa.string():
            # The dictionary the row hashes need anyway: one hashing pass instead of two.
            codes, distinct = self._codes()
            counts = np.bincount(codes[codes >= 0], minlength=len(distinct))
            return pd.Series(distinct.to_pandas()).astype("str"), counts.tolist()
        vc = pc.value_counts(self._array)
        values, counts = vc.field("values"), vc.field("counts")
        keep = values.is_valid()
        if self._array.type == pa.float64():
            keep = pc.and_(keep, pc.invert(pc.is_nan(values)))
        values, counts = values.filter(keep), counts.filter(keep)
        return pd.Series(values.to_pandas()), counts.to_pylist()

    def _codes(self) -> tuple[np.ndarray, pa.Array]:
        """Dictionary codes (-1 = missing, distinct values in order of first appearance)."""
        if self._encoded is None:
            encoded = pc.dictionary_encode(self._array)
            codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
            self._encoded = (np.asarray(codes, dtype=np.int64), encoded.dictionary)
        return self._encoded

    def content_hashes(self, numbers: bool) -> np.ndarray:
        if numbers and self._array.type == pa.float64():
            return value_hashes(np.asarray(self._array.to_numpy(zero_copy_only=False), dtype=np.float64))
        if self._array.type != pa.string():
            return self._slow().content_hashes(numbers)
        codes, distinct = self._codes()
        return coded_hashes(codes, distinct.to_numpy(zero_copy_only=False))

    def labels_at(self, rows: np.ndarray) -> np.ndarray:
        if not self._fast:
            return self._slow().labels_at(rows)
        picked = ArrowColumn(self._array.take(pa.array(rows, pa.int64())))
        if picked._array.type == pa.float64():
            return shared_labels(picked.series())
        codes, distinct = picked._codes()
        return _labels_from_codes(codes, pd.Series(distinct.to_pandas(), dtype="str"))

    def texts(self) -> list[str]:
        if self._array.type != pa.string():
            return self._slow().texts()
        return list(self._array.drop_null().to_pylist())


Column = PandasColumn | ArrowColumn
ColumnFactory = Callable[[str], Column]
