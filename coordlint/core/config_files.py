"""Reading a config file without trusting it: bounded, strict YAML and TOML, lines for errors.

A config is read only when coordlint would use it. Every way one can be malformed is a
:class:`~coordlint.errors.ConfigError` with the file and line, never an internal error, and
none can make the read slow:

- a file over :data:`MAX_BYTES` is refused unread;
- YAML: aliases (``*name``) are refused (an alias bomb expands exponentially, and a
  linter config has no need of them), as are nesting deeper than :data:`MAX_DEPTH`, keys that
  are not strings (``1:``, ``true:``, ``[a]:``) and a key given twice in one mapping;
- TOML: nesting too deep for the parser, and text that is not UTF-8, name the line.

``pyproject.toml`` is shared with other tools: :func:`configures_coordlint` looks for a
``[tool.coordlint]`` section line by line, without parsing the file, so a pyproject.toml that
does not configure coordlint is never parsed (and may be as broken as it likes).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

from coordlint.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "KeyLines",
    "configures_coordlint",
    "read_pyproject",
    "read_yaml",
    "toml_key_lines",
]

#: A config file larger than this is refused: configs are a few hundred bytes.
MAX_BYTES = 1 << 20
#: Mappings and lists nested deeper than this are refused (a config needs 4).
MAX_DEPTH = 32
SECTION = ("tool", "coordlint")

KeyLines = dict[tuple[str, ...], int]


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from exc
    if len(data) > MAX_BYTES:
        raise ConfigError(f"{path}: config is larger than {MAX_BYTES >> 20} MiB; refused")
    return data


def _text(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path}:{line}: not valid UTF-8 (byte 0x{data[exc.start]:02x})") from exc


# -- YAML -------------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing aliases, deep nesting, non-string and repeated keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self.constructing: yaml.Node | None = None  # for the line of a value that fails

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        self.constructing = node
        return super().construct_object(node, deep)

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None,
                None,
                "YAML aliases (*name) are not allowed in a coordlint config; write the value out",
                self.peek_event().start_mark,
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                problem = f"nested more than {MAX_DEPTH} levels deep"
                raise yaml.composer.ComposerError(None, None, problem, mark)
            return super().compose_node(parent, index)  # type: ignore[arg-type]
        finally:
            self._depth -= 1

    # types-PyYAML declares ``anchor`` as a dict; PyYAML passes the anchor's name.
    def compose_mapping_node(self, anchor: str | None) -> yaml.MappingNode:  # type: ignore[override]
        node = super().compose_mapping_node(anchor)  # type: ignore[arg-type]
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR_TAG:
                kind = key_node.tag.rsplit(":", 1)[-1]
                if kind in _SCALARS:
                    shown = f"{key_node.value!r} ({kind})"
                else:
                    shown = {"seq": "a list", "map": "a mapping"}.get(kind, kind)
                raise yaml.composer.ComposerError(
                    None, None, f"keys must be strings, got {shown}", key_node.start_mark
                )
            line = key_node.start_mark.line + 1
            if key_node.value in seen:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"key {key_node.value!r} is given twice (first on line {seen[key_node.value]})",
                    key_node.start_mark,
                )
            seen[key_node.value] = line
        return node


_STR_TAG = "tag:yaml.org,2002:str"
_SCALARS = ("int", "float", "bool", "null", "timestamp", "binary")


def read_yaml(path: Path) -> tuple[Any, KeyLines]:
    """``path``'s document and the line of every mapping key in it (by key path)."""
    text = _text(path, _read(path))
    loader = None
    try:
        loader = _StrictLoader(text)  # checks every character is printable
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except yaml.reader.ReaderError as exc:  # a control character: no mark, a position
        line = text.count("\n", 0, exc.position) + 1
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise ConfigError(
            f"{path}:{line}: invalid YAML: control character U+{char:04X} is not allowed"
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: invalid YAML: {problem}") from exc
    except Exception as exc:  # PyYAML's constructors on a bad tagged value: !!float x, ...
        # (ValueError, KeyError for !!bool maybe, AttributeError for !!timestamp junk)
        node = loader.constructing if loader is not None else None
        where = f"{path}:{node.start_mark.line + 1}" if node is not None else str(path)
        raise ConfigError(f"{where}: invalid YAML value: {type(exc).__name__}: {exc}") from exc
    finally:
        if loader is not None:
            loader.dispose()
    lines: KeyLines = {}
    _record_lines(node, (), lines)
    return data, lines


def _record_lines(node: yaml.Node | None, prefix: tuple[str, ...], lines: KeyLines) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*prefix, str(key_node.value))
            lines[key] = key_node.start_mark.line + 1
            _record_lines(value_node, key, lines)


