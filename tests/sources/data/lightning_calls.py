"""The calls ``make_lightning.py`` made on Lightning's ``CSVLogger`` (no torch needed here)."""

from __future__ import annotations

#: (step, metrics) in logging order; shared with the test that mirrors them.
CALLS = [
    (9, {"train_loss": 2.5, "epoch": 0}),
    (19, {"train_loss": 2.25, "lr-AdamW": 1e-05, "epoch": 0}),
    (19, {"val/loss": 2.0, "val_acc": float("nan"), "epoch": 0}),
    (29, {"train_loss": float("inf"), "epoch": 1}),
    (39, {"train_loss": 1.75, "val_coord_diag/soft_ce": 4.25, "epoch": 1}),
]
HPARAMS = {
    "lr": 2e-05,
    "betas": (0.9, 0.999),
    "coord_soft_ce_w1": {"enabled": True, "ce_weight": 0.0},
    "eval_steps": 40,
}
