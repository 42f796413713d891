"""The coord domain: where the coord metrics live, the config keys rules read, summary columns.

Shared by the coord rules (``rules/cl1xx``–``cl5xx``); ``coordlint summary`` gets its columns
from here through the ``coordlint_summary_columns`` hook. Not a rule (no module-level Rule).
A coord metric ``X`` is read from ``eval/coord_softce_w1/X`` when the run logs it (the
soft-CE + W1 + gate loss block, present when that loss trains the model) and otherwise from
``eval/coord_diag/X`` (the diagnostics every coord run logs). The flip rate has its own tags.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from coordlint import Reference, Run
from coordlint.runconfig import expected_type

if TYPE_CHECKING:
    import pandas as pd

#: What the helpers below read: a run, or a reference run (which has the same reading face).
Logged = Run | Reference

__all__ = [
    "CONFIG_KEYS",
    "CONFIG_PATHS",
    "DIAG",
    "FLIP_TAGS",
    "KEY_TYPES",
    "SOFTCE",
    "SOFTCE_TERMS",
    "SUMMARY_METRICS",
    "config_key_types",
    "config_value",
    "coord_series",
    "coord_tag",
    "logs_coord_metrics",
    "metric_tags",
    "summary_columns",
]

SOFTCE = "coord_softce_w1"
DIAG = "coord_diag"
# The coord loss terms of the soft-CE block, already multiplied by their weights.
SOFTCE_TERMS = ("ce", "soft_ce", "w1", "gate")
FLIP = "flip_coord_to_noncoord"
FLIP_TAGS = ("eval/coord_monitor/flip_coord_to_noncoord", "eval/flip_coord_to_noncoord")
DIAG_ENABLED = "eval/coord_diag/enabled"
TEXT_TOKEN_ACC = ("eval/text_token_acc",)

# -- run.config keys: each read from the first of its CONFIG_PATHS the config holds ---------
CFG_SOFTCE_ENABLED = "coord_soft_ce_w1.enabled"
CFG_CE_WEIGHT = "coord_soft_ce_w1.ce_weight"
CFG_SOFT_CE_WEIGHT = "coord_soft_ce_w1.soft_ce_weight"
CFG_W1_WEIGHT = "coord_soft_ce_w1.w1_weight"
CFG_GATE_WEIGHT = "coord_soft_ce_w1.gate_weight"
CFG_TEXT_GATE_WEIGHT = "coord_soft_ce_w1.text_gate_weight"
CFG_TEMPERATURE = "coord_soft_ce_w1.temperature"
CFG_TARGET_SIGMA = "coord_soft_ce_w1.target_sigma"
CFG_TARGET_TRUNCATE = "coord_soft_ce_w1.target_truncate"
CFG_TOKEN_TYPE_METRICS = "token_type_metrics.enabled"
CFG_BBOX_FORMAT = "bbox_format"
CFG_EVAL_STEPS = "training.eval_steps"
CFG_SAVE_STEPS = "training.save_steps"
CFG_LOGGING_STEPS = "training.logging_steps"

CONFIG_KEYS = (
    CFG_SOFTCE_ENABLED,
    CFG_CE_WEIGHT,
    CFG_SOFT_CE_WEIGHT,
    CFG_W1_WEIGHT,
    CFG_GATE_WEIGHT,
    CFG_TEXT_GATE_WEIGHT,
    CFG_TEMPERATURE,
    CFG_TARGET_SIGMA,
    CFG_TARGET_TRUNCATE,
    CFG_TOKEN_TYPE_METRICS,
    CFG_BBOX_FORMAT,
    CFG_EVAL_STEPS,
    CFG_SAVE_STEPS,
    CFG_LOGGING_STEPS,
)
# Where each key lives: a flat dotted key (``make_run(config=...)``, older loaders), the
# ``resolved`` object of resolved_config.json, then ms-swift's args.json.
CONFIG_PATHS: dict[str, tuple[str, ...]] = {
    **{
        key: (key, f"custom.{key}")
        for key in (
            CFG_SOFTCE_ENABLED,
            CFG_CE_WEIGHT,
            CFG_SOFT_CE_WEIGHT,
            CFG_W1_WEIGHT,
            CFG_GATE_WEIGHT,
            CFG_TEXT_GATE_WEIGHT,
            CFG_TEMPERATURE,
            CFG_TARGET_SIGMA,
            CFG_TARGET_TRUNCATE,
            CFG_TOKEN_TYPE_METRICS,
            CFG_BBOX_FORMAT,
        )
    },
    CFG_EVAL_STEPS: (CFG_EVAL_STEPS, "eval_steps"),
    CFG_SAVE_STEPS: (CFG_SAVE_STEPS, "save_steps"),
    CFG_LOGGING_STEPS: (CFG_LOGGING_STEPS, "logging_steps"),
}
# The type each key must have (see coordlint.runconfig.expected_type: float is any finite
# number; the training step keys are floats because HF also takes a ratio of the run there).
KEY_TYPES: dict[str, type] = {
    CFG_SOFTCE_ENABLED: bool,
    CFG_CE_WEIGHT: float,
    CFG_SOFT_CE_WEIGHT: float,
    CFG_W1_WEIGHT: float,
    CFG_GATE_WEIGHT: float,
    CFG_TEXT_GATE_WEIGHT: float,
    CFG_TEMPERATURE: float,
    CFG_TARGET_SIGMA: float,
    CFG_TARGET_TRUNCATE: float,
    CFG_TOKEN_TYPE_METRICS: bool,
    CFG_BBOX_FORMAT: str,
    CFG_EVAL_STEPS: float,
    CFG_SAVE_STEPS: float,
    CFG_LOGGING_STEPS: float,
}
# What sets the *level* of the soft-CE family (soft_ce's floor is the target's entropy).
TARGET_KEYS = (CFG_TEMPERATURE, CFG_TARGET_SIGMA, CFG_TARGET_TRUNCATE)
# What scales the logged loss terms (they are logged already multiplied by their weights).
WEIGHT_KEYS = (
    CFG_CE_WEIGHT,
    CFG_SOFT_CE_WEIGHT,
    CFG_W1_WEIGHT,
    CFG_GATE_WEIGHT,
    CFG_TEXT_GATE_WEIGHT,
)
# What a reference run keeps of its config (coordlint_reference_config): what CL502 compares.
REFERENCE_KEYS = (CFG_SOFTCE_ENABLED, *TARGET_KEYS, *WEIGHT_KEYS)

# -- the end-of-training summary: (column, metric, which way is better), in the analysis
# note's order -------------------------------------------------------------------------------
SUMMARY_METRICS = (
    ("eval_coord_ce", "ce", "lower"),
    ("eval_coord_soft_ce", "soft_ce", "lower"),
    ("eval_coord_w1", "w1", "lower"),
    ("eval_coord_gate", "gate", "lower"),
    ("eval_p_gt_mean", "p_gt_mean", "higher"),
    ("eval_acc_top5", "acc_top5", "higher"),
    ("eval_expected_bin_mae", "expected_bin_mae", "lower"),
    ("eval_coord_vocab_mass", "coord_vocab_mass", "higher"),
    ("eval_margin_mean", "margin_mean", "higher"),
    ("eval_flip_coord_to_noncoord", FLIP, "lower"),
)


def metric_tags(metric: str, split: str = "eval") -> tuple[str, ...]:
    """The tags that may hold coord metric ``metric``, preferred first.

    ``metric_tags("soft_ce")`` → ``("eval/coord_softce_w1/soft_ce", "eval/coord_diag/soft_ce")``;
    the flip rate → ``eval/coord_monitor/flip_coord_to_noncoord``, ``eval/flip_coord_to_noncoord``.
    """
    if metric == FLIP:
        return tuple(t.replace("eval/", f"{split}/", 1) for t in FLIP_TAGS)
    return (f"{split}/{SOFTCE}/{metric}", f"{split}/{DIAG}/{metric}")


def coord_tag(run: Logged, metric: str, split: str = "eval") -> str | None:
    """The first of :func:`metric_tags` the run logs, or ``None`` (asks ``run.has`` for each)."""
    for tag in metric_tags(metric, split):
        if run.has(tag):
            return tag
    return None


def coord_series(run: Logged, metric: str, split: str = "eval") -> tuple[str | None, pd.Series]:
    """``(tag, finite values by step)`` of coord metric ``metric``; ``(None, empty)`` if absent."""
    tag = coord_tag(run, metric, split)
    if tag is None:
        import pandas as pd

        return None, pd.Series(dtype="float64")
    series = run.series(tag)
    finite = np.isfinite(series.to_numpy())
    return tag, series if finite.all() else series[finite]


def logs_coord_metrics(run: Run) -> bool:
    """Whether the run logs any coord metric (a coord_softce_w1/coord_diag block or a flip rate)."""
    markers = (f"/{SOFTCE}/", f"/{DIAG}/")
    return any(any(m in f"/{tag}" for m in markers) or tag.endswith(FLIP) for tag in run.tags)


def logs_block(run: Logged, block: str, splits: Sequence[str] = ("eval", "train")) -> bool:
    """Whether the run logs any ``<split>/<block>/*`` tag (``block`` is SOFTCE or DIAG)."""
    prefixes = tuple(f"{s}/{block}/" for s in splits)
    return any(tag.startswith(prefixes) for tag in run.tags)


def config_value(run: Logged, key: str) -> object | None:
    """Coord config ``key`` (one of :data:`CONFIG_KEYS`) from the first of its
    :data:`CONFIG_PATHS` the run's config holds with a value of its :data:`KEY_TYPES` type, or
    ``None`` when the config does not say. (The engine already hides and reports a key of the
    wrong type, see :func:`config_key_types`; this holds when a rule is called directly.)"""
    config = run.config
    kind = KEY_TYPES.get(key)
    for path in CONFIG_PATHS.get(key, (key,)):
        value = config.get(path)
        if value is not None and (kind is None or expected_type(value, kind)):
            return value
    return None


def config_key_types() -> dict[str, type]:
    """Every run-config path the coord rules read, with its type (``coordlint_config_keys``)."""
    return {path: KEY_TYPES[key] for key, paths in CONFIG_PATHS.items() for path in paths}


def summary_columns() -> list[tuple[str, tuple[str, ...], str]]:
    """``coordlint summary``'s coord columns, in the analysis note's order, each with the way
    it is better."""
    return [(column, metric_tags(metric), better) for column, metric, better in SUMMARY_METRICS]
