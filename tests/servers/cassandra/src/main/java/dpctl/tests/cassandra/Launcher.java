package dpctl.tests.cassandra;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;

import com.datastax.driver.core.Cluster;
import com.datastax.driver.core.Row;
import com.datastax.driver.core.Session;
import org.apache.cassandra.service.CassandraDaemon;

/**
 * Starts Apache Cassandra embedded (the real CassandraDaemon) for dpctl's tests, with the
 * cassandra.yaml that tests/servers/cassandra.sh wrote, then proves it serves CQL the way a client
 * sees it: it connects with the DataStax Java driver that cassandra-all ships and runs
 * {@code SELECT release_version FROM system.local}. Only then does it write STATE_DIR/ready with
 * the version, so a reader of that file can connect at once.
 *
 * Usage: Launcher STATE_DIR NATIVE_PORT (cassandra.config etc. are system properties).
 */
public final class Launcher {
    public static void main(String[] args) {
        try {
            run(args);
        } catch (Throwable t) {
            // Exit instead of leaving the JVM alive on Cassandra's non-daemon threads.
            t.printStackTrace();
            System.exit(1);
        }
    }

    private static void run(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: Launcher STATE_DIR NATIVE_PORT");
            System.exit(2);
        }
        Path dir = Paths.get(args[0]).toAbsolutePath();
        int port = Integer.parseInt(args[1]);

        // Returns once the node has started its services (cassandra-foreground=yes keeps it attached).
        CassandraDaemon.main(new String[0]);

        String version = null;
        long deadline = System.currentTimeMillis() + 60_000;
        Exception last = null;
        while (version == null && System.currentTimeMillis() < deadline) {
            try (Cluster cluster = Cluster.builder()
                    .addContactPointsWithPorts(new InetSocketAddress("127.0.0.1", port))
                    // The default superuser exists once the role manager has set it up.
                    .withCredentials("cassandra", "cassandra")
                    .withoutJMXReporting()
                    .withoutMetrics()
                    .build();
                 Session session = cluster.connect()) {
                Row row = session.execute("SELECT release_version FROM system.local").one();
                version = row.getString("release_version");
            } catch (Exception e) {
                last = e;
                Thread.sleep(500);
            }
        }
        if (version == null) {
            throw new IllegalStateException("CQL did not answer on 127.0.0.1:" + port, last);
        }
        Files.writeString(dir.resolve("ready.tmp"), version + "\n");
        Files.move(dir.resolve("ready.tmp"), dir.resolve("ready"), StandardCopyOption.ATOMIC_MOVE);
        System.out.println("dpctl-cassandra: Cassandra " + version + " serves CQL on 127.0.0.1:" + port);
        System.out.flush();
    }
}
