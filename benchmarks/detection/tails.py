"""Detection benchmark for the tail-shrinkage check (false alarms, detection, text speed).

Every case goes through the public API (``collapse_guard.profile`` for the reference once per
source, ``collapse_guard.check(..., select=["tail-shrinkage"])`` per batch) via
``common.evaluate``, so the figures are what users get at default settings.

Clean cases: disjoint human/human splits from generated sources (Gaussian, lognormal and Pareto
columns, a Zipf categorical column, Zipf-vocabulary text) and from real data on this machine
(scikit-learn's bundled tables, Debian man pages and the Python documentation).

Collapse cases:
- recursive refits, generations 1-5, each generation fitted on the previous one's batch
  (generation 0 is a fresh human sample): Gaussian refit, 3-component Gaussian mixture, Gaussian
  KDE (widens rather than thins: seen by the excess findings ``tail_mass_excess_*``,
  ``spread_excess_q99_q01`` and ``spread_excess_normal_scores``), bootstrap of the previous
  generation
  (numeric and categorical);
- text: a word trigram model trained on the reference (generation 1), then on its own output,
  sampled with top-k = 20 or nucleus p = 0.9;
- fixed-severity targets: the upper 1% tail halved; 10 of the 50 rarest categories removed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from . import common as c

TOPIC = "tails"
CHECKS = ["tail-shrinkage"]
REFERENCE_ROWS = 20_000
REFERENCE_DOCS = 20_000
GENERATIONS = 5
NUMERIC_SOURCES: dict[str, Callable[..., np.ndarray]] = {
    "gaussian": c.gaussian,
    "lognormal": c.lognormal,
    "pareto": c.pareto,
}
REFIT: dict[str, Callable[..., Any]] = {
    "gaussian_refit": c.refit_gaussian,
    "gmm_refit": c.refit_gmm,
    "kde_refit": c.refit_kde,
    "bootstrap": c.resample,
}
# 100 Zipf(1.1) categories: 10 of the 50 rarest hold about 2% of the rows (the target).
N_CATEGORIES = 100


# One result row of this topic (common.case_row).
_row = partial(c.case_row, TOPIC)


def _eval(ref_prof: Any, batch: pd.DataFrame, seed: int) -> c.CaseResult:
    return c.evaluate(pd.DataFrame(), batch, CHECKS, seed=seed, reference_profile=ref_prof)


def _numeric(sizes: list[int], reps: int, seed: int, log: Callable[[str], None]) -> list[dict]:
    import collapse_guard as cg

    rows: list[dict] = []
    for source, draw in NUMERIC_SOURCES.items():
        ref_x = draw(REFERENCE_ROWS, c.rng_for(seed, "ref", source))
        ref = cg.profile(pd.DataFrame({"value": ref_x}))
        for size in sizes:
            for rep in range(reps):
                rng = c.rng_for(seed, source, size, rep)
                gen0 = draw(size, rng)
                res = _eval(ref, pd.DataFrame({"value": gen0}), seed)
                rows.append(_row("clean", source, "human", 0, size, size, rep, res))
                # Target: the upper 1% tail with half its mass.
                thin = c.thin_tail(draw(size, rng), ref_x, 0.99, 0.5, rng)
                res = _eval(ref, pd.DataFrame({"value": thin}), seed)
                rows.append(_row("collapse", source, "upper_q99_halved", 1, size, size, rep, res))
                for name, gen in REFIT.items():
                    for g, x in enumerate(c.recursive(gen, gen0, size, GENERATIONS, rng), 1):
                        res = _eval(ref, pd.DataFrame({"value": x}), seed)
                        rows.append(_row("collapse", source, name, g, size, size, rep, res))
            log(f"tails: numeric {source} n={size} done")
    return rows


def _categorical(sizes: list[int], reps: int, seed: int, log: Callable[[str], None]) -> list[dict]:
    import collapse_guard as cg

    rows: list[dict] = []
    labels = c.category_labels(N_CATEGORIES)
    probs = c.zipf_probs(N_CATEGORIES)
    ref_x = c.zipf_categories(REFERENCE_ROWS, c.rng_for(seed, "ref", "zipf"), N_CATEGORIES)
    ref = cg.profile(pd.DataFrame({"category": ref_x}))
    rarest = labels[-50:]
    for size in sizes:
        for rep in range(reps):
            rng = c.rng_for(seed, "zipf", size, rep)
            gen0 = c.zipf_categories(size, rng, N_CATEGORIES)
            res = _eval(ref, pd.DataFrame({"category": gen0}), seed)
            rows.append(_row("clean", "zipf_categorical", "human", 0, size, size, rep, res))
            gone = rng.choice(rarest, size=10, replace=False)
            mass = float(probs[np.isin(labels, gone)].sum())
            dropped = c.drop_categories(c.zipf_categories(size, rng, N_CATEGORIES), gone, rng)
            res = _eval(ref, pd.DataFrame({"category": dropped}), seed)
            rows.append(
                _row(
                    "collapse",
                    "zipf_categorical",
                    "rarest50_drop10",
                    1,
                    size,
                    size,
                    rep,
                    res,
                    removed_mass=mass,
                )
            )
            for g, x in enumerate(c.recursive(c.resample, gen0, size, GENERATIONS, rng), 1):
                res = _eval(ref, pd.DataFrame({"category": x}), seed)
                rows.append(_row("collapse", "zipf_categorical", "bootstrap", g, size, size, rep, res))
        log(f"tails: categorical n={size} done")
    return rows


def _text_pool(source: str, seed: int) -> list[str]:
    if source == "zipf_text":
        return c.zipf_text(REFERENCE_DOCS + 40_000, c.rng_for(seed, "zipf_text"))
    return c.real_texts(source, max_docs=REFERENCE_DOCS + 40_000, seed=seed)


def _text(sizes: list[int], reps: int, seed: int, log: Callable[[str], None]) -> list[dict]:
    import collapse_guard as cg

    rows: list[dict] = []
    sources = ["zipf_text", *c.available_text_sources()]
    samplers: dict[str, dict[str, Any]] = {
        "trigram_topk20": {"top_k": 20},
        "trigram_nucleus0.9": {"top_p": 0.9},
    }
    for source in sources:
        pool = _text_pool(source, seed)
        ref_docs, rest = c.disjoint_split(pool, [REFERENCE_DOCS, len(pool)], c.rng_for(seed, "split", source))
        ref = cg.profile(pd.DataFrame({"text": ref_docs}))
        norm_ref_docs = c.normalise_texts(ref_docs)
        norm_ref = cg.profile(pd.DataFrame({"text": norm_ref_docs}))
        lm = c.NgramLM(order=3).fit(norm_ref_docs)
        for size in sizes:
            for rep in range(reps):
                rng = c.rng_for(seed, source, size, rep)
                (batch,) = c.disjoint_split(rest, [size], rng)
                res = _eval(ref, pd.DataFrame({"text": batch}), seed)
                rows.append(_row("clean", source, "human", 0, size, len(batch), rep, res))
                if source == "zipf_text":
                    continue  # i.i.d. words: an n-gram model of them is not a meaningful case
                for name, kw in samplers.items():
                    gen = lm.sample(size, rng, **kw)
                    for g in range(1, GENERATIONS + 1):
                        if g > 1:
                            gen = c.NgramLM(order=3).fit(gen).sample(size, rng, **kw)
                        res = _eval(norm_ref, pd.DataFrame({"text": gen}), seed)
                        rows.append(_row("collapse", source, name, g, size, size, rep, res))
            log(f"tails: text {source} n={size} done")
    return rows


def _real_tables(sizes: list[int], reps: int, seed: int, log: Callable[[str], None]) -> list[dict]:
    import collapse_guard as cg

    rows: list[dict] = []
    for name in c.REAL_TABLES:
        frame = c.real_table(name)
        half = len(frame) // 2
        for rep in range(reps * len(sizes)):
            rng = c.rng_for(seed, name, rep)
            ref_part, batch = c.disjoint_split(frame, [len(frame) - half, half], rng)
            res = c.evaluate(ref_part, batch, CHECKS, seed=seed, reference_profile=cg.profile(ref_part))
            rows.append(_row("clean", f"sklearn_{name}", "human", 0, len(batch), len(batch), rep, res))
        log(f"tails: real table {name} done")
    return rows


def text_speed(seed: int = 0, docs: int = 60_000) -> dict[str, Any]:
    """Tokens per second of ``collapse_guard.profile`` on a text column of man-page paragraphs.

    Reports CPU seconds of this process (one core's throughput, not slowed by other processes
    on a shared machine) and wall-clock seconds; best of three.
    """
    import collapse_guard as cg
    from collapse_guard.text import tokenize

    texts = c.real_texts("man", max_docs=docs, seed=seed)
    frame = pd.DataFrame({"text": texts})
    tokens = int(tokenize(texts).offsets[-1])
    cpu_profile = wall_profile = cpu_tok = float("inf")
    for _ in range(3):
        w, t = time.perf_counter(), time.process_time()
        cg.profile(frame)
        cpu_profile = min(cpu_profile, time.process_time() - t)
        wall_profile = min(wall_profile, time.perf_counter() - w)
        t = time.process_time()
        tokenize(texts)
        cpu_tok = min(cpu_tok, time.process_time() - t)
    return {
        "docs": len(texts),
        "tokens": tokens,
        "profile_tokens_per_s": tokens / cpu_profile,
        "profile_tokens_per_s_wall": tokens / wall_profile,
        "tokenize_tokens_per_s": tokens / cpu_tok,
    }


def run(sizes: list[int], reps: int, seed: int) -> list[dict]:
    """All tail cases; rows as described in ``common``'s docstring."""
    import sys

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    rows: list[dict] = []
    rows += _numeric(sizes, reps, seed, log)
    rows += _categorical(sizes, reps, seed, log)
    rows += _text(sizes, reps, seed, log)
    rows += _real_tables(sizes, reps, seed, log)
    if os.environ.get("BENCH_SKIP_SPEED") != "1":
        speed = text_speed(seed)
        rows.append({"topic": TOPIC, "case": "speed", **speed})
        log(f"tails: text speed {speed}")
    return rows


