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


def row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """One stable hash per row of ``frame`` (content only, not the index)."""
    if frame.shape[1] == 0:
        return np.zeros(len(frame), dtype=np.uint64)
    return pd.util.hash_pandas_object(frame, index=False, hash_key=_HASH_KEY).to_numpy(dtype=np.uint64)
