"""The rule API: ``@coordlint.rule``, ``Finding`` and ``Severity``. A contract teams write against.

A rule is a plain function of a run (or, with ``scope="runs"``, of all runs) that yields
findings, wrapped by :func:`rule`, which records its code, name, default severity and params.
Its docstring is its documentation (``coordlint explain CODE``). A rule receives the params it
names, as keyword arguments, each typed like its declared default::

    @coordlint.rule("TM001", "final-eval-loss-high", params={"max_loss": 1.0})
    def final_eval_loss_high(run: coordlint.Run, max_loss: float):
        ...

Params may instead be declared by the function's own defaults (``def f(run, *, max_loss: float
= 1.0)``). A function whose second parameter is named ``params`` receives them all as one dict
(the form of coordlint 0.1).
"""

from __future__ import annotations

import enum
import importlib
import inspect
import pkgutil
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Literal

from coordlint.reference import Band

__all__ = ["CODE_PATTERN", "Finding", "NotApplicable", "Rule", "Severity", "rule", "rules_in"]

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
    ``data`` has a ``threshold``, the threshold line. ``band`` is the reference envelope the
    series was judged against (a :class:`coordlint.reference.Band`), drawn around it.
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
    band: Band | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Rule:
    """A registered rule: what :func:`rule` returns, and what a rule pack registers."""

    code: str
    name: str
    check: Callable[..., Iterable[Finding] | None]
    severity: Severity = Severity.WARNING
    params: Mapping[str, Any] = field(default_factory=dict)
    scope: Literal["run", "runs"] = "run"
    plugin: str = ""
    #: The params ``check`` takes as keyword arguments; ``None``: it takes one ``params`` dict.
    takes: tuple[str, ...] | None = None
    #: Sees a gated checkpoint's whole run, not the run as of the checkpoint's step.
    whole_run: bool = False

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

    def run_with(self, subject: Any, params: Mapping[str, Any]) -> Iterable[Finding] | None:
        """Call the rule on ``subject`` (a run, or the runs for ``scope="runs"``) with
        ``params`` (the declared defaults with config overrides), each typed like its default."""
        typed = {k: _typed(self.params.get(k), v) for k, v in params.items()}
        if self.takes is None:
            return self.check(subject, typed)
        return self.check(subject, **{k: typed[k] for k in self.takes})


def _typed(default: Any, value: Any) -> Any:
    """``value`` as the type of ``default`` where a config spells it another way (an int for a
    float param, a list for a tuple)."""
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(default, tuple) and isinstance(value, list):
        return tuple(value)
    return value


def _signature_params(
    code: str, func: Callable[..., Any], declared: dict[str, Any]
) -> tuple[str, ...] | None:
    """The params ``func`` takes by name (adding the ones its own defaults declare to
    ``declared``), or ``None`` when it takes a ``params`` dict."""
    try:
        parameters = list(inspect.signature(func).parameters.values())[1:]
    except (TypeError, ValueError):  # a builtin or an odd callable: the 0.1 calling form
        return None
    if parameters and parameters[0].name == "params" and "params" not in declared:
        return None
    takes = []
    for p in parameters:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise ValueError(f"rule {code}: {func.__name__} may not take *{p.name}")
        if p.default is not p.empty:
            declared.setdefault(p.name, p.default)
        elif p.name not in declared:
            raise ValueError(
                f"rule {code}: {func.__name__}'s parameter {p.name!r} is not a declared param "
                "(declare it in params={...} or give it a default)"
            )
        takes.append(p.name)
    return tuple(takes)


def rule(
    code: str,
    name: str,
    *,
    severity: str | Severity = "warning",
    params: Mapping[str, Any] | None = None,
    scope: Literal["run", "runs"] = "run",
    whole_run: bool = False,
) -> Callable[[Callable[..., Iterable[Finding] | None]], Rule]:
    """Declare a rule. ``params`` are its defaults (config may override each, with the same
    type); the function receives those it names as keyword arguments (see the module doc).

    When a checkpoint is gated, every rule sees the run as of the checkpoint's step (its points
    at steps <= N), so a rule is checkpoint-aware with no code of its own. A rule that must
    compare the checkpoint with what came after it ("is there a better checkpoint to ship?")
    declares ``whole_run=True``: it then sees every point, and ``run.checkpoint`` says which
    step is gated. The declaration is checked once, by the engine, instead of a per-call
    escape hatch a rule could reach for halfway through and mix two views of one run.
    """
    if not CODE_PATTERN.match(code):
        raise ValueError(f"rule code {code!r} must be 1-3 capital letters and 3 digits, e.g. TM001")
    if not re.match(r"^[a-z][a-z0-9-]*$", name):
        raise ValueError(f"rule name {name!r} must be kebab-case, e.g. final-eval-loss-high")
    if scope not in ("run", "runs"):
        raise ValueError(f"rule {code}: scope must be 'run' or 'runs', not {scope!r}")
    level = Severity.parse(severity)

    def decorate(func: Callable[..., Iterable[Finding] | None]) -> Rule:
        declared = dict(params or {})
        takes = _signature_params(code, func, declared)
        return Rule(code, name, func, level, declared, scope, takes=takes, whole_run=whole_run)

    return decorate


def rules_in(module: ModuleType | str) -> list[Rule]:
    """Every rule defined at module level in ``module`` and, for a package, in each of its
    submodules (test modules aside), in module order: what registering a rule pack registers.

    This is how coordlint registers a plugin's rules (the built-in pack's too), so a rule pack
    is a module or package of ``@coordlint.rule`` functions and nothing else.
    """
    if isinstance(module, str):
        module = importlib.import_module(module)
    found = [v for v in vars(module).values() if isinstance(v, Rule)]
    for info in pkgutil.walk_packages(getattr(module, "__path__", []), module.__name__ + "."):
        if info.name.rpartition(".")[2].startswith(("test", "conftest")):
            continue
        sub = importlib.import_module(info.name)
        found.extend(v for v in vars(sub).values() if isinstance(v, Rule))
    unique: dict[int, Rule] = {}
    for item in found:
        unique.setdefault(id(item), item)
    return list(unique.values())
