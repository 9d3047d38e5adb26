package dpctl.tests.yarn;

import java.util.Collections;

import org.apache.hadoop.yarn.api.records.ApplicationSubmissionContext;
import org.apache.hadoop.yarn.api.records.ContainerLaunchContext;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.client.api.YarnClientApplication;
import org.apache.hadoop.yarn.conf.YarnConfiguration;

/**
 * A stand-in for Samza's {@code bin/run-job.sh}: submits an application through the YARN client
 * RPC (as run-job.sh does) and exits, leaving the application to start on its own.
 *
 * Usage: SubmitApp NAME AM_COMMAND (yarn-site.xml on the classpath names the RM).
 */
public final class SubmitApp {
    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: SubmitApp NAME AM_COMMAND");
            System.exit(2);
        }
        YarnClient client = YarnClient.createYarnClient();
        client.init(new YarnConfiguration());
        client.start();
        YarnClientApplication app = client.createApplication();
        ApplicationSubmissionContext ctx = app.getApplicationSubmissionContext();
        ctx.setApplicationName(args[0]);
        ctx.setApplicationType("Samza");
        ctx.setQueue("default");
        ctx.setMaxAppAttempts(1);
        ctx.setResource(Resource.newInstance(128, 1));
        ctx.setAMContainerSpec(ContainerLaunchContext.newInstance(
                Collections.emptyMap(), Collections.emptyMap(), Collections.singletonList(args[1]), null, null, null));
        client.submitApplication(ctx);
        System.out.println("submitted " + ctx.getApplicationId() + " as " + args[0]);
        client.stop();
    }
}
