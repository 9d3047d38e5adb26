#!/usr/bin/env bash
# A throwaway InfluxDB 1.x for the tests: HTTP on 127.0.0.1 and a free port, data under
# ${DPCTL_SERVERS_DIR:-/tmp/dpctl-servers}/influxdb. It never touches the packaged service.
#
#   influxdb.sh start    start (if not running) and print 127.0.0.1:PORT
#   influxdb.sh ensure   same as start; the name the test helpers use
#   influxdb.sh addr     print the running server's address, or exit 1
#   influxdb.sh stop     stop it and delete its data
#
# Auth is on: the admin user is `admin` with password `admin-secret`.
set -euo pipefail

dir="${DPCTL_SERVERS_DIR:-/tmp/dpctl-servers}/influxdb"
pidfile="$dir/influxd.pid"
logfile="$dir/influxd.log"
addrfile="$dir/addr"

say() { echo "influxdb.sh: $*" >&2; }

install_if_missing() {
    if ! command -v influxd >/dev/null; then
        say "installing InfluxDB (apt-get install influxdb)"
        # policy-rc.d on these machines keeps the packaged service from starting; we never use it.
        # A fresh machine may have no package lists yet.
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q influxdb >&2 ||
            { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q influxdb >&2; }
    fi
}

port_answers() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
    local p i
    for i in $(seq 1 200); do
        p=$((20000 + RANDOM % 40000))
        if ! port_answers "$p"; then
            echo "$p"
            return 0
        fi
    done
    say "no free port found"
    return 1
}

running() {
    [[ -f "$pidfile" && -f "$addrfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

start() {
    if running; then
        cat "$addrfile"
        return 0
    fi
    install_if_missing
    local port rpc i
    rm -rf "$dir"
    mkdir -p "$dir/meta" "$dir/data" "$dir/wal"
    port="$(free_port)"
    rpc="$(free_port)"
    cat >"$dir/influxdb.conf" <<CFG
reporting-disabled = true
bind-address = "127.0.0.1:$rpc"
[meta]
  dir = "$dir/meta"
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:$port"
  auth-enabled = true
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
CFG
    # Its own session, so a test runner that signals its process group leaves it alone.
    setsid influxd -config "$dir/influxdb.conf" >"$logfile" 2>&1 &
    echo $! >"$pidfile"
    for i in $(seq 1 300); do
        if [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/ping")" == 204 ]]; then
            # With auth on, the first admin user may be created without credentials.
            curl -sf -XPOST "http://127.0.0.1:$port/query" \
                --data-urlencode "q=CREATE USER admin WITH PASSWORD 'admin-secret' WITH ALL PRIVILEGES" >/dev/null
            echo "127.0.0.1:$port" >"$addrfile"
            cat "$addrfile"
            return 0
        fi
        kill -0 "$(cat "$pidfile")" 2>/dev/null || break
        sleep 0.1
    done
    say "influxd did not answer /ping; log follows"
    cat "$logfile" >&2
    return 1
}

stop() {
    if [[ -f "$pidfile" ]]; then
        kill "$(cat "$pidfile")" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$(cat "$pidfile")" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -rf "$dir"
}

case "${1:-}" in
start | ensure) start ;;
addr) running && cat "$addrfile" ;;
stop) stop ;;
*)
    echo "usage: $0 start|ensure|addr|stop" >&2
    exit 2
    ;;
esac
