#!/usr/bin/env bash
# compare.sh - dpctl against Ansible and pyinfra on the 20-task bench, over a
# loopback sshd fleet, N=1, 10, 50 hosts, first run and idempotent rerun.
# Writes $OUT/compare.md: medians per tool and dpctl/peer ratios (lower is better),
# plus run_baseline.sh's own summary and the tree-digest checks (every tool must
# leave identical host trees).
#
#   cargo build --release           # dpctl and dpctl-agent, from the repository root
#   benches/fleet/compare.sh        # ~40 min on 2 cores with the defaults (Ansible dominates)
#   FIRST_RUNS=1 RERUNS=1 benches/fleet/compare.sh    # a quicker, noisier pass
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export BASE=${BASE:-/tmp/perfbase}
export OUT=${OUT:-$BASE/results/compare-$(date +%Y%m%d-%H%M%S)}
export HOST_COUNTS=${HOST_COUNTS:-"1 10 50"}
export TOOLS=${TOOLS:-"ansible pyinfra dpctl"}
export EXTRA_N=${EXTRA_N:-none}     # skip the forks=5 / default-config Ansible extras
export HYPERFINE=${HYPERFINE:-0}
"$here/run_baseline.sh" "$@"
python3 - "$OUT/results.jsonl" "$OUT/compare.md" <<'PY'
import json, statistics, sys
from collections import defaultdict
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
wall = defaultdict(list)
mem_ok = {}
for r in rows:
    if not r.get("ok"):
        continue
    wall[(r["tool"], int(r["hosts"]), r["phase"])].append(r["wall_s"])
def med(tool, n, phase):
    v = wall.get((tool, n, phase))
    return statistics.median(v) if v else None
ns = sorted({k[1] for k in wall})
out = ["| hosts | phase | ansible s | pyinfra s | dpctl s | dpctl/ansible | dpctl/pyinfra |", "|---|---|---|---|---|---|---|"]
for n in ns:
    for phase in ("first", "rerun"):
        a, p, d = med("ansible", n, phase), med("pyinfra", n, phase), med("dpctl", n, phase)
        f = lambda x: "–" if x is None else f"{x:.2f}"
        ratio = lambda x, y: "–" if x is None or y is None or y == 0 else f"{x / y:.3f}"
        out.append(f"| {n} | {phase} | {f(a)} | {f(p)} | {f(d)} | {ratio(d, a)} | {ratio(d, p)} |")
open(sys.argv[2], "w").write("\n".join(out) + "\n")
print("\n".join(out))
PY
echo "compare.sh: $OUT/compare.md"
