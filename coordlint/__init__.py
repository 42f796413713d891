"""coordlint: lint the training logs of coordinate-token vision-language models.

The public API is exactly what is imported here; everything else is private.
"""

from coordlint.hookspecs import hookimpl, hookspec
from coordlint.rule import Finding, NotApplicable, Rule, Severity, rule
from coordlint.run import Run

__version__ = "0.1.0"

__all__ = [
    "Finding",
    "NotApplicable",
    "Rule",
    "Run",
    "Severity",
    "__version__",
    "hookimpl",
    "hookspec",
    "rule",
]
