"""Assemble benchmarks/README.md from the result files each benchmark writes to results/.

python benchmarks/make_readme.py
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
HEADER = """# Benchmarks

Speed, memory and detection are measured here, not in timed tests. Every figure below was
produced by the command printed with it, on the project's machine (2 cores, 24 GB RAM,
Python 3.11), which is shared and noisy: compare ratios measured in one run, and prefer the
CPU-time columns where both are given.

| benchmark | what it measures | command |
|---|---|---|
| `bench_speed.py` | `profile` and `check` on 1,000,000 rows vs a pyarrow read+sort floor; peak RSS | `python benchmarks/bench_speed.py` |
| `bench_detection.py` | false alarms on clean human splits and detection of collapse, per check | `python benchmarks/bench_detection.py --only tails,diversity,contamination` |
| `detection/categorical_grid.py` | categorical tail-shrinkage over 81 simulated settings: honest false alarms and 6 collapse scenarios, real check and policy | `python -m benchmarks.detection.categorical_grid --reps-honest 200 --reps-collapsed 20 --seed 0` (`--fast`: about 15 s, printed only) |
| `bench_diversity_speed.py` | diversity-loss on 100,000 documents of about 200 tokens | `python benchmarks/bench_diversity_speed.py` |
| `bench_contamination_speed.py` | the synthetic-share estimate on 100,000 documents | `python benchmarks/bench_contamination_speed.py` |
| `bench_all_checks.py` | recursive-refit generations 3-5 against all default checks together | `python benchmarks/bench_all_checks.py --reps 4` (`--oracle`: the oracle ceilings only) |
| `bench_scan.py` | `scan` over 1,000 small files plus one 2 GB CSV; peak RSS | `python benchmarks/bench_scan.py` |

Real data used by the detection benchmarks ships inside installed packages: scikit-learn's
diabetes, wine, breast-cancer and digits tables, and human-written text from Debian's
`python3-doc` and the man pages (`apt-get install python3-doc man-db manpages`); without them those
sources are skipped.
"""

SECTIONS = [
    ("Speed and memory (`bench_speed.py`)", "speed.md"),
    ("Speed and memory: the memory target, and what was tried", "speed_notes.md"),
    ("tail-shrinkage detection (`bench_detection.py --only tails`)", "tails.md"),
    (
        "tail-shrinkage on categorical columns, simulated grid (`python -m benchmarks.detection.categorical_grid`)",
        "categorical_grid.md",
    ),
    ("All checks together on recursive-refit collapse (`bench_all_checks.py`)", "all_checks.md"),
    ("diversity-loss detection (`bench_detection.py --only diversity`)", "diversity.md"),
    ("diversity-loss at other sizes", "diversity_sizes.md"),
    (
        "synthetic-contamination on text (`python -m benchmarks.detection.contamination --only text`)",
        "contamination_text.md",
    ),
    (
        "synthetic-contamination on tables (`python -m benchmarks.detection.contamination --only table`)",
        "contamination_tabular.md",
    ),
    ("scan (`bench_scan.py`)", "scan.md"),
]


def render() -> str:
    parts = [HEADER]
    for title, name in SECTIONS:
        path = HERE / "results" / name
        if not path.exists():
            continue
        body = path.read_text(encoding="utf-8").strip()
        # Demote the file's own headings so they nest under this page's section.
        body = "\n".join("#" + line if line.startswith("#") else line for line in body.splitlines())
        parts.append(f"## {title}\n\n{body}\n")
    return "\n".join(parts)


if __name__ == "__main__":
    (HERE / "README.md").write_text(render(), encoding="utf-8")
    print("wrote benchmarks/README.md")
