"""Shared test setup: the rule-author fixtures, and where the real public logs live."""

from __future__ import annotations

import os
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


#: The one reason every test that needs ../shared gives when it is absent.
SHARED_ABSENT = f"needs the real public logs of ../shared beside the repo ({SHARED}), absent here"


def shared_dir() -> Path:
    """../shared, or skip the calling test (fail it under ``CI=true``, where the data must be)."""
    if not (SHARED / "realruns").is_dir() or not (SHARED / "reallogs").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: {SHARED_ABSENT}", pytrace=False)
        pytest.skip(SHARED_ABSENT)
    return SHARED


@pytest.fixture
def shared() -> Path:
    """../shared beside the repo: real public event files and logs, read in place. A clone
    without it skips the tests that need it, each with :data:`SHARED_ABSENT`; under
    ``CI=true`` its absence fails them instead."""
    return shared_dir()
