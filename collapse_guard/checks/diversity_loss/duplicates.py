"""Text documents: exact/near-duplicate shares (also without a reference) and self-repetition."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np

from ...context import CheckContext
from ...profile import TextProfile
from ...results import Measurement
from ...stats.entropy import NullComparison, compare_with_null, finite_population_inflation
from ...stats.near_duplicates import NearDuplicates, ShingleSets, minhash_signatures, near_duplicates
from ...stats.text_diversity import (
    document_hashes,
    duplicate_growth_bound,
    duplicates_upper_share,
    excess_duplicates_p,
    self_repetition,
    self_repetition_scores,
    take_docs,
    trimmed_mean_top,
)
from .common import _measure, _nonempty_docs_with_index, _pct, _quote

NUM_PERM = 64
BANDS = 16


def _dup_pairs(result: NearDuplicates, texts: list[str] | None, index: np.ndarray) -> list[dict[str, Any]]:
    pairs = []
    for i, j, sim in result.pairs[:3]:
        a, b = int(index[i]), int(index[j])
        item: dict[str, Any] = {"documents": [a, b], "jaccard": round(sim, 3)}
        if texts is not None:
            item["texts"] = [_quote(texts[a]), _quote(texts[b])]
        pairs.append(item)
    return pairs


def _pair_phrase(pairs: list[dict[str, Any]]) -> str:
    """An example for the near-duplicate message: a pair that differs if one does (exact copies
    count as near-duplicates too, and "x" ≈ "x" reads like a bug), else one copied document."""
    shown = [p["texts"] for p in pairs if "texts" in p]
    if not shown:
        return ""
    differing = [(a, b) for a, b in shown if a != b]
    if not differing:
        return f'; e.g. "{_quote(shown[0][0], 60)}", copied word for word'
    a, b = differing[0]
    return f'; e.g. "{_quote(a, 60)}" ≈ "{_quote(b, 60)}"'


def _pool(
    a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """The documents of ``a`` followed by those of ``b`` (hashed-token layout)."""
    tokens = np.concatenate([a[0], b[0]])
    offsets = np.concatenate([a[1], a[1][-1] + b[1][1:]]).astype(np.int64)
    return tokens, offsets


def _bound_comparison(
    obs: float, n_b: int, ref_count: int, n_r: int, p_value: float, upper: float
) -> NullComparison:
    """The duplicate null of a batch larger than half the reference sample: expected share from
    the reference sample's count scaled by the growth bound, its 95% range from the exact Poisson
    bounds on that count, and the conditional test's p-value."""
    from scipy.special import gammaincinv

    growth = duplicate_growth_bound(n_b, n_r)
    expected = min(1.0, ref_count * growth / n_b)
    grid = np.linspace(0.01, 0.99, 50)
    null = np.minimum(1.0, gammaincinv(ref_count + 0.5, grid) * growth / n_b)
    sd = min(1.0, math.sqrt(max(ref_count, 1) * growth * (1.0 + growth)) / n_b)
    lower = min(expected, float(gammaincinv(ref_count, 0.025)) * growth / n_b) if ref_count else 0.0
    return NullComparison(
        observed=obs,
        expected=expected,
        sd=sd,
        z=(obs - expected) / sd if sd > 0 else 0.0,
        p_value=p_value,
        null=tuple(float(v) for v in null),
        bounds=(lower, upper),
    )


