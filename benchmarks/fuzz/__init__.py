"""Fuzz campaigns against coordlint's loaders: hostile and broken input, run by hand or by CI.

Each campaign has a case count and a seed (``python benchmarks/fuzz/run.py``, see
``benchmarks/README.md``); a small fixed-seed slice of each runs in the test suite
(``tests/loading/test_fuzz.py``). Every campaign counts crashes (an exception out of the
loader), hangs (a case over its time limit), loader errors (an exception the loader turned into
a ``loader-error`` problem: a coordlint bug one file met), wrong values (a point that no intact
record holds) and lost points (a point of an intact record that did not come back).
"""
