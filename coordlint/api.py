"""The Python API: load runs and check them from a notebook, a script or a project's tests.

The same calls as the CLI: ``coordlint.check(...)`` is ``coordlint check`` without the
rendering, ``coordlint.load(...)`` its loading half::

    import coordlint

    report = coordlint.check("output/stage1", fail_on="warning")
    for finding in report.findings:
        print(finding.run, finding.code, finding.message)
    report.to("junit")  # any output format; a notebook shows report as HTML
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import coordlint
from coordlint.core.session import Selection, Session, Setup
from coordlint.execution.collect import LoadOptions, Targets, collect_runs, iter_runs
from coordlint.loading.cache import default_cache_dir
from coordlint.report import Report
from coordlint.run import Run
from coordlint.rundata import RunData

__all__ = ["check", "load"]

PathLike = str | Path


def _load_options(
    jobs: int,
    executor: str | None,
    storage_options: Mapping[str, Any] | None,
    cache: bool | PathLike,
) -> LoadOptions:
    if cache is False:
        cache_dir = None
    elif cache is True:
        cache_dir = default_cache_dir()
    else:
        cache_dir = Path(cache)
    return LoadOptions(
        jobs=jobs,
        executor=executor,
        storage_options=dict(storage_options or {}),
        cache_dir=cache_dir,
    )


def load(
    *paths: PathLike,
    jobs: int = 1,
    executor: str | None = None,
    storage_options: Mapping[str, Any] | None = None,
    cache: bool | PathLike = False,
    tag_aliases: Mapping[str, Sequence[str]] | None = None,
    step: int | None = None,
    logs: PathLike | None = None,
) -> list[Run]:
    """Every run under ``paths`` (event files, run directories, logdirs, URLs, checkpoint
    directories), loaded; named relative to the project root of the current directory.

    ``cache``: ``False`` reads everything afresh, ``True`` uses the user cache directory, a
    path uses that directory. ``step`` and ``logs`` gate runs as ``--step`` and ``--logs``
    do. Raises :class:`coordlint.errors.InputError` for a path that does not exist or holds
    no logs.
    """
    options = _load_options(jobs, executor, storage_options, cache)
    targets = Targets(logs=None if logs is None else Path(logs), step=step)
    loaded = collect_runs(_strs(paths), options, targets=targets)
    return [Run(data, tag_aliases=tag_aliases) for data in loaded]


def check(
    *runs: PathLike | Run,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    extend_select: Sequence[str] = (),
    extend_ignore: Sequence[str] = (),
    fail_on: str | None = None,
    rule_timeout: float | None = None,
    config: PathLike | None = None,
    isolated: bool = False,
    plugins: Sequence[str] = (),
    jobs: int = 1,
    executor: str | None = None,
    storage_options: Mapping[str, Any] | None = None,
    cache: bool | PathLike = False,
    step: int | None = None,
    logs: PathLike | None = None,
    references: Sequence[PathLike] | None = None,
) -> Report:
    """Check ``runs`` (paths, or runs from :func:`load`) and return the report.

    Selection, fail level and time limit work as on the command line (``select=["CL2"]``,
    ``fail_on="warning"``, ``rule_timeout=10`` seconds per rule call); the config file is found
    from the current directory up unless ``config`` names one or ``isolated`` is set. ``step``
    and ``logs`` gate runs as ``--step`` and ``--logs`` do. ``references`` (reference files or
    runs) compares every run with them as ``--reference`` does (``None``: the config's
    ``reference:`` entries). ``report.failed`` / ``report.exit_code`` say whether the check
    fails; ``report.to("json")`` renders it.
    """
    setup = Setup(Path(config) if config is not None else None, isolated, tuple(plugins))
    selection = Selection(select, ignore, extend_select, extend_ignore, fail_on, rule_timeout)
    session = Session.open(setup).select(selection)
    for note in session.plugins.notes:
        warnings.warn(note, FutureWarning, stacklevel=2)
    options = _load_options(jobs, executor, storage_options, cache)
    session.use_references(None if references is None else _strs(references), options)
    targets = session.targets(None if logs is None else Path(logs), step)
    return session.check(_arriving(runs, options, targets), coordlint.__version__)


def _arriving(
    items: Sequence[PathLike | Run], options: LoadOptions, targets: Targets
) -> Iterator[RunData | Run]:
    """The runs in argument order: given runs as they are, each path's runs as they load."""
    if not any(isinstance(i, Run) for i in items):
        yield from iter_runs(_strs(items), options, targets=targets)  # type: ignore[arg-type]
        return
    for item in items:
        if isinstance(item, Run):
            yield item
        else:
            yield from iter_runs([str(item)], options, targets=targets)


def _strs(paths: Iterable[PathLike]) -> list[str]:
    return [str(p) for p in paths]
