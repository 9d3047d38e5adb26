#!/usr/bin/env bash
# A real YARN ResourceManager + NodeManager for the tests: Hadoop's MiniYARNCluster from Maven
# Central jars (tests/servers/yarn/pom.xml, ~/.m2 is the cache), every address on 127.0.0.1,
# throwaway state. No Docker, no other downloads.
#
#   yarn.sh start | ensure   start (if not running) and print http://127.0.0.1:PORT (the RM web app)
#   yarn.sh addr             print the running RM's URL, or exit 1
#   yarn.sh am-command [S]   print an AM container command for a tiny real application master
#                            (dpctl.tests.yarn.SleepAm) that registers, so the application becomes
#                            RUNNING, and heartbeats for S seconds (default 3600) or until killed
#   yarn.sh run-job NAME     submit NAME through the YARN client RPC, as Samza's bin/run-job.sh does,
#                            with the am-command application master, and exit
#   yarn.sh stop             stop it and delete its state
#
# Env: DPCTL_SERVERS_DIR (default /tmp/dpctl-servers), YARN_HEAP_OPTS (default -Xms128m -Xmx768m),
#      DPCTL_YARN_START_TIMEOUT seconds (default 120).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
project="$here/yarn"
lib="$project/target/lib"
jar="$project/target/yarn-test-server-1.jar"
dir="${DPCTL_SERVERS_DIR:-/tmp/dpctl-servers}/yarn"
pidfile="$dir/yarn.pid"
logfile="$dir/yarn.log"
addrfile="$dir/addr"
start_timeout="${DPCTL_YARN_START_TIMEOUT:-120}"

say() { echo "yarn.sh: $*" >&2; }

running() {
    [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

build() {
    # The pom and the launcher sources decide the build; rebuild when either is newer. Locked:
    # several tests ask for `am-command` at once, and the running server may have been started
    # from another checkout, whose build this one does not have.
    local stamp="$project/target/.complete"
    mkdir -p "$project/target"
    (
        flock 8
        if [[ ! -f "$stamp" || "$project/pom.xml" -nt "$stamp" ]] || [[ -n "$(find "$project/src" -newer "$stamp" -type f)" ]]; then
            say "building the MiniYARNCluster launcher with Maven (cached in ~/.m2)"
            rm -rf "$lib"
            (cd "$project" && mvn -q -B package -DskipTests &&
                mvn -q -B dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=target/lib) >&2
            touch "$stamp"
        fi
    ) 8>"$project/target/.build.lock"
}

java_bin() {
    if [[ -n "${JAVA_HOME:-}" ]]; then echo "$JAVA_HOME/bin/java"; else readlink -f "$(command -v java)"; fi
}

rm_answers() {
    local port=$1
    # /ws/v1/cluster/info answers once the RM web app is up; the NodeManager must also have
    # registered before an application can run.
    exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
    printf 'GET /ws/v1/cluster/metrics HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n' >&3
    local body
    body=$(cat <&3)
    exec 3<&-
    [[ "$body" == *'"activeNodes":1'* ]]
}

start() {
    mkdir -p "$dir"
    # Several test binaries may call `ensure` at once: one starts, the others wait and reuse.
    exec 9>"$dir/.lock"
    flock 9
    if running && [[ -f "$addrfile" ]]; then
        cat "$addrfile"
        return 0
    fi
    build
    rm -rf "$dir/work" "$dir/conf" "$dir/port" "$addrfile" "$pidfile"
    mkdir -p "$dir/work"
    # shellcheck disable=SC2086
    (cd "$dir/work" && exec "$(java_bin)" ${YARN_HEAP_OPTS:--Xms128m -Xmx768m} -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
        -Djava.net.preferIPv4Stack=true -cp "$jar:$lib/*" dpctl.tests.yarn.Launcher "$dir") >"$logfile" 2>&1 9>&- &
    echo $! >"$pidfile"
    local waited=0
    until [[ -f "$dir/port" ]] && rm_answers "$(cat "$dir/port")" 2>/dev/null; do
        if ! running; then
            say "MiniYARNCluster exited during startup; see $logfile"
            tail -30 "$logfile" >&2
            rm -f "$pidfile"
            return 1
        fi
        if ((waited >= start_timeout * 5)); then
            say "the ResourceManager did not answer within ${start_timeout}s; see $logfile"
            stop >/dev/null 2>&1 || true
            return 1
        fi
        sleep 0.2
        waited=$((waited + 1))
    done
    echo "http://127.0.0.1:$(cat "$dir/port")" >"$addrfile"
    cat "$addrfile"
}

stop() {
    if running; then
        local pid i
        pid=$(cat "$pidfile")
        kill "$pid" 2>/dev/null || true
        for i in $(seq 1 150); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        if kill -0 "$pid" 2>/dev/null; then
            say "MiniYARNCluster $pid ignored SIGTERM for 30s; killing it"
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    rm -rf "$dir/work" "$dir/conf" "$dir/port" "$pidfile" "$addrfile"
}

addr() {
    if running && [[ -f "$addrfile" ]]; then cat "$addrfile"; else return 1; fi
}

am_command() {
    local seconds=${1:-3600}
    # Single quotes keep the classpath wildcard away from the container's bash.
    echo "$(java_bin) -Xmx48m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp '$dir/conf:$jar:$lib/*' dpctl.tests.yarn.SleepAm $seconds 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr"
}

run_job() {
    local name=${1:?run-job needs an application name}
    exec "$(java_bin)" -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$dir/conf:$jar:$lib/*" \
        dpctl.tests.yarn.SubmitApp "$name" "$(am_command)"
}

case "${1:-}" in
    start | ensure) start ;;
    stop) stop ;;
    addr) addr ;;
    am-command) build && am_command "${2:-}" ;;
    run-job) build && run_job "${2:-}" ;;
    *)
        echo "usage: $0 start|ensure|stop|addr|am-command [seconds]|run-job NAME" >&2
        exit 2
        ;;
esac
