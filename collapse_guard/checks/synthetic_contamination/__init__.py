"""The synthetic-contamination check: what share of this batch is machine-generated?

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
    * classifier two-sample test with cross-fitting, plus a copula contrast score (reference rows
      against a Gaussian copula of themselves) -> the largest of the BBE and AUC lower bounds on
      the share of rows the reference cannot explain (``stats.mpe``);
    * exact and near copies of reference rows (``stats.dcr``).
any table
    * provenance columns (``source``, ``generator``, ``language_creators`` ...) that declare
      machine-generated rows.

One table-level ``synthetic_share`` finding always carries the headline from the strongest method
available; the other methods are their own findings and are listed in its evidence.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from ...context import CheckContext
from ...hookspecs import hookimpl
from ...kinds import Kind
from ...protocols import MetricSpec, OptionSpec
from ...results import Measurement
from ...stats import markers as mk
from ._common import HOLDOUT_SHARE as HOLDOUT_SHARE
from ._common import LM_FOLDS as LM_FOLDS
from ._common import MIN_DOCS as MIN_DOCS
from ._common import MIN_ROWS as MIN_ROWS
from ._common import _Run, load_markers
from .headline import _headline
from .provenance import _provenance
from .tabular import _tabular

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
        "share of documents with em dashes or curly quotes, batch over reference (95% lower "
        "confidence bound; weak evidence)",
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
        "among held-out human rows; per text column, share of documents that repeat reference "
        "documents word for word, minus what 95% of random splits of the same documents stay under",
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


OPTIONS: dict[str, OptionSpec] = {
    "max_docs": OptionSpec.integer(
        100_000, "batch documents scored by the n-gram models and the mixture estimate per text column", 1
    ),
    "max_rows": OptionSpec.integer(
        10_000, "rows (or documents) per side used by the two-sample classifiers and the copy search", 1
    ),
    "lm_order": OptionSpec.integer(3, "n-gram order of the reference language model", 1, 5),
    "n_boot": OptionSpec.integer(200, "bootstrap replicates (the mixture null uses 5 x n_boot)", 50),
    "classifier": OptionSpec.choice(
        "gbt", "two-sample classifier: gbt (gradient-boosted trees) or logistic", ("gbt", "logistic")
    ),
    "provenance_columns": OptionSpec(
        [],
        "extra column names that record provenance (besides the recognised names)",
        lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
        "a list of names",
    ),
}


class SyntheticContamination:
    """Estimate the machine-generated share of a batch, with an interval; never per document."""

    name: str = NAME
    description: str = "share of the batch that is machine-generated (with a 95% interval)"
    default_enabled: bool = True
    metrics: dict[str, MetricSpec] = METRICS
    options: dict[str, OptionSpec] = OPTIONS

    def run(self, ctx: CheckContext) -> Iterable[Measurement]:
        run = _Run(ctx)
        text_columns = ctx.columns(Kind.TEXT)
        if text_columns:
            # Loaded here: a table without text does not pay for the language-model machinery.
            from .text import _text_column

            for column in text_columns:
                _text_column(run, column)
        if ctx.reference is not None:
            _tabular(run)
        _provenance(run)
        run.out.append(_headline(run))
        return run.out


@hookimpl
def register_checks(register: Callable[[Any], None]) -> None:
    register(SyntheticContamination())


surface_counts = mk.surface_counts

__all__ = ["SyntheticContamination", "load_markers", "surface_counts"]
