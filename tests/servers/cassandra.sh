#!/usr/bin/env bash
# A real Apache Cassandra 5.0 node for the tests, embedded (CassandraDaemon) from Maven Central jars
# (tests/servers/cassandra/pom.xml, ~/.m2 is the cache): native transport on 127.0.0.1, free ports,
# small memory, throwaway data. No Docker, no other downloads.
#
# Clients log in as cassandra / cassandra (PasswordAuthenticator, the default superuser).
#
#   cassandra.sh start | ensure   start (if not running) and print 127.0.0.1:PORT once CQL answers
#                                 (the launcher runs SELECT release_version FROM system.local first)
#   cassandra.sh addr             print the running node's address, or exit 1
#   cassandra.sh stop             stop it and delete its data
#
# Env: DPCTL_SERVERS_DIR (default /tmp/dpctl-servers), CASSANDRA_HEAP_OPTS (default -Xms512m -Xmx1g),
#      DPCTL_CASSANDRA_START_TIMEOUT seconds (default 150).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
project="$here/cassandra"
lib="$project/target/lib"
jar="$project/target/cassandra-test-server-1.jar"
dir="${DPCTL_SERVERS_DIR:-/tmp/dpctl-servers}/cassandra"
pidfile="$dir/cassandra.pid"
logfile="$dir/cassandra.log"
addrfile="$dir/addr"
start_timeout="${DPCTL_CASSANDRA_START_TIMEOUT:-150}"

say() { echo "cassandra.sh: $*" >&2; }

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

build() {
    local stamp="$project/target/.complete"
    if [[ ! -f "$stamp" || "$project/pom.xml" -nt "$stamp" ]] || [[ -n "$(find "$project/src" -newer "$stamp" -type f)" ]]; then
        say "building the Cassandra launcher with Maven (cached in ~/.m2)"
        rm -rf "$lib"
        (cd "$project" && mvn -q -B package -DskipTests &&
            mvn -q -B dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=target/lib) >&2
        touch "$stamp"
    fi
}

java_bin() {
    if [[ -n "${JAVA_HOME:-}" ]]; then echo "$JAVA_HOME/bin/java"; else readlink -f "$(command -v java)"; fi
}

