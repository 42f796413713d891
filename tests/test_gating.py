"""Issue 13's acceptance: gate the checkpoint you ship.

An ms-swift output tree is built with real writers from the bundled pure-CE example run (its
soft-CE diagnostic bottoms out at 4.19 at step 400 and ends near 4.8): event files under
``runs/``, ``args.json`` with the training machine's absolute paths, ``checkpoint-N/`` every 200
steps (all kept, or pruned to the last two) with ``trainer_state.json``, ``-merged`` models
beside them, and merged models elsewhere. Checkpoint directories are then checked as a user
would, through the CLI, from the tree's root.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from coordlint.cli import cli
from coordlint.testing import load, write_events

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "runs" / "pure_ce_only"
RUN = Path("output/stage1/pure_ce/v0-20260226-101010")
FOREIGN = "/data/home/u/CoordExp"  # where the run was trained
SOFT_CE = "eval/coord_diag/soft_ce"
ALL_KEPT = tuple(range(200, 1801, 200))


def args_json(run: Path, **extra) -> dict:
    """An ms-swift args.json as the training machine wrote it."""
    return {
        "output_dir": f"{FOREIGN}/{run.as_posix()}",
        "logging_dir": f"{FOREIGN}/{run.as_posix()}/runs",
        "eval_steps": 40,
        "save_steps": 200,
        "logging_steps": 10,
        "save_total_limit": None,
        "load_best_model_at_end": False,
        "resume_from_checkpoint": None,
        "add_version": True,
        **extra,
    }


def model_dir(path: Path, args: dict | None, *, adapter: bool = False) -> Path:
    """A saved model: a LoRA checkpoint (adapter files) or a merged one (config + weights)."""
    path.mkdir(parents=True)
    if adapter:
        (path / "adapter_config.json").write_text(json.dumps({"r": 8, "peft_type": "LORA"}))
        (path / "adapter_model.safetensors").write_bytes(b"\0" * 64)
    else:
        (path / "config.json").write_text(json.dumps({"model_type": "qwen2_5_vl"}))
        (path / "model.safetensors").write_bytes(b"\0" * 64)
    if args is not None:
        (path / "args.json").write_text(json.dumps(args))
    return path


def build_tree(
    root: Path,
    *,
    kept=ALL_KEPT,
    merged=(400, 1800),
    nan_at: int | None = None,
    state_steps: dict[int, int] | None = None,
) -> Path:
    """The pure-CE run as ms-swift leaves it; returns its version directory."""
    example = load(EXAMPLE)
    scalars = {tag: example.series(tag) for tag in example.tags}
    if nan_at is not None:
        scalars["train/loss"].loc[nan_at] = math.nan
    run = root / RUN
    write_events(run / "runs", scalars)
    args = args_json(RUN, save_total_limit=2 if len(kept) == 2 else None)
    (run / "args.json").write_text(json.dumps(args))
    loss = scalars["train/loss"]
    for step in kept:
        checkpoint = model_dir(run / f"checkpoint-{step}", args, adapter=True)
        history = [{"loss": float(v), "step": int(s)} for s, v in loss.items() if s <= step]
        state = {"global_step": (state_steps or {}).get(step, step), "log_history": history}
        (checkpoint / "trainer_state.json").write_text(json.dumps(state))
    for step in merged:
        model_dir(run / f"checkpoint-{step}-merged", args)  # swift export copies args.json
    return run


def check(cwd: Path, *args: str):
    """``coordlint check`` run from ``cwd`` (no config, no git: the project root)."""
    here = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, ["check", "--isolated", "--no-cache", *args])
    finally:
        os.chdir(here)


def report(result) -> dict:
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def by_code(doc: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for finding in doc["findings"]:
        out.setdefault(finding["code"], []).append(finding)
    return out


def one_line_error(result) -> str:
    """An error path: exit 2, one line on stderr, no traceback."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    return result.stderr


@pytest.fixture
def tree(tmp_path) -> Path:
    build_tree(tmp_path)
    return tmp_path


