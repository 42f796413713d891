"""Fixtures for the coord rules' tests: real event files written with tensorboard's writer."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from coordlint.core import engine
from coordlint.core.config import Settings
from coordlint.core.plugins import load_plugins
from coordlint.testing import event_run, load, write_events  # noqa: F401  (event_run: fixture)

sys.path.insert(0, str(Path(__file__).parent))  # for _noise


@pytest.fixture
def write_run(tmp_path: Path):
    """``write_run(scalars, name, checkpoints=..., config=...)``: an event file (and
    ``checkpoint-N`` dirs, and a ``resolved_config.json`` holding ``config``'s coord keys as
    the trainer writes them) loaded with the real loader."""

    def factory(
        scalars: Mapping[str, Any],
        name: str = "run",
        *,
        checkpoints: Iterable[int] = (),
        config: Mapping[str, Any] | None = None,
    ):
        directory = tmp_path / name
        write_events(directory, scalars)
        for step in checkpoints:
            (directory / f"checkpoint-{step}").mkdir()
        if config is not None:
            resolved = resolved_config(config)
            (directory / "resolved_config.json").write_text(json.dumps(resolved))
        return load(directory)

    return factory


def resolved_config(flat: Mapping[str, Any]) -> dict[str, Any]:
    """A resolved_config.json document holding coord config keys (``coord_soft_ce_w1.X``
    under ``custom``, ``training.X`` under ``training``), as the team's trainer writes it."""
    resolved: dict[str, Any] = {}
    for key, value in flat.items():
        path = key.split(".") if key.startswith("training.") else ["custom", *key.split(".")]
        node = resolved
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return {"schema_version": 1, "resolved": resolved}


@pytest.fixture
def resumed_run(tmp_path: Path):
    """``resumed_run(first, second)``: two event files in one run dir, the second written later
    (a resume that rewrites the steps it repeats)."""

    def factory(first: Mapping[str, Any], second: Mapping[str, Any], name: str = "resumed"):
        directory = tmp_path / name
        write_events(directory, first, start_time=1_700_000_000.0)
        write_events(directory, second, start_time=1_700_100_000.0)
        return load(directory)

    return factory


@pytest.fixture
def outcomes():
    """``outcomes(runs, code)``: the engine's per-run outcome of one rule (status, findings)."""
    rules = load_plugins().rules

    def factory(runs, code: str):
        runs = list(runs) if isinstance(runs, (list, tuple)) else [runs]
        settings = Settings(select=[code])
        settings.validate(rules)
        report = engine.check(runs, rules, settings)
        return {o.run: o for o in report.outcomes if o.code == code}

    return factory
