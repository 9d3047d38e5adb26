#!/usr/bin/env bash
# Regenerate expected/w1/prec.txt with real ansible-playbook (needs ansible-core, e.g. in /opt/ansible-venv).
set -euo pipefail
cd "$(dirname "$0")"
ANSIBLE=${ANSIBLE_PLAYBOOK:-/opt/ansible-venv/bin/ansible-playbook}
out=$(mktemp -d)
mkdir -p "$out/w1"
ANSIBLE_PYTHON_INTERPRETER=${ANSIBLE_PYTHON_INTERPRETER:-$(dirname "$ANSIBLE")/python} \
  "$ANSIBLE" -i inventory/hosts.ini site.yml -e out_dir="$out" -e @extra.yml -e e_kv=extra_kv -e '{"e_json": "extra_json"}' >/dev/null
mkdir -p expected/w1
cp "$out/w1/prec.txt" expected/w1/prec.txt
rm -rf "$out"
cat expected/w1/prec.txt
