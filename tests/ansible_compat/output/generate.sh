#!/usr/bin/env bash
# Record what ansible-playbook prints for output.yml (normalized by
# normalize.py) in expected.txt. Needs ansible-core (e.g. /opt/ansible-venv).
set -euo pipefail
cd "$(dirname "$0")"
ANSIBLE=${ANSIBLE_PLAYBOOK:-/opt/ansible-venv/bin/ansible-playbook}
work=$(mktemp -d /tmp/dpctl-output.XXXXXX)
cp -r output.yml included.yml roles "$work/"
: > "$work/ansible.cfg"
printf 'localhost ansible_connection=local ansible_python_interpreter=%s\n' "$(dirname "$ANSIBLE")/python" > "$work/inventory.ini"
(cd "$work" && ANSIBLE_NOCOLOR=1 "$ANSIBLE" output.yml -i inventory.ini -e out="$work/out" 2>/dev/null || true) \
    | python3 normalize.py "$work" > expected.txt
rm -rf "$work"
echo "recorded in $(pwd)/expected.txt"
