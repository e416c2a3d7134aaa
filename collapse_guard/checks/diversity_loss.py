"""diversity-loss: is the batch more repetitive, more concentrated, more alike than honest data?

Every statistic here depends on sample size, so each one is compared with what an honest sample of
the *same size* drawn from the reference gives (science.md sections 3 and 7):

* categorical columns: Chao-Shen entropy and Hill numbers q = 0, 2 at the batch's row count
  (rarefaction for the expectation, reference draws for the spread);
* text columns: distinct-1/2/3, compression ratio and token entropy at a matched token count,
  self-repetition and near-duplicate shares at a matched document count, against reference
  subsamples drawn from the hashed-token sample the reference profile stores;
* tabular rows: Naeem et al. (2020) coverage of the reference by the batch in a standardised,
  one-hot encoded feature space, against reference self-splits of equal size.

Without a reference (``scan`` without ``-r``) only the within-batch duplicate shares are reported,
judged on their effect alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..context import CheckContext
from ..hookspecs import hookimpl
from ..kinds import Kind
from ..profile import CategoricalProfile, TextProfile
from ..protocols import MetricSpec, OptionSpec
from ..results import Measurement
from ..stats.coverage import (
    FeatureWidthError,
    covered_rows,
    density_coverage,
    fit_feature_space,
    transform,
)
from ..stats.entropy import (
    NullComparison,
    chao_shen_entropy,
    compare_with_null,
    finite_population_inflation,
    hill_number,
    miller_madow_entropy,
    plugin_entropy,
    rarefied_hill,
)
from ..stats.near_duplicates import NearDuplicates, minhash_signatures, near_duplicates
from ..stats.text_diversity import (
    compression_ratio,
    distinct_n,
    document_hashes,
    self_repetition,
    take_docs,
    take_tokens,
)

NAME = "diversity-loss"


def _ratio(description: str, warn: float, fail: float) -> MetricSpec:
    return MetricSpec(description, worse="lower", warn=warn, fail=fail, bounds=(0.0, 1.0))


METRICS: dict[str, MetricSpec] = {
    "entropy": _ratio(
        "exp(batch - expected Chao-Shen entropy): the batch's effective number of categories "
        "relative to an honest batch of its size (1 = unchanged)",
        0.9,
        0.75,
    ),
    "hill_q0": _ratio(
        "distinct categories in the batch / expected at its size by rarefaction", 0.9, 0.75
    ),
    "hill_q2": _ratio(
        "inverse Simpson index (effective number of common categories) / expected", 0.9, 0.75
    ),
    "distinct_1": _ratio(
        "distinct tokens per token / expected at the same token count", 0.95, 0.85
    ),
    "distinct_2": _ratio(
        "distinct bigrams per bigram / expected at the same token count", 0.95, 0.85
    ),
    "distinct_3": _ratio(
        "distinct trigrams per trigram / expected at the same token count", 0.95, 0.85
    ),
    "compression_ratio": MetricSpec(
        "deflate compression ratio of the token stream / expected at the same token count "
        "(above 1 = more repetitive)",
        worse="higher",
        warn=1.05,
        fail=1.15,
        bounds=(1.0, math.inf),
    ),
    "self_repetition": MetricSpec(
        "self-repetition of 4-grams across documents (Shaib et al. 2024) / expected at the same "
        "document count",
        worse="higher",
        warn=1.15,
        fail=1.5,
        bounds=(1.0, math.inf),
    ),
    "token_entropy": _ratio(
        "exp(batch - expected Chao-Shen token entropy) at the same token count: effective "
        "vocabulary size relative to an honest batch",
        0.9,
        0.75,
    ),
    "token_hill_q2": _ratio(
        "inverse Simpson index of tokens / expected at the same token count", 0.9, 0.75
    ),
    "near_duplicate_share": MetricSpec(
        "share of documents a MinHash near-duplicate removal would drop, minus the share in "
        "honest batches of the same size (0 without a reference)",
        worse="higher",
        warn=0.01,
        fail=0.03,
        bounds=(0.0, 1.0),
    ),
    "exact_duplicate_share": MetricSpec(
        "share of documents identical to another batch document, minus the share in honest "
        "batches of the same size (0 without a reference)",
        worse="higher",
        warn=0.01,
        fail=0.03,
        bounds=(0.0, 1.0),
    ),
    "coverage": _ratio(
        "Naeem et al. coverage of reference rows by batch rows (k = 5) / expected from reference "
        "self-splits of the same size",
        0.95,
        0.85,
    ),
}


def _int_between(lo: int, hi: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


OPTIONS: dict[str, OptionSpec] = {
    "null_draws": OptionSpec(
        40,
        "size-matched reference draws per null",
        _int_between(20, 10_000),
        "an integer between 20 and 10000",
    ),
    "max_tokens": OptionSpec(
        100_000,
        "token count at which lexical statistics are compared (the smaller of this, the batch's "
        "tokens and half the reference sample's)",
        _int_between(1_000, 10_000_000),
        "an integer between 1000 and 10000000",
    ),
    "min_tokens": OptionSpec(
        1_000,
        "below this matched token count lexical statistics are insufficient-data",
        _int_between(100, 1_000_000),
        "an integer between 100 and 1000000",
    ),
    "max_docs": OptionSpec(
        2_000,
        "document count at which self-repetition is compared (the batch is subsampled to it); "
        "duplicate shares always use the whole batch",
        _int_between(100, 1_000_000),
        "an integer between 100 and 1000000",
    ),
    "near_duplicate_threshold": OptionSpec(
        0.7,
        "estimated Jaccard similarity of word 5-gram sets at which two documents are "
        "near-duplicates",
        lambda v: isinstance(v, (int, float)) and 0.3 <= v <= 1.0,
        "a number between 0.3 and 1",
    ),
    "shingle": OptionSpec(
        5, "words per MinHash shingle", _int_between(1, 8), "an integer between 1 and 8"
    ),
    "coverage_rows": OptionSpec(
        1_000,
        "rows per side for coverage (deterministic subsample)",
        _int_between(100, 100_000),
        "an integer between 100 and 100000",
    ),
    "coverage_draws": OptionSpec(
        20,
        "reference self-splits for the coverage null",
        _int_between(10, 1_000),
        "an integer between 10 and 1000",
    ),
    "max_categories": OptionSpec(
        100,
        "a categorical column with more distinct reference values is left out of the coverage "
        "feature space (one-hot width guard)",
        _int_between(2, 10_000),
        "an integer between 2 and 10000",
    ),
}

MIN_ROWS = 30
MIN_DOCS = 20
K = 5
NUM_PERM = 64
BANDS = 16


# ----- formatting ------------------------------------------------------------------------------


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return str(x)
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%" if abs(x) < 0.1 else f"{100 * x:.0f}%"


def _quote(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _null_plot(cmp: NullComparison) -> dict[str, Any]:
    return {"type": "null", "null": list(cmp.null), "observed": cmp.observed}


def _measure(
    column: str | None,
    metric: str,
    cmp: NullComparison,
    effect: float,
    message: str,
    evidence: dict[str, Any],
) -> Measurement:
    evidence = {**evidence, "null_sd": cmp.sd, "z": cmp.z, "plot": _null_plot(cmp)}
    return Measurement(
        column=column,
        metric=metric,
        value=cmp.observed,
        expected=cmp.expected,
        interval=cmp.interval,
        p_value=cmp.p_value,
        effect=effect,
        message=message,
        evidence=evidence,
    )


# ----- categorical columns ---------------------------------------------------------------------


def _categorical(ctx: CheckContext, column: str) -> Iterator[Measurement]:
    ref = ctx.reference.column(column) if ctx.reference is not None else None
    bat = ctx.batch.column(column)
    if not isinstance(ref, CategoricalProfile) or not isinstance(bat, CategoricalProfile):
        return
    labels = sorted(set(ref.counts) | set(bat.counts))
    r = np.array([ref.counts.get(c, 0) for c in labels], dtype=np.int64)
    b = np.array([bat.counts.get(c, 0) for c in labels], dtype=np.int64)
    n_ref, n = int(r.sum()), int(b.sum())
    if np.count_nonzero(r) < 2:
        return  # a constant reference has no diversity to lose
    if n < MIN_ROWS or n_ref < MIN_ROWS:
        reason = (
            f"`{column}` has {n:,} non-null batch values and {n_ref:,} reference values; "
            f"category diversity needs at least {MIN_ROWS} on each side"
        )
        yield Measurement(column, "entropy", insufficient=reason, message=reason)
        return
    m = min(n, n_ref)
    draws = int(ctx.option("null_draws"))
    rng = ctx.rng("categorical", column)
    p_ref = r / n_ref
    inflate = math.sqrt(1.0 + m / n_ref)
    mult = rng.multinomial(m, p_ref, size=draws)
    # Expected values come from rarefying the reference (unbiased for m <= n_ref); the spread of
    # an honest size-m batch comes from multinomial draws, inflated for the reference's own error.
    hyper = [rng.multivariate_hypergeometric(r, m, method="marginals") for _ in range(draws)]
    if n > m:
        b_sub = [rng.multivariate_hypergeometric(b, m, method="marginals") for _ in range(10)]
        obs_cs = float(np.mean([chao_shen_entropy(x) for x in b_sub]))
        obs_q0, obs_q2 = rarefied_hill(b, m, 0), rarefied_hill(b, m, 2)
        scope = f"the batch rarefied to the reference's {m:,} rows"
    else:
        obs_cs = chao_shen_entropy(b)
        obs_q0, obs_q2 = hill_number(b, 0), hill_number(b, 2)
        scope = f"an honest batch of {m:,} rows"
    exp_cs = float(np.mean([chao_shen_entropy(x) for x in hyper]))
    null_cs = [chao_shen_entropy(x) for x in mult]
    cs = compare_with_null(obs_cs, null_cs, worse="lower", expected=exp_cs, inflate=inflate)
    q0 = compare_with_null(
        obs_q0,
        [hill_number(x, 0) for x in mult],
        worse="lower",
        expected=rarefied_hill(r, m, 0),
        inflate=inflate,
        min_sd=0.5,
    )
    q2 = compare_with_null(
        obs_q2,
        [hill_number(x, 2) for x in mult],
        worse="lower",
        expected=rarefied_hill(r, m, 2),
        inflate=inflate,
    )

    top = np.argsort(-b, kind="stable")[:5]
    top_b = float(b[top].sum() / n)
    top_r = float(r[top].sum() / n_ref)
    top_names = [labels[i] for i in top]
    concentration = (
        f"top {len(top)} categories hold {_pct(top_b)} of the batch vs {_pct(top_r)} of the "
        f"reference ({', '.join(repr(x) for x in top_names)})"
    )
    show = np.argsort(-(r / n_ref + b / n), kind="stable")[:20]
    shared: dict[str, Any] = {
        "batch_rows": n,
        "reference_rows": n_ref,
        "matched_rows": m,
        "top_categories": top_names,
        "top_share_batch": top_b,
        "top_share_reference": top_r,
        "estimators": {
            "plugin": plugin_entropy(b),
            "miller_madow": miller_madow_entropy(b),
            "chao_shen": chao_shen_entropy(b),
            "reference_plugin": plugin_entropy(r),
            "reference_miller_madow": miller_madow_entropy(r),
            "reference_chao_shen": chao_shen_entropy(r),
        },
        "bars": {
            "type": "bars",
            "labels": [labels[i] for i in show],
            "reference": (r[show] / n_ref).tolist(),
            "batch": (b[show] / n).tolist(),
        },
    }
    eff = math.exp(cs.observed - cs.expected)
    yield _measure(
        column,
        "entropy",
        cs,
        eff,
        f"`{column}` has {_fmt(math.exp(cs.observed))} effective categories where {scope} has "
        f"{_fmt(math.exp(cs.expected))} (Chao-Shen entropy {cs.observed:.3f} vs "
        f"{cs.expected:.3f} nats); {concentration}.",
        {**shared, "hill_q1": math.exp(cs.observed), "hill_q1_expected": math.exp(cs.expected)},
    )
    present = set(np.flatnonzero(b > 0).tolist())
    missing = [labels[i] for i in np.argsort(-r, kind="stable") if r[i] > 0 and i not in present]
    yield _measure(
        column,
        "hill_q0",
        q0,
        q0.observed / q0.expected if q0.expected > 0 else 1.0,
        f"`{column}` shows {_fmt(q0.observed)} distinct categories where {scope} shows "
        f"{_fmt(q0.expected)} by rarefaction; most common absent: "
        f"{', '.join(repr(x) for x in missing[:5]) or 'none'}.",
        {**shared, "absent_categories": missing[:20], "absent_count": len(missing)},
    )
    yield _measure(
        column,
        "hill_q2",
        q2,
        q2.observed / q2.expected if q2.expected > 0 else 1.0,
        f"`{column}` has an inverse Simpson index of {_fmt(q2.observed)} vs {_fmt(q2.expected)} "
        f"expected: {concentration}.",
        shared,
    )


# ----- text columns ----------------------------------------------------------------------------


def _nonempty(tokens: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    keep = np.flatnonzero(np.diff(offsets) > 0)
    sub_t, sub_o = take_docs(tokens, offsets, keep)
    return sub_t, sub_o, keep


def _lexical(tokens: np.ndarray, offsets: np.ndarray) -> dict[str, float]:
    counts = np.unique(tokens, return_counts=True)[1]
    return {
        "distinct_1": len(counts) / len(tokens),
        "distinct_2": distinct_n(tokens, offsets, 2),
        "distinct_3": distinct_n(tokens, offsets, 3),
        "compression_ratio": compression_ratio(tokens, offsets),
        "token_entropy": chao_shen_entropy(counts),
        "token_hill_q2": hill_number(counts, 2),
        "token_miller_madow": miller_madow_entropy(counts),
        "token_hill_q0": float(len(counts)),
    }


def _top_tokens(tokens: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    values, counts = np.unique(tokens, return_counts=True)
    order = np.argsort(-counts, kind="stable")[:k]
    return values[order], counts[order] / len(tokens)


def _text(ctx: CheckContext, column: str) -> Iterator[Measurement]:
    assert ctx.reference is not None
    ref = ctx.reference.column(column)
    bat = ctx.batch.column(column)
    if not isinstance(ref, TextProfile) or not isinstance(bat, TextProfile):
        return
    b_tok, b_off, b_keep = _nonempty(bat.sample.tokens, bat.sample.offsets)
    r_tok, r_off, _ = _nonempty(ref.sample.tokens, ref.sample.offsets)
    texts = bat.sample.texts
    n_docs, n_ref_docs = len(b_off) - 1, len(r_off) - 1
    rng = ctx.rng("text", column)
    draws = int(ctx.option("null_draws"))

    # Lexical statistics at a matched token count.
    m_tok = min(len(b_tok), len(r_tok) // 2, int(ctx.option("max_tokens")))
    min_tok = int(ctx.option("min_tokens"))
    if n_docs < 2 or m_tok < min_tok:
        reason = (
            f"`{column}` has {n_docs:,} non-empty batch documents with {len(b_tok):,} tokens and "
            "the "
            f"reference sample {len(r_tok):,} tokens; lexical diversity needs a matched sample of "
            f"at least {min_tok:,} tokens (half the reference sample at most) and two documents"
        )
        yield Measurement(column, "distinct_2", insufficient=reason, message=reason)
    else:
        yield from _lexical_findings(ctx, column, b_tok, b_off, r_tok, r_off, m_tok, rng, draws)

    # Self-repetition and duplicates at a matched document count.
    m_docs = min(n_docs, n_ref_docs // 2, int(ctx.option("max_docs")))
    if n_docs < 2 or m_docs < MIN_DOCS:
        reason = (
            f"`{column}` has {n_docs:,} non-empty batch documents and the reference sample "
            f"{n_ref_docs:,}; duplicate and self-repetition shares need at least {MIN_DOCS} "
            "batch documents and twice that in the reference"
        )
        yield Measurement(column, "near_duplicate_share", insufficient=reason, message=reason)
        return
    yield from _document_findings(
        ctx, column, (b_tok, b_off, b_keep), (r_tok, r_off), texts, m_docs, rng, draws
    )


def _lexical_findings(
    ctx: CheckContext,
    column: str,
    b_tok: np.ndarray,
    b_off: np.ndarray,
    r_tok: np.ndarray,
    r_off: np.ndarray,
    m_tok: int,
    rng: np.random.Generator,
    draws: int,
) -> Iterator[Measurement]:
    n_b, n_r = len(b_off) - 1, len(r_off) - 1
    repeats = 1 if m_tok >= len(b_tok) else 3
    observed = [
        _lexical(*take_tokens(b_tok, b_off, rng.permutation(n_b), m_tok)) for _ in range(repeats)
    ]
    obs = {k: float(np.mean([o[k] for o in observed])) for k in observed[0]}
    null = [_lexical(*take_tokens(r_tok, r_off, rng.permutation(n_r), m_tok)) for _ in range(draws)]
    inflate = finite_population_inflation(m_tok / len(r_tok))
    subsampled = m_tok < len(b_tok)
    where = f"at {m_tok:,} tokens" + (
        f" (the batch's {len(b_tok):,} tokens subsampled to match)" if subsampled else ""
    )
    base = {
        "matched_tokens": m_tok,
        "batch_tokens": len(b_tok),
        "reference_sample_tokens": len(r_tok),
        "batch_subsampled": subsampled,
        "null_draws": draws,
    }
    for metric, n in (("distinct_1", 1), ("distinct_2", 2), ("distinct_3", 3)):
        unit = {1: "tokens", 2: "bigrams", 3: "trigrams"}[n]
        null_values = [x[metric] for x in null]
        if not math.isfinite(obs[metric]) or sum(map(math.isfinite, null_values)) < 2:
            reason = (
                f"`{column}` has no {unit} in the matched sample of {m_tok:,} tokens on one side "
                f"(documents shorter than {n} words), so distinct-{n} cannot be compared"
            )
            yield Measurement(column, metric, insufficient=reason, message=reason)
            continue
        cmp = compare_with_null(obs[metric], null_values, worse="lower", inflate=inflate)
        effect = cmp.observed / cmp.expected if cmp.expected > 0 else 1.0
        change = f"+{_pct(effect - 1)}" if effect >= 1 else f"-{_pct(1 - effect)}"
        verdict = (
            f"the batch repeats its {unit} more than human text of the same length"
            if effect < 1
            else f"no loss of {unit} variety"
        )
        yield _measure(
            column,
            metric,
            cmp,
            effect,
            f"`{column}` distinct-{n} is {cmp.observed:.4f} {where} vs {cmp.expected:.4f} for "
            f"honest text ({change}): {verdict}.",
            base,
        )
    cr = compare_with_null(
        obs["compression_ratio"],
        [x["compression_ratio"] for x in null],
        worse="higher",
        inflate=inflate,
    )
    cr_eff = cr.observed / cr.expected if cr.expected > 0 else 1.0
    yield _measure(
        column,
        "compression_ratio",
        cr,
        cr_eff,
        f"`{column}` token stream compresses {cr.observed:.3f}x {where} vs {cr.expected:.3f}x for "
        "honest text: higher means more repeated words and phrases.",
        base,
    )
    ent = compare_with_null(
        obs["token_entropy"], [x["token_entropy"] for x in null], worse="lower", inflate=inflate
    )
    q2 = compare_with_null(
        obs["token_hill_q2"], [x["token_hill_q2"] for x in null], worse="lower", inflate=inflate
    )
    vocab = {**ctx.reference.column(column).sample.vocab, **ctx.batch.column(column).sample.vocab}  # type: ignore[union-attr]
    top_hash, top_share_b = _top_tokens(take_tokens(b_tok, b_off, rng.permutation(n_b), m_tok)[0])
    r_values, r_counts = np.unique(r_tok, return_counts=True)
    pos = np.searchsorted(r_values, top_hash)
    pos = np.minimum(pos, len(r_values) - 1)
    r_share = np.where(r_values[pos] == top_hash, r_counts[pos] / len(r_tok), 0.0)
    words = [vocab.get(int(h), f"#{int(h) & 0xFFFF:04x}") for h in top_hash]
    concentration = (
        f"the 10 most frequent batch tokens hold {_pct(float(top_share_b.sum()))} of tokens vs "
        f"{_pct(float(r_share.sum()))} in the reference "
        f"({', '.join(repr(w) for w in words[:5])}, …)"
    )
    tok_ev = {
        **base,
        "top_tokens": words,
        "top_token_share_batch": top_share_b.tolist(),
        "top_token_share_reference": r_share.tolist(),
        "hill_q0": obs["token_hill_q0"],
        "hill_q0_expected": float(np.mean([x["token_hill_q0"] for x in null])),
        "hill_q1": math.exp(obs["token_entropy"]),
        "miller_madow": obs["token_miller_madow"],
        "miller_madow_expected": float(np.mean([x["token_miller_madow"] for x in null])),
        "bars": {
            "type": "bars",
            "labels": words,
            "reference": r_share.tolist(),
            "batch": top_share_b.tolist(),
        },
    }
    yield _measure(
        column,
        "token_entropy",
        ent,
        math.exp(ent.observed - ent.expected),
        f"`{column}` has an effective vocabulary of {_fmt(math.exp(ent.observed))} tokens {where} "
        f"vs {_fmt(math.exp(ent.expected))} for honest text (Chao-Shen entropy "
        f"{ent.observed:.3f} vs {ent.expected:.3f} nats); {concentration}.",
        tok_ev,
    )
    yield _measure(
        column,
        "token_hill_q2",
        q2,
        q2.observed / q2.expected if q2.expected > 0 else 1.0,
        f"`{column}` token inverse Simpson index is {_fmt(q2.observed)} vs {_fmt(q2.expected)} "
        f"expected {where}: {concentration}.",
        tok_ev,
    )


def _dup_pairs(
    result: NearDuplicates, texts: list[str] | None, index: np.ndarray
) -> list[dict[str, Any]]:
    pairs = []
    for i, j, sim in result.pairs[:3]:
        a, b = int(index[i]), int(index[j])
        item: dict[str, Any] = {"documents": [a, b], "jaccard": round(sim, 3)}
        if texts is not None:
            item["texts"] = [_quote(texts[a]), _quote(texts[b])]
        pairs.append(item)
    return pairs


def _pair_phrase(pairs: list[dict[str, Any]]) -> str:
    if not pairs or "texts" not in pairs[0]:
        return ""
    a, b = pairs[0]["texts"]
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

    def dups(sig: np.ndarray, hashes: np.ndarray, docs: np.ndarray) -> NearDuplicates:
        return near_duplicates(sig[docs], bands=BANDS, threshold=threshold, doc_hashes=hashes[docs])

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
    null = [
        dups(r_sig, r_hash, np.sort(rng.choice(n_r, dup_docs, replace=False))) for _ in range(draws)
    ]
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
    where = f"{m_docs:,} documents" + (
        f" (subsampled from the batch's {n_b:,})" if subsampled else ""
    )
    # Self-repetition of 4-grams (Shaib et al. 2024) at the matched document count.
    sr_obs = float(np.mean([self_repetition(*take_docs(b_tok, b_off, d)) for d in b_docs]))
    sr_null = [self_repetition(*take_docs(r_tok, r_off, d)) for d in r_docs]
    sr = compare_with_null(sr_obs, sr_null, worse="higher", inflate=inflate)
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
    b_tok, b_off, b_keep = _nonempty(bat.sample.tokens, bat.sample.offsets)
    n_b = len(b_off) - 1
    if n_b < 2:
        reason = f"`{column}` has {n_b} non-empty documents; duplicates need at least two"
        yield Measurement(column, "near_duplicate_share", insufficient=reason, message=reason)
        return
    shingle = int(ctx.option("shingle"))
    threshold = float(ctx.option("near_duplicate_threshold"))
    sig = minhash_signatures(b_tok, b_off, shingle=shingle, num_perm=NUM_PERM, seed=ctx.seed)
    res = near_duplicates(
        sig, bands=BANDS, threshold=threshold, doc_hashes=document_hashes(b_tok, b_off)
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


# ----- tabular coverage ------------------------------------------------------------------------


def _describe_uncovered(
    frame: pd.DataFrame, uncovered: np.ndarray, numeric: list[str], categorical: list[str]
) -> list[str]:
    """Where the reference rows the batch no longer covers sit, in the data's own terms."""
    notes: list[tuple[float, str]] = []
    if uncovered.sum() == 0:
        return []
    for col in categorical:
        values = frame[col].astype(object).where(frame[col].notna(), "<null>").astype(str)
        all_share = values.value_counts(normalize=True)
        unc_share = values[uncovered].value_counts(normalize=True)
        lift = (unc_share - all_share.reindex(unc_share.index)).sort_values(ascending=False)
        if len(lift) and lift.iloc[0] > 0.05:
            cat = lift.index[0]
            notes.append(
                (
                    float(lift.iloc[0]),
                    f"{col}={cat!r} ({_pct(float(unc_share[cat]))} of uncovered rows vs "
                    f"{_pct(float(all_share[cat]))} overall)",
                )
            )
    for col in numeric:
        x = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=np.float64)
        ok = np.isfinite(x)
        if ok.sum() < 10 or (ok & uncovered).sum() == 0:
            continue
        sd = float(np.std(x[ok]))
        if sd == 0:
            continue
        med_u = float(np.median(x[ok & uncovered]))
        med_a = float(np.median(x[ok]))
        shift = abs(med_u - med_a) / sd
        if shift > 0.25:
            notes.append((shift / 2, f"{col} median {_fmt(med_u)} vs {_fmt(med_a)} overall"))
    notes.sort(key=lambda t: -t[0])
    return [text for _, text in notes[:3]]


