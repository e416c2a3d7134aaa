"""Text mixture MLE against a synthetic sample (mixture_share), with the words both over-use."""

from __future__ import annotations

import numpy as np

from ...profile.text import TokenSample
from ...results import Measurement
from ...stats import boosting, mixture
from ._common import (
    LM_FOLDS,
    _Candidate,
    _df_lookup,
    _pct,
    _Run,
)
from .text_scoring import _Scored

# Gradient-boosted trees on the mixture features (stats.boosting.fit's keywords): 60 rounds of
# depth-4 trees (16 leaves of at least 20 documents) on 255 bins. The mixture MLE needs log-odds
# that are right in size, not only in order, from a few hundred machine documents among thousands
# of human ones: with the two-sample classifier's settings (depth 3, rate 0.15, 127 bins) the
# held-out AUC was 0.805 instead of 0.819 and a batch of half machine text read 0.54; these reach
# the held-out AUC of the scikit-learn model they replace.
LLR_GBT_PARAMS: dict[str, float | int] = {
    "rounds": 60,
    "learning_rate": 0.25,
    "depth": 4,
    "min_samples_leaf": 20,
    "l2_regularization": 1.0,
    "max_bins": 256,
}
# log-odds are clipped to those of probabilities in [1e-6, 1 - 1e-6]
MAX_LOG_ODDS = float(np.log((1 - 1e-6) / 1e-6))


def _classifier_llr(scored: _Scored) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log-odds of "machine" from a gradient-boosted classifier on the mixture features.

    Trained on reference (human) against synthetic (machine) documents with the language models'
    folds: the model for fold ``k`` never saw fold ``k``, whose batch, reference and synthetic
    documents it then scores. Its log-odds minus the training prior's ``log q/p``.
    """
    assert scored.mix_feats is not None and scored.folds is not None
    xb, xr, xs = scored.mix_feats
    fb, fr, fs = scored.folds
    out = (np.zeros(len(xb)), np.zeros(len(xr)), np.zeros(len(xs)))
    for k in range(LM_FOLDS):
        x = np.vstack([xr[fr != k], xs[fs != k]])
        y = np.r_[np.zeros(int(np.sum(fr != k))), np.ones(int(np.sum(fs != k)))]
        sel = (fb == k, fr == k, fs == k)
        # unweighted fit: remove the training prior's log-odds
        prior = float(np.log(y.mean() / (1.0 - y.mean())))
        logits = boosting.fit_predict(x, y, [xb[sel[0]], xr[sel[1]], xs[sel[2]]], params=LLR_GBT_PARAMS)
        for dest, mask, z in zip(out, sel, logits, strict=True):
            dest[mask] = np.clip(z, -MAX_LOG_ODDS, MAX_LOG_ODDS) - prior
    return out


def _mixture(
    run: _Run,
    column: str,
    batch: TokenSample,
    ref: TokenSample,
    synth: TokenSample,
    scored: _Scored,
) -> None:
    ctx = run.ctx
    rng = ctx.rng("mixture", column)
    n_boot = int(ctx.option("n_boot"))
    assert scored.occurrence is not None
    if scored.vocab < 20:
        why = (
            f"the reference and the synthetic sample share only {scored.vocab} words frequent "
            f"enough to compare in {column!r} (need 20); supply a larger synthetic sample written "
            "for this data"
        )
        run.out.append(Measurement(column, "mixture_share", message=why, insufficient=why))
        return
    methods: dict[str, mixture.MixtureResult] = {}
    methods["word occurrences (Liang et al. 2024)"] = mixture.estimate_mixture(
        *scored.occurrence, rng, n_boot=n_boot, n_null=5 * n_boot, vocab_size=scored.vocab
    )
    methods["classifier on n-gram and word-occurrence likelihoods"] = mixture.estimate_mixture(
        *_classifier_llr(scored),
        rng,
        n_boot=n_boot,
        n_null=5 * n_boot,
        vocab_size=scored.vocab,
    )
    # The document model that best separates held-out synthetic from held-out human text gives
    # the tightest estimate; both are calibrated on the same hold-outs.
    name, res = max(methods.items(), key=lambda kv: kv[1].scale - kv[1].null_offset)
    separable = res.scale - res.null_offset
    if separable < 0.2:
        why = (
            "neither word occurrences nor n-gram models tell the synthetic sample from the "
            f"reference in {column!r} (held-out synthetic text scores {res.scale:.2f}, human "
            f"{res.null_offset:.2f}); the estimate would be noise"
        )
        run.out.append(
            Measurement(
                column,
                "mixture_share",
                message=why,
                insufficient=why,
                evidence={"scale": res.scale, "null_offset": res.null_offset},
            )
        )
        return
    lo, hi = res.interval
    top = _top_words(batch, ref, synth)
    msg = (
        f"an estimated {_pct(res.alpha)} [{_pct(lo)}, {_pct(hi)}] of {column!r} documents match "
        f"the synthetic sample rather than the reference (mixture MLE on {name}); words the "
        "batch and the synthetic sample both over-use: "
        f"{', '.join(top) if top else 'none stand out'}"
    )
    evidence = {
        "method": f"mixture MLE, {name}",
        "raw_alpha": res.raw_alpha,
        "null_offset": res.null_offset,
        "null_q95": res.null_q95,
        "scale": res.scale,
        "documents": res.n_docs,
        "synthetic_documents": synth.n_docs,
        "words": top,
        "methods": {
            k: {
                "alpha": v.alpha,
                "interval": list(v.interval),
                "raw_alpha": v.raw_alpha,
                "null_offset": v.null_offset,
                "scale": v.scale,
                "documents": v.n_docs,
            }
            for k, v in methods.items()
        },
    }
    run.out.append(
        Measurement(
            column,
            "mixture_share",
            value=res.alpha,
            expected=0.0,
            interval=res.interval,
            p_value=res.p_value,
            effect=res.alpha,
            message=msg,
            evidence=evidence,
        )
    )
    run.candidates.append(
        _Candidate(
            "mixture MLE against the synthetic sample",
            column,
            res.alpha,
            res.interval,
            res.p_value,
            "estimate",
            f"{column}: {_pct(res.alpha)} by mixture MLE on {name}",
        )
    )


def _top_words(batch: TokenSample, ref: TokenSample, synth: TokenSample) -> list[str]:
    """Words whose document share rose in the batch and is higher still in the synthetic sample."""
    words_r, df_r = mixture.document_frequencies(ref.tokens, ref.offsets)
    words_b, df_b = mixture.document_frequencies(batch.tokens, batch.offsets)
    words_s, df_s = mixture.document_frequencies(synth.tokens, synth.offsets)
    v = words_r[df_r >= 5]
    pr = _df_lookup(v, words_r, df_r) / max(ref.n_docs, 1)
    pb = _df_lookup(v, words_b, df_b) / max(batch.n_docs, 1)
    ps = _df_lookup(v, words_s, df_s) / max(synth.n_docs, 1)
    score = np.where(ps > pr, pb - pr, 0.0)
    vocab = {**ref.vocab, **synth.vocab, **batch.vocab}
    out = []
    for i in np.argsort(-score, kind="stable")[:30]:
        if score[i] <= 0:
            break
        word = vocab.get(int(v[i]))
        if word:
            out.append(word)
        if len(out) == 6:
            break
    return out
