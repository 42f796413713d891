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

from coordlint import metrics as m
from coordlint.run import Problem

RESOLVED_CONFIG = "resolved_config.json"
ARGS = "args.json"
PARENTS_SEARCHED = 2

# Where each run.config key (named in coordlint.metrics) lives in resolved_config.json.
RESOLVED_PATHS: dict[str, tuple[str, ...]] = {
    **{
        key: ("custom", "coord_soft_ce_w1", key.partition(".")[2])
        for key in (
            m.CFG_SOFTCE_ENABLED,
            m.CFG_CE_WEIGHT,
            m.CFG_SOFT_CE_WEIGHT,
            m.CFG_W1_WEIGHT,
            m.CFG_GATE_WEIGHT,
            m.CFG_TEXT_GATE_WEIGHT,
            m.CFG_TEMPERATURE,
            m.CFG_TARGET_SIGMA,
            m.CFG_TARGET_TRUNCATE,
        )
    },
    m.CFG_TOKEN_TYPE_METRICS: ("custom", "token_type_metrics", "enabled"),
    m.CFG_BBOX_FORMAT: ("custom", "bbox_format"),
    m.CFG_EVAL_STEPS: ("training", "eval_steps"),
    m.CFG_SAVE_STEPS: ("training", "save_steps"),
    m.CFG_LOGGING_STEPS: ("training", "logging_steps"),
}
# ms-swift's args.json fills the training cadence where the resolved config lacks it.
ARGS_KEYS = {
    m.CFG_EVAL_STEPS: "eval_steps",
    m.CFG_SAVE_STEPS: "save_steps",
    m.CFG_LOGGING_STEPS: "logging_steps",
}


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
    for key, path in RESOLVED_PATHS.items():
        value = _get(resolved, *path)
        if value is not None:
            values[key] = value


def _read_args(args: Mapping[str, Any], values: dict[str, Any]) -> list[str]:
    """Fill the training cadence from ms-swift's args.json where the resolved config lacks it."""
    added = []
    for key, name in ARGS_KEYS.items():
        value = args.get(name)
        if key not in values and isinstance(value, (int, float)) and not isinstance(value, bool):
            values[key] = int(value) if float(value).is_integer() else value
            added.append(key)
    return added
