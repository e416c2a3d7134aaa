"""Detection benchmark for the diversity-loss check (false alarms and detection rates).

Every case goes through the public API (``collapse_guard.profile`` once per source,
``collapse_guard.check(..., select=["diversity-loss"])`` per batch) via ``common.evaluate``, at
default settings.

Clean cases (disjoint human/human splits): Debian man-page and Python-documentation paragraphs,
Zipf-vocabulary text, a Zipf categorical column, an 8-mode 2-D Gaussian mixture with a categorical
mode label, the mixed ``human_table`` and scikit-learn's bundled real tables.

Collapse cases:
- text from a word trigram model trained on the (normalised) reference, then on its own output,
  generations 1-3, sampled with nucleus p = 0.9, top-k = 20, or temperature 0.7 (compared with the
  normalised reference, so casing and punctuation do not differ);
- the 8-mode mixture with 2 modes dropped from the batch;
- 5% and 20% of a human batch replaced by near-duplicates (a copy of another batch document with
  one word substituted);
- a Zipf categorical column sampled at temperature 0.7 (probabilities ``p^(1/0.7)``, renormalised).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from . import common as c

TOPIC = "diversity"
CHECKS = ["diversity-loss"]
REFERENCE_ROWS = 20_000
REFERENCE_DOCS = 20_000
GENERATIONS = 3
N_CATEGORIES = 200
ANGLES = 2 * np.pi * np.arange(8) / 8


# One result row of this topic (common.case_row).
_row = partial(c.case_row, TOPIC)


def _eval(ref_prof: Any, batch: pd.DataFrame, seed: int) -> c.CaseResult:
    return c.evaluate(pd.DataFrame(), batch, CHECKS, seed=seed, reference_profile=ref_prof)


def mixture(n: int, rng: np.random.Generator, modes: list[int] | None = None) -> pd.DataFrame:
    """8 unit Gaussians on a circle of radius 6, plus the mode label as a categorical column."""
    keep = list(range(8)) if modes is None else modes
    which = rng.choice(keep, size=n)
    return pd.DataFrame(
        {
            "x": 6 * np.cos(ANGLES[which]) + rng.standard_normal(n),
            "y": 6 * np.sin(ANGLES[which]) + rng.standard_normal(n),
            "mode": np.array([f"m{k}" for k in range(8)], dtype=object)[which],
        }
    )


def inject_near_duplicates(docs: list[str], share: float, rng: np.random.Generator) -> list[str]:
    """Replace ``share`` of the documents by copies of other documents with one word changed."""
    out = list(docs)
    n_dup = round(share * len(docs))
    targets = rng.choice(len(docs), size=n_dup, replace=False)
    others = np.setdiff1d(np.arange(len(docs)), targets)
    sources = rng.choice(others, size=n_dup, replace=True)
    filler = " ".join(docs[:50]).split() or ["word"]
    for t, s in zip(targets.tolist(), sources.tolist(), strict=True):
        words = docs[s].split()
        if words:
            words[int(rng.integers(len(words)))] = filler[int(rng.integers(len(filler)))]
        out[t] = " ".join(words)
    return out


def _text(sizes: list[int], reps: int, seed: int, log: Callable[[str], None]) -> list[dict]:
    import collapse_guard as cg

    rows: list[dict] = []
    samplers: dict[str, dict[str, Any]] = {
        "trigram_nucleus0.9": {"top_p": 0.9},
        "trigram_topk20": {"top_k": 20},
        "trigram_temperature0.7": {"temperature": 0.7},
    }
    for source in ["zipf_text", *c.available_text_sources()]:
        if source == "zipf_text":
            pool = c.zipf_text(REFERENCE_DOCS + 40_000, c.rng_for(seed, "zipf_text"))
        else:
            pool = c.real_texts(source, max_docs=REFERENCE_DOCS + 40_000, seed=seed)
        ref_docs, rest = c.disjoint_split(pool, [REFERENCE_DOCS, len(pool)], c.rng_for(seed, "split", source))
        ref = cg.profile(pd.DataFrame({"text": ref_docs}))
        norm_ref_docs = c.normalise_texts(ref_docs)
        norm_ref = cg.profile(pd.DataFrame({"text": norm_ref_docs}))
        lm = c.NgramLM(order=3).fit(norm_ref_docs) if source != "zipf_text" else None
        for size in sizes:
            for rep in range(reps):
                rng = c.rng_for(seed, TOPIC, source, size, rep)
                (batch,) = c.disjoint_split(rest, [size], rng)
                res = _eval(ref, pd.DataFrame({"text": batch}), seed)
                rows.append(_row("clean", source, "human", 0, size, len(batch), rep, res))
                for share in (0.05, 0.2):
                    dup = inject_near_duplicates(batch, share, rng)
                    res = _eval(ref, pd.DataFrame({"text": dup}), seed)
                    rows.append(_row("collapse", source, f"near_dup_{share:.0%}", 1, size, size, rep, res))
                if lm is None:
                    continue  # i.i.d. words: an n-gram model of them is not a meaningful case
                for name, kw in samplers.items():
                    gen = lm.sample(size, rng, **kw)
                    for g in range(1, GENERATIONS + 1):
                        if g > 1:
                            gen = c.NgramLM(order=3).fit(gen).sample(size, rng, **kw)
                        res = _eval(norm_ref, pd.DataFrame({"text": gen}), seed)
                        rows.append(_row("collapse", source, name, g, size, size, rep, res))
            log(f"diversity: text {source} n={size} done")
    return rows


def _tables(sizes: list[int], reps: int, seed: int, log: Callable[[str], None]) -> list[dict]:
    import collapse_guard as cg

    rows: list[dict] = []
    mix_ref = cg.profile(mixture(REFERENCE_ROWS, c.rng_for(seed, "ref", "mixture")))
    cat_ref = cg.profile(
        pd.DataFrame({"category": c.zipf_categories(REFERENCE_ROWS, c.rng_for(seed, "ref", "zipf"))})
    )
    table_ref = cg.profile(c.human_table(REFERENCE_ROWS, c.rng_for(seed, "ref", "table")))
    labels = c.category_labels(N_CATEGORIES)
    hot = c.zipf_probs(N_CATEGORIES) ** (1 / 0.7)
    hot /= hot.sum()
    for size in sizes:
        for rep in range(reps):
            rng = c.rng_for(seed, TOPIC, "tables", size, rep)
            res = _eval(mix_ref, mixture(size, rng), seed)
            rows.append(_row("clean", "gmm8", "human", 0, size, size, rep, res))
            dropped = mixture(size, rng, modes=[0, 1, 2, 3, 4, 5])
            res = _eval(mix_ref, dropped, seed)
            rows.append(_row("collapse", "gmm8", "drop_2_of_8_modes", 1, size, size, rep, res))
            res = _eval(cat_ref, pd.DataFrame({"category": c.zipf_categories(size, rng)}), seed)
            rows.append(_row("clean", "zipf_categorical", "human", 0, size, size, rep, res))
            cold = labels[rng.choice(N_CATEGORIES, size=size, p=hot)]
            res = _eval(cat_ref, pd.DataFrame({"category": cold}), seed)
            rows.append(_row("collapse", "zipf_categorical", "temperature0.7", 1, size, size, rep, res))
            res = _eval(table_ref, c.human_table(size, rng), seed)
            rows.append(_row("clean", "human_table", "human", 0, size, size, rep, res))
        log(f"diversity: tables n={size} done")
    for name in c.REAL_TABLES:
        frame = c.real_table(name)
        half = len(frame) // 2
        for rep in range(reps):
            rng = c.rng_for(seed, TOPIC, name, rep)
            ref_part, batch = c.disjoint_split(frame, [len(frame) - half, half], rng)
            res = c.evaluate(ref_part, batch, CHECKS, seed=seed, reference_profile=cg.profile(ref_part))
            rows.append(_row("clean", f"sklearn_{name}", "human", 0, len(batch), len(batch), rep, res))
        log(f"diversity: real table {name} done")
    return rows


def naeem_known_value(n: int = 10_000, d: int = 1_000, seed: int = 0) -> dict[str, Any]:
    """Naeem et al.'s README case: identical N(0, I), N = M = n, dimension d, k = 5."""
    from collapse_guard.stats.coverage import density_coverage, expected_coverage_identical

    rng = c.rng_for(seed, "naeem")
    start = time.perf_counter()
    res = density_coverage(rng.standard_normal((n, d)), rng.standard_normal((n, d)), 5, threads=None)
    return {
        "topic": TOPIC,
        "case": "naeem",
        "n": n,
        "d": d,
        "coverage": res.coverage,
        "density": res.density,
        "expected_coverage": expected_coverage_identical(n, n, 5),
        "seconds": time.perf_counter() - start,
    }


