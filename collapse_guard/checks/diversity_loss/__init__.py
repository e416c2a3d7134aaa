"""diversity-loss: is the batch more repetitive, more concentrated, more alike than honest data?

Every statistic here depends on sample size, so each one is compared with what an honest sample of
the *same size* drawn from the reference gives (docs/checks/diversity-loss.md):

* categorical columns: Chao-Shen entropy and Hill numbers q = 0, 2 at the batch's row count
  (rarefaction for the expectation, reference draws for the spread);
* text columns: distinct-1/2/3, compression ratio and token entropy at a matched token count,
  self-repetition and near-duplicate shares at a matched document count, against reference
  subsamples drawn from the hashed-token sample the reference profile stores;
* tabular rows: Naeem et al. (2020) coverage of the reference by the batch in a standardised,
  one-hot encoded feature space, against reference self-splits of equal size.

Without a reference (``scan`` without ``-r``) only the within-batch duplicate shares are reported,
judged on their effect alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ...context import CheckContext
from ...hookspecs import hookimpl
from ...kinds import Kind
from ...protocols import MetricSpec, OptionSpec
from ...results import Measurement
from .categorical import _categorical
from .coverage import _coverage
from .duplicates import _duplicates_only
from .text import _text

NAME = "diversity-loss"


def _ratio(description: str, warn: float, fail: float) -> MetricSpec:
    return MetricSpec(description, worse="lower", warn=warn, fail=fail, bounds=(0.0, 1.0))


METRICS: dict[str, MetricSpec] = {
    "entropy": _ratio(
        "exp(batch - expected Chao-Shen entropy): the batch's effective number of categories "
        "relative to an honest batch of its size (1 = unchanged)",
        0.9,
        0.75,
    ),
    "hill_q0": _ratio("distinct categories in the batch / expected at its size by rarefaction", 0.9, 0.75),
    "hill_q2": _ratio("inverse Simpson index (effective number of common categories) / expected", 0.9, 0.75),
    "distinct_1": _ratio("distinct tokens per token / expected at the same token count", 0.95, 0.85),
    "distinct_2": _ratio("distinct bigrams per bigram / expected at the same token count", 0.95, 0.85),
    "distinct_3": _ratio("distinct trigrams per trigram / expected at the same token count", 0.95, 0.85),
    "compression_ratio": MetricSpec(
        "deflate compression ratio of the token stream / expected at the same token count "
        "(above 1 = more repetitive)",
        worse="higher",
        warn=1.05,
        fail=1.15,
        bounds=(1.0, math.inf),
    ),
    "self_repetition": MetricSpec(
        "self-repetition of 4-grams across documents (Shaib et al. 2024) / expected at the same "
        "document count",
        worse="higher",
        warn=1.15,
        fail=1.5,
        bounds=(1.0, math.inf),
    ),
    "token_entropy": _ratio(
        "exp(batch - expected Chao-Shen token entropy) at the same token count: effective "
        "vocabulary size relative to an honest batch",
        0.9,
        0.75,
    ),
    "token_hill_q2": _ratio("inverse Simpson index of tokens / expected at the same token count", 0.9, 0.75),
    "near_duplicate_share": MetricSpec(
        "share of documents a MinHash near-duplicate removal would drop, minus the share in "
        "honest batches of the same size (0 without a reference)",
        worse="higher",
        warn=0.01,
        fail=0.03,
        bounds=(0.0, 1.0),
    ),
    "exact_duplicate_share": MetricSpec(
        "share of documents identical to another batch document, minus the share in honest "
        "batches of the same size (0 without a reference)",
        worse="higher",
        warn=0.01,
        fail=0.03,
        bounds=(0.0, 1.0),
    ),
    "coverage": _ratio(
        "Naeem et al. coverage of reference rows by batch rows (k = 5) / expected from reference "
        "self-splits of the same size",
        0.95,
        0.85,
    ),
}


OPTIONS: dict[str, OptionSpec] = {
    "null_draws": OptionSpec.integer(40, "size-matched reference draws per null", 20, 10_000),
    "max_tokens": OptionSpec.integer(
        100_000,
        "token count at which lexical statistics are compared (the smaller of this, the batch's "
        "tokens and half the reference sample's)",
        1_000,
        10_000_000,
    ),
    "min_tokens": OptionSpec.integer(
        1_000, "below this matched token count lexical statistics are insufficient-data", 100, 1_000_000
    ),
    "max_docs": OptionSpec.integer(
        2_000,
        "document count at which self-repetition is compared (the batch is subsampled to it); "
        "duplicate shares always use the whole batch",
        100,
        1_000_000,
    ),
    "near_duplicate_threshold": OptionSpec.number(
        0.7,
        "estimated Jaccard similarity of word 5-gram sets at which two documents are near-duplicates",
        0.3,
        1.0,
        inclusive=True,
    ),
    "shingle": OptionSpec.integer(5, "words per MinHash shingle", 1, 8),
    "coverage_rows": OptionSpec.integer(
        1_000, "rows per side for coverage (deterministic subsample)", 100, 100_000
    ),
    "coverage_draws": OptionSpec.integer(20, "reference self-splits for the coverage null", 10, 1_000),
    "max_categories": OptionSpec.integer(
        100,
        "a categorical column with more distinct reference values is left out of the coverage "
        "feature space (one-hot width guard)",
        2,
        10_000,
    ),
}


class DiversityLoss:
    """Is the batch more repetitive, concentrated or alike than an honest sample of its size?"""

    name = NAME
    description = (
        "entropy, distinct-n, compression, self-repetition, near-duplicates and coverage "
        "against size-matched reference nulls"
    )
    default_enabled = True
    metrics: Mapping[str, MetricSpec] = METRICS
    options: Mapping[str, OptionSpec] = OPTIONS

    def run(self, ctx: CheckContext) -> Iterable[Measurement]:
        if ctx.reference is None:
            for column in ctx.columns(Kind.TEXT):
                yield from _duplicates_only(ctx, column)
            return
        for column in ctx.columns(Kind.CATEGORICAL):
            yield from _categorical(ctx, column)
        for column in ctx.columns(Kind.TEXT):
            yield from _text(ctx, column)
        yield from _coverage(ctx)


@hookimpl
def register_checks(register: Callable[[Any], None]) -> None:
    register(DiversityLoss())
