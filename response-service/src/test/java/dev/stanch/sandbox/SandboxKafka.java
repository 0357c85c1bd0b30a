package dev.stanch.sandbox;

import java.nio.file.Path;
import java.util.List;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * The sandbox's Kafka: a real broker (KRaft) in the sandbox's JVM, on a free port, with Stanch's
 * topics — detections in, actions out, dead letters — so that the service runs its Kafka intake and
 * outbox relay as installed, through {@code spring.kafka.bootstrap-servers}.
 */
final class SandboxKafka implements AutoCloseable {

    static final String DETECTIONS = "stanch.detections";
    static final String ACTIONS = "stanch.actions";
    static final String DEAD_LETTERS = "stanch.detections.dlt";

    private final EmbeddedKafkaKraftBroker broker;

    private SandboxKafka(EmbeddedKafkaKraftBroker broker) {
        this.broker = broker;
    }

    static SandboxKafka start() {
        EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 2, DETECTIONS, ACTIONS, DEAD_LETTERS);
        broker.afterPropertiesSet();
        return new SandboxKafka(broker);
    }

    String bootstrapServers() {
        return broker.getBrokersAsString();
    }

    /** How to send a detection through Kafka, with {@link Produce} from this checkout. */
    List<String> banner(Path sample) {
        return List.of(
                "Kafka (embedded, KRaft) at " + bootstrapServers() + ": detections in " + DETECTIONS + ", actions out "
                        + ACTIONS + " (CloudEvents), dead letters " + DEAD_LETTERS,
                "Or send it through Kafka (from the repository root, in another terminal):",
                "  JAVA_HOME=" + System.getProperty("java.home")
                        + " ./mvnw -q -pl response-service exec:java -Dexec.classpathScope=test"
                        + " -Dexec.mainClass=dev.stanch.sandbox.Produce -Dexec.args=\"" + bootstrapServers() + " "
                        + DETECTIONS + " " + sample + "\"",
                "");
    }

    @Override
    public void close() {
        broker.destroy();
    }

    @Override
    public String toString() {
        return "Kafka at " + bootstrapServers();
    }
}
