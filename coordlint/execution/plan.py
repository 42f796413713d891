"""RUN arguments → what to load and what to report: runs, resumed runs' parts, gated checkpoints.

:func:`plan` discovers every argument (a checkpoint argument through
:mod:`coordlint.execution.checkpoints`), adds the sibling version directories of any ms-swift
version directory (one of them may resume it, see :mod:`coordlint.execution.lineage`), names
every run by where it is (:mod:`coordlint.execution.naming`), and returns :class:`Group` s in
argument order. After a group's parts have loaded, :meth:`Group.assemble` links them into
lineages and returns the runs asked for: whole, and/or as of a checkpoint (named
``<run>@<step>``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from coordlint.errors import InputError
from coordlint.execution.checkpoints import CheckpointEntry, Gate, gate_checkpoint, is_checkpoint
from coordlint.execution.discover import discover
from coordlint.execution.lineage import link, sibling_parts
from coordlint.execution.naming import absolute, is_version_dir, project_root, run_names
from coordlint.loading import remote
from coordlint.loading.sources import Source
from coordlint.loading.spec import RunSpec
from coordlint.rundata import Checkpoint, RunData

__all__ = ["Group", "Targets", "plan"]


@dataclass(frozen=True)
class Targets:
    """What RUN arguments mean beyond their paths: the project root run names are relative to
    (``None``: :func:`~coordlint.execution.naming.project_root`), and how checkpoints are
    gated: ``logs`` (``--logs``), ``step`` (``--step``, also for a plain run), and the config's
    ``checkpoints:`` entries. ``sources``: the other sources discovery recognises (``None``:
    the built-ins; a session passes the plugins' registered ones), ``source_globs`` the
    config's ``sources:`` globs (absolute), the files read as tables."""

    root: Path | None = None
    logs: Path | None = None
    step: int | None = None
    checkpoints: tuple[CheckpointEntry, ...] = ()
    sources: tuple[Source, ...] | None = None
    source_globs: tuple[str, ...] = ()

    @property
    def gate(self) -> Gate:
        return Gate(self.logs, self.step, self.checkpoints)


@dataclass
class Group:
    """Runs loaded together: one run, or an experiment's version directories (its parts, in
    training order), with what was asked of each part: ``None`` for the whole run, or a
    checkpoint to gate it as of."""

    specs: list[RunSpec]
    asks: dict[Path, list[Checkpoint | None]] = field(default_factory=dict)
    name: str = ""  # the experiment's name, for a lineage of several parts
    path: Path | None = None

    def assemble(self, loaded: Sequence[RunData]) -> Iterator[RunData]:
        """The runs asked for, from the loaded parts (in :attr:`specs` order)."""
        parts = list(zip((s.path for s in self.specs), loaded, strict=True))
        lineages = link(parts) if len(parts) > 1 else [parts]
        joined = [ln for ln in lineages if len(ln) > 1]
        for lineage in lineages:
            asks = [a for path, _ in lineage for a in self.asks.get(path, ())]
            if not asks:
                continue
            if len(lineage) == 1:
                run = lineage[0][1]
            else:
                first = lineage[0][1].name.rsplit("/", 1)[-1]
                name = self.name if len(joined) == 1 else f"{self.name}/{first}"
                run = RunData.joined(name, str(self.path), [r for _, r in lineage])
            for checkpoint in dict.fromkeys(asks):
                if checkpoint is None:
                    yield run
                else:
                    name = f"{run.name}@{checkpoint.step}"
                    yield replace(run, name=name, checkpoint=_at(checkpoint, run))


def _at(checkpoint: Checkpoint, run: RunData) -> Checkpoint:
    """A ``--step`` on a plain run gates the run's own directory."""
    return replace(checkpoint, path=run.path) if not checkpoint.path else checkpoint


def plan(
    arguments: Sequence[str],
    storage_options: Mapping[str, Any] | None = None,
    targets: Targets = Targets(),
) -> list[Group]:
    """Every argument's runs as groups to load, in argument order (see the module doc);
    raises InputError for an argument that names nothing to check."""
    root = targets.root or project_root()
    asks: dict[Any, list[Checkpoint | None]] = {}
    specs: dict[Any, RunSpec] = {}
    gated_any = False
    for argument in arguments:
        local = not remote.is_url(argument)
        if local and is_checkpoint(Path(argument), targets.gate):
            gated_any = True
            gated = gate_checkpoint(Path(argument), targets.gate, root)
            found: list[tuple[RunSpec, Checkpoint | None]] = [(gated.spec, gated.checkpoint)]
        else:
            plain = None
            if targets.step is not None:
                plain = Checkpoint("", targets.step, "--step")
            runs = discover(argument, storage_options, root, targets.sources, targets.source_globs)
            found = [(s, plain) for s in runs]
        for spec, checkpoint in found:
            key = _key(spec.path)
            specs.setdefault(key, spec)
            asks.setdefault(key, [])
            if checkpoint not in asks[key]:
                asks[key].append(checkpoint)
    if targets.logs is not None and not gated_any:
        raise InputError(
            f"--logs {targets.logs} is for a checkpoint directory, and no RUN is one "
            "(each holds logs of its own)"
        )
    return _grouped(specs, asks, root)


def _key(path: Any) -> Any:
    return absolute(path) if isinstance(path, Path) else path.resolve()


def _grouped(
    specs: Mapping[Any, RunSpec], asks: Mapping[Any, list[Checkpoint | None]], root: Path
) -> list[Group]:
    groups: list[Group] = []
    placed: dict[Any, Group] = {}
    for key, spec in specs.items():
        if key in placed:
            continue
        if isinstance(spec.path, Path) and is_version_dir(absolute(spec.path).name):
            paths = [p for p in sibling_parts(spec.path) if _key(p) not in placed]
            parts = [_spec(p, specs, root) for p in paths]
            group = Group([p for p in parts if p is not None])
        else:
            group = Group([spec])
        for part in group.specs:
            placed[_key(part.path)] = group
        groups.append(group)
    for key, wanted in asks.items():
        group = placed[key]
        group.asks[next(s.path for s in group.specs if _key(s.path) == key)] = wanted
    _name(groups, root)
    return groups


def _spec(path: Path, specs: Mapping[Any, RunSpec], root: Path) -> RunSpec | None:
    """The spec of a group's part: as discovered for an argument, else discovered here
    (``None`` when the sibling is not one run of its own)."""
    known = specs.get(_key(path))
    if known is not None:
        return known
    try:
        found = discover(path, root=root)
    except InputError:
        return None
    return next((s for s in found if _key(s.path) == _key(path)), None)


def _name(groups: list[Group], root: Path) -> None:
    """Name every local run, and every experiment of several parts, by where it is."""
    paths: list[Path] = []
    for group in groups:
        paths += [s.path for s in group.specs if isinstance(s.path, Path)]
        if len(group.specs) > 1:
            group.path = group.specs[0].path.parent
            paths.append(group.path)
    names = run_names(paths, root)
    for group in groups:
        group.specs = [
            s.renamed(names[s.path]) if isinstance(s.path, Path) else s for s in group.specs
        ]
        if group.path is not None:
            group.name = names[group.path]
