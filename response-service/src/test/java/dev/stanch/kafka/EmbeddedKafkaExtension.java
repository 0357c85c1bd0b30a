package dev.stanch.kafka;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.springframework.kafka.test.EmbeddedKafkaBroker;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * A real Kafka broker (KRaft, in this JVM) for one test class, with Stanch's three topics (two
 * partitions each): ask for an {@link EmbeddedKafkaBroker} parameter in {@code @BeforeAll}. It lives
 * in the class's store, which JUnit closes after every {@code afterAll} callback — after Spring has
 * closed a {@code @DirtiesContext} application context, so the service never outlives its broker.
 */
public final class EmbeddedKafkaExtension implements ParameterResolver {

    public static final String DETECTIONS = "stanch.detections";
    public static final String ACTIONS = "stanch.actions";
    public static final String DEAD_LETTERS = "stanch.detections.dlt";

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(EmbeddedKafkaExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == EmbeddedKafkaBroker.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getStore(NAMESPACE)
                .computeIfAbsent(RunningBroker.class, key -> RunningBroker.start(), RunningBroker.class)
                .broker();
    }

    /** Stops the broker when the store closes. */
    private record RunningBroker(EmbeddedKafkaBroker broker) implements AutoCloseable {

        static RunningBroker start() {
            EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 2, DETECTIONS, ACTIONS, DEAD_LETTERS);
            broker.afterPropertiesSet();
            return new RunningBroker(broker);
        }

        @Override
        public void close() {
            broker.destroy();
        }
    }
}