# --------------------------------------------------------------------------- markdown


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%" if x == x else "-"


def _detection_table(frame: pd.DataFrame) -> str:
    sizes = sorted(frame["size"].unique())
    gens = sorted(frame["generation"].unique())
    head = "| generator | source | " + " | ".join(f"n={s:,} g{g}" for s in sizes for g in gens) + " |"
    lines = [head, "|" + "---|" * (2 + len(sizes) * len(gens))]
    for (gen_name, source), group in frame.groupby(["generator", "source"], sort=True):
        cells = []
        for s in sizes:
            for g in gens:
                sub = group[(group["size"] == s) & (group["generation"] == g)]
                cells.append(_pct(sub["warn"].mean()) if len(sub) else "")
        lines.append(f"| {gen_name} | {source} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _targets(frame: pd.DataFrame, speed: dict[str, Any] | None) -> str:
    clean = frame[frame["case"] == "clean"]
    col = frame[frame["case"] == "collapse"]
    n5 = col[col["size"] == 5000]
    lines = ["| target | measured | goal | met |", "|---|---|---|---|"]

    def add(name: str, value: float, goal: str, ok: bool) -> None:
        lines.append(f"| {name} | {_pct(value)} | {goal} | {'yes' if ok else 'NO'} |")

    if len(clean):
        add(
            "clean: fail rate (all sources and sizes)",
            clean["fail"].mean(),
            "< 1%",
            clean["fail"].mean() < 0.01,
        )
        add("clean: warn-or-fail rate", clean["warn"].mean(), "< 5%", clean["warn"].mean() < 0.05)
        # tail_mass_excess_*, spread_excess_q99_q01 and spread_excess_normal_scores
        widening = clean["flagged"].fillna("").str.contains("_excess_q|_excess_normal_scores")
        add(
            "clean: warn-or-fail rate from the widening (excess) findings",
            widening.mean(),
            "< 5%",
            widening.mean() < 0.05,
        )
    halved = n5[n5["generator"] == "upper_q99_halved"]
    if len(halved):
        add(
            "n=5,000: upper 1% tail halved, detected",
            halved["warn"].mean(),
            ">= 90%",
            halved["warn"].mean() >= 0.9,
        )
    drop = n5[n5["generator"] == "rarest50_drop10"]
    if len(drop):
        mass = drop["removed_mass"].mean()
        add(
            f"n=5,000: 10 of the 50 rarest categories removed ({mass:.1%} of mass)",
            drop["warn"].mean(),
            ">= 90%",
            drop["warn"].mean() >= 0.9,
        )
    topk = n5[(n5["generator"] == "trigram_topk20") & (n5["generation"] == 1)]
    if len(topk):
        add(
            "n=5,000: trigram top-k 20, generation 1",
            topk["warn"].mean(),
            ">= 95%",
            topk["warn"].mean() >= 0.95,
        )
    late = n5[
        (n5["generation"] >= 3)
        & n5["generator"].isin(
            ["gaussian_refit", "gmm_refit", "kde_refit", "bootstrap", "trigram_topk20", "trigram_nucleus0.9"]
        )
    ]
    for (gen_name, source), group in late.groupby(["generator", "source"], sort=True):
        add(
            f"n=5,000: {gen_name} on {source}, generations 3-5",
            group["warn"].mean(),
            ">= 90%",
            group["warn"].mean() >= 0.9,
        )
    if speed:
        lines.append(
            f"| text profiling speed, CPU time of one process (man pages, {speed['tokens']:,} "
            f"tokens) | {speed['profile_tokens_per_s'] / 1e6:.2f} M tokens/s (wall clock "
            f"{speed['profile_tokens_per_s_wall'] / 1e6:.2f} M/s; tokenizer alone "
            f"{speed['tokenize_tokens_per_s'] / 1e6:.2f} M/s) | >= 2 M tokens/s | "
            f"{'yes' if speed['profile_tokens_per_s'] >= 2e6 else 'NO'} |"
        )
    return "\n".join(lines) + "\n"


def markdown(rows: list[dict]) -> str:
    """Tables: targets, clean false alarms by source and size, detection by generation."""
    speed = next((r for r in rows if r.get("case") == "speed"), None)
    frame = pd.DataFrame([r for r in rows if r.get("case") in ("clean", "collapse")])
    out = ["## tail-shrinkage detection benchmark", ""]
    if frame.empty:
        return "\n".join([*out, "(no runs)", ""])
    generated = frame[~frame["source"].astype(str).str.startswith("sklearn_")]
    per_size = generated[generated["case"] == "clean"].groupby("size")["rep"].nunique()
    reps = ", ".join(f"{v} at n={k:,}" for k, v in per_size.items())
    out += [
        "Default settings; every run goes through `collapse_guard.profile` / "
        "`collapse_guard.check(select=['tail-shrinkage'])`. A run *warns* when any "
        "tail-shrinkage finding is warn or fail (the detection rate), and *fails* when any "
        f"is fail. Repetitions per cell: {reps} (real tables: disjoint halves, re-split "
        "per run).",
        "",
        "### Targets",
        "",
        _targets(frame, speed),
        "### Clean human/human splits (false alarms)",
        "",
        c.rate_table(
            [{str(k): v for k, v in r.items()} for r in frame[frame["case"] == "clean"].to_dict("records")],
            ["source", "size"],
        ),
        "### Detection rate (warn or fail) by generation",
        "",
        "Generation 1 of `upper_q99_halved` and `rarest50_drop10` is the fixed-severity target "
        "case. `kde_refit` widens the distribution: the excess findings "
        "(`tail_mass_excess_q01_q99`, `tail_mass_excess_q05_q95`, `spread_excess_q99_q01`, "
        "`spread_excess_normal_scores`) are the ones that see it. `bootstrap` on numeric columns keeps the range: this check "
        "is not meant to see it (synthetic-contamination and diversity-loss are).",
        "",
        _detection_table(frame[frame["case"] == "collapse"]),
    ]
    return "\n".join(out)
