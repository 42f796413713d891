"""Issue 14's lineages: a resumed ms-swift run's version directories are one run.

The pure-CE example run is split as ms-swift writes a resume: ``v0-…`` trained to step 1080
(its last checkpoint at 1000), ``v1-…`` resumed from ``checkpoint-1000`` and logged steps
1010-1930 (so 1010-1080 are written twice, with other values). Its soft-CE rebound is only
visible over both parts.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from coordlint.cli import cli
from coordlint.testing import load, write_events

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "runs" / "pure_ce_only"
EXP = Path("output/stage1/pure_ce")
V0, V1 = "v0-20260226-101010", "v1-20260227-090000"


def part(root: Path, name: str, scalars: dict, *, resume: str | None, step: int) -> Path:
    """One ms-swift invocation's output directory: runs/, args.json, one checkpoint."""
    directory = root / EXP / name
    write_events(directory / "runs", scalars)
    args = {"output_dir": f"/data/u/CoordExp/{EXP.as_posix()}/{name}", "save_steps": 200}
    if resume is not ...:
        args["resume_from_checkpoint"] = resume
    (directory / "args.json").write_text(json.dumps(args))
    checkpoint = directory / f"checkpoint-{step}"
    checkpoint.mkdir()
    state = {"global_step": step, "log_history": [{"loss": 1.0, "step": step}]}
    (checkpoint / "trainer_state.json").write_text(json.dumps(state))
    return directory


def split_example(root: Path, resume) -> tuple[Path, Path]:
    example = load(EXAMPLE)
    first = {t: example.series(t).loc[:1080] for t in example.tags}
    second = {t: example.series(t).loc[1001:] for t in example.tags}
    second["train/loss"] = second["train/loss"] + 0.01  # a resume does not replay exactly
    v0 = part(root, V0, first, resume=None, step=1000)
    v1 = part(root, V1, second, resume=resume, step=1800)
    return v0, v1


def check(cwd: Path, *args: str) -> dict:
    here = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, ["check", "--isolated", "--no-cache", "-f", "json", *args])
    finally:
        os.chdir(here)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


RESUMES = {
    "foreign absolute path": f"/data/u/CoordExp/{EXP.as_posix()}/{V0}/checkpoint-1000",
    "relative path": f"{EXP.as_posix()}/{V0}/checkpoint-1000",
    "no resume_from_checkpoint: the steps continue": None,
    "no resume_from_checkpoint key at all": ...,
}


@pytest.mark.parametrize("resume", RESUMES.values(), ids=RESUMES.keys())
def test_a_resumed_run_is_one_lineage(tmp_path, resume):
    v0, v1 = split_example(tmp_path, resume)
    doc = check(tmp_path, str(tmp_path / EXP))
    (run,) = doc["runs"]
    assert run["name"] == EXP.as_posix()
    assert run["path"] == str(tmp_path / EXP)
    files = [Path(f) for f in run["files"]]
    assert [f.parent.parent.name for f in files if "tfevents" in f.name] == [V0, V1]
    assert files.index(v0 / "args.json") < files.index(v1 / "args.json")
    codes = {f["code"]: f for f in doc["findings"]}
    assert codes["CL201"]["data"]["best_step"] == 400  # the rebound spans both parts
    cl903 = codes["CL903"]
    assert cl903["data"] == {"count": 8, "tags": 1}  # train/loss 1010..1080 written again
    # the later part alone, or its checkpoint, is judged on the whole lineage
    assert [r["name"] for r in check(tmp_path, str(v1))["runs"]] == [EXP.as_posix()]
    gated = check(tmp_path, str(v1 / "checkpoint-1800"))
    assert gated["runs"][0]["name"] == f"{EXP.as_posix()}@1800"
    assert "CL201" in {f["code"] for f in gated["findings"]}


def test_a_fresh_run_beside_it_is_its_own_run(tmp_path):
    split_example(tmp_path, None)
    example = load(EXAMPLE)
    fresh = {t: example.series(t).loc[:600] for t in example.tags}
    part(tmp_path, "v2-20260301-080000", fresh, resume=None, step=600)
    names = [r["name"] for r in check(tmp_path, str(tmp_path / EXP))["runs"]]
    assert names == [EXP.as_posix(), f"{EXP.as_posix()}/v2-20260301-080000"]


def test_a_resume_from_elsewhere_is_not_joined(tmp_path):
    split_example(tmp_path, "/data/u/CoordExp/output/stage0/base/v0-20260101-000000/checkpoint-5")
    names = [r["name"] for r in check(tmp_path, str(tmp_path / EXP))["runs"]]
    assert names == [f"{EXP.as_posix()}/{V0}", f"{EXP.as_posix()}/{V1}"]
