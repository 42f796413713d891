#!/usr/bin/env bash
# Mutation testing of the built-in rules and of rule selection/config ([tool.mutmut] in
# pyproject.toml), in a scratch copy of the working tree so the repo never holds mutants/.
# Prints mutmut's per-mutant results and the score per file; the survivors are listed with their
# reasons in benchmarks/mutation-survivors.md. By hand, not in CI: all 4,260 mutants take well
# over an hour on 2 cores (25-75 mutants a minute); give a few SOURCE_PATHs for one sitting.
#   pip install -e ".[test]" mutmut && bash benchmarks/mutation.sh [SOURCE_PATH...]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# MUTATION_WORK=DIR keeps the scratch copy there (for `mutmut show NAME` afterwards).
if [ -n "${MUTATION_WORK:-}" ]; then
  rm -rf "$MUTATION_WORK" && mkdir -p "$MUTATION_WORK" && work=$(cd "$MUTATION_WORK" && pwd)
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
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
# mutmut skips decorated functions, and every rule's body sits under @coordlint.rule (helpers
# under lru_cache): in the scratch copy only, apply @coordlint.rule by assignment after the def
# (`f = coordlint.rule(...)(f)`, the same Rule at import) and drop lru_cache (pure functions: a
# cache filled before mutmut forks would answer for the mutant), so mutmut mutates the bodies.
python - <<'PY'
import ast, pathlib
UNWRAP, DROP = ("coordlint.rule(",), ("lru_cache(", "functools.lru_cache(")
for path in sorted(pathlib.Path("rules").glob("*.py")):
    src = path.read_text()
    lines = src.splitlines(keepends=True)
    for node in reversed(ast.parse(src).body):
        if not isinstance(node, ast.FunctionDef) or not node.decorator_list:
            continue
        decorators = [ast.get_source_segment(src, d) or "" for d in node.decorator_list]
        if not all(d.startswith(UNWRAP + DROP) for d in decorators):
            continue
        applied = node.name
        for d in reversed(decorators):
            applied = applied if d.startswith(DROP) else f"{d}({applied})"
        assert node.end_lineno is not None
        if applied != node.name:
            lines[node.end_lineno : node.end_lineno] = [f"{node.name} = {applied}\n"]
        del lines[node.decorator_list[0].lineno - 1 : node.lineno - 1]
    path.write_text("".join(lines))
PY
mutmut run --max-children "${MUTMUT_CHILDREN:-2}" >/dev/null 2>&1 || true
mutmut results --all true > results.txt 2>/dev/null || mutmut results > results.txt
grep -v ": killed" results.txt || true
python - <<'PY'
import collections, re
# Per file: killed (a test failed, or it timed out) against every mutant it could not kill
# (survived, no test reaches it, suspicious).
rows = collections.defaultdict(collections.Counter)
for name, status in re.findall(r"^\s*(\S+): ([a-z ]+)$", open("results.txt").read(), re.M):
    module = re.split(r"\.x[_ǁ]", name, maxsplit=1)[0]
    rows[module]["killed" if status in ("killed", "timeout") else status] += 1
total = collections.Counter()
for module, counts in sorted(rows.items()):
    total.update(counts)
    n = sum(counts.values())
    rest = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k != "killed")
    print(f"{module:55} {n:5} mutants {counts['killed'] / n:6.1%} killed  {rest}")
n = sum(total.values())
print(f"mutants: {n}, killed: {total['killed']}, survived: {total['survived']}, "
      f"no tests: {total['no tests']}")
if n:
    print(f"score: {total['killed'] / n:.1%} of mutants killed")
PY