# -- TOML -------------------------------------------------------------------------------------

_PART = r"""[A-Za-z0-9_-]+|"([^"\n]*)"|'([^'\n]*)'"""  # a bare or quoted key
_DOTTED = rf"(?:{_PART})(?:\s*\.\s*(?:{_PART}))*"
_HEADER = re.compile(rf"^\s*\[\[?\s*(?P<key>{_DOTTED})\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(rf"^\s*(?P<key>{_DOTTED})\s*=")
_PARTS = re.compile(_PART)


def _key_path(text: str) -> tuple[str, ...]:
    parts = []
    for match in _PARTS.finditer(text):
        quoted = match.group(1) if match.group(1) is not None else match.group(2)
        parts.append(match.group() if quoted is None else quoted)
    return tuple(parts)


def toml_key_lines(text: str) -> tuple[KeyLines, bool]:
    """The line of each key and table header in a TOML text, by full key path (a scan, not a
    parse: no file is too broken for it), and whether any of them (or an inline table on a
    ``tool`` line) names ``[tool.coordlint]``."""
    lines: KeyLines = {}
    table: tuple[str, ...] = ()
    mentions = False
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        key = None if header else _KEY.match(line)
        if header:
            path = table = _key_path(header.group("key"))
        elif key:
            path = (*table, *_key_path(key.group("key")))
        else:
            continue
        lines.setdefault(path, number)
        inline = path == ("tool",) and key is not None and "coordlint" in line  # tool = {...}
        mentions = mentions or inline or path[:2] == SECTION
    return lines, mentions


def configures_coordlint(path: Path) -> bool:
    """Whether ``path`` (a pyproject.toml) seems to hold a ``[tool.coordlint]`` section, by a
    line scan that never fails (an unreadable or oversized file does not)."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError:
        return False
    return toml_key_lines(data.decode("utf-8", "replace"))[1]


def read_pyproject(path: Path) -> tuple[dict[str, Any] | None, KeyLines]:
    """``[tool.coordlint]`` of ``path`` (``None`` when there is none) and the line of each of
    its keys (by key path within the section)."""
    text = _text(path, _read(path))
    all_lines, _ = toml_key_lines(text)
    lines = {key[2:]: line for key, line in all_lines.items() if key[:2] == SECTION}
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except RecursionError as exc:
        raise ConfigError(f"{path}: not valid TOML: nested too deep") from exc
    tool = doc.get("tool")
    if tool is None:
        return None, lines
    if not isinstance(tool, dict):
        where = all_lines.get(("tool",))
        raise ConfigError(f"{_at(path, where)}: tool: must be a table")
    section = tool.get("coordlint")
    if section is not None and not isinstance(section, dict):
        where = all_lines.get(SECTION) or all_lines.get(("tool",))
        raise ConfigError(f"{_at(path, where)}: [tool.coordlint] must be a table")
    if section is not None:
        _check_depth(section, path, lines, ())
    return section, lines


def _at(path: Path, line: int | None) -> str:
    return f"{path}:{line}" if line else str(path)


def _check_depth(node: Any, path: Path, lines: KeyLines, key: tuple[str, ...]) -> None:
    """TOML nesting the parser survived may still be too deep for the settings: refuse it."""
    stack = [(node, key, 0)]
    while stack:
        value, at, depth = stack.pop()
        if depth > MAX_DEPTH:
            line = next((lines[at[:i]] for i in range(len(at), 0, -1) if at[:i] in lines), None)
            raise ConfigError(
                f"{_at(path, line)}: {'.'.join(at) or 'tool.coordlint'}: nested more than "
                f"{MAX_DEPTH} levels deep"
            )
        if isinstance(value, dict):
            stack.extend((v, (*at, str(k)), depth + 1) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, at, depth + 1) for v in value)
