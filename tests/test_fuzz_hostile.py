"""A fixed-seed slice of the check-side fuzz campaigns (``benchmarks/fuzz/fuzz_*.py``).

Each campaign's full run (``python benchmarks/fuzz/fuzz_names.py`` ...) has hundreds of cases;
here a few dozen from its default seed must all pass: no internal error (it is left for
coordlint's own bugs), no traceback, no hang, output every channel can take.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parents[1] / "benchmarks" / "fuzz"
sys.path.insert(0, str(FUZZ))

import cli_harness  # noqa: E402
import fuzz_configs  # noqa: E402
import fuzz_names  # noqa: E402
import fuzz_plugins  # noqa: E402


@pytest.mark.parametrize(
    ("campaign", "cases"), [(fuzz_names, 8), (fuzz_configs, 40), (fuzz_plugins, 20)]
)
def test_a_fixed_seed_slice_finds_nothing(campaign, cases, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    tally = campaign.run(cases, campaign.SEED, tmp_path)
    assert tally.cases == cases
    assert tally.failures == 0, "\n".join(tally.examples)
    assert sum(tally.outcomes.values()) == cases


def test_the_judge_can_fail():
    """The oracle flags what the campaigns look for (else a green slice would mean nothing)."""
    assert cli_harness.output_problems("json", b"\xff") == [
        "json: not valid UTF-8 ('utf-8' codec can't decode byte 0xff in position 0: invalid "
        "start byte)"
    ]
    assert cli_harness.output_problems("text", b"a\x1b[2J") == [
        "text: raw control character U+001B"
    ]
    assert cli_harness.output_problems("text", b"\x1b[1mrun\x1b[0m", colored=True) == []
    assert cli_harness.output_problems("text", b"ok\n  ::error ::x") == [
        "text: a workflow command: '  ::error ::x'"
    ]
    assert cli_harness.output_problems("json", b'{"a": "##[add-mask]x"}') == [
        'json: a legacy workflow command: \'{"a": "##[add-mask]x"}\''
    ]
    assert cli_harness.output_problems("github", b"::error title=CL1 x::m") == []
    assert cli_harness.output_problems("junit", b"<a>") != []
    crashed = cli_harness.Outcome(2, b"", "coordlint: internal error: KeyError: 1\n", 0.1)
    assert cli_harness.run_problems(crashed)[:1] == [
        "internal error: coordlint: internal error: KeyError: 1"
    ]
    two_lines = cli_harness.Outcome(2, b"", "Usage: x\ncoordlint: error: a\nmore\n", 0.1)
    assert cli_harness.run_problems(two_lines)[0].startswith("exit 2 without one error line")
