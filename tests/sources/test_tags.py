"""Names as trackers spell them → the tags rules ask for (README "Other sources")."""

from __future__ import annotations

import pytest

from coordlint.loading.sources.tags import rules_tag


@pytest.mark.parametrize(
    ("name", "tag"),
    [
        ("train/loss", "train/loss"),
        ("eval/coord_diag/soft_ce", "eval/coord_diag/soft_ce"),
        ("test/acc", "test/acc"),
        ("system/gpu.0.memory", "system/gpu.0.memory"),
        ("val/loss", "eval/loss"),
        ("valid/loss", "eval/loss"),
        ("validation/coord_diag/w1", "eval/coord_diag/w1"),
        ("eval_loss", "eval/loss"),
        ("val_acc", "eval/acc"),
        ("valid_acc", "eval/acc"),
        ("validation_loss", "eval/loss"),
        ("test_loss", "test/loss"),
        ("train_loss", "train/loss"),
        ("val_coord_diag/soft_ce", "eval/coord_diag/soft_ce"),
        ("train_coord_softce_w1/ce", "train/coord_softce_w1/ce"),
        ("loss", "train/loss"),
        ("epoch", "train/epoch"),
        ("lr-AdamW", "train/lr-AdamW"),
        ("coord_diag/soft_ce", "train/coord_diag/soft_ce"),
        # boundaries: a prefix alone, or an unknown first component, is a plain name
        ("eval_", "train/eval_"),
        ("val", "train/val"),
        ("eval/", "train/eval/"),
        ("value_x", "train/value_x"),
        ("evaluation_loss", "train/evaluation_loss"),
        ("trainer/global_step", "train/trainer/global_step"),
    ],
)
def test_rules_tag(name, tag):
    assert rules_tag(name) == tag


@pytest.mark.parametrize(
    ("name", "tag"),
    [
        ("train_loss", "train/train_loss"),  # HF's end-of-training average, not train/loss
        ("train_runtime", "train/train_runtime"),
        ("loss", "train/loss"),
        ("eval_loss", "eval/loss"),
        ("eval_coord_diag/soft_ce", "eval/coord_diag/soft_ce"),
        ("val/loss", "eval/loss"),
        ("train/loss", "train/loss"),
    ],
)
def test_rules_tag_hf_names(name, tag):
    assert rules_tag(name, hf=True) == tag
