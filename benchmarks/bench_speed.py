"""Speed and memory of `collapse-guard profile` and `check` against a floor, as whole processes.

Generates two parquet files of the same shape (a "human" reference and a batch from the same
distribution): 10 numeric columns, some heavy-tailed, and 2 categorical columns, one with 1,000
Zipf-distributed categories. Then times, each as a separate process started from the command line:

* the **floor**: a Python process that reads the batch with pyarrow and sorts each numeric column
  once (the least any tool that looks at the tails must do);
* the **stream floor**: the check's own imports, plugins and process set-up, then the batch read
  exactly as ``check`` reads it, every chunk dropped at once: the least memory a check of this
  design can hold, before a reference is loaded or a value profiled;
* ``collapse-guard profile human.parquet -o reference.json.gz``;
* ``collapse-guard check batch.parquet -r reference.json.gz`` with every installed check selected.

Each command runs once untimed, then ``--repeat`` times (best wall time kept, with its CPU time),
with Python's bytecode cache allowed even where ``PYTHONDONTWRITEBYTECODE`` is set: an installed
wheel has its ``.pyc`` files, and compiling some 90 modules from source on every start (0.09 s
here) is not what a user's process pays. Peak RSS comes from
``os.wait4`` on each child, started by a small launcher so that the benchmark's own memory is not
counted. The in-memory size of the table is ``pyarrow.Table.nbytes`` of the batch. A baseline
process that only imports collapse-guard shows the interpreter's share of the RSS.

A last table times the stages of one check in a process of its own (imports, plugins,
reference, reading and profiling the batch, the checks, start-up and exit), with the peak RSS
reached by the end of each, so that the figures above can be explained without a profiler.

Targets (foundation issue): check <= 3x the floor end to end; peak RSS <= 2x the table's size.

Usage::

    python benchmarks/bench_speed.py                  # 1,000,000 rows, 3 repeats
    python benchmarks/bench_speed.py --rows 100000 --repeat 1 --workdir /tmp/cg-speed

Writes ``benchmarks/results/speed.md`` (and prints it).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "speed.md"
NUMERIC = [f"num_{i}" for i in range(10)]

FLOOR_SCRIPT = """
import sys
import numpy as np
import pyarrow.parquet as pq
table = pq.read_table(sys.argv[1])
for name in sys.argv[2:]:
    np.sort(table.column(name).to_numpy())
"""


# One `check`, stage by stage, in a process set up as the console script sets itself up: wall
# and CPU time of each stage, and the peak RSS (high-water mark) at its end.
STAGES_SCRIPT = """
import json, os, resource, sys, time
from pathlib import Path
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
from collapse_guard import entry
entry.single_threaded_blas()
entry.limit_malloc_arenas()
entry.defer_unused_numpy_submodules()
marks = []
def mark(stage):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    marks.append([stage, time.perf_counter(), time.process_time(), peak])
mark("start")
import collapse_guard.cli
from collapse_guard.config import Config, with_overrides
from collapse_guard.profile import Profile, build_profile
from collapse_guard.readahead import read_ahead
from collapse_guard.readers import iter_chunks
from collapse_guard.runner import run_checks
mark("import the CLI: pandas, pyarrow, numpy, click")
from collapse_guard.plugins import default_registry
registry = default_registry()
mark("load the plugins: the checks' modules, scipy.special")
cfg = with_overrides(Config(), select=tuple(sys.argv[3].split(",")))
reference = Profile.load(sys.argv[2])
mark("load the reference")
chunks = read_ahead(iter_chunks([Path(sys.argv[1])], registry.readers, limits=cfg.read_limits(), arrow=True))
batch = build_profile(chunks, settings=cfg.batch_settings(), reference=reference)
mark("read and profile the batch (next chunk read in a thread)")
report = run_checks(reference, batch, registry.checks, cfg)
mark("run the checks, side by side")
json.dump(marks, sys.stdout)
entry.exit_without_teardown(0)
"""


# The least a check of this design holds: the same process set-up, imports and plugins as the
# console script, then the batch read exactly as `check` reads it (Parquet batches, the chunk
# after next read ahead in a thread), each chunk dropped at once. Nothing is profiled or checked.
STREAM_SCRIPT = """
import os, sys
from pathlib import Path
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
from collapse_guard import entry
entry.single_threaded_blas()
entry.limit_malloc_arenas()
entry.defer_unused_numpy_submodules()
import collapse_guard.cli, collapse_guard.runner
from collapse_guard.config import Config
from collapse_guard.plugins import default_registry
from collapse_guard.readahead import read_ahead
from collapse_guard.readers import iter_chunks
registry = default_registry()
for _ in read_ahead(iter_chunks([Path(sys.argv[1])], registry.readers, limits=Config().read_limits(), arrow=True)):
    pass
