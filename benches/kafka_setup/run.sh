#!/usr/bin/env bash
# Times the KafkaSetup job (playbooks/deploy/kafka_setup.yml: kafka_topic's bulk `topics:` form with the
# 46 topics of roles/kafka_topics/defaults/main.yml) against the real Kafka 4 test broker: the first
# run, which creates all 46 (they are deleted first), and the no-op rerun.
#
#   benches/kafka_setup/run.sh [HOST:PORT]
#
# HOST:PORT defaults to the broker of tests/servers/kafka.sh (started if needed). Uses the dpctl and
# dpctl-agent in ${CARGO_TARGET_DIR:-target}/${PROFILE:-debug} (build them first:
# `cargo build -p dpctl -p dpctl-modules --bins`). Prints, per run, the wall time of the whole
# `dpctl playbook` command and the kafka_topic task's own duration_ms from the JSON output.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
bin="${CARGO_TARGET_DIR:-$root/target}/${PROFILE:-debug}"
dpctl="$bin/dpctl"
[[ -x "$dpctl" && -x "$bin/dpctl-agent" ]] || { echo "build first: cargo build -p dpctl -p dpctl-modules --bins" >&2; exit 1; }
addr="${1:-$(tests/servers/kafka.sh ensure | tail -1)}"
work="$(mktemp -d)"
trap '[[ -n "${KEEP:-}" ]] || rm -rf "$work"' EXIT

# The same 46 topics, named as the role names them in env `dev`, deleted first. The list is the
# role's (modules/tests/data/kafka_setup_topics.json holds it without the env prefix).
python3 - "$addr" >"$work/absent.json" <<'PY'
import json, sys
topics = json.load(open("modules/tests/data/kafka_setup_topics.json"))
names = [{"name": "dev." + t["name"]} for t in topics]
assert len(names) == 46, len(names)
print(json.dumps({"bootstrap_servers": sys.argv[1], "state": "absent", "timeout": 60, "topics": names}))
PY
"$dpctl" run localhost -i inventories/local -m kafka_topic -a "$(cat "$work/absent.json")" >"$work/delete.out" || {
    cat "$work/delete.out" >&2
    exit 1
}

run() {
    local label="$1" start end
    start=$(date +%s%N)
    "$dpctl" playbook playbooks/deploy/kafka_setup.yml -i inventories/local --output json \
        -e '{"dp_sandbox": false}' -e "dp_root=$work/root" -e "kafka_brokers=$addr" >"$work/$label.json"
    end=$(date +%s%N)
    python3 - "$label" "$(( (end - start) / 1000000 ))" "$work/$label.json" <<'PY'
import json, sys
label, wall, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
events = [json.loads(l) for l in open(path) if l.startswith("{")]
# The kafka_topic result is the one that reports `topics`.
task = [e for e in events if e.get("event") == "result" and "topics" in e.get("result", {})]
assert len(task) == 1, "no kafka_topic result (is dp_sandbox false?)"
t = task[0]
changed = sum(1 for x in t["result"]["topics"] if x["changed"])
print(f"{label}: kafka_topic task {t['status']} ({changed} of {len(t['result']['topics'])} topics changed) "
      f"in {t['duration_ms']:.0f} ms; whole dpctl playbook command {wall} ms")
PY
}

echo "broker $addr, $(basename "$bin") build, 46 topics"
run create
run rerun
