"""Scan a folder: find every data file a reader understands, check each one, summarise.

This is library code (no click): ``scan_folder(root, ...)`` returns a :class:`ScanReport` with
one :class:`FileResult` per file and a folder summary. The ``collapse-guard scan`` command is a
thin adapter over it.

Guarantees:

- Nothing under the folder is written or modified; files are only opened for reading.
- Memory is bounded whatever the folder's size: files are visited one at a time, each data file
  is read in chunks by its reader and reduced to a bounded profile, and only the small per-file
  results are kept.
- A file that cannot be read becomes an ``error`` result for that file; the scan goes on.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .checks.formatting import and_list
from .errors import EMPTY_PATH, InputError
from .own_files import own_output_kind
from .policy import untested_checks
from .provenance import provenance_filter
from .results import SCHEMA_VERSION, Finding, Report, Status, jsonable

if TYPE_CHECKING:
    from .config import Config
    from .images import ImageMarkers, ImageSummary
    from .kinds import Kind
    from .plugins import Registry
    from .profile import Profile
    from .readers import ReadLimits

__all__ = [
    "FileResult",
    "ScanReport",
    "file_results",
    "scan_paths",
    "walk",
]

# Statuses a file can have, from worst to best. "error" (could not be read or checked) ranks
# with "fail" for the folder's status: a file that could not be checked must not pass.
FILE_STATUSES = ("error", "fail", "warn", "insufficient-data", "pass")
_RANK = {s: i for i, s in enumerate(FILE_STATUSES)}


@dataclass(frozen=True, slots=True)
class FileResult:
    """The outcome for one file of a scan (or the one batch of a ``check`` run).

    Attributes
    ----------
    path
        The file, relative to the scanned folder, with ``/`` separators.
    status
        One of ``FILE_STATUSES``.
    reason
        One sentence saying why the file has that status.
    kind
        ``"data"`` (a table or text file read by a reader), ``"image"`` or ``"unreadable"``.
    findings
        The findings of the checks run on the file (empty for images and unreadable files).
    rows
        Rows (or documents) read, when the file was read.
    reader
        Name of the reader used.
    markers
        For images: the provenance markers read from the file.
    report
        The file's full report when checks ran on it.
    paths
        The files behind the result when there are several (a ``check`` batch read from many
        files); empty when ``path`` is the one file.
    """

    path: str
    status: str
    reason: str
    kind: str = "data"
    findings: tuple[Finding, ...] = ()
    rows: int | None = None
    reader: str | None = None
    markers: ImageMarkers | None = None
    report: Report | None = None
    paths: tuple[str, ...] = ()

    @property
    def notes(self) -> tuple[str, ...]:
        """The file's check notes: batch columns left out of the comparison, and why."""
        return tuple(self.report.notes) if self.report is not None else ()

    @property
    def locations(self) -> tuple[str, ...]:
        """The file paths to point CI annotations at."""
        return self.paths or (self.path,)

    @classmethod
    def from_report(cls, report: Report, path: str | None = None) -> FileResult:
        """View a one-batch ``Report`` as a file result (used by reporters for ``check``)."""
        paths = [str(p) for p in report.batch.get("paths", ())]
        rows = report.batch.get("rows")
        return cls(
            path=path if path is not None else (", ".join(paths) if paths else "<data>"),
            status=report.status,
            reason=report_reason(report),
            findings=tuple(report.findings),
            rows=int(rows) if isinstance(rows, int) else None,
            report=report,
            paths=tuple(paths) if len(paths) > 1 and path is None else (),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "kind": self.kind,
            "status": self.status,
            "reason": self.reason,
            "rows": self.rows,
            "reader": self.reader,
            "findings": [f.to_dict() for f in self.findings],
            "notes": list(self.notes),
        }
        if self.markers is not None:
            out["markers"] = {
                "format": self.markers.format,
                "found": list(self.markers.markers),
                "details": dict(self.markers.details),
            }
        return out


