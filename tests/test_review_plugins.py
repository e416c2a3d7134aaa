"""Plugin contract fixes from the newcomer review: declarations are validated when a plugin
loads, COLLAPSE_GUARD_LOAD_PLUGINS compares names as pip does, a check can be unit-tested from
DataFrames, and docs/plugins.md agrees with the code it describes."""

from __future__ import annotations

import inspect
import math
import os
import re
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

import collapse_guard as cg
from collapse_guard.config import Config
from collapse_guard.context import CheckContext
from collapse_guard.errors import ConfigError, PluginCrashError, PluginError, tracebacks_shown
from collapse_guard.plugins import build_registry, get_plugin_manager, render_report
from collapse_guard.protocols import RESERVED_OPTION_NAMES, validate_check
from collapse_guard.stats import distributions

PLUGINS_DOC = (ROOT / "docs" / "plugins.md").read_text()
CONFIG_DOC = (ROOT / "docs" / "configuration.md").read_text()
EXAMPLE_README = (ROOT / "examples" / "plugin" / "README.md").read_text()


def _section(text: str, heading: str) -> str:
    start = text.index(heading) + len(heading)
    end = text.find("\n#", start)
    return text[start : end if end != -1 else len(text)]


class _Check:
    """A valid check; tests break one declaration at a time."""

    description = "a test check"
    default_enabled = True

    def __init__(self, name: str = "good-check", **overrides: Any) -> None:
        self.name = name
        self.metrics: dict[str, Any] = {"share": cg.MetricSpec("share", worse="higher", warn=0.1, fail=0.2)}
        self.options: dict[str, Any] = {"depth": cg.OptionSpec.integer(3, "how deep", 1)}
        for key, value in overrides.items():
            setattr(self, key, value)

    def run(self, ctx: Any) -> Iterable[cg.Measurement]:
        for column in ctx.columns():
            yield cg.Measurement(column, "share", value=0.0, effect=0.0, message="fine")


class _Registers:
    """A plugin registering the objects ``make()`` returns, built when the hook is called."""

    def __init__(self, make: Any) -> None:
        self.make = make

    @cg.hookimpl
    def register_checks(self, register: Any) -> None:
        for check in self.make():
            register(check)


def _registry_with(plugin: object, name: str = "review-plugin") -> Any:
    pm = get_plugin_manager(load_entry_points=False)
    pm.register(plugin, name=name)
    return build_registry(pm)


# --- 3. a check's declarations are validated ------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(worse="higher", warn=0.9, fail=0.1), r"fail \(0\.1\) must be >= warn \(0\.9\) because higher"),
        (dict(worse="lower", warn=0.5, fail=0.7), r"fail \(0\.7\) must be <= warn \(0\.5\) because lower"),
        (dict(worse="up", warn=0.1, fail=0.2), r'worse must be "lower" or "higher", got \'up\''),
        (dict(worse="higher", warn=0.5, fail=1.5, bounds=(0.0, 1.0)), r"fail = 1\.5 is outside bounds"),
        (dict(worse="lower", warn=0.5, fail=-0.1), r"fail = -0\.1 is outside bounds \[0\.0, inf\]"),
        (dict(worse="higher", warn=math.nan, fail=0.2), r"warn must be a number, got nan"),
        (dict(worse="higher", warn=True, fail=0.2), r"warn must be a number, got True"),
        (dict(worse="higher", warn="0.1", fail=0.2), r"warn must be a number, got '0\.1'"),
        (dict(worse="higher", warn=0.1, fail=0.2, bounds=(1.0, 0.0)), r"bounds must be \(low, high\)"),
        (dict(worse="higher", warn=0.1, fail=0.2, bounds=(0.0,)), r"bounds must be \(low, high\)"),
    ],
)
def test_an_inconsistent_metric_spec_is_refused_when_built(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=r"MetricSpec\('dup share'\): " + message):
        cg.MetricSpec("dup share", **kwargs)


def test_consistent_metric_specs_are_accepted() -> None:
    assert cg.MetricSpec("x", worse="higher", warn=0.2, fail=0.2).fail == 0.2  # equal is allowed
    assert cg.MetricSpec("x", worse="higher", warn=2, fail=math.inf).beyond(1e300, math.inf) is False
    assert cg.MetricSpec("x", worse="lower", warn=0.7, fail=0.5, bounds=[0, 1]).bounds == [0, 1]


