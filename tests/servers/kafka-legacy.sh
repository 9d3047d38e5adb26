#!/usr/bin/env bash
# Old Kafka brokers for the tests: a cluster of two Kafka 1.1.1 brokers (the original deployment's
# generation) with their own ZooKeeper 3.4, all on 127.0.0.1, free ports, throwaway data. Two brokers,
# so that one of them is not the controller (requests must be routed to the controller). Jars from Maven Central via
# tests/servers/kafka-legacy/pom.xml (~/.m2 is the cache). Same commands as kafka.sh:
#
#   kafka-legacy.sh start | ensure   start (if not running) and print 127.0.0.1:PORT1,127.0.0.1:PORT2
#   kafka-legacy.sh addr             print the running brokers' addresses, or exit 1
#   kafka-legacy.sh stop             stop broker and ZooKeeper, delete their data
#
# Env: DPCTL_SERVERS_DIR (default /tmp/dpctl-servers), DPCTL_KAFKA_START_TIMEOUT seconds (default 120).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
project="$here/kafka-legacy"
lib="$project/target/lib"
dir="${DPCTL_SERVERS_DIR:-/tmp/dpctl-servers}/kafka-legacy"
logfile="$dir/kafka.log"
addrfile="$dir/addr"
start_timeout="${DPCTL_KAFKA_START_TIMEOUT:-120}"

say() { echo "kafka-legacy.sh: $*" >&2; }

alive() {
    [[ -f "$dir/$1.pid" ]] && kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null
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

fetch_jars() {
    if [[ ! -f "$lib/.complete" || "$project/pom.xml" -nt "$lib/.complete" ]]; then
        say "fetching Kafka 1.1 jars with Maven (cached in ~/.m2)"
        rm -rf "$lib"
        (cd "$project" && mvn -q -B dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=target/lib) >&2
        touch "$lib/.complete"
    fi
}

wait_for() { # NAME PORT LOGLINE
    local waited=0
    until port_answers "$2" && grep -q "$3" "$logfile"; do
        if ! alive "$1"; then
            say "$1 exited during startup; see $logfile"
            tail -30 "$logfile" >&2
            return 1
        fi
        if ((waited >= start_timeout * 5)); then
            say "$1 did not answer on 127.0.0.1:$2 within ${start_timeout}s; see $logfile"
            return 1
        fi
        sleep 0.2
        waited=$((waited + 1))
    done
}

start() {
    mkdir -p "$dir"
    exec 9>"$dir/.lock"
    flock 9
    if alive kafka0 && alive kafka1 && [[ -f "$addrfile" ]]; then
        cat "$addrfile"
        return 0
    fi
    stop_all
    fetch_jars
    local zk_port port0 port1
    zk_port=$(free_port)
    port0=$(free_port)
    while [[ "$port0" == "$zk_port" ]]; do port0=$(free_port); done
    port1=$(free_port)
    while [[ "$port1" == "$zk_port" || "$port1" == "$port0" ]]; do port1=$(free_port); done
    mkdir -p "$dir/data/zk"
    cat >"$dir/zoo.cfg" <<EOF
dataDir=$dir/data/zk
clientPort=$zk_port
clientPortAddress=127.0.0.1
maxClientCnxns=0
EOF
    : >"$logfile"
    # ZooKeeper 3.4 registers log4j 1 MBeans unless told not to; log4j 1 is not on the classpath.
    (exec java -Xms64m -Xmx128m -XX:+UseSerialGC -Dzookeeper.jmx.log4j.disable=true -cp "$lib/*" \
        org.apache.zookeeper.server.ZooKeeperServerMain "$dir/zoo.cfg") >>"$logfile" 2>&1 9>&- &
    echo $! >"$dir/zookeeper.pid"
    wait_for zookeeper "$zk_port" "binding to port" || { stop_all; return 1; }
    local id port
    for id in 0 1; do
        port=$port0
        [[ $id == 1 ]] && port=$port1
        mkdir -p "$dir/data/kafka$id"
        cat >"$dir/server$id.properties" <<EOF
broker.id=$id
listeners=PLAINTEXT://127.0.0.1:$port
log.dirs=$dir/data/kafka$id
zookeeper.connect=127.0.0.1:$zk_port
auto.create.topics.enable=false
delete.topic.enable=true
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
background.threads=2
EOF
        (exec java -Xms128m -Xmx320m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$lib/*" \
            kafka.Kafka "$dir/server$id.properties") >>"$logfile" 2>&1 9>&- &
        echo $! >"$dir/kafka$id.pid"
    done
    wait_for kafka0 "$port0" "\[KafkaServer id=0\] started" || { stop_all; return 1; }
    wait_for kafka1 "$port1" "\[KafkaServer id=1\] started" || { stop_all; return 1; }
    echo "127.0.0.1:$port0,127.0.0.1:$port1" >"$addrfile"
    cat "$addrfile"
}

stop_one() {
    if alive "$1"; then
        local pid i
        pid=$(cat "$dir/$1.pid")
        kill "$pid" 2>/dev/null || true
        for i in $(seq 1 150); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/$1.pid"
}

stop_all() {
    # Brokers first: they would otherwise keep retrying their ZooKeeper sessions.
    stop_one kafka0
    stop_one kafka1
    stop_one zookeeper
    rm -rf "$dir/data" "$addrfile"
}

case "${1:-}" in
    start | ensure) start ;;
    stop) stop_all ;;
    addr) alive kafka0 && alive kafka1 && [[ -f "$addrfile" ]] && cat "$addrfile" ;;
    *)
        echo "usage: $0 start|ensure|stop|addr" >&2
        exit 2
        ;;
esac
