"""Error messages for Great Expectations users.

collapse-guard's messages name the fix as the command line spells it (``-r``, ``--column
NAME=ignore``, "give a file with rows"). A Great Expectations user has none of those options: the
same fixes are expectation arguments (``reference=``, ``config=``) and keys of the config file.
:func:`for_gx` rewrites the command-line parts of a message and keeps the rest (the file, the
column, the reason) word for word, so that the core keeps one set of messages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ..errors import CollapseGuardError

_KINDS = "numeric|categorical|text|ignore|KIND"


def _toml_key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name)


def _column_kind(match: re.Match[str]) -> str:
    name, kind = match.group("name"), match.group("kind")
    return f'[columns.{_toml_key(name)}] kind = "{kind}" in the config file given as config='


# Order matters: whole phrases first, then the single options they contain.
_REWRITES: list[tuple[re.Pattern[str], object]] = [
    (
        re.compile(r"pass the file written by `collapse-guard profile` after -r \(data files go before -r\)"),
        "pass as reference= the file written by `collapse-guard profile`",
    ),
    (
        re.compile(
            r"no data rows(?: \(empty or header-only\); give a file with rows|; pass a DataFrame with "
            r"rows \(or profile it with part=True when it is one part of data to be merged\))"
        ),
        "no rows; check the batch definition (an empty DataFrame, or a row_condition that kept nothing)",
    ),
    (re.compile(r"^the data: "), "the batch: "),
    # A kind the reference fixed is changed by rebuilding it, which is done with the CLI.
    (
        re.compile(rf"rebuild the reference with --column (?P<name>.+?)=(?P<kind>{_KINDS})\b"),
        r"rebuild the reference with `collapse-guard profile --column \g<name>=\g<kind>`",
    ),
    # `profile --column NAME=KIND` rebuilds the reference with the CLI, which a GX user does too.
    (re.compile(rf"(?<!profile )--column (?P<name>.+?)=(?P<kind>{_KINDS})\b"), _column_kind),
    (re.compile(r"(?<!profile )--column\b"), "[columns.NAME] kind in the config file given as config="),
    # The Python API's spelling of the same fix (messages about DataFrames use it).
    (re.compile(r" \(in Python: columns=\{[^}]*\}\)"), ""),
    (re.compile(rf"\bcolumns=\{{'(?P<name>[^']+)': '(?P<kind>{_KINDS})'\}}"), _column_kind),
    (re.compile(r"(?<![\w-])--synthetic-reference\b"), "synthetic_reference="),
    (re.compile(r"(?<![\w-])--config\b"), "config="),
    # GX keeps the traceback in the result's exception_info; there is no flag to rerun with.
    (re.compile(r", or rerun with --traceback"), ""),
]


def for_gx(message: str) -> str:
    """``message`` with the command-line fixes said as expectation arguments and config keys."""
    for pattern, replacement in _REWRITES:
        message = pattern.sub(replacement, message)  # type: ignore[call-overload]
    return message


def rephrased(exc: CollapseGuardError) -> CollapseGuardError:
    """The same kind of error with a message for Great Expectations users; ``exc`` itself when
    nothing needed rewording."""
    text = for_gx(str(exc))
    if text == str(exc):
        return exc
    try:
        return type(exc)(text)
    except TypeError:  # a subclass with another constructor: keep it as it is
        return exc


# Column kinds each check judges one column at a time (built-in checks; the expectations are
# bound to them). diversity-loss sees numeric columns only through the batch's row coverage.
COLUMN_KINDS = {
    "tail-shrinkage": ("numeric", "categorical", "text"),
    "diversity-loss": ("categorical", "text"),
}
_ELSEWHERE = {
    "diversity-loss": {
        "numeric": "numeric columns count in the coverage of reference rows, which "
        "ExpectBatchDiversityNotToDrop judges",
    },
}


def _listed(words: tuple[str, ...]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def nothing_measured(
    check: str, column: str | None, report: Mapping[str, Any], metric: str | None = None
) -> str:
    """Why a check reported no finding for a column (or the batch), and what to do, as one message.

    Looks at the reference profile's kinds, so that a numeric column given to the diversity
    expectation is told its kind rather than to rebuild a reference that already has it.
    """
    where = f"column {column!r}" if column is not None else "the batch"
    head = f"collapse-guard {check} measured nothing for {where}"
    notes = [str(n) for n in report.get("notes") or [] if column is not None and repr(column) in str(n)]
    kinds: Mapping[str, str] = report.get("reference_kinds") or {}
    ignored: list[str] = report.get("ignored_columns") or []
    if column is None and metric is not None:
        return f"{head}: it reported no {metric} finding for this batch and reference; remove metric="
    if column is None:
        return (
            f"{head}: it reported no table-level finding (the coverage of reference rows needs "
            "numeric or categorical columns in both the reference and the batch); remove this "
            "expectation, or judge the columns with the column expectations"
        )
    if notes:
        return f"{head} ({notes[0]}); rebuild the reference with that column or remove this expectation"
    if column in ignored:
        return (
            f'{head}: the config file given as config= ignores it (kind = "ignore"); remove this '
            "expectation, or that setting"
        )
    if column not in kinds:
        return (
            f"{head}: it is not in the reference profile; rebuild the reference with that column "
            "(`collapse-guard profile`) or remove this expectation"
        )
    kind = kinds[column]
    handled = COLUMN_KINDS.get(check)
    if handled is not None and kind not in handled:
        also = _ELSEWHERE.get(check, {}).get(kind)
        return (
            f"{head}: it is a {kind} column in the reference, and {check} judges "
            f"{_listed(handled)} columns one at a time"
            + (f"; {also}" if also else "")
            + "; remove this expectation"
        )
    return f"{head}, a {kind} column of the reference; remove this expectation"
