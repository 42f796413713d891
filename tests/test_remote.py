"""Remote logdirs through fsspec: file://, memory:// and S3 (a local moto server on loopback)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from coordlint.cli import cli
from coordlint.execution.discover import discover
from coordlint.loading.remote import RemotePath, is_url, parse_storage_options
from coordlint.testing import write_events

fsspec = pytest.importorskip("fsspec")

SOFT_CE = "eval/coord_diag/soft_ce"


@pytest.fixture(scope="module")
def logdir(tmp_path_factory) -> Path:
    """A local logdir: two plain TensorBoard runs (one nested), a NaN, an ms-swift output dir
    with its runs/ folder, a checkpoint's trainer_state.json and a resolved config above it."""
    root = tmp_path_factory.mktemp("remote") / "logdir"
    rebound = {100 * (k + 1): v for k, v in enumerate([8, 6, 5, 4.2, 4.0, 4.5, 4.6, 4.7])}
    write_events(root / "a", {"train/loss": {1: 2.0, 2: math.nan}, SOFT_CE: rebound})
    write_events(root / "group" / "b", {"train/loss": {1: 2.0, 2: 1.0}})
    out = root / "swift"
    write_events(out / "runs" / "Jan01", {"train/loss": {1: 3.0, 2: 2.5}})
    rows = [
        {"global_step/max_steps": f"{s}/4", "loss": 3.0 - s, "eval_acc": 0.1 * s} for s in (1, 2)
    ]
    (out / "logging.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    (out / "checkpoint-2").mkdir()
    state = {"log_history": [{"step": 2, "eval_f1": 0.5}]}
    (out / "checkpoint-2" / "trainer_state.json").write_text(json.dumps(state))
    (root / "resolved_config.json").write_text(
        json.dumps({"resolved": {"training": {"eval_steps": 100, "save_steps": 200}}})
    )
    return root


def _upload(fs, local: Path, remote_root: str) -> None:
    for path in sorted(local.rglob("*")):
        if path.is_file():
            fs.pipe_file(f"{remote_root}/{path.relative_to(local).as_posix()}", path.read_bytes())


def _json_check(*args: str, env: dict | None = None):
    return CliRunner().invoke(
        cli,
        ["check", "--isolated", "--output-format", "json", "--exit-zero", *args],
        env=env,
    )


def _normalise(doc: dict, prefix: str) -> dict:
    """The report with ``prefix`` (a URL or local dir) cut from every path."""
    text = json.dumps(doc).replace(prefix, "<ROOT>")
    return json.loads(text)


@pytest.fixture(scope="module")
def local_report(logdir) -> dict:
    result = _json_check(str(logdir))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_local_report_covers_every_kind_of_run(local_report):
    names = [r["name"] for r in local_report["runs"]]
    assert names == ["a", "b", "swift"]  # outside the project: named by their directories
    swift = local_report["runs"][2]
    assert swift["source"] == "tfevents+logging.jsonl+trainer_state.json"
    assert {f["code"] for f in local_report["findings"]} >= {"CL201", "CL902"}


def test_file_url_gives_the_local_report_with_urls(logdir, local_report):
    url = f"file://{logdir}"
    result = _json_check(url)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["runs"][0]["path"] == f"{url}/a"
    assert all(f.startswith(url + "/") for r in doc["runs"] for f in r["files"])
    assert _normalise(doc, url) == _normalise(local_report, str(logdir))


@pytest.fixture
def memory_logdir(logdir):
    fs = fsspec.filesystem("memory")
    _upload(fs, logdir, "/bucket/logdir")
    yield "memory://bucket/logdir"
    fs.rm("/bucket", recursive=True)


def test_memory_url_gives_the_local_report(memory_logdir, local_report, logdir):
    result = _json_check(memory_logdir)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    swift = doc["runs"][2]
    assert swift["path"] == "memory://bucket/logdir/swift"
    # the resolved config above the run is found on the remote filesystem too
    assert "memory://bucket/logdir/resolved_config.json" in swift["files"]
    assert _normalise(doc, memory_logdir) == _normalise(local_report, str(logdir))


def test_discovery_rule_on_a_remote_filesystem(memory_logdir):
    specs = discover(memory_logdir + "/")
    assert [s.name for s in specs] == ["a", "b", "swift"]
    swift = specs[2]
    assert isinstance(swift.path, RemotePath)
    assert str(swift.jsonl) == f"{memory_logdir}/swift/logging.jsonl"
    assert [str(p) for p in swift.trainer_states] == [
        f"{memory_logdir}/swift/checkpoint-2/trainer_state.json"
    ]
    assert [Path(str(f)).parent.name for f in swift.files] == ["Jan01"]
    (single,) = discover(str(specs[0].files[0]))  # a single remote event file
    assert single.name == "a" and str(single.path) == f"{memory_logdir}/a"
    (run_dir,) = discover(f"{memory_logdir}/group/b")
    assert run_dir.name == "b"


def test_missing_remote_path_exits_2():
    result = CliRunner().invoke(cli, ["check", "--isolated", "memory://nowhere/at/all"])
    assert result.exit_code == 2
    assert result.stderr == "coordlint: error: path does not exist: memory://nowhere/at/all\n"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("gs://bucket/logdir", "gcsfs"),
        ("nosuchproto://bucket/x", "no fsspec filesystem for nosuchproto:// URLs"),
    ],
)
def test_missing_backend_exits_2_naming_what_to_install(url, expected, monkeypatch):
    monkeypatch.setitem(sys.modules, "gcsfs", None)  # not installed, whatever the machine has
    result = CliRunner().invoke(cli, ["check", "--isolated", url])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("coordlint: error: ")
    assert expected in lines[0]


