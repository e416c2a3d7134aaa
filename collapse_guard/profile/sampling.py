"""Bottom-k sampling by hash priority: deterministic, independent of chunking, exactly mergeable."""

from __future__ import annotations

import numpy as np


def bottom_k(priorities: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k smallest priorities, in increasing priority order (ties by index)."""
    n = len(priorities)
    if k <= 0 or n == 0:
        return np.zeros(0, dtype=np.int64)
    if k < n:
        part = np.argpartition(priorities, k - 1)[:k]
        # argpartition picks an arbitrary subset among ties at the k-th value; keep it exact by
        # taking every index strictly below the cutoff plus the lowest-index ties.
        cutoff = priorities[part].max()
        below = np.flatnonzero(priorities < cutoff)
        ties = np.flatnonzero(priorities == cutoff)[: k - len(below)]
        idx = np.concatenate([below, ties])
    else:
        idx = np.arange(n)
    order = np.lexsort((idx, priorities[idx]))
    return idx[order].astype(np.int64)