def test_checkpoint_400_merged_is_judged_as_of_step_400(tree):
    doc = report(check(tree, str(RUN / "checkpoint-400-merged"), "-f", "json"))
    (run,) = doc["runs"]
    assert run["name"] == f"{RUN.as_posix()}@400"
    assert run["checkpoint"] == {
        "path": str(tree / RUN / "checkpoint-400-merged"),
        "step": 400,
        "step_source": "name",
        "merged": True,
    }
    codes = by_code(doc)
    assert "CL201" not in codes and "CL204" not in codes  # the best checkpoint: nothing to say
    assert not {"CL904", "CL905", "CL304"} & set(codes)
    whole = report(check(tree, str(RUN), "-f", "json"))["runs"][0]
    assert run["points"] < whole["points"] and whole["checkpoint"] is None
    # every other rule judges it exactly as it judges the run's logs cut at step 400
    example = load(EXAMPLE)
    cut = {
        t: example.series(t).loc[:400] for t in example.tags if example.series(t).index[0] <= 400
    }
    write_events(tree / "cut" / "runs", cut)
    (tree / "cut" / "args.json").write_text((tree / RUN / "args.json").read_text())
    (tree / "cut" / "logging.jsonl").write_text("")
    as_cut = report(check(tree, "cut", "-f", "json"))
    assert as_cut["runs"][0]["tags"] == run["tags"] and as_cut["runs"][0]["points"] == run["points"]

    def verdicts(d: dict) -> list:
        skip = {"CL204", "CL304", "CL901", "CL904", "CL905"}  # checkpoint-only, and the empty log
        return sorted(
            (f["code"], f["tag"] or "", f["step"] or 0, json.dumps(f["data"], sort_keys=True))
            for f in d["findings"]
            if f["code"] not in skip
        )

    assert verdicts(doc) == verdicts(as_cut) and verdicts(doc)


def test_checkpoint_1800_merged_fails_naming_checkpoint_400(tree):
    result = check(tree, str(RUN / "checkpoint-1800-merged"), "--fail-on", "warning", "-f", "json")
    assert result.exit_code == 1
    codes = by_code(report(result))
    (cl201,) = codes["CL201"]
    assert cl201["data"]["checkpoint"] == "checkpoint-400" and cl201["data"]["best_step"] == 400
    (cl204,) = codes["CL204"]
    assert cl204["data"]["better"] == "checkpoint-400" and cl204["data"]["better_step"] == 400
    assert cl204["data"]["step"] == 1800
    assert cl204["data"]["better_value"] == pytest.approx(4.19, abs=1e-4)
    assert cl204["data"]["value"] == pytest.approx(4.7863, abs=1e-3)
    assert "evaluate checkpoint-400" in cl204["message"]
    text = check(tree, str(RUN / "checkpoint-1800-merged"), "--fail-on", "warning")
    assert text.exit_code == 1
    assert f"{RUN.as_posix()}@1800 CL204 [warning]" in text.stdout


def test_only_the_last_two_kept_names_no_far_checkpoint(tmp_path):
    build_tree(tmp_path, kept=(1600, 1800), merged=(1800,))
    result = check(tmp_path, str(RUN / "checkpoint-1800-merged"), "--fail-on", "warning")
    assert result.exit_code == 1
    assert "checkpoint-1600" not in result.stdout  # never recommended: it is in the risen part
    doc = report(check(tmp_path, str(RUN / "checkpoint-1800-merged"), "-f", "json"))
    codes = by_code(doc)
    (cl201,) = codes["CL201"]
    assert "checkpoint" not in cl201["data"]
    assert (
        "no checkpoint within one save interval (save_steps=200) of step 400" in (cl201["message"])
    )
    (cl204,) = codes["CL204"]
    assert cl204["data"]["best_step"] == 400 and "better" not in cl204["data"]
    assert "save_total_limit=2 kept only the last 2" in cl204["message"]
    assert "load_best_model_at_end" in cl204["message"]


