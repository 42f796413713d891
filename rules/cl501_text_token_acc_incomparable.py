"""``text_token_acc`` counts coord tokens in some of the compared runs and not in others.

## What it does
Looks at every run that logs ``eval/text_token_acc``. For each, decides from the evidence
whether its ``text_token_acc`` excludes coord tokens:

- it does when the config says ``token_type_metrics.enabled`` (the batch carries token types),
  or when the soft-CE loss is on (config ``coord_soft_ce_w1.enabled``, or logs: a
  ``coord_softce_w1/*`` block, ``coord_diag/enabled`` 1), since then the trainer can infer a
  coord mask;
- it may not when the run is pure CE (config ``coord_soft_ce_w1.enabled`` false, or logs:
  ``coord_diag/*`` without a ``coord_softce_w1/*`` block, ``coord_diag/enabled`` 0) and token
  types are not known to be on.

Fires on each run of the second kind when at least one run of the first kind is compared with
it. Runs with no evidence either way, and a single run, are never reported; fewer than two runs
logging ``text_token_acc`` make the rule not applicable.

**Operating range**: any; it reads which tags and config keys a run has, not a curve. On
``benchmarks/accuracy`` precision and recall are 1.0.

## Why it matters
Counting coord tokens (which are much harder to predict exactly than text) drags the metric
down: in the stage-1 comparison the pure-CE run's ``text_token_acc`` was ~0.56 against ~0.85
for the others, an artefact of what was counted, not of how well it writes text. Compare
``token_acc`` or the coord diagnostics across such runs instead, or enable
``token_type_metrics`` so every run excludes coord tokens.

## Data
``other_runs`` (the runs whose ``text_token_acc`` excludes coord tokens, comma-separated),
``value`` (this run's last ``eval/text_token_acc``).

## Example
``pure_ce_only CL501 [warning] eval/text_token_acc (0.5571) may count coord tokens here (pure CE
(eval/coord_diag/enabled is 0) and no token types) but excludes them in soft_ce_hard_ce_mixed,
soft_ce_only: do not compare it across these runs; ...``
"""

from __future__ import annotations

from collections.abc import Iterator

import coordlint

from . import _coord as m

TAG = "eval/text_token_acc"


def _excludes_coord(run: coordlint.Run) -> tuple[bool | None, str]:
    """True (excludes coord tokens), False (may count them) or None (no evidence), and why."""
    if m.config_value(run, m.CFG_TOKEN_TYPE_METRICS):
        return True, "token_type_metrics is enabled"
    enabled = m.config_value(run, m.CFG_SOFTCE_ENABLED)
    if enabled is not None:
        if enabled:
            return True, "soft-CE loss is on (config), so the trainer infers a coord mask"
        return False, "pure CE (config) and token types are not known to be on"
    if m.logs_block(run, m.SOFTCE):
        return True, f"{m.SOFTCE}/* is logged, so the trainer infers a coord mask"
    flag = run.series(m.DIAG_ENABLED).dropna()
    if len(flag):
        if float(flag.iloc[-1]) != 0:
            return True, f"{m.DIAG_ENABLED} is 1, so the trainer infers a coord mask"
        return False, f"pure CE ({m.DIAG_ENABLED} is 0) and no token types"
    if m.logs_block(run, m.DIAG):
        return False, f"pure CE (no {m.SOFTCE}/* block) and no token types"
    return None, ""


@coordlint.rule("CL501", "text-token-acc-incomparable", severity="warning", scope="runs")
def text_token_acc_incomparable(
    runs: list[coordlint.Run],
) -> Iterator[coordlint.Finding]:
    logging = [r for r in runs if len(r.series(TAG).dropna())]
    if len(logging) < 2:
        raise coordlint.NotApplicable(f"fewer than two runs log {TAG}")
    verdicts = {r.name: _excludes_coord(r) for r in logging}
    clean = [r.name for r in logging if verdicts[r.name][0] is True]
    suspect = [r for r in logging if verdicts[r.name][0] is False]
    if not clean or not suspect:
        return
    others = ", ".join(clean)
    for run in suspect:
        values = run.series(TAG).dropna()
        value = float(values.iloc[-1])
        yield coordlint.Finding(
            f"{TAG} ({value:.4g}) may count coord tokens here ({verdicts[run.name][1]}) but "
            f"excludes them in {others}: do not compare it across these runs; compare "
            "eval/token_acc or the coord diagnostics, or enable token_type_metrics",
            run=run.name,
            tag=TAG,
            data={"other_runs": others, "value": value},
        )
