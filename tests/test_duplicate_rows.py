"""diversity-loss `duplicate_row_share`: rows that repeat another row, against random splits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import collapse_guard as cg
from collapse_guard.checks.diversity_loss.rows import repeat_share
from collapse_guard.results import Finding, Status


def _continuous(n: int, seed: int) -> pd.DataFrame:
    r = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "amount": r.lognormal(size=n).round(2),
            "score": r.normal(size=n),
            "tier": r.choice(list("abcde"), n),
        }
    )


def _discrete(n: int, seed: int) -> pd.DataFrame:
    """Honest data that is mostly duplicates: 5 x 3 x 4 = 60 possible rows."""
    r = np.random.default_rng(seed)
    return pd.DataFrame(
        {"stars": r.integers(1, 6, n), "plan": r.choice(list("abc"), n), "seats": r.integers(0, 4, n)}
    )


def _duplicate_rows(batch: pd.DataFrame, reference: cg.Profile) -> Finding:
    report = cg.check(batch, reference, select=["diversity-loss"])
    (finding,) = [f for f in report.findings if f.metric == "duplicate_row_share"]
    return finding


def test_repeat_share_counts_rows_equal_to_an_earlier_row() -> None:
    assert repeat_share(np.array([1, 2, 3, 4], dtype=np.uint64)) == 0.0
    assert repeat_share(np.array([7, 7, 7, 8], dtype=np.uint64)) == pytest.approx(0.5)  # 2 of 4 repeat
    assert repeat_share(np.zeros(0, dtype=np.uint64)) == 0.0


@pytest.mark.parametrize("make", [_continuous, _discrete])
def test_honest_batches_pass_whatever_the_natural_duplication(make) -> None:  # type: ignore[no-untyped-def]
    reference = cg.profile(make(20_000, 1))
    found = [_duplicate_rows(make(3_000, 100 + seed), reference) for seed in range(8)]
    assert all(f.status is Status.PASS for f in found), [f.message for f in found]
    if make is _discrete:  # honest data full of repeats: the reference shows as many
        assert all(f.measurement.value > 0.9 for f in found)


def test_a_batch_that_repeats_its_rows_fails_with_the_counts() -> None:
    reference = cg.profile(_continuous(20_000, 1))
    half = _continuous(2_000, 7)
    finding = _duplicate_rows(pd.concat([half, half, half.iloc[:1_000]]), reference)
    assert finding.status is Status.FAIL
    assert finding.measurement.effect == pytest.approx(finding.measurement.value, abs=1e-3)  # reference: 0
    assert "repeat another sampled row" in finding.message and "deduplicate" in finding.message
    assert finding.measurement.evidence["reference_repeated_rows"] == 0


def test_a_mildly_repetitive_batch_of_naturally_repetitive_data_is_still_seen() -> None:
    """Discrete data repeats anyway; a batch drawn from fewer of the possible rows repeats more."""
    reference = cg.profile(_discrete(20_000, 1))
    batch = _discrete(3_000, 9)
    batch["seats"] = 0  # 15 possible rows instead of 60: collapse onto a mode
    finding = _duplicate_rows(batch, reference)
    assert finding.status is not Status.PASS and finding.measurement.effect > 0