def test_a_nan_after_the_checkpoint_is_not_its_problem(tmp_path):
    build_tree(tmp_path, nan_at=1500)
    before = by_code(report(check(tmp_path, str(RUN / "checkpoint-1400"), "-f", "json")))
    assert "CL902" not in before
    after = by_code(report(check(tmp_path, str(RUN / "checkpoint-1600"), "-f", "json")))
    (cl902,) = after["CL902"]
    assert (cl902["tag"], cl902["step"]) == ("train/loss", 1500)


def test_a_checkpoint_directory_is_not_merged_and_its_state_agrees(tree):
    doc = report(check(tree, str(RUN / "checkpoint-1800"), "-f", "json"))
    (run,) = doc["runs"]
    assert run["checkpoint"]["merged"] is False and run["checkpoint"]["step"] == 1800
    assert "CL905" not in by_code(doc)


def test_merged_elsewhere_finds_its_run_through_a_foreign_absolute_output_dir(tree):
    elsewhere = tree / "output" / "stage2_ab" / "experimental" / "ab_mixed_ckpt_400"
    model_dir(elsewhere, args_json(RUN))
    for cwd in (
        tree,
        tree / "output" / "stage2_ab",
    ):  # found from the cwd or the checkpoint's parents
        doc = report(check(cwd, str(elsewhere), "-f", "json"))
        (run,) = doc["runs"]
        assert run["name"].endswith("pure_ce/v0-20260226-101010@400")
        assert run["checkpoint"]["step_source"] == "name" and run["checkpoint"]["merged"]
        assert run["path"] == str(tree / RUN)
        codes = by_code(doc)
        assert "CL201" not in codes and "CL204" not in codes and "CL905" not in codes


def test_merged_without_args_json_needs_logs(tree):
    merged = model_dir(tree / "shipped" / "ck1800", None)
    stderr = one_line_error(check(tree, str(merged)))
    assert "cannot find the logs of checkpoint" in stderr and "--logs PATH" in stderr
    doc = report(check(tree, str(merged), "--logs", str(RUN), "-f", "json"))
    (run,) = doc["runs"]
    assert run["name"] == f"{RUN.as_posix()}@1800"
    (cl204,) = by_code(doc)["CL204"]
    assert cl204["data"]["better"] == "checkpoint-400"  # kept beside the logs


def test_config_checkpoints_entry_gives_logs_and_step(tree):
    merged = model_dir(tree / "merged" / "final", None)
    (tree / "coordlint.yaml").write_text(
        f"checkpoints:\n  - {{path: 'merged/*', logs: '{RUN.as_posix()}', step: 1800}}\n"
    )
    result = CliRunner().invoke(
        cli, ["check", "--config", str(tree / "coordlint.yaml"), str(merged), "-f", "json"]
    )
    (run,) = report(result)["runs"]
    assert run["checkpoint"]["step"] == 1800 and run["checkpoint"]["step_source"] == "config"


def test_real_swift_args_json_read_in_place(tmp_path, shared):
    real = shared / "reallogs" / "ms-swift-3x"
    output_dir = json.loads((real / "args.json").read_text())["output_dir"]
    logs = tmp_path / Path(output_dir).parent.name / Path(output_dir).name  # …/v0-20260124-040114
    logs.mkdir(parents=True)
    for name in ("logging.jsonl", "args.json"):
        (logs / name).symlink_to(real / name)
    merged = model_dir(tmp_path / "merged" / "qwen3_8b_ckpt_400", None)
    (merged / "args.json").symlink_to(real / "args.json")
    doc = report(check(tmp_path, str(merged), "-f", "json"))
    (run,) = doc["runs"]
    assert run["name"] == "finetune_outputs_r1_0528_qwen3_8b/v0-20260124-040114@400"
    assert run["checkpoint"]["step"] == 400 and run["checkpoint"]["merged"] is True
    codes = by_code(doc)
    assert not {"CL904", "CL905", "CL903"} & set(codes)  # evals every 100 steps, up to 400


