"""A source's YAML config file (Lightning's ``hparams.yaml``, W&B's ``config.yaml``, MLflow's
``meta.yaml``) → a mapping, or a ``bad-config`` problem; never an exception.

Lightning dumps hyperparameters with ``yaml.dump``, which tags a tuple ``!!python/tuple`` (and
an object ``!!python/object:...``); such a node is read as the plain list or mapping it holds,
so one tuple does not cost the whole config. Nothing is ever constructed from a tag.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from coordlint.columns import Problem
from coordlint.loading import source
from coordlint.loading.sources.base import MAX_SMALL_BYTES

__all__ = ["read_yaml_config"]


class _PlainLoader(yaml.SafeLoader):
    """Safe YAML that reads any tagged node as the plain data it holds."""


def _plain(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_PlainLoader.add_multi_constructor("tag:yaml.org,2002:python/", _plain)
_PlainLoader.add_multi_constructor("!", _plain)


def read_yaml_config(path: Path, problems: list[Problem]) -> Mapping[str, Any] | None:
    """``path``'s top-level mapping (safe YAML), or ``None`` with the reason in ``problems``."""
    name = str(path)
    data = source.read_whole(path, MAX_SMALL_BYTES)
    if isinstance(data, Problem):
        problems.append(data)
        return None
    try:
        doc = yaml.load(data, Loader=_PlainLoader)  # safe: see above
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or type(exc).__name__
        problems.append(Problem(name, "bad-config", f"not valid YAML{where} ({reason}); ignored"))
        return None
    if doc is None:
        return {}
    if not isinstance(doc, Mapping):
        kind = type(doc).__name__
        problems.append(Problem(name, "bad-config", f"a YAML {kind}, not a mapping; ignored"))
        return None
    return doc
