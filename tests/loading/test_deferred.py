"""A cache hit defers every column: rules read only the tags they ask for, with the same result."""

from __future__ import annotations

import functools
import math
import shutil
import struct
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from coordlint.execution import parallel
from coordlint.execution.collect import LoadOptions, collect_runs
from coordlint.execution.discover import discover
from coordlint.loading import load_run
from coordlint.loading.cache import Cache
from coordlint.run import Run
from coordlint.testing import check, write_events

SOFT_CE = "eval/coord_diag/soft_ce"
MAE = "eval/coord_diag/expected_bin_mae"
FILLER = [f"train/filler_{i:02d}" for i in range(30)]


def _scalars() -> dict:
    evals = range(100, 2100, 100)
    curve = [8, 6, 5, 4.2, 4.0, 3.9, 3.8, 4.3, 4.5, 4.6, 4.7, 4.8, 4.9, 5, 5, 5, 5, 5, 5, 5]
    scalars = {
        SOFT_CE: dict(zip(evals, curve, strict=True)),
        MAE: {s: 30.0 / (1 + s / 100) for s in evals},
        "train/loss": {s: 2.0 / s for s in range(10, 2001, 10)},
    }
    for i, tag in enumerate(FILLER):
        scalars[tag] = {s: float(i) + s / 1000 for s in range(10, 2001, 10)}
    scalars[FILLER[3]][700] = math.nan  # CL902 finds it without reading the column
    return scalars


def _key(findings) -> list:
    return sorted((f.code, f.tag or "", f.step or 0, f.message) for f in findings)


@pytest.fixture(scope="module")
def cached_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("deferred")
    write_events(tmp_path / "run", _scalars())
    (spec,) = discover(tmp_path / "run")
    cache = Cache(tmp_path / "cache", min_size=0)
    cold = Run(load_run(spec, cache=cache))
    return spec, cache, cold


def test_warm_check_reads_only_the_tags_rules_ask_for(cached_run) -> None:
    spec, cache, cold = cached_run
    expected = _key(check(cold))
    assert {"CL201", "CL902"} <= {code for code, *_ in expected}

    stored = load_run(spec, cache=cache)
    warm = Run(stored)
    assert warm.points == cold.points and warm.tags == cold.tags
    assert not any(c.loaded for c in stored.columns.values())
    assert _key(check(warm)) == expected
    read = {t for t, c in stored.columns.items() if c.loaded}
    assert SOFT_CE in read
    assert not read & set(FILLER)  # 30 tags no rule looks at stay on disk


def test_deferred_columns_equal_decoded_ones(cached_run) -> None:
    spec, cache, cold = cached_run
    warm = Run(load_run(spec, cache=cache))
    for tag in cold.tags:
        assert warm.series(tag).equals(cold.series(tag))
        assert warm.wall_times(tag).equals(cold.wall_times(tag))


@pytest.mark.parametrize(
    ("second", "rewritten"),
    [({s: 1.0 for s in range(50, 80)}, 0), ({s: 1.0 for s in range(30, 80)}, 10)],
    ids=["continued", "resumed-over-old-steps"],
)
def test_two_cached_files_resolve_like_uncached(tmp_path, second, rewritten) -> None:
    # Files that continue each other stay deferred; overlapping ones are read and resolved.
    write_events(tmp_path / "run", {"train/loss": {s: 2.0 for s in range(40)}}, start_time=1e9)
    write_events(tmp_path / "run", {"train/loss": second}, start_time=2e9)
    (spec,) = discover(tmp_path / "run")
    assert len(spec.files) == 2
    cache = Cache(tmp_path / "cache", min_size=0)
    plain = Run(load_run(spec))
    load_run(spec, cache=cache)
    stored = load_run(spec, cache=cache)
    warm = Run(stored)
    assert warm.rewritten.get("train/loss", 0) == plain.rewritten.get("train/loss", 0) == rewritten
    assert stored.columns["train/loss"].loaded == bool(rewritten)
    assert warm.series("train/loss").equals(plain.series("train/loss"))


