"""A run's resolved configuration, as rules read it: every key of every config file the run has.

:class:`RunConfig` is a read-only mapping over one or more documents in priority order (for an
ms-swift run: ``resolved_config.json``'s ``resolved`` object, then ``args.json``, then the
trainer arguments kept in ``trainer_state.json``). A key is dotted: ``config.get("training.
eval_steps")`` walks the nested documents; a document may also hold dotted keys literally (a
test's ``make_run(config={"coord_soft_ce_w1.ce_weight": 1.0})``). The first document that
holds a key wins. Iterating yields every leaf key, dotted.

Values are the rule's own: a nested mapping or list comes as a fresh copy, so a rule that changes
what it read changes nothing another rule reads. :meth:`RunConfig.mistyped` checks the keys the
plugins declared (``coordlint_config_keys``) against the types they expect.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

__all__ = ["CONFIG_TYPES", "RunConfig", "expected_type"]

_MISSING = object()

#: The types a run-config key may be declared with, and how a wrong value is described.
CONFIG_TYPES: dict[type, str] = {
    bool: "true or false",
    int: "an integer",
    float: "a finite number",
    str: "a string",
}


def expected_type(value: Any, kind: type) -> bool:
    """Whether ``value`` is of config type ``kind`` (one of :data:`CONFIG_TYPES`): ``bool`` only
    ``True``/``False``; ``int`` an integer, not a bool; ``float`` a finite int or float, not a
    bool; ``str`` a string."""
    if kind is bool or isinstance(value, bool):
        return kind is bool and isinstance(value, bool)
    if kind is int:
        return isinstance(value, int)
    if kind is float:
        return isinstance(value, (int, float)) and math.isfinite(value)
    return isinstance(value, kind)


class RunConfig(Mapping[str, Any]):
    """Every key of a run's config files, nested documents flattened to dotted keys."""

    __slots__ = ("_docs", "_flat", "sources")

    def __init__(
        self,
        docs: Sequence[Mapping[str, Any]] | Mapping[str, Any] = (),
        sources: Sequence[str] = (),
    ) -> None:
        """``docs`` in priority order (or one mapping); ``sources`` names the file of each."""
        if isinstance(docs, Mapping):
            docs = [docs]
        docs, sources = list(docs), list(sources)
        if len(sources) == len(docs):  # keep each document's file beside it
            pairs = [(d, f) for d, f in zip(docs, sources, strict=True) if d]
            docs, sources = [d for d, _ in pairs], [f for _, f in pairs]
        self._docs: tuple[Mapping[str, Any], ...] = tuple(d for d in docs if d)
        #: The files the documents came from, in the same order (for reports).
        self.sources: tuple[str, ...] = tuple(sources)
        self._flat: dict[str, Any] | None = None

    def _lookup(self, key: str) -> Any:
        for doc in self._docs:
            if key in doc:
                return doc[key]
            node: Any = doc
            for part in key.split("."):
                if not isinstance(node, Mapping) or part not in node:
                    node = _MISSING
                    break
                node = node[part]
            if node is not _MISSING:
                return node
        return _MISSING

    def __getitem__(self, key: str) -> Any:
        value = self._lookup(key) if isinstance(key, str) else _MISSING
        if value is _MISSING:
            raise KeyError(key)
        return copy.deepcopy(value) if isinstance(value, (Mapping, list)) else value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._lookup(key) is not _MISSING

    def _leaves(self) -> dict[str, Any]:
        if self._flat is None:
            flat: dict[str, Any] = {}
            for doc in self._docs:
                _flatten(doc, "", flat)
            self._flat = flat
        return self._flat

    def __iter__(self) -> Iterator[str]:
        return iter(self._leaves())

    def __len__(self) -> int:
        return len(self._leaves())

    def __repr__(self) -> str:
        return f"RunConfig({len(self)} keys from {', '.join(self.sources) or 'no file'})"

    @classmethod
    def layered(cls, configs: Sequence[Mapping[str, Any]]) -> RunConfig:
        """One config over several, in priority order (a resumed run's latest part first)."""
        docs: list[Mapping[str, Any]] = []
        sources: list[str] = []
        for config in configs:
            if isinstance(config, RunConfig):
                docs.extend(config._docs)
                sources.extend(config.sources)
            elif config:
                docs.append(config)
        return cls(docs, sources)

    def source_of(self, key: str) -> str | None:
        """The file of the first document that holds ``key`` (``None``: not known)."""
        if len(self.sources) != len(self._docs):
            return None
        for doc, source in zip(self._docs, self.sources, strict=True):
            if RunConfig(doc)._lookup(key) is not _MISSING:
                return source
        return None

    def mistyped(self, types: Mapping[str, type]) -> list[tuple[str, Any]]:
        """``(key, value)`` for each key of ``types`` this config holds with a value that is not
        of its declared type (see :func:`expected_type`; ``null`` counts as not set)."""
        wrong = []
        for key, kind in types.items():
            value = self._lookup(key)
            if value is not _MISSING and value is not None and not expected_type(value, kind):
                wrong.append((key, value))
        return wrong

    def without(self, keys: Sequence[str]) -> RunConfig:
        """This config with ``keys`` hidden (a value of the wrong type, say)."""
        if not keys:
            return self
        hidden = set(keys)
        docs = [_drop(doc, hidden) for doc in self._docs]
        return RunConfig(docs, self.sources)


def _flatten(node: Mapping[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, value in node.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            _flatten(value, dotted + ".", out)
        else:
            out.setdefault(dotted, value)


def _drop(doc: Mapping[str, Any], hidden: set[str], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in doc.items():
        dotted = f"{prefix}{key}"
        if dotted in hidden:
            continue
        out[key] = _drop(value, hidden, dotted + ".") if isinstance(value, Mapping) else value
    return out
