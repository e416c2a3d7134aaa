"""Text documents: exact/near-duplicate shares (also without a reference) and self-repetition."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from ...context import CheckContext
from ...profile import TextProfile
from ...results import Measurement
from ...stats.entropy import compare_with_null, finite_population_inflation
from ...stats.near_duplicates import NearDuplicates, ShingleSets, minhash_signatures, near_duplicates
from ...stats.text_diversity import document_hashes, self_repetition, take_docs
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
    # hide them. LSH is cheap, so the null uses as many documents as the reference sample allows
    # (half of it); above that, the honest share at n documents is at most (n / m) times the share
    # at m (it grows linearly for pairs and saturates for boilerplate): the null is scaled by n / m.
    dup_docs = min(n_b, n_r // 2)
    null = [dups(r_sig, r_hash, np.sort(rng.choice(n_r, dup_docs, replace=False))) for _ in range(draws)]
    dup_inflate = finite_population_inflation(dup_docs / n_r)
    scale = n_b / dup_docs
    base: dict[str, Any] = {
        "batch_documents": n_b,
        "null_documents": dup_docs,
        "null_scaled_by": scale,
        "reference_sample_documents": n_r,
        "null_draws": draws,
        "shingle_words": shingle,
        "jaccard_threshold": threshold,
        "minhash_functions": NUM_PERM,
        "lsh_bands": BANDS,
    }
    if scale > 1:
        base["null_note"] = (
            f"the reference null was drawn at {dup_docs:,} documents and scaled linearly to the "
            f"batch's {n_b:,} (an upper bound for honest data, so conservative)"
        )
    pairs = _dup_pairs(full, texts, b_keep)
    for metric, attr, label in (
        ("near_duplicate_share", "duplicate_share", "near-duplicates of another document"),
        ("exact_duplicate_share", "exact_share", "exact copies of another document"),
    ):
        obs = float(getattr(full, attr))
        null_vals = [min(1.0, float(getattr(x, attr)) * scale) for x in null]
        rate = min(0.5, (float(np.sum(null_vals)) * n_b + 0.5) / (draws * n_b + 1))
        cmp = compare_with_null(
            obs,
            null_vals,
            worse="higher",
            inflate=dup_inflate,
            min_sd=math.sqrt(rate * (1 - rate) / n_b),
        )
        count = full.duplicate_docs if attr == "duplicate_share" else full.exact_docs
        evidence = {**base, "pairs": pairs, "largest_clusters": list(full.largest_clusters)}
        yield _measure(
            column,
            metric,
            cmp,
            cmp.observed - cmp.expected,
            f"`{column}`: {count:,} of {n_b:,} documents ({_pct(obs)}) are {label} where honest "
            f"batches of this size show {_pct(cmp.expected)}"
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
    sr_obs = float(np.mean([self_repetition(*take_docs(b_tok, b_off, d)) for d in b_docs]))
    sr_null = [self_repetition(*take_docs(r_tok, r_off, d)) for d in r_docs]
    # Guarded tail: a few stock phrases make this null skewed upward, and a Gaussian fitted to it
    # failed 2% of small honest batches (200 reviews: p = 4e-7 for "good value for money" x 5).
    sr = compare_with_null(sr_obs, sr_null, worse="higher", inflate=inflate, guarded=True)
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
            f"{threshold:g} on word {shingle}-grams){_pair_phrase(pairs)}; no reference was given, "
            "so this is judged on size alone."
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
            "exact copies of another document; no reference was given, so this is judged on "
            "size alone."
        ),
        evidence=evidence,
    )
