package dpctl.tests.yarn;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;

import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * Starts Hadoop's MiniYARNCluster (one ResourceManager, one NodeManager) for dpctl's tests,
 * with every address on 127.0.0.1 and ports chosen here, so nothing listens beyond loopback.
 *
 * Usage: Launcher STATE_DIR. Writes STATE_DIR/conf/yarn-site.xml (the cluster's effective
 * configuration, which the test application master reads) and then STATE_DIR/port (the RM web
 * port), in that order, so a reader that sees the port file also sees the configuration.
 */
public final class Launcher {
    private static final String HOST = "127.0.0.1";

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(HOST, 0));
            return s.getLocalPort();
        }
    }

    private static String addr() throws IOException {
        return HOST + ":" + freePort();
    }

    public static void main(String[] args) {
        try {
            run(args);
        } catch (Throwable t) {
            // Exit instead of leaving the JVM alive on the cluster's non-daemon threads.
            t.printStackTrace();
            System.exit(1);
        }
    }

    private static void run(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: Launcher STATE_DIR");
            System.exit(2);
        }
        Path dir = Paths.get(args[0]).toAbsolutePath();
        Files.createDirectories(dir.resolve("conf"));

        YarnConfiguration conf = new YarnConfiguration();
        // Fixed ports: MiniYARNCluster otherwise rebinds everything to the machine's hostname.
        conf.setBoolean(YarnConfiguration.YARN_MINICLUSTER_FIXED_PORTS, true);
        conf.set(YarnConfiguration.RM_HOSTNAME, HOST);
        conf.set(YarnConfiguration.RM_ADDRESS, addr());
        conf.set(YarnConfiguration.RM_SCHEDULER_ADDRESS, addr());
        conf.set(YarnConfiguration.RM_ADMIN_ADDRESS, addr());
        conf.set(YarnConfiguration.RM_RESOURCE_TRACKER_ADDRESS, addr());
        int webPort = freePort();
        conf.set(YarnConfiguration.RM_WEBAPP_ADDRESS, HOST + ":" + webPort);
        conf.set("yarn.nodemanager.hostname", HOST);
        conf.set(YarnConfiguration.NM_ADDRESS, addr());
        conf.set(YarnConfiguration.NM_WEBAPP_ADDRESS, addr());
        conf.set(YarnConfiguration.NM_LOCALIZER_ADDRESS, addr());
        conf.set(YarnConfiguration.NM_COLLECTOR_SERVICE_ADDRESS, addr());
        conf.set("hadoop.tmp.dir", dir.resolve("tmp").toString());
        // Small containers, and no limits that a shared 2-core test machine would trip over.
        conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 64);
        conf.setInt(YarnConfiguration.NM_PMEM_MB, 4096);
        conf.setInt(YarnConfiguration.NM_VCORES, 16);
        conf.setBoolean(YarnConfiguration.NM_PMEM_CHECK_ENABLED, false);
        conf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
        // The capacity scheduler with one `default` queue, as a stock yarn-site.xml has it.
        conf.set("yarn.scheduler.capacity.root.queues", "default");
        conf.set("yarn.scheduler.capacity.root.default.capacity", "100");
        conf.set("yarn.scheduler.capacity.root.default.maximum-capacity", "100");
        conf.setFloat("yarn.scheduler.capacity.maximum-am-resource-percent", 1.0f);
        conf.setFloat(YarnConfiguration.NM_MAX_PER_DISK_UTILIZATION_PERCENTAGE, 100.0f);
        conf.setBoolean(YarnConfiguration.TIMELINE_SERVICE_ENABLED, false);

        MiniYARNCluster cluster = new MiniYARNCluster("dpctl-yarn", 1, 1, 1);
        cluster.init(conf);
        cluster.start();
        Runtime.getRuntime().addShutdownHook(new Thread(cluster::stop));

        Path site = dir.resolve("conf/yarn-site.xml");
        Path tmp = dir.resolve("conf/yarn-site.xml.tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            cluster.getConfig().writeXml(out);
        }
        Files.move(tmp, site, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.writeString(dir.resolve("port.tmp"), webPort + "\n");
        Files.move(dir.resolve("port.tmp"), dir.resolve("port"), StandardCopyOption.ATOMIC_MOVE);
        System.out.println("dpctl-yarn: ResourceManager web app on http://" + HOST + ":" + webPort);
        System.out.flush();
        Thread.currentThread().join();
    }
}
