"""Excess marker vocabulary (Kobak et al. 2025) against the reference or a wordfreq baseline."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...profile.text import TextProfile, TokenSample
from ...results import Measurement
from ...stats import markers as mk
from ...stats import mixture
from ...text import doc_index, token_hash
from ._common import (
    MIN_DOCS,
    _Candidate,
    _df_lookup,
    _pct,
    _Run,
    load_markers,
)
from .phrases import _phrases
from .typography import _typography


def _style_baseline_wordfreq(words: Sequence[str]) -> float | None:
    try:
        from wordfreq import word_frequency
    except ImportError:  # optional: reference-free marker baseline only
        return None
    return float(sum(word_frequency(w, "en") for w in words))


def _markers(run: _Run, column: str, batch: TokenSample) -> None:
    ctx = run.ctx
    data = load_markers()
    words = data["style_words"]["words"]
    hashes = token_hash(words)
    docs_b = doc_index(batch.offsets)
    per_doc = mk.docs_containing(docs_b, batch.tokens, hashes, batch.n_docs)
    has_b = per_doc > 0
    nonempty = batch.lengths > 0
    has_b, lengths_b = has_b[nonempty], batch.lengths[nonempty]
    n_b = int(has_b.size)
    ref_col = None if ctx.reference is None else ctx.reference.columns[column]
    if isinstance(ref_col, TextProfile) and ref_col.sample.n_docs >= MIN_DOCS:
        ref = ref_col.sample
        has_r_all = mk.docs_containing(doc_index(ref.offsets), ref.tokens, hashes, ref.n_docs) > 0
        keep = ref.lengths > 0
        res = mk.length_matched_excess(has_b, lengths_b, has_r_all[keep], ref.lengths[keep])
        baseline = "the reference (matched for document length)"
        top = _top_markers(batch, ref, words, hashes)
    else:
        freq = _style_baseline_wordfreq(words)
        if freq is None:
            run.reasons.append("install wordfreq for the reference-free marker baseline")
            return
        res = mk.excess_share_vs_model(has_b, mk.expected_marker_probability(lengths_b, freq))
        baseline = "pre-LLM English (wordfreq)"
        top = _top_markers(batch, None, words, hashes)
    lo, hi = res.interval
    delta = max(res.delta, 0.0)
    msg = (
        f"{_pct(res.share_batch)} of {column!r} documents use LLM style words "
        f"({', '.join(repr(w) for w, _ in top[:5]) or 'none'}) where {_pct(res.share_baseline)} "
        f"were expected from {baseline}: an excess of {_pct(delta)} of documents (95% interval "
        f"{_pct(max(lo, 0.0))} to {_pct(max(hi, 0.0))}), which LLM-written or LLM-edited text "
        "would explain"
    )
    run.out.append(
        Measurement(
            column,
            "excess_marker_docs",
            value=res.delta,
            expected=0.0,
            interval=(lo, hi),
            p_value=res.p_value,
            effect=res.delta,
            message=msg,
            evidence={
                "method": "Kobak et al. 2025 excess style vocabulary",
                "baseline": baseline,
                "share_batch": res.share_batch,
                "share_baseline": res.share_baseline,
                "documents": n_b,
                "markers": [{"word": w, "batch_docs": c} for w, c in top[:10]],
                "source": data["style_words"]["source"],
            },
        )
    )
    run.candidates.append(
        _Candidate(
            "excess marker vocabulary (Kobak et al. 2025)",
            column,
            delta,
            (max(lo, 0.0), max(hi, 0.0)),
            res.p_value,
            "lower bound",
            f"{column}: {_pct(delta)} excess documents with style words",
        )
    )
    _phrases(run, column, batch, ref_col if isinstance(ref_col, TextProfile) else None)
    _typography(run, column, batch, ref_col if isinstance(ref_col, TextProfile) else None)


def _top_markers(
    batch: TokenSample, ref: TokenSample | None, words: Sequence[str], hashes: np.ndarray
) -> list[tuple[str, int]]:
    """Marker words by excess document share (or by batch documents without a reference)."""
    words_b, df_b = mixture.document_frequencies(batch.tokens, batch.offsets)
    cnt_b = _df_lookup(hashes, words_b, df_b)
    if ref is not None:
        words_r, df_r = mixture.document_frequencies(ref.tokens, ref.offsets)
        cnt_r = _df_lookup(hashes, words_r, df_r)
        excess = cnt_b / max(batch.n_docs, 1) - cnt_r / max(ref.n_docs, 1)
    else:
        excess = cnt_b.astype(float)
    order = np.argsort(-excess, kind="stable")
    return [(words[i], int(cnt_b[i])) for i in order if excess[i] > 0 and cnt_b[i] > 0]