def _coverage(ctx: CheckContext) -> Iterator[Measurement]:
    assert ctx.reference is not None
    ref_df, bat_df = ctx.reference.sample, ctx.batch.sample
    if ref_df is None or bat_df is None:
        return
    numeric = [c for c in ctx.columns(Kind.NUMERIC) if c in ref_df and c in bat_df]
    categorical = [c for c in ctx.columns(Kind.CATEGORICAL) if c in ref_df and c in bat_df]
    max_cats = int(ctx.option("max_categories"))
    while True:
        try:
            space = fit_feature_space(ref_df, numeric, categorical, max_categories=max_cats)
            break
        except FeatureWidthError as err:
            categorical.remove(err.column)
            reason = (
                f"`{err.column}` was left out of the coverage feature space: {err}; or raise "
                f"diversity-loss max_categories (now {max_cats})"
            )
            yield Measurement(err.column, "coverage", insufficient=reason, message=reason)
    if space.width == 0:
        return
    rows = int(ctx.option("coverage_rows"))
    s = min(len(bat_df), len(ref_df) // 2, rows)
    if s < max(MIN_ROWS, 4 * K):
        reason = (
            f"coverage needs at least {max(MIN_ROWS, 4 * K)} batch rows and twice that in the "
            f"reference sample; got {len(bat_df):,} and {len(ref_df):,}"
        )
        yield Measurement(None, "coverage", insufficient=reason, message=reason)
        return
    x_ref = transform(space, ref_df)
    x_bat = transform(space, bat_df)
    rng = ctx.rng("coverage")
    null_cov, null_den = [], []
    for _ in range(int(ctx.option("coverage_draws"))):
        perm = rng.permutation(len(x_ref))
        dc = density_coverage(x_ref[perm[:s]], x_ref[perm[s : 2 * s]], K)
        null_cov.append(dc.coverage)
        null_den.append(dc.density)
    obs_cov, obs_den = [], []
    first_real = first_fake = np.zeros(0, dtype=np.int64)
    for i in range(3):
        real = rng.permutation(len(x_ref))[:s]
        fake = rng.choice(len(x_bat), s, replace=False) if len(x_bat) > s else np.arange(s)
        dc = density_coverage(x_ref[real], x_bat[fake], K)
        obs_cov.append(dc.coverage)
        obs_den.append(dc.density)
        if i == 0:
            first_real, first_fake = real, fake
    inflate = finite_population_inflation(s / len(x_ref))
    cmp = compare_with_null(float(np.mean(obs_cov)), null_cov, worse="lower", inflate=inflate)
    effect = cmp.observed / cmp.expected if cmp.expected > 0 else 1.0
    uncovered = ~covered_rows(x_ref[first_real], x_bat[first_fake], K)
    where = _describe_uncovered(
        ref_df.iloc[first_real].reset_index(drop=True), uncovered, numeric, categorical
    )
    subsample_note = (
        f"{s:,} rows per side (deterministic subsample of {len(bat_df):,} batch and "
        f"{len(ref_df):,} reference sample rows)"
    )
    uncovered_share = 1.0 - cmp.observed
    yield _measure(
        None,
        "coverage",
        cmp,
        effect,
        f"batch rows cover {_pct(cmp.observed)} of reference rows (k = {K} neighbourhoods, "
        f"{subsample_note}) vs {_pct(cmp.expected)} for an honest batch; "
        + (
            f"uncovered reference rows are mostly {'; '.join(where)}."
            if where
            else f"{_pct(uncovered_share)} of reference rows have no batch row nearby."
        ),
        {
            "rows_per_side": s,
            "batch_sample_rows": len(bat_df),
            "reference_sample_rows": len(ref_df),
            "feature_width": space.width,
            "numeric_columns": list(space.numeric),
            "categorical_columns": [c for c, _ in space.categorical],
            "k": K,
            "density": float(np.mean(obs_den)),
            "density_expected": float(np.mean(null_den)),
            "uncovered_regions": where,
            "subsampling": "deterministic (seeded) subsample; coverage is O(rows^2) in time",
        },
    )


# ----- the check -------------------------------------------------------------------------------


class DiversityLoss:
    """Is the batch more repetitive, concentrated or alike than an honest sample of its size?"""

    name = NAME
    description = (
        "entropy, distinct-n, compression, self-repetition, near-duplicates and coverage "
        "against size-matched reference nulls"
    )
    default_enabled = True
    metrics: Mapping[str, MetricSpec] = METRICS
    options: Mapping[str, OptionSpec] = OPTIONS

    def run(self, ctx: CheckContext) -> Iterable[Measurement]:
        if ctx.reference is None:
            for column in ctx.columns(Kind.TEXT):
                yield from _duplicates_only(ctx, column)
            return
        for column in ctx.columns(Kind.CATEGORICAL):
            yield from _categorical(ctx, column)
        for column in ctx.columns(Kind.TEXT):
            yield from _text(ctx, column)
        yield from _coverage(ctx)


@hookimpl
def register_checks(register: Callable[[Any], None]) -> None:
    register(DiversityLoss())
