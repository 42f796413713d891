"""Write ``lightning_version_0/`` with Lightning's own ``CSVLogger`` (needs ``lightning``, and so
torch: not a test dependency; the files it wrote are committed beside this script).

``tests/sources/test_lightning.py`` reads them and checks that its ``csv``-module writer
produces the same bytes for the same calls, so the tests that write layouts themselves write
Lightning's exact format::

    python tests/sources/data/make_lightning.py   # lightning 2.6.6
"""

from __future__ import annotations

import shutil
from pathlib import Path

from lightning.pytorch.loggers import CSVLogger
from lightning_calls import CALLS, HPARAMS

HERE = Path(__file__).resolve().parent


def main() -> None:
    out = HERE / "lightning"
    shutil.rmtree(out, ignore_errors=True)
    logger = CSVLogger(str(out), name="coord")
    logger.log_hyperparams(HPARAMS)
    for step, metrics in CALLS:
        logger.log_metrics(metrics, step=step)
        if step == 19:
            logger.save()  # a flush mid-run: the later new columns rewrite the header
    logger.finalize("success")
    target = HERE / "lightning_version_0"
    shutil.rmtree(target, ignore_errors=True)
    shutil.move(str(out / "coord" / "version_0"), target)
    shutil.rmtree(out)


if __name__ == "__main__":
    main()
