"""Every hook coordlint calls. A plugin implements some of them with ``@coordlint.hookimpl``.

The built-in rules and formatters register through these same hooks, so anything they do a
team's plugin can do too. ``check_pending()`` runs after loading, so a misspelled hook name in a
plugin fails loudly instead of being silently ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from coordlint.report import Report
    from coordlint.rule import Rule

hookspec = pluggy.HookspecMarker("coordlint")
hookimpl = pluggy.HookimplMarker("coordlint")


@hookspec
def coordlint_rules() -> Sequence[Rule]:  # type: ignore[empty-body]
    """Return the rules this plugin provides.

    Each item is what ``@coordlint.rule(...)`` returns. Codes are 1-3 capital letters and three
    digits and must be unique across all loaded plugins; a code registered twice is a load
    error that names both plugins. The ``CL`` prefix is reserved for coordlint's own rules.

    Example::

        @coordlint.hookimpl
        def coordlint_rules():
            return [final_eval_loss_high]
    """


#: A summary column: ``(name, tags)``, or ``(name, tags, "lower" | "higher")``.
SummaryColumn = tuple[str, Sequence[str]] | tuple[str, Sequence[str], str]


@hookspec
def coordlint_summary_columns() -> Sequence[SummaryColumn]:  # type: ignore[empty-body]
    """Return columns for ``coordlint summary``, as ``(column name, tags)`` pairs, or
    ``(column name, tags, "lower" | "higher")`` to say which way the metric is better.

    A column shows each run's last finite value of the first of its ``tags`` the run logs
    (``NA`` when it logs none), so a column can name where a metric lives in different
    trainers, preferred first. ``summary --checkpoints`` shows it at each kept checkpoint's
    step and marks the best value of a column that says which way is better. The built-in
    pack contributes the coord diagnostics; a team's plugin may add its own. Column names must
    be unique across plugins.

    Example::

        @coordlint.hookimpl
        def coordlint_summary_columns():
            return [("eval_map50", ["eval/bbox_mAP_50", "eval/map50"], "higher")]
    """


@hookspec
def coordlint_config_keys() -> Mapping[str, type]:  # type: ignore[empty-body]
    """Return the run-config keys this plugin's rules read, with the type each must have.

    Keys are dotted, as ``run.config`` reads them; types are ``bool`` (only true/false),
    ``int``, ``float`` (any finite number) and ``str``. Before rules run, a key a run's config
    holds with a value of another type (``"false"`` for a bool, ``Infinity`` or ``"2"`` for a
    number) is hidden from every rule and reported by ``CL901 corrupt-log`` (a ``bad-config``
    problem naming the key), so no rule misreads it and each falls back to what the logs show.
    ``null`` counts as not set. Two plugins may declare one key only with the same type.

    Example::

        @coordlint.hookimpl
        def coordlint_config_keys():
            return {"training.eval_steps": float, "model.name": str}
    """


@hookspec
def coordlint_formatters() -> Mapping[str, Callable[[Report], str]]:  # type: ignore[empty-body]
    """Return output formats this plugin provides, as ``{name: format_function}``.

    A format function receives the finished :class:`coordlint.report.Report` and returns the
    whole report as a string; it must not print. The name becomes a choice of
    ``--output-format``. Names must be unique across plugins.
    """


@hookspec
def coordlint_sources() -> Sequence[Any]:  # type: ignore[empty-body]
    """Return the log stores this plugin reads, as ``coordlint.loading.sources.Source``
    instances (a subclass with a ``name``, ``read()``, and ``recognise()`` for a directory
    layout and/or ``claim()`` for a file kind; see README "Other sources").

    Discovery asks the built-in sources first (MLflow, Lightning, W&B, CSV and JSON-lines
    tables), then each plugin's, in plugin order. Names must be unique across plugins.

    Example::

        @coordlint.hookimpl
        def coordlint_sources():
            return [OurTrackerSource()]
    """


@hookspec
def coordlint_reference_config() -> Mapping[str, Sequence[str]]:  # type: ignore[empty-body]
    """Return the config keys a reference run keeps, as ``{key: paths}``: the key a rule reads
    from ``reference.config``, and the dotted paths of a run's config that may hold it,
    preferred first.

    ``coordlint reference build`` (and ``check --reference RUN``) keep only these keys of a
    reference run's config, so a reference file holds the settings rules compare and nothing
    else of the run's config (no paths, no tokens). The built-in pack keeps the coord loss
    settings CL502 compares (temperature, target sigma and truncation, loss weights). Keys
    must be unique across plugins.

    Example::

        @coordlint.hookimpl
        def coordlint_reference_config():
            return {"lr": ["training.learning_rate", "learning_rate"]}
    """
