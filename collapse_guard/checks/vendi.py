"""semantic-diversity (off by default): Vendi score of documents under TF-IDF cosine similarity.

Paraphrastic sameness that n-gram statistics miss shows up as a lower Vendi score (Friedman & Dieng
2023): the effective number of distinct documents in a bounded subsample. The score grows with the
number of documents, so the batch is compared with reference subsamples of the same size; TF-IDF
weights are fitted on the reference's hashed-token sample, so no raw reference text is needed.

Turn it on in config::

    [tool.collapse-guard.checks.semantic-diversity]
    enabled = true
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from ..context import CheckContext
from ..hookspecs import hookimpl
from ..kinds import Kind
from ..profile import TextProfile
from ..protocols import MetricSpec, OptionSpec
from ..results import Measurement
from ..stats.entropy import compare_with_null, finite_population_inflation
from ..stats.text_diversity import take_docs
from ..stats.vendi import fit_idf, tfidf_vendi

MIN_DOCS = 20

METRICS: dict[str, MetricSpec] = {
    "vendi_score": MetricSpec(
        "Vendi score (effective number of distinct documents, TF-IDF cosine) / expected for the "
        "same number of honest documents",
        worse="lower",
        warn=0.9,
        fail=0.75,
        bounds=(0.0, 1.0),
    ),
}

OPTIONS: dict[str, OptionSpec] = {
    "max_docs": OptionSpec.integer(
        300, "documents per Vendi score (eigendecomposition is cubic in this number)", 50, 3_000
    ),
    "null_draws": OptionSpec.integer(40, "reference subsamples in the size-matched null", 10, 1_000),
}


def _nonempty_docs(tokens: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The non-empty documents (tokens, offsets)."""
    return take_docs(tokens, offsets, np.flatnonzero(np.diff(offsets) > 0))


def _measure(ctx: CheckContext, column: str) -> Iterator[Measurement]:
    assert ctx.reference is not None
    ref = ctx.reference.column(column)
    bat = ctx.batch.column(column)
    if not isinstance(ref, TextProfile) or not isinstance(bat, TextProfile):
        return
    b_tok, b_off = _nonempty_docs(bat.sample.tokens, bat.sample.offsets)
    r_tok, r_off = _nonempty_docs(ref.sample.tokens, ref.sample.offsets)
    n_b, n_r = len(b_off) - 1, len(r_off) - 1
    m = min(n_b, n_r // 2, int(ctx.option("max_docs")))
    if m < MIN_DOCS:
        reason = (
            f"`{column}` has {n_b:,} non-empty batch documents and the reference sample {n_r:,}; "
            f"the Vendi score needs {MIN_DOCS} batch documents and twice that in the reference"
        )
        yield Measurement(column, "vendi_score", insufficient=reason, message=reason)
        return
    rng = ctx.rng("vendi", column)
    idf = fit_idf(r_tok, r_off)
    repeats = 1 if m >= n_b else 3
    picks = (
        [np.arange(n_b)]
        if repeats == 1
        else [np.sort(rng.choice(n_b, m, replace=False)) for _ in range(repeats)]
    )
    observed = float(np.mean([tfidf_vendi(*take_docs(b_tok, b_off, d), idf) for d in picks]))
    draws = int(ctx.option("null_draws"))
    null = [
        tfidf_vendi(*take_docs(r_tok, r_off, np.sort(rng.choice(n_r, m, replace=False))), idf)
        for _ in range(draws)
    ]
    cmp = compare_with_null(observed, null, worse="lower", inflate=finite_population_inflation(m / n_r))
    effect = cmp.observed / cmp.expected if cmp.expected > 0 else 1.0
    sub = f" (subsampled from {n_b:,})" if m < n_b else ""
    yield Measurement(
        column=column,
        metric="vendi_score",
        value=cmp.observed,
        expected=cmp.expected,
        interval=cmp.interval,
        p_value=cmp.p_value,
        effect=effect,
        message=(
            f"`{column}`: {m:,} batch documents{sub} behave like {cmp.observed:.1f} distinct "
            f"documents (Vendi score, TF-IDF cosine) where {m:,} honest documents behave like "
            f"{cmp.expected:.1f}"
            + (": the batch says the same things in different words." if effect < 1 else ".")
        ),
        evidence={
            "documents": m,
            "batch_documents": n_b,
            "reference_sample_documents": n_r,
            "null_draws": draws,
            "similarity": "TF-IDF cosine on hashed tokens (IDF fitted on the reference sample)",
            "null_sd": cmp.sd,
            "plot": {"type": "null", "null": list(cmp.null), "observed": cmp.observed},
        },
    )


class SemanticDiversity:
    """Vendi score of a bounded subsample against a size-matched reference null."""

    name = "semantic-diversity"
    description = "Vendi score (TF-IDF cosine) of a bounded document subsample; off by default"
    default_enabled = False
    metrics: Mapping[str, MetricSpec] = METRICS
    options: Mapping[str, OptionSpec] = OPTIONS

    def run(self, ctx: CheckContext) -> Iterable[Measurement]:
        if ctx.reference is None:
            return
        for column in ctx.columns(Kind.TEXT):
            yield from _measure(ctx, column)


@hookimpl
def register_checks(register: Callable[[Any], None]) -> None:
    register(SemanticDiversity())
