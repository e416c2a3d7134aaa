"""tail-shrinkage: are rare values, rare categories, rare words and extreme quantiles disappearing?

Mainly one-sided for the tails (the batch has *less* tail than an honest sample of its own size
from the reference would show), plus excess findings for numeric columns whose tails widened
(kernel-density refits add variance every generation) and two adherence findings for categorical
columns (categories the reference never had, and over-represented rare categories), because
generators fail in those directions too (Shumailov et al., Nature 2024, and SI §3.1.1 for the
growing variance of refitted samples). See docs/checks/tail-shrinkage.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from ...context import CheckContext
from ...hookspecs import hookimpl
from ...kinds import Kind
from ...protocols import MetricSpec, OptionSpec
from ...results import Measurement
from . import categorical, numeric, text


class TailShrinkage:
    """Does the batch have *less* tail than an honest sample of its size would have?"""

    name = "tail-shrinkage"
    description = "rare values, categories, words and extreme quantiles disappearing"
    default_enabled = True
    metrics: ClassVar[dict[str, MetricSpec]] = {**numeric.METRICS, **categorical.METRICS, **text.METRICS}
    options: ClassVar[dict[str, OptionSpec]] = {**numeric.OPTIONS, **categorical.OPTIONS, **text.OPTIONS}

    def run(self, ctx: CheckContext) -> Iterable[Measurement]:
        if ctx.reference is None:
            return
        for column in ctx.columns(Kind.NUMERIC):
            yield from numeric.measure(ctx, column)
        for column in ctx.columns(Kind.CATEGORICAL):
            yield from categorical.measure(ctx, column)
        for column in ctx.columns(Kind.TEXT):
            yield from text.measure(ctx, column)


@hookimpl
def register_checks(register: Callable[[Any], None]) -> None:
    register(TailShrinkage())