@dataclass(frozen=True, slots=True)
class ScanReport:
    """The result of scanning a folder.

    Attributes
    ----------
    root
        The folder scanned, as given.
    files
        One result per file, sorted by path.
    status
        ``"pass"``, ``"warn"`` or ``"fail"`` (an ``error`` file counts as ``fail``).
    reference
        The reference's path/sha256/rows, or None for a reference-free scan.
    images
        Marker counts over the images found, or None when there were none.
    skipped
        Files passed over and why (excluded, ignored, symlink loops, unknown formats).
    """

    root: str
    files: tuple[FileResult, ...]
    status: str
    reference: Mapping[str, Any] | None
    seed: int
    tool_version: str
    images: ImageSummary | None = None
    skipped: Mapping[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return self.status == Status.FAIL.value

    def counts(self) -> dict[str, int]:
        """Files per status, in ``FILE_STATUSES`` order."""
        return {s: sum(1 for f in self.files if f.status == s) for s in FILE_STATUSES}

    def summary_sentence(self) -> str:
        """One line for the end of a scan, e.g. ``12 files: 1 fail, 2 warn, 9 pass``."""
        counts = self.counts()
        parts = [f"{n} {s}" for s, n in counts.items() if n]
        head = f"{len(self.files)} file{'s' if len(self.files) != 1 else ''}"
        text = f"{head}: {', '.join(parts)}" if parts else f"{head} scanned"
        if self.images is not None and self.images.images:
            share = self.images.share or 0.0
            text += (
                f"; {self.images.with_generator_marker} of {self.images.images} images "
                f"({share:.0%}) carry a generator marker"
            )
        return text

    def to_dict(self) -> dict[str, Any]:
        """The scan as JSON: the DESIGN §4 header, a folder summary and one entry per file."""
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": "scan",
            "tool": {"name": "collapse-guard", "version": self.tool_version},
            "root": self.root,
            "reference": None if self.reference is None else jsonable(self.reference),
            "seed": self.seed,
            "status": self.status,
            "summary": {"files": len(self.files), **self.counts()},
            "skipped": dict(self.skipped),
            "images": None if self.images is None else self.images.to_dict(),
            "notes": list(self.notes),
            "files": [f.to_dict() for f in self.files],
        }


def file_results(report: Report | ScanReport) -> tuple[FileResult, ...]:
    """The per-file view every CI reporter renders: a scan's files, or a report as one file."""
    if isinstance(report, ScanReport):
        return report.files
    return (FileResult.from_report(report),)


def worst_status(statuses: Iterable[str]) -> str:
    """Folder status from file statuses: fail (or error) > warn > pass."""
    ranks = [_RANK.get(s, _RANK["pass"]) for s in statuses]
    worst = FILE_STATUSES[min(ranks)] if ranks else "pass"
    if worst in ("error", "fail"):
        return "fail"
    if worst == "warn":
        return "warn"
    return "pass"


def _unnamed(column: str | None, text: str) -> str:
    """``text`` without a leading "`column`: " or "column: ": the reason names the column in front."""
    if column:
        for named in (f"`{column}`: ", f"{column}: "):
            if text.startswith(named):
                return text[len(named) :]
    return text


def report_reason(report: Report) -> str:
    """One sentence saying why a report has its status: the first worst finding's message."""
    for status in (Status.ERROR, Status.FAIL, Status.WARN):
        found = report.by_status(status)
        if found:
            first = found[0]
            message = _unnamed(first.column, first.message)
            where = f"{first.check}" + (f" on `{first.column}`" if first.column else "")
            more = f" (and {len(found) - 1} more {status.value})" if len(found) > 1 else ""
            return f"{where}: {message}{more}"
    tested = sum(1 for f in report.findings if f.status is Status.PASS)
    # (A reference-free pass may hold an untested check: that is not why it passed.)
    untested = untested_checks(report.findings) if report.status == Status.WARN.value else []
    if untested:
        insufficient = [f for f in report.by_status(Status.INSUFFICIENT) if f.check in untested]
        first = insufficient[0]
        m = first.measurement
        # The reason alone (the message may lead with measured values); the message if none.
        why = _unnamed(first.column, m.insufficient or m.message or "it had too little data to test")
        where = f"{first.check} {first.metric}" + (f" on `{first.column}`" if first.column else "")
        # e.g. "no finding could be tested: synthetic-contamination synthetic_share: the batch has
        # no text column; ..." (the same shape as the fail and warn reasons above)
        more = f" (and {len(insufficient) - 1} more insufficient-data)" if len(insufficient) > 1 else ""
        lead = (
            "no finding could be tested"
            if tested == 0
            else f"{and_list(untested)} could test nothing ({tested} other finding"
            f"{'' if tested == 1 else 's'} passed)"
        )
        return f"{lead}: {where}: {why}{more}"
    if tested == 0:
        return "no check applied to this file's columns"
    return f"all {tested} tested findings passed"


