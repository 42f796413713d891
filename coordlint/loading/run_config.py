"""The run's resolved config: ``resolved_config.json`` and ``args.json`` → ``run.config``.

``run.config`` is a flat mapping with dotted keys (``coord_soft_ce_w1.ce_weight``,
``token_type_metrics.enabled``, ``training.eval_steps``, …) holding only what is known, so a
rule asks ``run.config.get(key)`` and falls back to log evidence when it is ``None``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coordlint.run import Problem

RESOLVED_CONFIG = "resolved_config.json"
ARGS = "args.json"
PARENTS_SEARCHED = 2

COORD_LOSS_KEYS = (
    "enabled",
    "ce_weight",
    "soft_ce_weight",
    "w1_weight",
    "gate_weight",
    "text_gate_weight",
    "temperature",
    "target_sigma",
    "target_truncate",
)
TRAINING_KEYS = ("eval_steps", "save_steps", "logging_steps")


@dataclass
class RunConfig:
    values: dict[str, Any] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def find_upward(directory: Path, name: str, parents: int = PARENTS_SEARCHED) -> Path | None:
    """``name`` in ``directory`` or up to ``parents`` directories above it."""
    for candidate in [directory, *directory.parents][: parents + 1]:
        if (candidate / name).is_file():
            return candidate / name
    return None


def _read_json(path: Path, config: RunConfig) -> Any:
    try:
        return json.loads(path.read_bytes())
    except OSError as exc:
        config.problems.append(Problem(str(path), "unreadable", f"cannot read: {exc.strerror}"))
    except (ValueError, UnicodeDecodeError) as exc:
        config.problems.append(
            Problem(str(path), "bad-config", f"config is not valid JSON ({exc}); ignored")
        )
    return None


def _get(mapping: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(mapping, Mapping):
            return None
        mapping = mapping.get(key)
    return mapping


def load_run_config(run_dir: Path) -> RunConfig:
    """Read the resolved config (and args.json) that belong to ``run_dir``."""
    config = RunConfig()
    resolved_path = find_upward(run_dir, RESOLVED_CONFIG)
    if resolved_path is not None:
        doc = _read_json(resolved_path, config)
        if doc is not None:
            config.files.append(str(resolved_path))
            resolved = _get(doc, "resolved")
            if not isinstance(resolved, Mapping):
                config.problems.append(
                    Problem(str(resolved_path), "bad-config", "no 'resolved' object; ignored")
                )
            else:
                _read_resolved(resolved, config.values)
    args_path = find_upward(run_dir, ARGS)
    if args_path is not None:
        args = _read_json(args_path, config)
        if isinstance(args, Mapping):
            added = _read_args(args, config.values)
            if added:
                config.files.append(str(args_path))
    return config


def _read_resolved(resolved: Mapping[str, Any], values: dict[str, Any]) -> None:
    coord = _get(resolved, "custom", "coord_soft_ce_w1")
    for key in COORD_LOSS_KEYS:
        value = _get(coord, key)
        if value is not None:
            values[f"coord_soft_ce_w1.{key}"] = value
    token_types = _get(resolved, "custom", "token_type_metrics", "enabled")
    if token_types is not None:
        values["token_type_metrics.enabled"] = token_types
    bbox_format = _get(resolved, "custom", "bbox_format")
    if bbox_format is not None:
        values["bbox_format"] = bbox_format
    for key in TRAINING_KEYS:
        value = _get(resolved, "training", key)
        if value is not None:
            values[f"training.{key}"] = value


def _read_args(args: Mapping[str, Any], values: dict[str, Any]) -> list[str]:
    """Fill the training cadence from ms-swift's args.json where the resolved config lacks it."""
    added = []
    for key in TRAINING_KEYS:
        value = args.get(key)
        if f"training.{key}" not in values and isinstance(value, (int, float)):
            values[f"training.{key}"] = int(value) if float(value).is_integer() else value
            added.append(key)
    return added
