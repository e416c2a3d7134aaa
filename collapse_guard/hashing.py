"""Stable 64-bit hashes for strings, rows and n-grams.

Hashes must be identical across runs, machines and chunkings, because samples are chosen by hash
(bottom-k) and reference files store hashed tokens. pandas' SipHash-based ``hash_array`` with a fixed
key is stable and vectorised.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

_HASH_KEY = "collapse-guard01"  # 16 bytes, part of the reference file format: never change it
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def hash_strings(values: Sequence[str] | np.ndarray) -> np.ndarray:
    """Hash strings to uint64 (vectorised SipHash, stable across platforms)."""
    arr = np.asarray(values, dtype=object)
    if arr.size == 0:
        return np.zeros(0, dtype=np.uint64)
    return pd.util.hash_array(arr, hash_key=_HASH_KEY, categorize=False).astype(np.uint64)


def mix(h: np.ndarray, seed: int = 0) -> np.ndarray:
    """SplitMix64 finaliser: turns any uint64 (plus a seed) into a well-spread uint64."""
    with np.errstate(over="ignore"):
        z = np.asarray(h, dtype=np.uint64) + np.uint64(seed & 0xFFFFFFFFFFFFFFFF) * _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def combine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Order-sensitive combination of two hash arrays (used for n-grams)."""
    with np.errstate(over="ignore"):
        return mix(np.asarray(a, dtype=np.uint64) * np.uint64(0x100000001B3) ^ np.asarray(b, dtype=np.uint64))


def value_hashes(values: np.ndarray | pd.api.extensions.ExtensionArray) -> np.ndarray:
    """One column's share of a row hash: a stable hash per value (missing values equal)."""
    if isinstance(values, pd.arrays.NumpyExtensionArray):
        values = values.to_numpy()  # what a DataFrame column stores, and what pandas hashes
    return pd.util.hash_array(values, hash_key=_HASH_KEY).astype(np.uint64, copy=False)


def coded_hashes(codes: np.ndarray, distinct: np.ndarray) -> np.ndarray:
    """:func:`value_hashes` of ``distinct[codes]`` (code -1 = missing) without building the values.

    Hashes only the distinct values, as pandas does for a column of repeated strings, and gives
    missing values pandas' marker (the largest uint64), so the result equals ``value_hashes``.
    """
    hashed = pd.util.hash_array(np.asarray(distinct, dtype=object), hash_key=_HASH_KEY, categorize=False)
    out = (
        hashed.astype(np.uint64)[np.where(codes >= 0, codes, 0)]
        if len(hashed)
        else np.zeros(len(codes), np.uint64)
    )
    out[codes < 0] = np.iinfo(np.uint64).max
    return out


def combine_columns(column_hashes: Sequence[np.ndarray], rows: int) -> np.ndarray:
    """Row hashes from per-column :func:`value_hashes`, equal to pandas' ``hash_pandas_object``
    of the frame (``index=False``, our key), which the profile builder used to call.

    The combination is pandas' (CPython's tuple hash), so the builder can hash a column at a
    time, from pandas or Arrow, and still sample exactly the rows it sampled before (tested).
    """
    if not column_hashes:
        return np.zeros(rows, dtype=np.uint64)
    count = len(column_hashes)
    mult = np.uint64(1000003)
    out = np.full(rows, 0x345678, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i, h in enumerate(column_hashes):
            out ^= h
            out *= mult
            mult += np.uint64(82520 + 2 * (count - i))
        out += np.uint64(97531)
    return out
