"""Issue 14's honest verdicts: nothing readable fails the gate, a renamed tag is pointed out,
and a report written to a file still tells the terminal."""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from coordlint.cli import cli
from coordlint.testing import load, write_events

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "runs" / "pure_ce_only"
LFS = "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize 40213\n".format("ab" * 32)


def invoke(*args: str, cwd: Path | None = None):
    here = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, ["check", "--isolated", "--no-cache", *args])
    finally:
        os.chdir(here)


UNREADABLE = {
    "a Git LFS pointer": ("events.out.tfevents.1700000000.host", LFS.encode(), "lfs-pointer"),
    "a CSV named like an event file": (
        "events.out.tfevents.1700000000.host",
        b"step,loss\n1,0.5\n2,0.4\n",
        "not-tfrecord",
    ),
    "random bytes": ("events.out.tfevents.1700000000.host", os.urandom(4096), None),
    "garbage logging.jsonl": ("logging.jsonl", b"{oops\nnot json\x00\n", "bad-line"),
}


@pytest.mark.parametrize(("name", "content", "kind"), UNREADABLE.values(), ids=UNREADABLE.keys())
def test_a_run_with_nothing_readable_fails_the_default_gate(tmp_path, name, content, kind):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / name).write_bytes(content)
    result = invoke(str(tmp_path / "run"), "-f", "json")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert doc["runs"][0]["points"] == 0
    found = [f for f in doc["findings"] if f["code"] == "CL901"]
    assert found and all(f["severity"] == "error" for f in found)
    assert all(f["message"].endswith("no scalar point could be read from this run") for f in found)
    if kind is not None:
        assert kind in {f["data"]["kind"] for f in found}


def test_damage_beside_readable_points_stays_a_warning(tmp_path):
    write_events(tmp_path / "run", {"train/loss": {1: 1.0}})
    (tmp_path / "run" / "events.out.tfevents.1.lfs").write_text(LFS)
    doc = json.loads(invoke(str(tmp_path / "run"), "-f", "json").stdout)
    (cl901,) = [f for f in doc["findings"] if f["code"] == "CL901"]
    assert (cl901["severity"], cl901["data"]["kind"]) == ("warning", "lfs-pointer")


def test_a_file_that_is_no_log_exits_2_saying_what_it_is_not(tmp_path):
    notes = tmp_path / "notes.txt"  # (a metrics.csv is a Lightning run: tests/sources)
    notes.write_text("step,loss\n1,0.5\n")
    result = invoke(str(notes))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "is not a TensorBoard event file (no 'tfevents' in its name)" in result.stderr


def test_output_file_with_a_failing_gate_still_says_so_on_stderr(tmp_path):
    write_events(tmp_path / "nan", {"train/loss": {1: 1.0, 2: math.nan}})
    out = tmp_path / "report.xml"
    result = invoke(str(tmp_path / "nan"), "-f", "junit", "-o", str(out))
    assert result.exit_code == 1 and result.stdout == "" and out.is_file()
    (line,) = result.stderr.splitlines()
    assert "1 finding (1 error) in 1 run" in line and "failing" in line
    assert line.endswith(f"Check failed; report in {out}")
    passing = invoke(str(tmp_path / "nan"), "--fail-on", "never", "-o", str(out))
    assert passing.exit_code == 0 and passing.stderr.rstrip().endswith(f"passed; report in {out}")


def test_verbose_lists_what_did_not_apply_and_quiet_only_what_fails(tmp_path):
    write_events(
        tmp_path / "nan", {"train/loss": {1: 1.0, 2: math.nan}, "eval/coord_diag/enabled": {2: 0.0}}
    )
    normal = invoke(str(tmp_path / "nan"))
    assert "CL101 [info]" in normal.stdout and "not applicable]" not in normal.stdout
    verbose = invoke(str(tmp_path / "nan"), "-v")
    skipped = [line for line in verbose.stdout.splitlines() if "[not applicable]" in line]
    assert "nan CL201 [not applicable] run lacks eval/coord_softce_w1/soft_ce, " in verbose.stdout
    counted = re.search(r"(\d+) \(run, rule\) pairs not applicable", verbose.stdout)
    assert counted is not None and len(skipped) == int(counted.group(1))  # as the summary says
    quiet = invoke(str(tmp_path / "nan"), "-q")
    assert quiet.stdout.splitlines()[0].startswith("nan CL902 [error]")
    assert "CL101" not in quiet.stdout and len(quiet.stdout.splitlines()) == 2  # + summary
    assert invoke(str(tmp_path / "nan"), "-q", "-v").exit_code == 2


def renamed_pure_ce(directory: Path) -> None:
    """The pure-CE example with its soft-CE diagnostic logged as ``val/coord_soft_ce``."""
    example = load(EXAMPLE)
    scalars = {t: example.series(t) for t in example.tags}
    scalars["val/coord_soft_ce"] = scalars.pop("eval/coord_diag/soft_ce")
    write_events(directory, scalars)


def test_a_renamed_tag_is_pointed_out_and_an_alias_maps_it(tmp_path):
    renamed_pure_ce(tmp_path / "pure_ce")
    doc = json.loads(invoke(str(tmp_path / "pure_ce"), "-f", "json").stdout)
    codes = {f["code"]: f for f in doc["findings"]}
    assert "CL201" not in codes  # the rebound is lost ...
    cl102 = codes["CL102"]  # ... and said so
    assert cl102["severity"] == "info"
    assert cl102["data"]["pairs"] == "val/coord_soft_ce -> eval/coord_diag/soft_ce"
    assert cl102["data"]["rules"] == "CL201"
    assert cl102["data"]["config"] == "tag-aliases: {eval/coord_diag/soft_ce: [val/coord_soft_ce]}"
    config = tmp_path / "coordlint.yaml"
    config.write_text("tag-aliases: {eval/coord_diag/soft_ce: [val/coord_soft_ce]}\n")
    result = CliRunner().invoke(
        cli, ["check", "--config", str(config), str(tmp_path / "pure_ce"), "-f", "json"]
    )
    codes = {f["code"]: f for f in json.loads(result.stdout)["findings"]}
    assert "CL102" not in codes
    cl201 = codes["CL201"]  # found through the alias, named as logged
    assert cl201["tag"] == "val/coord_soft_ce" and cl201["data"]["tag"] == "val/coord_soft_ce"
    assert cl201["message"].startswith("val/coord_soft_ce bottomed out at 4.19 at step 400")


def test_each_run_of_a_sweep_with_the_same_renamed_tag_gets_its_own_cl102(tmp_path):
    """Runs that log the same tags share one look-alike search; each still gets its finding,
    and a run that logs the tag under its wanted name gets none."""
    for name in ("a", "b"):
        renamed_pure_ce(tmp_path / "sweep" / name)
    example = load(EXAMPLE)
    write_events(tmp_path / "sweep" / "c", {t: example.series(t) for t in example.tags})
    doc = json.loads(invoke(str(tmp_path / "sweep"), "-f", "json").stdout)
    cl102 = {f["run"]: f for f in doc["findings"] if f["code"] == "CL102"}
    assert sorted(cl102) == ["a", "b"]
    assert {f["data"]["pairs"] for f in cl102.values()} == {
        "val/coord_soft_ce -> eval/coord_diag/soft_ce"
    }


def test_no_look_alike_no_cl102(tmp_path):
    write_events(tmp_path / "r", {"train/loss": {1: 1.0}, "eval/accuracy": {1: 0.5}})
    doc = json.loads(invoke(str(tmp_path / "r"), "-f", "json").stdout)
    assert "CL102" not in {f["code"] for f in doc["findings"]}
