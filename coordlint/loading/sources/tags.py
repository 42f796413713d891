"""Metric names as trackers spell them → tags as the rules ask for them (``eval/loss``).

Rules ask for HF's TensorBoard spelling: ``train/X``, ``eval/X``, ``test/X``. Every source maps
its names the same documented way (README "Other sources"), then the config's ``tag-aliases``
apply on top:

============================================  =================  ==========================
logged as                                     read as            why
============================================  =================  ==========================
``train/X``, ``eval/X``, ``test/X``           unchanged          already HF's spelling
``val/X``, ``valid/X``, ``validation/X``      ``eval/X``         Lightning's validation loop
``eval_X``, ``val_X``, ``valid_X``,           ``eval/X``         HF's ``eval_`` prefix,
``validation_X``                                                 Lightning's ``val_``
``test_X``                                    ``test/X``
``train_X``                                   ``train/X``        (not for MLflow: see below)
``system/X``                                  unchanged          tracker system metrics
anything else (``loss``, ``epoch``)           ``train/X``        HF's ``rewrite_logs``
============================================  =================  ==========================

MLflow runs are usually written by HF's ``MLflowCallback``, which logs HF's raw names: its
``train_loss``, ``train_runtime`` are end-of-training totals, read as ``train/train_loss`` like
HF's TensorBoard callback writes them (``hf=True``), not as the per-step ``train/loss``.
"""

from __future__ import annotations

__all__ = ["SPLITS", "rules_tag"]

#: A name's first component → the split it is read as.
SPLITS = {
    "train": "train",
    "eval": "eval",
    "test": "test",
    "val": "eval",
    "valid": "eval",
    "validation": "eval",
}
_UNCHANGED = frozenset({"train", "eval", "test", "system"})


def rules_tag(name: str, *, hf: bool = False) -> str:
    """``name`` as the rules ask for it (see the module doc); ``hf``: HF's raw names, where a
    ``train_`` prefix is part of the metric's name."""
    head, slash, rest = name.partition("/")
    if slash and rest:
        if head in _UNCHANGED:
            return name
        if head in SPLITS:
            return f"{SPLITS[head]}/{rest}"
    head, underscore, rest = name.partition("_")
    if underscore and rest and head in SPLITS and not (hf and head == "train"):
        return f"{SPLITS[head]}/{rest}"
    return f"train/{name}"
