"""Which GitHub annotations a run shows, and in what order.

GitHub shows the first 10 ``error``, 10 ``warning`` and 10 ``notice`` annotations of a step and
silently drops the rest, so the order decides what a reviewer sees. Files come by status (cannot
be read or checked, fail, warn, ...), and within a file the findings by importance: crashed
checks, then failures (table-level ones such as ``synthetic_share`` first: they are the
headline, column findings often follow from them), each by adjusted p-value, then warnings.
Each file with something to say gets one annotation before any file gets a second, and the last
annotation shown for a file says how many more it has. Insufficient-data findings of a passing
file are left out: the batch passed, and they would take notice slots from files that did not.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from ..results import Finding, Status
from ..scan import FILE_STATUSES, FileResult

PER_STEP = 10  # GitHub's limit per step, for each of error, warning and notice
_COMMAND = {"fail": "error", "error": "error", "warn": "warning", "insufficient-data": "notice"}
_PLURAL = {"error": "errors", "warning": "warnings", "notice": "notices"}
_FILE_RANK = {s: i for i, s in enumerate(FILE_STATUSES)}
_FINDING_RANK = {Status.ERROR: 0, Status.FAIL: 1, Status.WARN: 2, Status.INSUFFICIENT: 3}


@dataclass(frozen=True)
class Annotation:
    """One workflow command: ``command`` is error, warning or notice."""

    command: str
    message: str
    props: dict[str, str] = field(default_factory=dict)


def select(files: Iterable[FileResult]) -> tuple[list[Annotation], dict[str, int]]:
    """The annotations to print, in order, and how many of each command were left out."""
    ordered = sorted(files, key=lambda fr: _FILE_RANK.get(fr.status, len(_FILE_RANK)))
    per_file = [candidates(fr) for fr in ordered]
    shown: dict[tuple[int, int], Annotation] = {}
    left_out: dict[str, int] = {}
    for command in ("error", "warning", "notice"):
        queues = [
            [(i, j) for j, a in enumerate(anns) if a.command == command] for i, anns in enumerate(per_file)
        ]
        total = sum(len(q) for q in queues)
        budget = PER_STEP
        if command == "notice" and (left_out or total > PER_STEP):
            budget -= 1  # room for the closing notice that points at the summary
        picked = _pick(queues, budget)
        for q in queues:
            kept = [key for key in q if key in picked]
            for key in kept:
                shown[key] = per_file[key[0]][key[1]]
            if kept and len(kept) < len(q):
                last = kept[-1]
                left = len(q) - len(kept)
                kind = _PLURAL[command] if left > 1 else command
                more = f" (and {left} more {kind} for this file)"
                shown[last] = replace(shown[last], message=shown[last].message + more)
        if total > len(picked):
            left_out[command] = total - len(picked)
    return [shown[key] for key in sorted(shown)], left_out


def _pick(queues: Sequence[Sequence[tuple[int, int]]], budget: int) -> set[tuple[int, int]]:
    """Each file's first annotation, then the rest in file order, up to ``budget``."""
    picked: list[tuple[int, int]] = [q[0] for q in queues if q][:budget]
    for q in queues:
        for key in q[1:]:
            if len(picked) >= budget:
                return set(picked)
            picked.append(key)
    return set(picked)


def candidates(fr: FileResult) -> list[Annotation]:
    """A file's annotations, most important first, before GitHub's limit is applied."""
    # A batch of several files (`check a.csv b.csv`) is judged as a whole: a finding describes
    # their rows together, so it is not pinned on any one file (see docs/ci.md).
    where = {"file": fr.path} if len(fr.locations) == 1 else {}
    command = _COMMAND.get(fr.status)
    if fr.kind in ("unreadable", "image") or (fr.status == "error" and not fr.findings):
        if command is None:
            return []
        title = {"unreadable": "collapse-guard: cannot read", "image": "image-provenance"}.get(
            fr.kind, "collapse-guard: error"
        )
        return [Annotation(command, fr.reason, {**where, "title": title})]
    if fr.status == "pass":
        return []
    out = [
        Annotation(
            _COMMAND[f.status.value],
            f.display_message() or f.metric,
            {**where, "line": "1" if where else "", "title": _title(f)},
        )
        for f in sorted((f for f in fr.findings if f.status in _FINDING_RANK), key=_importance)
    ]
    if command is not None and not any(a.command == command for a in out):
        # The status comes from the file as a whole (a warn because no check could test
        # anything, say): say why, at the file's own level, ahead of the details.
        out.insert(0, Annotation(command, fr.reason, {**where, "title": f"collapse-guard: {fr.status}"}))
    return out


def _importance(f: Finding) -> tuple[int, bool, float, str, str, str]:
    p = f.p_adjusted if f.p_adjusted is not None else f.measurement.p_value
    return (
        _FINDING_RANK[f.status],
        f.column is not None,
        math.inf if p is None or math.isnan(p) else p,
        f.check,
        f.column or "",
        f.metric,
    )


def _title(f: Finding) -> str:
    where = f" ({f.column})" if f.column else ""
    return f"{f.check}{where}: {f.metric}"
