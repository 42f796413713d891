"""The run's config files: ``resolved_config.json`` and ``args.json`` → ``run.config``.

``run.config`` is a :class:`~coordlint.runconfig.RunConfig` over every key of both files: the
``resolved`` object of ``resolved_config.json`` first, then ms-swift's ``args.json``, so a team
rule can read any key (``run.config.get("gradient_accumulation_steps")``). The coord rule pack
documents the keys it reads (``rules/_coord.py``). A file is looked for in the run directory and
up to :data:`PARENTS_SEARCHED` directories above it; one that cannot be read (not a regular file,
over :data:`MAX_CONFIG_BYTES`), does not parse, or is not a JSON object is a problem, not an
error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coordlint.columns import Problem
from coordlint.loading import json_input, source
from coordlint.runconfig import RunConfig

__all__ = [
    "ARGS",
    "MAX_CONFIG_BYTES",
    "PARENTS_SEARCHED",
    "RESOLVED_CONFIG",
    "ConfigFiles",
    "load_run_config",
]

RESOLVED_CONFIG = "resolved_config.json"
ARGS = "args.json"
PARENTS_SEARCHED = 2
#: The largest config file read.
MAX_CONFIG_BYTES = 64 << 20


@dataclass
class ConfigFiles:
    """What :func:`load_run_config` read: the config, the files it came from, the damage."""

    values: RunConfig = field(default_factory=RunConfig)
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def find_upward(directory: Path, name: str, parents: int = PARENTS_SEARCHED) -> Path | None:
    """``name`` in ``directory`` or up to ``parents`` directories above it (anything but a
    directory: a FIFO or a device by that name is found, and reported when it is read)."""
    for candidate in [directory, *directory.parents][: parents + 1]:
        path = candidate / name
        if path.exists() and not path.is_dir():
            return path
    return None


def read_json_object(path: Path, problems: list[Problem]) -> Mapping[str, Any] | None:
    """``path`` parsed as a JSON object, or ``None`` with the reason added to ``problems``."""
    name = str(path)
    try:
        doc = json_input.parse(source.read_limited(path, MAX_CONFIG_BYTES))
    except source.FileTooLarge as exc:
        problems.append(Problem(name, "too-large", f"config not read: {exc}"))
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        problems.append(Problem(name, "unreadable", f"cannot read: {reason}"))
    except json_input.JsonError as exc:
        problems.append(Problem(name, "bad-config", f"config is not valid JSON ({exc}); ignored"))
    else:
        if isinstance(doc, dict):
            return doc
        kind = "null" if doc is None else type(doc).__name__
        msg = f"config is JSON {kind}, not an object; ignored"
        problems.append(Problem(name, "bad-config", msg))
    return None


def load_run_config(run_dir: Path) -> ConfigFiles:
    """Read the resolved config and ``args.json`` that belong to ``run_dir``."""
    out = ConfigFiles()
    docs: list[Mapping[str, Any]] = []
    resolved_path = find_upward(run_dir, RESOLVED_CONFIG)
    if resolved_path is not None:
        doc = read_json_object(resolved_path, out.problems)
        if doc is not None:
            out.files.append(str(resolved_path))
            resolved = doc.get("resolved")
            if isinstance(resolved, Mapping):
                docs.append(resolved)
            else:
                out.problems.append(
                    Problem(str(resolved_path), "bad-config", "no 'resolved' object; ignored")
                )
    args_path = find_upward(run_dir, ARGS)
    if args_path is not None:
        args = read_json_object(args_path, out.problems)
        if args is not None:
            docs.append(args)
            out.files.append(str(args_path))
    out.values = RunConfig(docs, out.files)
    return out
