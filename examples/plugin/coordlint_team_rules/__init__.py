"""An example team rule pack: four rules a team adds on top of coordlint's own.

Registered through the ``coordlint`` entry-point group (see pyproject.toml): every
``@coordlint.rule`` in this package's modules registers, nothing else to list. Codes use the
team's own prefix ``TM`` (``CL`` is reserved for coordlint).
"""

from __future__ import annotations

from coordlint_team_rules.final_eval_loss import final_eval_loss_high
from coordlint_team_rules.loss_ratio import loss_ratio_matches_grad_accum
from coordlint_team_rules.loss_vs_references import eval_loss_above_references
from coordlint_team_rules.warmup import lr_never_warmed_up

__version__ = "0.1.0"
__all__ = [
    "eval_loss_above_references",
    "final_eval_loss_high",
    "loss_ratio_matches_grad_accum",
    "lr_never_warmed_up",
]
