"""Categorical tail-shrinkage on a simulated grid: false alarms on honest batches, detection of collapse.

Usage::

    python -m benchmarks.detection.categorical_grid --reps-honest 200 --reps-collapsed 20 --seed 0
    python -m benchmarks.detection.categorical_grid --fast      # about a minute, prints only

Grid (81 cells): category shares {Zipf s = 1.1, uniform-ish, geometric} x {50, 500, 2,000}
levels x reference rows N {500, 2,000, 20,000} x batch rows n {200, 2,000, 20,000}.

* Zipf: p_i proportional to i^-1.1. Uniform-ish: weights drawn once from U(0.5, 1.5) (a fixed
  generator per level count, not the run seed, so every run sees the same population).
  Geometric: p_i proportional to exp(-6 i / K) (the rarest level e^-6 of the commonest).
* Every replicate draws a fresh reference (multinomial, N rows, shares p) and a fresh batch
  (multinomial, n rows, the scenario's shares), from a generator seeded by the run seed, the cell,
  the scenario and the replicate (``common.rng_for``), so any cell can be re-run on its own.

Scenarios (the batch's shares; the reference always follows p):

``honest``            p itself.
``drop5``/``drop10``  the rarest categories holding at most 5% / 10% of the mass removed
                      (at least one), the rest renormalised.
``sharpen``           p^1.5, renormalised (a lower sampling temperature).
``drop_invent``       the rarest 10% of the mass removed and the same shares given to as many
                      categories the reference never had (the tail replaced, not lost).
``inflate_one``       the 5th rarest category raised to 5% of the rows, the rest scaled by 0.95.
``inflate_rarest10x4``  the rarest categories holding 10% of the mass: shares x4, renormalised
                      (minority oversampling).

Each replicate runs the real ``tail-shrinkage`` check (``TailShrinkage().run``) on profiles whose
one categorical column holds the drawn counts (what ``collapse_guard.profile`` stores for such a
column: exact counts), and the real policy (``policy.decide``: Benjamini-Hochberg across the
check's p-values, default alpha, warn_alpha and thresholds). A replicate *fails* when any finding
fails and *warns* when any warns or fails (insufficient-data counts as a pass). The first honest
replicate of every cell is also run through the public API (``collapse_guard.profile`` /
``collapse_guard.check`` on DataFrames) and must give the same statuses.

The report (``benchmarks/results/categorical_grid.md`` by default; ``--fast`` prints it unless
``--output`` is given) has the command, per-scenario mean and worst-cell rates, the targets and a
per-cell table. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from collapse_guard.checks.tail_shrinkage import TailShrinkage
from collapse_guard.config import Config
from collapse_guard.context import CheckContext
from collapse_guard.policy import decide
from collapse_guard.profile.categorical import CategoricalProfile
from collapse_guard.profile.model import Profile
from collapse_guard.profile.settings import ProfileSettings
from collapse_guard.protocols import Check
from collapse_guard.results import Status

from . import common

DISTS = ("zipf", "uniformish", "geometric")
DIST_LABEL = {"zipf": "Zipf s=1.1", "uniformish": "uniform-ish", "geometric": "geometric"}
LEVELS = (50, 500, 2000)
REFS = (500, 2000, 20000)
BATCHES = (200, 2000, 20000)
COLLAPSES = ("drop5", "drop10", "sharpen", "drop_invent", "inflate_one", "inflate_rarest10x4")
SCENARIO_LABEL = {
    "honest": "honest",
    "drop5": "drop rarest 5% of mass",
    "drop10": "drop rarest 10% of mass",
    "sharpen": "sharpen p^1.5",
    "drop_invent": "drop rarest 10%, invent as many new",
    "inflate_one": "inflate one rare category to 5%",
    "inflate_rarest10x4": "rarest 10% of mass x4",
}
METRICS = (
    "new_categories",
    "reference_categories_present",
    "good_turing_missing_mass",
    "rare_category_mass",
    "rare_category_excess",
)
COLUMN = "category"
FAST = {"reps_honest": 10, "reps_collapsed": 3}
TARGET_FAIL = 0.01
TARGET_WARN = 0.05

CHECK = cast("Check", TailShrinkage())
CONFIG = Config()
SETTINGS = ProfileSettings.reference()


# --------------------------------------------------------------------------- populations


def probs(dist: str, k: int) -> np.ndarray:
    """The population shares of ``k`` levels (most frequent first for Zipf and geometric)."""
    i = np.arange(1, k + 1, dtype=float)
    if dist == "zipf":
        p = i**-1.1
    elif dist == "uniformish":
        p = np.random.default_rng([7, k]).uniform(0.5, 1.5, k)
    elif dist == "geometric":
        p = np.exp(-6.0 * i / k)
    else:
        raise ValueError(f"unknown distribution {dist!r}")
    return p / p.sum()


def _rarest(p: np.ndarray, share: float) -> np.ndarray:
    """Indices of the rarest levels holding at most ``share`` of the mass (at least one)."""
    order = np.argsort(p, kind="stable")
    k = max(1, int(np.searchsorted(np.cumsum(p[order]), share, side="right")))
    return order[:k]


def scenario_shares(p: np.ndarray, scenario: str) -> tuple[np.ndarray, int]:
    """The batch's shares under ``scenario`` and how many invented levels follow the ``len(p)`` ones."""
    if scenario == "honest":
        return p, 0
    if scenario == "sharpen":
        out = p**1.5
        return out / out.sum(), 0
    if scenario in ("drop5", "drop10"):
        out = p.copy()
        out[_rarest(p, 0.05 if scenario == "drop5" else 0.10)] = 0.0
        return out / out.sum(), 0
    if scenario == "drop_invent":
        gone = _rarest(p, 0.10)
        out = p.copy()
        out[gone] = 0.0
        return np.concatenate([out, p[gone]]), len(gone)
    if scenario == "inflate_one":
        target = np.argsort(p, kind="stable")[4]
        out = p.copy()
        out[target] = 0.0
        out = out / out.sum() * 0.95
        out[target] = 0.05
        return out, 0
    if scenario == "inflate_rarest10x4":
        out = p.copy()
        out[_rarest(p, 0.10)] *= 4.0
        return out / out.sum(), 0
    raise ValueError(f"unknown scenario {scenario!r}")


