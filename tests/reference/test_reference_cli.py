"""References end to end: --reference and the config's reference:, loaded once per check,
seen by plugins, drawn by text and HTML output, summarised by summary --reference."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from _coord_runs import BIN_MAE
from click.testing import CliRunner

import coordlint
from coordlint.cli import cli
from coordlint.core.reference_file import read_reference_file
from coordlint.formatters import html_plots

RECORDER = '''
import coordlint


@coordlint.rule("TR001", "records-references", severity="info")
def records(run):
    """Test rule: one finding naming the run's references and their identity."""
    refs = run.references
    yield coordlint.Finding(
        "references: " + ", ".join(r.name for r in refs),
        data={"ids": ",".join(str(id(r)) for r in refs), "loss": float(refs[0].series(
            "eval/coord_diag/expected_bin_mae").iloc[-1])},
    )
'''


def test_references_load_once_and_every_run_sees_them(reference_file, candidate, tmp_path):
    plugin = tmp_path / "recorder.py"
    plugin.write_text(RECORDER)
    runs = [candidate(f"c{i}", seed=2000 + i) for i in range(3)]
    report = coordlint.check(
        *runs, select=["TR001"], isolated=True, plugins=[str(plugin)], references=[reference_file]
    )
    assert len(report.findings) == 3
    ids = {f.data["ids"] for f in report.findings}
    assert len(ids) == 1  # the same Reference objects, attached to every run
    held = read_reference_file(reference_file).references
    first = held[0].series(BIN_MAE).iloc[-1]
    assert report.findings[0].data["loss"] == first
    assert report.findings[0].message == "references: " + ", ".join(r.name for r in held)


def test_the_config_reference_key_is_relative_to_the_config(reference_file, candidate, tmp_path):
    run = candidate("mae", seed=2100, bin_mae_scale=1.2)
    project = tmp_path / "project"
    project.mkdir()
    (project / "ci").mkdir()
    (project / "ci" / "refs.json").write_bytes(reference_file.read_bytes())
    (project / "coordlint.yaml").write_text("reference: ci/refs.json\nselect: [CL6]\n")
    settings = CliRunner().invoke(
        cli, ["check", str(run), "--config", str(project / "coordlint.yaml"), "--show-settings"]
    )
    assert f"reference: {project / 'ci' / 'refs.json'}" in settings.output.splitlines()
    result = CliRunner().invoke(
        cli, ["check", str(run), "--config", str(project / "coordlint.yaml"), "-f", "json"]
    )
    codes = {f["code"] for f in json.loads(result.output)["findings"]}
    assert "CL601" in codes
    # --reference on the command line replaces the config's entries.
    result = CliRunner().invoke(
        cli,
        ["check", str(run), "--config", str(project / "coordlint.yaml"), "--reference", str(run)],
    )
    assert "is left out of this run's comparison: it is this run" in result.output


def test_a_missing_reference_is_an_input_error(candidate, tmp_path):
    run = candidate("run", seed=2200)
    result = CliRunner().invoke(
        cli, ["check", str(run), "--reference", str(tmp_path / "nowhere"), "--isolated"]
    )
    assert result.exit_code == 2
    assert result.output.startswith("coordlint: error: ") and "nowhere" in result.output


def test_two_references_with_one_name_are_refused(reference_runs, reference_file, candidate):
    run = candidate("run", seed=2300)
    result = CliRunner().invoke(
        cli,
        [
            "check",
            str(run),
            "--reference",
            str(reference_file),
            "--reference",
            str(reference_file),
            "--isolated",
        ],
    )
    assert result.exit_code == 2 and "two references are named" in result.output


def test_text_output_shows_the_band_on_the_sparkline_line(reference_file, candidate):
    run = candidate("mae", seed=2400, bin_mae_scale=1.2)
    result = CliRunner().invoke(
        cli, ["check", str(run), "--reference", str(reference_file), "--select", "CL601"]
    )
    finding_line, spark_line, *_ = result.output.splitlines()
    assert "CL601 [warning] eval/coord_diag/expected_bin_mae is above the reference band" in (
        finding_line
    )
    report = coordlint.check(run, select=["CL601"], isolated=True, references=[reference_file])
    (finding,) = report.findings
    low, _, high = finding.band.at(finding.step)
    assert spark_line.endswith(
        f"; reference band {low:.4g}–{high:.4g} at step {finding.step} (5 references)"
    )


def test_html_draws_the_band_behind_every_cl60x_curve(reference_file, candidate):
    run = candidate("late", seed=2500, confine_delay=4.0, bin_mae_scale=1.2)
    report = coordlint.check(run, select=["CL60"], isolated=True, references=[reference_file])
    page = report.to("html")
    bands = {}
    for block in page.split("<div class='finding'>")[1:]:
        code = block.split("<code>")[1].split("</code>")[0]
        bands.setdefault(code, []).append(block.count('<polygon class="band"'))
    assert {"CL601", "CL602", "CL603"} <= set(bands)
    assert all(n >= 1 for c in ("CL601", "CL602", "CL603") for n in bands[c])
    assert "reference band (5 runs)" in page  # its legend entry
    # The same finding without its band draws none.
    (first,) = [f for f in report.findings if f.code == "CL603"][:1]
    bare = dataclasses.replace(first, band=None)
    figure = html_plots.finding_figure(bare, report.runs[0])
    assert figure is not None and figure.plot is not None and figure.plot.bands == []
    banded = html_plots.finding_figure(first, report.runs[0])
    assert banded is not None and banded.plot is not None
    (drawn,) = banded.plot.bands
    assert np.array_equal(drawn.lower, first.band.low)
    assert np.array_equal(drawn.upper, first.band.high)


def test_summary_adds_the_references_median_row(reference_runs, reference_file, candidate):
    run = candidate("run", seed=2600)
    result = CliRunner().invoke(
        cli,
        ["summary", str(run), "--reference", str(reference_file), "-f", "json", "--isolated"],
    )
    rows = json.loads(result.output)
    assert [r["model"] for r in rows][1:] == ["reference median (5)"]
    held = read_reference_file(reference_file).references
    finals = [r.series(BIN_MAE).iloc[-1] for r in held]
    assert rows[1]["eval_expected_bin_mae"] == pytest.approx(float(np.median(finals)))
    assert rows[1]["max_eval_step"] == 2000
    both = CliRunner().invoke(
        cli, ["summary", str(run), "--checkpoints", "--reference", str(reference_file)]
    )
    assert both.exit_code == 2 and "not to --checkpoints" in both.output


def test_watch_compares_a_live_run_with_its_references(reference_file, candidate):
    run = candidate("mae", seed=2700, bin_mae_scale=1.2)
    args = ["watch", str(run), "--interval", "0", "--max-checks", "1", "--isolated"]
    result = CliRunner().invoke(cli, [*args, "--select", "CL6", "--reference", str(reference_file)])
    assert result.exit_code == 0
    assert "CL601 [warning] eval/coord_diag/expected_bin_mae is above the reference band" in (
        result.output
    )
    alone = CliRunner().invoke(cli, [*args, "--select", "CL6"])
    assert "CL601" not in alone.output


BAD_BAND = """
import coordlint


@coordlint.rule("TR002", "bad-band")
def bad_band(run):
    \"\"\"Test rule: a finding whose band is not a coordlint.Band.\"\"\"
    yield coordlint.Finding("a band of words", band="wide")
"""


def test_a_malformed_band_is_a_rule_error_not_a_crash(candidate, tmp_path):
    plugin = tmp_path / "bad_band.py"
    plugin.write_text(BAD_BAND)
    report = coordlint.check(
        candidate("run", seed=2800), select=["TR002"], isolated=True, plugins=[str(plugin)]
    )
    (error,) = report.findings
    assert error.code == "CL900" and "band must be a coordlint.Band, got str" in error.message
