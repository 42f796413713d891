"""The GitHub Action (action.yml) and the CI examples: run as a runner runs them, and linted.

:class:`Runner` does what GitHub's runner does with a composite action, for the parts this
action uses: it reads ``action.yml``, fills the inputs from a workflow's ``with:`` (defaults
for the rest), evaluates each step's ``if:`` and ``${{ }}`` expressions (``inputs.*``,
``steps.<id>.outputs.*``, ``always()``, ``==``, ``!=``, ``&&``; anything else fails the test),
and runs each ``run:`` script as ``shell: bash`` does (``bash --noprofile --norc -eo pipefail``)
with the environment a runner sets: ``GITHUB_ACTION_PATH`` (a copy of this repository, as the
runner checks the action out), ``GITHUB_WORKSPACE``, ``GITHUB_OUTPUT`` (read back as the step's
outputs), ``GITHUB_STEP_SUMMARY``, ``RUNNER_TEMP``, ``GITHUB_ACTIONS`` and the step's ``env:``
(the action maps every input to an ``INPUT_*`` variable there). ``uses:`` steps are not run:
``actions/setup-python`` is the test's Python, and ``actions/upload-artifact``'s ``path`` is
checked to hold the reports.

The install step runs for real: ``pip install "$GITHUB_ACTION_PATH[remote]"`` into a fresh
virtual environment that sees this one's packages (a ``.pth`` file) with ``PIP_NO_INDEX=1``, so
pip builds coordlint from the copy and installs it without the network, and the check steps
run that installed ``coordlint``.

``action.yml`` and the example workflows are validated against the published JSON schemas
(SchemaStore's github-action and github-workflow schemas, Apache-2.0; GitLab's CI schema, MIT)
as vendored by check-jsonschema (a test dependency), offline.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
ACTION = REPO / "action.yml"
CI = REPO / "examples" / "ci"
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}")


@dataclass
class Step:
    name: str
    ran: bool
    returncode: int = 0
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    uses: str = ""
    with_: dict[str, str] = field(default_factory=dict)


class Runner:
    """Runs action.yml's steps with ``inputs`` (see the module docstring)."""

    def __init__(self, action_path: Path, workspace: Path, python_bin: Path, inputs: dict):
        self.action = yaml.safe_load(ACTION.read_text())
        declared = self.action["inputs"]
        unknown = set(inputs) - set(declared)
        assert not unknown, f"the action has no input {unknown}"
        self.inputs = {name: str(spec.get("default", "")) for name, spec in declared.items()}
        self.inputs.update({k: str(v) for k, v in inputs.items()})
        missing = [n for n, s in declared.items() if s.get("required") and not self.inputs[n]]
        assert not missing, f"required inputs missing: {missing}"
        self.workspace = workspace
        temp = workspace.parent / "runner-temp"
        temp.mkdir(exist_ok=True)
        self.summary = workspace.parent / "step-summary.md"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_"))},
            "PATH": f"{python_bin}{os.pathsep}{os.environ['PATH']}",
            "GITHUB_ACTIONS": "true",
            "GITHUB_ACTION_PATH": str(action_path),
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "RUNNER_TEMP": str(temp),
            # the runner's pip reaches the index; this one builds coordlint from the copy and
            # takes its dependencies from the test environment, offline
            "PIP_NO_INDEX": "1",
            "PIP_NO_BUILD_ISOLATION": "0",  # pip's spelling of --no-build-isolation
            "COORDLINT_DISABLE_PLUGIN_AUTOLOAD": "1",
        }
        self.steps: dict[str, Step] = {}
        self.failed = False

    def value(self, expression: str) -> str | bool:
        """A ``${{ }}`` expression of the kinds the action uses."""
        python = re.sub(r"\binputs\.([\w-]+)", lambda m: repr(self.inputs[m.group(1)]), expression)
        python = re.sub(
            r"\bsteps\.([\w-]+)\.outputs\.([\w-]+)",
            lambda m: repr(self.steps.get(m.group(1), Step("", False)).outputs.get(m.group(2), "")),
            python,
        )
        python = python.replace("always()", "True").replace("&&", " and ").replace("||", " or ")
        leftover = re.sub(r"'[^']*'|\"[^\"]*\"|\b(and|or|True|not)\b|==|!=|[\s()]", "", python)
        assert not leftover, f"unsupported expression: {expression!r}"
        return eval(python, {"__builtins__": {}})  # only literals and operators are left

    def expand(self, text: str) -> str:
        return EXPRESSION.sub(lambda m: str(self.value(m.group(1))), str(text))

    def run(self) -> dict[str, Step]:
        for index, spec in enumerate(self.action["runs"]["steps"]):
            name = spec.get("name", f"step {index}")
            step_id = spec.get("id", f"__{index}")
            condition = spec.get("if", "success()")
            if "always()" in condition:
                go = bool(self.value(condition))
            else:
                go = not self.failed and bool(self.value(condition.replace("success()", "True")))
            if not go:
                self.steps[step_id] = Step(name, False)
                continue
            if "uses" in spec:
                with_ = {k: self.expand(v) for k, v in spec.get("with", {}).items()}
                self.steps[step_id] = Step(name, True, uses=spec["uses"], with_=with_)
                continue
            self.steps[step_id] = step = self._script(name, spec)
            self.failed = self.failed or step.returncode != 0
        return self.steps

    def _script(self, name: str, spec: dict) -> Step:
        assert spec["shell"] == "bash"
        assert "${{" not in spec["run"], "inputs reach scripts through env:, never spliced"
        output = self.workspace.parent / f"github-output-{len(self.steps)}"
        output.write_text("")
        env = {**self.env, "GITHUB_OUTPUT": str(output)}
        env.update({k: self.expand(v) for k, v in spec.get("env", {}).items()})
        script = self.workspace.parent / f"step-{len(self.steps)}.sh"
        script.write_text(spec["run"])
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        outputs = dict(
            line.split("=", 1) for line in output.read_text().splitlines() if "=" in line
        )
        return Step(name, True, done.returncode, done.stdout, done.stderr, outputs)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path, Step]:
    """The action's install step, run for real into a fresh environment: (the action's
    checkout, the environment's bin directory, the step)."""
    root = tmp_path_factory.mktemp("action")
    action_path = root / "coordlint"
    shutil.copytree(
        REPO,
        action_path,
        symlinks=True,
        ignore=shutil.ignore_patterns(".git", "*.egg-info", "__pycache__", "build", ".*cache"),
    )
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    purelib = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(purelib) / "_test_environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    workspace = root / "workspace"
    workspace.mkdir()
    runner = Runner(action_path, workspace, venv / "bin", {"paths": "x", "extras": "remote"})
    spec = next(s for s in runner.action["runs"]["steps"] if s["name"].startswith("Install"))
    step = runner._script(spec["name"], spec)
    return action_path, venv / "bin", step


