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

import os
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .results import SCHEMA_VERSION, Finding, Report, Status, jsonable

if TYPE_CHECKING:
    from .images import ImageMarkers, ImageSummary

__all__ = [
    "FileResult",
    "ScanReport",
    "file_results",
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


def report_reason(report: Report) -> str:
    """One sentence saying why a report has its status: the first worst finding's message."""
    for status in (Status.ERROR, Status.FAIL, Status.WARN):
        found = report.by_status(status)
        if found:
            first = found[0]
            where = f"{first.check}" + (f" on `{first.column}`" if first.column else "")
            more = f" (and {len(found) - 1} more {status.value})" if len(found) > 1 else ""
            return f"{where}: {first.message}{more}"
    tested = sum(1 for f in report.findings if f.status is Status.PASS)
    insufficient = report.by_status(Status.INSUFFICIENT)
    if tested == 0 and insufficient:
        return f"no finding could be tested: {insufficient[0].message}"
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
    import pathspec

    counts = skipped if skipped is not None else {}
    base = Path(root)
    if base.is_file():
        if wanted(base.name.lower()):
            yield WalkEntry(base, base.name)
        return
    excluded = pathspec.GitIgnoreSpec.from_lines(list(exclude)) if exclude else None
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
            yield WalkEntry(directory, rel_dir or ".", f"cannot list the folder: {exc.strerror}")
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
                counts["excluded"] = counts.get("excluded", 0) + (0 if is_dir else 1)
                continue
            if is_dir:
                try:
                    st = os.stat(entry.path)
                except OSError as exc:
                    yield WalkEntry(Path(entry.path), rel, f"cannot enter: {exc.strerror}")
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
            problem = None
            try:
                st = os.stat(entry.path)
                if not stat.S_ISREG(st.st_mode):
                    problem = "not a regular file"
            except OSError as exc:
                # ELOOP (a link to itself), ENOENT (a dangling link), EACCES...
                problem = f"cannot open: {exc.strerror or exc}"
            yield WalkEntry(Path(entry.path), rel, problem)
        stack.extend(reversed(subdirs))


def _load_gitignore(directory: Path, rel_dir: str) -> tuple[tuple[str, Any], ...]:
    import pathspec

    path = directory / ".gitignore"
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            lines = fh.read(1 << 20).splitlines()
    except OSError:
        return ()
    return ((rel_dir, pathspec.GitIgnoreSpec.from_lines(lines)),)


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
