#!/usr/bin/env bash
# Record what ansible-playbook prints for output.yml, and for diff.yml with
# --check --diff and with -v (normalized by normalize.py), in expected*.txt. Needs ansible-core (e.g. /opt/ansible-venv).
set -euo pipefail
cd "$(dirname "$0")"
ANSIBLE=${ANSIBLE_PLAYBOOK:-/opt/ansible-venv/bin/ansible-playbook}
work=$(mktemp -d /tmp/dpctl-output.XXXXXX)
cp -r output.yml diff.yml multi.yml stop.yml included.yml per-w1.yml per-w2.yml roles "$work/"
: > "$work/ansible.cfg"
printf 'localhost ansible_connection=local ansible_python_interpreter=%s\n' "$(dirname "$ANSIBLE")/python" > "$work/inventory.ini"
py="$(dirname "$ANSIBLE")/python"
cat > "$work/inventory-multi.ini" <<INI
[web]
w1 ansible_connection=local ansible_python_interpreter=$py
w2 ansible_connection=local ansible_python_interpreter=$py
[web:vars]
gvar=G
[db]
d1 ansible_host=127.0.0.1 ansible_port=1 ansible_connection=ssh
INI
play() {  # play INVENTORY PLAYBOOK [ARGS...]
    local inv=$1
    shift
    rm -rf "$work/out"
    (cd "$work" && ANSIBLE_NOCOLOR=1 "$ANSIBLE" "$@" -i "$inv" -e out="$work/out" 2>/dev/null || true) \
        | python3 normalize.py "$work" ${SORT_RESULTS:+--sort-results}
}
play inventory.ini output.yml > expected.txt
play inventory.ini diff.yml --check --diff > expected-check-diff.txt
play inventory.ini diff.yml -v > expected-verbose.txt
play inventory.ini stop.yml > expected-stop.txt
# two hosts' results come in the order they finish: sorted on both sides
SORT_RESULTS=1 play inventory-multi.ini multi.yml > expected-multi.txt
play inventory-multi.ini multi.yml --list-tasks > expected-list-tasks.txt
# ad hoc commands (`ansible HOST -m MODULE -a ARGS`), one after the other
adhoc() {
    (cd "$work" && ANSIBLE_NOCOLOR=1 "$(dirname "$ANSIBLE")/ansible" localhost -i inventory.ini "$@" 2>/dev/null || true) | python3 normalize.py "$work"
}
{
    adhoc -m ping
    adhoc -m command -a 'echo hi'
    adhoc -m command -a false
    adhoc -m shell -a 'echo out; echo err >&2'
    adhoc -m debug -a msg=hello
    adhoc -m file -a "path=$work/adhoc state=directory mode=0750"
} > expected-adhoc.txt
rm -rf "$work"
echo "recorded in $(pwd)/expected.txt"
