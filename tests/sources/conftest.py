"""Fixtures for the other sources' tests: layouts written as each library writes them."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