def labels(k: int, invented: int) -> list[str]:
    return [f"c{i:05d}" for i in range(k)] + [f"new{i:05d}" for i in range(invented)]


# --------------------------------------------------------------------------- the real check


def _profile(counts: np.ndarray, names: Sequence[str], settings: ProfileSettings) -> Profile:
    nz = np.flatnonzero(counts)
    column = CategoricalProfile(COLUMN, {names[i]: int(counts[i]) for i in nz.tolist()})
    return Profile(
        rows=int(counts.sum()),
        columns={COLUMN: column},
        sample=None,
        sample_priority=np.zeros(0, dtype=np.uint64),
        settings=settings,
    )


def statuses(ref: np.ndarray, bat: np.ndarray, names: Sequence[str]) -> dict[str, str]:
    """Status per tail-shrinkage metric: the real check, then the real policy."""
    ctx = CheckContext(
        reference=_profile(ref, names, SETTINGS),
        batch=_profile(bat, names, ProfileSettings.batch()),
        config=CONFIG,
        check=CHECK,
    )
    found = decide([(CHECK.name, m) for m in CHECK.run(ctx)], {CHECK.name: CHECK}, CONFIG)
    return {f.measurement.metric: f.status.value for f in found}


def api_statuses(ref: np.ndarray, bat: np.ndarray, names: Sequence[str], seed: int) -> dict[str, str]:
    """The same through the public API, on DataFrames with one row per drawn value."""
    import collapse_guard

    arr = np.array(names, dtype=object)
    rng = np.random.default_rng(seed)
    frames = [pd.DataFrame({COLUMN: rng.permutation(np.repeat(arr, c))}) for c in (ref, bat)]
    report = collapse_guard.check(frames[1], collapse_guard.profile(frames[0]), select=["tail-shrinkage"])
    return {f.measurement.metric: f.status.value for f in report.findings}


def worst(found: dict[str, str]) -> str:
    values = set(found.values())
    if values & {Status.FAIL.value, Status.ERROR.value}:
        return "fail"
    return "warn" if Status.WARN.value in values else "pass"


# --------------------------------------------------------------------------- running


