"""synthetic-contamination: what share of this batch is machine-generated?

The unit of the answer is the batch, never a document: per-document detectors are unreliable and
unfair to non-native writers (Liang et al., Patterns 2023). Methods, strongest first:

text
    * with a known machine sample (``--synthetic-reference``): the mixture MLE over word occurrences
      of Liang et al. (2024), null-offset and scale corrected (``stats.mixture``);
    * always: a classifier two-sample test on per-document features from a Kneser-Ney model trained
      on the reference, turned into a mixture-proportion lower bound (``stats.ngram_lm``,
      ``stats.mpe``); the collapse signature itself (likelihood shift to "typical", lost spread,
      lost low-likelihood tail; Shumailov et al. 2024, Fig. 1);
    * excess marker vocabulary (Kobak et al. 2025) against the reference's own rate, or against a
      pre-LLM English baseline from ``wordfreq`` without a reference; assistant stock phrases,
      knowledge-cutoff disclaimers, em dashes and curly quotes (``stats.markers``).
tabular
    * classifier two-sample test with cross-fitting -> mixture-proportion lower bound;
    * exact and near copies of reference rows (``stats.dcr``).
any table
    * provenance columns (``source``, ``generator``, ``language_creators`` ...) that declare
      machine-generated rows.

One table-level ``synthetic_share`` finding always carries the headline from the strongest method
available; the other methods are their own findings and are listed in its evidence.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from ..context import CheckContext
from ..hashing import combine
from ..hookspecs import hookimpl
from ..kinds import Kind
from ..profile.text import TextProfile, TokenSample
from ..protocols import MetricSpec, OptionSpec
from ..provenance import declared_share, is_provenance_column, split_declared
from ..results import Measurement
from ..stats import dcr as dcr_stats
from ..stats import markers as mk
from ..stats import mixture, mpe
from ..stats.ngram_lm import train_kneser_ney
from ..text import doc_index, ngram_hashes, token_hash, tokenize

NAME = "synthetic-contamination"

METRICS: dict[str, MetricSpec] = {
    "synthetic_share": MetricSpec(
        "estimated share of machine-generated data in the batch, from the strongest method "
        "available (a lower bound unless a synthetic sample was given)",
        worse="higher",
        warn=0.03,
        fail=0.15,
        bounds=(0.0, 1.0),
    ),
    "mixture_share": MetricSpec(
        "share of machine text by maximum likelihood over word occurrences against the synthetic "
        "sample (Liang et al. 2024), null-corrected",
        worse="higher",
        warn=0.03,
        fail=0.15,
        bounds=(0.0, 1.0),
    ),
    "unexplained_share": MetricSpec(
        "lower bound on the share of the batch the reference cannot explain (cross-fitted "
        "classifier two-sample test + Best Bin Estimation), null-corrected",
        worse="higher",
        warn=0.03,
        fail=0.15,
        bounds=(0.0, 1.0),
    ),
    "excess_marker_docs": MetricSpec(
        "share of documents with an LLM style word minus the baseline's (Kobak et al. 2025; a "
        "lower bound on the machine share)",
        worse="higher",
        warn=0.03,
        fail=0.10,
        bounds=(0.0, 1.0),
    ),
    "assistant_phrase_docs": MetricSpec(
        "share of documents with assistant stock phrases or knowledge-cutoff disclaimers minus "
        "the reference's",
        worse="higher",
        warn=0.005,
        fail=0.02,
        bounds=(0.0, 1.0),
    ),
    "typography_rate_ratio": MetricSpec(
        "em dashes and curly quotes per character, batch over reference (weak evidence)",
        worse="higher",
        warn=2.0,
        fail=5.0,
        bounds=(1.0, math.inf),
    ),
    "loglik_typicality_shift": MetricSpec(
        "median per-token log-likelihood under the reference n-gram model, batch minus reference "
        "hold-out, in units of the hold-out's IQR (> 0 = more 'typical' than human text)",
        worse="higher",
        warn=0.25,
        fail=0.5,
        bounds=(0.0, math.inf),
    ),
    "loglik_spread_ratio": MetricSpec(
        "IQR of per-document log-likelihood, batch over reference hold-out",
        worse="lower",
        warn=0.8,
        fail=0.6,
        bounds=(0.0, 1.0),
    ),
    "loglik_low_tail_ratio": MetricSpec(
        "batch share below the hold-out's 5th percentile of log-likelihood, divided by 5%",
        worse="lower",
        warn=0.6,
        fail=0.3,
        bounds=(0.0, 1.0),
    ),
    "reference_copies": MetricSpec(
        "share of batch rows that are exact or near copies of reference rows, minus the share "
        "among held-out human rows",
        worse="higher",
        warn=0.01,
        fail=0.05,
        bounds=(0.0, 1.0),
    ),
    "declared_synthetic_share": MetricSpec(
        "share of rows whose provenance column declares machine generation, minus the reference's",
        worse="higher",
        warn=0.05,
        fail=0.15,
        bounds=(0.0, 1.0),
    ),
}


def _positive_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


OPTIONS: dict[str, OptionSpec] = {
    "max_docs": OptionSpec(
        100_000,
        "batch documents scored by the n-gram models and the mixture estimate per text column",
        _positive_int,
        "a positive integer",
    ),
    "max_rows": OptionSpec(
        10_000,
        "rows (or documents) per side used by the two-sample classifiers and the copy search",
        _positive_int,
        "a positive integer",
    ),
    "lm_order": OptionSpec(
        3,
        "n-gram order of the reference language model",
        lambda v: v in (1, 2, 3, 4, 5),
        "an integer from 1 to 5",
    ),
    "n_boot": OptionSpec(
        200,
        "bootstrap replicates (the mixture null uses 5 x n_boot)",
        lambda v: _positive_int(v) and v >= 50,
        "an integer of at least 50",
    ),
    "classifier": OptionSpec(
        "gbt",
        "two-sample classifier: gbt (gradient-boosted trees) or logistic",
        lambda v: v in ("gbt", "logistic"),
        "'gbt' or 'logistic'",
    ),
    "provenance_columns": OptionSpec(
        [],
        "extra column names that record provenance (besides the recognised names)",
        lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
        "a list of names",
    ),
}

MIN_DOCS = 30
MIN_ROWS = 50
HOLDOUT_SHARE = 0.3


@lru_cache(maxsize=1)
def load_markers() -> dict[str, Any]:
    """The shipped marker list (``collapse_guard/data/markers.json``), with sources."""
    text = resources.files("collapse_guard.data").joinpath("markers.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@dataclass(frozen=True, slots=True)
class _Candidate:
    method: str
    column: str | None
    value: float
    interval: tuple[float, float]
    p_value: float | None
    kind: str  # "estimate" or "lower bound"
    note: str


@dataclass
class _Run:
    ctx: CheckContext
    out: list[Measurement] = field(default_factory=list)
    candidates: list[_Candidate] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


class SyntheticContamination:
    """Estimate the machine-generated share of a batch, with an interval; never per document."""

    name: str = NAME
    description: str = "share of the batch that is machine-generated (with a 95% interval)"
    default_enabled: bool = True
    metrics: dict[str, MetricSpec] = METRICS
    options: dict[str, OptionSpec] = OPTIONS

    def run(self, ctx: CheckContext) -> Iterable[Measurement]:
        run = _Run(ctx)
        for column in ctx.columns(Kind.TEXT):
            _text_column(run, column)
        if ctx.reference is not None:
            _tabular(run)
        _provenance(run)
        run.out.append(_headline(run))
        return run.out


# --------------------------------------------------------------------------------------- text

LM_FOLDS = 3


def _text_column(run: _Run, column: str) -> None:
    ctx = run.ctx
    bcol = ctx.batch.columns[column]
    assert isinstance(bcol, TextProfile)
    batch = bcol.sample
    if batch.n_docs < MIN_DOCS or batch.n_tokens == 0:
        run.reasons.append(f"text column {column!r} has {batch.n_docs} documents (need {MIN_DOCS})")
        return
    _markers(run, column, batch)
    if ctx.reference is None:
        return
    rcol = ctx.reference.columns[column]
    assert isinstance(rcol, TextProfile)
    ref = rcol.sample
    if ref.n_docs < 2 * MIN_DOCS:
        run.reasons.append(f"the reference holds {ref.n_docs} documents of {column!r} (need {2 * MIN_DOCS})")
        return
    synth = _synthetic_sample(run, column, ref)
    scored = _score_folds(run, column, batch, ref, synth)
    if synth is not None:
        _mixture(run, column, batch, ref, synth, scored)
    _signature(run, column, scored)


def _cap_index(n: int, cap: int, rng: np.random.Generator) -> np.ndarray:
    if n <= cap:
        return np.arange(n)
    return np.sort(rng.choice(n, cap, replace=False))


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%" if abs(x) < 0.1 else f"{100 * x:.0f}%"


def _synthetic_sample(run: _Run, column: str, ref: TokenSample) -> TokenSample | None:
    """The synthetic sample's documents for ``column``, or None (with an insufficient finding)."""
    synth_prof = run.ctx.synthetic
    if synth_prof is None:
        return None
    scol = synth_prof.columns.get(column)
    if not isinstance(scol, TextProfile):
        texts = [c for c in synth_prof.columns.values() if isinstance(c, TextProfile)]
        scol = texts[0] if len(texts) == 1 else None
    metric = "mixture_share"
    if scol is None:
        run.out.append(
            Measurement(
                column,
                metric,
                insufficient=f"the synthetic sample has no text column {column!r}; give one "
                "with the "
                "same column name",
            )
        )
        return None
    synth = scol.sample
    keep = np.flatnonzero(synth.lengths > 0)
    if keep.size < MIN_DOCS:
        run.out.append(
            Measurement(
                column,
                metric,
                insufficient=f"the synthetic sample has {keep.size} non-empty documents in "
                f"{column!r}; supply at least {MIN_DOCS} (a few hundred are better)",
            )
        )
        return None
    synth = synth.subset(keep)
    # Vocabulary overlap guards against a sample in another language or domain, where the MLE
    # would return a confident but meaningless number.
    ref_words, ref_df = mixture.document_frequencies(ref.tokens, ref.offsets)
    known = ref_words[ref_df >= 2]
    overlap = float(np.isin(synth.tokens, known).mean())
    if overlap < 0.5:
        run.out.append(
            Measurement(
                column,
                metric,
                insufficient=f"only {_pct(overlap)} of the synthetic sample's words in "
                f"{column!r} occur "
                "in the reference: it looks like another language or domain; supply machine text "
                "written for this data",
                evidence={"vocabulary_overlap": overlap},
            )
        )
        return None
    return synth


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


