#!/usr/bin/env bash
# Record what ansible-playbook prints for output.yml, and for diff.yml with
# --check --diff and with -v (normalized by normalize.py), in expected*.txt. Needs ansible-core (e.g. /opt/ansible-venv).
set -euo pipefail
cd "$(dirname "$0")"
ANSIBLE=${ANSIBLE_PLAYBOOK:-/opt/ansible-venv/bin/ansible-playbook}
work=$(mktemp -d /tmp/dpctl-output.XXXXXX)
cp -r output.yml diff.yml included.yml roles "$work/"
: > "$work/ansible.cfg"
printf 'localhost ansible_connection=local ansible_python_interpreter=%s\n' "$(dirname "$ANSIBLE")/python" > "$work/inventory.ini"
play() {
    rm -rf "$work/out"
    (cd "$work" && ANSIBLE_NOCOLOR=1 "$ANSIBLE" "$@" -i inventory.ini -e out="$work/out" 2>/dev/null || true) | python3 normalize.py "$work"
}
play output.yml > expected.txt
play diff.yml --check --diff > expected-check-diff.txt
play diff.yml -v > expected-verbose.txt
rm -rf "$work"
echo "recorded in $(pwd)/expected.txt"
