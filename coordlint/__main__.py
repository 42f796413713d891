"""``python -m coordlint``: the same as the ``coordlint`` command."""

from coordlint.cli import main

main()