# ----- walking ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WalkEntry:
    """A file met while walking: its path, its path relative to the root, and a problem."""

    path: Path
    rel: str
    problem: str | None = None


def walk(
    root: str | Path,
    *,
    wanted: Callable[[str], bool],
    exclude: Sequence[str] = (),
    gitignore: bool = True,
    skipped: dict[str, int] | None = None,
) -> Iterator[WalkEntry]:
    """Yield the files under ``root`` that ``wanted(name)`` accepts, in sorted order.

    Parameters
    ----------
    root
        The folder (or a single file).
    wanted
        Called with a lower-cased file name; True for files to yield.
    exclude
        Glob patterns (gitignore syntax) of paths to leave out, relative to ``root``.
    gitignore
        Respect ``.gitignore`` files found in ``root`` and below (and skip ``.git``).
    skipped
        When given, counts of files passed over, by reason, are added to it.

    Notes
    -----
    Symbolic links to directories are followed once: a link back to a directory already on the
    walk (a loop) is reported as a problem entry and not entered. A link whose target cannot be
    resolved is reported as a problem entry. Directories are listed one at a time, so memory
    grows with the depth of the tree, not its size.
    """
    from .readers import unreadable_reason

    counts = skipped if skipped is not None else {}
    base = Path(root)
    if not base.is_dir():
        # A file given by name is always read (gitignore and --exclude apply to walks only).
        # The reasons (and their fixes) are the ones `check` gives for the same file.
        problem = None
        reason = unreadable_reason(base)
        if not base.exists():
            problem = reason or "no such file or folder; check the path"
        elif not wanted(base.name.lower()):
            problem = "no reader for this file type; see `collapse-guard readers`"
        elif reason is not None:
            problem = reason
        yield WalkEntry(base, base.name, problem)
        return
    excluded = _exclude_spec(exclude) if exclude else None
    seen: set[tuple[int, int]] = set()
    # Each stack item: (directory, its path relative to root, ignore specs in force there).
    stack: list[tuple[Path, str, tuple[tuple[str, Any], ...]]] = [(base, "", ())]
    try:
        st = base.stat()
        seen.add((st.st_dev, st.st_ino))
    except OSError:
        return
    while stack:
        directory, rel_dir, specs = stack.pop()
        if gitignore:
            specs = specs + _load_gitignore(directory, rel_dir)
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            yield WalkEntry(
                directory, rel_dir or ".", f"cannot list the folder ({exc.strerror}); check its permissions"
            )
            continue
        subdirs: list[tuple[Path, str, tuple[tuple[str, Any], ...]]] = []
        for entry in entries:
            rel = f"{rel_dir}{entry.name}"
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                is_dir = False
            if is_dir and gitignore and entry.name == ".git":
                continue
            if _ignored(rel, is_dir, specs) or (
                excluded is not None and excluded.match_file(rel + ("/" if is_dir else ""))
            ):
                counts["excluded"] = counts.get("excluded", 0) + 1  # files and whole folders
                continue
            if is_dir:
                try:
                    st = os.stat(entry.path)
                except OSError as exc:
                    yield WalkEntry(
                        Path(entry.path),
                        rel,
                        f"cannot enter the folder ({exc.strerror}); check its permissions",
                    )
                    continue
                key = (st.st_dev, st.st_ino)
                if key in seen:
                    counts["symlink loop"] = counts.get("symlink loop", 0) + 1
                    continue
                seen.add(key)
                subdirs.append((Path(entry.path), rel + "/", specs))
                continue
            if not wanted(entry.name.lower()):
                counts["not a data file"] = counts.get("not a data file", 0) + 1
                continue
            # A link to a missing file or to itself, a FIFO, a socket...: the reason and its fix.
            problem = unreadable_reason(entry.path)
            if problem is None and not os.path.isfile(entry.path):
                problem = "is gone (removed while the folder was scanned); scan again"
            yield WalkEntry(Path(entry.path), rel, problem)
        stack.extend(reversed(subdirs))


