"""`collapse-guard scan`: a generated folder of mixed files, broken inputs, exit codes."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image, PngImagePlugin

from collapse_guard.api import profile_files
from collapse_guard.cli import main
from collapse_guard.config import Config
from collapse_guard.readers import ReadLimits
from collapse_guard.scan import ScanReport, scan_paths, walk

# The scan machinery is under test here, not the statistics: two cheap checks keep the suite fast
# on a 2-core machine (the checks have their own tests).
SELECT = ("tail-shrinkage", "synthetic-contamination")
CFG = Config(select=SELECT)
SEL = ["--select", ",".join(SELECT)]
N_REF = 4000
N_BATCH = 1500
WORDS = np.array(
    [
        "the",
        "a",
        "river",
        "dog",
        "ran",
        "quietly",
        "under",
        "old",
        "green",
        "bridge",
        "near",
        "city",
        "house",
        "tree",
        "road",
        "blue",
        "young",
        "happy",
        "sad",
    ]
)


def _table(rng: np.random.Generator, n: int) -> pd.DataFrame:
    countries = [f"c{i:02d}" for i in range(30)]
    p = np.r_[np.full(6, 0.12), np.full(24, 0.28 / 24)]
    return pd.DataFrame(
        {
            "income": rng.lognormal(10, 1, n).round(2),
            "country": rng.choice(countries, n, p=p),
        }
    )


def _collapsed(rng: np.random.Generator, ref: pd.DataFrame, n: int) -> pd.DataFrame:
    # Recursive refitting narrows the spread and drops the rare categories (Shumailov et al., Nature 2024).
    lo, hi = np.quantile(ref["income"], [0.15, 0.85])
    income = rng.lognormal(10, 1, n).clip(lo, hi).round(2)
    country = rng.choice([f"c{i:02d}" for i in range(6)], n)
    return pd.DataFrame({"income": income, "country": country})


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("scan")
    rng = np.random.default_rng(7)
    human = _table(rng, N_REF)
    human.to_csv(root / "human.csv", index=False)
    ref = profile_files([root / "human.csv"], config=Config())
    ref.save(root / "reference.json.gz")

    data = root / "data"
    (data / "notes").mkdir(parents=True)
    (data / "ignored").mkdir()
    (data / "imgs").mkdir()
    _table(rng, N_BATCH).to_csv(data / "clean.csv", index=False)
    _table(rng, N_BATCH).to_csv(data / "größe batch 1.csv", index=False)
    _collapsed(rng, human, N_BATCH).to_parquet(data / "collapsed.parquet")
    with open(data / "chat.jsonl", "w", encoding="utf-8") as fh:
        for i in range(60):
            model = "gpt-4o" if i % 2 else "human"
            fh.write(json.dumps({"model": model, "stars": int(rng.integers(1, 6))}) + "\n")
    for i in range(3):
        (data / "notes" / f"note {i}.txt").write_text(" ".join(rng.choice(WORDS, 30)), encoding="utf-8")
    (data / "broken.parquet").write_bytes(b"PAR1 this is not parquet")
    (data / "empty.csv").write_bytes(b"")
    (data / "ignored" / "skip.csv").write_text("a,b\n1,2\n")
    (data / "skipme.csv").write_text("a,b\n1,2\n")
    (data / ".gitignore").write_text("ignored/\n")
    (data / "readme.rst").write_text("not data")
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1")
    Image.new("RGB", (8, 8)).save(data / "imgs" / "gen.png", pnginfo=info)
    Image.new("RGB", (8, 8), (9, 9, 9)).save(data / "imgs" / "photo.png")
    (data / "imgs" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnope")
    return {"root": root, "data": data, "ref": root / "reference.json.gz"}


@pytest.fixture(scope="module")
def with_ref(world: dict[str, Path]) -> ScanReport:
    from collapse_guard.profile import Profile

    return scan_paths([world["data"]], reference=Profile.load(world["ref"]), exclude=["skipme*"], config=CFG)


def _by_name(scan: ScanReport) -> dict[str, str]:
    return {Path(f.path).name + ("/" if f.path.endswith("/") else ""): f.status for f in scan.files}


def test_scan_with_reference_reports_every_file(with_ref: ScanReport) -> None:
    got = _by_name(with_ref)
    assert got == {
        "broken.parquet": "error",
        "broken.png": "error",
        "chat.jsonl": got["chat.jsonl"],
        "clean.csv": "pass",
        "collapsed.parquet": "fail",
        "empty.csv": "error",
        "gen.png": "warn",
        "größe batch 1.csv": "pass",
        "notes/": got["notes/"],
        "photo.png": "pass",
    }
    assert got["chat.jsonl"] == "fail"  # half its rows say model=gpt-4o
    assert with_ref.status == "fail"
    assert all(f.reason for f in with_ref.files)
    assert with_ref.skipped == {"excluded": 2, "not a data file": 2}


def test_collapsed_file_names_what_vanished(with_ref: ScanReport) -> None:
    collapsed = next(f for f in with_ref.files if f.path.endswith("collapsed.parquet"))
    failed = [f for f in collapsed.findings if f.status.value == "fail"]
    assert {f.column for f in failed} >= {"income"}
    assert any("p99" in f.message or "p1" in f.message for f in failed)
    assert collapsed.rows == N_BATCH


def test_other_shaped_file_is_checked_on_its_own(with_ref: ScanReport) -> None:
    chat = next(f for f in with_ref.files if f.path.endswith("chat.jsonl"))
    assert chat.reason.startswith("lacks the reference's column(s) 'income', 'country'")
    assert "50%" in chat.reason and "'model'" in chat.reason
    declared = next(f for f in chat.findings if f.metric == "declared_synthetic_share")
    assert "30 of 60 rows (50%)" in declared.message and "'gpt-4o': 30" in declared.message


def test_broken_files_are_errors_naming_the_file(with_ref: ScanReport) -> None:
    for name in ("broken.parquet", "empty.csv", "broken.png"):
        f = next(f for f in with_ref.files if f.path.endswith(name))
        assert f.kind == "unreadable"
        assert name in f.reason


def test_images_summarised(with_ref: ScanReport) -> None:
    s = with_ref.images
    assert s is not None
    assert (s.images, s.unreadable, s.with_generator_marker) == (2, 1, 1)
    assert s.counts == {"sd-parameters": 1}
    gen = next(f for f in with_ref.files if f.path.endswith("gen.png"))
    assert "Steps: 20" in gen.reason


def test_scan_without_reference(world: dict[str, Path]) -> None:
    scan = scan_paths([world["data"]], exclude=["skipme*"], config=CFG)
    got = _by_name(scan)
    assert got["chat.jsonl"] == "fail"
    assert got["gen.png"] == "warn"
    assert got["broken.parquet"] == "error"
    assert scan.reference is None
    assert any("reference-free" in n for n in scan.notes)
    assert all(f.reason for f in scan.files)


def test_json_output_is_deterministic(world: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    args = ["scan", str(world["data"]), "-r", str(world["ref"]), "--format", "json", *SEL]
    assert main(args) == 2
    first = capsys.readouterr().out
    assert main(args) == 2
    assert capsys.readouterr().out == first
    assert json.loads(first)["kind"] == "scan"


def _tree(root: Path) -> dict[str, tuple[int, int, str]]:
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file():
            st = p.stat()
            out[p.relative_to(root).as_posix()] = (
                st.st_size,
                st.st_mtime_ns,
                hashlib.sha256(p.read_bytes()).hexdigest(),
            )
        else:
            out[p.relative_to(root).as_posix()] = (0, 0, "dir")
    return out


def test_nothing_in_the_folder_is_written(world: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    before = _tree(world["data"])
    main(["scan", str(world["data"]), "-r", str(world["ref"]), "--format", "sarif", *SEL])
    main(["scan", str(world["data"]), *SEL])
    capsys.readouterr()
    assert _tree(world["data"]) == before


@pytest.mark.parametrize(
    ("files", "extra", "code"),
    [
        (["clean.csv"], [], 0),
        (["clean.csv", "collapsed.parquet"], [], 1),
        (["clean.csv", "collapsed.parquet", "broken.parquet"], [], 2),
        (["imgs/gen.png"], [], 0),
        (["imgs/gen.png"], ["--fail-on", "warn"], 1),
    ],
)
def test_exit_codes(
    world: dict[str, Path], capsys: pytest.CaptureFixture[str], files: list[str], extra: list[str], code: int
) -> None:
    paths = [str(world["data"] / f) for f in files]
    assert main(["scan", *paths, "-r", str(world["ref"]), "--format", "github", *SEL, *extra]) == code
    out = capsys.readouterr()
    assert out.out.rstrip().splitlines()[-1].startswith("collapse-guard: ")
    if code == 1 and not extra:
        assert "::error file=" in out.out and "collapsed.parquet" in out.out


def test_bad_usage_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(tmp_path / "missing")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    (tmp_path / "a.csv").write_text("x\n1\n")
    assert main(["scan", str(tmp_path), "--format", "nope"]) == 2
    assert main(["scan", str(tmp_path), "-r", str(tmp_path / "a.csv")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") >= 2


def test_gitignore_negation_and_exclude(tmp_path: Path) -> None:
    (tmp_path / "sub" / "deep").mkdir(parents=True)
    for rel in ("a.csv", "b.csv", "keep.csv", "sub/c.csv", "sub/deep/d.csv", "sub/e.tmp.csv"):
        (tmp_path / rel).write_text("x\n1\n")
    (tmp_path / ".gitignore").write_text("*.csv\n!keep.csv\n!sub/\n")
    (tmp_path / "sub" / ".gitignore").write_text("!*.csv\n*.tmp.csv\n")
    got = sorted(e.rel for e in walk(tmp_path, wanted=lambda n: n.endswith(".csv")))
    assert got == ["keep.csv", "sub/c.csv", "sub/deep/d.csv"]
    got = sorted(e.rel for e in walk(tmp_path, wanted=lambda n: n.endswith(".csv"), exclude=["deep/"]))
    assert got == ["keep.csv", "sub/c.csv"]
    got = sorted(e.rel for e in walk(tmp_path, wanted=lambda n: n.endswith(".csv"), gitignore=False))
    assert got == ["a.csv", "b.csv", "keep.csv", "sub/c.csv", "sub/deep/d.csv", "sub/e.tmp.csv"]


def test_symlink_loops(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.csv").write_text("v\n1\n2\n")
    os.symlink(tmp_path, tmp_path / "d" / "up")  # a loop back to the root
    os.symlink(tmp_path / "d", tmp_path / "again")  # the same folder twice
    os.symlink("self.csv", tmp_path / "self.csv")  # a link to itself
    os.symlink("gone.csv", tmp_path / "dangling.csv")
    skipped: dict[str, int] = {}
    entries = list(walk(tmp_path, wanted=lambda n: n.endswith(".csv"), skipped=skipped))
    assert sorted((e.rel, e.problem is not None) for e in entries) == [
        ("again/x.csv", False),
        ("dangling.csv", True),
        ("self.csv", True),
    ]
    assert skipped == {"symlink loop": 2}
    scan = scan_paths([tmp_path], config=CFG)
    assert {f.path.rsplit("/", 1)[-1]: f.status for f in scan.files} == {
        "x.csv": scan.files[0].status,
        "dangling.csv": "error",
        "self.csv": "error",
    }


def test_named_pipe_is_not_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.csv")
    scan = scan_paths([tmp_path], config=CFG)
    assert [(f.status, "not a regular file" in f.reason) for f in scan.files] == [("error", True)]


def test_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "ok.csv").write_text("v\n" + "\n".join(str(i) for i in range(50)) + "\n")
    locked = tmp_path / "locked.csv"
    locked.write_text("v\n1\n")
    locked.chmod(0)
    if os.geteuid() != 0:
        scan = scan_paths([tmp_path], config=CFG)
        f = next(f for f in scan.files if f.path.endswith("locked.csv"))
        assert f.status == "error" and "ermission" in f.reason
        return
    # Root reads anything; drop the capabilities that let it ignore file permissions.
    setpriv = shutil.which("setpriv")
    assert setpriv is not None, "util-linux setpriv is needed to test permissions as root"
    caps = "-dac_override,-dac_read_search"
    proc = subprocess.run(
        [
            setpriv,
            f"--bounding-set={caps}",
            f"--inh-caps={caps}",
            "--",
            sys.executable,
            "-m",
            "collapse_guard",
            "scan",
            str(tmp_path),
            "--format",
            "json",
            *SEL,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    files = {Path(f["path"]).name: f for f in json.loads(proc.stdout)["files"]}
    assert files["locked.csv"]["status"] == "error"
    assert "ermission" in files["locked.csv"]["reason"]
    assert files["ok.csv"]["status"] != "error"


def test_gzip_bomb_stops_at_the_configured_limit(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.csv.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as fh:
        fh.write(b"a,b\n")
        row = b"0,0\n" * (1 << 18)  # 1 MiB
        for _ in range(64):
            fh.write(row)
    assert bomb.stat().st_size < 1 << 20
    limits = ReadLimits(max_decompressed_bytes=4 << 20)
    scan = scan_paths([tmp_path], limits=limits, config=CFG)
    (f,) = scan.files
    assert f.status == "error"
    assert "max_decompressed_bytes" in f.reason


def test_gzip_limit_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with gzip.open(tmp_path / "b.jsonl.gz", "wb") as fh:
        fh.write(b'{"a": 1}\n' * 300_000)
    assert main(["scan", str(tmp_path), "--max-decompressed-bytes", "1M", "--format", "json", *SEL]) == 2
    (f,) = json.loads(capsys.readouterr().out)["files"]
    assert "max_decompressed_bytes" in f["reason"]


def test_one_gigabyte_single_line_is_not_read_whole(tmp_path: Path) -> None:
    for name, head in (("huge.csv", b"text\n"), ("huge.txt", b"")):
        with open(tmp_path / name, "wb") as fh:
            fh.write(head + b"x" * 1024)
            fh.seek(1 << 30)  # sparse: 1 GiB on paper, no newline after the header
            fh.write(b"x")
    (tmp_path / "fine.csv").write_text("v\n1\n2\n3\n")
    # VmHWM is this process's own peak; ru_maxrss would inherit the (large) pytest parent's peak
    # across fork and exec on Linux.
    code = (
        "import sys; from collapse_guard.cli import main; "
        "c = main(sys.argv[1:]); "
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]; "
        "print(hwm, file=sys.stderr); sys.exit(c)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, "scan", str(tmp_path), "--format", "json", *SEL],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    peak_mib = int(proc.stderr.strip().splitlines()[-1]) / 1024
    files = {Path(f["path"]).name: f for f in json.loads(proc.stdout)["files"]}
    assert files["huge.csv"]["status"] == "error"
    assert "max_line_bytes" in files["huge.csv"]["reason"]
    assert files["huge.txt"]["status"] == "error"
    assert "max_line_bytes" in files["huge.txt"]["reason"]
    assert files["fine.csv"]["status"] != "error"
    # Reading either file whole would need 1 GiB on top of the ~400 MiB the interpreter and its
    # imports take; the readers stop after one 32 MiB block.
    assert peak_mib < 1024, f"peak RSS {peak_mib:.0f} MiB"


def test_progress_is_reported_and_silent_off_terminal(
    world: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[tuple[int, int | None, str]] = []
    scan_paths(
        [world["data"] / "notes", world["data"] / "clean.csv"],
        progress=lambda d, t, p: calls.append((d, t, p)),
        config=CFG,
    )
    assert calls[0][:2] == (0, 2) and calls[-1][:2] == (2, 2)
    assert main(["scan", str(world["data"] / "clean.csv"), "-r", str(world["ref"]), *SEL]) == 0
    out = capsys.readouterr()
    assert out.err == ""
    assert "pass: 1 file: 1 pass" in out.out


def test_provenance_flag_column(tmp_path: Path) -> None:
    pd.DataFrame({"is_synthetic": [True] * 5 + [False] * 95, "x": range(100)}).to_parquet(
        tmp_path / "f.parquet"
    )
    pd.DataFrame({"source": ["survey"] * 100, "x": range(100)}).to_parquet(tmp_path / "h.parquet")
    scan = scan_paths([tmp_path], config=Config(select=("synthetic-contamination",)))
    f, h = scan.files
    flagged = [x for x in f.findings if x.metric == "declared_synthetic_share"]
    assert [(x.column, x.measurement.value, x.status.value) for x in flagged] == [
        ("is_synthetic", 0.05, "warn")
    ]
    assert [(x.column, x.status.value) for x in h.findings if x.metric == "declared_synthetic_share"] == [
        ("source", "pass")
    ]


def test_max_line_bytes_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "long.jsonl").write_text('{"t": "' + "w " * 2000 + '"}\n', encoding="utf-8")
    assert main(["scan", str(tmp_path), "--max-line-bytes", "1K", "--format", "json", *SEL]) == 2
    (f,) = json.loads(capsys.readouterr().out)["files"]
    assert "max_line_bytes" in f["reason"]
    assert main(["scan", str(tmp_path), "--max-line-bytes", "lots"]) == 2
    assert "not a size" in capsys.readouterr().err
    # The config's [read] table applies to scan as it does to profile and check.
    config = tmp_path.parent / f"{tmp_path.name}-read.toml"
    config.write_text("[read]\nmax_line_bytes = 1024\n")
    assert main(["scan", str(tmp_path), "--config", str(config), "--format", "json", *SEL]) == 2
    (f,) = json.loads(capsys.readouterr().out)["files"]
    assert "max_line_bytes" in f["reason"]
    # ... and takes the sizes the option takes ("1K" was refused there: "must be an integer").
    config.write_text('[read]\nmax_line_bytes = "1K"\n')
    assert main(["scan", str(tmp_path), "--config", str(config), "--format", "json", *SEL]) == 2
    (f,) = json.loads(capsys.readouterr().out)["files"]
    assert "longer than 1 KiB" in f["reason"] and "max_line_bytes" in f["reason"]
    config.write_text('[read]\nmax_line_bytes = "1M"\n')
    assert main(["scan", str(tmp_path), "--config", str(config), "--format", "json", *SEL]) in (0, 1)
    capsys.readouterr()


def test_progress_bar_draws_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from rich.console import Console

    from collapse_guard.commands import scan as command

    with command._progress_bar(False) as off:
        assert off is None
    screen = io.StringIO()
    monkeypatch.setattr(
        "rich.console.Console", lambda **_: Console(file=screen, force_terminal=True, width=80)
    )
    with command._progress_bar(True) as update:
        assert update is not None
        update(0, 3, "data/a.csv")
        update(3, 3, "")
    assert "scanning" in screen.getvalue() and "3/3" in screen.getvalue()


def test_nothing_to_scan_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.rst").write_text("x")
    assert main(["scan", str(tmp_path)]) == 2
    assert "no data file or image to scan" in capsys.readouterr().err
    (tmp_path / "table.xlsx").write_bytes(b"PK")
    assert main(["scan", str(tmp_path / "table.xlsx"), "--format", "json"]) == 2
    (f,) = json.loads(capsys.readouterr().out)["files"]
    assert f["status"] == "error" and "no reader for this file type" in f["reason"]


def test_reason_names_the_column_once() -> None:
    from collapse_guard.results import Finding, Measurement, Report, Status
    from collapse_guard.scan import report_reason

    m = Measurement("review", "exact_duplicate_share", message="`review`: 27% are exact copies")
    report = Report(
        findings=(Finding("diversity-loss", m, Status.FAIL),),
        status=Status.FAIL,
        reference={},
        batch={},
        seed=0,
        tool_version="0",
    )
    assert report_reason(report) == "diversity-loss on `review`: 27% are exact copies"


def test_reason_names_the_checks_that_could_test_nothing() -> None:
    from collapse_guard.results import Finding, Measurement, Report, Status
    from collapse_guard.scan import report_reason

    def finding(check: str, metric: str, status: Status, why: str | None = None) -> Finding:
        return Finding(check, Measurement(None, metric, insufficient=why), status)

    report = Report(
        findings=(
            finding("tail-shrinkage", "new_categories", Status.PASS),
            finding("diversity-loss", "coverage", Status.INSUFFICIENT, "coverage needs 30 rows"),
            finding("synthetic-contamination", "synthetic_share", Status.INSUFFICIENT, "needs 50 rows"),
        ),
        status=Status.WARN,
        reference={},
        batch={},
        seed=0,
        tool_version="0",
    )
    assert report_reason(report) == (
        "diversity-loss and synthetic-contamination could test nothing (1 other finding passed): "
        "diversity-loss coverage: coverage needs 30 rows (and 1 more insufficient-data)"
    )


def test_a_reference_free_scan_passes_what_it_tested_and_a_files_notes_reach_the_json(tmp_path: Path) -> None:
    # 25 documents: enough for the duplicate shares, too few for the synthetic share. Without a
    # reference a check may not apply at all, so only a file where nothing was tested is a warn.
    rng = np.random.default_rng(1)
    words = np.array([f"w{i}" for i in range(400)])
    docs = [" ".join(rng.choice(words, size=12)) for _ in range(25)]
    table = pd.DataFrame({"text": docs})
    table.to_csv(tmp_path / "a.csv", index=False)
    assert main(["scan", str(tmp_path), "--format", "json", "-o", str(tmp_path / "r.json")]) == 0
    (f,) = json.loads((tmp_path / "r.json").read_text())["files"]
    by_check: dict[str, set[str]] = {}
    for x in f["findings"]:
        by_check.setdefault(x["check"], set()).add(x["status"])
    assert by_check["synthetic-contamination"] == {"insufficient-data"}
    assert "pass" in by_check["diversity-loss"]
    assert f["status"] == "pass" and f["reason"].startswith("all ")
    # Against a reference, a column left out of the comparison is named in the file's notes.
    rows = pd.DataFrame({"v": rng.normal(size=600)})
    from collapse_guard.api import profile

    profile(rows).save(tmp_path / "ref.json")
    rows.assign(comment=[f"c{i}" for i in range(600)]).to_csv(tmp_path / "a.csv", index=False)
    out = tmp_path / "r2.json"
    main(
        [
            "scan",
            str(tmp_path / "a.csv"),
            "-r",
            str(tmp_path / "ref.json"),
            "--format",
            "json",
            "-o",
            str(out),
        ]
    )
    (f,) = json.loads(out.read_text())["files"]
    assert f["notes"] == ["column 'comment' skipped: not in the reference"]


def test_a_scan_that_writes_its_report_beside_the_data_can_be_run_again(tmp_path: Path) -> None:
    pd.DataFrame({"v": np.random.default_rng(0).normal(size=300)}).to_csv(tmp_path / "a.csv", index=False)
    out = tmp_path / "report.json"
    args = ["scan", str(tmp_path), "--format", "json", "-o", str(out), *SEL]
    assert main(args) == 0
    first = json.loads(out.read_text())
    assert main(args) == 0  # the first run's report is not read as data
    second = json.loads(out.read_text())
    assert [f["path"] for f in second["files"]] == [f["path"] for f in first["files"]]
    assert main(["scan", str(tmp_path), "--format", "json", "-o", str(tmp_path / "other.json"), *SEL]) == 0
    names = [Path(f["path"]).name for f in json.loads((tmp_path / "other.json").read_text())["files"]]
    assert names == ["a.csv"]  # report.json, a collapse-guard report, is skipped without -o pointing at it


def test_text_output_shows_brackets_in_paths_and_messages_as_they_are(tmp_path: Path) -> None:
    """Paths and reasons quote the data: rich markup must not eat '[x]' from them."""
    folder = tmp_path / "runs[2024]"
    folder.mkdir()
    (folder / "[b]atch.csv").write_text("v\n" + "\n".join(str(i % 7) for i in range(60)) + "\n")
    out = tmp_path / "scan.txt"
    assert main(["scan", str(folder), "-o", str(out), *SEL]) in (0, 1)
    text = out.read_text()
    assert f"collapse-guard scan of {folder}" in text and "[b]atch.csv" in text


def test_exit_2_names_the_file_that_could_not_be_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "good.csv").write_text("v\n" + "\n".join(str(i % 7) for i in range(60)) + "\n")
    (tmp_path / "empty.csv").write_text("")
    capsys.readouterr()
    assert main(["scan", str(tmp_path), "--format", "json", *SEL]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "empty.csv" in err[0] and "empty" in err[0]
    # With -o, where the report went is part of that one line, not a line of its own.
    out = tmp_path.parent / f"{tmp_path.name}-scan.json"
    assert main(["scan", str(tmp_path), "-o", str(out), *SEL]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "empty.csv" in err[0] and err[0].endswith(f"report written to {out}")
    assert json.loads(out.read_text())["files"]


@pytest.mark.skipif(sys.platform == "win32", reason="Windows file names cannot hold a newline")
def test_a_file_name_with_a_newline_stays_on_one_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The text table shows the name escaped (one row, one line); JSON keeps the real name; the
    exit-2 line on stderr stays one line."""
    data = "v\n" + "\n".join(str(i % 7) for i in range(60)) + "\n"
    (tmp_path / "bad\nname.csv").write_text(data)
    (tmp_path / "ok.csv").write_text(data)
    out = tmp_path.parent / f"{tmp_path.name}-scan.txt"
    monkeypatch.chdir(tmp_path)  # relative paths: the table's file column is not truncated
    assert main(["scan", ".", "-o", str(out), *SEL]) in (0, 1)
    lines = out.read_text().splitlines()
    (row,) = [line for line in lines if "name.csv" in line and "│" in line]
    assert row.startswith("bad\\nname.csv ") and row.split("│")[1].strip() in ("pass", "warn", "fail")
    assert not any(line.startswith("name.csv") for line in lines)
    capsys.readouterr()
    assert main(["scan", ".", "--format", "json", *SEL]) in (0, 1)
    paths = [Path(f["path"]).name for f in json.loads(capsys.readouterr().out)["files"]]
    assert paths == ["bad\nname.csv", "ok.csv"]
    assert main(["scan", ".", "--format", "markdown", *SEL]) in (0, 1)
    assert "| `bad\\nname.csv` |" in capsys.readouterr().out  # escaped, not turned into a space
    (tmp_path / "empty\nfile.csv").write_text("")
    assert main(["scan", ".", *SEL]) == 2
    result = capsys.readouterr()
    err = result.err.strip().splitlines()
    assert len(err) == 1 and "empty\\nfile.csv: the file is empty" in err[0], err
    assert any(line.startswith("empty\\nfile.csv ") and "error" in line for line in result.out.splitlines())