def test_cached_runs_cross_a_process_pool_deferred(cached_run) -> None:
    spec, cache, cold = cached_run
    with parallel.open_executor("process:2") as pool:
        (shipped,) = parallel.map_ordered(functools.partial(load_run, cache=cache), [spec], pool)
    assert not any(c.loaded for c in shipped.columns.values())
    assert np.array_equal(shipped.columns[SOFT_CE].values, cold.series(SOFT_CE).to_numpy())
    assert _key(check(shipped)) == _key(check(cold))


class _CountingPool(ThreadPoolExecutor):
    """A real executor that remembers which runs were sent to it."""

    def __init__(self) -> None:
        super().__init__(2)
        self.sent: list = []

    def map(self, fn, *iterables, **kwargs):
        items = list(iterables[0])
        self.sent.extend(items)
        return super().map(fn, items, **kwargs)


def test_with_a_pool_only_runs_needing_decoding_leave_the_process(tmp_path) -> None:
    # Three runs over files above the cache's 1 MiB floor: after a first check, one of them
    # grows. A pooled re-check loads the two unchanged runs here and sends only the grown one.
    source = write_events(tmp_path / "src", {"train/loss": {s: 1.0 / s for s in range(1, 30001)}})
    assert source.stat().st_size > 1 << 20
    for name in ("a", "b", "c"):
        (tmp_path / "sweep" / name).mkdir(parents=True)
        shutil.copy(source, tmp_path / "sweep" / name / source.name)
    options = LoadOptions(cache_dir=tmp_path / "cache")
    first = collect_runs([str(tmp_path / "sweep")], options, executor=None)
    grown = tmp_path / "sweep" / "b" / source.name
    write_events(tmp_path / "more", {"train/loss": {30001: 0.5}})
    extra = next((tmp_path / "more").glob("*tfevents*")).read_bytes()
    with open(grown, "ab") as fh:
        fh.write(extra[_first_record_end(extra) :])  # one more record, without a 2nd header
    with _CountingPool() as pool:
        again = collect_runs([str(tmp_path / "sweep")], options, executor=pool)
    assert [s.name for s in pool.sent] == ["b"]
    assert [r.points for r in again] == [30000, 30001, 30000]
    assert not again[0].columns["train/loss"].loaded  # loaded here, deferred
    serial = collect_runs([str(tmp_path / "sweep")], LoadOptions(), executor=None)
    for got, want in zip(again, serial, strict=True):
        assert Run(got).series("train/loss").equals(Run(want).series("train/loss"))
    assert [r.points for r in first] == [30000, 30000, 30000]


def _first_record_end(blob: bytes) -> int:
    return 16 + struct.unpack_from("<Q", blob, 0)[0]


def test_a_pool_worker_that_cached_a_run_sends_no_columns_back(tmp_path) -> None:
    # A first check with a cache and --jobs: each worker decodes and caches its run, and the
    # run reaches this process as cache references (deferred), not as shipped arrays.
    from concurrent.futures import ProcessPoolExecutor

    source = write_events(tmp_path / "src", {"train/loss": {s: 1.0 / s for s in range(1, 30001)}})
    for name in ("a", "b"):
        (tmp_path / "sweep" / name).mkdir(parents=True)
        shutil.copy(source, tmp_path / "sweep" / name / source.name)
    options = LoadOptions(cache_dir=tmp_path / "cache")
    with ProcessPoolExecutor(2) as pool:
        runs = collect_runs([str(tmp_path / "sweep")], options, executor=pool)
    from coordlint.loading.cache import TagReader

    # Read from the cache entry the worker wrote, not from a shipped copy of its arrays.
    assert all(isinstance(r.columns["train/loss"]._loader, TagReader) for r in runs)
    serial = collect_runs([str(tmp_path / "sweep")], LoadOptions(), executor=None)
    for got, want in zip(runs, serial, strict=True):
        assert Run(got).series("train/loss").equals(Run(want).series("train/loss"))
