"""Fixtures for the coord rules' tests: real event files written with tensorboard's writer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from coordlint import engine
from coordlint.config import Settings
from coordlint.plugins import load_plugins
from coordlint.testing import event_run, load, write_events  # noqa: F401  (event_run: fixture)


@pytest.fixture
def write_run(tmp_path: Path):
    """``write_run(scalars, name, checkpoints=...)``: an event file (and ``checkpoint-N`` dirs)
    loaded with the real loader."""

    def factory(
        scalars: Mapping[str, Any],
        name: str = "run",
        *,
        checkpoints: Iterable[int] = (),
    ):
        directory = tmp_path / name
        write_events(directory, scalars)
        for step in checkpoints:
            (directory / f"checkpoint-{step}").mkdir()
        return load(directory)

    return factory


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