@dataclass
class Cell:
    """Counts over the replicates of one (cell, scenario)."""

    dist: str
    levels: int
    ref_rows: int
    batch_rows: int
    scenario: str
    reps: int = 0
    warn: int = 0
    fail: int = 0
    insufficient: int = 0
    seconds: float = 0.0
    by_metric: dict[str, int] = field(default_factory=dict)


def run_cell(
    dist: str, k: int, big_n: int, n: int, scenario: str, reps: int, seed: int, api_check: bool
) -> Cell:
    p = probs(dist, k)
    shares, invented = scenario_shares(p, scenario)
    names = labels(k, invented)
    cell = Cell(dist, k, big_n, n, scenario, by_metric=dict.fromkeys(METRICS, 0))
    start = time.perf_counter()
    for r in range(reps):
        rng = common.rng_for(seed, "categorical_grid", dist, k, big_n, n, scenario, r)
        ref = np.concatenate([rng.multinomial(big_n, p), np.zeros(invented, dtype=np.int64)])
        bat = rng.multinomial(n, shares)
        found = statuses(ref, bat, names)
        if api_check and r == 0:
            via_api = api_statuses(ref, bat, names, seed)
            if via_api != found:
                raise AssertionError(
                    f"{dist} K={k} N={big_n} n={n} {scenario}: profile-from-counts statuses "
                    f"{found} differ from the public API's {via_api}"
                )
        status = worst(found)
        cell.reps += 1
        cell.warn += status in ("warn", "fail")
        cell.fail += status == "fail"
        cell.insufficient += Status.INSUFFICIENT.value in found.values()
        for metric in METRICS:
            cell.by_metric[metric] += found.get(metric) in ("warn", "fail")
    cell.seconds = time.perf_counter() - start
    return cell


def run(reps_honest: int, reps_collapsed: int, seed: int, scenarios: Sequence[str]) -> list[Cell]:
    cells: list[Cell] = []
    start = time.perf_counter()
    for dist in DISTS:
        for k in LEVELS:
            for big_n in REFS:
                for n in BATCHES:
                    for scenario in scenarios:
                        reps = reps_honest if scenario == "honest" else reps_collapsed
                        if reps > 0:
                            cells.append(
                                run_cell(dist, k, big_n, n, scenario, reps, seed, scenario == "honest")
                            )
            print(
                f"categorical_grid: {dist} K={k} done ({time.perf_counter() - start:.0f}s)",
                file=sys.stderr,
                flush=True,
            )
    return cells


# --------------------------------------------------------------------------- report


