"""tail-shrinkage: are rare values, rare categories and extreme quantiles disappearing?"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ...context import CheckContext
from ...hookspecs import hookimpl
from ...kinds import Kind
from ...protocols import MetricSpec, OptionSpec
from ...results import Measurement
from . import numeric


class TailShrinkage:
    """One-sided: does the batch have *less* tail than an honest sample of its size would have?"""

    name = "tail-shrinkage"
    description = "rare values, categories, tokens and extreme quantiles disappearing"
    default_enabled = True
    metrics: dict[str, MetricSpec] = {**numeric.METRICS}
    options: dict[str, OptionSpec] = {**numeric.OPTIONS}

    def run(self, ctx: CheckContext) -> Iterable[Measurement]:
        if ctx.reference is None:
            return
        for column in ctx.columns(Kind.NUMERIC):
            yield from numeric.measure(ctx, column)


@hookimpl
def register_checks(register: Callable[[Any], None]) -> None:
    register(TailShrinkage())
