"""``coordlint rules`` (text or JSON) and ``coordlint explain`` (a rule's documentation).

Text lists ``CODE NAME SEVERITY PLUGIN SUMMARY`` in aligned columns. JSON, like ruff's
``ruff rule --all --output-format json``, is a list of ``{"code", "name", "severity",
"default_severity", "plugin", "scope", "enabled", "params", "summary", "explanation"}``
(``severity`` is the configured one; ``explanation`` the documentation ``explain`` prints).

A rule's documentation is its docstring: Markdown headings (``## What it does``) with
reStructuredText's double-backtick literals. ``explain`` prints it as Markdown: each
``literal`` becomes a single-backtick code span, so the text reads the same in a terminal and
pastes into a Markdown document.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from coordlint.formatters.safe_text import json_safe, printable
from coordlint.rule import Rule, Severity

__all__ = ["FORMATS", "explanation", "format_rules", "markdown_doc"]

FORMATS = ("text", "json")
_HEADER = ("CODE", "NAME", "SEVERITY", "PLUGIN", "SUMMARY")
#: ``text`` in double backticks, not part of a longer backtick run; it may wrap onto the next
#: lines (an example finding) but not across a blank line.
_RST_LITERAL = re.compile(r"(?<!`)``(?!`)((?:(?!\n\s*\n)[^`]|`(?!`))+?)``(?!`)")


def markdown_doc(doc: str) -> str:
    """A docstring's reStructuredText literals (````x````) as Markdown code spans (```x```).
    A literal holding a backtick keeps double backticks, as Markdown spells it; one that wraps
    stays one code span (Markdown reads its line breaks as spaces)."""
    return _RST_LITERAL.sub(lambda m: m.group(0) if "`" in m.group(1) else f"`{m.group(1)}`", doc)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def format_rules(
    rules: Sequence[Rule],
    severity: Mapping[str, Severity],
    enabled: Collection[str],
    fmt: str = "text",
) -> str:
    """``rules`` (in order) with their configured ``severity`` and whether each is enabled."""
    if fmt == "json":
        rows = [
            {
                "code": r.code,
                "name": r.name,
                "severity": str(severity.get(r.code, r.severity)),
                "default_severity": str(r.severity),
                "plugin": r.plugin,
                "scope": r.scope,
                "enabled": r.code in enabled,
                "params": _jsonable(dict(r.params)),
                "summary": markdown_doc(r.summary),
                "explanation": markdown_doc(r.doc),
            }
            for r in rules
        ]
        return json_safe(json.dumps(rows, indent=2, ensure_ascii=False)) + "\n"
    if fmt != "text":
        raise ValueError(f"unknown rules format {fmt!r} (choose {', '.join(FORMATS)})")
    table = [
        [
            printable(cell)
            for cell in (
                r.code,
                r.name,
                str(severity.get(r.code, r.severity)),
                r.plugin,
                markdown_doc(r.summary),
            )
        ]
        for r in rules
    ]
    widths = [max([len(h), *(len(row[i]) for row in table)]) for i, h in enumerate(_HEADER)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row[:4], widths, strict=False)) + "  " + row[4]
        for row in [list(_HEADER), *table]
    ]
    return "\n".join(lines) + "\n"


def explanation(rule: Rule) -> str:
    """What ``coordlint explain`` prints: a header line, the documentation as Markdown, and
    the params with their defaults."""
    lines = [
        f"{rule.code} {rule.name} (default severity: {rule.severity}; plugin: {rule.plugin}; "
        f"scope: {rule.scope})",
        "",
        markdown_doc(rule.doc),
    ]
    if rule.params:
        lines += ["", f"Params (override in config under params.{rule.code}):"]
        lines += [f"  {name} = {default!r}" for name, default in rule.params.items()]
    return "\n".join(lines) + "\n"