def _frame(cells: Sequence[Cell]) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for c in cells:
        row: dict[str, Any] = {
            "dist": c.dist,
            "levels": c.levels,
            "N": c.ref_rows,
            "n": c.batch_rows,
            "scenario": c.scenario,
            "reps": c.reps,
            "warn": c.warn / c.reps,
            "fail": c.fail / c.reps,
            "insufficient": c.insufficient / c.reps,
            "seconds": c.seconds,
        }
        row.update({m: v / c.reps for m, v in c.by_metric.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def _pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f}%"


def _where(row: pd.Series) -> str:
    return f"{DIST_LABEL[row['dist']]}, K={row['levels']:,}, N={row['N']:,}, n={row['n']:,}"


def _extreme(sub: pd.DataFrame, column: str, highest: bool) -> tuple[float, str]:
    """The highest (or lowest) cell rate of ``column`` and where, with how many cells tie."""
    values = sub[column].to_numpy(dtype=float)
    pick = int(values.argmax() if highest else values.argmin())
    ties = int((values == values[pick]).sum()) - 1
    return float(values[pick]), _where(sub.iloc[pick]) + (f" and {ties} more" if ties else "")


def markdown(cells: Sequence[Cell], command: str, seconds: float) -> str:
    frame = _frame(cells)
    scenarios = [s for s in ("honest", *COLLAPSES) if s in set(frame.scenario)]
    n_cells = frame.groupby(["dist", "levels", "N", "n"]).ngroups
    reps = {s: int(frame[frame.scenario == s].reps.iloc[0]) for s in scenarios}
    lines = [
        "# Categorical tail-shrinkage on a simulated grid",
        "",
        f"Command: `{command}` ({seconds / 60:.1f} min on one core, {int(frame.reps.sum()):,} checks).",
        "",
        f"{n_cells} cells: {{Zipf s=1.1, uniform-ish, geometric}} x {{50, 500, 2,000}} levels x "
        "reference rows N {500, 2,000, 20,000} x batch rows n {200, 2,000, 20,000}; a fresh "
        "reference and batch per replicate. Each replicate runs the real `tail-shrinkage` check "
        "and the real policy (Benjamini-Hochberg over its p-values, default alpha 0.01 / warn "
        "alpha 0.05 and thresholds). *warn+* = any finding warns or fails; *fail* = any finding "
        "fails. Replicates per cell: "
        + ", ".join(f"{s} {reps[s]}" for s in scenarios)
        + ". Scenario definitions: module docstring of `benchmarks/detection/categorical_grid.py`.",
        "",
        "## Summary per scenario",
        "",
        "Rates are means over the cells (each cell weighted equally); *worst cell* is the highest "
        "cell rate for honest batches (false alarms) and the lowest for collapsed ones (misses).",
        "",
        "| scenario | reps/cell | fail, mean | fail, worst cell | warn+, mean | warn+, worst cell | worst cell (warn+) | cells with warn+ < 50% |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in scenarios:
        sub = frame[frame.scenario == s]
        honest = s == "honest"
        warn_worst, where = _extreme(sub, "warn", honest)
        fail_worst = sub.fail.max() if honest else sub.fail.min()
        low = "" if honest else f"{int((sub.warn < 0.5).sum())} of {len(sub)}"
        lines.append(
            f"| {SCENARIO_LABEL[s]} | {reps[s]} | {_pct(sub.fail.mean(), 2)} | {_pct(fail_worst)} | "
            f"{_pct(sub.warn.mean(), 2)} | {_pct(warn_worst)} | {where} | {low} |"
        )
    lines += ["", "## Targets", ""]
    if "honest" in scenarios:
        h = frame[frame.scenario == "honest"]
        r = reps["honest"]
        se_warn = np.sqrt(TARGET_WARN * (1 - TARGET_WARN) / r)
        fail_max, fail_where = _extreme(h, "fail", True)
        warn_max, warn_where = _extreme(h, "warn", True)
        lines += [
            "| target | measured (mean over cells) | goal | met | worst cell |",
            "|---|---|---|---|---|",
            f"| honest batches fail | {_pct(h.fail.mean(), 2)} | < {_pct(TARGET_FAIL, 0)} | "
            f"{'yes' if h.fail.mean() < TARGET_FAIL else 'NO'} | {_pct(fail_max)} ({fail_where}) |",
            f"| honest batches warn or fail | {_pct(h.warn.mean(), 2)} | < {_pct(TARGET_WARN, 0)} | "
            f"{'yes' if h.warn.mean() < TARGET_WARN else 'NO'} | {_pct(warn_max)} ({warn_where}) |",
            "",
            f"Cells above the per-cell levels: fail >= 1% in {int((h.fail >= TARGET_FAIL).sum())} of "
            f"{len(h)}, warn+ >= 5% in {int((h.warn >= TARGET_WARN).sum())} of {len(h)}. The worst "
            f"cell is the largest of {len(h)} noisy estimates: with {r} replicates a cell whose "
            f"true warn+ rate is 5% reads {_pct(max(TARGET_WARN - 2 * se_warn, 0.0))}-"
            f"{_pct(TARGET_WARN + 2 * se_warn)} (+-2 standard errors).",
        ]
    lines += [
        "",
        "## Which finding alarms (warn+ rate per metric, mean over cells)",
        "",
        "| scenario | " + " | ".join(f"`{m}`" for m in METRICS) + " | any insufficient-data |",
        "|---|" + "---|" * (len(METRICS) + 1),
    ]
    for s in scenarios:
        sub = frame[frame.scenario == s]
        lines.append(
            f"| {SCENARIO_LABEL[s]} | "
            + " | ".join(_pct(sub[m].mean()) for m in METRICS)
            + f" | {_pct(sub.insufficient.mean())} |"
        )
    lines += ["", "## Detection (warn+) by batch size, mean over the other axes", ""]
    collapsed = [s for s in scenarios if s != "honest"]
    if collapsed:
        by_n = frame[frame.scenario.isin(collapsed)].pivot_table(
            index="scenario", columns="n", values="warn", aggfunc="mean"
        )
        lines += [
            "| scenario | " + " | ".join(f"n={n:,}" for n in by_n.columns) + " |",
            "|---|" + "---|" * len(by_n.columns),
        ]
        for s in collapsed:
            lines.append(
                f"| {SCENARIO_LABEL[s]} | "
                + " | ".join(_pct(float(v), 0) for v in by_n.loc[s].to_numpy())
                + " |"
            )
    lines += [
        "",
        "## Per cell",
        "",
        "Honest: fail / warn+. Collapsed: warn+ (detection).",
        "",
        "| shares | K | N | n | honest | " + " | ".join(collapsed) + " |",
        "|---|---|---|---|---|" + "---|" * len(collapsed),
    ]
    piv = frame.pivot_table(index=["dist", "levels", "N", "n"], columns="scenario", values=["warn", "fail"])
    order = {d: i for i, d in enumerate(DISTS)}
    keys = sorted(piv.index, key=lambda key: (order[key[0]], *key[1:]))
    for key in keys:
        row = piv.loc[key]
        honest_cell = (
            f"{_pct(row[('fail', 'honest')])} / {_pct(row[('warn', 'honest')])}"
            if "honest" in scenarios
            else ""
        )
        lines.append(
            f"| {DIST_LABEL[key[0]]} | {key[1]:,} | {key[2]:,} | {key[3]:,} | {honest_cell} | "
            + " | ".join(_pct(row[("warn", s)], 0) for s in collapsed)
            + " |"
        )
    slow = (
        frame.groupby(["dist", "levels"])["seconds"]
        .sum()
        .reset_index()
        .sort_values("seconds", ascending=False)
    )
    lines += [
        "",
        "## Notes",
        "",
        "- The profiles are built from the drawn counts (`CategoricalProfile` holds exact counts, as "
        "`collapse_guard.profile` stores them); the first honest replicate of every cell also went "
        "through `collapse_guard.profile` / `collapse_guard.check` on DataFrames and gave the same "
        "statuses.",
        "- Time by population (seconds, all scenarios): "
        + ", ".join(
            f"{DIST_LABEL[d]} K={k:,} {v:.0f}"
            for d, k, v in zip(slow.dist, slow.levels, slow.seconds, strict=True)
        )
        + ".",
    ]
    return "\n".join(lines) + "\n"


def command_line(args: argparse.Namespace) -> str:
    parts = ["python -m benchmarks.detection.categorical_grid"]
    if args.fast:
        parts.append("--fast")
    parts += [f"--reps-honest {args.reps_honest}", f"--reps-collapsed {args.reps_collapsed}"]
    if tuple(args.scenarios) != ("honest", *COLLAPSES):
        parts.append(f"--scenarios {','.join(args.scenarios)}")
    parts.append(f"--seed {args.seed}")
    return " ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reps-honest", type=int, default=None, help="honest replicates per cell (default 200)"
    )
    parser.add_argument(
        "--reps-collapsed",
        type=int,
        default=None,
        help="replicates per cell and collapse scenario (default 20)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--scenarios",
        default=",".join(("honest", *COLLAPSES)),
        help="comma-separated subset of: " + ", ".join(("honest", *COLLAPSES)),
    )
    parser.add_argument(
        "--fast",
        action="store_true",
        help=f"{FAST['reps_honest']} honest / {FAST['reps_collapsed']} collapsed replicates per cell "
        "(unless given), printed only unless --output is given",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="markdown report (default: benchmarks/results/categorical_grid.md; none with --fast)",
    )
    args = parser.parse_args(argv)
    defaults = FAST if args.fast else {"reps_honest": 200, "reps_collapsed": 20}
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = sorted(set(args.scenarios) - {"honest", *COLLAPSES})
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(unknown)}")
    args.scenarios = [s for s in ("honest", *COLLAPSES) if s in args.scenarios]
    output = args.output
    if output is None and not args.fast:
        output = Path(__file__).resolve().parents[1] / "results" / "categorical_grid.md"
    start = time.perf_counter()
    cells = run(args.reps_honest, args.reps_collapsed, args.seed, args.scenarios)
    seconds = time.perf_counter() - start
    text = markdown(cells, command_line(args), seconds)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        print(f"categorical_grid: {seconds:.0f}s -> {output}", file=sys.stderr)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
