"""The run's config files: ``resolved_config.json`` and ``args.json`` → ``run.config``.

``run.config`` is a :class:`~coordlint.runconfig.RunConfig` over every key of both files: the
``resolved`` object of ``resolved_config.json`` first, then ms-swift's ``args.json``, so a team
rule can read any key (``run.config.get("gradient_accumulation_steps")``). The coord rule pack
documents the keys it reads (``rules/_coord.py``). A file is looked for in the run directory and
up to :data:`PARENTS_SEARCHED` directories above it; one that does not parse is a problem, not
an error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coordlint.columns import Problem
from coordlint.runconfig import RunConfig

__all__ = ["ARGS", "PARENTS_SEARCHED", "RESOLVED_CONFIG", "ConfigFiles", "load_run_config"]

RESOLVED_CONFIG = "resolved_config.json"
ARGS = "args.json"
PARENTS_SEARCHED = 2


@dataclass
class ConfigFiles:
    """What :func:`load_run_config` read: the config, the files it came from, the damage."""

    values: RunConfig = field(default_factory=RunConfig)
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def find_upward(directory: Path, name: str, parents: int = PARENTS_SEARCHED) -> Path | None:
    """``name`` in ``directory`` or up to ``parents`` directories above it."""
    for candidate in [directory, *directory.parents][: parents + 1]:
        if (candidate / name).is_file():
            return candidate / name
    return None


def read_json(path: Path, problems: list[Problem]) -> Any:
    """``path`` parsed, or ``None`` with the reason added to ``problems``."""
    try:
        return json.loads(path.read_bytes())
    except OSError as exc:
        problems.append(Problem(str(path), "unreadable", f"cannot read: {exc.strerror}"))
    except (ValueError, UnicodeDecodeError) as exc:
        problems.append(
            Problem(str(path), "bad-config", f"config is not valid JSON ({exc}); ignored")
        )
    return None


def load_run_config(run_dir: Path) -> ConfigFiles:
    """Read the resolved config and ``args.json`` that belong to ``run_dir``."""
    out = ConfigFiles()
    docs: list[Mapping[str, Any]] = []
    resolved_path = find_upward(run_dir, RESOLVED_CONFIG)
    if resolved_path is not None:
        doc = read_json(resolved_path, out.problems)
        if doc is not None:
            out.files.append(str(resolved_path))
            resolved = doc.get("resolved") if isinstance(doc, Mapping) else None
            if isinstance(resolved, Mapping):
                docs.append(resolved)
            else:
                out.problems.append(
                    Problem(str(resolved_path), "bad-config", "no 'resolved' object; ignored")
                )
    args_path = find_upward(run_dir, ARGS)
    if args_path is not None:
        args = read_json(args_path, out.problems)
        if isinstance(args, Mapping):
            docs.append(args)
            out.files.append(str(args_path))
    out.values = RunConfig(docs, out.files)
    return out
