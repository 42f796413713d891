"""Shared test setup: the rule-author fixtures, and where the real public logs live."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["coordlint.testing"]

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
EXAMPLES = REPO / "examples" / "runs"


@pytest.fixture(autouse=True)
def no_plugin_autoload(monkeypatch):
    """Tests see only the plugins they load themselves, whatever the environment has installed;
    the entry-point tests run coordlint in a subprocess with autoload switched back on."""
    monkeypatch.setenv("COORDLINT_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture
def shared() -> Path:
    """../shared beside the repo: real public event files and logs, read in place."""
    assert SHARED.is_dir(), f"tests need the shared data beside the repo: {SHARED}"
    return SHARED