def _exclude_spec(patterns: Sequence[str]) -> Any:
    import pathspec

    for pattern in patterns:
        if not _valid_pattern(pattern):
            raise InputError(
                f"--exclude {pattern!r} is not a valid gitignore-style pattern; write it as in a "
                ".gitignore file (e.g. 'drafts/' or '*.tmp'), escaping [ ] ! with a backslash"
            )
    return pathspec.GitIgnoreSpec.from_lines(list(patterns))


def _valid_pattern(pattern: str) -> bool:
    import pathspec

    try:
        pathspec.GitIgnoreSpec.from_lines([pattern])
    except (ValueError, re.error):  # GitIgnorePatternError is a ValueError
        return False
    return True


def _load_gitignore(directory: Path, rel_dir: str) -> tuple[tuple[str, Any], ...]:
    import pathspec

    path = directory / ".gitignore"
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            lines = fh.read(1 << 20).splitlines()
    except OSError:
        return ()
    try:
        spec = pathspec.GitIgnoreSpec.from_lines(lines)
    except (ValueError, re.error):
        # git skips a pattern it cannot parse and keeps the others; so does the walk.
        spec = pathspec.GitIgnoreSpec.from_lines([line for line in lines if _valid_pattern(line)])
    return ((rel_dir, spec),)


def _ignored(rel: str, is_dir: bool, specs: tuple[tuple[str, Any], ...]) -> bool:
    # Later (deeper) .gitignore files override earlier ones, as in git; a negation ("!x") in a
    # deeper file re-includes. check_file tells us whether a pattern matched at all.
    ignored = False
    for base, spec in specs:
        sub = rel[len(base) :] + ("/" if is_dir else "")
        result = spec.check_file(sub)
        if result.include is not None:
            ignored = bool(result.include)
    return ignored


# ----- scanning -----------------------------------------------------------------------------------

#: Called once per file: (files done, files in total or None, path being read).
Progress = Callable[[int, "int | None", str], None]


def _not_a_batch(entry: WalkEntry, written: str | None) -> str | None:
    """Why a file a reader claims is still not scanned as data, or None: the report this run is
    about to write, or collapse-guard's own output kept beside the data (a reference profile, an
    earlier run's JSON report)."""
    if written is not None and os.path.realpath(entry.path) == written:
        return "the report being written"
    if entry.problem is None:
        return own_output_kind(entry.path)
    return None


