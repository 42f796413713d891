"""A small fixed-seed slice of every loading fuzz campaign of ``benchmarks/fuzz`` (issue 15): no
crash, no hang, no loader error, no wrong value, no lost point. The full campaigns run by hand
(``python benchmarks/fuzz/fuzz_loading.py``, see ``benchmarks/README.md``)."""

from __future__ import annotations

import os

import fuzz_cache
import fuzz_events
import fuzz_json
import fuzz_records
import pytest


def _clean(tally) -> None:
    assert tally.failures == 0, "\n".join(tally.examples)
    assert tally.cases > 0 and tally.points_kept == tally.points_expected


def test_mutated_real_event_files(tmp_path, realruns) -> None:
    tally = fuzz_events.run(120, 1, tmp_path, realruns)
    _clean(tally)
    assert tally.records_intact > 500


def test_crc_valid_hostile_records(tmp_path) -> None:
    _clean(fuzz_records.run(150, 1, tmp_path))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="makes FIFOs (POSIX)")
def test_hostile_json_logs_and_configs(tmp_path) -> None:
    _clean(fuzz_json.run(120, 1, tmp_path))


def test_corrupted_cache_entries_and_concurrent_checks(tmp_path, realruns) -> None:
    _clean(fuzz_cache.run(100, 1, tmp_path, realruns, rounds=1))