def test_missing_fsspec_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "fsspec", None)
    monkeypatch.setitem(sys.modules, "fsspec.core", None)
    result = CliRunner().invoke(cli, ["check", "--isolated", "s3://bucket/logdir"])
    assert result.exit_code == 2
    assert "pip install 'coordlint[remote]'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_is_url_and_storage_options():
    assert is_url("s3://b/k") and is_url("simplecache::s3://b/k") and is_url("file:///tmp")
    assert not is_url("/tmp/x") and not is_url("C:\\logs") and not is_url("runs/a")
    assert not is_url("runs/a::b") and not is_url("a::b/events.out.tfevents.1")
    assert is_url("blockcache::simplecache::gs://b/k")
    assert parse_storage_options(["anon=true", "client_kwargs.region_name=eu", "key=abc"]) == {
        "anon": True,
        "client_kwargs": {"region_name": "eu"},
        "key": "abc",
    }
    result = CliRunner().invoke(cli, ["check", "--isolated", "x", "--storage-option", "novalue"])
    assert result.exit_code == 2 and "expects KEY=VALUE" in result.stderr


# -- S3: a moto server on 127.0.0.1 ---------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint(logdir):
    pytest.importorskip("s3fs")
    server_mod = pytest.importorskip("moto.server")
    mp = pytest.MonkeyPatch()
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        mp.setenv(key, value)
    mp.delenv("AWS_PROFILE", raising=False)
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    fs = fsspec.filesystem("s3", endpoint_url=endpoint, skip_instance_cache=True)
    fs.mkdir("runs-bucket")
    _upload(fs, logdir, "runs-bucket/exp")
    yield endpoint
    server.stop()
    mp.undo()


def test_s3_logdir_with_storage_option_endpoint(s3_endpoint, local_report, logdir):
    result = _json_check(
        "s3://runs-bucket/exp", "--storage-option", f"endpoint_url={s3_endpoint}", "--jobs", "2"
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [r["path"] for r in doc["runs"]] == [
        "s3://runs-bucket/exp/a",
        "s3://runs-bucket/exp/group/b",
        "s3://runs-bucket/exp/swift",
    ]
    assert _normalise(doc, "s3://runs-bucket/exp") == _normalise(local_report, str(logdir))


def test_s3_endpoint_from_the_environment(s3_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)  # botocore's own setting
    result = CliRunner().invoke(cli, ["check", "--isolated", "s3://runs-bucket/exp/group"])
    assert result.exit_code == 0, result.output
    assert "No findings in 1 run" in result.stdout
    missing = CliRunner().invoke(cli, ["check", "--isolated", "s3://runs-bucket/nope"])
    assert missing.exit_code == 2
    assert "path does not exist: s3://runs-bucket/nope" in missing.stderr


def test_watch_a_remote_run(memory_logdir):
    result = CliRunner().invoke(
        cli,
        [
            *("watch", "--isolated", f"{memory_logdir}/a", "--interval", "0"),
            *("--max-checks", "2", "--select", "CL902", "--color", "never"),
        ],
    )
    assert result.exit_code == 1, result.output
    assert result.stdout.count("a CL902 [error] train/loss is NaN at step 2") == 1


def test_a_local_run_directory_named_with_double_colons_is_read_locally(tmp_path):
    write_events(tmp_path / "sweep::lr=1e-4", {"train/loss": {1: 1.0, 2: float("nan")}})
    result = CliRunner().invoke(
        cli, ["check", "--isolated", str(tmp_path / "sweep::lr=1e-4"), "-f", "json"]
    )
    assert result.exit_code == 1, result.output
    assert [f["code"] for f in json.loads(result.stdout)["findings"]] == ["CL902"]