def test_the_reported_case_no_longer_turns_a_mild_effect_into_a_fail() -> None:
    """warn 0.9 / fail 0.1 with worse="higher" made an effect of 0.5 a fail; it is refused now."""
    with pytest.raises(ValueError, match="must be >= warn"):
        cg.MetricSpec("share", worse="higher", warn=0.9, fail=0.1)


@pytest.mark.parametrize("name", ["Bad Name", "bad_name", "BadName", "-bad", "bad-", "bad--name", "1bad", ""])
def test_a_check_name_that_is_not_lowercase_hyphenated_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match=r"must be lowercase letters and digits .* like 'tail-shrinkage'"):
        validate_check(_Check(name))
    with pytest.raises(PluginError) as err:
        _registry_with(_Registers(lambda: [_Check(name)]))
    assert str(err.value).startswith("plugin 'review-plugin' registered an invalid check: check name")


@pytest.mark.parametrize("name", ["a", "good-check", "rule-2", "x2-y3-z"])
def test_lowercase_hyphenated_names_are_accepted(name: str) -> None:
    assert name in _registry_with(_Registers(lambda: [_Check(name)])).checks


@pytest.mark.parametrize("option", sorted(RESERVED_OPTION_NAMES))
def test_an_option_named_like_a_reserved_config_key_is_refused(option: str) -> None:
    check = _Check(options={option: cg.OptionSpec.integer(1, "shadowed", 0)})
    with pytest.raises(PluginError, match=rf"option '{option}' is a reserved key of \[checks\.good-check\]"):
        _registry_with(_Registers(lambda: [check]))


def test_reserved_option_names_are_the_keys_config_gives_a_meaning() -> None:
    """The config refuses other keys and lists these as its own: the two lists must agree."""
    from collapse_guard.config import parse_config

    bare = _Check(options={})
    cfg = parse_config({"checks": {"good-check": {"nope": 1}}}, "test")
    with pytest.raises(ConfigError) as err:
        cfg.validate({"good-check": bare})
    known = str(err.value).split("known keys: ")[1].split(", ")
    assert set(known) == RESERVED_OPTION_NAMES


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            dict(metrics={"share": {"warn": 0.1}}),
            "metric 'share' must be a collapse_guard.MetricSpec, got dict",
        ),
        (dict(metrics=[("share", None)]), "metrics must be a dict of MetricSpec, got list"),
        (dict(options={"depth": 3}), "option 'depth' must be a collapse_guard.OptionSpec, got int"),
        (dict(default_enabled="yes"), "default_enabled must be True or False, got 'yes'"),
        (dict(run=None), "run must be a method run"),
    ],
)
def test_other_malformed_declarations_are_refused(override: dict[str, Any], message: str) -> None:
    with pytest.raises(PluginError, match=re.escape(message)):
        _registry_with(_Registers(lambda: [_Check(**override)]))


def test_a_metric_spec_refused_inside_the_hook_names_the_plugin() -> None:
    def make() -> list[Any]:
        return [_Check(metrics={"s": cg.MetricSpec("s", worse="higher", warn=0.9, fail=0.1)})]

    with pytest.raises(PluginError) as err:
        _registry_with(_Registers(make))
    assert str(err.value).startswith(
        "plugin 'review-plugin' failed in register_checks: ValueError: MetricSpec('s'): fail (0.1) must be >="
    )
    assert isinstance(err.value.__cause__, ValueError)  # --traceback shows where


def test_every_builtin_check_passes_the_validation() -> None:
    registry = build_registry(get_plugin_manager(load_entry_points=False))
    assert len(registry.checks) >= 4
    for check in registry.checks.values():
        validate_check(check)


