"""Example plugin: a ``missing-values`` check and a ``tsv`` reporter.

collapse-guard imports this module on every command once the plugin is installed, so nothing
heavy is imported at the top (see the comment in ``MissingValues.run``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import collapse_guard as cg


class MissingValues:
    """Has the share of missing values in a column risen compared with the reference?"""

    name = "missing-values"
    description = "share of missing values rose compared with the reference"
    default_enabled = True
    metrics = {
        "missing_share_ratio": cg.MetricSpec(
            "batch missing share divided by the reference's (1 = unchanged)",
            worse="higher",
            warn=2.0,
            fail=5.0,
            bounds=(1.0, 1e9),
        )
    }
    options: dict[str, cg.OptionSpec] = {}

    def run(self, ctx: Any) -> Iterable[cg.Measurement]:
        if ctx.reference is None:
            return
        # collapse_guard.stats.distributions has the exact binomial test on scipy.special, which
        # spares every run the import of scipy.stats (about 0.5 s). It is imported here rather
        # than at the top because this module is imported on every command, even when this check
        # is not selected.
        from collapse_guard.stats.distributions import binom_pvalue

        for column in ctx.columns():
            ref, bat = ctx.reference.column(column), ctx.batch.column(column)
            ref_total, bat_total = ref.count + ref.nulls, bat.count + bat.nulls
            # Add-one smoothing: a reference without missing values still has a finite share.
            p0 = (ref.nulls + 1) / (ref_total + 2)
            share = bat.nulls / bat_total
            yield cg.Measurement(
                column,
                "missing_share_ratio",
                value=share,
                expected=p0,
                p_value=binom_pvalue(bat.nulls, bat_total, p0, "greater"),
                effect=share / p0,
                message=f"{column}: {share:.1%} of values are missing vs {p0:.1%} in the reference",
                evidence={"batch_missing": bat.nulls, "batch_rows": bat_total},
            )


class TsvReporter:
    name = "tsv"
    description = "one tab-separated line per finding"

    def render(self, report: cg.Report) -> str:
        lines = ["status\tcheck\tcolumn\tmetric\teffect\tmessage"]
        for f in report.findings:
            effect = "" if f.measurement.effect is None else f"{f.measurement.effect:.4g}"
            lines.append("\t".join([f.status.value, f.check, f.column or "", f.metric, effect, f.message]))
        return "\n".join(lines) + "\n"


@cg.hookimpl
def register_checks(register: Callable[[Any], None]) -> None:
    register(MissingValues())


@cg.hookimpl
def register_reporters(register: Callable[[Any], None]) -> None:
    register(TsvReporter())