write_config() {
    local port=$1 storage_port=$2 data="$dir/data"
    mkdir -p "$data"
    cat >"$dir/cassandra.yaml" <<YAML
cluster_name: dpctl-test
num_tokens: 1
allocate_tokens_for_local_replication_factor: 1
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
# A single node that gossips with nobody else: it is its own only seed, on loopback.
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1:$storage_port"
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: $storage_port
ssl_storage_port: $storage_port
start_native_transport: true
native_transport_port: $port
data_file_directories: [$data/data]
commitlog_directory: $data/commitlog
saved_caches_directory: $data/saved_caches
hints_directory: $data/hints
cdc_raw_directory: $data/cdc_raw
commitlog_sync: periodic
commitlog_sync_period: 10000ms
commitlog_segment_size: 8MiB
# Password authentication with Cassandra's default superuser cassandra/cassandra, so clients
# prove they log in the way a production cluster makes them.
authenticator: PasswordAuthenticator
authorizer: AllowAllAuthorizer
role_manager: CassandraRoleManager
# Small memory: the machine is shared and the tests write a few rows.
memtable_heap_space: 64MiB
memtable_offheap_space: 64MiB
key_cache_size: 8MiB
counter_cache_size: 0MiB
concurrent_reads: 4
concurrent_writes: 4
concurrent_counter_writes: 4
concurrent_compactors: 1
native_transport_max_threads: 32
disk_access_mode: mmap_index_only
auto_snapshot: false
snapshot_on_duplicate_row_detection: false
hinted_handoff_enabled: false
dynamic_snitch: false
YAML
    cat >"$dir/logback.xml" <<XML
<configuration>
  <appender name="out" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d %-5level [%thread] %logger{20}: %msg%n</pattern></encoder>
  </appender>
  <logger name="org.apache.cassandra.service.CassandraDaemon" level="INFO"/>
  <root level="WARN"><appender-ref ref="out"/></root>
</configuration>
XML
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
    rm -rf "$dir/data" "$dir/ready" "$addrfile" "$pidfile"
    local port storage_port
    port=$(free_port)
    storage_port=$(free_port)
    while [[ "$storage_port" == "$port" ]]; do storage_port=$(free_port); done
    write_config "$port" "$storage_port"
    # The JVM flags Cassandra's own conf/jvm17-server.options sets for Java 17, plus test-speed ones.
    # shellcheck disable=SC2086
    ("$(java_bin)" ${CASSANDRA_HEAP_OPTS:--Xms512m -Xmx1g} -XX:+UseSerialGC -Xss512k \
        -Djava.net.preferIPv4Stack=true -Djava.security.manager=allow -Djdk.attach.allowAttachSelf=true \
        --add-exports java.base/jdk.internal.misc=ALL-UNNAMED \
        --add-exports java.base/jdk.internal.ref=ALL-UNNAMED \
        --add-exports java.base/sun.nio.ch=ALL-UNNAMED \
        --add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED \
        --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED \
        --add-exports java.rmi/sun.rmi.server=ALL-UNNAMED \
        --add-exports java.sql/java.sql=ALL-UNNAMED \
        --add-opens java.base/java.lang.module=ALL-UNNAMED \
        --add-opens java.base/jdk.internal.loader=ALL-UNNAMED \
        --add-opens java.base/jdk.internal.ref=ALL-UNNAMED \
        --add-opens java.base/jdk.internal.reflect=ALL-UNNAMED \
        --add-opens java.base/jdk.internal.math=ALL-UNNAMED \
        --add-opens java.base/jdk.internal.module=ALL-UNNAMED \
        --add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED \
        --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED \
        --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
        --add-opens java.base/java.io=ALL-UNNAMED \
        --add-opens java.base/java.nio=ALL-UNNAMED \
        --add-opens java.base/java.util.concurrent.atomic=ALL-UNNAMED \
        --add-opens java.base/java.util=ALL-UNNAMED \
        --add-opens java.base/java.lang=ALL-UNNAMED \
        --add-opens java.base/java.lang.reflect=ALL-UNNAMED \
        --add-opens java.base/java.net=ALL-UNNAMED \
        -Dcassandra.config="file://$dir/cassandra.yaml" \
        -Dcassandra.storagedir="$dir/data" \
        -Dcassandra-foreground=yes \
        -Dlogback.configurationFile="$dir/logback.xml" \
        -Dcassandra.logdir="$dir" \
        -Dcassandra.skip_wait_for_gossip_to_settle=0 \
        -Dcassandra.ring_delay_ms=0 \
        -Dcassandra.superuser_setup_delay_ms=0 \
        -Dcassandra.available_processors=2 \
        -cp "$jar:$lib/*" dpctl.tests.cassandra.Launcher "$dir" "$port") >"$logfile" 2>&1 9>&- &
    echo $! >"$pidfile"
    local waited=0
    until [[ -f "$dir/ready" ]]; do
        if ! running; then
            say "Cassandra exited during startup; see $logfile"
            grep -v '^\s*at ' "$logfile" | tail -30 >&2
            rm -f "$pidfile"
            return 1
        fi
        if ((waited >= start_timeout * 5)); then
            say "Cassandra did not serve CQL on 127.0.0.1:$port within ${start_timeout}s; see $logfile"
            stop >/dev/null 2>&1 || true
            return 1
        fi
        sleep 0.2
        waited=$((waited + 1))
    done
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
            say "Cassandra $pid ignored SIGTERM for 30s; killing it"
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    rm -rf "$dir/data" "$dir/ready" "$pidfile" "$addrfile"
}

addr() {
    if running && [[ -f "$addrfile" ]]; then cat "$addrfile"; else return 1; fi
}

case "${1:-}" in
    start | ensure) start ;;
    stop) stop ;;
    addr) addr ;;
    *)
        echo "usage: $0 start|ensure|stop|addr" >&2
        exit 2
        ;;
esac
