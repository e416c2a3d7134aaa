"""Recursive-refit collapse against *all* default checks together (DESIGN §5).

The tail benchmark runs `tail-shrinkage` alone, which is one-sided by design: it cannot see a
kernel-density generator that widens a distribution, or a bootstrap that keeps the range. DESIGN §5
requires the three checks together to catch every form of collapse; this benchmark measures that,
with the same generators (`benchmarks/detection/common.py`), at n = 5,000, generations 3-5, plus
clean human batches of the same size for the false-alarm rate.

    python benchmarks/bench_all_checks.py --reps 4
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import collapse_guard as cg
from benchmarks.detection import common as c

SOURCES = {"gaussian": c.gaussian, "lognormal": c.lognormal, "pareto": c.pareto}
RESULTS = Path(__file__).parent / "results" / "all_checks.md"


def _flagged(report: cg.Report) -> list[str]:
    return sorted({f.check for f in report.findings if f.status.value in ("warn", "fail")})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reps", type=int, default=4)
    ap.add_argument("--size", type=int, default=5_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    n, started = args.size, time.time()
    hits: dict[tuple[str, str], list[bool]] = defaultdict(list)
    by_check: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    cases = [(s, g) for s in SOURCES for g in c.GENERATORS] + [("zipf_categorical", "bootstrap")]
    for source, gen_name in cases:
        categorical = source == "zipf_categorical"
        ref_rng = c.rng_for(args.seed, "all-ref", source)
        if categorical:
            ref_values = c.zipf_categories(20_000, ref_rng, 100)
        else:
            ref_values = SOURCES[source](20_000, ref_rng)
        column = "category" if categorical else "value"
        ref = cg.profile(pd.DataFrame({column: ref_values}))
        for rep in range(args.reps):
            rng = c.rng_for(args.seed, "all", source, gen_name, rep)
            gen0 = c.zipf_categories(n, rng, 100) if categorical else SOURCES[source](n, rng)
            if gen_name in ("gaussian_refit", "bootstrap") and (categorical or gen_name == "gaussian_refit"):
                report = cg.check(pd.DataFrame({column: gen0}), ref)
                hits[(source, "clean")].append(report.status != "pass")
                by_check[(source, "clean")].update(_flagged(report))
            generations = c.recursive(c.GENERATORS[gen_name], gen0, n, 5, rng)
            for g in (3, 4, 5):
                report = cg.check(pd.DataFrame({column: generations[g - 1]}), ref)
                hits[(source, gen_name)].append(report.status != "pass")
                by_check[(source, gen_name)].update(_flagged(report))
        print(f"{source} {gen_name} done ({time.time() - started:.0f} s)", file=sys.stderr)
    lines = [
        "# All default checks together on recursive-refit collapse",
        "",
        f"Command: `python benchmarks/bench_all_checks.py --reps {args.reps}` (n = {n:,} rows per batch, "
        "reference 20,000 rows from the same source; a run is detected when the report warns or "
        "fails; `clean` rows are generation-0 human batches, i.e. false alarms).",
        "",
        "| source | generator | runs | detected (warn or fail) | checks that flagged (runs) |",
        "|---|---|---|---|---|",
    ]
    for (source, gen_name), flags in hits.items():
        who = ", ".join(f"{k} {v}" for k, v in by_check[(source, gen_name)].most_common()) or "-"
        label = gen_name if gen_name == "clean" else f"{gen_name}, generations 3-5"
        lines.append(f"| {source} | {label} | {len(flags)} | {sum(flags) / len(flags):.0%} | {who} |")
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
