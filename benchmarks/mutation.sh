#!/usr/bin/env bash
# Mutation testing of the built-in rules and of rule selection/config ([tool.mutmut] in
# pyproject.toml), in a scratch copy of the working tree so the repo never holds mutants/.
# Prints mutmut's per-mutant results and the score; survivors judged equivalent are listed with
# their reasons in benchmarks/mutation-survivors.md. By hand, not in CI: ~10-20 min on 2 cores.
#   pip install -e ".[test]" mutmut && bash benchmarks/mutation.sh [SOURCE_PATH...]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
( cd "$repo" && git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} cp -P --parents {} "$work" )
# mutmut runs the tests in $work/mutants, whose tests look for ../shared beside it.
[ -d "$repo/../shared" ] && ln -s "$(cd "$repo/.." && pwd)/shared" "$work/shared"
cd "$work"
if [ "$#" -gt 0 ]; then  # mutate only these paths (e.g. coordlint/rules/cl201_soft_ce_rebound.py)
  python - "$@" <<'PY'
import re, sys
text = open("pyproject.toml").read()
paths = ", ".join(f'"{p}"' for p in sys.argv[1:])
text = re.sub(r"source_paths = \[[^\]]*\]", f"source_paths = [{paths}]", text, count=1)
open("pyproject.toml", "w").write(text)
PY
fi
mutmut run --max-children "${MUTMUT_CHILDREN:-2}" >/dev/null 2>&1 || true
mutmut results --all true > results.txt 2>/dev/null || mutmut results > results.txt
grep -v ": killed" results.txt || true
python - <<'PY'
import collections, re
counts = collections.Counter(re.findall(r": ([a-z ]+)$", open("results.txt").read(), re.M))
killed, survived = counts.get("killed", 0), counts.get("survived", 0)
timeout = counts.get("timeout", 0)
total = killed + survived + timeout
print(f"mutants: {total}, killed: {killed} (+{timeout} timeouts), survived: {survived}")
if total:
    print(f"score: {(killed + timeout) / total:.1%} of mutants killed")
PY
