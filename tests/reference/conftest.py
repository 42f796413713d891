"""Fixtures for the reference tests: coord runs drawn like a team's references, written as
real event files (``_coord_runs``), and reference files built from them."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
