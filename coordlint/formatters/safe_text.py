"""Data made safe for an output channel: what a log file or a plugin names cannot act on the
terminal, the CI runner or the encoder.

Run names, tags, paths and messages come from log files, directory names and plugins; any of
them may hold a newline, a terminal escape sequence, a bidirectional override or a lone
surrogate (a non-UTF-8 directory name decoded with ``surrogateescape``, a ``"\\udc80"`` in
JSON). Before a line-oriented format writes one, :func:`printable` makes it one visible line:

- control characters (C0 including newline and tab, DEL, C1), Unicode line and paragraph
  separators, bidirectional controls and the byte-order mark are written as escapes (``\\n``,
  ``\\x1b``, ``\\u202e``), so a name can neither start a new output line nor reach a terminal
  as a control sequence;
- lone surrogates become U+FFFD (the replacement character): the output is valid UTF-8;
- ``##[`` becomes ``##\\x5b``: GitHub's runner executes ``##[command]`` anywhere in a line
  (its legacy syntax), and ``::command::`` at the start of one, leading spaces ignored.

:func:`no_commands` then escapes the first colon of any output line that would still start with
``::`` (a run named ``::error ::x`` at the start of a text line). JSON-based formats use
:func:`json_safe` on the serialised document instead: the same characters written as ``\\uXXXX``
escapes, which any JSON reader turns back into the same strings.
"""

from __future__ import annotations

import re

from coordlint.report import valid_unicode

__all__ = ["json_safe", "no_commands", "printable", "valid_unicode"]

_UNICODE_CONTROLS = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
_ESCAPED = re.compile(f"[\x00-\x1f{_UNICODE_CONTROLS}]")
_JSON_RAW = re.compile(f"[{_UNICODE_CONTROLS}]")  # JSON escapes C0 itself
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_LEGACY_COMMAND = "##["
_COMMAND = re.compile(r"^(\s*):(?=:)", re.MULTILINE)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _SHORT.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(value: object) -> str:
    """``value`` as one visible line of valid Unicode (see the module docstring)."""
    text = valid_unicode(str(value))
    text = _ESCAPED.sub(_escape, text)
    return text.replace(_LEGACY_COMMAND, "##\\x5b")


def no_commands(text: str) -> str:
    """``text`` with the first colon of every line that starts with ``::`` (after spaces)
    written as ``\\x3a``, so no line is a GitHub workflow command."""
    return _COMMAND.sub(r"\1\\x3a", text)


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_safe(document: str) -> str:
    """A serialised JSON document (``ensure_ascii=False``) made safe for a terminal or CI log:
    the characters :func:`printable` escapes (JSON already escapes C0) written as ``\\uXXXX``,
    ``##[`` as ``#\\u0023[`` and lone surrogates as U+FFFD. Outside strings JSON is ASCII, so
    this changes only string contents, and a JSON reader reads back the same strings (lone
    surrogates replaced)."""
    document = valid_unicode(document)
    document = _JSON_RAW.sub(_json_escape, document)
    return document.replace(_LEGACY_COMMAND, "#\\u0023[")
