"""Rule selection (coordlint/core/selection.py): entries checked against the known codes, and
the longest match between select and ignore deciding each code."""

from __future__ import annotations

import pytest

from coordlint.core.selection import ALL, enabled_codes, validate_entries
from coordlint.errors import ConfigError

KNOWN = ["CL101", "CL201", "CL204", "TM001"]


def test_entries_are_stripped_upper_cased_and_blank_ones_dropped():
    assert validate_entries([" cl2 ", "", "  ", "all", "Tm001"], KNOWN, "select") == [
        "CL2",
        ALL,
        "TM001",
    ]


def test_an_entry_that_prefixes_no_known_code_names_the_key_and_a_close_code():
    with pytest.raises(ConfigError) as caught:
        validate_entries(["CL1", "cl21"], KNOWN, "coordlint.yaml:3: select")
    assert str(caught.value) == (
        "coordlint.yaml:3: select: unknown rule code or prefix 'cl21' (did you mean 'CL201'?)"
    )
    with pytest.raises(ConfigError, match=r"^ignore: unknown rule code or prefix 'ZZ'$"):
        validate_entries(["ZZ"], iter(KNOWN), "ignore")  # any iterable of codes


@pytest.mark.parametrize(
    ("select", "ignore", "expected"),
    [
        ([ALL], [], KNOWN),
        ([], [], []),
        ([ALL], [ALL], []),  # a tie goes to ignore
        (["CL"], [ALL], ["CL101", "CL201", "CL204"]),
        (["CL20"], ["CL2"], ["CL201", "CL204"]),  # the longer select wins
        (["CL2"], ["CL20"], []),
        (["CL2"], ["CL204"], ["CL201"]),
        (["CL204", "CL2"], ["CL20"], ["CL204"]),  # the longest of several entries counts
        (["TM001"], ["CL", "TM"], ["TM001"]),
    ],
)
def test_the_longest_match_decides(select, ignore, expected):
    assert enabled_codes(KNOWN, select, ignore) == expected


def test_codes_keep_their_given_order():
    assert enabled_codes(["TM001", "CL101"], [ALL], []) == ["TM001", "CL101"]
