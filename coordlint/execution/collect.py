"""RUN arguments → loaded runs: plan each argument, load every run once, in order.

This is the loading half of a check, shared by ``check``, ``watch`` and ``summary``: where runs
load (``--jobs``/``--executor``, see :mod:`coordlint.execution.parallel`), whether the
event-file cache is used, and the storage options of remote logdirs all come in as
:class:`LoadOptions`; what the arguments name (the project root of run names, checkpoints to
gate) as :class:`~coordlint.execution.plan.Targets`. A resumed run's parts load like any run
and are joined here (:mod:`coordlint.execution.lineage`).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coordlint.execution.parallel import decode_thread_for, map_ordered, open_executor
from coordlint.execution.plan import Targets, plan
from coordlint.execution.progress import progress
from coordlint.loading import RunSpec, load_run
from coordlint.loading.cache import DEFAULT_MAX_SIZE, Cache
from coordlint.rundata import RunData

__all__ = ["LoadOptions", "Targets", "collect_runs", "iter_runs", "load_path"]


@dataclass(frozen=True)
class LoadOptions:
    """How runs load. ``cache_dir`` ``None`` means no cache; ``cache_max_size`` ``None``, the
    cache's default limit (0: none)."""

    jobs: int = 1
    executor: str | None = None
    storage_options: Mapping[str, Any] = field(default_factory=dict)
    cache_dir: Path | None = None
    cache_max_size: int | None = None


_FROM_OPTIONS: Any = object()


def collect_runs(
    arguments: Sequence[str],
    options: LoadOptions = LoadOptions(),
    executor: Executor | None = _FROM_OPTIONS,
    targets: Targets | None = None,
) -> list[RunData]:
    """Discover and load every run named by ``arguments``, each once, in argument order.

    Runs load on ``executor`` (``None``: in this process) or, by default, on the one the
    options name; the result is the same either way.
    """
    return list(iter_runs(arguments, options, executor, targets=targets))


def iter_runs(
    arguments: Sequence[str],
    options: LoadOptions = LoadOptions(),
    executor: Executor | None = _FROM_OPTIONS,
    label: str = "loading runs",
    targets: Targets | None = None,
) -> Iterator[RunData]:
    """:func:`collect_runs` one run at a time, each as soon as it has loaded (the others keep
    loading on the executor meanwhile). Every argument is discovered before the first run
    loads, so a bad argument fails before any work."""
    groups = plan(arguments, options.storage_options, targets or Targets())
    specs = [spec for group in groups for spec in group.specs]
    with contextlib.ExitStack() as stack:
        if executor is _FROM_OPTIONS:
            executor = stack.enter_context(open_executor(options.executor, options.jobs))
        loaded = _load_all(specs, options, executor)
        for group in progress(groups, len(groups), label):
            yield from group.assemble(list(itertools.islice(loaded, len(group.specs))))
        next(loaded, None)  # run the loader to its end: its executor's iterator closes cleanly


def _load_all(
    specs: Sequence[RunSpec], options: LoadOptions, executor: Executor | None
) -> Iterator[RunData]:
    """Each spec's run, in order. With a cache and an executor, a run whose event files are
    all cached and unchanged (and that reads no other source) loads here (it reads only
    headers: shipping it would cost more) while the executor decodes the others. A local
    process pool's worker that has just cached a run whole says so instead of shipping its
    columns back, and the run loads here from the cache, reading only the tags the rules ask
    for."""
    cache = _cache(options)
    load = functools.partial(load_run, cache=cache, decode_thread=decode_thread_for(executor))
    if executor is None or cache is None:
        yield from map_ordered(load, specs, executor)
        return
    here = [  # another source's part is read afresh: it loads on the executor like the rest
        not spec.parts and all(cache.is_current(str(f), remember=True) for f in spec.files)
        for spec in specs
    ]
    there = [s for s, h in zip(specs, here, strict=True) if not h]
    local = isinstance(executor, ProcessPoolExecutor)  # sees this cache directory
    elsewhere = map_ordered(_CacheThenSay(load, cache) if local else load, there, executor)
    for spec, is_here in zip(specs, here, strict=True):
        run = load(spec) if is_here else next(elsewhere)
        yield load(spec) if isinstance(run, _Cached) else run


class _Cached:
    """What a pool worker returns for a run it has cached whole."""


class _CacheThenSay:
    """A pool worker's load: the run, or :class:`_Cached` once every event file of it is in
    the cache unchanged (its columns then need not cross to the parent)."""

    def __init__(self, load: Callable[[RunSpec], RunData], cache: Cache) -> None:
        self.load, self.cache = load, cache

    def __call__(self, spec: RunSpec) -> RunData | _Cached:
        run = self.load(spec)
        whole = spec.files and not spec.parts  # another source's part is not in the cache
        if whole and all(self.cache.is_current(str(f)) for f in spec.files):
            return _Cached()
        return run


def _cache(options: LoadOptions) -> Cache | None:
    if options.cache_dir is None:
        return None
    limit = DEFAULT_MAX_SIZE if options.cache_max_size is None else options.cache_max_size
    return Cache(options.cache_dir, max_size=limit)


def load_path(
    path: str | Path, options: LoadOptions = LoadOptions(), targets: Targets | None = None
) -> list[RunData]:
    """Discover the runs under one path and load each in this process (raises InputError
    like :func:`~coordlint.execution.discover.discover`)."""
    return collect_runs([str(path)], options, executor=None, targets=targets)
