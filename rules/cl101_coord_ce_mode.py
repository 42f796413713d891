"""Reports which coord objective the run trained with: mixed, soft-only or pure CE.

## What it does
Names the run's coordinate-token objective, from the logs and, when the run's config is known,
from the config too:

- ``mixed``: the soft-CE + W1 + gate block (``coord_softce_w1/*``) is logged and its hard-CE
  term ``coord_softce_w1/ce`` is above 0 at some eval: a hard-CE anchor plus soft targets.
- ``soft_only``: the block is logged but ``coord_softce_w1/ce`` is exactly 0 at every eval (it
  is logged as 0 when ``ce_weight`` is 0): soft targets with no hard-CE anchor.
- ``pure_ce``: no ``coord_softce_w1/*`` block, while ``coord_diag/*`` is logged (or
  ``coord_diag/enabled`` is 0): plain CE trains the coord tokens, soft-CE/W1/gate are only
  computed as diagnostics.

From the config, ``coord_soft_ce_w1.enabled`` false means ``pure_ce``; enabled with
``coord_soft_ce_w1.ce_weight`` 0 means ``soft_only``, above 0 ``mixed``. When config and logs
disagree, the finding is a warning that says so (the logs may come from another run, or the
config from another attempt). A run that logs no coord metrics and has no config is skipped.

**Operating range**: any eval count and noise: it reads which tags are logged, whether ``ce`` is
ever above 0, and the config, not a curve's shape. On ``benchmarks/accuracy`` (soft-only
runs, and runs whose config says another mode, are positives) precision and recall are 1.0.

## Why it matters
The objective frames every other coord metric: its loss terms are logged multiplied by their
weights, and soft-CE levels depend on the objective. ``soft_only`` is reported as a warning:
in the stage-1 comparison behind this rule, soft targets without a hard-CE anchor shaped the
coord distribution well (low ``soft_ce``) yet selected bins worse under autoregressive
sampling, and adding hard CE was the most likely win. That is one comparison, not a law:
check a decode-based metric before concluding (see CL503). ``mixed`` and ``pure_ce`` are info.

## Data
``mode`` (``mixed``, ``soft_only``, ``pure_ce`` or ``unknown``, from the logs when they say,
else from the config), ``config_mode`` (from the config, when known), ``source``
(``logs``, ``config`` or ``logs+config``).

## Example
``soft_ce_only CL101 [warning] coord objective is soft_only: eval/coord_softce_w1/ce is 0 at
all 46 eval points (soft targets with no hard-CE anchor on coord tokens; ...)``

## Options
``min_ce`` (default ``0.0``): a logged ``ce`` at or below this counts as 0. It is logged as
exactly 0 when ``ce_weight`` is 0, so the default needs no slack.
"""

from __future__ import annotations

from collections.abc import Iterator

import coordlint

from . import _coord as m

_ADVICE = {
    "soft_only": (
        "soft targets with no hard-CE anchor on coord tokens; in the stage-1 comparison this "
        "selected bins worse under autoregressive sampling: consider adding a hard-CE term "
        "(ce_weight > 0) and check a decode-based metric"
    ),
    "mixed": "hard CE on coord tokens plus soft-CE/W1/gate shaping",
    "pure_ce": "plain CE on coord tokens; soft-CE/W1/gate are diagnostics only",
    "unknown": "",
}


def _config_mode(run: m.Logged) -> str | None:
    enabled = m.config_value(run, m.CFG_SOFTCE_ENABLED)
    if enabled is None:
        return None
    if not enabled:
        return "pure_ce"
    weight = m.config_value(run, m.CFG_CE_WEIGHT)
    if not isinstance(weight, (int, float)):
        return None
    return "mixed" if weight > 0 else "soft_only"


def _log_mode(run: m.Logged, min_ce: float) -> tuple[str | None, str]:
    """The mode the logs show and the evidence, or (None, "") when the logs say nothing."""
    for split in ("eval", "train"):
        tag = f"{split}/{m.SOFTCE}/ce"
        if run.has(tag):
            ce = run.series(tag).dropna()
            if len(ce):
                if float(ce.abs().max()) > min_ce:
                    step = int(ce.index[-1])
                    return "mixed", f"{tag} is {ce.iloc[-1]:.4g} at step {step}"
                return "soft_only", f"{tag} is 0 at all {len(ce)} {split} points"
    softce_block = any(run.has(f"eval/{m.SOFTCE}/{t}") for t in m.SOFTCE_TERMS[1:])
    if softce_block or m.logs_block(run, m.SOFTCE):
        return "unknown", f"{m.SOFTCE}/* is logged without its ce term"
    enabled = run.series(m.DIAG_ENABLED).dropna() if run.has(m.DIAG_ENABLED) else None
    if enabled is not None and len(enabled):
        if float(enabled.iloc[-1]) == 0:
            return "pure_ce", f"no {m.SOFTCE}/* block and {m.DIAG_ENABLED} is 0"
        return "unknown", f"{m.DIAG_ENABLED} is 1 but no {m.SOFTCE}/* block is logged"
    if m.logs_block(run, m.DIAG):
        return "pure_ce", f"no {m.SOFTCE}/* block, only {m.DIAG}/* diagnostics"
    return None, ""


def objective(run: m.Logged, min_ce: float = 0.0) -> str | None:
    """The coord objective CL101 reports for ``run`` (or a reference run): ``mixed``,
    ``soft_only``, ``pure_ce`` or ``unknown``; ``None`` when neither logs nor config say."""
    log_mode, _ = _log_mode(run, min_ce)
    config_mode = _config_mode(run)
    if log_mode is None and config_mode is None:
        return None
    return log_mode if log_mode not in (None, "unknown") else (config_mode or "unknown")


@coordlint.rule("CL101", "coord-ce-mode", severity="info", params={"min_ce": 0.0})
def coord_ce_mode(run: coordlint.Run, min_ce: float) -> Iterator[coordlint.Finding]:
    log_mode, evidence = _log_mode(run, min_ce)
    config_mode = _config_mode(run)
    if log_mode is None and config_mode is None:
        return
    mode = log_mode if log_mode not in (None, "unknown") else (config_mode or "unknown")
    data: dict[str, object] = {"mode": mode}
    if config_mode is not None:
        data["config_mode"] = config_mode
    data["source"] = "+".join(
        s for s, v in (("logs", log_mode), ("config", config_mode)) if v is not None
    )
    severity = coordlint.Severity.WARNING if mode == "soft_only" else coordlint.Severity.INFO
    advice = _ADVICE[mode]
    if log_mode is None:
        message = f"coord objective is {mode} (from the config; the logs carry no coord loss)"
    else:
        message = f"coord objective is {mode}: {evidence}"
    if advice:
        message += f" ({advice})"
    disagree = (
        config_mode is not None and log_mode not in (None, "unknown") and config_mode != log_mode
    )
    if disagree:
        severity = coordlint.Severity.WARNING
        message += (
            f"; but the config says {config_mode}: check that the config and the logs belong to "
            "the same run and attempt"
        )
    yield coordlint.Finding(message, data=data, severity=severity)
