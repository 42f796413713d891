"""Runs of the other sources (:mod:`coordlint.loading.sources`) found during discovery.

Discovery (:mod:`.discover`) asks, for every local directory it walks, each registered source
in turn whether the directory is its run (:meth:`~coordlint.loading.sources.Source.recognise`:
an MLflow run, a Lightning ``version_N``, a W&B run directory); the first that says yes has
the run, which also reads any event files in that directory first, and owns everything below it.
Files named on the command line, and files matching the config's ``sources:`` globs in a
directory no run owns, are offered to each source in turn
(:meth:`~coordlint.loading.sources.Source.claim`); a matched file no source reads is left out.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from coordlint.loading.sources import BUILTIN_SOURCES, Source
from coordlint.loading.spec import RunSpec

__all__ = ["claimed", "glob_matcher", "recognised", "sources_or_builtin", "tables"]


def sources_or_builtin(sources: Sequence[Source] | None) -> Sequence[Source]:
    """The sources to ask: those given (the plugins' registered ones), else the built-ins."""
    return BUILTIN_SOURCES if sources is None else sources


def recognised(directory: Any, names: Sequence[str], sources: Sequence[Source]) -> RunSpec | None:
    """The run of the first source that recognises ``directory`` (a local one: the other
    sources read local files only)."""
    if not isinstance(directory, Path):
        return None
    for source in sources:
        found = source.recognise(directory, names)
        if found is not None:
            return RunSpec("", found.path, (), parts=(found,))
    return None


def claimed(file: Path, sources: Sequence[Source]) -> RunSpec | None:
    """The run ``file`` is to the first source that reads files of its kind."""
    for source in sources:
        found = source.claim(file)
        if found is not None:
            return RunSpec("", found.path, (), parts=(found,))
    return None


def tables(
    directory: Any,
    filenames: Sequence[str],
    matches: Callable[[Path], bool],
    sources: Sequence[Source],
) -> list[RunSpec]:
    """The files of ``directory`` matching the config's ``sources:`` globs, as runs."""
    if not isinstance(directory, Path):
        return []
    runs = []
    for name in sorted(filenames):
        path = directory / name
        if matches(path):
            run = claimed(path, sources)
            if run is not None:
                runs.append(run)
    return runs


def glob_matcher(patterns: Sequence[str]) -> Callable[[Path], bool]:
    """Whether a path matches any of ``patterns`` (absolute globs: ``*`` and ``?`` within one
    path component, ``**`` across any number of them, ``[...]`` a character class)."""
    if not patterns:
        return _never
    regex = re.compile("|".join(f"(?:{_translate(p)})" for p in patterns))

    def matches(path: Path) -> bool:
        return regex.fullmatch(Path(os.path.abspath(path)).as_posix()) is not None

    return matches


def _never(path: Path) -> bool:
    return False


def _translate(pattern: str) -> str:
    parts: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern.startswith("**/", i):
            parts.append("(?:[^/]*/)*")
            i += 3
        elif pattern.startswith("**", i):
            parts.append(".*")
            i += 2
        elif pattern[i] == "*":
            parts.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            parts.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end].replace("\\", "\\\\")
            parts.append("[^" + body[1:] + "]" if body.startswith("!") else "[" + body + "]")
            i = end + 1
        else:
            parts.append(re.escape(pattern[i]))
            i += 1
    return "".join(parts)
