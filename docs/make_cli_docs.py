"""Generate docs/cli.md from every command's --help (run after changing the CLI).

python docs/make_cli_docs.py
"""

from __future__ import annotations

from pathlib import Path

import click

HEADER = """# Command-line reference

Generated from `--help` by `python docs/make_cli_docs.py`; a test keeps it current.

Exit codes: `0` ran and nothing failed (warnings allowed unless `--fail-on warn`); `1` ran and at
least one finding failed; `2` could not run (bad usage, unreadable or malformed input, bad config,
bad reference file, plugin error, or stdout closed before the report was written), with one line
on stderr naming the file or setting and the fix. stdout carries only the report.
"""


def render() -> str:
    from collapse_guard.cli import add_plugin_commands, cli

    add_plugin_commands(cli)
    parts = [HEADER]
    for name in ["", *sorted(cli.commands)]:
        command = cli if not name else cli.commands[name]
        title = "collapse-guard" + (f" {name}" if name else "")
        ctx = click.Context(
            command,
            info_name=title,
            terminal_width=100,
            max_content_width=100,
            help_option_names=["-h", "--help"],
        )
        parts.append(f"## {title}\n\n```text\n{command.get_help(ctx)}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    Path(__file__).with_name("cli.md").write_text(render())
    print("wrote docs/cli.md")
