package dpctl.tests.yarn;

import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.client.api.AMRMClient;
import org.apache.hadoop.yarn.client.api.AMRMClient.ContainerRequest;
import org.apache.hadoop.yarn.conf.YarnConfiguration;

/**
 * The smallest real application master: registers with the ResourceManager (so the application
 * becomes RUNNING, as a Samza job's does) and heartbeats until it is killed, or for the number of
 * seconds given as its argument, after which it unregisters as SUCCEEDED.
 * Reads the RM scheduler address from yarn-site.xml on its classpath.
 */
public final class SleepAm {
    public static void main(String[] args) throws Exception {
        long seconds = args.length > 0 ? Long.parseLong(args[0]) : 3600;
        AMRMClient<ContainerRequest> rm = AMRMClient.createAMRMClient();
        rm.init(new YarnConfiguration());
        rm.start();
        rm.registerApplicationMaster("127.0.0.1", 0, "");
        long end = System.currentTimeMillis() + seconds * 1000;
        while (System.currentTimeMillis() < end) {
            rm.allocate(0f);
            Thread.sleep(1000);
        }
        rm.unregisterApplicationMaster(FinalApplicationStatus.SUCCEEDED, "done", "");
        rm.stop();
    }
}
