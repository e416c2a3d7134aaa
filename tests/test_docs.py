"""Docs stay honest: every hook, command, check and config key is documented."""

from __future__ import annotations

import re

import click
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