def _document_findings(
    ctx: CheckContext,
    column: str,
    batch: tuple[np.ndarray, np.ndarray, np.ndarray],
    reference: tuple[np.ndarray, np.ndarray],
    texts: list[str] | None,
    m_docs: int,
    rng: np.random.Generator,
    draws: int,
) -> Iterator[Measurement]:
    b_tok, b_off, b_keep = batch
    r_tok, r_off = reference
    n_b, n_r = len(b_off) - 1, len(r_off) - 1
    shingle = int(ctx.option("shingle"))
    threshold = float(ctx.option("near_duplicate_threshold"))
    b_sig = minhash_signatures(b_tok, b_off, shingle=shingle, num_perm=NUM_PERM, seed=ctx.seed)
    r_sig = minhash_signatures(r_tok, r_off, shingle=shingle, num_perm=NUM_PERM, seed=ctx.seed)
    b_hash, r_hash = document_hashes(b_tok, b_off), document_hashes(r_tok, r_off)
    b_sets, r_sets = ShingleSets.of(b_tok, b_off, shingle), ShingleSets.of(r_tok, r_off, shingle)

    def dups(sig: np.ndarray, hashes: np.ndarray, docs: np.ndarray) -> NearDuplicates:
        sets = b_sets if sig is b_sig else r_sets
        return near_duplicates(
            sig[docs], bands=BANDS, threshold=threshold, doc_hashes=hashes[docs], sets=sets, set_rows=docs
        )

    full = dups(b_sig, b_hash, np.arange(n_b))
    subsampled = m_docs < n_b
    b_docs = (
        [np.sort(rng.choice(n_b, m_docs, replace=False)) for _ in range(3)]
        if subsampled
        else [np.arange(n_b)]
    )
    r_docs = [np.sort(rng.choice(n_r, m_docs, replace=False)) for _ in range(draws)]
    inflate = finite_population_inflation(m_docs / n_r)
    # Duplicate shares are measured on the whole batch: subsampling would split up pairs and
    # hide them. The null has two parts. (1) Whatever the population's duplicate structure, the
    # expected number of duplicate documents among n grows at most like n (n - 1) and falls at
    # most like n (``duplicate_growth_bound``), and the whole reference sample's duplicate count
    # estimates its scale with Poisson error: the conditional two-Poisson test
    # (``excess_duplicates_p``) carries that error, so a small reference with no duplicate pair
    # cannot make a large honest batch's duplicates look impossible. (2) When the batch is at most
    # half the reference sample, subsamples of the reference at the batch's size are the null
    # instead (the bound's p-value is kept in the evidence).
    ref_full = dups(r_sig, r_hash, np.arange(n_r))
    drawn = n_b <= n_r // 2
    null = (
        [dups(r_sig, r_hash, np.sort(rng.choice(n_r, n_b, replace=False))) for _ in range(draws)]
        if drawn
        else []
    )
    dup_inflate = finite_population_inflation(n_b / n_r)
    growth = duplicate_growth_bound(n_b, n_r)
    base: dict[str, Any] = {
        "batch_documents": n_b,
        "reference_sample_documents": n_r,
        "null_documents": n_b if drawn else None,
        "growth_bound": growth,
        "null_draws": draws if drawn else 0,
        "shingle_words": shingle,
        "jaccard_threshold": threshold,
        "minhash_functions": NUM_PERM,
        "lsh_bands": BANDS,
    }
    if not drawn:
        base["null_note"] = (
            f"the batch ({n_b:,} documents) is larger than half the reference sample ({n_r:,}): "
            "the honest duplicate count is bounded from the reference sample's own count (Poisson "
            f"error), scaled by at most {growth:,.4g} (the growth of duplicates with sample size "
            "for rare pairs; boilerplate grows slower)"
        )
    pairs = _dup_pairs(full, texts, b_keep)
    for metric, attr, docs_attr, label in (
        ("near_duplicate_share", "duplicate_share", "duplicate_docs", "near-duplicates of another document"),
        ("exact_duplicate_share", "exact_share", "exact_docs", "exact copies of another document"),
    ):
        obs = float(getattr(full, attr))
        count = int(getattr(full, docs_attr))
        ref_count = int(getattr(ref_full, docs_attr))
        p_bound = excess_duplicates_p(count, n_b, ref_count, n_r)
        upper = duplicates_upper_share(ref_count, n_r, n_b)
        if drawn:
            null_vals = [float(getattr(x, attr)) for x in null]
            rate = min(0.5, (float(np.sum(null_vals)) * n_b + 0.5) / (draws * n_b + 1))
            # Subsamples of the reference at the batch's own size are the exact null's shape
            # here; the bound assumes the worst growth (all boilerplate) and, kept as a second
            # test, cost a tenth of the power on 5% injected near-duplicates (90% -> 87%).
            cmp = compare_with_null(
                obs, null_vals, worse="higher", inflate=dup_inflate, min_sd=math.sqrt(rate * (1 - rate) / n_b)
            )
        else:
            cmp = _bound_comparison(obs, n_b, ref_count, n_r, p_bound, upper)
        evidence = {
            **base,
            "reference_duplicate_documents": ref_count,
            "honest_upper_95": upper,
            "bound_p_value": p_bound,
            "pairs": pairs,
            "largest_clusters": list(full.largest_clusters),
        }
        yield _measure(
            column,
            metric,
            cmp,
            cmp.observed - cmp.expected,
            f"`{column}`: {count:,} of {n_b:,} documents ({_pct(obs)}) are {label} where "
            + (
                f"honest batches of this size show {_pct(cmp.expected)}"
                if drawn
                else (
                    f"the reference sample ({n_r:,} documents, {ref_count:,} of them duplicates) "
                    f"allows up to {_pct(cmp.expected)} at this size (at most {_pct(upper)} at 95%)"
                )
            )
            + (
                ""
                if metric == "exact_duplicate_share"
                else f" (Jaccard ≥ {threshold:g} on word {shingle}-grams){_pair_phrase(pairs)}"
            )
            + ("; deduplicate before ingesting." if obs > cmp.expected else "."),
            evidence,
        )
    where = f"{m_docs:,} documents" + (f" (subsampled from the batch's {n_b:,})" if subsampled else "")
    # Self-repetition of 4-grams (Shaib et al. 2024) at the matched document count.
    b_scores = [self_repetition_scores(*take_docs(b_tok, b_off, d)) for d in b_docs]
    sr_obs = float(np.mean([np.mean(x) for x in b_scores]))
    sr_null = [self_repetition(*take_docs(r_tok, r_off, d)) for d in r_docs]
    # Guarded tail: a few stock phrases make this null skewed upward, and a Gaussian fitted to it
    # failed 2% of small honest batches (200 reviews: p = 4e-7 for "good value for money" x 5).
    sr = compare_with_null(sr_obs, sr_null, worse="higher", inflate=inflate, guarded=True)
    # A mean over documents driven by a handful of them (a few boilerplate blocks sharing long
    # passages: .mo headers, licence notes) has a lumpy null: the count of such blocks in a batch.
    # Subsamples of one reference sample miss the sampling error of the reference's own count
    # (5 headers in 500 batch documents next to 6 in 2,000 reference ones is a 1-in-10 event, and
    # a subsample of 500 holds 5 of the 6 once in a thousand), and no tail fitted to 40 draws
    # follows a count. When the excess is that concentrated (the batch's mean without its top
    # documents is back inside the draws), the p-value is also taken from the exact two-sample
    # null: ten times the draws of random splits of the pooled batch and reference documents
    # (exchangeable under H0, so both sides' sampling error is in it), the larger p-value kept.
    top = max(5, math.ceil(0.02 * m_docs))
    trimmed = float(np.mean([trimmed_mean_top(x, top) for x in b_scores]))
    concentrated = bool(np.isfinite(trimmed) and trimmed <= max(sr.null))
    split_draws, subsample_p = 0, sr.p_value
    if sr.p_value < 0.05 and concentrated:
        p_tok, p_off = _pool(take_docs(b_tok, b_off, b_docs[0]), (r_tok, r_off))
        n_pool = len(p_off) - 1
        split_draws = 10 * draws
        split_null = [
            self_repetition(*take_docs(p_tok, p_off, np.sort(rng.choice(n_pool, m_docs, replace=False))))
            for _ in range(split_draws)
        ]
        split = compare_with_null(float(np.mean(b_scores[0])), split_null, worse="higher", guarded=True)
        sr = replace(sr, p_value=max(sr.p_value, split.p_value))
    yield _measure(
        column,
        "self_repetition",
        sr,
        sr.observed / sr.expected if sr.expected > 0 else 1.0,
        f"`{column}` self-repetition of 4-grams across {where} is {sr.observed:.3f} vs "
        f"{sr.expected:.3f} for honest text"
        + (": documents reuse each other's phrases more." if sr.observed > sr.expected else "."),
        {
            "matched_documents": m_docs,
            "batch_documents": n_b,
            "batch_subsampled": subsampled,
            "reference_sample_documents": n_r,
            "null_draws": draws,
            "split_null_draws": split_draws,
            "subsample_p_value": subsample_p,
            "trimmed_batch_value": trimmed,
            "trimmed_documents": top,
            "concentrated_in_few_documents": concentrated,
        },
    )


