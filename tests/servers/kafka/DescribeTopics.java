// Kafka's own AdminClient describing topics, so tests can check what dpctl did
// with a reader that shares no code with it. Run with the source launcher:
//   java -cp 'tests/servers/kafka/target/lib/*' tests/servers/kafka/DescribeTopics.java HOST:PORT TOPIC...
// Prints, sorted: "topic NAME partitions=N replication_factor=N" and one
// "config NAME KEY=VALUE" per config set on the topic itself.
import java.util.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.common.config.ConfigResource;

public class DescribeTopics {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        List<String> names = new ArrayList<>(Arrays.asList(args).subList(1, args.length));
        Collections.sort(names);
        try (Admin admin = Admin.create(props)) {
            Map<String, TopicDescription> topics = admin.describeTopics(names).allTopicNames().get();
            List<ConfigResource> resources = new ArrayList<>();
            for (String n : names) resources.add(new ConfigResource(ConfigResource.Type.TOPIC, n));
            Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get();
            for (String n : names) {
                TopicDescription d = topics.get(n);
                int rf = d.partitions().stream().mapToInt(p -> p.replicas().size()).max().orElse(0);
                System.out.println("topic " + n + " partitions=" + d.partitions().size() + " replication_factor=" + rf);
                List<String> set = new ArrayList<>();
                for (ConfigEntry e : configs.get(new ConfigResource(ConfigResource.Type.TOPIC, n)).entries()) {
                    if (e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG) set.add(e.name() + "=" + e.value());
                }
                Collections.sort(set);
                for (String s : set) System.out.println("config " + n + " " + s);
            }
        }
    }
}
