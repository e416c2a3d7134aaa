"""Calibration of the numeric tail check on disjoint clean splits (foundation "done when").

200 disjoint human/human splits of a generated human-like table with light, skewed and heavy
tails must fail in fewer than 1% of runs and warn in fewer than 5% at default settings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import collapse_guard as cg

RUNS = 200
BATCH = 1000


def test_numeric_tail_check_rarely_cries_wolf() -> None:
    rng = np.random.default_rng(2024)
    n = 20_000 + RUNS * BATCH
    data = pd.DataFrame(
        {
            "gauss": rng.normal(0, 1, n),
            "lognormal": rng.lognormal(0, 1, n),
            "pareto": rng.pareto(1.5, n) + 1,  # heavy tail: infinite variance
            "student_t3": rng.standard_t(3, n),
        }
    )
    ref = cg.profile(data.iloc[:20_000])
    statuses = []
    for i in range(RUNS):
        batch = data.iloc[20_000 + i * BATCH : 20_000 + (i + 1) * BATCH]
        statuses.append(cg.check(batch, ref, select=["tail-shrinkage"]).status)
    fail_rate = statuses.count("fail") / RUNS
    warn_rate = statuses.count("warn") / RUNS
    assert fail_rate < 0.01, statuses
    assert warn_rate < 0.05, statuses


def test_collapsed_batches_fail() -> None:
    rng = np.random.default_rng(7)
    ref = cg.profile(pd.DataFrame({"x": rng.lognormal(0, 1, 20_000)}))
    # A refit that lost the tails: the spread shrank to 60%, the narrowing Shumailov et al.
    # (Nature 2024) report.
    for seed in range(5):
        r = np.random.default_rng(seed)
        batch = pd.DataFrame({"x": np.exp(r.normal(0, 0.6, 1000))})
        assert cg.check(batch, ref).status == "fail"