def _duplicates_only(ctx: CheckContext, column: str) -> Iterator[Measurement]:
    """Reference-free mode: within-batch duplicate shares, judged on effect alone."""
    bat = ctx.batch.column(column)
    if not isinstance(bat, TextProfile):
        return
    b_tok, b_off, b_keep = _nonempty_docs_with_index(bat.sample.tokens, bat.sample.offsets)
    n_b = len(b_off) - 1
    if n_b < 2:
        docs = "1 non-empty document" if n_b == 1 else f"{n_b} non-empty documents"
        reason = f"`{column}` has {docs}; duplicates need at least two"
        yield Measurement(column, "near_duplicate_share", insufficient=reason, message=reason)
        return
    shingle = int(ctx.option("shingle"))
    threshold = float(ctx.option("near_duplicate_threshold"))
    sig = minhash_signatures(b_tok, b_off, shingle=shingle, num_perm=NUM_PERM, seed=ctx.seed)
    res = near_duplicates(
        sig,
        bands=BANDS,
        threshold=threshold,
        doc_hashes=document_hashes(b_tok, b_off),
        sets=ShingleSets.of(b_tok, b_off, shingle),
    )
    pairs = _dup_pairs(res, bat.sample.texts, b_keep)
    evidence = {
        "batch_documents": n_b,
        "pairs": pairs,
        "largest_clusters": list(res.largest_clusters),
        "shingle_words": shingle,
        "jaccard_threshold": threshold,
        "reference": None,
    }
    yield Measurement(
        column,
        "near_duplicate_share",
        value=res.duplicate_share,
        expected=None,
        p_value=None,
        effect=res.duplicate_share,
        message=(
            f"`{column}`: {res.duplicate_docs:,} of {n_b:,} documents "
            f"({_pct(res.duplicate_share)}) are near-duplicates of another document (Jaccard ≥ "
            f"{threshold:g} on word {shingle}-grams){_pair_phrase(pairs)}; with no reference to "
            "compare with, this is judged on size alone."
        ),
        evidence=evidence,
    )
    yield Measurement(
        column,
        "exact_duplicate_share",
        value=res.exact_share,
        expected=None,
        p_value=None,
        effect=res.exact_share,
        message=(
            f"`{column}`: {res.exact_docs:,} of {n_b:,} documents ({_pct(res.exact_share)}) are "
            "exact copies of another document; with no reference to compare with, this is judged on "
            "size alone."
        ),
        evidence=evidence,
    )
