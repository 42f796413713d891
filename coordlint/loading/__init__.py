"""Bytes to columns to runs: read a run's logs into a :class:`~coordlint.columns.RunData`.

One module per job: :mod:`.source` and :mod:`.remote` (where bytes come from: local files and
fsspec URLs; only regular files), :mod:`.tfrecord` (framing and CRCs), :mod:`.resync` (finding
the next intact record after damage), :mod:`.damage` (what was skipped, counted exactly),
:mod:`.events` (scalar decoding), :mod:`.file_loader` (one event file, in windows, with the
cache), :mod:`.json_input` (JSON with a nesting limit), :mod:`.hf_logs` (ms-swift's
``logging.jsonl``, HF's ``trainer_state.json``), :mod:`.run_config` (the run's config files),
:mod:`.cache` (decoded columns kept between checks), :mod:`.sources` (MLflow, Lightning, W&B
and tables: one :class:`~.sources.Source` each) and :mod:`.run_loader` (one run from its
:class:`~.spec.RunSpec`). Damaged or hostile files never raise: their damage becomes problems,
and an exception reading one file costs only that file.

This layer knows nothing of rules, of where runs are found (discovery is the execution layer's)
or of the CLI; its parameters (decode threads, window sizes) are arguments.
"""

from coordlint.loading.file_loader import CHUNK_SIZE, load_file
from coordlint.loading.run_loader import load_run
from coordlint.loading.spec import RunSpec

__all__ = ["CHUNK_SIZE", "RunSpec", "load_file", "load_run"]