entry.exit_without_teardown(0)
"""


@dataclass
class Stage:
    name: str
    wall: float
    cpu: float
    peak_rss: int  # the process's high-water mark at the end of the stage


def measure_stages(batch: Path, ref: Path, checks: list[str], repeat: int) -> tuple[list[Stage], float]:
    """Stages of one check (the run with the shortest total of `repeat`, after a warm-up), and
    the whole process's wall time in that run: the rest is interpreter start-up and exit."""
    best: tuple[list[Stage], float] | None = None
    for attempt in range(repeat + 1):
        with tempfile.TemporaryDirectory() as tmp:
            stats_path = Path(tmp) / "stats.json"
            command = [sys.executable, "-c", STAGES_SCRIPT, str(batch), str(ref), ",".join(checks)]
            done = subprocess.run(
                [sys.executable, "-c", LAUNCHER, str(stats_path), *command],
                capture_output=True,
                text=True,
                check=True,
                env=CHILD_ENV,
            )
            whole = json.loads(stats_path.read_text())["wall"]
        marks = json.loads(done.stdout)
        stages = [
            Stage(name, t1 - t0, c1 - c0, peak)
            for (_, t0, c0, _), (name, t1, c1, peak) in itertools.pairwise(marks)
        ]
        if attempt and (best is None or whole < best[1]):
            best = (stages, whole)
    assert best is not None
    return best


def make_table(rows: int, seed: int) -> pa.Table:
    """10 numeric columns (light, skewed and heavy tails) and 2 categorical columns."""
    rng = np.random.default_rng(seed)
    cols: dict[str, np.ndarray] = {
        "num_0": rng.normal(50.0, 10.0, rows),
        "num_1": rng.normal(0.0, 1.0, rows),
        "num_2": rng.uniform(0.0, 100.0, rows),
        "num_3": rng.exponential(3.0, rows),
        "num_4": rng.gamma(2.0, 2.0, rows),
        "num_5": rng.lognormal(3.0, 0.8, rows),  # skewed
        "num_6": rng.lognormal(0.0, 1.5, rows),  # heavier
        "num_7": (rng.pareto(2.5, rows) + 1.0) * 100.0,  # heavy power-law tail
        "num_8": rng.standard_t(3, rows),  # heavy on both sides
        "num_9": np.round(rng.normal(1000.0, 200.0, rows)),  # integer-valued
    }
    zipf = (rng.zipf(1.3, rows * 2) - 1) % 1000  # 1,000 Zipf categories (folded tail)
    cat_big = np.array([f"k{i:04d}" for i in range(1000)])[zipf[:rows]]
    cat_small = rng.choice(["red", "green", "blue", "black", "white"], rows, p=[0.4, 0.3, 0.15, 0.1, 0.05])
    table = pa.table({**cols, "cat_zipf": cat_big, "cat_small": cat_small})
    return table


@dataclass
class Timing:
    label: str
    command: list[str]
    seconds: float  # best wall time
    cpu: float  # user + system CPU seconds of that best run
    peak_rss: int  # bytes, largest over the runs
    exit_code: int
    stdout: str


# Each measured command is started by this small launcher, not by the benchmark process itself:
# a child's peak RSS (ru_maxrss) includes the pages of the process it was forked from until it
# calls exec, so forking from a benchmark that holds the generated table would inflate it.
LAUNCHER = """
import json, os, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.posix_spawn(cmd[0], cmd, os.environ)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(out, "w") as f:
    json.dump({"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "maxrss": ru.ru_maxrss * 1024,
               "code": os.waitstatus_to_exitcode(status)}, f)
"""


# What an installed package's processes see: bytecode caches written and read (see the docstring).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_process(label: str, command: list[str], repeat: int, ok_codes: tuple[int, ...]) -> Timing:
    """Run a command once untimed, then `repeat` times; keep the best wall time and the largest
    peak RSS of the timed runs."""
    best, cpu, peak, code, out = float("inf"), 0.0, 0, 0, ""
    for attempt in range(repeat + 1):
        with tempfile.TemporaryDirectory() as tmp:
            stats_path = Path(tmp) / "stats.json"
            with open(Path(tmp) / "out", "wb") as stdout, open(Path(tmp) / "err", "wb") as stderr:
                subprocess.run(
                    [sys.executable, "-c", LAUNCHER, str(stats_path), *command],
                    stdout=stdout,
                    stderr=stderr,
                    check=True,
                    env=CHILD_ENV,
                )
            stats = json.loads(stats_path.read_text())
            text = (Path(tmp) / "out").read_text(errors="replace")
            err = (Path(tmp) / "err").read_text(errors="replace")
        code = stats["code"]
        if code not in ok_codes:
            sys.exit(f"{label} failed with exit {code}: {err.strip()}")
        if attempt == 0:  # the warm-up: writes the bytecode caches, warms the file cache
            continue
        if stats["wall"] < best:
            best, cpu, out = stats["wall"], stats["cpu"], text
        peak = max(peak, stats["maxrss"])
    return Timing(label, command, best, cpu, peak, code, out)


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "collapse_guard", *args]


