"""Contamination benchmark: does synthetic-contamination recover the machine share of a batch?

Text
    Human documents are paragraphs of Debian man pages (``common.real_texts("man")``), normalised
    to lower-cased word tokens. The machine text comes from a word trigram model
    (``common.NgramLM``) trained on *other* man-page paragraphs and sampled with nucleus sampling
    (top-p = 0.9): a language model of the same domain. Batches mix ``(1 - a) n`` held-out human
    documents with ``a n`` machine documents. Each batch is checked twice: with a synthetic
    reference (1,000 further documents from the same generator, disjoint from the batch) and
    without one.
Tabular
    Human rows come from ``common.human_table`` (normal, lognormal, Pareto and Zipf-categorical
    columns). Machine rows come from a Gaussian mixture (``common.refit_gmm``, 3 components) or a
    Gaussian copula with parametric margins, both fitted to other human rows; the category is
    drawn from its fitted marginal.

Reported per case: mean and maximum absolute error of the headline ``synthetic_share``, the
coverage of its 95% interval, the share of runs where the check warns or fails, and the false-alarm
rate at ``a = 0``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import common

NAME = "synthetic-contamination"
ALPHAS = (0.0, 0.02, 0.05, 0.1, 0.25, 0.5)
REFERENCE_DOCS = 8000
SYNTHETIC_DOCS = 1000
TABLE_REFERENCE_ROWS = 10_000


def _headline(result: common.CaseResult) -> dict[str, Any]:
    for f in result.findings:
        if f["metric"] == "synthetic_share" and f["column"] is None:
            return f
    raise RuntimeError("synthetic-contamination returned no synthetic_share finding")


def _log(row: dict[str, Any]) -> dict[str, Any]:
    """Append the row to $CONTAMINATION_ROWS (JSON lines) when set, so long runs can be followed."""
    import json
    import os

    path = os.environ.get("CONTAMINATION_ROWS")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row, default=str) + "\n")
    return row


def _row(
    topic: str,
    source: str,
    generator: str,
    mode: str,
    alpha: float,
    size: int,
    rep: int,
    res: common.CaseResult,
) -> dict[str, Any]:
    head = _headline(res)
    value = head["value"]
    interval = head["interval"] or [None, None]
    return _log(
        {
            "topic": topic,
            "source": source,
            "generator": generator,
            "mode": mode,
            "alpha": alpha,
            "size": size,
            "rep": rep,
            "case": "clean" if alpha == 0 else "collapse",
            "estimate": value,
            "low": interval[0],
            "high": interval[1],
            "method": (head.get("evidence") or {}).get("method"),
            "headline_status": head["status"],
            "p_value": head["p_value"],
            "p_adjusted": head.get("p_adjusted"),
            "status": res.status,
            "warn": head["status"] in ("warn", "fail"),
            "fail": head["status"] == "fail",
            "insufficient": head["status"] == "insufficient-data",
            "seconds": res.seconds,
        }
    )


def _text_cases(sizes: Sequence[int], reps: int, seed: int) -> list[dict[str, Any]]:
    import collapse_guard as cg

    rows: list[dict[str, Any]] = []
    need = REFERENCE_DOCS + max(sizes) + 8000
    docs = common.normalise_texts(common.real_texts("man", need + 2000, seed))
    for rep in range(reps):
        rng = common.rng_for(seed, "contamination-text", rep)
        ref_docs, human_pool, gen_train = common.disjoint_split(docs, [REFERENCE_DOCS, max(sizes), 8000], rng)
        lm = common.NgramLM(order=3).fit(gen_train)
        machine = lm.sample(int(max(sizes) * max(ALPHAS)) + SYNTHETIC_DOCS, rng, top_p=0.9)
        synthetic = pd.DataFrame({"text": machine[:SYNTHETIC_DOCS]})
        machine_pool = machine[SYNTHETIC_DOCS:]
        ref = cg.profile(pd.DataFrame({"text": ref_docs}))
        synth_prof = cg.profile(synthetic)
        for size in sizes:
            for alpha in ALPHAS:
                k = round(alpha * size)
                batch = pd.DataFrame({"text": list(human_pool[: size - k]) + list(machine_pool[:k])})
                for mode in ("with synthetic reference", "without"):
                    start = time.perf_counter()
                    report = cg.check(
                        batch,
                        ref,
                        select=[NAME],
                        seed=rep,
                        synthetic_reference=synth_prof if mode != "without" else None,
                    )
                    res = _as_case(report, time.perf_counter() - start)
                    rows.append(
                        _row(
                            "text",
                            "man pages",
                            "trigram LM, top-p 0.9",
                            mode,
                            alpha,
                            size,
                            rep,
                            res,
                        )
                    )
    return rows


def _as_case(report: Any, seconds: float) -> common.CaseResult:
    found = tuple(f.to_dict() for f in report.findings if f.check == NAME)
    statuses = {f["status"] for f in found}
    fail = "fail" in statuses or "error" in statuses
    warn = fail or "warn" in statuses
    return common.CaseResult(
        "fail" if fail else "warn" if warn else "pass",
        warn,
        fail,
        bool(found) and statuses == {"insufficient-data"},
        seconds,
        found,
    )


def gaussian_copula(human: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Gaussian copula with parametric margins fitted to the numeric columns of ``human``.

    Margins are lognormal for positive skewed columns and normal otherwise (what synthetic-data
    libraries fit by default); categorical columns are drawn from their marginal frequencies.
    """
    from scipy import stats

    num = [c for c in human.columns if pd.api.types.is_numeric_dtype(human[c])]
    x = human[num].to_numpy(dtype=float)
    z = stats.norm.ppf((stats.rankdata(x, axis=0) - 0.5) / len(x))
    u = stats.norm.cdf(rng.multivariate_normal(np.zeros(len(num)), np.corrcoef(z.T), n))
    out: dict[str, Any] = {}
    for j, c in enumerate(num):
        v = x[:, j]
        if v.min() > 0 and stats.skew(v) > 1:
            out[c] = np.exp(stats.norm.ppf(u[:, j], np.log(v).mean(), np.log(v).std()))
        else:
            out[c] = stats.norm.ppf(u[:, j], v.mean(), v.std())
    for c in human.columns:
        if c not in num:
            out[c] = human[c].to_numpy()[rng.integers(0, len(human), n)]
    return pd.DataFrame(out)[list(human.columns)]


