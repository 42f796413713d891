"""Rules skipped for want of tags the run seems to log under other names: map them.

## What it does
After a run's rules have run, takes the rules that were not applicable because the run logs
none of the tags they asked for, and looks for *look-alikes* of those tags among the tags the
run does log: the same last component (``val/loss`` for ``eval/loss``), the same words
(``val/coord_soft_ce`` for ``eval/coord_diag/soft_ce``), or a close spelling. A look-alike
must be from the same split (``val``/``valid``/``validation``/``dev`` count as ``eval``). One
finding per run names each look-alike, the tag it looks like, the rules that wanted it, and the
``tag-aliases`` entry that would map it. It reads what the other selected rules asked for, so
it says nothing when it is selected alone.

## Why it matters
A renamed tag makes a rule silently not applicable: a soft-CE rebound logged as
``val/coord_soft_ce`` is never reported, and the check passes. ``tag-aliases`` in the config
maps the name; this finding says which entry to write. It guesses from names only, so it is
``info``: check that the look-alike measures the same thing before mapping it.

## Data
``pairs`` (``logged -> wanted`` pairs, ``; ``-separated), ``rules`` (the codes that wanted
them), ``config`` (the ``tag-aliases`` entry, as YAML flow mappings).

## Example
``run CL102 [info] 1 tag looks like one that rules need: val/coord_soft_ce for
eval/coord_diag/soft_ce (CL201); map it with tag-aliases: {eval/coord_diag/soft_ce:
[val/coord_soft_ce]}``

## Options
- ``min_similarity`` (default ``0.8``): how close a spelling must be (difflib's ratio, 0..1)
  when neither the last component nor the words match.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterator

import coordlint

_SPLITS = {
    "eval": "eval",
    "val": "eval",
    "valid": "eval",
    "validation": "eval",
    "dev": "eval",
    "test": "test",
    "train": "train",
    "training": "train",
}
_WORD = re.compile(r"[/_\-.\s]+")


@functools.lru_cache(maxsize=4096)
def _split_and_words(tag: str) -> tuple[str | None, tuple[str, ...]]:
    words = [w for w in _WORD.split(tag.lower()) if w]
    split = _SPLITS.get(words[0]) if words else None
    return split, tuple(words[1:] if split else words)


def _likeness(
    logged: str, wanted: str, min_similarity: float, matcher: difflib.SequenceMatcher
) -> tuple[int, float] | None:
    """How much ``logged`` looks like ``wanted``: (kind, spelling ratio), or None.

    ``matcher`` holds ``wanted``'s words as its second sequence (difflib caches what it learns
    about that one, so a matcher is made once per wanted tag)."""
    logged_split, logged_words = _split_and_words(logged)
    wanted_split, wanted_words = _split_and_words(wanted)
    if logged_split and wanted_split and logged_split != wanted_split:
        return None
    matcher.set_seq1("_".join(logged_words))
    if logged.rsplit("/", 1)[-1] == wanted.rsplit("/", 1)[-1]:
        return 2, matcher.ratio()
    small, large = sorted((set(logged_words), set(wanted_words)), key=len)
    if len(small) >= 2 and small <= large:
        return 1, matcher.ratio()
    # ratio() <= quick_ratio() <= real_quick_ratio(): the cheap bounds rule out most pairs.
    if matcher.real_quick_ratio() < min_similarity or matcher.quick_ratio() < min_similarity:
        return None
    ratio = matcher.ratio()
    return (0, ratio) if ratio >= min_similarity else None


@coordlint.rule(
    "CL102", "tags-not-recognised", severity="info", scope="runs", params={"min_similarity": 0.8}
)
def tags_not_recognised(
    runs: list[coordlint.Run], min_similarity: float
) -> Iterator[coordlint.Finding]:
    for run in runs:
        wanted_by: dict[str, list[str]] = {}
        for code, tags in sorted(run.lacks.items()):
            for tag in tags:
                wanted_by.setdefault(tag, []).append(code)
        if not wanted_by:
            continue
        logged_tags = tuple(t for t in run.tags if t not in wanted_by)
        best = _look_alikes(logged_tags, tuple(wanted_by), min_similarity)
        if best:
            yield _finding(run.name, dict(best), wanted_by)


@functools.lru_cache(maxsize=64)  # the runs of a sweep log the same tags and lack the same ones
def _look_alikes(
    logged_tags: tuple[str, ...], wanted_tags: tuple[str, ...], min_similarity: float
) -> tuple[tuple[str, str], ...]:
    """``(logged, wanted)`` pairs, sorted by logged tag: each logged tag's likest wanted tag
    (the first of equally like ones)."""
    best: dict[str, tuple[tuple[int, float], str]] = {}  # logged tag -> (likeness, wanted)
    for wanted in wanted_tags:
        matcher = difflib.SequenceMatcher(None, b="_".join(_split_and_words(wanted)[1]))
        for logged in logged_tags:
            likeness = _likeness(logged, wanted, min_similarity, matcher)
            if likeness is not None and (logged not in best or likeness > best[logged][0]):
                best[logged] = (likeness, wanted)
    return tuple((logged, wanted) for logged, (_, wanted) in sorted(best.items()))


def _finding(run: str, pairs: dict[str, str], wanted_by: dict[str, list[str]]) -> coordlint.Finding:
    aliases: dict[str, list[str]] = {}
    for logged, wanted in pairs.items():
        aliases.setdefault(wanted, []).append(logged)
    codes = sorted({c for wanted in aliases for c in wanted_by[wanted]})
    config = ", ".join(f"{wanted}: [{', '.join(logged)}]" for wanted, logged in aliases.items())
    described = "; ".join(
        f"{logged} for {wanted} ({', '.join(wanted_by[wanted])})"
        for logged, wanted in pairs.items()
    )
    n = len(pairs)
    return coordlint.Finding(
        f"{n} tag{'s look' if n != 1 else ' looks'} like {'ones' if n != 1 else 'one'} that "
        f"rules need: {described}; map {'them' if n != 1 else 'it'} with tag-aliases: {{{config}}}",
        run=run,
        data={
            "pairs": "; ".join(f"{logged} -> {wanted}" for logged, wanted in pairs.items()),
            "rules": ", ".join(codes),
            "config": f"tag-aliases: {{{config}}}",
        },
    )