def run(sizes: list[int], reps: int, seed: int) -> list[dict]:
    """All diversity cases; rows as described in ``common``'s docstring."""

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    rows: list[dict] = []
    rows += _tables(sizes, reps, seed, log)
    rows += _text(sizes, reps, seed, log)
    naeem = naeem_known_value(seed=seed)
    rows.append(naeem)
    log(f"diversity: Naeem known value {naeem}")
    return rows


# --------------------------------------------------------------------------- markdown


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%" if x == x else "-"


def _targets(frame: pd.DataFrame) -> str:
    clean = frame[frame["case"] == "clean"]
    col = frame[frame["case"] == "collapse"]
    n2 = col[col["size"] == 2000]
    lines = ["| target | measured | goal | met |", "|---|---|---|---|"]

    def add(name: str, value: float, goal: str, ok: bool) -> None:
        lines.append(f"| {name} | {_pct(value)} | {goal} | {'yes' if ok else 'NO'} |")

    if len(clean):
        add(
            f"clean: fail rate ({len(clean)} runs, all sources)",
            clean["fail"].mean(),
            "< 1%",
            clean["fail"].mean() < 0.01,
        )
        add("clean: warn-or-fail rate", clean["warn"].mean(), "< 5%", clean["warn"].mean() < 0.05)
    cases = [
        ("n=2,000: trigram nucleus 0.9, generation 1", "trigram_nucleus0.9", 1),
        ("n=2,000: 2 of 8 mixture modes dropped", "drop_2_of_8_modes", 1),
        ("n=2,000: 5% near-duplicates injected", "near_dup_5%", 1),
    ]
    for label, gen, g in cases:
        sub = n2[(n2["generator"] == gen) & (n2["generation"] == g)]
        if len(sub):
            add(f"{label} ({len(sub)} runs)", sub["warn"].mean(), ">= 90%", sub["warn"].mean() >= 0.9)
    return "\n".join(lines) + "\n"