def gmm_rows(human: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """A 3-component Gaussian mixture on the numeric columns, categories from their marginal."""
    num = [c for c in human.columns if pd.api.types.is_numeric_dtype(human[c])]
    draws = common.refit_gmm(human[num].to_numpy(dtype=float), n, rng, components=3)
    out: dict[str, Any] = {c: draws[:, j] for j, c in enumerate(num)}
    for c in human.columns:
        if c not in num:
            out[c] = human[c].to_numpy()[rng.integers(0, len(human), n)]
    return pd.DataFrame(out)[list(human.columns)]


TABLE_GENERATORS = {"gaussian mixture": gmm_rows, "gaussian copula": gaussian_copula}


def _table_cases(sizes: Sequence[int], reps: int, seed: int) -> list[dict[str, Any]]:
    import collapse_guard as cg

    rows: list[dict[str, Any]] = []
    for rep in range(reps):
        rng = common.rng_for(seed, "contamination-table", rep)
        ref = cg.profile(common.human_table(TABLE_REFERENCE_ROWS, rng))
        train = common.human_table(5000, rng)
        for size in sizes:
            for gen_name, gen in TABLE_GENERATORS.items():
                fake = gen(train, round(max(ALPHAS) * size) + 1, rng)
                for alpha in ALPHAS:
                    if alpha == 0 and gen_name != "gaussian mixture":
                        continue  # one clean run per rep and size, listed under the first generator
                    k = round(alpha * size)
                    batch = pd.concat([common.human_table(size - k, rng), fake.iloc[:k]], ignore_index=True)
                    start = time.perf_counter()
                    report = cg.check(batch, ref, select=[NAME], seed=rep)
                    res = _as_case(report, time.perf_counter() - start)
                    rows.append(
                        _row(
                            "tabular",
                            "human_table",
                            gen_name if alpha else "none (clean)",
                            "reference only",
                            alpha,
                            size,
                            rep,
                            res,
                        )
                    )
    return rows


def run(
    sizes: Sequence[int] = (2000,),
    reps: int = 5,
    seed: int = 0,
    table_sizes: Sequence[int] = (5000,),
    table_reps: int | None = None,
) -> list[dict[str, Any]]:
    """All contamination cases; ``sizes`` are text batch sizes, ``table_sizes`` tabular ones."""
    rows = _text_cases(sizes, reps, seed)
    rows += _table_cases(table_sizes, table_reps if table_reps is not None else reps, seed)
    return rows


def markdown(rows: Sequence[dict[str, Any]]) -> str:
    """Accuracy, interval coverage and detection tables."""
    if not rows:
        return "(no runs)\n"
    frame = pd.DataFrame(list(rows))
    frame["error"] = (frame["estimate"] - frame["alpha"]).abs()
    frame["covered"] = (frame["low"] <= frame["alpha"] + 1e-12) & (frame["alpha"] <= frame["high"] + 1e-12)
    frame["over"] = frame["estimate"] - frame["alpha"]
    lines = [
        "## Synthetic-contamination accuracy",
        "",
        "| topic | generator | mode | size | alpha | runs | mean estimate | mean abs error | "
        "max abs error | max over-estimate | 95% interval coverage | warn or fail | fail | "
        "median seconds |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    keys = ["topic", "generator", "mode", "size", "alpha"]
    for key, g in frame.groupby(keys, sort=True):
        topic, gen, mode, size, alpha = key
        lines.append(
            f"| {topic} | {gen} | {mode} | {size} | {alpha:g} | {len(g)} | {g['estimate'].mean():.3f} | "
            f"{g['error'].mean():.3f} | {g['error'].max():.3f} | {g['over'].max():+.3f} | "
            f"{100 * g['covered'].mean():.0f}% | {100 * g['warn'].mean():.0f}% | "
            f"{100 * g['fail'].mean():.0f}% | {g['seconds'].median():.1f} |"
        )
    lines += ["", "## Targets", ""]
    text_s = frame[(frame.topic == "text") & (frame["mode"] == "with synthetic reference")]
    low = text_s[text_s.alpha <= 0.25]
    if len(low):
        lines.append(
            f"- text with a synthetic reference, alpha <= 0.25: max |error| = {low['error'].max():.3f} "
            f"(target <= 0.03), share of runs within 0.03 = {100 * (low['error'] <= 0.03).mean():.0f}%, "
            f"coverage = {100 * low['covered'].mean():.0f}% (target >= 90%)"
        )
        zero = text_s[text_s.alpha == 0]
        if len(zero):
            lines.append(
                f"- text with a synthetic reference, alpha = 0: estimate <= 0.03 in "
                f"{100 * (zero['estimate'] <= 0.03).mean():.0f}% of runs (target >= 95%)"
            )
    text_n = frame[(frame.topic == "text") & (frame["mode"] == "without")]
    if len(text_n):
        hi = text_n[text_n.alpha >= 0.1]
        lines.append(
            f"- text without a synthetic reference, alpha >= 0.10: detected (warn or fail) in "
            f"{100 * hi['warn'].mean():.0f}% of runs (target >= 90%); largest over-estimate of the "
            f"lower bound {text_n['over'].max():+.3f} (target <= +0.03); false alarms at alpha = 0: "
            f"{100 * text_n[text_n.alpha == 0]['warn'].mean():.0f}%"
        )
    tab = frame[frame.topic == "tabular"]
    if len(tab):
        a10 = tab[(tab.alpha == 0.1)]
        clean = tab[tab.alpha == 0]
        lines.append(
            f"- tabular, alpha = 0.10: detected in {100 * a10['warn'].mean():.0f}% of runs "
            f"(target >= 90%); clean batches failed in {100 * clean['fail'].mean():.1f}% of "
            f"{len(clean)} runs (target < 1%), warned in {100 * clean['warn'].mean():.1f}%"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000])
    parser.add_argument("--table-sizes", type=int, nargs="+", default=[5000])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--table-reps", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--output",
        default=str(Path(__file__).resolve().parents[1] / "results" / "contamination.md"),
    )
    args = parser.parse_args()
    result = run(args.sizes, args.reps, args.seed, args.table_sizes, args.table_reps)
    text = (
        "# Contamination benchmark\n\n"
        + (
            f"Command: `python -m benchmarks.detection.contamination --sizes {' '.join(map(str, args.sizes))} "
            f"--table-sizes {' '.join(map(str, args.table_sizes))} --reps {args.reps}"
            + (f" --table-reps {args.table_reps}" if args.table_reps is not None else "")
            + f" --seed {args.seed}`\n\n"
        )
        + markdown(result)
    )
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text, encoding="utf-8")
    print(text)