BAD_PLUGINS = {
    # A spec refused at import: the entry point fails to load.
    "cg_bad_spec": """
        import collapse_guard as cg

        class Inverted:
            name = "inverted"
            description = "warn and fail the wrong way round"
            metrics = {"share": cg.MetricSpec("share", worse="higher", warn=0.9, fail=0.1)}
            options = {}

            def run(self, ctx):
                return []

        @cg.hookimpl
        def register_checks(register):
            register(Inverted())
        """,
    # A bad name, met at registration.
    "cg_bad_name": """
        import collapse_guard as cg

        class Spaced:
            name = "Bad Name"
            description = "a name nobody can type in --select"
            metrics = {}
            options = {}

            def run(self, ctx):
                return []

        @cg.hookimpl
        def register_checks(register):
            register(Spaced())
        """,
}


@pytest.fixture(scope="module")
def bad_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    for module, code in BAD_PLUGINS.items():
        (root / f"{module}.py").write_text(textwrap.dedent(code), encoding="utf-8")
        dist = module.replace("_", "-")
        info = root / f"{module}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text(f"[collapse_guard]\n{module.removeprefix('cg_')} = {module}\n")
    return root


def _cli(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "COLLAPSE_GUARD_LOAD_PLUGINS"}
    environ.update(PYTHONPATH=str(site), **env)
    return subprocess.run(
        [sys.executable, "-m", "collapse_guard", *args], capture_output=True, text=True, env=environ
    )


@pytest.mark.parametrize(
    ("dist", "needle"),
    [
        (
            "cg-bad-spec",
            "plugin 'cg-bad-spec' (entry point 'bad_spec') failed to import: ValueError: "
            "MetricSpec('share'): fail (0.1) must be >= warn (0.9)",
        ),
        ("cg-bad-name", "plugin 'cg-bad-name' registered an invalid check: check name 'Bad Name' must be"),
    ],
)
def test_an_invalid_plugin_check_stops_the_command_line_with_exit_2(
    bad_site: Path, dist: str, needle: str
) -> None:
    proc = _cli(bad_site, "checks", COLLAPSE_GUARD_LOAD_PLUGINS=dist)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    lines = proc.stderr.rstrip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("collapse-guard: error: ") and needle in lines[0], lines


# --- 6. COLLAPSE_GUARD_LOAD_PLUGINS compares names as pip does ------------------------------------


