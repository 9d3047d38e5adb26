#!/usr/bin/env bash
# Record what real Ansible does with compat.yml: the tree after the first run,
# the key fields of the registered results after the first and second runs
# (results*.json, users.json, controller.json, include_vars.json).
# Needs ansible-core (e.g. /opt/ansible-venv) and root (the user module).
set -euo pipefail
cd "$(dirname "$0")"
ANSIBLE=${ANSIBLE_PLAYBOOK:-/opt/ansible-venv/bin/ansible-playbook}
export ANSIBLE_PYTHON_INTERPRETER=${ANSIBLE_PYTHON_INTERPRETER:-$(dirname "$ANSIBLE")/python}
root=$(mktemp -d /tmp/dpctl-compat.XXXXXX)
run() { "$ANSIBLE" -i localhost, -c local compat.yml -e root="$root" >/dev/null; }
mkdir -p expected
run
python3 digest.py "$root" | sed "s#$root#ROOT#g" > expected/tree-first.txt
cp "$root/results.json" expected/results-first.json
cp "$root/users.json" expected/users.json
cp "$root/controller.json" expected/controller.json
cp "$root/include_vars.json" expected/include_vars.json
run
cp "$root/results.json" expected/results-second.json
# The user is created and removed, and the executor-side play changes no
# files, on every run: the Rust test compares the second run's with these too.
cmp "$root/users.json" expected/users.json
cmp "$root/controller.json" expected/controller.json
cmp "$root/include_vars.json" expected/include_vars.json
rm -rf "$root"
echo "recorded in $(pwd)/expected"
