"""Assistant stock phrases and knowledge-cutoff disclaimers per document (assistant_phrase_docs)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from ...hashing import combine
from ...profile.text import TextProfile, TokenSample
from ...results import Measurement
from ...stats import markers as mk
from ...text import doc_index, ngram_hashes, tokenize
from ._common import (
    MIN_DOCS,
    _Candidate,
    _pct,
    _Run,
    load_markers,
)


def _phrase_hashes(phrases: Sequence[str]) -> dict[int, np.ndarray]:
    tok = tokenize(list(phrases))
    by_len: dict[int, list[int]] = {}
    for i in range(tok.n_docs):
        t = tok.tokens[tok.offsets[i] : tok.offsets[i + 1]]
        if t.size == 0:
            continue
        h, _ = ngram_hashes(t, np.array([0, t.size], dtype=np.int64), t.size)
        by_len.setdefault(int(t.size), []).append(int(h[0]))
    return {n: np.array(v, dtype=np.uint64) for n, v in by_len.items()}


def _phrase_docs(sample: TokenSample, phrases: dict[int, np.ndarray]) -> np.ndarray:
    """Documents containing any phrase (n-gram hashes as ``text.ngram_hashes`` makes them)."""
    hits = np.zeros(sample.n_docs, dtype=bool)
    tokens = sample.tokens
    if tokens.size == 0:
        return hits
    docs = doc_index(sample.offsets)
    # Only positions whose token starts some phrase can start a match.
    # binary search in the short sorted list (np.isin makes one pass per entry when it is short)
    first = _phrase_first_tokens()
    pos = np.searchsorted(first, tokens)
    pos[pos >= first.size] = 0
    starts_all = np.flatnonzero(first[pos] == tokens)
    for n, hashes in phrases.items():
        starts = starts_all[starts_all + n - 1 < tokens.size]
        starts = starts[docs[starts] == docs[starts + n - 1]]
        if starts.size == 0:
            continue
        h = tokens[starts]
        for j in range(1, n):
            h = combine(h, tokens[starts + j])
        hits[docs[starts[np.isin(h, hashes)]]] = True
    return hits


@lru_cache(maxsize=1)
def _phrase_first_tokens() -> np.ndarray:
    data = load_markers()
    phrases = list(data["stock_phrases"]["phrases"]) + list(data["cutoff_disclaimers"]["phrases"])
    tok = tokenize(phrases)
    return np.unique(tok.tokens[tok.offsets[:-1][np.diff(tok.offsets) > 0]])


def _phrases(run: _Run, column: str, batch: TokenSample, ref: TextProfile | None) -> None:
    data = load_markers()
    phrases = list(data["stock_phrases"]["phrases"]) + list(data["cutoff_disclaimers"]["phrases"])
    table = _phrase_hashes(phrases)
    has_b = _phrase_docs(batch, table)
    k_b, n_b = int(has_b.sum()), batch.n_docs
    examples = _phrase_examples(batch, phrases)
    ev: dict[str, Any] = {
        "documents_with_phrase": k_b,
        "documents": n_b,
        "examples": examples,
        "source": data["stock_phrases"]["source"],
    }
    if ref is not None and ref.sample.n_docs >= MIN_DOCS:
        has_r = _phrase_docs(ref.sample, table)
        res = mk.excess_share(k_b, n_b, int(has_r.sum()), ref.sample.n_docs)
        msg = (
            f"{k_b} of {n_b:,} {column!r} documents contain assistant boilerplate or "
            f"knowledge-cutoff disclaimers ({_pct(res.share_batch)} vs {_pct(res.share_baseline)} "
            f"in the reference){': e.g. ' + repr(examples[0]) if examples else ''}"
        )
        run.out.append(
            Measurement(
                column,
                "assistant_phrase_docs",
                value=res.delta,
                expected=0.0,
                interval=res.interval,
                p_value=res.p_value,
                effect=res.delta,
                message=msg,
                evidence={**ev, "reference_share": res.share_baseline},
            )
        )
        if k_b:
            run.candidates.append(
                _Candidate(
                    "assistant phrases",
                    column,
                    max(res.delta, 0.0),
                    (max(res.interval[0], 0.0), max(res.interval[1], 0.0)),
                    res.p_value,
                    "lower bound",
                    f"{column}: {k_b} documents with assistant boilerplate",
                )
            )
        return
    # Without a reference these phrases are judged on the count alone: human corpora almost never
    # contain "as an AI language model".
    share = k_b / max(n_b, 1)
    lo, hi = mk.wilson_interval(k_b, n_b)
    run.out.append(
        Measurement(
            column,
            "assistant_phrase_docs",
            value=share,
            expected=0.0,
            interval=(lo, hi),
            effect=share,
            message=(
                f"{k_b} of {n_b:,} {column!r} documents contain assistant boilerplate or "
                f"knowledge-cutoff disclaimers{': e.g. ' + repr(examples[0]) if examples else ''}"
            ),
            evidence={**ev, "baseline": "none (reference-free)"},
        )
    )
    if k_b:
        run.candidates.append(
            _Candidate(
                "assistant phrases",
                column,
                share,
                (lo, hi),
                None,
                "lower bound",
                f"{column}: {k_b} documents with assistant boilerplate",
            )
        )


def _phrase_examples(batch: TokenSample, phrases: Sequence[str]) -> list[str]:
    if batch.texts is None:
        return []
    out: list[str] = []
    lowered = [p.lower() for p in phrases]
    for text in batch.texts[:20000]:
        if not text:
            continue
        low = text.lower().replace("\u2019", "'")
        for p in lowered:
            if p in low:
                out.append(p)
                break
        if len(set(out)) >= 3:
            break
    return sorted(set(out))
