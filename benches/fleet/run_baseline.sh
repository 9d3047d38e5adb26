#!/usr/bin/env bash
# run_baseline.sh - reproduce the Ansible / pyinfra (/ mitogen) baseline end to end:
# install prerequisites, start a loopback sshd fleet per host count, run the
# 20-task provision benchmark (first run on fresh host dirs, then idempotent
# reruns), verify idempotency and that both tools produce identical files,
# and write a summary table.  Stops the fleet and closes ssh masters on exit.
set -euo pipefail

HARNESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BASE=${BASE:-/tmp/perfbase}
VENV=${VENV:-$BASE/venv}
HOST_COUNTS=${HOST_COUNTS:-"1 10 50"}
EXTRA_N=${EXTRA_N:-10}           # host count for forks=5 / default-config / mitogen cases
FIRST_RUNS=${FIRST_RUNS:-3}
RERUNS=${RERUNS:-3}
RUN_TIMEOUT=${RUN_TIMEOUT:-1200}  # seconds, per measured run
TOOLS=${TOOLS:-"ansible pyinfra dpctl"}
# dpctl: the release binaries of this repository (build with `cargo build --release`).
DPCTL=${DPCTL:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/target/release/dpctl}
PYTHON=${PYTHON:-}                # interpreter for the venv (ansible-core >= 2.20 needs >= 3.12)
ANSIBLE_CORE_VERSION=${ANSIBLE_CORE_VERSION:-2.21.5}   # 'latest' = unpinned
PYINFRA_VERSION=${PYINFRA_VERSION:-3.10.0}
MITOGEN_VERSION=${MITOGEN_VERSION:-0.3.54}
OUT=${OUT:-$BASE/results/$(date +%Y%m%d-%H%M%S)}
TASKS=20                # tasks in bench.yml (handler not counted)
CHANGED_PER_HOST=17     # changed count per host on a first run (incl. handler)
SETUP=1

usage() {
    cat <<EOF
Usage: $(basename "$0") [--no-setup] [--setup-only] [--quick] [-h]

Measures ansible-playbook (bench.yml) and pyinfra (bench_pyinfra.py) over real
SSH against a loopback fleet (fleet.sh), first run + idempotent rerun, for each
host count, and writes \$OUT/results.jsonl, summary.md, summary.csv, logs/.

Options:
  --no-setup     skip apt/venv installation (use what is in \$VENV)
  --setup-only   install prerequisites, print versions, exit
  --quick        smoke test: HOST_COUNTS="1 2" EXTRA_N=2, 1 run each
  -h, --help     this text

Environment (defaults):
  BASE=$BASE  VENV=\$BASE/venv  OUT=\$BASE/results/<timestamp>
  HOST_COUNTS="$HOST_COUNTS"  EXTRA_N=$EXTRA_N  FIRST_RUNS=$FIRST_RUNS  RERUNS=$RERUNS
  TOOLS="$TOOLS"  RUN_TIMEOUT=$RUN_TIMEOUT
  ANSIBLE_CORE_VERSION=$ANSIBLE_CORE_VERSION  PYINFRA_VERSION=$PYINFRA_VERSION  MITOGEN_VERSION=$MITOGEN_VERSION
  PYTHON= (auto: first python3.13/python3.12 found, also under pyenv)

Cases (forks = N unless noted; 'fast' = pipelining=True + ControlPersist=60s):
  ansible-fast            every N in HOST_COUNTS        first + rerun
  ansible-fast warm       N = EXTRA_N                   rerun with ssh masters still alive
  ansible-fast forks=5    N = EXTRA_N                   first + rerun
  ansible-default         N = EXTRA_N (stock config:    first + rerun
                          no pipelining, forks=5)
  mitogen (mitogen_linear, fast cfg)  N = EXTRA_N       first + rerun
  pyinfra --parallel N    every N in HOST_COUNTS        first + rerun
                          (pyinfra's own default is min(20*nproc, N))
  hyperfine cross-check   N = EXTRA_N  ansible-fast + pyinfra reruns (HYPERFINE=0 skips)
Every measured run except 'rerun-warm' starts with no ssh ControlMaster alive
(cold connections); first runs start from empty host dirs.
EOF
}

while (($#)); do
    case $1 in
        --no-setup) SETUP=0 ;;
        --setup-only) SETUP=2 ;;
        --quick) HOST_COUNTS="1 2"; EXTRA_N=2; FIRST_RUNS=1; RERUNS=1 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
    shift
