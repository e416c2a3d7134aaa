"""Build a Profile from pandas or Arrow chunks in one streaming pass (bounded memory)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import InputError
from ..hashing import combine_columns, mix, value_hashes
from ..kinds import Kind, infer_kind, skip_reason
from ..text import surface_counts, tokenize
from .categorical import CategoricalProfile
from .columns import (
    ArrowColumn,
    Column,
    MixedTypesError,
    PandasColumn,
    label_counts,
    refuse_duplicate_names,
    shown_names,
    source_name,
)
from .model import ColumnProfile, Profile, sorted_values
from .numeric import NumericProfile
from .sampling import bottom_k
from .settings import MAX_COLUMNS, ProfileSettings
from .text import TextProfile

Frame: TypeAlias = pd.DataFrame | pa.Table
Chunk: TypeAlias = Frame | tuple[Path | str, Frame]


def _check_mixed_strings(series: pd.Series, column: str, path: Path | str | None) -> None:
    """A string column that is mostly numbers with a few words is a typing error upstream."""
    values = series.dropna().head(2_000).astype(str).str.strip()
    values = values[values != ""]
    if len(values) == 0:
        return
    numeric = pd.to_numeric(values, errors="coerce").notna()
    share = float(numeric.mean())
    if 0.5 <= share < 1.0:
        example = values[~numeric].iloc[0][:40]
        raise InputError(
            f"{source_name(path)}: column {column!r} mixes numbers and text (e.g. {example!r}; "
            f"{int(numeric.sum()):,} of the first {len(values):,} values are numbers); fix those "
            f"values, or declare it with {kind_option(column, 'categorical', path)}"
        )


def kind_option(name: str, kind: str, path: Path | str | None) -> str:
    """How to declare a column's kind where the data came from: ``--column`` for a file,
    ``columns=`` for a DataFrame (the Python API has no command-line options)."""
    # Imported here: config imports profile.settings, so a top-level import would be circular.
    from ..config import API_COLUMNS, column_option

    return column_option(name, kind, "--column" if path is not None else API_COLUMNS)


_SEPARATORS = ((";", "';'"), ("\t", "tabs"), (",", "commas"), ("|", "'|'"))
# Files whose one column with a separator in its name was probably split with the wrong one.
_DELIMITED_SUFFIXES = (".csv", ".tsv", ".tab", ".csv.gz", ".tsv.gz", ".tab.gz")


def _other_separator(names: list[str]) -> tuple[str, str] | None:
    """(separator, how to name it) found in the name of a one-column header, or None."""
    if len(names) != 1:
        return None
    for sep, label in _SEPARATORS:
        if sep in names[0]:
            return sep, label
    return None


def separator_hint(names: list[str]) -> str | None:
    """The fix for a file read with the wrong field separator: one column whose name holds the
    real separator (a ';'-separated .csv, a comma-separated .tsv)."""
    found = _other_separator(names)
    if found is None:
        return None
    return (
        f"its header is one column, {names[0]!r}, so its fields seem to be separated by "
        f"{found[1]}: .csv files are read with commas and .tsv/.tab files with tabs; convert "
        "the file, or give it the suffix of its separator"
    )


def _check_separator(names: list[str], col: Column, path: Path | str | None) -> None:
    """Refuse a delimited file read as one column although its header and values hold another
    separator (a tab-separated .csv): profiling it would make one column of whole lines.

    The separator the file was read with can only be in a quoted field, and free text holds a
    ';' or '|' here and there: only a header whose separators every value repeats, as many
    times, reads as a table split the wrong way.
    """
    found = _other_separator(names)
    if found is None or path is None or not str(path).lower().endswith(_DELIMITED_SUFFIXES):
        return
    sep = found[0]
    read_with = "\t" if str(path).lower().removesuffix(".gz").endswith((".tsv", ".tab")) else ","
    if sep == read_with:
        return
    values = col.series().dropna().head(100).astype(str)
    if len(values) == 0 or bool((values.str.count(re.escape(sep)) == names[0].count(sep)).all()):
        raise InputError(f"{path}: no column can be profiled: {separator_hint(names)}")


def _check_blank_names(names: list[str], path: Path | str | None) -> None:
    """A column needs a name a report (and --column) can use; a whitespace-only file has one
    blank-named column."""
    for i, name in enumerate(names):
        if not name.strip():
            raise InputError(
                f"{source_name(path)}: column {i + 1:,} of {len(names):,} has a blank name "
                f"({name!r}); give the column a name in the header (or pass the real data file, if "
                "this one holds only blank lines)"
            )


def _check_column_names(frame: pd.DataFrame, path: Path | str | None) -> None:
    """Names that cannot address one column each: a multi-level index, or two names that read
    the same as text (0 and "0")."""
    if isinstance(frame.columns, pd.MultiIndex):
        raise InputError(
            f"{source_name(path)}: the frame has a multi-level column index; flatten it first, e.g. "
            "df.columns = ['_'.join(map(str, c)) for c in df.columns]"
        )
    refuse_duplicate_names(list(frame.columns), path)


def _flatten_containers(frame: pd.DataFrame) -> pd.DataFrame:
    """Dicts and lists in object columns (DataFrames built from JSON) become JSON text."""
    for name in frame.columns:
        series = frame[name]
        if series.dtype != object:
            continue
        first = series.dropna().head(1)
        if len(first) and isinstance(first.iloc[0], (dict, list, tuple, set)):
            frame = frame.assign(
                **{name: series.map(lambda v: v if v is None or isinstance(v, str) else _json_text(v))}
            )
    return frame


def _json_text(value: object) -> str:
    import json

    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return str(value)


class _Builder:
    def __init__(
        self,
        settings: ProfileSettings,
        kinds: Mapping[str, Kind],
        reference: Profile | None,
        ignore: set[str],
        required: Iterable[str] = (),
        max_columns: int = MAX_COLUMNS,
        keep_unreferenced: Callable[[str], bool] | None = None,
    ) -> None:
        self.required = list(required)
        self.keep_unreferenced = keep_unreferenced
        # Batch columns the reference lacks that are counted anyway (provenance columns, which
        # synthetic-contamination reads from the batch alone): category counts only, never in the
        # row sample or its priorities, so the rest of the profile is what it would be without them.
        self.unreferenced: set[str] = set()
        self.max_columns = max_columns
        self.settings = settings
        self.overrides = dict(kinds)
        self.reference = reference
        self.ignore = ignore
        self.rows = 0
        self.columns: list[str] | None = None
        self.kinds: dict[str, Kind | None] = {}
        self.acc: dict[str, ColumnProfile] = {}
        self.pending_nulls: dict[str, int] = {}
        self.skipped: dict[str, str] = {}
        self.sample_columns: dict[str, np.ndarray] | None = None
        self.priority = np.zeros(0, dtype=np.uint64)
        self.pending: list[tuple[dict[str, np.ndarray], np.ndarray]] = []
        self.pending_rows = 0
        self.cutoff: int | None = None
        self.paths: list[str] = []
        self.flag_columns: dict[str, bool] = {}  # reference numeric columns of 0/1 values
        self.word_columns: dict[str, bool] = {}  # reference categorical columns of words only

    def _start(self, names: list[str], path: Path | str | None) -> None:
        refuse_duplicate_names(names, path)
        present = set(names)
        absent = [c for c in self.required if c not in present]
        if absent:
            raise InputError(
                f"{source_name(path)} has no column {absent[0]!r}, which --column (columns= in Python) "
                f"names; its columns are {shown_names(names)}: check the spelling"
            )
        if self.reference is not None:
            missing = [c for c in self.reference.columns if c not in present and c not in self.ignore]
            if missing:
                raise InputError(
                    f"{source_name(path)} has no column {missing[0]!r}, which the reference has; "
                    + (
                        separator_hint(names)
                        or f"add it, or leave it out of the comparison with --column {missing[0]}=ignore "
                        f"(in Python: columns={{{missing[0]!r}: 'ignore'}})"
                    )
                )
            self.columns = [c for c in self.reference.columns if c not in self.ignore]
            self.kinds = {c: self.reference.columns[c].kind for c in self.columns}
            extra = [c for c in names if c not in self.reference.columns and c not in self.ignore]
            for c in extra:
                # A column the reference skipped (dates, ids) says why, not just that it is missing.
                why = self.reference.skipped.get(c)
                if why is None and self.keep_unreferenced is not None and self.keep_unreferenced(c):
                    self.columns.append(c)
                    self.kinds[c] = Kind.CATEGORICAL  # provenance values are labels
                    self.unreferenced.add(c)
                    continue
                self.skipped[c] = f"the reference skipped it too: {why}" if why else "not in the reference"
        else:
            self.columns = [c for c in names if c not in self.ignore]
            if len(self.columns) > 1 and self.columns[0] == "":
                # pandas' to_csv writes its index as a first column without a name.
                self.columns = self.columns[1:]
                self.skipped[""] = (
                    "is an unnamed first column, the row index pandas' to_csv writes; left out "
                    "(write the file with index=False, or give the column a name to include it)"
                )
            _check_blank_names(self.columns, path)
            if len(self.columns) > self.max_columns:
                raise InputError(
                    f"{source_name(path)}: has {len(self.columns):,} columns, more than the "
                    f"{self.max_columns:,} a profile may hold; select the columns you need into a "
                    "narrower file, or leave columns out with --column NAME=ignore"
                )
            for c in self.columns:
                self.kinds[c] = self.overrides.get(c)
        if not self.columns:
            raise InputError(f"{source_name(path)}: no columns to profile; check the file or --column")

    def _resolve_kind(self, name: str, series: pd.Series, path: Path | str | None) -> None:
        if self.kinds.get(name) is not None or name in self.skipped:
            return
        if self.reference is None:
            reason = skip_reason(series, name)
            if reason is not None:
                self.skipped[name] = reason
                return
        kind = infer_kind(series)
        if kind is None:
            return
        if kind is not Kind.NUMERIC:
            _check_mixed_strings(series, name, path)
        self.kinds[name] = kind

    def _accumulator(self, name: str, kind: Kind) -> ColumnProfile:
        if name not in self.acc:
            nulls = self.pending_nulls.pop(name, 0)
            if kind is Kind.NUMERIC:
                self.acc[name] = NumericProfile(name, nulls=nulls)
            elif kind is Kind.CATEGORICAL:
                self.acc[name] = CategoricalProfile(name, nulls=nulls)
            else:
                self.acc[name] = TextProfile(name, nulls=nulls)
        return self.acc[name]

    def add(self, frame: Frame, path: Path | str | None) -> None:
        if isinstance(frame, pa.Table):
            names = [str(c) for c in frame.column_names]
            rows = frame.num_rows
            table = frame
            # A dict, not names.index: that made a 100,000-column table quadratic.
            position = {n: i for i, n in enumerate(names)}

            def column(name: str) -> Column:
                return ArrowColumn(table.column(position[name]))
        else:
            _check_column_names(frame, path)
            frame = _flatten_containers(frame.rename(columns=str))
            names, rows = [str(c) for c in frame.columns], len(frame)
            pandas_frame = frame

            def column(name: str) -> Column:
                return PandasColumn(pandas_frame[name])

        first = self.columns is None
        if self.columns is None:
            self._start(names, path)
            if self.reference is None and rows:
                _check_separator(names, column(names[0]), path)
        assert self.columns is not None
        present = set(names)
        missing = [c for c in self.columns if c not in present]
        if missing:
            raise InputError(
                f"{source_name(path)} has no column {missing[0]!r}, which earlier data has; "
                "give files (or chunks) with the same columns"
            )
        known = set(self.columns) | set(self.skipped) | self.ignore
        new = [c for c in names if c not in known]
        if new and not first:
            raise InputError(
                f"{source_name(path)} has a column {new[0]!r} that earlier data lacks; give files "
                "(or chunks) with the same columns"
            )
        if rows == 0:
            return
        first_row = self.rows
        self.rows += rows
        s = self.settings
        converted: dict[str, np.ndarray | Column] = {}
        text_columns: list[tuple[TextProfile, Column]] = []
        content: list[np.ndarray] = []  # per-column hashes, in column order (combine_columns)
        # A copy: _count_unreferenced may drop a column mid-loop, which skipped the next one.
        for name in list(self.columns):
            col = column(name)
            if self.kinds.get(name) is None and name not in self.skipped:
                self._resolve_kind(name, col.series(), path)
            if name in self.skipped:
                continue
            kind = self.kinds.get(name)
            if kind is None:
                self.pending_nulls[name] = self.pending_nulls.get(name, 0) + rows
                converted[name] = np.full(rows, np.nan)
                continue
            acc = self._accumulator(name, kind)
            if isinstance(acc, NumericProfile):
                x = self._floats(col, name, path)
                ok = ~np.isnan(x)
                acc.update(x[ok], int((~ok).sum()))
                converted[name] = x
                content.append(value_hashes(x))
            elif name in self.unreferenced:
                assert isinstance(acc, CategoricalProfile)
                self._count_unreferenced(acc, col, name, rows)
            elif isinstance(acc, CategoricalProfile):
                self._check_codes(col, name, path)
                # Count first, then label only the distinct values; rows are converted to
                # labels only if they enter the sample.
                distinct, counts = col.value_counts()
                acc.update(label_counts(distinct, counts), rows - int(sum(counts)))
                if len(acc.counts) > s.max_categories:
                    raise InputError(
                        f"{source_name(path)}: column {name!r} has more than {s.max_categories:,} distinct "
                        f"values, too many for a categorical column; declare it with "
                        f"{kind_option(name, 'text', path)}, or leave it out with "
                        f"{kind_option(name, 'ignore', path)}"
                    )
                converted[name] = col
                content.append(col.content_hashes(numbers=True))
            else:
                text_columns.append((acc, col))
                content.append(col.content_hashes(numbers=False))
        prio = self._priorities(content, first_row, rows)
        for acc, col in text_columns:
            texts = col.texts()
            acc.add_surface(surface_counts(texts))
            acc.update(
                tokenize(texts),
                prio,
                col.present(),
                texts if s.store_text else None,
                s.text_docs,
                s.text_tokens,
            )
        self._sample(prio, converted)

    def _count_unreferenced(self, acc: CategoricalProfile, col: Column, name: str, rows: int) -> None:
        """Count the labels of a column the reference lacks; one with more distinct values than a
        categorical column may hold is an id or free text, not provenance, and is left out."""
        distinct, counts = col.value_counts()
        acc.update(label_counts(distinct, counts), rows - int(sum(counts)))
        if len(acc.counts) > self.settings.max_categories:
            self.unreferenced.discard(name)
            self.acc.pop(name)
            self.kinds.pop(name, None)
            assert self.columns is not None
            self.columns.remove(name)
            self.skipped[name] = (
                f"not in the reference (its name suggests provenance, but it has more than "
                f"{self.settings.max_categories:,} distinct values)"
            )

    def _floats(self, col: Column, name: str, path: Path | str | None) -> np.ndarray:
        try:
            return col.floats(name, path, booleans=self._booleans_ok(name))
        except MixedTypesError as exc:
            if self.reference is None:
                raise
            # --column cannot change a kind the reference fixed
            raise InputError(
                f"{source_name(path)}: column {name!r} is numeric in the reference but holds "
                f"{exc.what} here (e.g. {exc.example!r}); check that this is the right file for the "
                f"reference and fix those values, or rebuild the reference with "
                f"--column {name}=categorical if the column is not numeric"
            ) from None

    def _booleans_ok(self, name: str) -> bool:
        """Whether booleans may be read as 0/1 in numeric column ``name``: always when profiling
        (only ``--column NAME=numeric`` makes a boolean column numeric), and against a reference
        only when its values are all 0 and 1 (built from booleans, or from 0/1 flags)."""
        if self.reference is None:
            return True
        if name not in self.flag_columns:
            ref = self.reference.columns.get(name)
            self.flag_columns[name] = (
                isinstance(ref, NumericProfile)
                and ref.min >= 0
                and ref.max <= 1
                and bool(np.isin(ref.values, (0.0, 1.0)).all())
            )
        return self.flag_columns[name]

    def _check_codes(self, col: Column, name: str, path: Path | str | None) -> None:
        """A batch column of numbers against reference categories that are all words is the
        wrong file or column, not hundreds of new categories. Numeric-looking reference codes
        ("1", "2") keep matching numbers, as labels always have."""
        if self.reference is None or (name in self.word_columns and not self.word_columns[name]):
            return
        if not col.is_numbers():
            return
        if name not in self.word_columns:
            ref = self.reference.columns.get(name)
            labels = (
                pd.Series(list(ref.counts), dtype=object) if isinstance(ref, CategoricalProfile) else None
            )
            self.word_columns[name] = (
                labels is not None
                and len(labels) > 0
                and not bool(pd.to_numeric(labels.str.strip(), errors="coerce").notna().any())
            )
        if self.word_columns[name] and col.present().any():
            ref = self.reference.columns[name]
            assert isinstance(ref, CategoricalProfile)
            words = sorted(ref.counts, key=lambda k: -ref.counts[k])
            raise InputError(
                f"{source_name(path)}: column {name!r} holds only numbers here, but its reference "
                f"categories are all words ({shown_names(words, 3)}); check that this is the right "
                f"file (and column) for the reference, or leave it out with "
                f"{kind_option(name, 'ignore', path)}"
            )

    def _priorities(self, content: list[np.ndarray], first_row: int, n: int) -> np.ndarray:
        """Sampling priority of each row: its content hash mixed with its position in the data.

        The position makes duplicate rows independent draws (a content-only hash would keep or
        drop every copy of a row together); the normalised content makes two datasets of the
        same length sample different rows. Chunking never changes a row's priority.
        """
        rows = combine_columns(content, n)
        position = mix(np.arange(first_row, first_row + n, dtype=np.uint64), self.settings.seed ^ 0x5EED)
        return mix(rows ^ position, self.settings.seed)

    def _sample(self, prio: np.ndarray, converted: dict[str, np.ndarray | Column]) -> None:
        k = self.settings.sample_rows
        if k <= 0:
            return
        # Candidates in row order: _compact sorts by priority once for all of them.
        if self.cutoff is None:
            take = np.arange(len(prio)) if len(prio) <= k else np.sort(bottom_k(prio, k))
        else:
            # Rows above the current k-th priority can never enter the sample.
            take = np.flatnonzero(prio < self.cutoff)
            if len(take) > k:
                take = np.sort(take[bottom_k(prio[take], k)])
        if len(take) == 0:
            return
        # Plain arrays, not DataFrames: building and concatenating frames per chunk was a third
        # of the time it takes to profile a million rows.
        data: dict[str, np.ndarray] = {}
        for c, values in converted.items():
            if self.kinds.get(c) is Kind.TEXT:
                continue
            data[c] = values[take] if isinstance(values, np.ndarray) else values.labels_at(take)
        self.pending.append((data, prio[take]))
        self.pending_rows += len(take)
        if self.pending_rows >= k:
            self._compact()

    def _compact(self) -> None:
        """Merge pending candidate rows into the sample and keep the k lowest priorities."""
        if not self.pending:
            return
        parts = ([(self.sample_columns, self.priority)] if self.sample_columns is not None else []) + [
            (d, p) for d, p in self.pending
        ]
        names = list(dict.fromkeys(c for d, _ in parts for c in d))
        both_prio = np.concatenate([p for _, p in parts])
        keep = bottom_k(both_prio, self.settings.sample_rows)
        # A column at a time: concatenating every column first held the sample three times over.
        self.sample_columns = {
            c: np.concatenate([d[c] if c in d else np.full(len(p), np.nan) for d, p in parts])[keep]
            for c in names
        }
        self.priority = both_prio[keep]
        self.pending, self.pending_rows = [], 0
        if len(keep) >= self.settings.sample_rows:
            self.cutoff = int(self.priority.max())

    def finish(self, synthetic: bool, part: bool = False) -> Profile:
        self._compact()
        where = ", ".join(self.paths) if self.paths else "the data"
        if self.rows == 0:
            if part:  # an empty partition: merging it changes nothing (Profile.merge)
                empty = np.zeros(0, dtype=np.uint64)
                return Profile(0, {}, None, empty, settings=self.settings, source=list(self.paths))
            if not self.paths:  # a DataFrame (Python API, GX): no file to fix
                raise InputError(
                    "the data: no data rows; pass a DataFrame with rows (or profile it with "
                    "part=True when it is one part of data to be merged)"
                )
            raise InputError(f"{where}: no data rows (empty or header-only); give a file with rows")
        assert self.columns is not None
        columns: dict[str, ColumnProfile] = {}
        for name in self.columns:
            if name in self.skipped:
                continue
            acc = self.acc.get(name)
            if name in self.unreferenced and (acc is None or acc.count == 0):
                self.skipped[name] = "not in the reference (and every value is missing)"
                continue
            if part and acc is not None:
                columns[name] = acc  # no values in this part; other parts may have them
                continue
            if part:
                raise InputError(
                    f"{where}: column {name!r} has no values in this part, so its kind cannot be "
                    f"told; declare the kinds of parts to merge, e.g. columns={{{name!r}: 'numeric'}}"
                )
            if acc is None or acc.count == 0:
                raise InputError(
                    f"{where}: column {name!r} has no values (all missing); fill it, or leave it "
                    f"out with {kind_option(name, 'ignore', self.paths[0] if self.paths else None)}"
                )
            columns[name] = acc
        sample = self._sample_frame(columns)
        for name, acc in columns.items():
            if isinstance(acc, NumericProfile):
                acc.values = sorted_values(sample, name)
        return Profile(
            rows=self.rows,
            columns=columns,
            sample=sample,
            sample_priority=self.priority if sample is not None else np.zeros(0, dtype=np.uint64),
            settings=self.settings,
            source=list(self.paths),
            skipped=dict(self.skipped),
            synthetic=synthetic,
        )

    def _sample_frame(self, columns: Mapping[str, ColumnProfile]) -> pd.DataFrame | None:
        """The row sample as a frame: float64 numeric columns, object label columns (None missing).

        Built from the arrays as they are: going through pandas' type inference (which turns the
        labels into Arrow strings, then back) cost 0.05 s and a copy of the sample at the
        profile's peak memory.
        """
        if self.sample_columns is None:
            return None
        data: dict[str, pd.Series] = {}
        for name, values in self.sample_columns.items():
            if name not in columns:
                continue
            if columns[name].kind is Kind.NUMERIC:
                data[name] = pd.Series(np.asarray(values, dtype=np.float64), dtype=np.float64, copy=False)
            else:
                labels = np.asarray(values, dtype=object)
                # None from the readers; NaN for rows read before the column's kind was known
                missing = pd.isna(labels)
                if missing.any():
                    labels = labels.copy()
                    labels[missing] = None
                data[name] = pd.Series(labels, dtype=object, copy=False)
        return pd.DataFrame(data, index=pd.RangeIndex(len(self.priority)), copy=False)


def build_profile(
    chunks: Iterable[Chunk],
    *,
    settings: ProfileSettings | None = None,
    kinds: Mapping[str, Kind] | None = None,
    ignore: Iterable[str] = (),
    reference: Profile | None = None,
    synthetic: bool = False,
    required: Iterable[str] = (),
    max_columns: int = MAX_COLUMNS,
    keep_unreferenced: Callable[[str], bool] | None = None,
    part: bool = False,
) -> Profile:
    """Profile data given as DataFrame chunks (or ``(path, chunk)`` pairs).

    With ``reference``, the columns and kinds are taken from it (a batch is always read the way
    its reference was), and a reference column missing from the data is an error. ``required``
    names columns the user typed (``--column``): a typo there is an error, not a silent no-op.
    ``chunks`` is closed (if it can be) when profiling ends, also on an error, so that a reader
    (or a read-ahead thread) does not hold its file open for as long as the exception lives.
    A profile holds at most ``max_columns`` columns (not counting ignored ones): a wider table
    is refused rather than profiled column by column for minutes. ``keep_unreferenced`` picks
    batch columns the reference lacks whose category counts are kept anyway (provenance columns:
    ``provenance.provenance_filter``); they stay out of the row sample. With ``part`` the data is
    one part of a dataset to be merged (a Spark or Dask partition): an empty part gives an empty
    profile and a column without values in this part is kept (its kind must be known), and the
    merged profile is checked for them when it is saved or used (``Profile.refuse_unusable``).
    """
    builder = _Builder(
        settings or ProfileSettings.reference(),
        kinds or {},
        reference,
        set(ignore),
        required,
        max_columns,
        keep_unreferenced,
    )
    try:
        for item in chunks:
            path: Path | str | None
            if isinstance(item, tuple):
                path, frame = item
            else:
                path, frame = None, item
            if path is not None and str(path) not in builder.paths:
                builder.paths.append(str(path))
            builder.add(frame, path)
    finally:
        close = getattr(chunks, "close", None)
        if callable(close):
            close()
    return builder.finish(synthetic, part)
