"""Cross-fitted Kneser-Ney scoring of documents into the per-document features the text methods use."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...hashing import combine
from ...profile.text import TokenSample
from ...stats import markers as mk
from ...stats import mixture
from ...stats.ngram_lm import train_kneser_ney
from ...text import doc_index, token_hash
from ._common import (
    LM_FOLDS,
    _cap_index,
    _Run,
    load_markers,
)


@dataclass
class _Scored:
    """Everything the text methods need, every document scored by models that never saw it."""

    ref_feats: np.ndarray
    batch_feats: np.ndarray
    ref_mean: np.ndarray  # mean per-token log-likelihood under the reference LM
    batch_mean: np.ndarray
    batch_index: np.ndarray  # which batch documents were scored (the cap)
    # with a synthetic sample: per-document features for "human vs machine", fold ids, and
    # Liang's word-occurrence log ratios -- each as (batch, reference, synthetic)
    mix_feats: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    folds: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    occurrence: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    vocab: int = 0


def _doc_sums(lp: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    lengths = np.diff(offsets)
    return np.bincount(doc_index(offsets), weights=lp, minlength=lengths.size)


def _doc_moments(lp: np.ndarray, sample: TokenSample) -> tuple[np.ndarray, np.ndarray]:
    safe = np.maximum(sample.lengths.astype(float), 1.0)
    mean = _doc_sums(lp, sample.offsets) / safe
    var = _doc_sums(lp**2, sample.offsets) / safe - mean**2
    return mean, np.sqrt(np.maximum(var, 0.0))


def _features(lp: np.ndarray, sample: TokenSample, marker_hashes: np.ndarray, cut: float) -> np.ndarray:
    """Per-document features from token log-probabilities: what the two-sample classifier sees."""
    lengths = sample.lengths.astype(float)
    docs = doc_index(sample.offsets)
    n = sample.n_docs
    safe = np.maximum(lengths, 1.0)
    mean, sd = _doc_moments(lp, sample)
    surprising = np.bincount(docs, weights=(lp < cut).astype(float), minlength=n) / safe
    if sample.tokens.size:
        # one 64-bit key per (document, token): a 1-D unique is far faster than unique(axis=1)
        _, first = np.unique(combine(docs.astype(np.uint64), sample.tokens), return_index=True)
        distinct = np.bincount(docs[first], minlength=n) / safe
    else:
        distinct = np.zeros(n)
    marks = mk.docs_containing(docs, sample.tokens, marker_hashes, n) / safe
    return np.column_stack([mean, sd, surprising, np.log1p(lengths), distinct, marks])


def _mix_features(lp_p: np.ndarray, lp_q: np.ndarray, occ: np.ndarray, sample: TokenSample) -> np.ndarray:
    """Features for telling human from machine documents, given both language models."""
    mp, sp = _doc_moments(lp_p, sample)
    mq, sq = _doc_moments(lp_q, sample)
    return np.column_stack([mp, mq, sp, sq, mq - mp, np.log1p(sample.lengths), occ])


def _score_folds(
    run: _Run, column: str, batch: TokenSample, ref: TokenSample, synth: TokenSample | None
) -> _Scored:
    """Cross-fitted Kneser-Ney scores.

    The reference is cut into ``LM_FOLDS`` folds; batch (and synthetic) documents are dealt to the
    same folds at random. Fold ``k`` is scored by models trained on the other folds, so reference,
    batch and synthetic documents are all out-of-sample for the same models and their scores are
    exchangeable under "the batch is human", while every reference document serves as hold-out.
    """
    ctx = run.ctx
    rng = ctx.rng("lm", column)
    order = int(ctx.option("lm_order"))
    ref = ref.subset(np.flatnonzero(ref.lengths > 0))
    b_idx = _cap_index(batch.n_docs, int(ctx.option("max_docs")), rng)
    b_idx = b_idx[batch.lengths[b_idx] > 0]
    bsub = batch.subset(b_idx)
    r_fold = rng.permutation(ref.n_docs) % LM_FOLDS
    b_fold = rng.integers(0, LM_FOLDS, bsub.n_docs)
    markers = token_hash(load_markers()["style_words"]["words"])
    r_feats = np.zeros((ref.n_docs, 6))
    b_feats = np.zeros((bsub.n_docs, 6))
    mix = None
    if synth is not None:
        s_fold = rng.permutation(synth.n_docs) % LM_FOLDS
        mix = (np.zeros((bsub.n_docs, 7)), np.zeros((ref.n_docs, 7)), np.zeros((synth.n_docs, 7)))
        occ = (np.zeros(bsub.n_docs), np.zeros(ref.n_docs), np.zeros(synth.n_docs))
        vocab = []
    for k in range(LM_FOLDS):
        lm_p = train_kneser_ney(*_parts(ref, r_fold != k), order=order)
        r_k, b_k = ref.subset(np.flatnonzero(r_fold == k)), bsub.subset(np.flatnonzero(b_fold == k))
        lp_r = lm_p.token_logprobs(r_k.tokens, r_k.offsets)
        lp_b = lm_p.token_logprobs(b_k.tokens, b_k.offsets)
        cut = float(np.quantile(lp_r, 0.05)) if lp_r.size else -10.0
        r_feats[r_fold == k] = _features(lp_r, r_k, markers, cut)
        b_feats[b_fold == k] = _features(lp_b, b_k, markers, cut)
        if synth is None or mix is None:
            continue
        s_train = synth.subset(np.flatnonzero(s_fold != k))
        s_k = synth.subset(np.flatnonzero(s_fold == k))
        lm_q = train_kneser_ney(s_train.tokens, s_train.offsets, order=order)
        model = mixture.fit_occurrence_model(*_parts(ref, r_fold != k), s_train.tokens, s_train.offsets)
        vocab.append(model.size)
        for dest, sel, part, lp_p in (
            (0, b_fold == k, b_k, lp_b),
            (1, r_fold == k, r_k, lp_r),
            (2, s_fold == k, s_k, lm_p.token_logprobs(s_k.tokens, s_k.offsets)),
        ):
            o = model.log_ratio(part.tokens, part.offsets)
            occ[dest][sel] = o
            mix[dest][sel] = _mix_features(lp_p, lm_q.token_logprobs(part.tokens, part.offsets), o, part)
    return _Scored(
        ref_feats=r_feats,
        batch_feats=b_feats,
        ref_mean=r_feats[:, 0],
        batch_mean=b_feats[:, 0],
        batch_index=b_idx,
        mix_feats=mix,
        folds=None if mix is None else (b_fold, r_fold, s_fold),
        occurrence=None if mix is None else occ,
        vocab=0 if mix is None else int(min(vocab)),
    )


def _parts(sample: TokenSample, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sub = sample.subset(np.flatnonzero(mask))
    return sub.tokens, sub.offsets
