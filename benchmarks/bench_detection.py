"""Detection benchmark orchestrator: false alarms on human splits, detection of collapse.

Usage::

    python benchmarks/bench_detection.py --only tails,diversity,contamination \
        --reps 10 --sizes 1000,5000,20000 [--seed 0] [--out benchmarks/results]

Each topic is a module ``benchmarks/detection/<topic>.py`` exposing
``run(sizes, reps, seed) -> list[dict]`` and ``markdown(rows) -> str``. The markdown goes to
``<out>/<topic>.md`` and the raw rows to ``<out>/<topic>.json`` (so tables can be rebuilt without
re-running). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOPICS = ("tails", "diversity", "contamination")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(TOPICS), help="comma-separated topics (default: all)")
    parser.add_argument("--reps", type=int, default=10, help="repetitions per cell")
    parser.add_argument("--sizes", default="1000,5000,20000", help="batch sizes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument(
        "--markdown-only",
        action="store_true",
        help="rebuild the markdown from <out>/<topic>.json without running",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    topics = [t.strip() for t in args.only.split(",") if t.strip()]
    sys.path.insert(0, str(HERE))
    args.out.mkdir(parents=True, exist_ok=True)
    for topic in topics:
        try:
            module = importlib.import_module(f"detection.{topic}")
        except ModuleNotFoundError as exc:
            print(f"bench_detection: no topic module detection/{topic}.py ({exc})", file=sys.stderr)
            return 2
        raw = args.out / f"{topic}.json"
        start = time.perf_counter()
        if args.markdown_only:
            rows = json.loads(raw.read_text())
        else:
            rows = module.run(sizes, args.reps, args.seed)
            raw.write_text(json.dumps(rows, indent=1, default=float))
        text = module.markdown(rows)
        command = (
            f"python benchmarks/bench_detection.py --only {topic} --reps {args.reps} "
            f"--sizes {args.sizes} --seed {args.seed}"
        )
        text += f"\nProduced by `{command}` ({len(rows)} runs).\n"
        (args.out / f"{topic}.md").write_text(text)
        print(
            f"bench_detection: {topic}: {len(rows)} runs in "
            f"{time.perf_counter() - start:.0f}s -> {args.out / (topic + '.md')}",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
