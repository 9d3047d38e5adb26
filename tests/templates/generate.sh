#!/usr/bin/env bash
# Renders every tests/templates/<case>/template.j2 with real Ansible (the template module,
# vars from <case>/vars.yml) into <case>/expected.out. A case with its own playbook.yml (and
# inventory.ini) is run with that playbook against that inventory instead: for hostvars/groups,
# which need an inventory (its test renders it with `dpctl render`). Run by hand where
# ansible-core is installed (CI has no Ansible; the outputs are committed):
#   ANSIBLE_PLAYBOOK=/opt/ansible-venv/bin/ansible-playbook tests/templates/generate.sh [case…]
# json_query lives in community.general, not ansible-core: _filter_plugins/ holds an
# equivalent filter, which needs Python's `jmespath` (e.g. `pip install --target DIR jmespath`
# and JMESPATH_PYTHONPATH=DIR).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
playbook_bin="${ANSIBLE_PLAYBOOK:-ansible-playbook}"
export ANSIBLE_FILTER_PLUGINS="$here/_filter_plugins"
export PYTHONPATH="${JMESPATH_PYTHONPATH:-}${PYTHONPATH:+:$PYTHONPATH}"
export ANSIBLE_LOCALHOST_WARNING=False ANSIBLE_INVENTORY_UNPARSED_WARNING=False ANSIBLE_NOCOLOR=1
unset DPCTL_SURELY_UNSET_VARIABLE

cases=("$@")
if [ ${#cases[@]} -eq 0 ]; then
  for d in "$here"/*/; do
    name="$(basename "$d")"
    case "$name" in _*) continue ;; esac
    cases+=("$name")
  done
fi

for case in "${cases[@]}"; do
  dir="$here/$case"
  inv=()
  [ -f "$dir/inventory.ini" ] && inv=(-i "$dir/inventory.ini")
  if [ -f "$dir/playbook.yml" ]; then
    if ! out="$("$playbook_bin" "${inv[@]}" "$dir/playbook.yml" 2>&1)"; then
      echo "$out" >&2
      echo "FAILED: $case" >&2
      exit 1
    fi
    echo "rendered $case"
    continue
  fi
  # The playbook sits in the case folder so that playbook_dir-relative lookups
  # (files/, templates/) resolve there, as the Rust test's search path does.
  pb="$dir/.generate.yml"
  cat > "$pb" <<'YAML'
- hosts: localhost
  connection: local
  gather_facts: false
  vars_files: [vars.yml]
  tasks:
    - ansible.builtin.template:
        src: template.j2
        dest: "{{ playbook_dir }}/expected.out"
YAML
  if ! out="$("$playbook_bin" "$pb" 2>&1)"; then
    echo "$out" >&2
    rm -f "$pb"
    echo "FAILED: $case" >&2
    exit 1
  fi
  rm -f "$pb"
  echo "rendered $case"
done
