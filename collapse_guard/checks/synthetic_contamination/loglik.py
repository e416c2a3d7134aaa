"""Likelihood signature of collapse: typicality shift, lost spread and lost low-likelihood tail."""

from __future__ import annotations

import numpy as np

from ...results import Measurement
from ...stats.distributions import betabinom_sf, mannwhitney_greater
from ...stats.tails import interquartile_range
from ._common import (
    _Run,
)


def _low_tail_count(sb: np.ndarray, sh: np.ndarray) -> tuple[float, int, int, int]:
    """Batch documents below the hold-out's 5th percentile, ties at it broken at random.

    Short documents give a score with atoms (a one-word unknown string always scores the model's
    floor), and an atom can hold more than 5% of the hold-out: a strict ``<`` then counts nearly
    nothing on either side, and a fixed 5% expectation turns the tie into an effect (every honest
    split of UI strings failed). Each score gets an independent uniform tie-breaker (seeded, not
    from the data), the cut is the hold-out's ``k``-th smallest in that order, ``k = 5%`` of
    ``nh + 1``, and a batch score counts when it is below it in the same order.

    Returns ``(cut value, batch count below, k, batch documents tied with the cut value)``.
    """
    nb, nh = sb.size, sh.size
    k = max(1, round(0.05 * (nh + 1)))
    tie = np.random.default_rng([nb, nh, 0x5EED]).random(nb + nh)
    tb, th = tie[:nb], tie[nb:]
    order = np.lexsort((th, sh))
    cut = order[k - 1]
    cut_v, cut_t = float(sh[cut]), float(th[cut])
    below = int(np.sum((sb < cut_v) | ((sb == cut_v) & (tb < cut_t))))
    return cut_v, below, k, int(np.sum(sb == cut_v))


def _loglik_findings(
    run: _Run, column: str, sb: np.ndarray, sh: np.ndarray, rng: np.random.Generator, n_boot: int
) -> None:
    """Shumailov et al. Fig. 1: shift toward typical text, lost spread, lost improbable tail."""
    nb, nh = sb.size, sh.size
    iqr_h = max(interquartile_range(sh), 1e-9)
    med_b, med_h = float(np.median(sb)), float(np.median(sh))
    shift = (med_b - med_h) / iqr_h
    p_shift = mannwhitney_greater(sb, sh)
    # spread: permutation null of the IQR ratio with the pooled values re-split at both sizes
    ratio = interquartile_range(sb) / iqr_h
    pooled = np.r_[sb, sh]
    null = np.empty(n_boot)
    for i in range(n_boot):
        perm = rng.permutation(pooled.size)
        null[i] = interquartile_range(pooled[perm[:nb]]) / max(interquartile_range(pooled[perm[nb:]]), 1e-9)
    p_spread = (1.0 + float(np.sum(null <= ratio))) / (n_boot + 1.0)
    q05, below, k_cut, tied = _low_tail_count(sb, sh)
    share_h = k_cut / (nh + 1.0)
    expected = share_h * nb
    tail_ratio = below / expected if expected > 0 else float("nan")
    # The number of batch scores below the hold-out's k-th smallest is beta-binomial(nb, k,
    # nh + 1 - k) when the two are exchangeable (placement law of an order statistic), whatever
    # the scores' distribution once ties are broken at random; P(X <= below) from the upper side:
    p_tail = betabinom_sf(nb - below - 1, nb, nh + 1.0 - k_cut, float(k_cut))
    lo_edge, hi_edge = np.quantile(pooled, [0.001, 0.999])
    edges = np.linspace(float(lo_edge), float(hi_edge), 41)
    hb = np.histogram(np.clip(sb, edges[0], edges[-1]), edges)[0] / nb
    hh = np.histogram(np.clip(sh, edges[0], edges[-1]), edges)[0] / nh
    plot = {
        "type": "hist",
        "edges": edges.tolist(),
        "reference": hh.tolist(),
        "batch": hb.tolist(),
        "xlabel": "mean per-token log-likelihood (nats)",
    }
    common = {
        "reference_documents": nh,
        "batch_documents": nb,
        "reference_median": med_h,
        "batch_median": med_b,
    }
    run.out.append(
        Measurement(
            column,
            "loglik_typicality_shift",
            value=shift,
            expected=0.0,
            p_value=p_shift,
            effect=shift,
            message=(
                f"median per-token log-likelihood of {column!r} under the reference n-gram "
                "model moved "
                f"from {med_h:.2f} to {med_b:.2f} nats ({shift:+.2f} IQR): "
                + (
                    "the batch is more predictable ('typical') than human text"
                    if shift > 0
                    else "no shift toward typical text"
                )
            ),
            evidence={**common, "plot": plot},
        )
    )
    run.out.append(
        Measurement(
            column,
            "loglik_spread_ratio",
            value=ratio,
            expected=1.0,
            p_value=p_spread,
            effect=ratio,
            message=(
                f"the spread (IQR) of per-document log-likelihood in {column!r} is "
                f"{ratio:.2f}x the "
                f"human hold-out's ({interquartile_range(sb):.2f} vs {iqr_h:.2f} nats)"
            ),
            evidence={**common, "batch_iqr": interquartile_range(sb), "reference_iqr": iqr_h},
        )
    )
    run.out.append(
        Measurement(
            column,
            "loglik_low_tail_ratio",
            value=below / nb,
            expected=share_h,
            p_value=p_tail,
            effect=tail_ratio,
            message=(
                f"{below} of {nb:,} {column!r} documents are less likely than the human hold-out's "
                f"5th percentile ({q05:.2f} nats"
                + (f"; ties at it split at random, {tied:,} batch documents sit on it" if tied else "")
                + f") where {expected:.0f} were expected: "
                + (
                    "improbable, idiosyncratic documents are disappearing"
                    if tail_ratio < 1
                    else "the improbable tail is intact"
                )
            ),
            evidence={
                **common,
                "threshold": q05,
                "observed": below,
                "expected": expected,
                "reference_rank": k_cut,
                "batch_tied_at_threshold": tied,
                "batch_strictly_below": int(np.sum(sb < q05)),
            },
        )
    )
