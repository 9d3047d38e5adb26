#!/usr/bin/env bash
# A real Apache Kafka broker for the tests: one KRaft node (broker + controller) on
# 127.0.0.1, free ports, throwaway data. Jars come from Maven Central via
# tests/servers/kafka/pom.xml (~/.m2 is the cache). No Docker, no other downloads.
#
#   kafka.sh start        start (if not running) and print 127.0.0.1:PORT
#   kafka.sh ensure       same as start; the name the test helpers use
#   kafka.sh addr [sasl|tls]  print the running broker's PLAINTEXT (SASL_PLAINTEXT, SSL) address, or exit 1;
#                         the SSL listener's self-signed certificate is $DPCTL_SERVERS_DIR/kafka/tls/ca.pem
#   kafka.sh stop         stop it and delete its data
#   kafka.sh describe HOST:PORT TOPIC...
#                         describe topics with Kafka's own AdminClient (kafka/DescribeTopics.java),
#                         a reader that shares no code with dpctl, for tests
#
# The SASL_PLAINTEXT listener accepts PLAIN with user `admin`, password `admin-secret`.
# Env: DPCTL_SERVERS_DIR (default /tmp/dpctl-servers), KAFKA_HEAP_OPTS (default -Xms256m -Xmx512m),
#      DPCTL_KAFKA_START_TIMEOUT seconds (default 120).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
project="$here/kafka"
lib="$project/target/lib"
dir="${DPCTL_SERVERS_DIR:-/tmp/dpctl-servers}/kafka"
pidfile="$dir/kafka.pid"
logfile="$dir/kafka.log"
addrfile="$dir/addr"
saslfile="$dir/addr.sasl"
tlsfile="$dir/addr.tls"
start_timeout="${DPCTL_KAFKA_START_TIMEOUT:-120}"

say() { echo "kafka.sh: $*" >&2; }

running() {
    [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
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
    # The pom decides the jar set; refetch when it is newer than the last copy.
    if [[ ! -f "$lib/.complete" || "$project/pom.xml" -nt "$lib/.complete" ]]; then
        say "fetching Kafka jars with Maven (cached in ~/.m2)"
        rm -rf "$lib"
        (cd "$project" && mvn -q -B dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=target/lib) >&2
        touch "$lib/.complete"
    fi
}

cluster_id() {
    # A Kafka Uuid: 16 random bytes, URL-safe base64 without padding (22 chars).
    head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'
}

write_config() {
    local port=$1 sasl_port=$2 cport=$3 tls_port=$4
    cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,SASL_PLAINTEXT://127.0.0.1:$sasl_port,SSL://127.0.0.1:$tls_port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port,SASL_PLAINTEXT://127.0.0.1:$sasl_port,SSL://127.0.0.1:$tls_port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,CONTROLLER:PLAINTEXT
listener.name.ssl.ssl.keystore.location=$dir/tls/broker.p12
listener.name.ssl.ssl.keystore.type=PKCS12
listener.name.ssl.ssl.keystore.password=changeit
listener.name.ssl.ssl.key.password=changeit
sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret";
log.dirs=$dir/data
auto.create.topics.enable=false
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
background.threads=2
EOF
    cat >"$dir/log4j2.properties" <<EOF
status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = out
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apache.name = org.apache.kafka
logger.apache.level = WARN
EOF
}

# A throwaway self-signed broker certificate for 127.0.0.1; its PEM is the CA the tests trust.
make_tls() {
    rm -rf "$dir/tls"
    mkdir -p "$dir/tls"
    keytool -genkeypair -alias broker -keyalg RSA -keysize 2048 -validity 30 -storetype PKCS12 \
        -keystore "$dir/tls/broker.p12" -storepass changeit -keypass changeit \
        -dname "CN=127.0.0.1" -ext "SAN=IP:127.0.0.1" >/dev/null 2>&1
    keytool -exportcert -rfc -alias broker -keystore "$dir/tls/broker.p12" -storepass changeit \
        -file "$dir/tls/ca.pem" >/dev/null 2>&1
}

java_cmd() {
    # shellcheck disable=SC2086
    exec java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
        -Djava.awt.headless=true -Dlog4j2.configurationFile="$dir/log4j2.properties" \
        -cp "$lib/*" "$@"
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
    fetch_jars
    rm -rf "$dir/data" "$addrfile" "$saslfile" "$tlsfile" "$pidfile"
    local port sasl_port cport tls_port
    port=$(free_port)
    sasl_port=$(free_port)
    cport=$(free_port)
    tls_port=$(free_port)
    while [[ "$sasl_port" == "$port" ]]; do sasl_port=$(free_port); done
    while [[ "$cport" == "$port" || "$cport" == "$sasl_port" ]]; do cport=$(free_port); done
    while [[ "$tls_port" == "$port" || "$tls_port" == "$sasl_port" || "$tls_port" == "$cport" ]]; do tls_port=$(free_port); done
    make_tls || { say "keytool could not make the broker certificate"; return 1; }
    write_config "$port" "$sasl_port" "$cport" "$tls_port"
    (java_cmd kafka.tools.StorageTool format -t "$(cluster_id)" -c "$dir/server.properties") >"$logfile" 2>&1 || {
        say "kafka-storage format failed; see $logfile"
        tail -20 "$logfile" >&2
        return 1
    }
    (java_cmd kafka.Kafka "$dir/server.properties") >>"$logfile" 2>&1 9>&- &
    echo $! >"$pidfile"
    local waited=0
    # The listener opens before the broker has caught up with its own metadata log; the log line
    # says when it serves requests.
    until port_answers "$port" && grep -q "Kafka Server started" "$logfile"; do
        if ! running; then
            say "broker exited during startup; see $logfile"
            tail -30 "$logfile" >&2
            rm -f "$pidfile"
            return 1
        fi
        if ((waited >= start_timeout * 5)); then
            say "broker did not answer on 127.0.0.1:$port within ${start_timeout}s; see $logfile"
            stop >/dev/null 2>&1 || true
            return 1
        fi
        sleep 0.2
        waited=$((waited + 1))
    done
    echo "127.0.0.1:$sasl_port" >"$saslfile"
    echo "127.0.0.1:$tls_port" >"$tlsfile"
    echo "127.0.0.1:$port" >"$addrfile"
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
            say "broker $pid ignored SIGTERM for 30s; killing it"
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    rm -rf "$dir/data" "$pidfile" "$addrfile" "$saslfile" "$tlsfile"
}

addr() {
    local file="$addrfile"
    [[ "${1:-}" == "sasl" ]] && file="$saslfile"
    [[ "${1:-}" == "tls" ]] && file="$tlsfile"
    if running && [[ -f "$file" ]]; then
        cat "$file"
    else
        return 1
    fi
}

describe() {
    fetch_jars
    java -Xmx128m -XX:TieredStopAtLevel=1 -Dlog4j2.level=ERROR -cp "$lib/*" "$project/DescribeTopics.java" "$@"
}

case "${1:-}" in
    start | ensure) start ;;
    stop) stop ;;
    addr) addr "${2:-}" ;;
    describe)
        shift
        describe "$@"
        ;;
    *)
        echo "usage: $0 start|ensure|stop|addr [sasl]|describe HOST:PORT TOPIC..." >&2
        exit 2
        ;;
esac
