"""Two-sample tests of rates: is one group's share of some kind of row different from another's."""

from __future__ import annotations

import math

from .distributions import betabinom_sf, norm_sf


def excess_rate_p(k_b: int, n_b: int, k_h: int, n_h: int) -> float:
    """One-sided p-value for "the batch's rate k_b / n_b exceeds the hold-out's k_h / n_h".

    The batch count is compared with its predictive law given the hold-out count (beta-binomial
    with a Jeffreys prior), so the hold-out's own sampling error is carried, not plugged in.
    An empty side gives 1.0: nothing to compare.
    """
    if n_b == 0 or n_h == 0:
        return 1.0
    return float(betabinom_sf(k_b - 1, n_b, k_h + 0.5, n_h - k_h + 0.5))


def two_proportion_p(share_a: float, n_a: int, share_b: float, n_b: int) -> float:
    """Two-sided pooled two-proportion z-test of equal shares; 1.0 or 0.0 when the pooled share
    is 0 or 1 (no variance: the shares are equal or they are not)."""
    pooled = (share_a * n_a + share_b * n_b) / max(n_a + n_b, 1)
    var = pooled * (1 - pooled) * (1 / max(n_a, 1) + 1 / max(n_b, 1))
    if var <= 0:
        return 1.0 if share_a == share_b else 0.0
    z = abs(share_b - share_a) / math.sqrt(var)
    return min(1.0, 2 * float(norm_sf(z)))
