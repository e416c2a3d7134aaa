"""Speed of the diversity-loss check on 100,000 documents of about 200 tokens (MinHash included).

Usage::

    python benchmarks/bench_diversity_speed.py [--docs 100000] [--tokens 200] [--seed 0]

The reference is 20,000 documents of the same Zipf-vocabulary source (``common.zipf_text``). The
script times, separately, building the batch profile (tokenising and hashing) and running the
diversity-loss check on the two profiles, then prints one markdown table row per phase to stdout.
The target (issue 4) is the check under 60 s on this machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--tokens", type=float, default=200.0, help="mean tokens per document")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from detection import common as c

    import collapse_guard as cg
    from collapse_guard.checks.diversity_loss import DiversityLoss
    from collapse_guard.config import Config
    from collapse_guard.profile import build_profile
    from collapse_guard.profile.settings import ProfileSettings
    from collapse_guard.runner import run_checks

    rng = c.rng_for(args.seed, "speed")
    start = time.perf_counter()
    ref_docs = c.zipf_text(20_000, rng, mean_tokens=args.tokens)
    batch_docs = c.zipf_text(args.docs, rng, mean_tokens=args.tokens)
    generate = time.perf_counter() - start
    ref = cg.profile(pd.DataFrame({"text": ref_docs}))

    start, cpu = time.perf_counter(), time.process_time()
    batch = build_profile([pd.DataFrame({"text": batch_docs})], settings=ProfileSettings.batch())
    profile_s, profile_cpu = time.perf_counter() - start, time.process_time() - cpu
    tokens = batch.column("text").tokens  # type: ignore[union-attr]

    check = DiversityLoss()
    start, cpu = time.perf_counter(), time.process_time()
    report = run_checks(ref, batch, {check.name: check}, Config())  # type: ignore[dict-item]
    check_s, check_cpu = time.perf_counter() - start, time.process_time() - cpu
    errors = report.by_status("error")
    if errors:
        print(errors[0].message, file=sys.stderr)
        return 1
    load = os.getloadavg()[0]
    print(f"generated {args.docs:,} + 20,000 documents in {generate:.0f} s", file=sys.stderr)
    print("| phase | documents | tokens | wall seconds | CPU seconds | load average (1 min) |")
    print("|---|---|---|---|---|---|")
    rows = [
        ("batch profile (tokenise, hash)", profile_s, profile_cpu),
        ("diversity-loss check (incl. MinHash)", check_s, check_cpu),
        ("total", profile_s + check_s, profile_cpu + check_cpu),
    ]
    for name, wall, cpu_s in rows:
        print(f"| {name} | {args.docs:,} | {tokens:,} | {wall:.1f} | {cpu_s:.1f} | {load:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