def installed_checks() -> list[str]:
    code = (
        "import json; from collapse_guard.plugins import get_checks; print(json.dumps(sorted(get_checks())))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return list(json.loads(done.stdout))


def fmt_mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None, help="keep generated files here")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--per-check", action="store_true", help="also time `check` with each check alone (1 run each)"
    )
    parser.add_argument(
        "--scale-rows",
        type=int,
        default=0,
        help="also time the floor and check on a batch of this many rows (fixed costs amortise; "
        "memory should not grow with the data)",
    )
    args = parser.parse_args(argv)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="cg-speed-"))
    workdir.mkdir(parents=True, exist_ok=True)
    human, batch, ref = workdir / "human.parquet", workdir / "batch.parquet", workdir / "reference.json.gz"
    for path, seed in ((human, 1), (batch, 2)):
        if not path.exists() or pq.ParquetFile(path).metadata.num_rows != args.rows:
            pq.write_table(make_table(args.rows, seed), path)
    table_bytes = pq.read_table(batch).nbytes
    file_bytes = batch.stat().st_size
    checks = installed_checks()

    baseline = run_process(
        "baseline (python importing collapse_guard, nothing read)",
        [sys.executable, "-c", "import collapse_guard.cli, collapse_guard.runner"],
        args.repeat,
        (0,),
    )
    floor = run_process(
        "floor (pyarrow read + sort each numeric column)",
        [sys.executable, "-c", FLOOR_SCRIPT, str(batch), *NUMERIC],
        args.repeat,
        (0,),
    )
    stream = run_process(
        "stream floor (check's imports and plugins, then the batch read as check reads it, nothing kept)",
        [sys.executable, "-c", STREAM_SCRIPT, str(batch)],
        args.repeat,
        (0,),
    )
    prof = run_process(
        "collapse-guard profile", cli("profile", str(human), "-o", str(ref)), args.repeat, (0,)
    )
    check_cmd = cli("check", str(batch), "-r", str(ref), "--format", "json", "--select", ",".join(checks))
    chk = run_process("collapse-guard check (all checks)", check_cmd, args.repeat, (0, 1))
    report: dict[str, Any] = json.loads(chk.stdout) if chk.stdout.strip() else {"status": "?", "findings": []}
    status = report["status"]
    flagged = [
        f"{f['check']}/{f['metric']}" + (f" ({f['column']})" if f["column"] else "")
        for f in report["findings"]
        if f["status"] in ("warn", "fail", "error")
    ]
    stages, stages_whole = measure_stages(batch, ref, checks, args.repeat)
    alone: list[Timing] = []
    if args.per_check:
        for name in checks:
            cmd = cli("check", str(batch), "-r", str(ref), "--format", "json", "--select", name)
            alone.append(run_process(f"check --select {name}", cmd, 1, (0, 1)))

    scaled: list[tuple[Timing, Timing, int]] = []  # (floor, check, rows) on the bigger batch
    if args.scale_rows:
        big = workdir / f"batch_{args.scale_rows}.parquet"
        if not big.exists():
            pq.write_table(make_table(args.scale_rows, 3), big)
        big_floor = run_process(
            f"floor, {args.scale_rows:,}-row batch",
            [sys.executable, "-c", FLOOR_SCRIPT, str(big), *NUMERIC],
            args.repeat,
            (0,),
        )
        big_cmd = cli("check", str(big), "-r", str(ref), "--format", "json", "--select", ",".join(checks))
        label = f"collapse-guard check (all checks), {args.scale_rows:,}-row batch"
        big_check = run_process(label, big_cmd, args.repeat, (0, 1))
        scaled.append((big_floor, big_check, pq.read_metadata(big).num_rows))

    check_ratio = chk.seconds / floor.seconds
    cpu_ratio = chk.cpu / floor.cpu
    rss_ratio = chk.peak_rss / table_bytes
    net_rss_ratio = (chk.peak_rss - baseline.peak_rss) / table_bytes
    prof_rss_ratio = prof.peak_rss / table_bytes
    verdict = (
        f"check/floor = **{check_ratio:.2f}x** wall, {cpu_ratio:.2f}x CPU "
        f"(target <= 3x: {'met' if check_ratio <= 3 else 'MISSED'}); "
        f"check peak RSS / table = **{rss_ratio:.2f}x**, {net_rss_ratio:.2f}x above the import baseline "
        f"(target <= 2x: {'met' if rss_ratio <= 2 else 'MISSED'})"
    )
    scale_lines = [
        f"At {rows:,} rows: check/floor = **{t_big.seconds / big_floor.seconds:.2f}x** wall, peak RSS / "
        f"table = **{t_big.peak_rss / (table_bytes * rows / args.rows):.2f}x** (the fixed costs, "
        "imports and checks on bounded samples, amortise).\n"
        for big_floor, t_big, rows in scaled
    ]
    lines = [
        "# Speed benchmark (`benchmarks/bench_speed.py`)",
        "",
        f"Command: `{' '.join(shlex.quote(a) for a in ['python', 'benchmarks/bench_speed.py', *(argv or sys.argv[1:])])}`",
        "",
        f"Data: {args.rows:,} rows x 12 columns (10 numeric, some heavy-tailed; 2 categorical, one with "
        f"1,000 Zipf categories); parquet {fmt_mib(file_bytes)} on disk, {fmt_mib(table_bytes)} in memory "
        "(pyarrow `Table.nbytes`).",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"pyarrow {pa.__version__}. Best of {args.repeat} runs, each a whole process; load average "
        f"{os.getloadavg()[0]:.1f} at the end (wall times inflate on a busy machine; CPU times less so).",
        f"Checks selected: {', '.join(checks)}. Check status on the honest batch (same generator, "
        f"another seed): `{status}` (exit {chk.exit_code})"
        + (f"; flagged: {', '.join(flagged)}." if flagged else "."),
        "",
        "| step | wall time | x floor | CPU time | peak RSS | RSS / table |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for t in (baseline, stream, floor, prof, chk, *alone):
        lines.append(
            f"| {t.label} | {t.seconds:.2f} s | {t.seconds / floor.seconds:.2f}x | {t.cpu:.2f} s "
            f"| {fmt_mib(t.peak_rss)} | {t.peak_rss / table_bytes:.2f}x |"
        )
    for big_floor, t_big, rows in scaled:
        # The bigger table's own size, extrapolated from the 1x table (same columns and types).
        big_bytes = table_bytes * rows / args.rows
        for t in (big_floor, t_big):
            lines.append(
                f"| {t.label} | {t.seconds:.2f} s | {t.seconds / big_floor.seconds:.2f}x of its floor "
                f"| {t.cpu:.2f} s | {fmt_mib(t.peak_rss)} | {t.peak_rss / big_bytes:.2f}x of its "
                f"{fmt_mib(big_bytes)} |"
            )
    lines += [
        "",
        verdict + f"; profile peak RSS / table = {prof_rss_ratio:.2f}x.",
        "",
        f"Reading the RSS column: a Python process that only imports collapse-guard already holds "
        f"{fmt_mib(baseline.peak_rss)}, and the floor itself, which holds the table once, peaks at "
        f"{floor.peak_rss / table_bytes:.2f}x the table; check peaks at "
        f"{chk.peak_rss / floor.peak_rss:.2f}x the floor's RSS. The stream floor is the least a "
        f"check of this design can hold: {fmt_mib(stream.peak_rss)} = "
        f"{stream.peak_rss / table_bytes:.2f}x the table before a reference is loaded or a value "
        f"profiled; check holds {fmt_mib(chk.peak_rss - stream.peak_rss)} "
        f"({(chk.peak_rss - stream.peak_rss) / table_bytes:.2f}x the table) more: the reference, "
        "the batch profile with its row sample, and the checks.",
        "",
        *scale_lines,
        "## Where a check's time and memory go",
        "",
        "One process set up as the console script sets itself up, the same stages as `check`, timed "
        f"one by one (the run with the shortest total of {args.repeat}); peak RSS is the process's "
        "high-water mark at the end of each stage.",
        "",
        "| stage | wall time | CPU time | peak RSS at its end |",
        "|---|---:|---:|---:|",
        *(f"| {st.name} | {st.wall:.2f} s | {st.cpu:.2f} s | {fmt_mib(st.peak_rss)} |" for st in stages),
        f"| interpreter start-up and exit (the rest of the process's {stages_whole:.2f} s) "
        f"| {stages_whole - sum(st.wall for st in stages):.2f} s | | |",
        "",
        "For scale (from the issue): on data of this shape already in memory, the peer tools' drift "
        "computations take 7.7 s (alibi-detect), 32 s (whylogs) and 64 s (Evidently).",
        "",
    ]
    text = "\n".join(lines)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
