"""Time and peak memory of ``collapse-guard scan`` over a folder of many small files and one big CSV.

Generates, in a temporary folder that is deleted afterwards (unless ``--keep``):

* ``human.csv``: 20,000 rows, the trusted reference (profiled to ``reference.json.gz``);
* ``data/small/``: ``--small-files`` files of ``--small-rows`` rows each, cycling through csv,
  jsonl and parquet, same process as the reference;
* ``data/big.csv``: one CSV of about ``--big-gb`` GiB from the same process, written in blocks.

Columns: three numeric (lognormal, gamma, normal) and two categorical (60 countries with a rare
tail, a 4-level status). Then runs ``collapse-guard scan data -r reference.json.gz --format json``
as a child process (optionally with ``--select``) and reads its wall time, CPU time and peak RSS
from ``os.wait4``. The JSON report is checked: every file must have a status.

Target (issue 6): 1,000 small files plus one 2 GB CSV with peak RSS under 1 GB.

Usage::

    python benchmarks/bench_scan.py                           # 1,000 files + 2 GiB, all checks
    python benchmarks/bench_scan.py --select tail-shrinkage,diversity-loss
    python benchmarks/bench_scan.py --small-files 50 --big-gb 0.1 --workdir /tmp/cg-scan --keep

Appends a section to ``benchmarks/results/scan.md`` (and prints it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

RESULTS = Path(__file__).parent / "results" / "scan.md"
COUNTRIES = [f"c{i:02d}" for i in range(60)]
P_COUNTRY = np.r_[np.full(10, 0.06), np.full(50, 0.4 / 50)]


def table(rng: np.random.Generator, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "amount": rng.lognormal(4, 1, n).round(2),
            "latency_ms": rng.gamma(2, 30, n).round(1),
            "score": rng.normal(0, 1, n).round(3),
            "country": rng.choice(COUNTRIES, n, p=P_COUNTRY),
            "status": rng.choice(["ok", "retry", "error", "timeout"], n, p=[0.9, 0.05, 0.04, 0.01]),
        }
    )


def generate(root: Path, small_files: int, small_rows: int, big_bytes: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    table(rng, 20_000).to_csv(root / "human.csv", index=False)
    small = root / "data" / "small"
    small.mkdir(parents=True)
    for i in range(small_files):
        t = table(rng, small_rows)
        kind = i % 3
        if kind == 0:
            t.to_csv(small / f"part {i:05d}.csv", index=False)
        elif kind == 1:
            t.to_json(small / f"part {i:05d}.jsonl", orient="records", lines=True)
        else:
            t.to_parquet(small / f"part {i:05d}.parquet")
    big = root / "data" / "big.csv"
    with pa.OSFile(str(big), "wb") as sink:
        first = pa.Table.from_pandas(table(rng, 1_000_000), preserve_index=False)
        with pacsv.CSVWriter(sink, first.schema) as writer:
            writer.write_table(first)
            while sink.tell() < big_bytes:
                writer.write_table(pa.Table.from_pandas(table(rng, 1_000_000), preserve_index=False))


def run_child(cmd: list[str], stdout: Path) -> tuple[int, float, float, float]:
    """Run ``cmd``; return (exit code, wall s, CPU s, peak RSS MiB) of that child alone.

    The child runs in the benchmark's folder, so no project config file is picked up.
    """
    start = time.perf_counter()
    with stdout.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, cwd=stdout.parent)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    assert proc.stderr is not None
    err = proc.stderr.read().decode(errors="replace")
    if err.strip():
        print(err, file=sys.stderr)
    code = os.waitstatus_to_exitcode(status)
    return code, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small-files", type=int, default=1000)
    ap.add_argument("--small-rows", type=int, default=200)
    ap.add_argument("--big-gb", type=float, default=2.0)
    ap.add_argument("--select", default=None, help="comma-separated checks (default: all)")
    ap.add_argument("--max-line-bytes", default=None, help="passed to scan (the CSV block size; default 32M)")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    root = Path(args.workdir or tempfile.mkdtemp(prefix="cg-bench-scan-"))
    root.mkdir(parents=True, exist_ok=True)
    cg = [sys.executable, "-m", "collapse_guard"]
    try:
        t0 = time.perf_counter()
        if not (root / "data").exists():
            generate(root, args.small_files, args.small_rows, int(args.big_gb * 2**30), args.seed)
        gen_s = time.perf_counter() - t0
        big_size = (root / "data" / "big.csv").stat().st_size
        subprocess.run(
            [*cg, "profile", str(root / "human.csv"), "-o", str(root / "reference.json.gz")],
            check=True,
            capture_output=True,
            cwd=root,
        )
        cmd = [*cg, "scan", str(root / "data"), "-r", str(root / "reference.json.gz"), "--format", "json"]
        if args.select:
            cmd += ["--select", args.select]
        if args.max_line_bytes:
            cmd += ["--max-line-bytes", args.max_line_bytes]
        code, wall, cpu, rss = run_child(cmd, root / "report.json")
        report = json.loads((root / "report.json").read_text(encoding="utf-8"))
        files = report["files"]
        assert len(files) == args.small_files + 1, len(files)
        assert all(f["status"] and f["reason"] for f in files)
        big = next(f for f in files if f["path"].endswith("big.csv"))
        base_code, _, _, base_rss = run_child(
            [sys.executable, "-c", "import collapse_guard.cli"], root / "baseline.txt"
        )
        assert base_code == 0
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    checks = args.select or "all installed checks"
    if args.max_line_bytes:
        checks += f"; --max-line-bytes {args.max_line_bytes}"
    lines = [
        f"### {args.small_files:,} files of {args.small_rows} rows + one "
        f"{big_size / 2**30:.2f} GiB CSV ({big['rows']:,} rows); checks: {checks}",
        "",
        "| measure | value |",
        "|---|---|",
        f"| wall time | {wall:,.0f} s |",
        f"| CPU time (user + system) | {cpu:,.0f} s |",
        f"| peak RSS | {rss:,.0f} MiB (target < 1,024 MiB) |",
        f"| peak RSS of `import collapse_guard.cli` alone | {base_rss:,.0f} MiB |",
        f"| exit code | {code} |",
        f"| file statuses | {report['summary']} |",
        f"| big.csv status | {big['status']}: {big['reason'][:120]} |",
        f"| data generation (not timed in the scan) | {gen_s:,.0f} s |",
        "",
        f"Command: `{' '.join(['python', 'benchmarks/bench_scan.py', *sys.argv[1:]])}`  ",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average at the end {os.getloadavg()[0]:.1f}.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    RESULTS.parent.mkdir(exist_ok=True)
    if not RESULTS.exists():
        RESULTS.write_text(
            "# `collapse-guard scan`: time and peak memory\n\n"
            "Written by `benchmarks/bench_scan.py`; newest runs last.\n\n",
            encoding="utf-8",
        )
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(text + "\n")
    return 0 if rss < 1024 else 1


if __name__ == "__main__":
    raise SystemExit(main())
