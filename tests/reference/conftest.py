"""Fixtures for the reference tests: coord runs drawn like a team's references, written as
real event files (``_coord_runs``), and reference files built from them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))

from _coord_runs import Draw, healthy_grid, write_coord_run

from coordlint.cli import cli

#: The five healthy references: different seeds and eval grids (every 40, 50, 60, 80, 40).
REFERENCE_SEEDS = (100, 101, 102, 103, 104)


@pytest.fixture(scope="module")
def reference_runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Five healthy reference runs (real event files and resolved_config.json)."""
    root = tmp_path_factory.mktemp("refs")
    return [
        write_coord_run(root / f"ref-{i}", Draw(seed=seed, eval_every=healthy_grid(i)))
        for i, seed in enumerate(REFERENCE_SEEDS)
    ]


@pytest.fixture(scope="module")
def reference_file(reference_runs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``coordlint reference build`` of the five references."""
    out = tmp_path_factory.mktemp("file") / "coordlint-reference.json"
    result = CliRunner().invoke(
        cli, ["reference", "build", *map(str, reference_runs), "-o", str(out), "--isolated"]
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def candidate(tmp_path: Path):
    """``candidate(name, **draw)``: a run written like the references with ``Draw(**draw)``."""

    def factory(name: str, **draw: object) -> Path:
        return write_coord_run(tmp_path / name, Draw(**draw))  # type: ignore[arg-type]

    return factory
