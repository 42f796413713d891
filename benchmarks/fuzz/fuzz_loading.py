"""Every loading campaign in turn: ``python benchmarks/fuzz/fuzz_loading.py [--only NAME]``.

``fuzz_events``, ``fuzz_records``, ``fuzz_json`` and ``fuzz_cache`` each run their default case
count from their default seed (``--cases N`` / ``--seed S`` for all of them); together they take
under ten minutes on the 2-core machine. Prints one row per campaign and its first failures;
exits 1 if any campaign found one. Each campaign also runs alone as a script.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fuzz_cache
import fuzz_events
import fuzz_json
import fuzz_records
from load_harness import REALRUNS

CAMPAIGNS = {
    "events": fuzz_events,
    "records": fuzz_records,
    "json": fuzz_json,
    "cache": fuzz_cache,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(CAMPAIGNS), action="append")
    parser.add_argument("--cases", type=int, help="cases per campaign (default: its own)")
    parser.add_argument("--seed", type=int, help="seed for every campaign (default: its own)")
    parser.add_argument("--realruns", type=Path, default=REALRUNS)
    args = parser.parse_args()
    failures = 0
    start = time.perf_counter()
    for name in args.only or list(CAMPAIGNS):
        campaign = CAMPAIGNS[name]
        with tempfile.TemporaryDirectory(prefix=f"coordlint-fuzz-{name}-") as tmp:
            tally = campaign.run(
                args.cases or campaign.CASES,
                campaign.SEED if args.seed is None else args.seed,
                Path(tmp),
                args.realruns,
            )
        print(tally.row(), flush=True)
        for example in tally.examples:
            print(f"    {example}")
        failures += tally.failures
    print(f"all campaigns: {time.perf_counter() - start:.0f} s, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
