"""Docs stay honest: every hook, command, check and config key is documented."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from conftest import ROOT

from collapse_guard.cli import add_plugin_commands, cli
from collapse_guard.config import PROFILE_KEYS, TOP_KEYS
from collapse_guard.plugins import get_checks, get_plugin_manager

PLUGINS_DOC = (ROOT / "docs" / "plugins.md").read_text()
README = (ROOT / "README.md").read_text()
CONFIG_DOC = (ROOT / "docs" / "configuration.md").read_text()
CLI_DOC = (ROOT / "docs" / "cli.md").read_text()


def test_every_hook_is_documented_with_its_exact_signature() -> None:
    pm = get_plugin_manager(load_entry_points=False)
    names = [n for n in dir(pm.hook) if n.startswith("register_")]
    assert set(names) == {"register_checks", "register_readers", "register_reporters", "register_commands"}
    for name in names:
        spec = getattr(pm.hook, name).spec
        signature = f"{name}({', '.join(spec.argnames)})"
        assert f"## {signature}" in PLUGINS_DOC, f"docs/plugins.md lacks a '## {signature}' heading"
        assert spec.function.__doc__, f"hookspec {name} has no docstring"


def test_every_command_and_option_is_in_the_cli_reference() -> None:
    add_plugin_commands(cli)
    for name, command in cli.commands.items():
        assert f"## collapse-guard {name}" in CLI_DOC, f"docs/cli.md lacks `collapse-guard {name}`"
        assert command.help, f"command {name} has no help text"
        for param in command.params:
            if isinstance(param, click.Option):
                assert any(opt in CLI_DOC for opt in param.opts), f"{name}: {param.opts} not in docs/cli.md"


def test_cli_reference_is_current() -> None:
    """docs/cli.md embeds each command's --help; regenerate with `python docs/make_cli_docs.py`."""
    import sys

    sys.path.insert(0, str(ROOT / "docs"))
    from make_cli_docs import render

    assert render() == CLI_DOC, "docs/cli.md is stale: run `python docs/make_cli_docs.py`"


def test_every_check_and_config_key_is_documented() -> None:
    for name in get_checks():
        assert f"`{name}`" in README, f"README does not mention check {name}"
    for key in TOP_KEYS | PROFILE_KEYS:
        assert re.search(rf"\b{key}\b", CONFIG_DOC), f"docs/configuration.md lacks key {key}"


def test_readme_has_the_two_setup_commands() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    match = re.search(r"<!-- test-command -->\s*```console\s*\n(.+?)\n```", README, re.S)
    assert match, "README lacks the marked test command"
    test_command = match.group(1).strip()
    assert test_command in ci, ".ci/run must run the README's test command"


def _shown_pattern(shown: list[str]) -> re.Pattern[str]:
    """A README output excerpt as a pattern: `...` stands for any lines, and a 12-digit sha256
    prefix for any (the hash of a profile's content may differ in its last float bits between
    platforms; the numbers shown are rounded and must match exactly)."""
    parts = []
    for line in shown:
        if line == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(
                re.sub(r"(?<![0-9a-f])[0-9a-f]{12}(?![0-9a-f])", "[0-9a-f]{12}", re.escape(line)) + r"\n"
            )
    return re.compile("".join(parts))


def test_readme_quick_start_shows_the_real_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Callable[..., tuple[int, str, str]]
) -> None:
    """Run the Quick start's commands as written, from a folder like a clone of the repository,
    and compare every line of output it shows (stderr then stdout) and every exit code."""
    match = re.search(r"## Quick start\n.*?```console\n(.+?)\n```", README, re.S)
    assert match, "README lacks the Quick start console block"
    steps: list[tuple[str, list[str]]] = []
    for line in match.group(1).splitlines():
        if line.startswith("$ "):
            steps.append((line[2:].split("#")[0].strip(), []))
        else:
            assert steps, "the Quick start block must start with a command"
            steps[-1][1].append(line)
    (tmp_path / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    code = None
    for command, shown in steps:
        if command == "echo $?":
            text = f"{code}\n"
        else:
            program, *args = shlex.split(command)
            assert program == "collapse-guard", command
            code, out, err = run_cli(*args)
            text = err + out
        assert _shown_pattern(shown).fullmatch(text), f"README Quick start: `{command}` now prints:\n{text}"
    assert any(command == "echo $?" for command, _ in steps)


def test_readme_json_report_agrees_with_the_quick_start() -> None:
    """The JSON report example is the quick start's run (kept real by the test above)."""
    quick = re.search(r"## Quick start\n.*?```console\n(.+?)\n```", README, re.S)
    example = re.search(r"## JSON report\n.*?```json\n(.+?)\n```", README, re.S)
    assert quick and example
    counts = re.search(
        r"^  (\d+) pass, (\d+) warn, (\d+) fail, (\d+) insufficient-data", quick.group(1), re.M
    )
    assert counts, "the Quick start shows no summary line"
    summary = dict(zip(("pass", "warn", "fail", "insufficient-data"), counts.groups(), strict=True))
    expected = ", ".join(f'"{status}": {n}' for status, n in summary.items())
    assert f'"summary": {{{expected}, "error": 0}}' in example.group(1)
    messages = [line.strip() for line in quick.group(1).splitlines() if line.startswith("                  ")]
    assert messages and all(f'"message": "{m}"' in example.group(1) for m in messages)


def test_readme_lists_every_option_of_profile_check_and_scan() -> None:
    section = README[README.index("## Command line") : README.index("**Exit codes.**")]
    for name in ("profile", "check", "scan"):
        for param in cli.commands[name].params:
            if isinstance(param, click.Option):
                listed = [opt for opt in param.opts if re.search(rf"[`/]{re.escape(opt)}(?![\w-])", section)]
                assert listed, f"README 'Command line' does not list {name} {'/'.join(param.opts)}"


def test_architecture_module_table_lists_every_module() -> None:
    """docs/architecture.md has a row for every module and subpackage of collapse_guard/ and for
    every module of collapse_guard/stats/."""
    doc = (ROOT / "docs" / "architecture.md").read_text()
    first_cells = re.findall(r"^\|([^|\n]+)\|", doc, re.M)
    rows = {name for cell in first_cells for name in re.findall(r"`([^`]+)`", cell)}
    package = ROOT / "collapse_guard"
    wanted = {
        p.name + "/" if p.is_dir() else p.name
        for p in package.iterdir()
        if (p.is_dir() and (p / "__init__.py").exists()) or p.suffix == ".py"
    }
    wanted.discard("__init__.py")  # listed as collapse_guard/__init__.py
    wanted |= {f"stats/{p.name}" for p in (package / "stats").glob("*.py")}
    missing = sorted(wanted - rows)
    assert not missing, f"docs/architecture.md's module tables lack a row for {missing}"