def scan_paths(
    paths: Sequence[str | Path],
    *,
    reference: Profile | None = None,
    config: Config | None = None,
    exclude: Sequence[str] = (),
    gitignore: bool = True,
    limits: ReadLimits | None = None,
    chunk_rows: int = 100_000,
    progress: Progress | None = None,
    raise_errors: bool = False,
    registry: Registry | None = None,
    output: str | Path | None = None,
) -> ScanReport:
    """Scan files and folders; check every data file on its own and summarise.

    Parameters
    ----------
    paths
        Folders (walked recursively) and files.
    reference
        A reference profile. Each data file is checked against it; without one, the checks run in
        reference-free mode (within-file diversity and near-duplicates, marker vocabulary against
        a pre-LLM English baseline) and provenance columns are reported.
    config
        Run configuration (thresholds, selected checks, column kinds, seed).
    exclude
        Gitignore-style patterns of paths to leave out, relative to each folder given.
    output
        The file the report will be written to: left out if it lies under a folder scanned, so
        that a scan that writes its report beside the data (``scan . -o report.json``) does not
        read the previous run's report as data the next time.
    gitignore
        Respect ``.gitignore`` files in the folders walked.
    limits
        Read limits (decompressed bytes, compression ratio, line length) for the readers
        (default: the config's ``[read]`` table).
    chunk_rows
        Rows per chunk while reading.
    progress
        Called before each file is read (for a progress bar).
    raise_errors
        Re-raise unexpected exceptions instead of turning them into ``error`` results
        (``--traceback``).
    registry
        Plugins to use (default: the installed ones).

    Returns
    -------
    ScanReport
        One result per data file or image (text documents of one folder together), sorted by
        path, and the folder summary.
    """
    from . import __version__
    from .config import Config
    from .images import IMAGE_SUFFIXES, read_image_markers, summarize_images
    from .plugins import default_registry
    from .readers import find_reader

    cfg = config if config is not None else Config()
    reg = registry if registry is not None else default_registry()
    cfg.validate(reg.checks)
    if limits is None:
        limits = cfg.read_limits()  # the same [read] limits that profile and check honour
    suffixes = tuple(s.lower() for r in reg.readers.values() for s in r.suffixes)
    text_suffixes = _text_suffixes(reg)

    def wanted(name: str) -> bool:
        return name.endswith(suffixes) or name.endswith(IMAGE_SUFFIXES)

    if any(isinstance(p, str) and not p for p in paths):
        # Path("") is the current folder: an unset variable would scan everything under it.
        raise InputError(f"{EMPTY_PATH}; pass a file or folder")
    skipped: dict[str, int] = {}
    entries = _entries_once(
        [(p, walk(p, wanted=wanted, exclude=exclude, gitignore=gitignore, skipped=skipped)) for p in paths],
        skipped,
    )
    # Text documents are one table per folder (as `check` reads a folder of .txt files); every
    # other file is its own batch.
    docs: dict[str, list[WalkEntry]] = {}
    units: list[tuple[str, WalkEntry | list[WalkEntry]]] = []
    written = os.path.realpath(output) if output is not None else None
    for e in entries:
        display = _display(e)
        why_not = _not_a_batch(e, written)
        if why_not is not None:
            skipped[why_not] = skipped.get(why_not, 0) + 1
            continue
        if e.problem is None and text_suffixes and e.path.name.lower().endswith(text_suffixes):
            folder = display.rsplit("/", 1)[0] + "/" if "/" in display else "./"
            if folder not in docs:
                docs[folder] = []
                units.append((folder, docs[folder]))
            docs[folder].append(e)
        else:
            units.append((display, e))

    if not units:
        known = " ".join(sorted({*suffixes, *IMAGE_SUFFIXES}))
        passed = ", ".join(f"{k} {why}" for why, k in sorted(skipped.items())) or "nothing"
        raise InputError(
            f"{', '.join(str(p) for p in paths)}: no data file or image to scan (passed over: "
            f"{passed}); known types are {known}; check the path, --exclude and .gitignore"
        )
    results: list[FileResult] = []
    image_results: list[ImageMarkers] = []
    total = len(units)
    for done, (display, unit) in enumerate(units):
        if progress is not None:
            progress(done, total, display)
        if isinstance(unit, list):
            results.extend(
                _scan_documents(display, unit, reference, cfg, reg, limits, chunk_rows, raise_errors)
            )
            continue
        if unit.problem is not None:
            results.append(FileResult(display, "error", f"{display}: {unit.problem}", kind="unreadable"))
            continue
        if unit.path.name.lower().endswith(IMAGE_SUFFIXES) and not unit.path.name.lower().endswith(suffixes):
            markers = read_image_markers(unit.path)
            markers = _relabel(markers, display)
            image_results.append(markers)
            results.append(_image_result(display, markers))
            continue
        reader = find_reader(unit.path, reg.readers)
        results.append(
            _scan_table(display, unit.path, reader, reference, cfg, reg, limits, chunk_rows, raise_errors)
        )
    if progress is not None:
        progress(total, total, "")
    results.sort(key=lambda r: r.path)
    ref_info = None
    if reference is not None:
        ref_info = {"path": reference.path, "sha256": reference.content_hash(), "rows": reference.rows}
    notes = []
    if reference is None:
        notes.append(
            "No reference was given: files were checked on their own (reference-free mode), "
            "which finds repetition, marker vocabulary and provenance metadata but not lost "
            "tails; pass --reference for the full checks."
        )
    if image_results:
        notes.append(
            "An image without provenance markers is not proven human: generators can omit them "
            "and re-encoding strips them."
        )
    shown = [str(p) for p in paths[:3]]
    root = ", ".join(shown) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    return ScanReport(
        root=root,
        files=tuple(results),
        status=worst_status(r.status for r in results),
        reference=ref_info,
        seed=cfg.seed,
        tool_version=__version__,
        images=summarize_images(image_results) if image_results else None,
        skipped=dict(sorted(skipped.items())),
        notes=tuple(notes),
    )


