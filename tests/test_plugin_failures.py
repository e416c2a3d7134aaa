"""A misbehaving third-party plugin is named, and the run says what to do about it.

A small distribution ``cg-feather`` (entry point ``feather``) is "installed" into a folder put on
PYTHONPATH: it has a reader that crashes with a KeyError, a check that crashes and a check that
emits a metric it does not declare. The command line runs in a separate process, so the plugin
loads from its entry point exactly as an installed one would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import CrashingCheck

import collapse_guard as cg
from collapse_guard.config import Config
from collapse_guard.errors import CollapseGuardWarning, ConfigError, PluginCrashError
from collapse_guard.plugins import build_registry, get_plugin_manager
from collapse_guard.readers import iter_chunks
from collapse_guard.readers.builtin import CsvReader
from collapse_guard.runner import run_checks

PLUGIN = """
import pandas as pd
import collapse_guard as cg


class Feather:
    name = "feather"
    suffixes = (".feather",)

    def read(self, path, chunk_rows):
        mode = open(path).read().strip()
        if mode == "input":
            raise cg.InputError(f"{path}: not a feather file; re-export it")
        yield pd.DataFrame({"x": [1.0, 2.0]})
        raise KeyError("oops")


class Crashy:
    name = "crashy"
    description = "always crashes"
    default_enabled = False
    metrics = {"x": cg.MetricSpec("x", worse="lower", warn=0.5, fail=0.2)}
    options = {}

    def run(self, ctx):
        raise ZeroDivisionError("boom")


class Broken:
    name = "broken"
    description = "a report format that crashes"
    supports_scan = True

    def render(self, report):
        raise RuntimeError("boom in reporter")


@cg.hookimpl
def register_readers(register):
    register(Feather())


@cg.hookimpl
def register_reporters(register):
    register(Broken())


