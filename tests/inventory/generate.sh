#!/usr/bin/env bash
# Regenerate the expected outputs of the inventory fidelity suite with real ansible-core.
#
# Each case directory holds inventory files and:
#   sources.list one `-i` argument per line (paths relative to the case directory, or `h1,h2,` lists)
#   host.list    (optional) host names for `ansible-inventory --host NAME`   -> expected-host-NAME.json
#   graph.list   (optional) lines `GROUP` or `GROUP --vars` for `--graph`     -> expected-graph-GROUP[-vars].txt
#   playbook_dir.list (optional) a directory passed as `--playbook-dir` (its group_vars/ and host_vars/)
#   list_limit.list (optional) one LIMIT per line for `ansible-inventory --list --limit LIMIT`
#                                                                          -> expected-list-limited.json
#   pattern.list (optional) lines `PATTERN` or `PATTERN ||| LIMIT` for
#             `ansible PATTERN --list-hosts [-l LIMIT]`                    -> expected-patterns.json
# and always gets expected-list.json from `ansible-inventory --list`.
#
# Uses $ANSIBLE_VENV (default /opt/ansible-venv); when it has no ansible, creates a venv in
# tests/inventory/.venv with the same ansible-core from PyPI. CI does not run this: the outputs are committed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
ANSIBLE_CORE_VERSION=2.19.14
venv="${ANSIBLE_VENV:-/opt/ansible-venv}"
if [[ ! -x "$venv/bin/ansible-inventory" ]]; then
  venv="$here/.venv"
  if [[ ! -x "$venv/bin/ansible-inventory" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "ansible-core==$ANSIBLE_CORE_VERSION"
  fi
fi
# An empty config: no ansible.cfg of the machine or the working directory changes the results.
cfg="$(mktemp --suffix=.cfg)"
trap 'rm -f "$cfg"' EXIT
export ANSIBLE_CONFIG="$cfg" ANSIBLE_NOCOLOR=1 ANSIBLE_DEPRECATION_WARNINGS=False ANSIBLE_HOST_PATTERN_MISMATCH=warning
py="$venv/bin/python"

for case in "$here"/*/; do
  case="${case%/}"
  name="$(basename "$case")"
  [[ -f "$case/sources.list" ]] || continue
  cd "$case"
  args=()
  while IFS= read -r src || [[ -n "$src" ]]; do
    [[ -n "$src" ]] && args+=(-i "$src")
  done < sources.list
  if [[ -f playbook_dir.list ]]; then
    args+=(--playbook-dir "$(head -n1 playbook_dir.list)")
  fi
  echo "== $name"
  "$venv/bin/ansible-inventory" "${args[@]}" --list > expected-list.json 2> /dev/null
  if [[ -f host.list ]]; then
    while IFS= read -r h || [[ -n "$h" ]]; do
      [[ -n "$h" ]] && "$venv/bin/ansible-inventory" "${args[@]}" --host "$h" > "expected-host-$h.json" 2> /dev/null
    done < host.list
  fi
  if [[ -f graph.list ]]; then
    while IFS= read -r line || [[ -n "$line" ]]; do
      [[ -z "$line" ]] && continue
      read -r group flag <<< "$line"
      out="expected-graph-$group${flag:+-vars}.txt"
      # shellcheck disable=SC2086
      "$venv/bin/ansible-inventory" "${args[@]}" --graph "$group" $flag > "$out" 2> /dev/null
    done < graph.list
  fi
  if [[ -f list_limit.list ]]; then
    "$py" - "$venv/bin/ansible-inventory" "${args[@]}" <<'PY' > expected-list-limited.json
import json, subprocess, sys
inventory, inv_args = sys.argv[1], sys.argv[2:]
results = []
for limit in open("list_limit.list").read().splitlines():
    if not limit.strip():
        continue
    p = subprocess.run([inventory, *inv_args, "--list", "--limit", limit], capture_output=True, text=True)
    entry = {"limit": limit}
    if p.returncode != 0:
        entry["error"] = True
    else:
        entry["list"] = json.loads(p.stdout)
    results.append(entry)
json.dump(results, sys.stdout, indent=2)
sys.stdout.write("\n")
PY
  fi
  if [[ -f pattern.list ]]; then
    "$py" - "$venv/bin/ansible" "${args[@]}" <<'PY' > expected-patterns.json
import json, subprocess, sys
ansible, inv_args = sys.argv[1], sys.argv[2:]
results = []
for line in open("pattern.list").read().splitlines():
    if not line.strip():
        continue
    pattern, _, limit = (p.strip() for p in line.partition("|||"))
    cmd = [ansible, pattern, *inv_args, "--list-hosts"] + (["-l", limit] if limit else [])
    p = subprocess.run(cmd, capture_output=True, text=True)
    entry = {"pattern": pattern, "limit": limit or None}
    if p.returncode != 0:
        entry["error"] = True
    else:
        lines = p.stdout.splitlines()
        entry["hosts"] = [l.strip() for l in lines[1:]] if lines and lines[0].strip().startswith("hosts (") else []
    entry["unmatched_warning"] = "Could not match supplied host pattern" in p.stderr
    results.append(entry)
json.dump(results, sys.stdout, indent=2)
sys.stdout.write("\n")
PY
  fi
done

# Malformed inventories: record that Ansible rejects each one too (with any unparsed source made fatal, since by
# default Ansible only warns and goes on with what it could read; dpctl always stops).
cd "$here/errors"
echo "== errors"
{
  echo "{"
  first=1
  for src in *.ini *.yml */hosts; do
    rc=0
    ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED=True "$venv/bin/ansible-inventory" -i "$src" --list > /dev/null 2>&1 || rc=$?
    [[ $first == 1 ]] || echo ","
    first=0
    printf '  "%s": {"ansible_rejects": %s}' "$src" "$([[ $rc != 0 ]] && echo true || echo false)"
  done
  echo
  echo "}"
} > expected-ansible.json
