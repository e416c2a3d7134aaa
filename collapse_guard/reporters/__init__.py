"""Built-in reporters. Each module registers its reporter through ``register_reporters``.

Check messages, notes and reasons mark names and values as Markdown code spans (`country`). The
Markdown and GitHub reporters pass them through, JSON, JUnit and SARIF keep the raw text, the HTML
reporter renders them as ``<code>`` and the text reporter styles them on a terminal.
"""

from __future__ import annotations

import re

_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def code_spans(text: str) -> list[tuple[str, bool]]:
    """Split ``text`` into ``(piece, is_code)`` parts at Markdown code spans: a backtick, at least
    one character that is neither a backtick nor a newline, and a backtick. The backticks are
    dropped; an unpaired backtick stays plain text."""
    parts: list[tuple[str, bool]] = []
    pos = 0
    for match in _CODE_SPAN.finditer(text):
        if match.start() > pos:
            parts.append((text[pos : match.start()], False))
        parts.append((match.group(1), True))
        pos = match.end()
    if pos < len(text):
        parts.append((text[pos:], False))
    return parts


def one_line(text: str) -> str:
    """``text`` safe for one line of a terminal or log: unchanged when every character is
    printable; otherwise backslashes and the unprintable characters (a newline or tab in a file
    name, escape codes, U+2028, undecodable bytes) are escaped as Python writes them (``\\n``,
    ``\\x1b``, ``\\u2028``, ``\\udcff``), so that a file name cannot split a row of the table or
    the error line. The JSON report keeps the real name."""
    if text.isprintable():
        return text
    return "".join("\\\\" if ch == "\\" else ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