def _entries_once(
    walks: Sequence[tuple[str | Path, Iterable[WalkEntry]]], skipped: dict[str, int]
) -> list[WalkEntry]:
    """The entries of every path's walk, refusing a file that two paths given both reach (the
    same path twice, or a folder and a file inside it), as ``check`` does: its result would be
    reported twice. Paths are compared resolved, so ``./a.csv`` and a link to it count too.
    Inside one folder a link to a file already met is passed over (counted in ``skipped``): the
    folder is what was given, and refusing it for a link would stop the whole scan."""
    given_once: dict[str, str | Path] = {}
    for given, _ in walks:
        key = os.path.realpath(given)
        if key in given_once:
            raise InputError(
                f"{given}: is given twice ({given_once[key]} and {given}); give each file or folder once"
            )
        given_once[key] = given
    entries: list[WalkEntry] = []
    seen: dict[str, tuple[int, str]] = {}
    for i, (given, found) in enumerate(walks):
        given_path = Path(given)
        for e in found:
            how = str(e.path) if e.path == given_path else f"{e.path} from folder {given}"
            key = os.path.realpath(e.path)
            if key in seen and seen[key][0] != i:
                first = seen[key][1]
                raise InputError(
                    f"{e.path}: is given twice ({first} and {how}); give each file or folder once"
                )
            if key in seen and e.problem is None:
                skipped["link to a file already scanned"] = (
                    skipped.get("link to a file already scanned", 0) + 1
                )
                continue
            seen.setdefault(key, (i, how))
            entries.append(e)
    return entries


def _display(entry: WalkEntry) -> str:
    return entry.path.as_posix()


def _text_suffixes(reg: Registry) -> tuple[str, ...]:
    from .readers.builtin import TEXT_SUFFIXES

    return tuple(
        s
        for s in (*TEXT_SUFFIXES, *(t + ".gz" for t in TEXT_SUFFIXES))
        if any(s in r.suffixes for r in reg.readers.values())
    )


def _relabel(markers: ImageMarkers, display: str) -> ImageMarkers:
    from dataclasses import replace

    return replace(markers, path=display)


def _image_result(display: str, markers: ImageMarkers) -> FileResult:
    from .images import MARKERS

    if markers.error is not None:
        return FileResult(display, "error", f"{display}: {markers.error}", kind="unreadable", markers=markers)
    generator = [m for m in markers.markers if m != "c2pa"]
    if generator:
        quotes = "; ".join(markers.details[m] for m in generator[:2])
        return FileResult(
            display,
            "warn",
            f"the image carries generator metadata ({', '.join(generator)}: {quotes}); it was "
            "probably generated: review it before using it as human data",
            kind="image",
            markers=markers,
        )
    if markers.markers:
        return FileResult(
            display,
            "pass",
            f"C2PA manifest present without an AI source type ({MARKERS['c2pa']})",
            kind="image",
            markers=markers,
        )
    return FileResult(
        display,
        "pass",
        "no provenance marker found (which does not prove a human origin)",
        kind="image",
        markers=markers,
    )


def _scan_table(
    display: str,
    path: Path,
    reader: Any,
    reference: Profile | None,
    cfg: Config,
    reg: Registry,
    limits: ReadLimits | None,
    chunk_rows: int,
    raise_errors: bool,
) -> FileResult:
    from .readers import iter_chunks

    def chunks() -> Iterator[tuple[Path, Any]]:
        yield from iter_chunks([path], [reader], chunk_rows=chunk_rows, limits=limits, arrow=True)

    return _check_chunks(
        display, chunks(), reference, cfg, reg, raise_errors, reader=getattr(reader, "name", None)
    )