def test_step_mismatch_and_another_run_are_cl905(tree):
    run = tree / RUN
    state = run / "checkpoint-1800" / "trainer_state.json"
    state.write_text(json.dumps({"global_step": 1600, "log_history": []}))
    (cl905,) = by_code(report(check(tree, str(run / "checkpoint-1800"), "-f", "json")))["CL905"]
    assert cl905["data"] == {"name_step": 1800, "state_step": 1600}
    other = model_dir(
        run / "other-ckpt-400", args_json(Path("output/stage1/soft_ce/v3-20260301-000000"))
    )
    result = check(tree, str(other), "-f", "json")
    assert result.exit_code == 1
    (cl905,) = by_code(report(result))["CL905"]
    assert cl905["data"]["checkpoint_run"].endswith("soft_ce/v3-20260301-000000")
    assert cl905["severity"] == "error"


@pytest.mark.parametrize(
    ("step", "why"),
    [(2400, "past the last logged step (1932)"), (1931, None)],
)
def test_checkpoint_beyond_logs_is_cl904(tree, step, why):
    doc = report(check(tree, str(RUN), "--step", str(step), "-f", "json"))
    (run,) = doc["runs"]
    assert run["name"] == f"{RUN.as_posix()}@{step}"
    assert run["checkpoint"] == {
        "path": str(RUN),
        "step": step,
        "step_source": "--step",
        "merged": False,
    }
    found = by_code(doc).get("CL904", [])
    assert [why in f["message"] for f in found] == ([True] if why else [])


def test_no_eval_shortly_before_the_checkpoint_is_cl904(tmp_path):
    evals = {s: 4.0 for s in range(40, 1001, 40)}
    write_events(
        tmp_path / "r", {SOFT_CE: evals, "train/loss": {s: 1.0 for s in range(10, 2000, 10)}}
    )
    (tmp_path / "r" / "resolved_config.json").write_text(
        json.dumps({"resolved": {"training": {"eval_steps": 40}}})
    )
    near = by_code(report(check(tmp_path, "r", "--step", "1080", "-f", "json")))
    assert "CL904" not in near  # the last eval (1000) is 2 eval intervals before it
    far = by_code(report(check(tmp_path, "r", "--step", "1081", "-f", "json")))
    (cl904,) = far["CL904"]
    assert cl904["data"]["last_eval"] == 1000 and cl904["data"]["eval_steps"] == 40


def test_checkpoint_before_confinement_is_cl304(tree):
    early = by_code(report(check(tree, str(RUN), "--step", "40", "-f", "json")))
    (cl304,) = early["CL304"]
    assert cl304["data"]["eval_step"] == 40 and cl304["data"]["value"] < 0.99
    assert "CL304" not in by_code(report(check(tree, str(RUN), "--step", "400", "-f", "json")))


def test_checkpoint_rules_are_not_applicable_to_a_plain_run(tree):
    result = check(tree, str(RUN), "-f", "junit")
    assert result.exit_code == 0
    assert result.stdout.count("not a checkpoint") == 4  # CL204, CL304, CL904, CL905


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda t: model_dir(t / "merged" / "final_model", args_json(RUN)), "pass --step N"),
        (lambda t: t / "nope", "path does not exist"),
    ],
)
def test_every_checkpoint_error_is_one_line(tree, make, message):
    assert message in one_line_error(check(tree, str(make(tree))))


def test_logs_that_do_not_exist_or_hold_several_runs(tree):
    merged = model_dir(tree / "shipped" / "ck1800", None)
    assert "--logs" in one_line_error(check(tree, str(merged), "--logs", "nowhere"))
    write_events(tree / "tb" / "a", {"x": {1: 1.0}})
    write_events(tree / "tb" / "b", {"x": {1: 1.0}})
    assert "holds 2 runs" in one_line_error(check(tree, str(merged), "--logs", "tb"))


def summary(cwd: Path, *args: str):
    here = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, ["summary", "--isolated", *args])
    finally:
        os.chdir(here)


