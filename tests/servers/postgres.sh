#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests, on 127.0.0.1 and a free port.
# It never touches the machine's own clusters: its data, socket and log live under
# ${DPCTL_SERVERS_DIR:-/tmp/dpctl-servers}/postgres.
#
#   postgres.sh start    start (if not running) and print 127.0.0.1:PORT
#   postgres.sh ensure   same as start; the name the test helpers use
#   postgres.sh addr     print the running server's address, or exit 1
#   postgres.sh stop     stop it and delete its data
#
# Auth: the superuser `postgres` is trusted from 127.0.0.1 and the socket (a throwaway
# cluster); every other role must log in with its SCRAM-SHA-256 password.
# TLS: on, with a server certificate for 127.0.0.1 signed by a throwaway CA whose certificate
# is $dir/ca.crt (plain connections are accepted too).
# As root, initdb/pg_ctl run as the `postgres` user (they refuse root).
set -euo pipefail

dir="${DPCTL_SERVERS_DIR:-/tmp/dpctl-servers}/postgres"
data="$dir/data"
sock="$dir/sock"
logfile="$dir/postgres.log"
addrfile="$dir/addr"

say() { echo "postgres.sh: $*" >&2; }

bindir() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x "$d/initdb" ]] && { echo "$d"; return 0; }
    done
    return 1
}

install_if_missing() {
    if ! bindir >/dev/null; then
        say "installing PostgreSQL (apt-get install postgresql)"
        # policy-rc.d on these machines keeps the packaged cluster from starting; we never use it.
        # A fresh machine may have no package lists yet.
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2 ||
            { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2; }
    fi
}

make_certs() {
    # A CA and a leaf for IP 127.0.0.1 (a self-signed CA certificate cannot itself be a server's).
    command -v openssl >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssl >&2
    local c="$dir/certs"
    mkdir -p "$c"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=dpctl test CA" \
        -keyout "$c/ca.key" -out "$dir/ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$data/server.key" -out "$c/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$c/ext"
    openssl x509 -req -in "$c/server.csr" -CA "$dir/ca.crt" -CAkey "$c/ca.key" -CAcreateserial -CAserial "$c/ca.srl" -days 3650 \
        -extfile "$c/ext" -out "$data/server.crt" 2>/dev/null
    chmod 600 "$data/server.key"
    [[ "$(id -u)" == 0 ]] && chown postgres:postgres "$data/server.key" "$data/server.crt"
    return 0
}

as_owner() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
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
    [[ -f "$data/postmaster.pid" && -f "$addrfile" ]] && kill -0 "$(head -1 "$data/postmaster.pid")" 2>/dev/null
}

start() {
    if running; then
        cat "$addrfile"
        return 0
    fi
    install_if_missing
    local bin port
    bin="$(bindir)"
    rm -rf "$dir"
    mkdir -p "$data" "$sock"
    [[ "$(id -u)" == 0 ]] && chown -R postgres:postgres "$dir"
    as_owner "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        return 1
    }
    cat >"$data/pg_hba.conf" <<HBA
local all postgres trust
host  all postgres 127.0.0.1/32 trust
local all all scram-sha-256
host  all all 127.0.0.1/32 scram-sha-256
HBA
    make_certs
    port="$(free_port)"
    as_owner "$bin/pg_ctl" -D "$data" -l "$logfile" -w -t 60 \
        -o "-p $port -k $sock -c listen_addresses=127.0.0.1 -c fsync=off -c password_encryption=scram-sha-256 -c ssl=on" start >&2 || {
        cat "$logfile" >&2
        return 1
    }
    echo "127.0.0.1:$port" >"$addrfile"
    cat "$addrfile"
}

stop() {
    local bin
    if [[ -d "$data" ]] && bin="$(bindir)"; then
        as_owner "$bin/pg_ctl" -D "$data" -m immediate -w stop >&2 2>/dev/null || true
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
