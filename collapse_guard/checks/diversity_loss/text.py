"""Text columns: distinct-n, compression and token entropy at a matched token count, then duplicates."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from ...context import CheckContext
from ...profile import TextProfile
from ...results import Measurement
from ...stats.entropy import (
    chao_shen_entropy,
    compare_with_null,
    finite_population_inflation,
    hill_number,
    miller_madow_entropy,
)
from ...stats.text_diversity import compression_ratio, distinct_n, take_tokens
from .common import _fmt, _measure, _nonempty_docs_with_index, _pct
from .duplicates import _document_findings

MIN_DOCS = 20


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
    b_tok, b_off, b_keep = _nonempty_docs_with_index(bat.sample.tokens, bat.sample.offsets)
    r_tok, r_off, _ = _nonempty_docs_with_index(ref.sample.tokens, ref.sample.offsets)
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
    observed = [_lexical(*take_tokens(b_tok, b_off, rng.permutation(n_b), m_tok)) for _ in range(repeats)]
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
        # Only a value below the null's range is called repetition: "repeats its bigrams more
        # than human text" on a passing -0.1% read as a finding.
        if cmp.observed < cmp.interval[0]:
            verdict = f"the batch repeats its {unit} more than human text of the same length"
        elif effect < 1:
            verdict = "within the range of human text of the same length"
        else:
            verdict = f"no loss of {unit[:-1]} variety"
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
