"""Text tails: rare tokens and rare bigrams at a matched token count, document-length tails.

Rarity is defined on one half of the reference's hashed-token document sample ("R1"); the other
half ("R2") gives the size-matched null: token-matched draws of whole documents from R2 show what
an honest batch of the same number of tokens holds. Drawing whole documents keeps the burstiness
of real text (a rare word tends to recur inside one document), which a per-token binomial null
would ignore. Everything runs on hashed-token arrays with numpy kernels; there is no Python loop
per token.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from ...context import CheckContext
from ...profile import TextProfile
from ...profile.text import TokenSample
from ...protocols import MetricSpec, OptionSpec
from ...results import Measurement
from ...stats.distributions import norm_cdf
from ...stats.rare_ngrams import rare_in_token_budget, rare_ngram_flags
from ...stats.tails import exceedance_test, needed_batch_size
from ...text import ngram_hashes
from .measure import exceedance_measurement

RARE_METRICS = {
    "rare_token_share": (1, "share"),
    "rare_token_types": (1, "types"),
    "rare_bigram_share": (2, "share"),
    "rare_bigram_types": (2, "types"),
}
LENGTH_METRICS = {"short_document_mass": "short", "long_document_mass": "long"}

METRICS: dict[str, MetricSpec] = {
    "rare_token_share": MetricSpec(
        "share of batch tokens whose word is rare in the reference, divided by the share in "
        "token-matched reference samples",
        worse="lower",
        warn=0.8,
        fail=0.6,
        bounds=(0.0, 1.0),
    ),
    "rare_token_types": MetricSpec(
        "distinct rare words in a token-matched batch sample divided by the reference's",
        worse="lower",
        warn=0.8,
        fail=0.6,
        bounds=(0.0, 1.0),
    ),
    "rare_bigram_share": MetricSpec(
        "share of batch word pairs that are rare in the reference, divided by the reference's",
        worse="lower",
        warn=0.8,
        fail=0.6,
        bounds=(0.0, 1.0),
    ),
    "rare_bigram_types": MetricSpec(
        "distinct rare word pairs in a token-matched batch sample divided by the reference's",
        worse="lower",
        warn=0.8,
        fail=0.6,
        bounds=(0.0, 1.0),
    ),
    "short_document_mass": MetricSpec(
        "share of batch documents as short as the reference's shortest ~1%, divided by the reference's share",
        worse="lower",
        warn=0.7,
        fail=0.5,
        bounds=(0.0, 1.0),
    ),
    "long_document_mass": MetricSpec(
        "share of batch documents as long as the reference's longest ~1%, divided by the reference's share",
        worse="lower",
        warn=0.7,
        fail=0.5,
        bounds=(0.0, 1.0),
    ),
}

OPTIONS: dict[str, OptionSpec] = {
    "rare_max_count": OptionSpec.integer(
        1,
        "a word (or word pair) is rare when it occurs at most this many times in half of the "
        "reference's document sample (unseen ones are rare too)",
        0,
        100,
    ),
    "text_null_draws": OptionSpec.integer(
        30, "token-matched reference draws for the rare-token null", 10, 1000
    ),
}

MIN_TOKENS = 2000
MIN_DOCS = 20
MAX_MATCHED_TOKENS = 500_000
LENGTH_TAIL = 0.01


def _insufficient(column: str, metrics: Iterator[str] | list[str], why: str) -> Iterator[Measurement]:
    for metric in metrics:
        yield Measurement(column, metric, message=f"{column}: {why}", insufficient=why)


def measure(ctx: CheckContext, column: str) -> Iterator[Measurement]:
    """All text tail measurements for one column."""
    assert ctx.reference is not None
    ref_col = ctx.reference.column(column)
    bat_col = ctx.batch.column(column)
    assert isinstance(ref_col, TextProfile) and isinstance(bat_col, TextProfile)
    if bat_col.tokens == 0:
        why = (
            f"the batch column holds no words (all {bat_col.docs:,} documents are empty or "
            "whitespace); check the reader or map the column to another kind with --column"
        )
        yield from _insufficient(column, [*RARE_METRICS, *LENGTH_METRICS], why)
        return
    if ref_col.tokens == 0:
        why = "the reference column holds no words; rebuild the reference from real text"
        yield from _insufficient(column, [*RARE_METRICS, *LENGTH_METRICS], why)
        return
    yield from _length_tails(ctx, column, ref_col, bat_col)
    yield from _rare(ctx, column, ref_col.sample, bat_col.sample)


# --------------------------------------------------------------------------- document lengths


def _length_tails(
    ctx: CheckContext, column: str, ref_col: TextProfile, bat_col: TextProfile
) -> Iterator[Measurement]:
    lengths = np.array(sorted(ref_col.length_counts), dtype=np.int64)
    counts = np.array([ref_col.length_counts[int(v)] for v in lengths], dtype=np.int64)
    total = int(counts.sum())
    b_len = np.array(sorted(bat_col.length_counts), dtype=np.int64)
    b_cnt = np.array([bat_col.length_counts[int(v)] for v in b_len], dtype=np.int64)
    n = int(b_cnt.sum())
    power = float(ctx.option("power", column))
    cdf = np.cumsum(counts) / total
    sf = np.cumsum(counts[::-1])[::-1] / total
    for metric, side in LENGTH_METRICS.items():
        if side == "short":
            ok = np.flatnonzero(cdf <= LENGTH_TAIL)
            cut = int(lengths[ok[-1]]) if len(ok) else int(lengths[0])
            y = int(counts[lengths <= cut].sum())
            k = int(b_cnt[b_len <= cut].sum())
            what = f"{cut} words or fewer"
        else:
            ok = np.flatnonzero(sf <= LENGTH_TAIL)
            cut = int(lengths[ok[0]]) if len(ok) else int(lengths[-1])
            y = int(counts[lengths >= cut].sum())
            k = int(b_cnt[b_len >= cut].sum())
            what = f"{cut:,} words or more"
        if y == total:
            why = "every reference document has the same length; there is no length tail"
            yield Measurement(column, metric, message=f"{column}: {why}", insufficient=why)
            continue
        r = exceedance_test(k, n, y, total, float(cut), side == "long")
        _, fail = ctx.config.thresholds(ctx.check, metric, column)
        need = needed_batch_size(y / total, fail, ctx.config.alpha, power, reference=(y, total))
        insufficient = None
        if (need is None or n < need) and r.p_value > ctx.config.warn_alpha:
            insufficient = (
                f"a batch of {n:,} documents cannot reliably detect the {side} documents "
                f"({what}) falling to {fail:.0%} of their reference share"
                + (f"; needs about {need:,} documents" if need else "")
            )
        b_extreme = int(b_len[b_cnt > 0][0] if side == "short" else b_len[b_cnt > 0][-1])
        r_extreme = int(lengths[0] if side == "short" else lengths[-1])
        word = "shortest" if side == "short" else "longest"
        yield exceedance_measurement(
            column,
            metric,
            r,
            message=(
                f"{column}: {k:,} batch documents have {what} where {r.expected_count:,.0f} were "
                f"expected; the {word} batch document has {b_extreme:,} words against "
                f"{r_extreme:,} in the reference"
            ),
            evidence={
                "cut": cut,
                "batch_count": k,
                "expected_count": r.expected_count,
                "batch_docs": n,
                "reference_docs": total,
                "needed_docs": need,
                "plot": _length_hist(lengths, counts, b_len, b_cnt),
            },
            insufficient=insufficient,
        )


def _length_hist(
    lengths: np.ndarray, counts: np.ndarray, b_len: np.ndarray, b_cnt: np.ndarray
) -> dict[str, object]:
    top = max(int(lengths[-1]), int(b_len[-1]), 1)
    edges = np.unique(np.round(np.geomspace(1, top + 1, 30)).astype(np.int64))
    edges = np.concatenate([[0], edges])
    ref_h = np.histogram(lengths, bins=edges, weights=counts)[0]
    bat_h = np.histogram(b_len, bins=edges, weights=b_cnt)[0]
    return {
        "type": "hist",
        "edges": edges.tolist(),
        "reference": (ref_h / max(ref_h.sum(), 1)).tolist(),
        "batch": (bat_h / max(bat_h.sum(), 1)).tolist(),
    }


# --------------------------------------------------------------------------- rare tokens / n-grams


def _rare(ctx: CheckContext, column: str, ref: TokenSample, bat: TokenSample) -> Iterator[Measurement]:
    if ref.n_tokens < MIN_TOKENS or ref.n_docs < MIN_DOCS:
        why = (
            f"the reference's document sample is too small for rare-word statistics "
            f"({ref.n_docs:,} documents, {ref.n_tokens:,} words; needs {MIN_DOCS} and "
            f"{MIN_TOKENS:,})"
        )
        yield from _insufficient(column, list(RARE_METRICS), why)
        return
    rng = ctx.rng(column, "rare")
    perm = rng.permutation(ref.n_docs)
    half = ref.n_docs // 2
    r1, r2 = ref.subset(np.sort(perm[:half])), ref.subset(np.sort(perm[half:]))
    budget = min(bat.n_tokens, r2.n_tokens // 2, MAX_MATCHED_TOKENS)
    if budget < 200:
        why = f"the batch holds only {bat.n_tokens:,} words; rare-word statistics need at least 200"
        yield from _insufficient(column, list(RARE_METRICS), why)
        return
    rare_max = int(ctx.option("rare_max_count", column))
    draws = int(ctx.option("text_null_draws", column))
    b_order = rng.permutation(bat.n_docs)
    r2_orders = [rng.permutation(r2.n_docs) for _ in range(draws)]
    # Finite-population correction: R2 draws overlap, and R2 itself is a sample (see module).
    f = budget / max(r2.n_tokens, 1)
    inflate = math.sqrt((1 + f) / max(1 - f, 1e-9))
    for n in (1, 2):
        grams, _ = ngram_hashes(r1.tokens, r1.offsets, n)
        keys, counts = np.unique(grams, return_counts=True)
        rare_key = counts <= rare_max
        bat_flags = rare_ngram_flags(bat.tokens, bat.offsets, n, keys, rare_key)
        obs = rare_in_token_budget(bat_flags, bat.lengths, b_order, budget)
        r2_flags = rare_ngram_flags(r2.tokens, r2.offsets, n, keys, rare_key)
        null = [rare_in_token_budget(r2_flags, r2.lengths, order, budget) for order in r2_orders]
        unit = "words" if n == 1 else "word pairs"
        for field_name in ("share", "types"):
            metric = f"rare_{'token' if n == 1 else 'bigram'}_{field_name}"
            values = np.array([getattr(d, field_name) for d in null], dtype=float)
            mu = float(np.mean(values))
            sd = float(np.std(values, ddof=1)) * inflate
            x = float(getattr(obs, field_name))
            if not (mu > 0 and math.isfinite(x)):
                why = f"no rare {unit} in token-matched reference samples"
                yield Measurement(column, metric, message=f"{column}: {why}", insufficient=why)
                continue
            p = float(norm_cdf((x - mu) / sd)) if sd > 0 else float(x < mu)
            ratio = x / mu
            if field_name == "share":
                message = (
                    f"{column}: {x:.2%} of batch {unit} are rare in the reference where "
                    f"{mu:.2%} ± {sd:.2%} were expected at {budget:,} words"
                )
            else:
                message = (
                    f"{column}: {int(x):,} distinct rare {unit} in {budget:,} batch words "
                    f"where {mu:,.0f} ± {sd:,.0f} were expected"
                )
            evidence: dict[str, object] = {
                "matched_tokens": budget,
                "null_mean": mu,
                "null_sd": sd,
                "null_draws": draws,
                "rare_max_count": rare_max,
            }
            if n == 1 and field_name == "share" and ratio < 1:
                missing = _missing_words(ref, bat)
                if missing:
                    message += f"; common-enough words that never occur: {missing[:8]}"
                    evidence["missing_words"] = missing
            yield Measurement(
                column,
                metric,
                value=x,
                expected=mu,
                # Clipped to what a share or a count can be (a share of 0 gave "[-0.0002, 0.0002]").
                interval=(
                    max(0.0, x - 1.96 * sd),
                    min(1.0, x + 1.96 * sd) if field_name == "share" else x + 1.96 * sd,
                ),
                p_value=p,
                effect=ratio,
                message=message,
                evidence=evidence,
            )


def _missing_words(ref: TokenSample, bat: TokenSample, limit: int = 20) -> list[str]:
    """Reference words (with known strings) that an honest batch would almost surely contain
    but this one lacks, least frequent first: the vanished tail in the data's own words."""
    if not ref.vocab or bat.n_docs == 0:
        return []
    doc = np.repeat(np.arange(ref.n_docs), ref.lengths)
    pairs = np.unique(np.stack([doc.astype(np.uint64), ref.tokens]), axis=1)
    hashes, df = np.unique(pairs[1], return_counts=True)
    share = df / ref.n_docs
    present = 1.0 - np.exp(bat.n_docs * np.log1p(-np.minimum(share, 1 - 1e-12)))
    seen = np.isin(hashes, bat.tokens)
    cand = np.flatnonzero((present >= 0.999) & ~seen)
    cand = cand[np.argsort(share[cand], kind="stable")]
    words = [ref.vocab.get(int(h)) for h in hashes[cand]]
    return [w for w in words if w][:limit]
