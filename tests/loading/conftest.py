"""Fixtures for the loader tests; the helpers live in ``_loading_helpers``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from _loading_helpers import REALRUNS, write_with_tensorboard


@pytest.fixture
def realruns() -> Path:
    if not REALRUNS.is_dir():
        pytest.skip(f"real event files not found at {REALRUNS}")
    return REALRUNS


@pytest.fixture
def tb_write() -> Callable[..., Path]:
    return write_with_tensorboard
