"""CL102 tags-not-recognised: look-alikes of the tags skipped rules wanted, and the alias."""

from __future__ import annotations

import pytest

import coordlint
from coordlint.core.plugins import load_plugins
from coordlint.testing import check, make_run

CL102 = load_plugins(autoload=False).rules["CL102"]


@coordlint.rule("TM060", "wants-tags", params={"tags": ["eval/loss"]})
def wants(run, tags):
    """Asks for ``tags`` and finds nothing: not applicable when none is logged."""
    for tag in tags:
        run.series(tag)
    return iter(())


@coordlint.rule("TM061", "wants-loss-too")
def wants_too(run):
    """Asks for eval/loss."""
    run.series("eval/loss")
    return iter(())


def look_alikes(*runs, wanted=("eval/loss",), min_similarity=None, also=()):
    params = {"TM060": {"tags": list(wanted)}}
    if min_similarity is not None:
        params["CL102"] = {"min_similarity": min_similarity}
    return check(list(runs), params=params, rules=[CL102, wants, *also])


def run(*tags, name="run"):
    return make_run({t: {1: 1.0} for t in tags}, name=name)


def test_the_documented_example_through_cl201():
    logged = make_run({"val/coord_soft_ce": {s: 4.0 for s in range(100, 1001, 100)}})
    (finding,) = check(logged, ["CL102", "CL201"])
    assert finding.message == (
        "1 tag looks like one that rules need: val/coord_soft_ce for eval/coord_diag/soft_ce "
        "(CL201); map it with tag-aliases: {eval/coord_diag/soft_ce: [val/coord_soft_ce]}"
    )
    assert (finding.code, finding.severity.name, finding.run) == ("CL102", "INFO", "run")
    assert finding.data == {
        "pairs": "val/coord_soft_ce -> eval/coord_diag/soft_ce",
        "rules": "CL201",
        "config": "tag-aliases: {eval/coord_diag/soft_ce: [val/coord_soft_ce]}",
    }


@pytest.mark.parametrize(
    ("logged", "alike"),
    [
        ("val/loss", True),  # the same last component, an eval split by another name
        ("dev/loss", True),
        ("validation/loss", True),
        ("loss", True),  # no split named: any split
        ("val/extra/loss", True),  # the last component, however deep
        ("train/loss", False),  # another split is another curve
        ("test/loss", False),
        ("val/accuracy", False),
    ],
)
def test_a_look_alike_is_of_the_same_split(logged, alike):
    found = look_alikes(run(logged))
    assert [f.data["pairs"] for f in found] == ([f"{logged} -> eval/loss"] if alike else [])


@pytest.mark.parametrize(
    ("logged", "alike"),
    [
        ("val/error_coord", True),  # the same two words in another order
        ("val/coord/box_error", True),  # the wanted words, and more
        ("error_coord", True),  # no split named: all its words count
        ("val/error", False),  # one word in common is not enough
    ],
)
def test_the_same_words_make_a_look_alike(logged, alike):
    found = look_alikes(run(logged), wanted=["eval/coord_error"])
    assert len(found) == int(alike)


@pytest.mark.parametrize(("min_similarity", "alike"), [(0.8, True), (0.81, False)])
def test_a_close_spelling_at_min_similarity_counts(min_similarity, alike):
    # "abcde" and "abcdf": difflib's ratio is 2 * 4 / 10 = 0.8
    found = look_alikes(run("val/abcde"), wanted=["eval/abcdf"], min_similarity=min_similarity)
    assert len(found) == int(alike)


def test_the_closest_wanted_tag_is_named():
    # the same last component beats a closer spelling (0.42 against 0.89)
    (finding,) = look_alikes(run("val/loss"), wanted=["eval/losss", "eval/coord_diag/loss"])
    assert finding.data["pairs"] == "val/loss -> eval/coord_diag/loss"
    # two wanted tags alike in kind: the closer spelling wins
    (finding,) = look_alikes(
        run("val/coord_error"), wanted=["eval/coord_error_x", "eval/coord_error"]
    )
    assert finding.data["pairs"] == "val/coord_error -> eval/coord_error"
    # an exact tie: the first wanted
    (finding,) = look_alikes(run("val/abcdx"), wanted=["eval/abcdy", "eval/abcdz"])
    assert finding.data["pairs"] == "val/abcdx -> eval/abcdy"


def test_a_spelling_is_compared_over_all_the_words():
    # "coord_eror" against "coord_error": 0.95; the words joined without "_" would not be
    found = look_alikes(run("val/coord_eror"), wanted=["eval/coord_error"], min_similarity=0.9)
    assert [f.data["pairs"] for f in found] == ["val/coord_eror -> eval/coord_error"]


def test_the_last_component_beats_the_words_and_the_words_beat_a_spelling():
    # same last component (ratio 0.55) against the same words and more (ratio 0.92)
    wanted = ["eval/error_coord_x", "eval/long_prefix_words/error_coord"]
    (finding,) = look_alikes(run("val/error_coord"), wanted=wanted)
    assert finding.data["pairs"] == "val/error_coord -> eval/long_prefix_words/error_coord"
    # the same words (a low ratio) against a close spelling (0.89)
    (finding,) = look_alikes(run("val/abcdeg_gh"), wanted=["eval/abcdeg_gx", "eval/gh_zz_abcdeg"])
    assert finding.data["pairs"] == "val/abcdeg_gh -> eval/gh_zz_abcdeg"


def test_several_look_alikes_are_one_finding_grouped_by_the_tag_they_map_to():
    (finding,) = look_alikes(run("val/loss", "dev/loss", "train/loss"), also=[wants_too])
    assert finding.message == (
        "2 tags look like ones that rules need: dev/loss for eval/loss (TM060, TM061); "
        "val/loss for eval/loss (TM060, TM061); map them with tag-aliases: "
        "{eval/loss: [dev/loss, val/loss]}"
    )
    assert finding.data == {
        "pairs": "dev/loss -> eval/loss; val/loss -> eval/loss",
        "rules": "TM060, TM061",
        "config": "tag-aliases: {eval/loss: [dev/loss, val/loss]}",
    }


def test_each_run_gets_its_own_finding_and_a_run_lacking_nothing_none():
    found = look_alikes(run("val/loss", name="a"), run("eval/loss", name="b"))
    assert [(f.run, f.data["pairs"]) for f in found] == [("a", "val/loss -> eval/loss")]


def test_nothing_skipped_for_want_of_tags_nothing_said():
    assert check(run("val/loss"), "CL102") == []  # selected alone: no rule wanted anything


def test_look_alikes_of_several_wanted_tags_list_each_alias():
    (finding,) = look_alikes(run("val/loss", "val/acc"), wanted=["eval/loss", "eval/acc"])
    assert finding.data["config"] == "tag-aliases: {eval/acc: [val/acc], eval/loss: [val/loss]}"
