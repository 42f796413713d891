"""coordlint: lint the training logs of coordinate-token vision-language models.

The public API is exactly what is named in ``__all__``: the rule-author face (``rule``,
``Finding``, ``Severity``, ``NotApplicable``, ``Run``, ``Reference``, ``Band``, ``Problem``,
``Report``, the hook markers) and the Python API (``load``, ``check``; see
:mod:`coordlint.api`). Everything else is private. ``load`` and ``check`` are imported on first
use, so importing ``coordlint`` (or ``coordlint.loading``) does not import the engine, the
execution layer or the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from coordlint.columns import Problem
from coordlint.hookspecs import hookimpl, hookspec
from coordlint.reference import Band, Reference
from coordlint.report import Report
from coordlint.rule import Finding, NotApplicable, Rule, Severity, rule
from coordlint.run import Checkpoint, Run
from coordlint.runconfig import RunConfig

if TYPE_CHECKING:
    from coordlint.api import check, load

from coordlint._version import __version__

__all__ = [
    "Band",
    "Checkpoint",
    "Finding",
    "NotApplicable",
    "Problem",
    "Reference",
    "Report",
    "Rule",
    "Run",
    "RunConfig",
    "Severity",
    "__version__",
    "check",
    "hookimpl",
    "hookspec",
    "load",
    "rule",
]


def __getattr__(name: str) -> Any:
    # The Python API lives a layer up (it loads and checks); import it when first asked for.
    if name in ("check", "load"):
        from coordlint import api

        return getattr(api, name)
    raise AttributeError(f"module 'coordlint' has no attribute {name!r}")
