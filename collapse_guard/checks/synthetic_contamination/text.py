"""Per text column: check sizes, load the synthetic sample, and run the text estimators in order."""

from __future__ import annotations

import numpy as np

from ...profile.text import TextProfile, TokenSample
from ...results import Measurement
from ...stats import mixture
from ...stats.text_diversity import document_hashes
from ._common import (
    MIN_DOCS,
    _pct,
    _Run,
)
from .markers import _markers
from .text_bound import _signature
from .text_mixture import _mixture
from .text_scoring import _score_folds


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
    copies = reference_copies(batch, ref)
    if copies >= MAX_COPY_SHARE * batch.n_docs:
        why = (
            f"{copies:,} of the batch's {batch.n_docs:,} {column!r} documents repeat reference documents "
            "word for word, and models trained on the reference would score those copies as too "
            "typical (machine-like): is this the reference's own data?"
        )
        run.out.append(Measurement(column, "unexplained_share", message=why, insufficient=why))
        return
    if copies >= NOTE_COPY_SHARE * batch.n_docs:
        run.reasons.append(
            f"{copies:,} {column!r} batch documents repeat reference documents word for word; such "
            "copies look more typical than human text to the likelihood models"
        )
    synth = _synthetic_sample(run, column, ref)
    scored = _score_folds(run, column, batch, ref, synth)
    if synth is not None:
        _mixture(run, column, batch, ref, synth, scored)
    _signature(run, column, scored)


# Share of a batch's documents that repeat reference documents word for word above which the
# likelihood comparison is not attempted (see reference_copies below).
MAX_COPY_SHARE = 0.5
# ... and above which a note says how many there are (honest batches of short reviews repeat a few
# percent of the reference's stock phrases).
NOTE_COPY_SHARE = 0.05


def reference_copies(batch: TokenSample, ref: TokenSample) -> int:
    """How many non-empty batch documents repeat a sampled reference document word for word.

    Cross-fitting keeps a document away from the models that score it, but not its twin: a copy
    is scored by models that saw the original and looks too typical, so the reference's own data
    read as 62% machine-generated. Removing repeated documents before scoring was tried: only the
    copies crossing sides warned on 94% of clean man-page splits (exchangeability lost), every
    document repeated in the pooled samples cost power and biased the mixture estimate (the
    removed documents are not a random part of the batch). So copies are counted, and a batch
    made mostly of them is not compared.
    """
    b_hash = document_hashes(batch.tokens, batch.offsets)[batch.lengths > 0]
    r_hash = document_hashes(ref.tokens, ref.offsets)
    return int(np.isin(b_hash, r_hash).sum())


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
        why = f"the synthetic sample has no text column {column!r}; give one with the same column name"
        run.out.append(Measurement(column, metric, message=why, insufficient=why))
        return None
    synth = scol.sample
    keep = np.flatnonzero(synth.lengths > 0)
    if keep.size < MIN_DOCS:
        why = (
            f"the synthetic sample has {keep.size:,} non-empty documents in {column!r}; supply at "
            f"least {MIN_DOCS} (a few hundred are better)"
        )
        run.out.append(Measurement(column, metric, message=why, insufficient=why))
        return None
    synth = synth.subset(keep)
    # Vocabulary overlap guards against a sample in another language or domain, where the MLE
    # would return a confident but meaningless number.
    ref_words, ref_df = mixture.document_frequencies(ref.tokens, ref.offsets)
    known = ref_words[ref_df >= 2]
    overlap = float(np.isin(synth.tokens, known).mean())
    if overlap < 0.5:
        why = (
            f"only {_pct(overlap)} of the synthetic sample's words in {column!r} occur in the "
            "reference: it looks like another language or domain; supply machine text written for "
            "this data"
        )
        run.out.append(
            Measurement(
                column, metric, message=why, insufficient=why, evidence={"vocabulary_overlap": overlap}
            )
        )
        return None
    return synth