@pytest.fixture
def null_share_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The distribution ``cg-null-share`` (entry point ``nullshare``) on sys.path, in-process."""
    (tmp_path / "cg_null_share_plugin.py").write_text(
        "import collapse_guard as cg\n\n\nclass R:\n    name = 'nulls'\n    description = 'x'\n\n"
        "    def render(self, report):\n        return ''\n\n\n@cg.hookimpl\n"
        "def register_reporters(register):\n    register(R())\n"
    )
    info = tmp_path / "cg_null_share-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cg-null-share\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[collapse_guard]\nnullshare = cg_null_share_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


@pytest.mark.parametrize(
    "spelling", ["cg-null-share", "cg_null_share", "CG.Null_Share", "nullshare", "NullShare"]
)
def test_load_plugins_names_are_compared_pep503_normalised(
    null_share_site: Path, monkeypatch: pytest.MonkeyPatch, spelling: str
) -> None:
    monkeypatch.setenv("COLLAPSE_GUARD_LOAD_PLUGINS", spelling)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "matches no installed plugin"
        pm = get_plugin_manager()
    assert pm.get_plugin("nullshare") is not None
    assert "nulls" in build_registry(pm).reporters


def test_an_unmatched_load_plugins_name_is_quoted_as_the_user_wrote_it(
    null_share_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLLAPSE_GUARD_LOAD_PLUGINS", "cg_null_share, No_Such.Plugin")
    with pytest.warns(cg.errors.CollapseGuardWarning, match=r"names 'No_Such\.Plugin', which matches no"):
        pm = get_plugin_manager()
    assert pm.get_plugin("nullshare") is not None


# --- 8. collapse_guard.stats.distributions is documented and used by the example ------------------


def _documented_distributions() -> dict[str, list[str]]:
    section = _section(PLUGINS_DOC, "### Probability distributions")
    rows = re.findall(r"^\| `(\w+)\(([^)]*)\)` \|", section, re.M)
    return {name: [a.strip() for a in args.split(",") if a.strip()] for name, args in rows}


def test_documented_distributions_exist_with_their_documented_parameters() -> None:
    documented = _documented_distributions()
    assert "binom_pvalue" in documented and "binom_sf" in documented
    for name, args in documented.items():
        function = getattr(distributions, name, None)
        assert callable(function), f"docs/plugins.md lists {name}, which stats/distributions.py lacks"
        assert list(inspect.signature(function).parameters) == args, f"{name}: parameters differ"
    public = {
        name
        for name, value in vars(distributions).items()
        if inspect.isfunction(value)
        and not name.startswith("_")
        and value.__module__ == distributions.__name__
    }
    assert public == set(documented), "document every public function of stats/distributions.py"


def test_the_docs_state_one_scipy_stats_import_cost() -> None:
    module = (ROOT / "examples" / "plugin" / "collapse_guard_missing" / "__init__.py").read_text()
    figures = set()
    for text in (PLUGINS_DOC, EXAMPLE_README, module):
        flat = " ".join(text.replace("#", " ").split())
        found = re.findall(r"scipy\.stats`? (?:takes |\()about ([\d.]+ s)", flat)
        found += re.findall(r"importing it takes about ([\d.]+ s)", flat)
        assert found, "no import cost of scipy.stats stated"
        figures.update(found)
    assert len(figures) == 1, figures


def test_the_example_check_runs_without_importing_scipy_stats() -> None:
    code = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(ROOT / "examples" / "plugin")!r})
        import pandas as pd
        from collapse_guard.context import CheckContext
        from collapse_guard_missing import MissingValues

        ref = pd.DataFrame({{"x": [1.0, 2.0, 3.0, 4.0] * 500}})
        batch = pd.DataFrame({{"x": [None, 2.0, 3.0, 4.0] * 100}})
        [m] = MissingValues().run(CheckContext.build(MissingValues(), batch, ref))
        print(m.p_value < 1e-12, m.effect > 100, "scipy.stats" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True", "False"]


def test_binom_pvalue_is_the_example_checks_former_scipy_test() -> None:
    stats = pytest.importorskip("scipy.stats")
    for k, n, p in [(0, 10, 0.1), (7, 40, 0.05), (600, 2000, 0.001), (3, 3, 0.5)]:
        expected = stats.binomtest(k, n, p, alternative="greater").pvalue
        assert distributions.binom_pvalue(k, n, p, "greater") == pytest.approx(expected, rel=1e-9, abs=1e-300)


# --- 9 and 10. CheckContext.build, ctx.columns() without a reference ------------------------------


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_the_testing_a_check_example_in_the_docs_runs() -> None:
    namespace: dict[str, Any] = {}
    example_check = next(b for b in _python_blocks(PLUGINS_DOC) if "class NonNegative" in b)
    exec(compile(example_check, "plugins.md", "exec"), namespace)
    test_block = _python_blocks(_section(PLUGINS_DOC, "### Testing a check"))[0]
    exec(compile(test_block, "plugins.md#testing-a-check", "exec"), namespace)
    namespace["test_negative_values_are_measured"]()


def test_the_example_readme_unit_test_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "examples" / "plugin"))
    block = next(b for b in _python_blocks(EXAMPLE_README) if "CheckContext.build" in b)
    exec(compile(block, "examples/plugin/README.md", "exec"), {})


def test_build_profiles_dataframes_as_a_run_would() -> None:
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"x": rng.normal(size=400), "c": ["a", "b"] * 200})
    batch = pd.DataFrame({"x": rng.normal(size=100), "c": ["a"] * 100, "extra": rng.normal(size=100)})
    ctx = CheckContext.build(_Check(), batch, ref, synthetic=ref, config={"seed": 7})
    assert isinstance(ctx.reference, cg.Profile) and isinstance(ctx.batch, cg.Profile)
    assert isinstance(ctx.synthetic, cg.Profile)
    assert ctx.batch.rows == 100 and ctx.seed == 7
    assert ctx.columns() == ["x", "c"]  # a batch is read with the reference's columns
    assert ctx.batch.column("c").kind is ctx.reference.column("c").kind
    assert ctx.option("depth") == 3


def test_build_takes_a_reference_file_and_a_config_with_this_checks_options(tmp_path: Path) -> None:
    ref = pd.DataFrame({"x": np.random.default_rng(1).normal(size=300)})
    cg.profile(ref).save(tmp_path / "ref.json")
    config = {"checks": {"good-check": {"depth": 9}, "tail-shrinkage": {"power": 0.9}}}
    ctx = CheckContext.build(_Check(), ref, tmp_path / "ref.json", config=config)
    assert ctx.option("depth") == 9 and ctx.reference is not None and ctx.reference.rows == 300
    with pytest.raises(ConfigError, match=r"checks\.good-check\.depth = 0 is invalid"):
        CheckContext.build(_Check(), ref, ref, config={"checks": {"good-check": {"depth": 0}}})


def test_build_validates_the_checks_declarations() -> None:
    with pytest.raises(ValueError, match="check name 'Bad Name'"):
        CheckContext.build(_Check("Bad Name"), pd.DataFrame({"x": [1.0]}))


def test_without_a_reference_columns_are_the_batchs_own() -> None:
    """docs/plugins.md: with ctx.reference None (scan without -r), ctx.columns(kind) gives the
    batch's columns of that kind that config does not turn off for the check."""
    rng = np.random.default_rng(2)
    batch = pd.DataFrame({"a": rng.normal(size=100), "b": ["u", "v"] * 50, "c": rng.normal(size=100)})
    off = {"columns": {"c": {"checks": {"good-check": {"enabled": False}}}}}
    ctx = CheckContext.build(_Check(), batch, None, config=off)
    assert ctx.reference is None
    assert ctx.columns() == ["a", "b"]
    assert ctx.columns(cg.Kind.NUMERIC) == ["a"]
    assert ctx.columns(cg.Kind.CATEGORICAL) == ["b"]