def test_summary_checkpoints_marks_the_best_in_every_format(tree):
    result = summary(tree, str(RUN), "--checkpoints", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {r["checkpoint"]: r for r in json.loads(result.stdout)}
    expected = [f"checkpoint-{s}" for s in ALL_KEPT] + ["checkpoint-400-merged"]
    assert sorted(rows) == sorted([*expected, "checkpoint-1800-merged"])
    best = rows["checkpoint-400"]
    assert best["step"] == 400 and best["merged"] is False
    assert best["values"]["eval_coord_soft_ce"] == pytest.approx(4.19, abs=1e-4)
    assert (
        "eval_coord_soft_ce" in best["best"]
        and "eval_coord_soft_ce" in (rows["checkpoint-400-merged"]["best"])
    )
    assert all("eval_coord_soft_ce" not in r["best"] for r in rows.values() if r["step"] != 400)
    assert rows["checkpoint-1800"]["values"]["eval_coord_ce"] is None  # no such metric: null
    markdown = summary(tree, str(RUN), "--checkpoints", "--format", "markdown").stdout
    line = next(x for x in markdown.splitlines() if x.startswith("| checkpoint-400 |"))
    assert "| 400 | NA | 4.1900* |" in line
    assert markdown.rstrip().endswith("* the best value of its column among the run's checkpoints")
    text = summary(tree, str(RUN), "--checkpoints").stdout.splitlines()
    assert text[0].split()[:4] == ["checkpoint", "run", "step", "eval_coord_ce"]
    assert text[1].split()[0] == "checkpoint-200" and "4.1900*" in text[2]
    csv = summary(tree, str(RUN), "--checkpoints", "--format", "csv").stdout.splitlines()
    assert csv[0].endswith(",best") and csv[2].startswith("checkpoint-400,")
    assert "eval_coord_soft_ce" in csv[2].rsplit(",", 1)[1].split(";")


def test_summary_checkpoints_without_any_says_so(tmp_path):
    write_events(tmp_path / "r", {SOFT_CE: {40: 1.0}})
    result = summary(tmp_path, "r", "--checkpoints")
    assert result.exit_code == 0 and result.stdout == ""
    assert "no kept checkpoint-N directory beside the logs of r" in result.stderr


def test_a_logdir_with_a_config_json_is_still_a_logdir(tmp_path):
    write_events(tmp_path / "exp" / "train", {"train/loss": {1: 1.0}})
    (tmp_path / "exp" / "config.json").write_text("{}")
    doc = report(check(tmp_path, "exp", "-f", "json"))
    assert [r["name"] for r in doc["runs"]] == ["exp/train"]
    assert doc["runs"][0]["checkpoint"] is None


def test_logs_given_for_no_checkpoint_is_an_error(tree):
    assert "no RUN is one" in one_line_error(check(tree, str(RUN), "--logs", str(RUN)))


def test_bad_checkpoints_entries_name_the_key(tmp_path):
    config = tmp_path / "coordlint.yaml"
    write_events(tmp_path / "r", {"x": {1: 1.0}})
    for entry, says in (
        ("[{path: 'a/*'}]", "entry 0 needs a 'logs' string"),
        ("[{path: 'a/*', logs: b, steps: 3}]", "unknown field 'steps'"),
        ("[{path: 'a/*', logs: b, step: -1}]", "step must be a whole number"),
    ):
        config.write_text(f"checkpoints: {entry}\n")
        result = CliRunner().invoke(cli, ["check", "--config", str(config), str(tmp_path / "r")])
        assert says in one_line_error(result) and "coordlint.yaml:1: checkpoints" in result.stderr


def test_the_python_api_gates_too(tree):
    import coordlint as api

    here = Path.cwd()
    os.chdir(tree)
    try:
        report_ = api.check(str(RUN / "checkpoint-1800-merged"), isolated=True)
        (run,) = api.load(str(RUN), step=400)
    finally:
        os.chdir(here)
    assert report_.runs[0].name == f"{RUN.as_posix()}@1800"
    assert "CL204" in {f.code for f in report_.findings}
    assert run.checkpoint is not None and run.checkpoint.step_source == "--step"
    assert run.series(SOFT_CE).index[-1] == 400
