"""Column kinds and their inference from data."""

from __future__ import annotations

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


def infer_kind(series: pd.Series) -> Kind | None:
    """Infer a column's kind from a sample of its values.

    Returns None when the column has no non-null value (the caller decides whether that is an
    error). Numbers and booleans are numeric/categorical; strings are text when they are long or
    wordy, categorical otherwise.
    """
    values = series.dropna()
    if values.empty:
        return None
    if pd.api.types.is_bool_dtype(values.dtype):
        return Kind.CATEGORICAL
    if pd.api.types.is_numeric_dtype(values.dtype):
        return Kind.NUMERIC
    strings = values.astype(str)
    mean_chars = float(strings.str.len().mean())
    mean_words = float(strings.str.count(r"\S+").mean())
    if mean_words >= TEXT_MIN_MEAN_WORDS or mean_chars >= TEXT_MIN_MEAN_CHARS:
        return Kind.TEXT
    return Kind.CATEGORICAL


def looks_like_identifier(series: pd.Series) -> bool:
    """True for short strings that are (almost) all distinct: keys, ids, hashes."""
    values = series.dropna()
    if len(values) < 50 or pd.api.types.is_numeric_dtype(values.dtype):
        return False
    distinct = values.nunique()
    return bool(distinct >= 0.95 * len(values)) and bool(np.mean(values.astype(str).str.count(r"\s+")) < 1)
