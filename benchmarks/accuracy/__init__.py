"""coordlint's accuracy benchmark: labelled synthetic runs, scored rule by rule (see README.md)."""
