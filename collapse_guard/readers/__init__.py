"""The reading front door used by ``profile``, ``check`` and ``scan``.

``iter_chunks`` turns paths (files or folders) into ``(path, DataFrame)`` chunks. It picks a reader
by the longest matching suffix, expands folders, and makes the chunks of all files agree on their
columns (in the first file's order) and canonical dtypes (float64, boolean, str). Readers only have
to yield frames; everything that can go wrong becomes an ``InputError`` that names the file and the
fix.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from ..errors import EMPTY_PATH, InputError, PluginCrashError, rerun_advice
from ..own_files import own_output_kind
from .builtin import (
    DEFAULT_LIMITS,
    SETTING_MAX_DECOMPRESSED,
    SETTING_MAX_LINE,
    SETTING_MAX_RATIO,
    BuiltinReader,
    ReadLimits,
    is_text_file,
    normalize_table,
    text_files,
)

__all__ = [
    "DEFAULT_LIMITS",
    "SETTING_MAX_DECOMPRESSED",
    "SETTING_MAX_LINE",
    "SETTING_MAX_RATIO",
    "ReadLimits",
    "find_reader",
    "iter_chunks",
    "iter_data_files",
    "supported_suffixes",
    "unreadable_reason",
]

Readers = Mapping[str, Any] | Sequence[Any]


def _reader_list(readers: Readers) -> list[Any]:
    if isinstance(readers, Mapping):
        return list(readers.values())
    return list(readers)


def supported_suffixes(readers: Readers) -> list[str]:
    """Every suffix some reader claims, lower-case and sorted."""
    return sorted({s.lower() for r in _reader_list(readers) for s in r.suffixes})


def _match(name: str, readers: Readers) -> Any | None:
    name = name.lower()
    best: tuple[int, Any] | None = None
    for reader in _reader_list(readers):
        for suffix in reader.suffixes:
            s = suffix.lower()
            if name.endswith(s) and len(name) > len(s) and (best is None or len(s) > best[0]):
                best = (len(s), reader)
    return None if best is None else best[1]


def find_reader(path: str | Path, readers: Readers) -> Any:
    """The reader for ``path``: the one claiming its longest suffix (``.csv.gz`` before ``.gz``).

    A folder of text documents is read by whichever reader claims ``.txt``.

    Raises
    ------
    InputError
        When no reader claims the suffix; the message lists the known suffixes.
    """
    path = Path(path)
    if path.is_dir():
        reader = _match("document.txt", readers)
        if reader is None:
            raise InputError(f"{path}: no reader for folders of .txt/.md documents is installed")
        return reader
    reader = _match(path.name, readers)
    if reader is None:
        suffix = "".join(path.suffixes[-2:]) or "no suffix"
        known = ", ".join(supported_suffixes(readers))
        raise InputError(
            f"{path}: unknown file type ({suffix}); known types are {known}; convert the file, "
            "rename it to its real type, or install a reader plugin"
        )
    return reader


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def iter_data_files(folder: str | Path, readers: Readers, skip: Iterable[str | Path] = ()) -> list[Path]:
    """Every visible file under ``folder`` that some reader can read, sorted by relative path.

    Hidden files and folders (names starting with ``.``) are skipped, and so are collapse-guard's
    own reference profiles and reports (``own_files``), which are never data, and the files in
    ``skip`` (the command's own ``--output``).
    """
    root = Path(folder)
    left_out = _real_paths(skip)
    files = [
        p
        for p in root.rglob("*")
        if p.is_file()
        and not _hidden(p, root)
        and _match(p.name, readers) is not None
        and not _not_data(p, left_out)
    ]
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def _real_paths(paths: Iterable[str | Path]) -> set[str]:
    return {os.path.realpath(p) for p in paths}


def _not_data(path: Path, left_out: set[str]) -> bool:
    """Whether a file under a folder is the command's own output (this run's, or an earlier
    run's kept beside the data) rather than data."""
    return (bool(left_out) and os.path.realpath(path) in left_out) or own_output_kind(path) is not None


_LINK_FIX = "remove the broken link or point it at a file"

_SPECIAL_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _unreadable(path: Path) -> InputError | None:
    """Why ``path`` is there but cannot be read as data, or None (a file, a folder, or absent).

    ``Path.exists`` and ``Path.is_file`` say False for a broken link or a FIFO, so without this a
    folder dropped such entries silently (the run passed on less data than given) and a direct
    path was reported as missing.
    """
    problem = unreadable_reason(path)
    return None if problem is None else InputError(f"{path}: {problem}")


def unreadable_reason(path: str | Path) -> str | None:
    """Why ``path`` cannot be read as data, and the fix, without the path (``is a FIFO (named
    pipe), not a regular file; ...``); None for a file, a folder, or a path that is simply
    missing. ``check`` and ``scan`` give the same reasons."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return _stat_problem(path, exc)
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    kind = next((name for test, name in _SPECIAL_KINDS if test(mode)), "a special file")
    return f"is {kind}, not a regular file; write the data to a regular file and pass that, or remove it"


def _stat_problem(path: Path, exc: OSError) -> str | None:
    """The reason for a path that cannot be stat-ed; None when it is simply missing."""
    missing = exc.errno in (errno.ENOENT, errno.ENOTDIR)
    if not path.is_symlink():
        if missing:
            return None  # the caller's "no such file or folder" is the right message
        return f"cannot be accessed ({exc.strerror}); check the path and its permissions"
    if exc.errno == errno.ELOOP:
        return f"is a symbolic link that points to itself (or into a loop of links); {_LINK_FIX}"
    if missing:
        try:
            target = f" ({os.readlink(path)})"
        except OSError:
            target = ""
        return f"is a symbolic link to a missing file{target}; {_LINK_FIX}"
    return (
        f"is a symbolic link whose target cannot be accessed ({exc.strerror}); {_LINK_FIX}, or "
        "check its permissions"
    )


def _refuse_unreadable(entries: list[Path], readers: Readers) -> None:
    """Raise for the first entry that looks like data (a claimed suffix) but cannot be read.

    Entries no reader claims stay skipped, as documented: a folder may hold READMEs and the like.
    """
    for entry in entries:
        if _match(entry.name, readers) is None:
            continue
        problem = _unreadable(entry)
        if problem is not None:
            raise problem


def _expand(path: Path, readers: Readers, skip: Iterable[str | Path] = ()) -> list[Path]:
    """A path as the list of things to read: itself, or the data files of a folder."""
    problem = _unreadable(path)
    if problem is not None:
        raise problem
    if not path.exists():
        raise InputError(f"{path}: no such file or folder; check the path")
    if not path.is_dir():
        return [path]
    entries = _visible_entries(path)
    _refuse_unreadable(entries, readers)
    files = [p for p in entries if p.is_file()]
    left_out = _real_paths(skip)
    documents = [p for p in files if not _not_data(p, left_out)]
    if _all_documents(documents):
        if len(documents) == len(files):
            return [path]
        # The text reader would read the whole folder, report included: name the documents
        # one by one instead (each file is one document either way, in the same order).
        return sorted(documents, key=lambda p: p.relative_to(path).as_posix())
    data = iter_data_files(path, readers, skip)
    if not data:
        known = ", ".join(supported_suffixes(readers))
        own = sorted({kind for p in files if (kind := own_output_kind(p)) is not None})
        passed = f" (only collapse-guard's own files: {', '.join(own)})" if own else ""
        raise InputError(f"{path}: the folder holds no data files{passed}; known types are {known}")
    return data


def documents_only(paths: Sequence[str | Path]) -> bool:
    """True when every path is a text document or a folder of them (read as one ``text`` column).

    Such a column is text by construction: inferred, a single short document or a folder of
    one-word notes would read as categorical. Paths that do not exist are left to the reader's
    own error.
    """
    if not paths:
        return False
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = [p for p in _visible_entries(path) if p.is_file() and own_output_kind(p) is None]
            if not _all_documents(files):
                return False
        elif not is_text_file(path):
            return False
    return True


def _visible_entries(folder: Path) -> list[Path]:
    """Everything under ``folder`` but hidden files and folders."""
    return [p for p in folder.rglob("*") if not _hidden(p, folder)]


def _all_documents(files: list[Path]) -> bool:
    """Whether a folder's files make one table of text documents: some, and all .txt/.md."""
    return bool(files) and all(is_text_file(p) for p in files)


def _files_read(target: Path) -> list[Path]:
    """The files a target stands for: itself, or the documents of a text folder."""
    return text_files(target) if target.is_dir() else [target]


def _expand_all(paths: Sequence[str | Path], readers: Readers, skip: Iterable[str | Path] = ()) -> list[Path]:
    """Expand every path, refusing a file that two paths (or a folder and a path) both name.

    A file read twice doubles its rows, and the checks then report duplicates: a false failure.
    Paths are compared resolved, so ``./a.csv``, an absolute path and a link to it all count.
    """
    targets: list[Path] = []
    seen: dict[Path, tuple[Path, str]] = {}
    skip = list(skip)
    for raw in paths:
        if isinstance(raw, str) and not raw:
            # Path("") is the current folder: an unset variable would read everything under it.
            raise InputError(f"{EMPTY_PATH}; pass a file or folder")
        given = Path(raw)
        for target in _expand(given, readers, skip):
            for file in _files_read(target):
                how = str(file) if file == given else f"{file} from folder {given}"
                key = file.resolve()
                if key in seen:
                    first, first_how = seen[key]
                    same = "" if first == file else ", the same file"
                    raise InputError(
                        f"{file}: is given twice ({first_how} and {how}{same}); give each file once"
                    )
                seen[key] = (file, how)
            targets.append(target)
    return targets


def _family(series: pd.Series) -> str:
    """Coarse dtype family: numeric, bool, datetime, string, or null (no value at all)."""
    if not series.notna().any():
        return "null"
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    return "string"


_CANONICAL: dict[str, Any] = {
    "numeric": "float64",
    "bool": pd.BooleanDtype(),
    "string": "str",
}


def _has_tables(reader: Any) -> bool:
    """Whether the reader overrides ``BuiltinReader.read_tables`` (the text reader does not)."""
    method = getattr(type(reader), "read_tables", None)
    return method is not None and method is not BuiltinReader.read_tables


class _Conformer:
    """Makes every chunk carry the first file's columns, in its order, with canonical dtypes.

    Types are *not* forced to agree between chunks: a column that holds numbers in one file and
    words in the next arrives as float64 then str, and the profile (which knows the column's
    kind, including ``--column NAME=KIND`` overrides) decides whether that mix is an error.
    A chunk in which a column has no value at all takes the column's dtype from earlier chunks.
    """

    def __init__(self) -> None:
        self.first: Path | None = None
        self.columns: list[str] = []
        self.dtypes: dict[str, Any] = {}
        self.arrow_types: dict[str, pa.DataType] = {}

    def __call__(self, path: Path, frame: pd.DataFrame) -> pd.DataFrame:
        if self.first is None:
            self.first = path
            self.columns = [str(c) for c in frame.columns]
        frame = self._align(path, frame)
        changed: dict[str, pd.Series] = {}
        for name in self.columns:
            series = frame[name]
            family = _family(series)
            if family == "null":
                if name in self.dtypes and series.dtype != self.dtypes[name]:
                    changed[name] = series.astype(self.dtypes[name])
                continue
            target = _CANONICAL.get(family)
            if target is not None and series.dtype != target:
                series = series.astype(target)
                changed[name] = series
            self.dtypes.setdefault(name, series.dtype)
        if changed:
            frame = frame.assign(**changed)
        return frame

    def table(self, path: Path, table: pa.Table) -> pa.Table:
        """The same for a normalised Arrow table, whose types are already canonical."""
        if self.first is None:
            self.first = path
            self.columns = [str(c) for c in table.column_names]
        names = [str(c) for c in table.column_names]
        if names != self.columns:
            self._mismatch(path, names)
            table = table.select([names.index(c) for c in self.columns])
        for i, name in enumerate(self.columns):
            col = table.column(i)
            if col.null_count == len(col):
                known = self.arrow_types.get(name)
                if known is not None and col.type != known:
                    table = table.set_column(i, name, pa.nulls(len(col), known))
                continue
            self.arrow_types.setdefault(name, col.type)
        return table

    def _align(self, path: Path, frame: pd.DataFrame) -> pd.DataFrame:
        names = [str(c) for c in frame.columns]
        if names == self.columns:
            return frame
        self._mismatch(path, names)
        return frame.set_axis(names, axis=1)[self.columns]

    def _mismatch(self, path: Path, names: list[str]) -> None:
        """Raise if ``names`` is not a reordering of the first file's columns."""
        missing = [c for c in self.columns if c not in names]
        extra = [c for c in names if c not in self.columns]
        if missing or extra or len(set(names)) != len(names):
            parts = []
            if missing:
                parts.append(f"missing {missing}")
            if extra:
                parts.append(f"extra {extra}")
            detail = "; ".join(parts) or "duplicate column names"
            raise InputError(
                f"{path}: its columns differ from {self.first} ({detail}); give all files of one "
                "run the same columns"
            )


def iter_chunks(
    paths: Sequence[str | Path],
    readers: Readers,
    chunk_rows: int = 100_000,
    limits: ReadLimits | None = None,
    arrow: bool = False,
    skip: Iterable[str | Path] = (),
) -> Iterator[tuple[Path, Any]]:
    """Read files and folders as ``(path, chunk)`` pairs with consistent columns and dtypes.

    Parameters
    ----------
    paths
        Files or folders. A folder whose files are all ``.txt``/``.md`` is one table of documents
        (column ``text``); any other folder contributes every data file under it, sorted.
    readers
        The registered readers (a name -> reader mapping, or a sequence).
    chunk_rows
        Upper bound (approximately) on rows per chunk.
    limits
        Size limits passed to readers that accept them (the built-in ones); defaults apply
        otherwise.
    arrow
        Yield the built-in readers' normalised Arrow tables (``read_tables``) instead of pandas
        frames, for the profile builder; other readers still yield pandas frames.
    skip
        Files to leave out of the folders given: the file the command is about to write
        (``--output``), which a folder holding it would otherwise read as data the next run.

    Raises
    ------
    InputError
        For a missing path, a broken link, FIFO or other special file where data is expected
        (given, or under a folder with a suffix a reader claims), a file given twice (directly or
        through a folder), an unknown suffix, an empty or header-only file, a malformed file, or
        files whose columns differ.
    """
    if chunk_rows < 1:
        raise InputError(f"chunk size must be at least 1 row (got {chunk_rows})")
    if not paths:
        raise InputError("no input given; pass at least one file or folder")
    targets = _expand_all(paths, readers, skip)
    conform = _Conformer()
    for path in targets:
        reader = find_reader(path, readers)
        read = reader.read
        normalized = arrow and _has_tables(reader)  # read_tables yields normalised tables
        if normalized:
            read = reader.read_tables
        if limits is not None and getattr(reader, "supports_limits", False):
            chunks = _guarded(path, reader, partial(read, path, chunk_rows, limits=limits))
        else:
            chunks = _guarded(path, reader, partial(read, path, chunk_rows))
        rows = 0
        try:
            for frame in chunks:
                if isinstance(frame, pa.Table):
                    if not normalized:  # a plugin's table: flatten structs, canonical types
                        frame = normalize_table(frame, path)
                    frame = conform.table(path, frame)
                    if frame.num_rows:
                        rows += frame.num_rows
                        yield path, frame
                    continue
                if not isinstance(frame, pd.DataFrame):
                    raise InputError(
                        f"{path}: reader {getattr(reader, 'name', reader)!r} yielded "
                        f"{type(frame).__name__}, not a pandas DataFrame or pyarrow Table; fix the "
                        "reader plugin"
                    )
                frame = conform(path, frame)
                if len(frame) == 0:
                    continue
                rows += len(frame)
                yield path, frame
        except InputError:
            raise
        except (UnicodeDecodeError, ValueError, OSError) as exc:
            raise InputError(f"{path}: cannot be read ({exc}); check the file") from None
        if rows == 0:
            raise InputError(f"{path}: holds no data rows (empty or header only); pass data")


def _is_builtin(reader: Any) -> bool:
    """Whether ``reader`` is one of collapse-guard's own readers (not a plugin's)."""
    from ..plugins import DEFAULT_PLUGINS, registered_by

    owner = registered_by(reader)
    if owner is not None:
        return owner in DEFAULT_PLUGINS
    return isinstance(reader, BuiltinReader)


def _guarded(path: Path, reader: Any, start: Callable[[], Iterable[Any]]) -> Iterator[Any]:
    """The chunks of ``start()``; a third-party reader's unexpected exception (not an InputError,
    nor the ValueError/OSError/UnicodeDecodeError of a file it cannot parse, which ``iter_chunks``
    reports as unreadable) becomes a ``PluginCrashError`` naming the reader, its plugin and the
    file. A built-in reader's exceptions pass unchanged (an internal error of collapse-guard)."""
    if _is_builtin(reader):
        yield from start()
        return
    try:
        yield from start()
    except (InputError, UnicodeDecodeError, ValueError, OSError):
        raise
    except Exception as exc:
        raise PluginCrashError(_crash_message(path, reader, exc)) from exc


def _crash_message(path: Path, reader: Any, exc: Exception) -> str:
    from ..plugins import plugin_label, registered_by

    owner = registered_by(reader)
    plugin = "" if owner is None else f" (plugin {plugin_label(owner)})"
    whose = "the plugin's" if owner is not None else "the reader's"
    return (
        f"{path}: reader {getattr(reader, 'name', type(reader).__name__)!r}{plugin} crashed: "
        f"{type(exc).__name__}: {exc}; report it to {whose} authors{rerun_advice()}"
    )
