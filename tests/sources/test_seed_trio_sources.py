"""Acceptance: the seed trio's curves (examples/make_runs.py) stored in each other source give
the seed trio's findings (tests/test_seed_trio.py), checked one run at a time and together."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from _layouts import (
    csv_table,
    jsonl_long_table,
    lightning_run,
    mlflow_client_run,
    wandb_offline_run,
)
from click.testing import CliRunner

from coordlint.cli import cli

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


def _make_runs():
    spec = importlib.util.spec_from_file_location("make_runs", EXAMPLES / "make_runs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_runs"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


MAKE_RUNS = _make_runs()
NAMES = [spec.name for spec in MAKE_RUNS.SPECS]


def trio_calls() -> dict[str, list[tuple[int, dict[str, float]]]]:
    """Each run's log calls as the event files hold them: (step, {tag: value})."""
    return {
        spec.name: [(abs(step), values) for step, values in MAKE_RUNS.run_logs(spec)[0]]
        for spec in MAKE_RUNS.SPECS
    }


def hf_name(tag: str) -> str:
    """The name HF's Trainer logs before its TensorBoard callback rewrites it (MLflowCallback
    logs these): ``eval/X`` → ``eval_X``, ``train/X`` → ``X``."""
    split, _, rest = tag.partition("/")
    return f"eval_{rest}" if split == "eval" else rest


def lightning_name(tag: str) -> str:
    """A Lightning module's names: ``val/X`` for eval, ``train_X`` for train, ``epoch``."""
    split, _, rest = tag.partition("/")
    if split == "eval":
        return f"val/{rest}"
    return "epoch" if rest == "epoch" else f"train_{rest}"


def renamed(calls, name: Callable[[str], str]):
    return [(step, {name(tag): v for tag, v in values.items()}) for step, values in calls]


def _mlflow(root: Path, name: str, calls) -> Path:
    return mlflow_client_run(root / "mlruns", renamed(calls, hf_name), run_name=name)


def _lightning(root: Path, name: str, calls) -> Path:
    return lightning_run(root / name / "version_0", renamed(calls, lightning_name), {"n": name})


def _wandb(root: Path, name: str, calls) -> Path:
    return wandb_offline_run(root / name, calls, {"name": name}, run_id=name.replace("_", ""))


def _csv(root: Path, name: str, calls) -> Path:
    return csv_table(root / f"{name}.csv", calls)


def _jsonl(root: Path, name: str, calls) -> Path:
    return jsonl_long_table(root / f"{name}.jsonl", renamed(calls, hf_name))


WRITERS = {
    "mlflow": _mlflow,
    "lightning": _lightning,
    "wandb": _wandb,
    "csv": _csv,
    "jsonl": _jsonl,
}


def check(*paths: Path) -> dict:
    args = ["check", *map(str, paths), "-f", "json", "--exit-zero", "--isolated"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def findings(report: dict, names: dict[str, str]) -> dict[str, list[tuple]]:
    """Each run's findings as (code, severity, tag, data) by trio name, sorted."""
    by_path = {r["name"]: names[r["path"]] for r in report["runs"]}
    out: dict[str, list[tuple]] = {n: [] for n in names.values()}
    for f in report["findings"]:
        data = {k: v for k, v in f["data"].items() if k != "other_runs"}
        key = (f["code"], f["severity"], f.get("tag"), json.dumps(data, sort_keys=True))
        out[by_path[f["run"]]].append(key)
    return {n: sorted(v) for n, v in out.items()}


def approx_equal(got: dict[str, list[tuple]], want: dict[str, list[tuple]]) -> None:
    assert {n: [k[:3] for k in v] for n, v in got.items()} == {
        n: [k[:3] for k in v] for n, v in want.items()
    }
    for name in want:
        for g, w in zip(got[name], want[name], strict=True):
            ours, theirs = json.loads(g[3]), json.loads(w[3])
            assert ours.keys() == theirs.keys(), (name, g[0])
            for key, value in theirs.items():
                if isinstance(value, float):
                    assert ours[key] == pytest.approx(value, rel=1e-5), (name, g[0], key)
                else:
                    assert ours[key] == value, (name, g[0], key)


@pytest.fixture(scope="module")
def reference() -> tuple[dict, dict]:
    """The event-file trio's findings, each run alone and the three together."""
    runs = {str(EXAMPLES / "runs" / n): n for n in NAMES}
    if not all(Path(p).is_dir() for p in runs):
        pytest.skip("examples/runs not generated")
    alone: dict[str, list[tuple]] = {}
    for path, name in runs.items():
        alone.update(findings(check(Path(path)), {path: name}))
    together = findings(check(*map(Path, runs)), runs)
    return alone, together


@pytest.fixture(scope="module", params=list(WRITERS))
def stored(request, tmp_path_factory) -> tuple[str, dict[str, str]]:
    """The trio stored in one source: {run path: trio name}."""
    root = tmp_path_factory.mktemp(request.param)
    calls = trio_calls()
    paths = {str(WRITERS[request.param](root, n, calls[n])): n for n in NAMES}
    return request.param, paths


def test_the_trio_in_each_source_gives_the_trios_findings(stored, reference):
    source, paths = stored
    alone, together = reference
    got_alone: dict[str, list[tuple]] = {}
    for path, name in paths.items():
        report = check(Path(path))
        (run,) = report["runs"]
        assert run["source"] == source
        got_alone.update(findings(report, {path: name}))
    approx_equal(got_alone, alone)
    approx_equal(findings(check(*map(Path, paths)), paths), together)
    assert any(k[0] == "CL201" for k in together["pure_ce_only"])  # the trio's rebound
    assert any(k[0] == "CL501" for k in together["pure_ce_only"])


def test_the_trios_points_are_the_event_files_points(stored):
    """Every tag and step of the event files, with their values (float32 there)."""
    from coordlint.testing import load

    source, paths = stored
    for path, name in paths.items():
        run = load(path)
        tb = load(EXAMPLES / "runs" / name)
        assert run.tags == tb.tags, source
        for tag in tb.tags:
            ours, theirs = run.series(tag), tb.series(tag)
            assert ours.index.tolist() == theirs.index.tolist(), (source, tag)
            assert ours.to_numpy() == pytest.approx(theirs.to_numpy(), rel=1e-6), (source, tag)


def test_final_values_alone_give_the_final_value_findings(tmp_path, reference):
    """A W&B run read from wandb-summary.json alone (no record log): the findings that need
    only final values (CL101's mode, CL501) are the trio's; a curve rule says at most, at
    info, that one point cannot tell; CL901 says the curves were not read."""
    from _layouts import wandb_files

    _, together = reference
    paths = {}
    for name, calls in trio_calls().items():
        final = {tag: v for _, values in calls for tag, v in values.items()}
        run_dir = tmp_path / "wandb" / f"run-20260101_000000-{name.replace('_', '')}"
        last = max(step for step, _ in calls)
        wandb_files(run_dir, {}, {**final, "train/global_step": last, "_step": 999})
        paths[str(run_dir)] = name
    got = findings(check(*map(Path, paths)), paths)
    for name in NAMES:
        assert {k[:3] for k in got[name] if k[0] in ("CL101", "CL501")} == {
            k[:3] for k in together[name] if k[0] in ("CL101", "CL501")
        }
        curves = [k for k in got[name] if k[0] in ("CL201", "CL301", "CL302", "CL401")]
        assert all(k[1] == "info" for k in curves), curves  # "cannot tell", never a verdict
        (cl901,) = [k for k in got[name] if k[0] == "CL901"]
        assert json.loads(cl901[3])["kind"] == "summary-only"