def _classifier_llr(scored: _Scored, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log-odds of "machine" from a gradient-boosted classifier on the mixture features.

    Trained on reference (human) against synthetic (machine) documents with the language models'
    folds: the model for fold ``k`` never saw fold ``k``, whose batch, reference and synthetic
    documents it then scores. Its log-odds minus the training prior's estimate ``log q/p``.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    assert scored.mix_feats is not None and scored.folds is not None
    xb, xr, xs = scored.mix_feats
    fb, fr, fs = scored.folds
    out = (np.zeros(len(xb)), np.zeros(len(xr)), np.zeros(len(xs)))
    eps = 1e-6
    with threadpool_limits(1):
        for k in range(LM_FOLDS):
            x = np.vstack([xr[fr != k], xs[fs != k]])
            y = np.r_[np.zeros(int(np.sum(fr != k))), np.ones(int(np.sum(fs != k)))]
            clf = HistGradientBoostingClassifier(
                max_iter=60,
                learning_rate=0.15,
                max_leaf_nodes=8,
                min_samples_leaf=20,
                l2_regularization=1.0,
                early_stopping=False,
                random_state=seed + k,
            )
            clf.fit(x, y)
            # unweighted fit (weights slow the binning): remove the training prior's log-odds
            prior = float(np.log(y.mean() / (1.0 - y.mean())))
            for dest, xx, ff in ((0, xb, fb), (1, xr, fr), (2, xs, fs)):
                sel = ff == k
                if sel.any():
                    p = np.clip(clf.predict_proba(xx[sel])[:, 1], eps, 1 - eps)
                    out[dest][sel] = np.log(p) - np.log1p(-p) - prior
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
        run.out.append(
            Measurement(
                column,
                "mixture_share",
                insufficient="the reference and the synthetic sample share only "
                f"{scored.vocab} words "
                f"frequent enough to compare in {column!r}; supply a larger synthetic sample "
                "written "
                "for this data",
            )
        )
        return
    methods: dict[str, mixture.MixtureResult] = {}
    methods["word occurrences (Liang et al. 2024)"] = mixture.estimate_mixture(
        *scored.occurrence, rng, n_boot=n_boot, n_null=5 * n_boot, vocab_size=scored.vocab
    )
    methods["classifier on n-gram and word-occurrence likelihoods"] = mixture.estimate_mixture(
        *_classifier_llr(scored, int(rng.integers(2**31))),
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
        run.out.append(
            Measurement(
                column,
                "mixture_share",
                insufficient="neither word occurrences nor n-gram models tell the synthetic "
                "sample "
                f"from the reference in {column!r} (held-out synthetic text scores "
                f"{res.scale:.2f}, "
                f"human {res.null_offset:.2f}); the estimate would be noise",
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


def _df_lookup(keys: np.ndarray, words: np.ndarray, df: np.ndarray) -> np.ndarray:
    if words.size == 0:
        return np.zeros(keys.size)
    pos = np.searchsorted(words, keys)
    pos[pos >= words.size] = 0
    return np.where(words[pos] == keys, df[pos], 0).astype(float)


def _signature(run: _Run, column: str, scored: _Scored) -> None:
    ctx = run.ctx
    rng = ctx.rng("signature", column)
    n_boot = int(ctx.option("n_boot"))
    cap = int(ctx.option("max_rows"))
    xh = scored.ref_feats[_cap_index(len(scored.ref_feats), cap, rng)]
    xb = scored.batch_feats[_cap_index(len(scored.batch_feats), cap, rng)]
    if len(xh) < MIN_DOCS or len(xb) < MIN_DOCS:
        run.reasons.append(f"too few non-empty documents in {column!r} to score")
        return
    sb = scored.batch_mean[_cap_index(scored.batch_mean.size, 4 * cap, rng)]
    sh = scored.ref_mean[_cap_index(scored.ref_mean.size, 4 * cap, rng)]
    _loglik_findings(run, column, sb, sh, rng, min(n_boot, 200))
    scores = mpe.cross_fit_scores(
        xh,
        xb,
        seed=int(rng.integers(2**31)),
        model=ctx.option("classifier"),
        n_folds=3,
    )
    res = mpe.estimate_mpe(scores, rng, n_boot=min(n_boot, 200), n_null=min(n_boot, 200))
    lo, hi = res.interval
    msg = (
        f"at least {_pct(res.alpha)} [{_pct(lo)}, {_pct(hi)}] of {column!r} documents are unlike "
        f"anything in the reference: a classifier on n-gram likelihood features separates them "
        f"(AUC {res.auc:.3f}); {_pct(res.threshold_share_ref)} of human reference documents "
        f"score as clearly human but only {_pct(res.threshold_share_batch)} of the batch"
    )
    run.out.append(
        Measurement(
            column,
            "unexplained_share",
            value=res.alpha,
            expected=0.0,
            interval=res.interval,
            p_value=res.p_value,
            effect=res.alpha,
            message=msg,
            evidence={
                "method": "cross-fitted two-sample classifier on per-document n-gram features + BBE",
                "auc": res.auc,
                "auc_p_value": res.auc_p_value,
                "raw_alpha": res.raw_alpha,
                "null_offset": res.null_offset,
                "null_q95": res.null_q95,
                "reference_documents": len(xh),
                "batch_documents": len(xb),
                "features": [
                    "mean token log-prob",
                    "sd token log-prob",
                    "share of surprising tokens",
                    "log length",
                    "distinct-token ratio",
                    "style-marker rate",
                ],
            },
        )
    )
    run.candidates.append(
        _Candidate(
            "classifier + mixture-proportion bound (text)",
            column,
            res.alpha,
            res.interval,
            res.p_value,
            "lower bound",
            f"{column}: at least {_pct(res.alpha)} unexplained by the reference (AUC {res.auc:.3f})",
        )
    )


def _iqr(x: np.ndarray) -> float:
    q1, q3 = np.quantile(x, [0.25, 0.75])
    return float(q3 - q1)


def _loglik_findings(
    run: _Run, column: str, sb: np.ndarray, sh: np.ndarray, rng: np.random.Generator, n_boot: int
) -> None:
    """Shumailov et al. Fig. 1: shift toward typical text, lost spread, lost improbable tail."""
    from scipy import stats

    nb, nh = sb.size, sh.size
    iqr_h = max(_iqr(sh), 1e-9)
    med_b, med_h = float(np.median(sb)), float(np.median(sh))
    shift = (med_b - med_h) / iqr_h
    p_shift = float(stats.mannwhitneyu(sb, sh, alternative="greater").pvalue)
    # spread: permutation null of the IQR ratio with the pooled values re-split at both sizes
    ratio = _iqr(sb) / iqr_h
    pooled = np.r_[sb, sh]
    null = np.empty(n_boot)
    for i in range(n_boot):
        perm = rng.permutation(pooled.size)
        null[i] = _iqr(pooled[perm[:nb]]) / max(_iqr(pooled[perm[nb:]]), 1e-9)
    p_spread = (1.0 + float(np.sum(null <= ratio))) / (n_boot + 1.0)
    q05 = float(np.quantile(sh, 0.05))
    below = int(np.sum(sb < q05))
    expected = 0.05 * nb
    tail_ratio = below / expected if expected > 0 else float("nan")
    p_tail = float(stats.binomtest(below, nb, 0.05, "less").pvalue)
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
                f"human hold-out's ({_iqr(sb):.2f} vs {iqr_h:.2f} nats)"
            ),
            evidence={**common, "batch_iqr": _iqr(sb), "reference_iqr": iqr_h},
        )
    )
    run.out.append(
        Measurement(
            column,
            "loglik_low_tail_ratio",
            value=below / nb,
            expected=0.05,
            p_value=p_tail,
            effect=tail_ratio,
            message=(
                f"{below} of {nb:,} {column!r} documents are less likely than the human hold-out's "
                f"5th percentile ({q05:.2f} nats) where {expected:.0f} were expected: "
                + (
                    "improbable, idiosyncratic documents are disappearing"
                    if tail_ratio < 1
                    else "the improbable tail is intact"
                )
            ),
            evidence={**common, "threshold": q05, "observed": below, "expected": expected},
        )
    )


# ------------------------------------------------------------------------------------ markers


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
    starts_all = np.flatnonzero(np.isin(tokens, _phrase_first_tokens()))
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


def _reference_surface(rcol: TextProfile) -> dict[str, int] | None:
    if rcol.sample.texts is not None:
        return mk.surface_counts(rcol.sample.texts)
    counts = getattr(rcol, "surface_counts", None)
    return dict(counts) if counts else None


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
        res = _length_matched_excess(has_b, lengths_b, has_r_all[keep], ref.lengths[keep])
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
        f"were expected from {baseline}: at least {_pct(delta)} of documents machine-written"
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


def _length_matched_excess(
    has_b: np.ndarray, len_b: np.ndarray, has_r: np.ndarray, len_r: np.ndarray
) -> mk.ExcessResult:
    # Longer documents hold more markers by chance, so the reference rate is taken per length
    # decile of the reference and averaged with the batch's own length mix.
    edges = np.unique(np.quantile(len_r, np.linspace(0, 1, 11)))
    if edges.size < 3:
        return mk.excess_share(int(has_b.sum()), has_b.size, int(has_r.sum()), has_r.size)
    bin_r = np.clip(np.searchsorted(edges, len_r, side="right") - 1, 0, edges.size - 2)
    bin_b = np.clip(np.searchsorted(edges, len_b, side="right") - 1, 0, edges.size - 2)
    k = np.bincount(bin_r, weights=has_r.astype(float), minlength=edges.size - 1)
    n = np.bincount(bin_r, minlength=edges.size - 1).astype(float)
    rate = (k + 0.5) / (n + 1.0)
    pi = rate[bin_b]
    counts_b = np.bincount(bin_b, minlength=edges.size - 1).astype(float)
    baseline_var = float(np.sum(counts_b**2 * rate * (1 - rate) / (n + 1.0)))
    res = mk.excess_share_vs_model(has_b, pi)
    # carry the reference's own sampling error into the test and the interval
    from scipy import stats

    var = float(np.sum(pi * (1 - pi))) + baseline_var
    k_b = int(has_b.sum())
    p = float(stats.norm.sf((k_b - 0.5 - pi.sum()) / math.sqrt(max(var, 1e-12))))
    half = 1.959963984540054 * math.sqrt(var) / has_b.size
    lo_b, hi_b = mk.wilson_interval(k_b, has_b.size)
    d = res.delta
    interval = (
        d - math.hypot(res.share_batch - lo_b, half),
        d + math.hypot(hi_b - res.share_batch, half),
    )
    return mk.ExcessResult(d, interval, p, res.share_batch, res.share_baseline, has_b.size, has_r.size)


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


def _typography(run: _Run, column: str, batch: TokenSample, ref: TextProfile | None) -> None:
    if batch.texts is None:
        return
    b = mk.surface_counts(batch.texts)
    if ref is None:
        return  # a rate needs a baseline from the same genre; wordfreq has no punctuation
    r = _reference_surface(ref)
    if r is None or r["chars"] == 0 or b["chars"] == 0:
        run.reasons.append(
            f"em-dash/curly-quote rates of {column!r} need the reference's counts (rebuild the "
            "reference with this version)"
        )
        return
    k_b = b["em_dash"] + b["curly_quote"]
    k_r = r["em_dash"] + r["curly_quote"]
    res = mk.rate_excess(k_b, b["chars"], k_r, r["chars"])
    ratio = res.ratio if math.isfinite(res.ratio) else 1e6
    run.out.append(
        Measurement(
            column,
            "typography_rate_ratio",
            value=res.rate_batch,
            expected=res.rate_reference,
            p_value=res.p_value,
            effect=max(ratio, 1.0) if k_b else 1.0,
            message=(
                f"em dashes and curly quotes appear {res.rate_batch:.2f} times per 1,000 "
                "characters "
                f"in {column!r} vs {res.rate_reference:.2f} in the reference "
                f"({b['em_dash_docs']} documents with an em dash; weak evidence on its own)"
            ),
            evidence={
                "batch": b,
                "reference": r,
                "ratio": res.ratio,
                "source": load_markers()["characters"]["source"],
            },
        )
    )


# ------------------------------------------------------------------------------------ tabular


def _tabular(run: _Run) -> None:
    ctx = run.ctx
    ref_prof, batch_prof = ctx.reference, ctx.batch
    assert ref_prof is not None
    prov = set(_provenance_columns(ctx))
    names = [c for c in ctx.columns(Kind.NUMERIC) + ctx.columns(Kind.CATEGORICAL) if c not in prov]
    rs, bs = ref_prof.sample, batch_prof.sample
    if not names:
        return
    if rs is None or bs is None:
        run.reasons.append("the profiles hold no row sample (sample_rows = 0), so rows cannot be compared")
        return
    names = [c for c in names if c in rs.columns and c in bs.columns]
    if not names:
        return
    if len(rs) < MIN_ROWS or len(bs) < MIN_ROWS:
        run.out.append(
            Measurement(
                None,
                "unexplained_share",
                insufficient=f"row samples of {len(rs)} reference and {len(bs)} batch rows are too "
                f"small to train a two-sample classifier (need {MIN_ROWS} each)",
            )
        )
        return
    rng = ctx.rng("tabular")
    max_rows = int(ctx.option("max_rows"))
    rs = rs.iloc[np.sort(rng.choice(len(rs), min(len(rs), max_rows), replace=False))]
    bs = bs.iloc[np.sort(rng.choice(len(bs), min(len(bs), max_rows), replace=False))]
    kinds = {c: ref_prof.columns[c].kind for c in names}
    ref_counts = {
        c: dict(getattr(ref_prof.columns[c], "counts", {})) for c in names if kinds[c] is Kind.CATEGORICAL
    }
    xr, xb, cat_mask, feature_names = _row_features(rs[names], bs[names], kinds, ref_counts)
    n_boot = int(ctx.option("n_boot"))
    scores = mpe.cross_fit_scores(
        xr,
        xb,
        seed=int(rng.integers(2**31)),
        model=ctx.option("classifier"),
        categorical=cat_mask,
        n_folds=3,
    )
    res = mpe.estimate_mpe(scores, rng, n_boot=min(n_boot, 200), n_null=min(n_boot, 200))
    lo, hi = res.interval
    hints = _region_hints(rs[names], bs[names], kinds)
    msg = (
        f"at least {_pct(res.alpha)} [{_pct(lo)}, {_pct(hi)}] of batch rows are unlike the "
        f"reference: a classifier separates them (AUC {res.auc:.3f}); "
        f"{_pct(res.threshold_share_ref)} of reference rows fall in a clearly human region that "
        f"holds only {_pct(res.threshold_share_batch)} of the batch" + (f"; {hints[0]}" if hints else "")
    )
    run.out.append(
        Measurement(
            None,
            "unexplained_share",
            value=res.alpha,
            expected=0.0,
            interval=res.interval,
            p_value=res.p_value,
            effect=res.alpha,
            message=msg,
            evidence={
                "method": "cross-fitted classifier two-sample test + Best Bin Estimation",
                "auc": res.auc,
                "auc_p_value": res.auc_p_value,
                "raw_alpha": res.raw_alpha,
                "null_offset": res.null_offset,
                "null_q95": res.null_q95,
                "reference_rows": len(rs),
                "batch_rows": len(bs),
                "features": feature_names,
                "hints": hints,
            },
        )
    )
    run.candidates.append(
        _Candidate(
            "classifier + mixture-proportion bound (rows)",
            None,
            res.alpha,
            res.interval,
            res.p_value,
            "lower bound",
            f"rows: at least {_pct(res.alpha)} unexplained (AUC {res.auc:.3f})",
        )
    )
    _copies(run, rs[names], bs[names], kinds, rng)


def _row_features(
    ref: pd.DataFrame,
    batch: pd.DataFrame,
    kinds: dict[str, Kind],
    ref_counts: dict[str, dict[str, int]] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Classifier features. Categories are encoded from the reference's exact full counts, not
    from its row sample: a rare category that the sample happened to miss must not make the
    batch rows holding it look separable (that alone gave AUC 0.53 on honest 1M-row batches)."""
    ref_counts = ref_counts or {}
    cols_r, cols_b, cat, names = [], [], [], []
    for c, kind in kinds.items():
        if kind is Kind.NUMERIC:
            r = pd.to_numeric(ref[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            b = pd.to_numeric(batch[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            cols_r.append(r)
            cols_b.append(b)
            cat.append(False)
            names.append(c)
            finite = r[np.isfinite(r)]
            # Generators such as copulas turn whole numbers into fractions; trees cannot see that
            # from the raw value, so integrality becomes its own feature.
            if finite.size and np.all(finite == np.round(finite)):
                cols_r.append((np.abs(r - np.round(r)) > 1e-9).astype(float))
                cols_b.append((np.abs(b - np.round(b)) > 1e-9).astype(float))
                cat.append(False)
                names.append(f"{c} (not a whole number)")
        else:
            rv = ref[c].astype("string").fillna("\x00missing")
            bv = batch[c].astype("string").fillna("\x00missing")
            counts = ref_counts.get(c) or rv.value_counts().to_dict()
            known = pd.Index(sorted(counts))
            if len(known) <= 30:
                # Few levels: every level is in the sample; categories the reference never had
                # share one extra level.
                cols_r.append(
                    np.where(known.get_indexer(rv) < 0, len(known), known.get_indexer(rv)).astype(float)
                )
                cols_b.append(
                    np.where(known.get_indexer(bv) < 0, len(known), known.get_indexer(bv)).astype(float)
                )
                cat.append(True)
            else:
                total = float(sum(counts.values()))
                freq = pd.Series({k: v / total for k, v in counts.items()})
                cols_r.append(np.log10(rv.map(freq).fillna(0.0).to_numpy(dtype=float) + 1e-9))
                cols_b.append(np.log10(bv.map(freq).fillna(0.0).to_numpy(dtype=float) + 1e-9))
                cat.append(False)
            names.append(c)
    return np.column_stack(cols_r), np.column_stack(cols_b), np.array(cat), names


def _region_hints(ref: pd.DataFrame, batch: pd.DataFrame, kinds: dict[str, Kind]) -> list[str]:
    """Plain-language pointers to what the batch lacks or invents, column by column."""
    hints: list[tuple[float, str]] = []
    for c, kind in kinds.items():
        if kind is Kind.NUMERIC:
            r = pd.to_numeric(ref[c], errors="coerce").dropna().to_numpy(dtype=float)
            b = pd.to_numeric(batch[c], errors="coerce").dropna().to_numpy(dtype=float)
            if r.size < 20 or b.size < 20:
                continue
            if np.all(r == np.round(r)):
                frac = float(np.mean(b != np.round(b)))
                if frac > 0.01:
                    hints.append(
                        (
                            frac,
                            f"{_pct(frac)} of `{c}` values are fractions where the "
                            "reference has only whole numbers",
                        )
                    )
            lo, hi = np.quantile(r, [0.01, 0.99])
            tails = float(np.mean((b < lo) | (b > hi)))
            if tails < 0.01:
                hints.append(
                    (
                        0.02 - tails,
                        f"`{c}` has {_pct(tails)} of rows beyond the "
                        f"reference p1/p99 ({lo:.4g}, {hi:.4g}) where 2% "
                        "were expected",
                    )
                )
        else:
            rv = ref[c].astype("string").value_counts(normalize=True)
            bv = batch[c].astype("string").value_counts(normalize=True)
            new = [str(v) for v in bv.index if v not in rv.index][:3]
            if new:
                hints.append(
                    (
                        float(bv[bv.index.isin(new)].sum()),
                        f"`{c}` has values never seen in the reference: {new}",
                    )
                )
    hints.sort(key=lambda t: -t[0])
    return [h for _, h in hints[:5]]


def _copies(
    run: _Run,
    ref: pd.DataFrame,
    batch: pd.DataFrame,
    kinds: dict[str, Kind],
    rng: np.random.Generator,
) -> None:
    # 1,000 query rows measure a copy rate to within about 1.5 points and 5,000 reference rows
    # are enough to find copies of the rows a generator saw most; the brute-force distance costs
    # queries x reference rows, so larger samples only cost time.
    n_hold = min(max(int(0.2 * len(ref)), 20), 1_000)
    order = rng.permutation(len(ref))
    hold, train = ref.iloc[order[:n_hold]], ref.iloc[order[n_hold : n_hold + 5_000]]
    bsub = batch.iloc[: min(len(batch), 1_000)]
    num = [c for c, k in kinds.items() if k is Kind.NUMERIC]
    cat = [c for c, k in kinds.items() if k is not Kind.NUMERIC]

    def arrays(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        xn = (
            np.column_stack(
                [pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan) for c in num]
            )
            if num
            else np.zeros((len(df), 0))
        )
        xc = (
            np.column_stack(
                [df[c].astype("string").fillna("\x00").map(hash_str).to_numpy(dtype=np.int64) for c in cat]
            )
            if cat
            else np.zeros((len(df), 0), dtype=np.int64)
        )
        return xn, xc

    tn, tc = arrays(train)
    ranges = (np.nanmax(tn, axis=0) - np.nanmin(tn, axis=0)) if num else np.zeros(0)
    ranges = np.where(np.isfinite(ranges), ranges, 1.0)
    hd, _ = dcr_stats.gower_closest(tn, tc, *arrays(hold), ranges)
    bd, bidx = dcr_stats.gower_closest(tn, tc, *arrays(bsub), ranges)
    res = dcr_stats.copy_statistics(bd, hd)
    effect = max(res.near_share - res.expected_near_share, 0.0)
    example = None
    if res.n_near:
        i = int(np.argmin(bd))
        example = {k: _plain(v) for k, v in train.iloc[int(bidx[i])].items()}
    run.out.append(
        Measurement(
            None,
            "reference_copies",
            value=res.near_share,
            expected=res.expected_near_share,
            p_value=res.p_value,
            effect=effect,
            message=(
                f"{res.n_exact} of {res.n_batch:,} batch rows are exact copies of reference "
                "rows and "
                f"{res.n_near} are near copies (distance <= {res.threshold:.3g}); among "
                "held-out human "
                f"rows {_pct(res.expected_near_share)} are that close"
                + ("; a generator may be leaking its training rows" if effect > 0.01 else "")
            ),
            evidence={
                "exact_share": res.exact_share,
                "expected_exact_share": res.expected_exact_share,
                "near_share": res.near_share,
                "threshold": res.threshold,
                "median_dcr_ratio": res.median_ratio,
                "example_copied_row": example,
                "reference_rows_searched": len(train),
            },
        )
    )


def hash_str(value: str) -> int:
    """Stable integer code of a category (only equality matters)."""
    import zlib

    return zlib.crc32(str(value).encode("utf-8"))


def _plain(v: Any) -> Any:
    if isinstance(v, (np.floating, float)):
        return None if math.isnan(float(v)) else float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    return None if v is pd.NA else str(v)


# --------------------------------------------------------------------------------- provenance


def _provenance_columns(ctx: CheckContext) -> list[str]:
    extra = ctx.option("provenance_columns")
    return [
        name
        for name, col in ctx.batch.columns.items()
        if col.kind is Kind.CATEGORICAL and is_provenance_column(name, extra)
    ]


def _provenance(run: _Run) -> None:
    """Declared machine share of each provenance column, minus what the reference declared."""
    ctx = run.ctx
    for name in _provenance_columns(ctx):
        col = ctx.batch.columns[name]
        counts: dict[str, int] = dict(getattr(col, "counts", {}))
        machine, human = split_declared(counts, name)
        total = sum(counts.values()) + int(getattr(col, "nulls", 0))
        k = sum(machine.values())
        share = k / total if total else 0.0
        ref_share = 0.0
        ref_col = ctx.reference.columns.get(name) if ctx.reference is not None else None
        if ref_col is not None and ref_col.kind is Kind.CATEGORICAL:
            ref_share = declared_share(ref_col.counts, ref_col.nulls, name)
        top = sorted(machine.items(), key=lambda t: (-t[1], t[0]))[:5]
        if k:
            message = (
                f"{k:,} of {total:,} rows ({_pct(share)}) declare machine generation in {name!r} "
                f"({', '.join(f'{v!r}: {c:,}' for v, c in top)}); drop them or keep them out of human data"
            )
        else:
            message = f"{name!r} names no generator in its {total:,} rows"
        if ref_share:
            message += f" (the reference declared {_pct(ref_share)})"
        run.out.append(
            Measurement(
                name,
                "declared_synthetic_share",
                value=share,
                expected=ref_share,
                interval=(share, share),
                effect=max(0.0, share - ref_share),
                message=message,
                evidence={
                    "machine_values": dict(top),
                    "human_values": dict(sorted(human.items(), key=lambda t: (-t[1], t[0]))[:5]),
                    "rows": total,
                    "reference_share": ref_share,
                },
            )
        )
        if k:
            run.candidates.append(
                _Candidate(
                    "declared provenance",
                    name,
                    share,
                    (share, share),
                    None,
                    "lower bound",
                    f"{name}: {_pct(share)} declared machine-generated",
                )
            )


# ----------------------------------------------------------------------------------- headline


def _headline(run: _Run) -> Measurement:
    cands = run.candidates
    if not cands:
        reason = "; ".join(run.reasons) or (
            "nothing to measure: no text column, no row sample shared with a reference and no "
            "provenance column"
        )
        return Measurement(None, "synthetic_share", insufficient=reason, evidence={"methods": []})
    estimates = [c for c in cands if c.kind == "estimate"]
    if estimates:
        # An MLE against a known machine sample beats any lower bound; with several text columns
        # the largest share speaks for the batch.
        best = max(estimates, key=lambda c: c.value)
        pool = estimates
    else:
        # Every remaining method is a lower bound, so the largest one is the most informative.
        best = max(cands, key=lambda c: (c.value, -(c.p_value or 0.0)))
        pool = cands
    tested = [c for c in pool if c.p_value is not None]
    p = None if best.p_value is None else min(1.0, best.p_value * max(len(tested), 1))
    lo, hi = best.interval
    kind = "estimated" if best.kind == "estimate" else "at least"
    msg = (
        f"{kind} {_pct(best.value)} [{_pct(lo)}, {_pct(hi)}] of the batch is machine-generated "
        f"({best.method}{', column ' + repr(best.column) if best.column else ''})"
    )
    evidence = {
        "method": best.method,
        "kind": best.kind,
        "column": best.column,
        "methods": [
            {
                "method": c.method,
                "column": c.column,
                "value": c.value,
                "interval": list(c.interval),
                "p_value": c.p_value,
                "kind": c.kind,
                "note": c.note,
            }
            for c in cands
        ],
        "p_value_adjustment": f"Bonferroni over {max(len(tested), 1)} candidate method(s)",
        "unit": "batch (no per-document verdicts)",
        "not_measured": run.reasons,
    }
    return Measurement(
        None,
        "synthetic_share",
        value=best.value,
        expected=0.0,
        interval=(lo, hi),
        p_value=p,
        effect=best.value,
        message=msg,
        evidence=evidence,
    )


@hookimpl
def register_checks(register: Callable[[Any], None]) -> None:
    register(SyntheticContamination())


surface_counts = mk.surface_counts

__all__ = ["SyntheticContamination", "load_markers", "surface_counts"]
