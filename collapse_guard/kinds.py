"""Column kinds and their inference from data."""

from __future__ import annotations

import re
from enum import StrEnum

import numpy as np
import pandas as pd


class Kind(StrEnum):
    """What a column holds, which decides the statistics kept for it."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    TEXT = "text"

    def __str__(self) -> str:
        return self.value


# A string column is free text when its values average at least this many words; shorter strings
# with few distinct values are categories.
TEXT_MIN_MEAN_WORDS = 4.0
TEXT_MIN_MEAN_CHARS = 40.0


def parse_kind(value: str) -> Kind:
    """Parse a user-supplied kind name, raising ValueError that lists the choices."""
    try:
        return Kind(value.strip().lower())
    except ValueError:
        choices = ", ".join(k.value for k in Kind)
        raise ValueError(f"unknown column kind {value!r}; choose one of: {choices}") from None


# Integer columns with at most this many distinct values are codes (ratings, flags, classes):
# categories, so that rarefaction and vanished-category tests apply to them.
MAX_INTEGER_CODES = 12
INFER_SAMPLE = 2_000
_ID_NAME = re.compile(r"(^|[_\-\s.])(id|key|uuid|guid|index|idx|pk)$", re.IGNORECASE)


def _numeric_strings(values: pd.Series) -> bool:
    strings = values.astype(str).str.strip()
    strings = strings[strings != ""]
    return len(strings) > 0 and bool(pd.to_numeric(strings, errors="coerce").notna().all())


def infer_kind(series: pd.Series) -> Kind | None:
    """Infer a column's kind from a sample of its values.

    Returns None when the column has no non-null value (the caller decides whether that is an
    error). Booleans and integer codes with few distinct values are categorical; other numbers,
    and strings that all parse as numbers, are numeric; strings are text when they are long or
    wordy, categorical otherwise.
    """
    values = series.dropna()
    if values.empty:
        return None
    if pd.api.types.is_bool_dtype(values.dtype):
        return Kind.CATEGORICAL
    if not pd.api.types.is_numeric_dtype(values.dtype):
        values = values.head(INFER_SAMPLE)  # string tests are per row; a bounded sample suffices
    if pd.api.types.is_numeric_dtype(values.dtype):
        x = values.to_numpy(dtype=np.float64)
        integral = bool(np.all((np.floor(x) == x) & (np.abs(x) < 2**31)))
        if integral and len(x) >= 100 and len(np.unique(x)) <= MAX_INTEGER_CODES:
            return Kind.CATEGORICAL
        return Kind.NUMERIC
    if _numeric_strings(values):
        return Kind.NUMERIC
    strings = values.astype(str)
    mean_chars = float(strings.str.len().mean())
    mean_words = float(strings.str.count(r"\S+").mean())
    if mean_words >= TEXT_MIN_MEAN_WORDS or mean_chars >= TEXT_MIN_MEAN_CHARS:
        return Kind.TEXT
    return Kind.CATEGORICAL


def skip_reason(series: pd.Series, name: str) -> str | None:
    """Why a column should be left out of a reference (timestamps, identifiers), or None."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype) or pd.api.types.is_timedelta64_dtype(series.dtype):
        return (
            "holds timestamps, which are not compared; derive a feature from it (hour, weekday) "
            f"or declare it with --column {name}=categorical to include it"
        )
    values = series.dropna()
    if len(values) < 50:
        return None
    if pd.api.types.is_bool_dtype(values.dtype):
        return None
    if pd.api.types.is_numeric_dtype(values.dtype):
        x = values.to_numpy(dtype=np.float64)
        distinct = len(np.unique(x)) >= 0.95 * len(x)
        monotone = bool(np.all(np.diff(x) > 0))
        if distinct and bool(np.all(np.floor(x) == x)) and (monotone or _ID_NAME.search(name)):
            return (
                "looks like an identifier (distinct whole numbers); "
                f"declare it with --column {name}=numeric to include it"
            )
        return None
    strings = values.astype(str).head(500)
    if pd.to_numeric(strings.str.strip(), errors="coerce").notna().mean() >= 0.5:
        return None  # numbers stored as text (or a mix, which the profile reports)
    if strings.nunique() >= 0.5 * len(strings) and strings.str.contains(r"\d").mean() > 0.95:
        stamps = pd.to_datetime(strings, errors="coerce", format="mixed")
        if stamps.notna().mean() > 0.95 and strings.str.contains(r"[-/:]").mean() > 0.95:
            return (
                "holds timestamps, which are not compared; derive a feature from it (hour, weekday) "
                f"or declare it with --column {name}=categorical to include it"
            )
    if looks_like_identifier(values):
        return (
            "looks like an identifier (almost every value distinct); "
            f"declare it with --column {name}=categorical to include it"
        )
    return None


def looks_like_identifier(series: pd.Series) -> bool:
    """True for short strings that are (almost) all distinct and carry digits or a fixed length:
    keys, ids, hashes (not names or short sentences)."""
    values = series.dropna()
    if len(values) < 50 or pd.api.types.is_numeric_dtype(values.dtype):
        return False
    strings = values.astype(str)
    if strings.nunique() < 0.95 * len(strings):
        return False
    if float(np.mean(strings.str.count(r"\s+"))) >= 1:
        return False
    lengths = strings.str.len()
    return bool(strings.str.contains(r"\d").mean() >= 0.5 or lengths.min() == lengths.max())
