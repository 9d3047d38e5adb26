#!/usr/bin/env bash
# Record what ansible-playbook 2.19 does with keywords.yml, fatal.yml, maxfail.yml, tags.yml and check.yml (in that order, one root):
# each run's exit code, then every file under the root with its content. executor/tests/ansible_compat.rs runs
# the same with dpctl and compares. Needs ansible-core (e.g. /opt/ansible-venv); no root needed.
set -euo pipefail
cd "$(dirname "$0")"
ANSIBLE=${ANSIBLE_PLAYBOOK:-/opt/ansible-venv/bin/ansible-playbook}
export ANSIBLE_PYTHON_INTERPRETER=${ANSIBLE_PYTHON_INTERPRETER:-$(dirname "$ANSIBLE")/python}
export ANSIBLE_LOCALHOST_WARNING=False ANSIBLE_NOCOLOR=1
root=$(mktemp -d /tmp/dpctl-keywords.XXXXXX)
{
  for run in keywords.yml fatal.yml maxfail.yml "tags.yml --tags deploy --skip-tags skipme" "check.yml --check --diff"; do
    rc=0
    # shellcheck disable=SC2086
    "$ANSIBLE" -i inventory.ini $run -e root="$root" > /dev/null 2>&1 || rc=$?
    echo "$run exit $rc"
  done
  (cd "$root" && find . -type f | LC_ALL=C sort | while read -r f; do echo "== ${f#./}"; cat "$f"; done)
} > expected.txt
rm -rf "$root"
cat expected.txt