def _flag_counts(frame: pd.DataFrame) -> str:
    counts: dict[str, int] = {}
    for flagged in frame["flagged"].fillna(""):
        for item in filter(None, str(flagged).split(";")):
            metric = item.split(":", 1)[1]
            counts[metric] = counts.get(metric, 0) + 1
    if not counts:
        return "(none)\n"
    return ", ".join(f"`{k}` {v}" for k, v in sorted(counts.items(), key=lambda t: -t[1])) + "\n"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def markdown(rows: list[dict]) -> str:
    """Results page: targets, false alarms per source, detection per case, the Naeem check."""
    frame = pd.DataFrame([r for r in rows if r.get("case") in ("clean", "collapse")])
    naeem = [r for r in rows if r.get("case") == "naeem"]
    out = ["# diversity-loss detection benchmark", ""]
    out += [
        "Batches go through `collapse_guard.check(..., select=['diversity-loss'])` at default "
        "settings; a run counts as detected when any diversity-loss finding warns or fails. "
        f"References hold {REFERENCE_DOCS:,} documents or {REFERENCE_ROWS:,} rows "
        "(the real tables are split in halves).",
        "",
        "## Targets",
        "",
        _targets(frame) if len(frame) else "(no runs)\n",
        "## False alarms on human splits",
        "",
        c.rate_table(_records(frame[frame["case"] == "clean"]), ["source", "size"]),
        "Metrics that warned or failed on clean runs: " + _flag_counts(frame[frame["case"] == "clean"]),
        "## Detection",
        "",
        c.rate_table(
            _records(frame[frame["case"] == "collapse"]),
            ["generator", "source", "generation", "size"],
        ),
        "Metrics that warned or failed on collapsed runs: "
        + _flag_counts(frame[frame["case"] == "collapse"]),
    ]
    if len(frame):
        secs = frame.groupby("size")["seconds"].median()
        out += [
            "Median seconds per batch (profile + diversity-loss): "
            + ", ".join(f"n={k:,}: {v:.1f} s" for k, v in secs.items()),
            "",
        ]
    if naeem:
        r = naeem[0]
        out += [
            "## Naeem et al. (2020) known value",
            "",
            f"Identical N(0, I) samples, N = M = {r['n']:,}, d = {r['d']:,}, k = 5: coverage "
            f"**{r['coverage']:.4f}** (exchangeability expectation {r['expected_coverage']:.4f}; "
            f"the authors' README reports 0.9735), density **{r['density']:.4f}** (expectation "
            f"1; README 1.0555), in {r['seconds']:.0f} s.",
            "",
        ]
    return "\n".join(out)
