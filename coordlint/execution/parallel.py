"""Load runs in parallel: ``--jobs N`` and ``--executor SPEC``.

Loading (reading and decoding the logs) is the part of a check that grows with the data, and
each run loads on its own, so it maps over a :class:`concurrent.futures.Executor`:
``executor.map(load_run, specs)``, which keeps the input order, so the runs, their points and
the findings are exactly the serial ones. Rules run in the calling process, on each run as it
arrives, while the workers decode the next ones.

``--executor`` takes one of:

``serial``
    in this process, one run after another (what ``--jobs 1``, the default, means).
``process[:N]``
    a :class:`~concurrent.futures.ProcessPoolExecutor` of N workers (default: ``--jobs``, or all
    cores); ``--jobs N`` with N > 1 is shorthand for ``process:N``, ``--jobs 0`` for all cores.
``thread[:N]``
    a :class:`~concurrent.futures.ThreadPoolExecutor` (helps with remote logdirs, where loading
    waits on the network rather than the CPU).
``dask://HOST:PORT`` (or ``tcp://``, ``tls://``, ``inproc://`` addresses)
    a running Dask scheduler: ``distributed.Client(ADDRESS).get_executor()``; the workers need
    coordlint (and for remote logdirs its ``remote`` extra) installed and must see the paths.
``dask-local[:N]``
    start a :class:`distributed.LocalCluster` of N single-threaded worker processes for this
    invocation.
``MODULE:CALLABLE``
    any callable returning a ``concurrent.futures.Executor`` (called with no arguments), for
    other engines (loky, mpi4py.futures, ray.util...).

Loaded :class:`~coordlint.columns.RunData` objects travel back pickled (numpy arrays, plain data).
"""

from __future__ import annotations

import contextlib
import importlib
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, TypeVar, cast

from coordlint.errors import ConfigError
from coordlint.execution import shipping
from coordlint.loading.cpu import usable_cores

__all__ = [
    "EXECUTOR_HELP",
    "WorkerPool",
    "decode_thread_for",
    "map_ordered",
    "open_executor",
    "resolve_jobs",
    "usable_cores",
]

T = TypeVar("T")
R = TypeVar("R")

EXECUTOR_HELP = (
    "Where runs load: serial, process[:N], thread[:N], dask://HOST:PORT (a Dask scheduler), "
    "dask-local[:N] (a local Dask cluster), or MODULE:CALLABLE returning an Executor."
)
DASK_HINT = "pip install 'coordlint[dask]'"
_COUNTED = re.compile(r"^(serial|process|thread|dask-local)(?::(\d+))?$")
_SCHEDULER = re.compile(r"^(dask|tcp|tls|inproc|ucx)://\S+$")
_CALLABLE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


class WorkerPool(ProcessPoolExecutor):
    """A local process pool that knows whether its workers fill every core."""

    def __init__(self, workers: int) -> None:
        super().__init__(max_workers=workers)
        #: Whether the workers take every usable core (then they decode on no second thread).
        self.fills_cores = workers >= usable_cores()


def decode_thread_for(executor: Executor | None) -> bool | None:
    """The ``decode_thread`` argument of loads on ``executor``: ``False`` in the workers of a
    pool that fills every core (two threads per core only contend), else the loader's default."""
    return False if isinstance(executor, WorkerPool) and executor.fills_cores else None


def resolve_jobs(jobs: int) -> int:
    """``--jobs``: a positive worker count, 0 meaning every usable core."""
    if jobs < 0:
        raise ConfigError(f"--jobs must be 0 (all cores) or a positive number, got {jobs}")
    return jobs or usable_cores()


@contextlib.contextmanager
def open_executor(spec: str | None, jobs: int = 1) -> Iterator[Executor | None]:
    """The executor ``spec`` names (``None`` = serial), shut down on exit.

    With no ``spec``, ``jobs`` decides: 1 is serial, N > 1 (or 0, all cores) a process pool.
    Raises :class:`ConfigError` for a bad spec, or when Dask is asked for and not installed.
    """
    workers = resolve_jobs(jobs)
    if spec is None or not spec.strip():
        spec = "serial" if workers == 1 else f"process:{workers}"
    spec = spec.strip()
    counted = _COUNTED.match(spec)
    if counted:
        kind, count = counted.group(1), counted.group(2)
        n = int(count) if count else (workers if jobs != 1 else usable_cores())
        if n < 1:
            raise ConfigError(f"--executor {spec}: the worker count must be at least 1")
        if kind == "serial":
            yield None
        elif kind == "process":
            with WorkerPool(n) as pool:
                yield pool
        elif kind == "thread":
            with ThreadPoolExecutor(max_workers=n) as pool:
                yield pool
        else:
            distributed = _distributed()
            with (
                distributed.LocalCluster(
                    n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
                ) as cluster,
                distributed.Client(cluster) as client,
            ):
                yield client.get_executor()
        return
    if _SCHEDULER.match(spec):
        distributed = _distributed()
        address = "tcp://" + spec[len("dask://") :] if spec.startswith("dask://") else spec
        try:
            client = distributed.Client(address, timeout=10)
        except OSError as exc:
            raise ConfigError(
                f"--executor {spec}: cannot reach the Dask scheduler: {exc}"
            ) from None
        with client:
            yield client.get_executor()
        return
    if _CALLABLE.match(spec):
        executor = _from_callable(spec)
        try:
            yield executor
        finally:
            executor.shutdown(wait=True)
        return
    raise ConfigError(
        f"unknown --executor {spec!r}: expected serial, process[:N], thread[:N], "
        "dask://HOST:PORT, dask-local[:N] or MODULE:CALLABLE"
    )


def _distributed() -> Any:
    try:
        return importlib.import_module("distributed")
    except ImportError:
        raise ConfigError(f"Dask executors need dask.distributed: {DASK_HINT}") from None


def _from_callable(spec: str) -> Executor:
    module_name, _, attr = spec.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"--executor {spec}: cannot import {module_name}: {exc}") from None
    for part in attr.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise ConfigError(f"--executor {spec}: {module_name} has no {attr}")
    try:
        executor = target() if callable(target) else None
    except Exception as exc:
        raise ConfigError(
            f"--executor {spec}: {spec} failed: {type(exc).__name__}: {exc}"
        ) from None
    if not (hasattr(executor, "map") and hasattr(executor, "shutdown")):
        raise ConfigError(f"--executor {spec}: {attr}() did not return an Executor")
    return executor  # type: ignore[return-value]


def map_ordered(
    func: Callable[[T], R], items: Iterable[T], executor: Executor | None
) -> Iterator[R]:
    """``func`` over ``items``, results in input order, on ``executor`` (``None``: serially).

    On a local process pool, loaded runs come back through memory-mapped files instead of
    pickles (see :mod:`coordlint.execution.shipping`): pickling the columns cost as much as
    decoding.
    """
    if executor is None:
        return map(func, items)
    if isinstance(executor, ProcessPoolExecutor):
        sender: Callable[[T], Any] = shipping.Sender(func)
        receive = cast(Callable[[Any], R], shipping.receive)
        return map(receive, executor.map(sender, items))
    return executor.map(func, items)
