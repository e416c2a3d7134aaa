"""Speed of the synthetic-contamination text estimate on a batch of 100,000 documents.

Target (issue 5): the text estimate on 100,000 documents takes under 60 s. The batch is profiled
once (the core's cost, reported separately); then the check runs on the two profiles, with and
without a synthetic reference. Documents are man-page paragraphs plus trigram-LM text.

    python benchmarks/bench_contamination_speed.py [--docs 100000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.detection import common


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--reference-docs", type=int, default=20_000)
    parser.add_argument("--machine-share", type=float, default=0.1)
    args = parser.parse_args()

    import collapse_guard as cg
    from collapse_guard.config import Config
    from collapse_guard.plugins import get_checks
    from collapse_guard.profile import ProfileSettings, build_profile
    from collapse_guard.runner import run_checks

    rng = common.rng_for(0, "contamination-speed")
    human = common.normalise_texts(common.real_texts("man", 60_000, 0))
    ref_docs, gen_train, rest = common.disjoint_split(human, [args.reference_docs, 8000, len(human)], rng)
    lm = common.NgramLM(order=3).fit(gen_train)
    n_machine = int(args.docs * args.machine_share)
    machine = lm.sample(n_machine + 2000, rng, top_p=0.9)
    n_human = args.docs - n_machine
    human_batch = [rest[i % len(rest)] for i in range(n_human)]  # recycled when short
    batch_df = pd.DataFrame({"text": human_batch + machine[2000:]})

    ref = cg.profile(pd.DataFrame({"text": ref_docs}))
    synth = cg.profile(pd.DataFrame({"text": machine[:2000]}))
    start = time.perf_counter()
    batch = build_profile([batch_df], settings=ProfileSettings.batch(), reference=ref)
    t_profile = time.perf_counter() - start
    check = get_checks()["synthetic-contamination"]
    rows = []
    for label, synthetic in (("with synthetic reference", synth), ("without", None)):
        start = time.perf_counter()
        report = run_checks(ref, batch, {check.name: check}, Config(), synthetic=synthetic)
        seconds = time.perf_counter() - start
        head = next(f for f in report.findings if f.metric == "synthetic_share")
        rows.append((label, seconds, head.measurement.value, head.measurement.interval))
    tokens = int(getattr(batch.columns["text"], "tokens", 0))
    print(
        f"batch: {args.docs:,} documents, {tokens:,} tokens; reference {len(ref_docs):,} documents; "
        f"true machine share {n_machine / args.docs:.3f}"
    )
    print(f"profiling the batch (core): {t_profile:.1f} s")
    print("| mode | seconds | synthetic_share | 95% interval |")
    print("|---|---|---|---|")
    for label, seconds, value, interval in rows:
        iv = "" if interval is None else f"[{interval[0]:.3f}, {interval[1]:.3f}]"
        print(f"| {label} | {seconds:.1f} | {value:.3f} | {iv} |")


if __name__ == "__main__":
    main()