done

export BASE
FLEET="$HARNESS_DIR/fleet.sh"
RUN_DIR=$BASE/run
CP_DIR=$RUN_DIR/cp
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

pick_python() {
    local c
    if [[ -n $PYTHON ]]; then echo "$PYTHON"; return; fi
    for c in python3.13 python3.12 "$HOME"/.pyenv/versions/3.13*/bin/python3 "$HOME"/.pyenv/versions/3.12*/bin/python3 python3; do
        if "$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
            command -v "$c"
            return
        fi
    done
    die "need Python >= 3.12 for current ansible-core; set PYTHON="
}

pin() { [[ $2 == latest ]] && echo "$1" || echo "$1==$2"; }

setup() {
    local need=()
    command -v /usr/sbin/sshd >/dev/null || need+=(openssh-server)
    command -v ssh >/dev/null || need+=(openssh-client)
    command -v hyperfine >/dev/null || need+=(hyperfine)
    if ((${#need[@]})); then
        log "apt-get install ${need[*]}"
        timeout 600 apt-get update -qq
        DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq --no-install-recommends "${need[@]}"
    fi
    if [[ ! -x $VENV/bin/python ]]; then
        local py; py=$(pick_python)
        log "creating venv $VENV with $py"
        timeout 300 "$py" -m venv "$VENV"
    fi
    local pkgs=("$(pin ansible-core "$ANSIBLE_CORE_VERSION")" "$(pin pyinfra "$PYINFRA_VERSION")")
    [[ " $TOOLS " == *" mitogen "* ]] && pkgs+=("$(pin mitogen "$MITOGEN_VERSION")")
    log "pip install ${pkgs[*]}"
    timeout 900 "$VENV/bin/pip" install -q --disable-pip-version-check "${pkgs[@]}"
}

record_versions() {
    {
        echo "date: $(date -Is)"
        echo "kernel: $(uname -srm)"
        echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') x $(nproc)"
        echo "mem: $(free -g | awk '/Mem:/{print $2" GiB"}')"
        # shellcheck source=/dev/null
        echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
        echo "openssh-server: $(dpkg-query -W -f='${Version}' openssh-server 2>/dev/null)"
        echo "controller python: $("$VENV/bin/python" -V 2>&1)"
        echo "remote python: $(/usr/bin/python3 -V 2>&1)"
        echo "ansible-core: $("$VENV/bin/python" -c 'import ansible.release as r; print(r.__version__)')"
        echo "pyinfra: $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("pyinfra"))')"
        echo "paramiko: $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("paramiko"))')"
        echo "gevent: $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("gevent"))')"
        echo "jinja2: $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("jinja2"))')"
        if [[ " $TOOLS " == *" mitogen "* ]]; then
            echo "mitogen: $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("mitogen"))')"
        fi
    } | tee "$OUT/versions.txt" >&2
}

write_ansible_cfg() {   # $1 = profile: default | fast | mitogen
    local f=$OUT/ansible-$1.cfg
    {
        echo "# generated by run_baseline.sh - profile $1"
        echo "[defaults]"
        echo "home = $RUN_DIR/ansible-home"
        echo "local_tmp = $RUN_DIR/ansible-local-tmp"
        echo "remote_tmp = $RUN_DIR/ansible-remote-tmp"
        echo "retry_files_enabled = False"
        if [[ $1 == mitogen ]]; then
            local mdir
            mdir=$("$VENV/bin/python" -c 'import ansible_mitogen, os; print(os.path.dirname(ansible_mitogen.__file__))')
            echo "strategy_plugins = $mdir/plugins/strategy"
            echo "strategy = mitogen_linear"
        fi
        echo "[ssh_connection]"
        echo "control_path_dir = $CP_DIR"
        if [[ $1 != default ]]; then
            echo "pipelining = True"
            echo "ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s"
        fi
    } >"$f"
    echo "$f"
}

RESULTS=
measure() {   # label phase hosts forks tool config expect -- cmd...
    local label=$1 phase=$2 hosts=$3 forks=$4 tool=$5 config=$6 expect=$7
    shift 8
    local runs=$RERUNS prepare="QUIET=1 '$FLEET' drop-connections '$CP_DIR'"
    if [[ $phase == rerun-warm ]]; then
        prepare=true   # keep the ControlPersist masters of the previous run
    elif [[ $phase == first ]]; then
        runs=$FIRST_RUNS
        prepare="'$FLEET' reset $hosts && $prepare"
    fi
    log "measure $label ($runs runs)"
    "$VENV/bin/python" "$HARNESS_DIR/measure.py" run --label "$label" --out "$RESULTS" \
        --runs "$runs" --prepare "$prepare" --timeout "$RUN_TIMEOUT" --expect-changed "$expect" \
        --log-dir "$OUT/logs" --meta "tool=$tool" --meta "config=$config" --meta "phase=$phase" \
        --meta "hosts=$hosts" --meta "forks=$forks" --meta "tasks=$TASKS" -- "$@" \
        || FAILURES=$((FAILURES + 1))
}

ansible_case() {   # profile hosts forks [phases]
    local profile=$1 n=$2 forks=$3 phases=${4:-first rerun} cfg tool=ansible phase
    cfg=$OUT/ansible-$profile.cfg
    [[ $profile == mitogen ]] && tool=mitogen
    for phase in $phases; do
        local expect=0
        [[ $phase == first ]] && expect=$((CHANGED_PER_HOST * n))
        measure "$tool-$profile-n$n-f$forks-$phase" "$phase" "$n" "$forks" "$tool" "$profile" "$expect" -- \
            env ANSIBLE_CONFIG="$cfg" "$VENV/bin/ansible-playbook" -f "$forks" \
            -i "$BASE/fleet/inventory.ini" "$HARNESS_DIR/bench.yml"
    done
}

pyinfra_case() {   # hosts
    local n=$1 phase
    for phase in first rerun; do
        local expect=0
        [[ $phase == first ]] && expect=$((CHANGED_PER_HOST * n))
        measure "pyinfra-n$n-$phase" "$phase" "$n" "$n" pyinfra default "$expect" -- \
            bash -c "cd '$HARNESS_DIR' && exec '$VENV/bin/pyinfra' -y --parallel $n '$BASE/fleet/inventory_pyinfra.py' bench_pyinfra.py"
    done
}

dpctl_case() {   # hosts: bench.yml unchanged, over the same fleet and inventory
    local n=$1 phase
    for phase in first rerun; do
        local expect=0
        [[ $phase == first ]] && expect=$((CHANGED_PER_HOST * n))
        measure "dpctl-n$n-$phase" "$phase" "$n" "$n" dpctl default "$expect" -- \
            "$DPCTL" playbook -f "$n" -i "$BASE/fleet/inventory.ini" "$HARNESS_DIR/bench.yml"
    done
}

hyperfine_check() {   # hosts: cross-check the rerun timings with hyperfine
    local n=$1
    command -v hyperfine >/dev/null || { log "hyperfine not installed; skipping cross-check"; return 0; }
    log "hyperfine cross-check, N=$n reruns"
    timeout $((RUN_TIMEOUT * (2 * RERUNS + 1))) hyperfine --style basic --runs "$RERUNS" \
        --prepare "QUIET=1 '$FLEET' drop-connections '$CP_DIR'" \
        --export-json "$OUT/hyperfine-n$n.json" --export-markdown "$OUT/hyperfine-n$n.md" \
        -n "ansible-fast-n$n-f$n-rerun" \
        "env ANSIBLE_CONFIG='$OUT/ansible-fast.cfg' '$VENV/bin/ansible-playbook' -f $n -i '$BASE/fleet/inventory.ini' '$HARNESS_DIR/bench.yml'" \
        -n "pyinfra-n$n-rerun" \
        "cd '$HARNESS_DIR' && '$VENV/bin/pyinfra' -y --parallel $n '$BASE/fleet/inventory_pyinfra.py' bench_pyinfra.py" \
        >"$OUT/hyperfine-n$n.txt" 2>&1 || { log "hyperfine failed, see $OUT/hyperfine-n$n.txt"; FAILURES=$((FAILURES + 1)); }
}

digest() {   # tool n  -> digest of host1 and hostN after that tool's runs
    local i
    mkdir -p "$OUT/digests"
    for i in 1 "$2"; do
        "$HARNESS_DIR/tree_digest.sh" "$BASE/hosts/host$i" >"$OUT/digests/$1-n$2-host$i.txt"
    done
}

cleanup() {
    local rc=$?
    "$FLEET" stop || true
    QUIET=1 "$FLEET" drop-connections "$CP_DIR" || true
    exit "$rc"
}

main() {
    mkdir -p "$OUT" "$RUN_DIR" "$CP_DIR"
    ((SETUP == 0)) || setup
    record_versions
    ((SETUP == 2)) && return 0
    RESULTS=$OUT/results.jsonl
    FAILURES=0
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    local p n
    # The mitogen config needs mitogen installed: only when it is one of the tools.
    for p in default fast mitogen; do
        [[ $p == mitogen && " $TOOLS " != *" mitogen "* ]] && continue
        write_ansible_cfg "$p" >/dev/null
    done
    cp "$HARNESS_DIR"/{bench.yml,bench_vars.yml,bench_pyinfra.py} "$OUT/"
    for n in $HOST_COUNTS; do
        "$FLEET" stop
        "$FLEET" start "$n"
        if [[ " $TOOLS " == *" ansible "* ]]; then
            ansible_case fast "$n" "$n"
            digest ansible "$n"
            if [[ $n == "$EXTRA_N" ]]; then
                # reruns that find the previous run's ControlPersist masters alive
                ansible_case fast "$n" "$n" rerun-warm
                ansible_case fast "$n" 5
                ansible_case default "$n" 5
            fi
        fi
        if [[ " $TOOLS " == *" mitogen "* && $n == "$EXTRA_N" ]]; then
            ansible_case mitogen "$n" "$n"
        fi
        if [[ " $TOOLS " == *" pyinfra "* ]]; then
            pyinfra_case "$n"
            digest pyinfra "$n"
        fi
        if [[ " $TOOLS " == *" dpctl "* ]]; then
            [[ -x $DPCTL ]] || die "dpctl not built at $DPCTL (cargo build --release)"
            dpctl_case "$n"
            digest dpctl "$n"
        fi
        if [[ $n == "$EXTRA_N" && " $TOOLS " == *" ansible "* && " $TOOLS " == *" pyinfra "* && ${HYPERFINE:-1} == 1 ]]; then
            hyperfine_check "$n"
        fi
        if [[ -f $OUT/digests/ansible-n$n-host1.txt && -f $OUT/digests/pyinfra-n$n-host1.txt ]]; then
            if diff -u "$OUT/digests/ansible-n$n-host1.txt" "$OUT/digests/pyinfra-n$n-host1.txt" >"$OUT/digests/diff-n$n.txt" &&
                diff -u "$OUT/digests/ansible-n$n-host$n.txt" "$OUT/digests/pyinfra-n$n-host$n.txt" >>"$OUT/digests/diff-n$n.txt"; then
                log "N=$n: ansible and pyinfra produced identical host trees"
            else
                log "N=$n: WARNING ansible and pyinfra trees differ, see $OUT/digests/diff-n$n.txt"
                FAILURES=$((FAILURES + 1))
            fi
        fi
        if [[ -f $OUT/digests/ansible-n$n-host1.txt && -f $OUT/digests/dpctl-n$n-host1.txt ]]; then
            if diff -u "$OUT/digests/ansible-n$n-host1.txt" "$OUT/digests/dpctl-n$n-host1.txt" >"$OUT/digests/diff-dpctl-n$n.txt" &&
                diff -u "$OUT/digests/ansible-n$n-host$n.txt" "$OUT/digests/dpctl-n$n-host$n.txt" >>"$OUT/digests/diff-dpctl-n$n.txt"; then
                log "N=$n: ansible and dpctl produced identical host trees"
            else
                log "N=$n: WARNING ansible and dpctl trees differ, see $OUT/digests/diff-dpctl-n$n.txt"
                FAILURES=$((FAILURES + 1))
            fi
        fi
    done
    "$FLEET" stop
    "$VENV/bin/python" "$HARNESS_DIR/measure.py" report "$RESULTS" \
        --markdown "$OUT/summary.md" --csv "$OUT/summary.csv"
    log "results: $OUT (summary.md, summary.csv, results.jsonl, logs/, versions.txt)"
    ((FAILURES == 0)) || die "$FAILURES case(s) failed or differed; see above"
}

main
