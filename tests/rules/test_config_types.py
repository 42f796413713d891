"""Run-config values of the wrong type are reported and hidden, never misread (issue 15, item 8).

The coord pack declares the keys it reads and their types (``coordlint_config_keys``); the
engine checks each run's config against them before any rule runs.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import coordlint
from coordlint.core.plugins import load_plugins
from coordlint.errors import PluginError
from coordlint.rules import _coord as m
from coordlint.testing import check, make_run

STEPS = np.arange(40, 401, 40).tolist()


def soft_only_logs() -> dict:
    return {
        "eval/coord_softce_w1/ce": dict.fromkeys(STEPS, 0.0),
        "eval/coord_softce_w1/soft_ce": {s: 3.0 + 1e-3 * s for s in STEPS},
    }


def rebound_logs() -> dict:
    values = [8.0, 6.0, 5.0, 4.2, 4.19, 4.3, 4.6, 4.8, 4.81, 4.8]
    return {"eval/coord_diag/soft_ce": dict(zip(STEPS, values, strict=True))}


def test_a_string_false_is_reported_and_the_rule_falls_back_to_the_logs(write_run):
    run = write_run(soft_only_logs(), config={m.CFG_SOFTCE_ENABLED: "false"})
    found = check(run, ["CL101", "CL901"])
    (bad,) = [f for f in found if f.code == "CL901"]
    assert bad.data["kind"] == "bad-config" and bad.data["file"].endswith("resolved_config.json")
    assert bad.message == (
        "resolved_config.json: config key custom.coord_soft_ce_w1.enabled is 'false' (str), "
        "expected true or false; ignored"
    )
    (mode,) = [f for f in found if f.code == "CL101"]
    assert mode.data == {"mode": "soft_only", "source": "logs"}  # not "pure_ce ... config says"


def test_a_real_false_still_counts(write_run):
    run = write_run(soft_only_logs(), config={m.CFG_SOFTCE_ENABLED: False})
    found = check(run, ["CL101", "CL901"])
    assert [f.code for f in found] == ["CL101"]
    assert found[0].data["config_mode"] == "pure_ce"


@pytest.mark.parametrize("weight", [float("inf"), float("nan"), "0.5", [1], {"a": 1}, True])
def test_non_numeric_weights_do_not_make_cl101_raise(write_run, tmp_path, weight):
    config = {m.CFG_SOFTCE_ENABLED: True, m.CFG_CE_WEIGHT: weight}
    found = check(make_run(soft_only_logs(), config=config), ["CL101", "CL901"])
    assert "CL900" not in [f.code for f in found]
    (bad,) = [f for f in found if f.code == "CL901"]
    assert "coord_soft_ce_w1.ce_weight" in bad.message and "a finite number" in bad.message
    (mode,) = [f for f in found if f.code == "CL101"]
    assert mode.data["mode"] == "soft_only" and "config_mode" not in mode.data


@pytest.mark.parametrize("save_steps", [float("inf"), "100", -float("inf"), 1e-320])
def test_odd_save_steps_do_not_make_cl201_raise(tmp_path, save_steps):
    run_dir = tmp_path / "run"
    coordlint.testing.write_events(run_dir, rebound_logs())
    (run_dir / "resolved_config.json").write_text(
        json.dumps({"resolved": {"training": {"save_steps": save_steps}}})
    )
    found = check(coordlint.testing.load(run_dir), ["CL201"])  # CL900 is always on
    assert [f.code for f in found] == ["CL201"]
    assert "evaluate the checkpoint nearest step 200 with a decode-based metric" in (
        found[0].message
    )


def test_config_value_skips_a_wrong_type_when_a_rule_is_called_directly():
    run = make_run({}, config={m.CFG_SOFTCE_ENABLED: "false", f"custom.{m.CFG_SOFTCE_ENABLED}": 0})
    assert m.config_value(run, m.CFG_SOFTCE_ENABLED) is None
    run = make_run(
        {},
        config={m.CFG_SOFTCE_ENABLED: "false", "custom": {"coord_soft_ce_w1": {"enabled": False}}},
    )
    assert m.config_value(run, m.CFG_SOFTCE_ENABLED) is False


def test_the_pack_declares_every_path_it_reads():
    keys = load_plugins(autoload=False).config_keys
    for key, paths in m.CONFIG_PATHS.items():
        assert {keys[p] for p in paths} == {m.KEY_TYPES[key]}
    assert keys["save_steps"] is float and keys["custom.bbox_format"] is str


def test_plugins_declaring_one_key_with_two_types_is_a_load_error(tmp_path):
    plugin = tmp_path / "typed_keys.py"
    plugin.write_text(
        "import coordlint\n"
        "@coordlint.hookimpl\n"
        "def coordlint_config_keys():\n"
        "    return {'save_steps': int, 'model.name': str}\n"
    )
    with pytest.raises(PluginError, match="'save_steps' is declared float by plugin"):
        load_plugins([str(plugin)], autoload=False)
    plugin.write_text(plugin.read_text().replace("'save_steps': int", "'save_steps': list"))
    with pytest.raises(PluginError, match="types bool, int, float or str"):
        load_plugins([str(plugin)], autoload=False)