@cg.hookimpl
def register_checks(register):
    register(Crashy())
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the module and dist-info of the plugin distribution ``cg-feather``."""
    root = tmp_path_factory.mktemp("site")
    (root / "cg_feather.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    info = root / "cg_feather-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cg-feather\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[collapse_guard]\nfeather = cg_feather\n")
    return root


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """human.csv, its reference ref.json, a batch.csv, and .feather files for the plugin reader."""
    root = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(7)
    pd.DataFrame({"x": rng.normal(size=3000)}).to_csv(root / "human.csv", index=False)
    pd.DataFrame({"x": rng.normal(size=1000)}).to_csv(root / "batch.csv", index=False)
    cg.profile_files(root / "human.csv").save(root / "ref.json")
    (root / "data.feather").write_text("crash\n")
    (root / "bad.feather").write_text("input\n")
    return root


def _cli(site: Path, cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "COLLAPSE_GUARD_LOAD_PLUGINS"}
    environ.update(PYTHONPATH=str(site), **env)
    return subprocess.run(
        [sys.executable, "-m", "collapse_guard", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=cwd,
    )


def _one_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    lines = proc.stderr.rstrip("\n").split("\n")
    assert len(lines) == 1, lines
    return lines[0]


# --- a crashing reader plugin ---------------------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "profile"])
def test_a_crashing_plugin_reader_is_named_with_its_plugin_and_file(
    site: Path, data: Path, command: str
) -> None:
    args = ["-r", "ref.json"] if command == "check" else ["-o", "out.json"]
    line = _one_line(_cli(site, data, command, "data.feather", *args))
    assert line == (
        "collapse-guard: error: data.feather: reader 'feather' (plugin cg-feather) crashed: "
        "KeyError: 'oops'; report it to the plugin's authors, or rerun with --traceback"
    )


def test_a_crashing_plugin_reader_shows_its_own_traceback_with_the_flag(site: Path, data: Path) -> None:
    proc = _cli(site, data, "check", "data.feather", "-r", "ref.json", "--traceback")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "Traceback" in proc.stderr
    assert 'raise KeyError("oops")' in proc.stderr  # the plugin's own line
    assert "PluginCrashError: data.feather: reader 'feather' (plugin cg-feather) crashed" in proc.stderr


def test_an_input_error_from_a_plugin_reader_is_passed_through(site: Path, data: Path) -> None:
    line = _one_line(_cli(site, data, "check", "bad.feather", "-r", "ref.json"))
    assert line == "collapse-guard: error: bad.feather: not a feather file; re-export it"


class _LooseReader:
    name = "loose"
    suffixes = (".loose",)

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def read(self, path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
        yield pd.DataFrame({"a": [1.0]})
        raise self.exc


def test_a_crash_of_a_reader_outside_any_registry_names_the_reader(tmp_path: Path) -> None:
    path = tmp_path / "d.loose"
    path.write_text("x")
    with pytest.raises(PluginCrashError) as caught:
        list(iter_chunks([path], [_LooseReader(AttributeError("no attribute 'frame'"))]))
    assert str(caught.value) == (
        f"{path}: reader 'loose' crashed: AttributeError: no attribute 'frame'; report it to the "
        "reader's authors, or rerun with --traceback"
    )
    assert isinstance(caught.value.__cause__, AttributeError)  # --traceback shows the original


def test_a_plugin_readers_parse_error_stays_an_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "d.loose"
    path.write_text("x")
    with pytest.raises(cg.InputError, match=r"d\.loose: cannot be read \(bad row 3\); check the file"):
        list(iter_chunks([path], [_LooseReader(ValueError("bad row 3"))]))


class _BrokenCsv(CsvReader):
    def read(self, path: Path, chunk_rows: int, limits: Any = None) -> Iterator[pd.DataFrame]:
        raise KeyError("internal")


def test_a_builtin_readers_own_bug_is_not_blamed_on_a_plugin(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a\n1\n")
    with pytest.raises(KeyError, match="internal"):  # the command line's "internal error" wording
        list(iter_chunks([path], [_BrokenCsv("csv", ",", (".csv",))]))


# --- a crashing check under --traceback -----------------------------------------------------------


def test_traceback_flag_completes_the_run_and_prints_the_checks_traceback(site: Path, data: Path) -> None:
    args = ["check", "batch.csv", "-r", "ref.json", "--select", "crashy,tail-shrinkage", "--format", "json"]
    plain = _cli(site, data, *args)
    assert plain.returncode == 1 and plain.stderr == ""
    error = next(f for f in json.loads(plain.stdout)["findings"] if f["status"] == "error")
    assert "Rerun with --traceback" in error["message"]

    traced = _cli(site, data, *args, "--traceback")
    assert traced.returncode == 1, traced.stderr  # a report, exit 1 (an error counts as fail)
    report = json.loads(traced.stdout)
    assert report["status"] == "fail"
    assert any(f["check"] == "tail-shrinkage" for f in report["findings"])  # the others still ran
    error = next(f for f in report["findings"] if f["status"] == "error")
    assert error["check"] == "crashy" and "ZeroDivisionError: boom" in error["message"]
    assert "traceback is on stderr" in error["message"] and "Rerun" not in error["message"]
    assert "collapse-guard: check 'crashy' crashed:\nTraceback (most recent call last):" in traced.stderr
    assert 'raise ZeroDivisionError("boom")' in traced.stderr
    assert traced.stderr.rstrip().endswith("ZeroDivisionError: boom")


@pytest.mark.parametrize("threads", [1, 3])
def test_runner_in_traceback_mode_reports_and_writes_tracebacks_in_check_order(
    human: pd.DataFrame, capsys: pytest.CaptureFixture[str], threads: int
) -> None:
    class OtherCrash(CrashingCheck):
        name = "another-crash"

        def run(self, ctx: Any) -> Iterable[cg.Measurement]:
            raise RuntimeError("second")

    registry = build_registry(get_plugin_manager(load_entry_points=False))
    checks = {**registry.checks, "crashy": CrashingCheck(), "another-crash": OtherCrash()}
    ref, batch = cg.profile(human.iloc[2000:]), cg.profile(human.iloc[:2000])
    config = Config(select=("crashy", "another-crash", "tail-shrinkage"), threads=threads)
    capsys.readouterr()
    report = run_checks(ref, batch, checks, config, show_tracebacks=True)
    err = capsys.readouterr().err
    errors = report.by_status("error")
    assert [f.check for f in errors] == ["another-crash", "crashy"]
    assert any(f.check == "tail-shrinkage" for f in report.findings)
    assert err.index("check 'another-crash' crashed") < err.index("check 'crashy' crashed")
    assert "RuntimeError: second" in err and "ZeroDivisionError: boom" in err
    # the traceback is kept on the finding (for the Python API), not in the JSON report
    assert errors[1].traceback is not None and "ZeroDivisionError: boom" in errors[1].traceback
    assert "traceback" not in errors[1].to_dict()
    quiet = run_checks(ref, batch, checks, config)
    assert capsys.readouterr().err == ""
    assert quiet.to_dict()["findings"][2:] == report.to_dict()["findings"][2:]


# --- a check that emits an undeclared metric ------------------------------------------------------


class _Undeclared:
    name = "sloppy"
    description = "emits a metric it did not declare"
    default_enabled = True
    metrics = {"share": cg.MetricSpec("share", worse="higher", warn=0.1, fail=0.2)}
    options: dict = {}

    def run(self, ctx: Any) -> Iterable[cg.Measurement]:
        yield cg.Measurement("gauss", "share", value=0.0, effect=0.0, message="fine")
        yield cg.Measurement("gauss", "shares", value=0.5, effect=0.5, message="typo")


def test_an_undeclared_metric_is_a_contract_violation_named_as_such(human: pd.DataFrame) -> None:
    registry = build_registry(get_plugin_manager(load_entry_points=False))
    checks = {**registry.checks, "sloppy": _Undeclared()}
    ref, batch = cg.profile(human.iloc[2000:]), cg.profile(human.iloc[:2000])
    report = run_checks(ref, batch, checks, Config(select=("sloppy", "tail-shrinkage")))
    errors = report.by_status("error")
    assert len(errors) == 1 and errors[0].check == "sloppy"
    message = errors[0].message
    assert "check 'sloppy' broke the check contract" in message
    assert "metric 'shares' is not declared in the check's metrics (declared: share)" in message
    assert "declare every metric it emits" in message and "--ignore sloppy" in message
    assert "crashed" not in message and "runner.py" not in message and "ValueError" not in message
    assert errors[0].traceback is None
    assert not [f for f in report.findings if f.check == "sloppy" and f.status is not cg.Status.ERROR]
    assert any(f.check == "tail-shrinkage" for f in report.findings)
    assert report.status == "fail"


# --- COLLAPSE_GUARD_LOAD_PLUGINS and unknown check names -------------------------------------------


def test_load_plugins_naming_nothing_installed_warns_once(site: Path, data: Path) -> None:
    proc = _cli(site, data, "readers", COLLAPSE_GUARD_LOAD_PLUGINS="bogus,feather")
    assert proc.returncode == 0 and "feather" in proc.stdout  # the real name still loads
    assert proc.stderr == (
        "collapse-guard: warning: COLLAPSE_GUARD_LOAD_PLUGINS names 'bogus', which matches no "
        "installed plugin (installed: cg-feather (feather)); use entry-point or distribution names "
        "from `pip list`, or unset it\n"
    )
    for good in ("cg-feather", "feather", ""):
        quiet = _cli(site, data, "readers", COLLAPSE_GUARD_LOAD_PLUGINS=good)
        assert quiet.returncode == 0 and quiet.stderr == ""


def test_load_plugins_warning_from_the_python_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLLAPSE_GUARD_LOAD_PLUGINS", "no-such-plugin")
    with pytest.warns(CollapseGuardWarning, match="names 'no-such-plugin', which matches no installed"):
        get_plugin_manager()
    monkeypatch.setenv("COLLAPSE_GUARD_LOAD_PLUGINS", "")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        get_plugin_manager()


def test_unknown_check_names_where_it_was_given_and_the_plugin_restriction(site: Path, data: Path) -> None:
    base = ["check", "batch.csv", "-r", "ref.json"]
    selected = _one_line(_cli(site, data, *base, "--select", "nope"))
    assert "unknown check 'nope' in --select; known checks:" in selected
    assert "crashy" in selected and "COLLAPSE_GUARD_LOAD_PLUGINS" not in selected

    restricted = _cli(site, data, *base, "--select", "crashy", COLLAPSE_GUARD_LOAD_PLUGINS="")
    line = _one_line(restricted)
    assert "unknown check 'crashy' in --select; known checks:" in line
    assert (
        "only the plugins named in COLLAPSE_GUARD_LOAD_PLUGINS='' were loaded, which left out the "
        "installed plugin cg-feather: if the name comes from a plugin, add the plugin there or unset "
        "COLLAPSE_GUARD_LOAD_PLUGINS"
    ) in line

    ignored = _one_line(_cli(site, data, *base, "--ignore", "nope"))
    assert "unknown check 'nope' in --ignore;" in ignored

    (data / "cfg.toml").write_text('select = ["nope"]\n')
    from_file = _one_line(_cli(site, data, *base, "--config", "cfg.toml"))
    assert "unknown check 'nope' in select (cfg.toml);" in from_file


def test_unknown_check_from_the_python_api_names_the_argument(human: pd.DataFrame) -> None:
    ref = cg.profile(human.iloc[2000:])
    with pytest.raises(ConfigError, match=r"unknown check 'nope' in select= \(the Python API\)"):
        cg.check(human.iloc[:2000], ref, select=["nope"])
    with pytest.raises(ConfigError, match=r"unknown check 'nope' in ignore= \(the Python API\)"):
        cg.check(human.iloc[:2000], ref, ignore="nope")
    with pytest.raises(ConfigError, match=r"unknown check 'nope' in ignore \(the config passed"):
        cg.check(human.iloc[:2000], ref, config={"ignore": ["nope"]}, ignore="nope")


@pytest.mark.parametrize("command", ["check", "scan"])
def test_a_crashing_plugin_report_format_is_named_with_its_plugin(
    site: Path, data: Path, command: str
) -> None:
    args = ["batch.csv", "-r", "ref.json"] if command == "check" else ["batch.csv"]
    line = _one_line(_cli(site, data, command, *args, "--format", "broken"))
    assert line == (
        "collapse-guard: error: report format 'broken' (plugin cg-feather) crashed: RuntimeError: boom in "
        "reporter; report it to the plugin's authors, choose another --format, or rerun with --traceback"
    )


@pytest.mark.parametrize("command", ["check", "scan"])
def test_a_crashing_report_format_under_traceback_does_not_advise_the_flag(
    site: Path, data: Path, command: str
) -> None:
    args = ["batch.csv", "-r", "ref.json"] if command == "check" else ["batch.csv"]
    proc = _cli(site, data, command, *args, "--format", "broken", "--traceback")
    assert proc.returncode == 2 and proc.stdout == ""
    assert 'raise RuntimeError("boom in reporter")' in proc.stderr  # the traceback is shown
    assert proc.stderr.rstrip().endswith(
        "PluginCrashError: report format 'broken' (plugin cg-feather) crashed: RuntimeError: boom in "
        "reporter; report it to the plugin's authors, or choose another --format"
    )