def _scan_documents(
    display: str,
    entries: list[WalkEntry],
    reference: Profile | None,
    cfg: Config,
    reg: Registry,
    limits: ReadLimits | None,
    chunk_rows: int,
    raise_errors: bool,
) -> list[FileResult]:
    """Text documents of one folder as one table; an unreadable document is its own error."""
    import pandas as pd

    from .errors import InputError
    from .readers import DEFAULT_LIMITS
    from .readers.builtin import CHUNK_BYTE_BUDGET, read_document

    errors: list[FileResult] = []
    readable = 0

    def chunks() -> Iterator[tuple[Path, Any]]:
        nonlocal readable
        batch: list[str] = []
        held = 0
        for e in entries:
            try:
                doc = read_document(e.path, limits or DEFAULT_LIMITS)
            except InputError as exc:
                errors.append(FileResult(_display(e), "error", str(exc), kind="unreadable"))
                continue
            except OSError as exc:
                errors.append(
                    FileResult(
                        _display(e),
                        "error",
                        f"{_display(e)}: cannot read ({exc.strerror or exc})",
                        kind="unreadable",
                    )
                )
                continue
            readable += 1
            batch.append(doc)
            held += len(doc)
            if len(batch) >= chunk_rows or held >= CHUNK_BYTE_BUDGET:
                yield Path(display), pd.DataFrame({"text": pd.Series(batch, dtype="str")})
                batch, held = [], 0
        if batch:
            yield Path(display), pd.DataFrame({"text": pd.Series(batch, dtype="str")})

    # The documents' column is text by definition: inferred, a single short document (or a
    # folder of one-word notes) would read as a categorical column, and the text checks would
    # say "the batch has no text column". A kind configured for `text` still wins.
    from .kinds import Kind

    result = _check_chunks(
        display, chunks(), reference, cfg, reg, raise_errors, reader="text", kinds={"text": Kind.TEXT}
    )
    if readable == 0 and errors:
        return errors
    label = f"{readable} document{'s' if readable != 1 else ''}"
    result = FileResult(
        result.path,
        result.status,
        f"{label}: {result.reason}",
        kind=result.kind,
        findings=result.findings,
        rows=result.rows,
        reader=result.reader,
        report=result.report,
    )
    return [result, *errors]


def _check_chunks(
    display: str,
    chunks: Iterator[tuple[Path, Any]],
    reference: Profile | None,
    cfg: Config,
    reg: Registry,
    raise_errors: bool,
    reader: str | None,
    kinds: Mapping[str, Kind] | None = None,
) -> FileResult:
    """Profile and check one batch. ``kinds`` are column kinds known from the file's format,
    used unless the config gives the column a kind (and ignored with a reference, whose kinds
    a batch is always read with)."""
    from .errors import CollapseGuardError
    from .profile import build_profile
    from .runner import run_checks

    prefix = ""
    try:
        first = next(chunks, None)
        if first is None:
            return FileResult(
                display,
                "error",
                f"{display}: holds no data rows; pass data",
                kind="unreadable",
                reader=reader,
            )
        if reference is not None:
            frame = first[1]
            have = {str(c) for c in getattr(frame, "column_names", None) or frame.columns}
            missing = [c for c in reference.columns if c not in have and c not in cfg.ignored_columns()]
            if missing:
                # A file of another shape cannot be compared with the reference; it still gets
                # the reference-free checks rather than a bare error.
                shown = ", ".join(repr(c) for c in missing[:3])
                more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
                prefix = f"lacks the reference's column(s) {shown}{more}, so it was checked on its own; "
                reference = None
        batch = build_profile(
            itertools.chain([first], chunks),
            settings=cfg.batch_settings(),
            kinds=None if reference is not None else {**(kinds or {}), **cfg.column_kinds()},
            reference=reference,
            ignore=cfg.ignored_columns(),
            max_columns=cfg.max_columns(),
            keep_unreferenced=provenance_filter(cfg, reg.checks),
        )
        report = run_checks(
            reference, batch, reg.checks, cfg, batch_paths=[display], show_tracebacks=raise_errors
        )
    except CollapseGuardError as exc:
        message = str(exc)
        if display not in message:
            message = f"{display}: {message}"
        return FileResult(display, "error", message, kind="unreadable", reader=reader)
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as exc:
        if raise_errors:
            raise
        return FileResult(
            display,
            "error",
            f"{display}: internal error ({type(exc).__name__}: {exc}); rerun with --traceback and report it",
            kind="unreadable",
            reader=reader,
        )
    result = FileResult.from_report(report, path=display)
    return FileResult(
        result.path,
        result.status,
        prefix + result.reason,
        findings=result.findings,
        rows=result.rows,
        reader=reader,
        report=report,
    )
