"""Recursive-refit collapse against *all* default checks together (DESIGN §5).

The tail benchmark runs `tail-shrinkage` alone, which is one-sided by design: it cannot see a
kernel-density generator that widens a distribution, or a bootstrap that keeps the range. DESIGN §5
requires the three checks together to catch every form of collapse; this benchmark measures that,
with the same generators (`benchmarks/detection/common.py`), at n = 5,000, generations 3-5, plus
clean human batches of the same size for the false-alarm rate.

    python benchmarks/bench_all_checks.py --reps 4
    python benchmarks/bench_all_checks.py --oracle    # only the "Notes" (oracle ceilings), ~5 s

The results end with a "Notes" section: the power of oracle tests that know the source is
Gaussian, the ceiling that no tool can beat on the Gaussian-source cases (see ``oracle_notes``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import collapse_guard as cg
from benchmarks.detection import common as c

SOURCES = {"gaussian": c.gaussian, "lognormal": c.lognormal, "pareto": c.pareto}
RESULTS = Path(__file__).parent / "results" / "all_checks.md"


def _flagged(report: cg.Report) -> list[str]:
    return sorted({f.check for f in report.findings if f.status.value in ("warn", "fail")})


def oracle_gaussian_refit(
    n: int = 5_000,
    m: int = 20_000,
    generations: tuple[int, ...] = (0, 3, 4, 5),
    runs: int = 200_000,
    seed: int = 0,
) -> dict[int, dict[str, float]]:
    """Power at the 5% level of oracle tests on ``gaussian_refit`` of a Gaussian source.

    ``refit_gaussian`` only reads the sample mean and variance, so the chain is simulated exactly
    on those sufficient statistics: a sample of ``n`` from N(mu, s^2) has mean ~ N(mu, s^2/n) and
    variance ~ s^2 chi2(n-1)/(n-1), and the next generation is N(that mean, that variance).
    Generation 0 is the human batch (the test's size). Each generation's mean and log-variance
    take a random-walk step as large as the sampling error of a batch, so the alternative is
    "(z_mean, z_logvar) ~ N(0, lambda I)" with lambda > 1, for which the most powerful test is
    chi-square on z_mean^2 + z_logvar^2 (Neyman-Pearson; the two are independent for a normal).

    Returns generation -> {"reference": power with the 20,000-row reference sample,
    "known": power if the source's parameters were known exactly, "median_sd": median
    sigma_g / sigma_0}.
    """
    rng = np.random.default_rng(seed)
    ref_mean = rng.normal(0.0, 1.0 / np.sqrt(m), runs)
    ref_var = rng.chisquare(m - 1, runs) / (m - 1)
    mu, var = np.zeros(runs), np.ones(runs)
    crit = float(stats.chi2.isf(0.05, 2))
    out: dict[int, dict[str, float]] = {}
    for g in range(max(generations) + 1):
        mean = mu + rng.normal(0.0, 1.0, runs) * np.sqrt(var / n)
        svar = var * rng.chisquare(n - 1, runs) / (n - 1)
        if g in generations:
            pooled = ((n - 1) * svar + (m - 1) * ref_var) / (n + m - 2)
            z_mean = (mean - ref_mean) / np.sqrt(pooled * (1 / n + 1 / m))
            z_var = np.log(svar / ref_var) / np.sqrt(2 / (n - 1) + 2 / (m - 1))
            k_mean, k_var = mean * np.sqrt(n), np.log(svar) / np.sqrt(2 / (n - 1))
            out[g] = {
                "reference": float(np.mean(z_mean**2 + z_var**2 > crit)),
                "known": float(np.mean(k_mean**2 + k_var**2 > crit)),
                "median_sd": float(np.median(np.sqrt(var))),
            }
        mu, var = mean, svar
    return out


def oracle_kde_refit(
    n: int = 5_000, m: int = 20_000, chains: int = 400, seed: int = 0
) -> dict[int, dict[str, float]]:
    """Power at the 5% level of the one-sided variance F-test on ``kde_refit`` of a Gaussian source.

    The F-test is the most powerful test of a widening of a normal distribution; it is an oracle
    here because it is told both the family and the direction. Chains are simulated with the
    benchmark's own generator (``c.refit_kde``); each batch is tested against a fresh reference.
    """
    rng = np.random.default_rng(seed)
    hits: dict[int, list[bool]] = defaultdict(list)
    for _ in range(chains):
        ref_var = float(np.var(c.gaussian(m, rng), ddof=1))
        generations = c.recursive(c.refit_kde, c.gaussian(n, rng), n, 5, rng)
        for g in (3, 4, 5):
            f = float(np.var(generations[g - 1], ddof=1)) / ref_var
            hits[g].append(float(stats.f.sf(f, n - 1, m - 1)) <= 0.05)
    return {g: {"power": float(np.mean(h))} for g, h in hits.items()}


def oracle_notes(n: int = 5_000) -> list[str]:
    """The "Notes" section: what an oracle could reach on the two hardest Gaussian cases."""
    refit = oracle_gaussian_refit(n=n)
    kde = oracle_kde_refit(n=n)
    late = (3, 4, 5)
    ref_mean = float(np.mean([refit[g]["reference"] for g in late]))
    known_mean = float(np.mean([refit[g]["known"] for g in late]))
    kde_mean = float(np.mean([kde[g]["power"] for g in late]))

    def per_gen(values: dict[int, float]) -> str:
        return ", ".join(f"g{g} {values[g]:.0%}" for g in late)

    return [
        "## Notes",
        "",
        f"- **gaussian_refit on gaussian is near the limit of any test.** Refitting a normal to "
        f"{n:,} rows per generation leaves the median sd at {refit[5]['median_sd']:.4f} of the "
        f"source's after five generations (Shumailov et al., Nature 2024, SI: exp(-g/(2(M-1)))); what does change is "
        f"a random walk of the mean and the variance, each step as large as one batch's sampling "
        f"error. The most powerful test that *knows* the source is Gaussian (chi-square on the "
        f"mean and log-variance z-scores, 5% level) detects generations 3-5 in "
        f"**{ref_mean:.0%}** of runs against a 20,000-row reference ({per_gen({g: refit[g]['reference'] for g in late})}; "
        f"false alarms at generation 0: {refit[0]['reference']:.1%}), and in {known_mean:.0%} even "
        f"if the source's parameters were known exactly. No tool can reach the 90% target here; "
        f"this check, which makes no assumption about the family, sees far less.",
        f"- **kde_refit on gaussian**: the one-sided variance F-test (told the family *and* that "
        f"the change is a widening) detects generations 3-5 in {kde_mean:.0%} of runs at the 5% "
        f"level ({per_gen({g: kde[g]['power'] for g in late})}); a tool that must also control "
        f"false alarms over many findings and both directions cannot do better.",
        "",
        "Oracle figures: `python benchmarks/bench_all_checks.py --oracle` (exact simulation of the "
        "refit chain on its sufficient statistics, 200,000 runs per generation; 400 simulated "
        "KDE chains).",
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reps", type=int, default=4)
    ap.add_argument("--size", type=int, default=5_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--oracle", action="store_true", help="print only the oracle notes (nothing is written)")
    args = ap.parse_args()
    if args.oracle:
        print("\n".join(oracle_notes(args.size)))
        return
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
    lines += ["", *oracle_notes(n)]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
