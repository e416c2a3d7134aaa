"""Per text column: check sizes, load the synthetic sample, and run the text estimators in order."""

from __future__ import annotations

import numpy as np

from ...profile.text import TextProfile, TokenSample
from ...results import Measurement
from ...stats import mixture
from ...stats.shared_documents import SharedDocuments, shared_documents_test
from ...stats.text_diversity import document_hashes
from ..formatting import shorten
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
        words = "" if batch.n_tokens else ", none with a word (only punctuation, digits or spaces)"
        run.reasons.append(
            f"text column {column!r} has {batch.n_docs:,} document{'' if batch.n_docs == 1 else 's'}"
            f"{words} (need {MIN_DOCS} with words)"
        )
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
    copies = _reference_copies(run, column, batch, ref)
    # Copies are counted among the documents with words, so the shares are of those too: empty
    # documents can be no one's copy and must not dilute the share (DESIGN: one population).
    tested = f"{copies.batch_docs:,} {column!r} documents with words"
    if copies.share >= MAX_COPY_SHARE:
        why = (
            f"{copies.observed:,} of the batch's {tested} repeat reference documents "
            "word for word, and models trained on the reference would score those copies as too "
            "typical (machine-like): is this the reference's own data?"
        )
        run.out.append(Measurement(column, "unexplained_share", message=why, insufficient=why))
        return
    if copies.share >= NOTE_COPY_SHARE:
        run.reasons.append(
            f"{copies.observed:,} of the batch's {tested} repeat reference documents word for word; "
            "such copies look more typical than human text to the likelihood models"
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


def _reference_copies(run: _Run, column: str, batch: TokenSample, ref: TokenSample) -> SharedDocuments:
    """The ``reference_copies`` finding of a text column; returns the test's result: how many of
    the batch's documents with words (``batch_docs``) repeat a sampled reference document word for
    word (``observed``, ``share``).

    Copies matter twice: a generator may be reproducing its training documents (this finding),
    and the likelihood comparison cannot judge them (cross-fitting keeps a document away from the
    models that score it, but not its twin: a copy looks too typical, and the reference's own
    data read as 62% machine-generated). Removing repeated documents before scoring was tried:
    only the copies crossing sides warned on 94% of clean man-page splits (exchangeability lost);
    every document repeated in the pooled samples biased the mixture estimate (the removed
    documents are not a random part of the batch). So a batch made mostly of copies is not
    compared (see ``_text_column``).
    """
    b_keep = np.flatnonzero(batch.lengths > 0)
    b_hash = document_hashes(batch.tokens, batch.offsets)[b_keep]
    r_hash = document_hashes(ref.tokens, ref.offsets)[ref.lengths > 0]
    res = shared_documents_test(b_hash, r_hash, run.ctx.rng("reference-copies", column))
    n = max(res.batch_docs, 1)
    share, expected = res.share, res.expected / n
    # Beyond what 95% of random splits give: text repeats stock documents, and with heavy
    # boilerplate the honest count varies by a point or more of the batch.
    honest_most = res.expected + 1.645 * res.sd
    excess = max(share - honest_most / n, 0.0)
    example = ""
    if res.first_copy is not None and batch.texts is not None:
        example = f'; e.g. "{shorten(batch.texts[int(b_keep[res.first_copy])], 80)}"'
    run.out.append(
        Measurement(
            column,
            "reference_copies",
            value=share,
            expected=expected,
            p_value=res.p_value,
            effect=excess,
            message=(
                f"{res.observed:,} of {res.batch_docs:,} {column!r} documents repeat reference documents "
                f"word for word where random splits of the same documents give {res.expected:,.0f} "
                f"(95% of them under {honest_most:,.0f})"
                + (
                    f"{example}; a generator may be reproducing its training text"
                    if excess > 0.01 and res.p_value < 0.05
                    else ""
                )
            ),
            evidence={
                "copies": res.observed,
                "expected_copies": res.expected,
                "sd_copies": res.sd,
                "batch_documents": res.batch_docs,
                "reference_documents_searched": int(r_hash.size),
            },
        )
    )
    return res


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
