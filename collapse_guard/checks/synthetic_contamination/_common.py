"""Shared pieces: minimum sizes, the run state, candidate records, the marker list and small helpers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from ...context import CheckContext
from ...results import Measurement
from ..formatting import pct as _pct  # noqa: F401  (one definition, shared by the sibling modules)

MIN_DOCS = 30
MIN_ROWS = 50
HOLDOUT_SHARE = 0.3
LM_FOLDS = 3


@lru_cache(maxsize=1)
def load_markers() -> dict[str, Any]:
    """The shipped marker list (``collapse_guard/data/markers.json``), with sources."""
    text = resources.files("collapse_guard.data").joinpath("markers.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@dataclass(frozen=True, slots=True)
class _Candidate:
    method: str
    column: str | None
    value: float
    interval: tuple[float, float]
    p_value: float | None
    kind: str  # "estimate" or "lower bound"
    note: str


@dataclass
class _Run:
    ctx: CheckContext
    out: list[Measurement] = field(default_factory=list)
    candidates: list[_Candidate] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def _cap_index(n: int, cap: int, rng: np.random.Generator) -> np.ndarray:
    if n <= cap:
        return np.arange(n)
    return np.sort(rng.choice(n, cap, replace=False))


def _df_lookup(keys: np.ndarray, words: np.ndarray, df: np.ndarray) -> np.ndarray:
    if words.size == 0:
        return np.zeros(keys.size)
    pos = np.searchsorted(words, keys)
    pos[pos >= words.size] = 0
    return np.where(words[pos] == keys, df[pos], 0).astype(float)