# --- 11. default_enabled is optional; where options are set ---------------------------------------


def test_a_check_without_default_enabled_loads_and_runs_by_default() -> None:
    class NoDefault:
        name = "no-default"
        description = "declares no default_enabled"
        metrics: dict[str, Any] = {}
        options: dict[str, Any] = {}

        def run(self, ctx: Any) -> Iterable[cg.Measurement]:
            return []

    registry = _registry_with(_Registers(lambda: [NoDefault()]))
    assert Config().check_enabled(registry.checks["no-default"])
    row = next(line for line in PLUGINS_DOC.splitlines() if line.startswith("| `default_enabled` |"))
    assert "optional, default `True`" in row


def _slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_links_to_the_configuration_page_point_at_real_headings() -> None:
    anchors = {_slug(h) for h in re.findall(r"^#+ (.+)$", CONFIG_DOC, re.M)}
    links = re.findall(r"\(configuration\.md#([\w-]+)\)", PLUGINS_DOC)
    assert "checksname-per-check" in links  # the options row says where users set options
    assert set(links) <= anchors


# --- 12. a crashing report format under --traceback -----------------------------------------------


class _BrokenFormat:
    name = "broken-format"
    description = "crashes"

    def render(self, report: Any) -> str:
        raise RuntimeError("boom in reporter")


class _RegistersReporter:
    @cg.hookimpl
    def register_reporters(self, register: Any) -> None:
        register(_BrokenFormat())


def _broken_reporter() -> Any:
    pm = get_plugin_manager(load_entry_points=False)
    pm.register(_RegistersReporter(), name="cg-broken")
    return build_registry(pm).reporters["broken-format"]


def test_a_crashing_report_format_advises_traceback_only_when_not_given() -> None:
    reporter = _broken_reporter()
    with pytest.raises(PluginCrashError) as plain:
        render_report(reporter, None)
    assert str(plain.value).endswith("choose another --format, or rerun with --traceback")
    with pytest.raises(PluginCrashError) as traced:
        render_report(reporter, None, show_traceback=True)
    assert "--traceback" not in str(traced.value)
    assert str(traced.value).endswith("report it to the plugin's authors, or choose another --format")


@pytest.mark.parametrize("flag", [True, False])
def test_render_report_reads_traceback_from_the_command_lines_flag(flag: bool) -> None:
    # cli.main sets the flag for the run (readers' crash messages read the same one).
    reporter = _broken_reporter()
    with tracebacks_shown(flag):
        with pytest.raises(PluginCrashError) as err:
            render_report(reporter, None)
    assert ("rerun with --traceback" in str(err.value)) is not flag
