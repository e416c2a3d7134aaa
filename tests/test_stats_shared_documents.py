"""The null of batch documents repeating reference documents: random splits of the pooled ones."""

from __future__ import annotations

from itertools import combinations

import numpy as np

from collapse_guard.stats.shared_documents import shared_documents_test


def test_draws_match_the_exact_split_distribution_of_a_small_pool() -> None:
    batch = np.array([1, 2, 3, 3], dtype=np.uint64)
    ref = np.array([1, 4, 5, 3, 6], dtype=np.uint64)
    pool = np.concatenate([batch, ref])
    counts = []
    for chosen in combinations(range(len(pool)), len(batch)):  # all 126 splits, by hand
        side = np.zeros(len(pool), dtype=bool)
        side[list(chosen)] = True
        counts.append(int(np.isin(pool[side], pool[~side]).sum()))
    res = shared_documents_test(batch, ref, np.random.default_rng(0), draws=20_000)
    assert res.observed == 3 and res.first_copy == 0  # 1, 3, 3 have twins; 2 has none
    assert abs(res.expected - np.mean(counts)) < 0.03 and abs(res.sd - np.std(counts)) < 0.03


def test_nothing_repeated_and_everything_copied() -> None:
    rng = np.random.default_rng(1)
    none = shared_documents_test(np.arange(5, dtype=np.uint64), np.arange(5, 9, dtype=np.uint64), rng)
    assert (none.observed, none.expected, none.p_value) == (0, 0.0, 1.0)
    docs = np.arange(1_000, dtype=np.uint64)
    copied = shared_documents_test(docs[:400], docs, rng)  # a batch taken from the reference
    assert copied.observed == 400 and copied.expected < 300 and copied.p_value < 1e-12


def test_share_is_of_the_documents_tested() -> None:
    """``share`` divides by the documents given to the test, the same population the copies were
    counted in (a caller that drops empty documents first must not divide by all of them)."""
    docs = np.arange(100, dtype=np.uint64)
    res = shared_documents_test(docs[:30], docs, np.random.default_rng(0))
    assert (res.observed, res.batch_docs, res.share) == (30, 30, 1.0)
    empty = shared_documents_test(np.array([], dtype=np.uint64), docs, np.random.default_rng(0))
    assert (empty.batch_docs, empty.share) == (0, 0.0)


def test_honest_splits_of_repetitive_text_rarely_alarm() -> None:
    """Documents drawn from one pool with heavy boilerplate (Zipf over 300 stock documents for
    half of them): p-values are uniform, and the check's effect (the excess over the splits' 95th
    percentile) reaches the warn threshold (1 point) with p < 0.05 in under 2% of 300 splits; a
    batch where one document in six is copied from the reference is caught in at least 95%. (Copies
    of a unique reference document are a pair in the pool, split across the sides by 44% of random
    splits too: a small leak into boilerplate-heavy text is hard to see, by design of the null.)"""
    rng = np.random.default_rng(2)
    weights = 1.0 / np.arange(1, 301) ** 0.9
    weights /= weights.sum()

    def docs(n: int) -> np.ndarray:
        stock = rng.choice(300, n, p=weights).astype(np.uint64)
        fresh = rng.integers(10**6, 10**12, n).astype(np.uint64)
        return np.where(rng.random(n) < 0.5, stock, fresh)

    def effect(res: object) -> float:
        return max((res.observed - res.expected - 1.645 * res.sd) / res.batch_docs, 0.0)  # type: ignore[attr-defined]

    significant = alarms = caught = 0
    for _ in range(300):
        ref, batch = docs(4_000), docs(2_000)
        res = shared_documents_test(batch, ref, rng, draws=100)
        significant += res.p_value < 0.05
        alarms += res.p_value < 0.05 and effect(res) >= 0.01
        leaked = np.concatenate([batch, rng.choice(ref[ref >= 10**6], 400, replace=False)])
        res = shared_documents_test(leaked, ref, rng, draws=100)
        caught += res.p_value < 0.05 and effect(res) >= 0.01
    assert 5 <= significant <= 25 and alarms < 6 and caught >= 285


def test_a_rare_twin_gets_the_draws_own_tail_not_a_normal_one() -> None:
    """One batch document of 30 repeats one of 5,000 reference documents: by chance about 1.2% of
    the time (the exact chance that document lands on the other side). A normal tail on a count
    that is almost always 0 said p ~ 1e-7, or 0."""
    rng = np.random.default_rng(3)
    ref = np.arange(5_000, dtype=np.uint64)
    batch = np.r_[np.arange(10**6, 10**6 + 29), [7]].astype(np.uint64)
    p_values = [shared_documents_test(batch, ref, rng).p_value for _ in range(20)]
    assert min(p_values) >= 1 / 201 and np.median(p_values) > 0.005