def test_the_install_step_installs_coordlint_from_the_actions_checkout(installed):
    action_path, bin_dir, step = installed
    assert step.returncode == 0, step.stderr
    assert step.stdout.strip().startswith("coordlint, version ")
    where = subprocess.run(  # from the action's parent: no coordlint in the current directory
        [str(bin_dir / "python"), "-c", "import coordlint.rules, s3fs; print(coordlint.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=action_path.parent,
    ).stdout
    assert where.startswith(str(bin_dir.parent))  # installed here, not the test's editable copy
    assert (bin_dir / "coordlint").is_file()


def _run(installed, tmp_path: Path, inputs: dict, runs: Path | None = None) -> Runner:
    action_path, bin_dir, install = installed
    assert install.returncode == 0, install.stderr
    workspace = tmp_path / "workspace"
    shutil.copytree(runs or REPO / "examples" / "runs", workspace / "runs")
    runner = Runner(action_path, workspace, bin_dir, inputs)
    runner.action["runs"]["steps"] = [
        s for s in runner.action["runs"]["steps"] if not s.get("name", "").startswith("Install")
    ]  # installed once for the module (the fixture ran that very step)
    runner.run()
    return runner


def _workflow_step() -> dict:
    """The action step of examples/ci/github-actions.yml: its inputs are what we pass."""
    workflow = yaml.safe_load((CI / "github-actions.yml").read_text())
    steps = workflow["jobs"]["coordlint"]["steps"]
    (step,) = [s for s in steps if s.get("uses") == "./.coordlint"]
    return step


def test_the_example_workflows_inputs_fail_on_a_warning_and_report_everything(installed, tmp_path):
    inputs = _workflow_step()["with"]
    assert inputs == {"paths": "runs/*", "fail-on": "warning"}
    runner = _run(installed, tmp_path, inputs)
    steps = runner.steps
    check = steps["check"]
    assert check.ran and check.returncode == 0, check.stderr
    assert check.outputs["exit-code"] == "1"  # CL101/CL201/CL501 are warnings: the gate fails
    annotations = [line for line in check.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == 8 and sum(a.startswith("::warning ") for a in annotations) == 3
    assert "| runs/pure\\_ce\\_only |" in runner.summary.read_text()  # the job summary
    report_dir = Path(check.outputs["report-dir"])
    upload = next(s for s in steps.values() if s.uses.startswith("actions/upload-artifact@"))
    assert upload.ran and upload.with_["name"] == "coordlint-report"  # also after a failure
    assert Path(upload.with_["path"]) == report_dir
    assert sorted(p.name for p in report_dir.iterdir()) == [
        "coordlint-report.html",
        "coordlint.json",
        "coordlint.xml",
    ]
    assert len(json.loads((report_dir / "coordlint.json").read_text())["findings"]) == 8
    suite = ET.parse(report_dir / "coordlint.xml").getroot()
    assert sum(1 for _ in suite.iter("failure")) == 3
    assert "Check passed with 3 warnings" not in (report_dir / "coordlint-report.html").read_text()
    final = next(s for s in steps.values() if s.name == "Fail when the check failed")
    assert final.ran and final.returncode == 1  # the step fails with coordlint's exit code
    setup = next(s for s in steps.values() if s.uses.startswith("actions/setup-python@"))
    assert setup.ran and setup.with_ == {"python-version": "3.12"}


def test_select_and_ignore_pass_and_no_upload(installed, tmp_path):
    inputs = {"paths": "runs/pure_ce_only runs/soft_ce_only", "select": "CL2, CL5"}
    inputs |= {
        "ignore": "CL503",
        "upload-report": "false",
        "python-version": "",
        "args": "--jobs 2 -v",
    }
    runner = _run(installed, tmp_path, inputs)
    check = runner.steps["check"]
    assert check.outputs["exit-code"] == "0", check.stdout + check.stderr
    codes = re.findall(r"title=(CL\d+)", check.stdout)
    assert sorted(codes) == ["CL201", "CL501"]  # CL503 ignored, CL101 not selected
    assert not any(
        s.uses.startswith("actions/setup-python@") and s.ran for s in runner.steps.values()
    )
    assert not any(
        s.uses.startswith("actions/upload-artifact@") and s.ran for s in runner.steps.values()
    )
    assert next(s for s in runner.steps.values() if s.name.startswith("Fail when")).returncode == 0


def test_a_bad_input_is_exit_2_with_one_line(installed, tmp_path):
    runner = _run(installed, tmp_path, {"paths": "runs/*", "fail-on": "warn"})
    check = runner.steps["check"]
    assert check.outputs["exit-code"] == "2"
    assert "coordlint: error: invalid value for '--fail-on': 'warn'" in check.stderr
    assert next(s for s in runner.steps.values() if s.name.startswith("Fail when")).returncode == 2


def test_reference_lines_become_reference_options(installed, tmp_path):
    """Each line is one --reference (reference runs come with CL60x; without them, coordlint
    rejects the option, which still shows what the action passed)."""
    inputs = {"paths": "runs/*", "reference": "refs/a.json\n\n  refs/b run.json  \n"}
    runner = _run(installed, tmp_path, inputs)
    check = runner.steps["check"]
    assert check.outputs["exit-code"] == "2"  # no such option yet, or no such reference file
    assert "--reference" in check.stderr or "refs/a.json" in check.stderr


@pytest.fixture(scope="module")
def bucket():
    """The example runs in an S3 bucket on a moto server on loopback (moto keeps its buckets
    per process: one server and bucket for the module)."""
    pytest.importorskip("s3fs")
    server_mod = pytest.importorskip("moto.server")
    import fsspec

    mp = pytest.MonkeyPatch()
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        mp.setenv(key, "testing")
    mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
    mp.delenv("AWS_PROFILE", raising=False)
    mp.delenv("AWS_ENDPOINT_URL", raising=False)
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    fs = fsspec.filesystem("s3", endpoint_url=endpoint, skip_instance_cache=True)
    fs.mkdir("team-runs")
    examples = REPO / "examples" / "runs"
    for path in sorted(examples.rglob("*")):
        if path.is_file():
            fs.put_file(str(path), f"team-runs/stage1/{path.relative_to(examples)}")
    yield endpoint
    server.stop()
    mp.undo()


def test_a_bucket_logdir_with_storage_options(installed, tmp_path, bucket):
    inputs = {"paths": "s3://team-runs/stage1", "storage-options": f"endpoint_url={bucket}"}
    inputs |= {"extras": "remote", "fail-on": "error"}
    runner = _run(installed, tmp_path, inputs)
    check = runner.steps["check"]
    assert check.outputs["exit-code"] == "0", check.stderr
    report = json.loads((Path(check.outputs["report-dir"]) / "coordlint.json").read_text())
    assert [r["path"] for r in report["runs"]] == [
        "s3://team-runs/stage1/pure_ce_only",
        "s3://team-runs/stage1/soft_ce_hard_ce_mixed",
        "s3://team-runs/stage1/soft_ce_only",
    ]
    assert len(report["findings"]) == 8


def test_the_gitlab_examples_check_runs_as_written(tmp_path, bucket, monkeypatch):
    """examples/ci/gitlab-ci.yml's script against its bucket logdir (endpoint from the
    environment, as the example says for an S3-compatible store)."""
    job = yaml.safe_load((CI / "gitlab-ci.yml").read_text())["coordlint"]
    assert job["before_script"] == [
        'pip install "coordlint[remote] @ git+${COORDLINT_GIT}@${COORDLINT_REF}"'
    ]
    env = {**os.environ, **job["variables"], "AWS_ENDPOINT_URL": bucket, "NO_COLOR": "1"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    for line in job["script"]:
        done = subprocess.run(
            ["bash", "-c", line], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        # --fail-on warning: the examples' warnings (CL101, CL201, CL501) fail the job ...
        assert done.returncode == 1, done.stderr
        assert "3 at or above warning: failing" in done.stdout  # the text summary
    for kind, name in job["artifacts"]["reports"].items():
        assert (tmp_path / name).is_file(), kind
    quality = json.loads((tmp_path / "gl-code-quality.json").read_text())
    assert len(quality) == 8
    assert (tmp_path / job["artifacts"]["paths"][0]).read_text().startswith("<!DOCTYPE html>")
    assert job["artifacts"]["when"] == "always"  # ... and the reports are kept


@pytest.mark.parametrize(
    ("schema", "path"),
    [
        ("vendor.github-actions", ACTION),
        ("vendor.github-workflows", CI / "github-actions.yml"),
        ("vendor.gitlab-ci", CI / "gitlab-ci.yml"),
    ],
)
def test_validates_against_the_published_schema(schema, path):
    checker = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert checker, "check-jsonschema (a test dependency) is not installed"
    done = subprocess.run(
        [checker, "--builtin-schema", schema, str(path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_catches_a_mistake(tmp_path):
    broken = yaml.safe_load(ACTION.read_text())
    broken["runs"]["steps"][1]["shel"] = broken["runs"]["steps"][1].pop("shell")
    path = tmp_path / "action.yml"
    path.write_text(yaml.safe_dump(broken))
    checker = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    done = subprocess.run(
        [checker, "--builtin-schema", "vendor.github-actions", str(path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
