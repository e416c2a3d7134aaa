"""The plugin host: built-ins are plugins, entry points load, bad plugins fail clearly."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, CrashingCheck

import collapse_guard as cg
from collapse_guard.config import Config
from collapse_guard.errors import PluginError
from collapse_guard.plugins import DEFAULT_PLUGINS, build_registry, get_plugin_manager
from collapse_guard.runner import run_checks


def test_builtins_are_registered_through_the_hooks() -> None:
    registry = build_registry(get_plugin_manager(load_entry_points=False))
    assert "tail-shrinkage" in registry.checks
    assert {"csv", "parquet", "jsonl"} <= set(registry.readers)
    assert {"text", "json"} <= set(registry.reporters)
    assert registry.owners[("check", "tail-shrinkage")] in DEFAULT_PLUGINS


class _Dup:
    @cg.hookimpl
    def register_checks(self, register: Any) -> None:
        class Fake:
            name = "tail-shrinkage"
            description = "a clash"
            metrics: dict = {}
            options: dict = {}
            default_enabled = True

            def run(self, ctx: Any) -> Iterable[cg.Measurement]:
                return []

        register(Fake())


def test_duplicate_name_names_both_plugins() -> None:
    pm = get_plugin_manager(load_entry_points=False)
    pm.register(_Dup(), name="dup-plugin")
    with pytest.raises(PluginError, match=r"dup-plugin.*already registered") as err:
        build_registry(pm)
    assert "collapse_guard.checks.tail_shrinkage" in str(err.value)


class _Typo:
    @cg.hookimpl
    def register_chekcs(self, register: Any) -> None:  # misspelled hook
        pass


def test_hook_without_spec_names_the_plugin() -> None:
    with pytest.raises(PluginError, match="does not exist"):
        get_plugin_manager(load_entry_points=False, extra=(_Typo(),))


class _Incomplete:
    @cg.hookimpl
    def register_reporters(self, register: Any) -> None:
        register(object())


def test_incomplete_object_is_refused() -> None:
    pm = get_plugin_manager(load_entry_points=False, extra=(_Incomplete(),))
    with pytest.raises(PluginError, match="without 'name'"):
        build_registry(pm)


def test_a_crashing_check_becomes_an_error_finding(human: pd.DataFrame) -> None:
    registry = build_registry(get_plugin_manager(load_entry_points=False))
    checks = {**registry.checks, "crashy": CrashingCheck()}
    ref = cg.profile(human)
    batch = cg.profile(human.iloc[:3000])
    report = run_checks(ref, batch, checks, Config(select=("crashy", "tail-shrinkage")))
    errors = report.by_status("error")
    assert len(errors) == 1 and errors[0].check == "crashy"
    assert "ZeroDivisionError: boom" in errors[0].message and "--ignore crashy" in errors[0].message
    assert any(f.check == "tail-shrinkage" for f in report.findings)  # the others still ran
    assert report.status == "fail"
    # --traceback (show_tracebacks) no longer aborts the run: the same report, also in threads
    for threads in (1, 2):
        traced = run_checks(
            ref,
            batch,
            checks,
            Config(select=("crashy", "tail-shrinkage"), threads=threads),
            show_tracebacks=True,
        )
        assert [f.check for f in traced.by_status("error")] == ["crashy"]
        assert traced.to_dict()["findings"][1:] == report.to_dict()["findings"][1:]


def test_results_do_not_depend_on_the_number_of_threads(human: pd.DataFrame) -> None:
    """Checks running side by side give the very report they give one after another."""
    from threadpoolctl import threadpool_info

    registry = build_registry(get_plugin_manager(load_entry_points=False))
    ref = cg.profile(human.iloc[3000:])
    batch = cg.profile(human.iloc[:3000])
    before = {pool["filepath"]: pool["num_threads"] for pool in threadpool_info()}
    serial = run_checks(ref, batch, registry.checks, Config(threads=1))
    parallel = run_checks(ref, batch, registry.checks, Config(threads=4))
    assert serial.to_dict() == parallel.to_dict()
    assert len({f.check for f in parallel.findings}) >= 3
    # The BLAS thread limit held while checks overlap is the process's own again afterwards.
    after = {pool["filepath"]: pool["num_threads"] for pool in threadpool_info()}
    assert {path: after[path] for path in before} == before


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plugin in examples/plugin, installed into its own folder."""
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(ROOT / "examples" / "plugin"),
        ],
        check=True,
        env={**os.environ, "TMPDIR": str(build)},
    )
    return target


def _cli(args: list[str], site: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPATH": str(site), **env}
    return subprocess.run(
        [sys.executable, "-m", "collapse_guard", *args], capture_output=True, text=True, env=environ
    )


def test_example_plugin_loads_from_its_entry_point(installed_plugin: Path, tmp_path: Path) -> None:
    listed = _cli(["checks"], installed_plugin)
    assert listed.returncode == 0 and "missing-values" in listed.stdout
    hidden = _cli(["checks"], installed_plugin, COLLAPSE_GUARD_LOAD_PLUGINS="")
    assert hidden.returncode == 0 and "missing-values" not in hidden.stdout
    chosen = _cli(["reporters"], installed_plugin, COLLAPSE_GUARD_LOAD_PLUGINS="missing")
    assert "tsv" in chosen.stdout

    rng = np.random.default_rng(0)
    human = pd.DataFrame({"x": rng.normal(size=4000)})
    batch = pd.DataFrame({"x": rng.normal(size=2000)})
    batch.loc[:600, "x"] = np.nan
    human.to_csv(tmp_path / "human.csv", index=False)
    batch.to_csv(tmp_path / "batch.csv", index=False)
    assert (
        _cli(
            ["profile", str(tmp_path / "human.csv"), "-o", str(tmp_path / "ref.json")], installed_plugin
        ).returncode
        == 0
    )
    out = _cli(
        [
            "check",
            str(tmp_path / "batch.csv"),
            "-r",
            str(tmp_path / "ref.json"),
            "--select",
            "missing-values",
            "--format",
            "tsv",
        ],
        installed_plugin,
    )
    assert out.returncode == 1, out.stderr
    assert out.stdout.splitlines()[1].startswith("fail\tmissing-values\tx\tmissing_share_ratio")


def test_example_plugin_registers_without_heavy_imports() -> None:
    """Registration must be cheap (hookspecs.py): the example plugin imports scipy.stats only
    when its check runs, so installing it does not slow down every command."""
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT / 'examples' / 'plugin')!r})\n"
        "import collapse_guard_missing as plugin\n"
        "registered = []\n"
        "plugin.register_checks(register=registered.append)\n"
        "plugin.register_reporters(register=registered.append)\n"
        "assert [r.name for r in registered] == ['missing-values', 'tsv']\n"
        "print('scipy.stats' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False", "the example plugin imports scipy.stats on registration"


def test_trace_plugins_shows_every_registration_hook_call() -> None:
    env = {**os.environ, "COLLAPSE_GUARD_TRACE_PLUGINS": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "collapse_guard", "readers"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    calls = [line.strip() for line in out.stderr.splitlines() if line.strip().endswith("[hook]")]
    for hook in ("register_commands", "register_checks", "register_readers", "register_reporters"):
        assert f"{hook} [hook]" in calls  # called one plugin at a time, each call traced
    assert calls.count("register_readers [hook]") == 1  # one built-in plugin registers readers
    quiet = subprocess.run(
        [sys.executable, "-m", "collapse_guard", "readers"], capture_output=True, text=True
    )
    assert quiet.stderr == ""
