"""Fixtures for the loader tests; the helpers live in ``_loading_helpers``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from _loading_helpers import write_with_tensorboard


@pytest.fixture
def realruns(shared: Path) -> Path:
    """The real public event files of ../shared/realruns (skips, as ``shared`` does)."""
    return shared / "realruns"


@pytest.fixture
def tb_write() -> Callable[..., Path]:
    return write_with_tensorboard
