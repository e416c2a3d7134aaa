"""Batch documents that repeat reference documents word for word, against a random split.

Honest text repeats itself (stock phrases, boilerplate paragraphs), so some batch documents
always have a twin in the reference. Under H0 the batch's and the reference's sampled documents
are exchangeable: given the pooled documents, which of them are the batch's is a uniformly random
subset of the batch's size. The null distribution of the number of batch documents with a twin
on the reference side is therefore that of random splits of the pooled documents, drawn here;
only documents whose words occur more than once in the pool can ever count, so each draw costs
the number of repeated documents, not the pool's size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .distributions import norm_sf

# Expected copies from which the null count is treated as normal (else the draws' own tail).
NORMAL_FROM = 20.0


@dataclass(frozen=True)
class SharedDocuments:
    """``observed`` batch documents have a twin among the reference's; random splits of the
    pooled documents give ``expected`` (sd ``sd``) on average."""

    observed: int
    batch_docs: int
    expected: float
    sd: float
    p_value: float
    first_copy: int | None  # index of a batch document with a twin, for the evidence

    @property
    def share(self) -> float:
        """``observed`` over ``batch_docs``: the share of the documents tested (0 when none).
        Callers that drop documents before the test (empty ones) must compare this share, not
        ``observed`` over a count that includes the dropped documents."""
        return self.observed / self.batch_docs if self.batch_docs else 0.0


def shared_documents_test(
    batch_hashes: np.ndarray, ref_hashes: np.ndarray, rng: np.random.Generator, draws: int = 200
) -> SharedDocuments:
    """How many batch documents (given by content hashes) repeat a reference document, against
    ``draws`` random splits of the pooled documents. The p-value is the draws' own tail, or, when
    at least ``NORMAL_FROM`` copies are expected, a normal tail with continuity correction on
    their mean and sd."""
    batch_hashes = np.asarray(batch_hashes, dtype=np.uint64)
    ref_hashes = np.asarray(ref_hashes, dtype=np.uint64)
    n_b = len(batch_hashes)
    has_twin = np.isin(batch_hashes, ref_hashes)
    observed = int(has_twin.sum())
    first = int(np.flatnonzero(has_twin)[0]) if observed else None
    pooled = np.concatenate([batch_hashes, ref_hashes])
    _, content, multiplicity = np.unique(pooled, return_inverse=True, return_counts=True)
    repeated = np.flatnonzero(multiplicity[content] > 1)
    if n_b == 0 or repeated.size == 0:
        return SharedDocuments(observed, n_b, 0.0, 0.0, 1.0 if observed == 0 else 0.0, first)
    # relabel the repeated documents' contents 0..k-1
    _, rep_content = np.unique(content[repeated], return_inverse=True)
    copies_of = np.bincount(rep_content)
    pool, r = len(pooled), repeated.size
    counts = np.empty(draws)
    for i in range(draws):
        on_batch_side = int(rng.hypergeometric(r, pool - r, n_b))
        picked = rep_content[rng.choice(r, on_batch_side, replace=False)]
        in_batch = np.bincount(picked, minlength=copies_of.size)
        counts[i] = in_batch[in_batch < copies_of].sum()  # a twin stayed on the reference side
    expected, sd = float(counts.mean()), float(counts.std(ddof=1)) if draws > 1 else 0.0
    # The draws' own tail: valid whatever the null's shape, never 0.
    p_draws = float((1 + np.count_nonzero(counts >= observed)) / (draws + 1))
    if sd > 0 and expected >= NORMAL_FROM:
        # A count with many repeated documents behind it is near normal, and its far tail (the
        # reference's own data: every document a copy) is beyond what the draws can show.
        p = float(norm_sf((observed - 0.5 - expected) / sd))
    else:
        p = p_draws  # few twins: a skewed count, where a normal tail understates p
    return SharedDocuments(observed, n_b, expected, sd, p, first)
