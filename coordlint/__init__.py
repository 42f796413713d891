"""coordlint: lint the training logs of coordinate-token vision-language models.

The public API is exactly what is imported here; everything else is private.
"""

from pathlib import Path as _Path

# Installed, the built-in rules are the subpackage coordlint/rules. In a source checkout they sit
# beside this package in rules/ (packaging maps them under coordlint's namespace), so let
# ``coordlint.rules`` resolve there too, e.g. for ``python -m coordlint`` run from the checkout.
_checkout = _Path(__file__).resolve().parent.parent
if (
    not (_Path(__file__).parent / "rules").is_dir()
    and (_checkout / "rules" / "__init__.py").is_file()
):
    __path__.append(str(_checkout))

from coordlint.hookspecs import hookimpl, hookspec  # noqa: E402
from coordlint.rule import Finding, NotApplicable, Rule, Severity, rule  # noqa: E402
from coordlint.run import Run  # noqa: E402

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
