"""The rule API: ``@coordlint.rule``, ``Finding`` and ``Severity``. A contract teams write against.

A rule is a plain function ``(run, params) -> Iterable[Finding]`` (or ``(runs, params)`` with
``scope="runs"``) wrapped by :func:`rule`, which records its code, name, default severity and
declared params. Its docstring is its documentation (``coordlint explain CODE``).
"""

from __future__ import annotations

import enum
import inspect
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["CODE_PATTERN", "Finding", "NotApplicable", "Rule", "Severity", "rule"]

CODE_PATTERN = re.compile(r"^[A-Z]{1,3}[0-9]{3}$")

#: What a finding's ``data`` values should be: numbers and strings (anything else is shown with
#: ``str()``; numpy scalars are unwrapped, non-finite floats spelled ``nan``/``inf``).
DataValue = int | float | str | bool | None


class Severity(enum.IntEnum):
    """How serious a finding is; ordered, so ``--fail-on`` is a comparison."""

    INFO = 0
    WARNING = 1
    ERROR = 2

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str | Severity) -> Severity:
        """``"warning"`` → ``Severity.WARNING``; raises ``ValueError`` naming the choices."""
        if isinstance(value, Severity):
            return value
        try:
            return cls[str(value).upper()]
        except KeyError:
            raise ValueError(
                f"unknown severity {value!r} (choose info, warning or error)"
            ) from None


class NotApplicable(Exception):
    """Raise from a rule when the run lacks what the rule needs; the rule is skipped there."""


@dataclass(frozen=True)
class Finding:
    """One verdict about one run. Rules set the message and evidence; the engine stamps the rest.

    ``data`` holds the numbers behind the verdict (flat: numbers and strings). ``severity`` is
    optional: when unset the rule's configured severity applies. A ``scope="runs"`` rule must set
    ``run`` to the name of the run the finding is about. ``series`` is the curve the verdict was
    read from (a step-indexed Series), so reports can draw it with ``step`` marked and, when
    ``data`` has a ``threshold``, the threshold line.
    """

    message: str
    tag: str | None = None
    step: int | None = None
    data: Mapping[str, object] = field(default_factory=dict)
    severity: Severity | None = None
    run: str | None = None
    code: str = ""
    rule: str = ""
    series: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Rule:
    """A registered rule: what :func:`rule` returns and ``coordlint_rules()`` hands the engine."""

    code: str
    name: str
    check: Callable[..., Iterable[Finding] | None]
    severity: Severity = Severity.WARNING
    params: Mapping[str, Any] = field(default_factory=dict)
    scope: Literal["run", "runs"] = "run"
    plugin: str = ""

    @property
    def doc(self) -> str:
        """The rule's documentation: its function's docstring, else its module's (one rule/file)."""
        module = sys.modules.get(getattr(self.check, "__module__", ""), None)
        text = self.check.__doc__ or getattr(module, "__doc__", None) or "(no documentation)"
        return inspect.cleandoc(text)

    @property
    def summary(self) -> str:
        """The first line of the documentation."""
        return self.doc.strip().splitlines()[0]

    def __call__(self, *args: Any, **kwargs: Any) -> Iterable[Finding] | None:
        return self.check(*args, **kwargs)


def rule(
    code: str,
    name: str,
    *,
    severity: str | Severity = "warning",
    params: Mapping[str, Any] | None = None,
    scope: Literal["run", "runs"] = "run",
) -> Callable[[Callable[..., Iterable[Finding] | None]], Rule]:
    """Declare a rule. ``params`` are its defaults; config may override each, with the same type."""
    if not CODE_PATTERN.match(code):
        raise ValueError(f"rule code {code!r} must be 1-3 capital letters and 3 digits, e.g. TM001")
    if not re.match(r"^[a-z][a-z0-9-]*$", name):
        raise ValueError(f"rule name {name!r} must be kebab-case, e.g. final-eval-loss-high")
    if scope not in ("run", "runs"):
        raise ValueError(f"rule {code}: scope must be 'run' or 'runs', not {scope!r}")
    level = Severity.parse(severity)

    def decorate(func: Callable[..., Iterable[Finding] | None]) -> Rule:
        return Rule(code, name, func, level, dict(params or {}), scope)

    return decorate
