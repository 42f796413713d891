"""The team rules, tested with coordlint.testing: real event files, the real engine."""

from __future__ import annotations

import pytest

import coordlint
from coordlint.testing import check, load, make_reference, make_run, write_events
from coordlint_team_rules import (
    eval_loss_above_references,
    final_eval_loss_high,
    loss_ratio_matches_grad_accum,
    lr_never_warmed_up,
)

RULES = [
    final_eval_loss_high,
    loss_ratio_matches_grad_accum,
    lr_never_warmed_up,
    eval_loss_above_references,
]


def run_rules(run, select, **params):
    return check(run, select, rules=RULES, params=params or None)


def test_final_eval_loss_fires_above_the_bar(tmp_path):
    write_events(tmp_path / "r", {"eval/loss": {100: 2.0, 200: 1.4}})
    (finding,) = run_rules(load(tmp_path / "r"), "TM001")
    assert finding.step == 200 and finding.data["final"] == pytest.approx(1.4)
    assert run_rules(load(tmp_path / "r"), "TM001", TM001={"max_loss": 1.5}) == []


def test_loss_ratio_fires_on_a_summed_train_loss(tmp_path):
    evals = {s: 2.0 - s / 1000 for s in range(100, 1001, 100)}
    train = {s: 8 * v * (1.02 if s % 200 else 0.98) for s, v in evals.items()}
    write_events(tmp_path / "r", {"eval/loss": evals, "train/loss": train})
    (finding,) = run_rules(load(tmp_path / "r"), "TM002")
    assert finding.data["factor"] == 8 and finding.data["agreeing"] == 10


def test_loss_ratio_is_quiet_on_an_averaged_train_loss():
    evals = {s: 2.0 for s in range(100, 1001, 100)}
    run = make_run({"eval/loss": evals, "train/loss": {s: 1.9 for s in evals}})
    assert run_rules(run, "TM002") == []


def test_warmup(tmp_path):
    flat = make_run({"train/learning_rate": {s: 2e-5 for s in range(10, 200, 10)}})
    (finding,) = run_rules(flat, "TM003")
    assert finding.data["start"] == pytest.approx(2e-5)
    warmed = make_run(
        {"train/learning_rate": {s: min(1.0, s / 100) * 2e-5 for s in range(10, 200, 10)}}
    )
    assert run_rules(warmed, "TM003") == []


def test_loss_ratio_reads_the_accumulation_factor_from_args_json(tmp_path):
    # ms-swift writes args.json beside the run: the rule compares with the configured factor
    # (16 in the real ms-swift 3.x args.json shape) instead of guessing one from the curves.
    import json

    evals = {s: 2.0 - s / 1000 for s in range(100, 1001, 100)}
    write_events(
        tmp_path / "r", {"eval/loss": evals, "train/loss": {s: 16 * v for s, v in evals.items()}}
    )
    (tmp_path / "r" / "args.json").write_text(json.dumps({"gradient_accumulation_steps": 16}))
    (finding,) = run_rules(load(tmp_path / "r"), "TM002")
    assert finding.data["factor"] == 16 and finding.data["from_config"] is True
    assert "gradient_accumulation_steps is 16" in finding.message
    # A configured factor the curves do not show is not reported.
    (tmp_path / "r" / "args.json").write_text(json.dumps({"gradient_accumulation_steps": 4}))
    assert run_rules(load(tmp_path / "r"), "TM002") == []


def test_eval_loss_above_references(tmp_path):
    # Three reference runs end at 1.00, 1.02 and 1.04 (median 1.02; the bar at 5%: 1.071).
    references = []
    for name, end in (("ref-a", 1.00), ("ref-b", 1.02), ("ref-c", 1.04)):
        write_events(tmp_path / name, {"eval/loss": {100: 2.0, 200: end}})
        references.append(make_reference(load(tmp_path / name)))
    write_events(tmp_path / "worse", {"eval/loss": {100: 2.0, 200: 1.08}})
    write_events(tmp_path / "fine", {"eval/loss": {100: 2.0, 200: 1.07}})
    (finding,) = check(load(tmp_path / "worse"), "TM004", rules=RULES, references=references)
    assert finding.data["bar"] == pytest.approx(1.02 * 1.05)
    assert finding.data["references"] == 3 and "ref-a, ref-b, ref-c" in finding.message
    assert check(load(tmp_path / "fine"), "TM004", rules=RULES, references=references) == []
    # Without references the rule is not applicable (the engine reports why), not silent.
    with pytest.raises(coordlint.NotApplicable, match="no reference runs"):
        list(eval_loss_above_references(load(tmp_path / "worse"), margin=0.05))
