"""Check the generated runs with coordlint's real loader and engine, and score the verdicts.

Per rule, a run's outcome is ``fire`` (a finding at the rule's alarm level: warning or above,
or any finding for the info-only rules CL503 and CL903), ``info`` (a finding below it: the rule
says it cannot decide) or ``silent``. Against the labels of ``labels.py``:

- precision = TP / (TP + FP) and recall = TP / (TP + FN) over the runs labelled ``pos`` or
  ``neg`` (``either`` runs are reported apart, as how often the rule fired on them);
- the false-positive rate on the healthy family's runs labelled ``neg``;
- step accuracy: of the true positives, how often the step the finding names is right (per
  rule, see ``_step_ok``);
- the same for the naive check a user would otherwise write (``naive.py``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from coordlint.core import engine
from coordlint.core.config import Settings
from coordlint.core.plugins import load_plugins
from coordlint.execution.collect import load_path
from coordlint.rule import Finding, Severity
from coordlint.run import Run

from . import labels as lb
from .families import CODES, RunSpec
from .naive import NAIVE
from .writer import write_run

#: The level at which a rule's finding is its alarm; below it, the rule abstains.
ALARM = {"CL101": Severity.WARNING, "CL503": Severity.INFO, "CL903": Severity.INFO}


@dataclass
class Verdict:
    outcome: str  # "fire" | "info" | "silent"
    findings: list[Finding] = field(default_factory=list)


@dataclass
class Checked:
    spec: RunSpec
    verdicts: dict[str, Verdict]  # code -> verdict (codes the installed coordlint has)
    values: dict[str, tuple[np.ndarray, np.ndarray]]  # tag -> (steps, values) as loaded
    config: dict[str, object]  # run.config as loaded


def check_groups(groups: list[list[RunSpec]], root: Path) -> tuple[list[Checked], dict]:
    """Write every group under ``root``, load it with ``load_path`` and run the rules."""
    rules = load_plugins(autoload=False).rules
    codes = [c for c in CODES if c in rules]
    settings = Settings(select=[*codes, "CL9"])
    settings.validate(rules)
    timing = {"write": 0.0, "load": 0.0, "check": 0.0}
    checked: list[Checked] = []
    crashes: list[str] = []
    for group in groups:
        t0 = time.perf_counter()
        for spec in group:
            write_run(spec, root)
        t1 = time.perf_counter()
        runs = [Run(data) for data in load_path(root / group[0].group)]
        t2 = time.perf_counter()
        report = engine.check(runs, rules, settings)
        timing["write"] += t1 - t0
        timing["load"] += t2 - t1
        timing["check"] += time.perf_counter() - t2
        by_name = {r.name: r for r in runs}
        found: dict[tuple[str, str], list[Finding]] = {}
        for f in report.findings:
            found.setdefault((f.run or "", f.code), []).append(f)
            if f.code.startswith("CL9") and f.code != "CL903":
                crashes.append(f"{f.run} {f.code} {f.message}")
        for spec in group:
            run = by_name[spec.name]
            verdicts = {}
            for code in codes:
                findings = found.get((spec.name, code), [])
                alarm = ALARM.get(code, Severity.WARNING)
                if any(f.severity >= alarm for f in findings):
                    outcome = "fire"
                elif findings:
                    outcome = "info"
                else:
                    outcome = "silent"
                verdicts[code] = Verdict(outcome, findings)
            values = {
                tag: (s.index.to_numpy(), s.to_numpy())
                for tag in run.tags
                if len(s := run.series(tag))
            }
            checked.append(Checked(spec, verdicts, values, dict(run.config or {})))
    return checked, {"timing": timing, "crashes": crashes, "codes": codes}


# -- step accuracy -----------------------------------------------------------------------------


def _step_ok(code: str, spec: RunSpec, finding: Finding) -> bool | None:
    """Whether the step a true positive names is right (None: the rule names no step to judge)."""
    data = finding.data
    if code == "CL201":
        # A checkpoint as good as the best, up to a quarter of the rebound.
        facts = spec.facts["CL201"]
        at = float(spec.curves["soft_ce"](np.array([float(data["best_step"])]))[0])
        return at <= facts["best"] * (1 + facts["rise"] / 4)
    if code == "CL301" and data.get("reached_step") is not None:
        return abs(float(data["reached_step"]) - spec.facts["CL301"]["reached"]) <= spec.interval
    if code == "CL303":
        return abs(float(data["lost_step"]) - spec.facts["CL303"]["lost_step"]) <= 2 * spec.interval
    if code == "CL401":
        return (float(data["change"]) < 0) == (spec.facts["CL401"]["change"] < 0)
    return None


# -- tallies -----------------------------------------------------------------------------------


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    either: int = 0
    either_fired: int = 0
    info: int = 0  # abstentions (findings below the alarm level), any label
    fn_info: int = 0  # missed positives that abstained: the rule said it could not tell
    healthy_neg: int = 0
    healthy_fp: int = 0
    step_checked: int = 0
    step_right: int = 0

    def add(self, label: str, fired: bool, healthy: bool) -> None:
        if label == lb.EITHER:
            self.either += 1
            self.either_fired += fired
            return
        if label == lb.POS:
            self.tp += fired
            self.fn += not fired
        else:
            self.fp += fired
            self.tn += not fired
            if healthy:
                self.healthy_neg += 1
                self.healthy_fp += fired

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def healthy_fp_rate(self) -> float | None:
        return self.healthy_fp / self.healthy_neg if self.healthy_neg else None

    @property
    def step_accuracy(self) -> float | None:
        return self.step_right / self.step_checked if self.step_checked else None


def tally(
    checked: Iterable[Checked], codes: Iterable[str], keep=lambda c: True
) -> dict[str, dict[str, Tally]]:
    """``{code: {"rule": Tally, "naive": Tally}}`` over the checked runs ``keep`` accepts."""
    out: dict[str, dict[str, Tally]] = {}
    checked = list(checked)
    groups: dict[str, list[Checked]] = {}
    for c in checked:
        groups.setdefault(c.spec.group, []).append(c)
    checked = [c for c in checked if keep(c)]
    for code in codes:
        rule, naive = Tally(), Tally()
        for c in checked:
            label = c.spec.labels[code]
            healthy = c.spec.family == "healthy"
            verdict = c.verdicts.get(code)
            fired = verdict is not None and verdict.outcome == "fire"
            rule.add(label, fired, healthy)
            if verdict is not None and verdict.outcome == "info":
                rule.info += 1
                rule.fn_info += label == lb.POS
            if fired and label == lb.POS:
                ok = [_step_ok(code, c.spec, f) for f in verdict.findings]
                ok = [o for o in ok if o is not None]
                if ok:
                    rule.step_checked += 1
                    rule.step_right += any(ok)
            if code in NAIVE:
                naive.add(label, NAIVE[code](c, groups[c.spec.group]), healthy)
        out[code] = {"rule": rule, "naive": naive}
    return out
