"""``coordlint rules``, ``explain`` and ``plugins``: what is loaded and what each rule does."""

from __future__ import annotations

import click

from coordlint.cli.options import open_session, setup_options
from coordlint.core import engine
from coordlint.core.engine_findings import ENGINE_RULES
from coordlint.core.session import Setup

__all__ = ["explain", "plugins_command", "rules_command"]

_RULE_HEADER = ("CODE", "NAME", "SEVERITY", "PLUGIN", "SUMMARY")


@click.command("rules")
@click.option("--all", "show_all", is_flag=True, help="Include rules the config disables.")
@setup_options
def rules_command(show_all: bool, setup: Setup) -> int:
    """List every rule: code, name, default severity, and the plugin it comes from."""
    session = open_session(setup).select()
    settings, loaded = session.settings, session.plugins
    enabled = {r.code for r in engine.select_rules(loaded.rules, settings)} | set(ENGINE_RULES)
    every = sorted([*loaded.rules.values(), *ENGINE_RULES.values()], key=lambda r: r.code)
    rows = [
        (r.code, r.name, str(settings.severity.get(r.code, r.severity)), r.plugin, r.summary)
        for r in every
        if show_all or r.code in enabled
    ]
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(_RULE_HEADER)]
    for row in [_RULE_HEADER, *rows]:
        click.echo(
            "  ".join(c.ljust(w) for c, w in zip(row[:4], widths, strict=False)) + "  " + row[4]
        )
    return 0


@click.command()
@click.argument("code")
@setup_options
def explain(code: str, setup: Setup) -> int:
    """Print one rule's documentation."""
    loaded = open_session(setup).plugins
    rule = loaded.rules.get(code.upper()) or ENGINE_RULES.get(code.upper())
    if rule is None:
        raise click.BadParameter(
            f"no rule has code {code!r} (see 'coordlint rules')", param_hint="'CODE'"
        )
    click.echo(
        f"{rule.code} {rule.name} (default severity: {rule.severity}; "
        f"plugin: {rule.plugin}; scope: {rule.scope})\n"
    )
    click.echo(rule.doc)
    if rule.params:
        click.echo(f"\nParams (override in config under params.{rule.code}):")
        for name, default in rule.params.items():
            click.echo(f"  {name} = {default!r}")
    return 0


@click.command("plugins")
@setup_options
def plugins_command(setup: Setup) -> int:
    """List loaded plugins: name, version, where it came from, its rules."""
    loaded = open_session(setup).plugins
    for info in loaded.info.values():
        rules = ", ".join(info.rules) or "-"
        click.echo(f"{info.name}  {info.version or '-'}  ({info.origin})  rules: {rules}")
    return 0