def test_one_line_escapes_only_unprintable_names() -> None:
    from collapse_guard.reporters import one_line

    assert one_line("runs[2024]/a b\\c.csv") == "runs[2024]/a b\\c.csv"  # printable: unchanged
    assert one_line("a\nb\tc\x1b[31m\u2028\udcff.csv") == "a\\nb\\tc\\x1b[31m\\u2028\\udcff.csv"
    # Once escaping, a real backslash is doubled so that "a\\n" cannot pass for a newline.
    assert one_line("a\\n\nb") == "a\\\\n\\nb"


def test_a_folder_of_one_short_document_is_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A folder's documents are a text column even when one short document would be inferred a
    category: the scan says the column has too few documents, not that there is no text column."""
    (tmp_path / "note.txt").write_text("hello world\n")
    capsys.readouterr()
    assert main(["scan", str(tmp_path), "--format", "json"]) == 0
    (f,) = json.loads(capsys.readouterr().out)["files"]
    messages = [x["message"] for x in f["findings"]]
    assert not any("no text column" in m for m in messages), messages
    assert any("text column 'text' has 1 document (need 30 with words)" in m for m in messages), messages
    assert f["reason"].startswith("1 document: no finding could be tested")
    assert "no text column" not in f["reason"]
    # A kind given in the config still wins over the format's.
    assert main(["scan", str(tmp_path), "--format", "json", "--column", "text=categorical"]) == 0
    (f,) = json.loads(capsys.readouterr().out)["files"]
    assert any("no text column" in x["message"] for x in f["findings"])


def test_a_link_to_a_file_already_in_the_folder_is_scanned_once(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    _table(rng, 300).to_csv(tmp_path / "a.csv", index=False)
    try:
        (tmp_path / "b.csv").symlink_to("a.csv")
    except OSError:
        pytest.skip("no symbolic links here")
    report = scan_paths([tmp_path], config=Config())
    assert [Path(f.path).name for f in report.files] == ["a.csv"]
    assert report.skipped == {"link to a file already scanned": 1}
