"""CL501 text-token-acc-incomparable: flags runs whose text_token_acc may count coord tokens."""

from __future__ import annotations

import numpy as np
import pytest

from coordlint.rules import _coord as m
from coordlint.testing import check, make_run

STEPS = np.arange(40, 801, 40)
ACC = "eval/text_token_acc"


def series(values, steps=STEPS):
    return dict(zip(steps.tolist(), np.broadcast_to(values, steps.shape).tolist(), strict=True))


def noisy(level, seed):
    return level * (1 + 0.01 * np.random.default_rng(seed).standard_normal(len(STEPS)))


def soft_run(acc=0.85, seed=0):
    return {
        ACC: series(noisy(acc, seed)),
        "eval/coord_softce_w1/soft_ce": series(3.5),
        "eval/coord_diag/enabled": series(1.0),
    }


def pure_run(acc=0.56, seed=1, enabled_tag=True):
    scalars = {ACC: series(noisy(acc, seed)), "eval/coord_diag/soft_ce": series(4.8)}
    if enabled_tag:
        scalars["eval/coord_diag/enabled"] = series(0.0)
    return scalars


def test_fires_on_the_pure_ce_run_only(write_run):
    runs = [
        write_run(soft_run(), "soft"),
        write_run(pure_run(), "pure"),
        write_run(soft_run(0.86, 2), "mixed"),
    ]
    (finding,) = check(runs, "CL501")
    assert finding.run == "pure"
    assert finding.severity.name == "WARNING"
    assert set(finding.data["other_runs"].split(", ")) == {"soft", "mixed"}
    assert 0.5 < finding.data["value"] < 0.62


def test_pure_ce_without_enabled_tag_is_suspect(write_run):
    runs = [write_run(soft_run(), "soft"), write_run(pure_run(enabled_tag=False), "pure")]
    assert [f.run for f in check(runs, "CL501")] == ["pure"]


def test_all_soft_runs_are_comparable(write_run):
    runs = [write_run(soft_run(seed=s), f"r{s}") for s in range(3)]
    assert check(runs, "CL501") == []


def test_all_pure_runs_are_comparable(write_run):
    runs = [write_run(pure_run(seed=s), f"r{s}") for s in range(2)]
    assert check(runs, "CL501") == []


def test_token_types_in_config_make_pure_ce_comparable():
    # The loader does not fill run.config yet: build these runs in memory.
    runs = [
        make_run(soft_run(), "soft"),
        make_run(pure_run(), "pure", config={m.CFG_TOKEN_TYPE_METRICS: True}),
    ]
    assert check(runs, "CL501") == []


def test_config_says_pure_ce():
    runs = [
        make_run({ACC: series(0.85)}, "a", config={m.CFG_SOFTCE_ENABLED: True}),
        make_run({ACC: series(0.55)}, "b", config={m.CFG_SOFTCE_ENABLED: False}),
    ]
    assert [f.run for f in check(runs, "CL501")] == ["b"]


def test_runs_without_evidence_are_not_flagged(write_run):
    runs = [write_run(soft_run(), "soft"), write_run({ACC: series(noisy(0.6, 4))}, "plain")]
    assert check(runs, "CL501") == []


def test_single_run_never_fires(write_run, outcomes):
    run = write_run(pure_run(), "pure")
    assert check(run, "CL501") == []
    assert outcomes(run, "CL501")["pure"].status == "skipped"


def test_missing_tag_is_not_applicable(write_run, outcomes):
    soft = soft_run()
    del soft[ACC]
    runs = [write_run(soft, "soft"), write_run(pure_run(), "pure")]
    result = outcomes(runs, "CL501")
    assert {o.status for o in result.values()} == {"skipped"}


LOGGED = {"eval/text_token_acc": {100: 0.5, 200: 0.5571}}


@pytest.mark.parametrize(
    ("scalars", "config", "why"),
    [
        ({"eval/coord_diag/enabled": {100: 0.0}}, None, "pure CE (eval/coord_diag/enabled is 0)"),
        ({"eval/coord_diag/w1": {100: 1.0}}, None, "pure CE (no coord_softce_w1/* block)"),
        ({}, {"coord_soft_ce_w1.enabled": False}, "pure CE (config) and token types are not"),
    ],
)
def test_the_message_says_why_coord_tokens_may_be_counted(scalars, config, why):
    suspect = make_run({**LOGGED, **scalars}, name="pure", config=config)
    clean = make_run(
        {"eval/text_token_acc": {100: 0.6}, "eval/coord_softce_w1/ce": {100: 1.0}}, name="soft"
    )
    (finding,) = check([suspect, clean], "CL501")
    assert finding.message.startswith(
        f"eval/text_token_acc (0.5571) may count coord tokens here ({why}"
    )
    assert finding.message.endswith(
        ") but excludes them in soft: do not compare it across these runs; compare "
        "eval/token_acc or the coord diagnostics, or enable token_type_metrics"
    )
    assert (finding.run, finding.tag, finding.severity.name) == (
        "pure",
        "eval/text_token_acc",
        "WARNING",
    )
    assert finding.data == {"other_runs": "soft", "value": 0.5571}


@pytest.mark.parametrize(
    ("scalars", "config"),
    [
        ({"eval/coord_diag/enabled": {100: 0.0, 200: 1.0}}, None),  # the last value counts
        ({"train/coord_softce_w1/w1": {100: 1.0}}, None),
        ({}, {"coord_soft_ce_w1.enabled": True}),
        ({"eval/coord_diag/enabled": {100: 0.0}}, {"token_type_metrics.enabled": True}),
    ],
)
def test_evidence_that_coord_tokens_are_excluded(scalars, config):
    run = make_run({**LOGGED, **scalars}, name="this", config=config)
    pure = make_run({**LOGGED, "eval/coord_diag/enabled": {100: 0.0}}, name="pure")
    (finding,) = check([run, pure], "CL501")
    assert finding.run == "pure" and finding.data["other_runs"] == "this"


def test_several_clean_runs_are_listed_and_nan_values_are_skipped():
    soft = {"eval/coord_softce_w1/ce": {100: 1.0}}
    runs = [
        make_run(
            {
                "eval/text_token_acc": {100: 0.4, 200: float("nan")},
                "eval/coord_diag/w1": {100: 1.0},
            },
            name="pure",
        ),
        make_run({**LOGGED, **soft}, name="a"),
        make_run({**LOGGED, **soft}, name="b"),
    ]
    (finding,) = check(runs, "CL501")
    assert finding.data == {"other_runs": "a, b", "value": 0.4}
