package dev.stanch.kafka;

import java.util.List;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Kafka is on when brokers are configured — {@code spring.kafka.bootstrap-servers}, as one
 * comma-separated value or as a list — and {@code stanch.kafka.enabled} is not false. Without them
 * the service starts and serves its REST API alone: Spring Boot's own default ({@code
 * localhost:9092}) is never dialled by accident.
 */
final class KafkaEnabled implements Condition {

    @Override
    public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
        Binder binder = Binder.get(context.getEnvironment());
        boolean enabled = binder.bind("stanch.kafka.enabled", Boolean.class).orElse(true);
        List<String> servers = binder.bind("spring.kafka.bootstrap-servers", Bindable.listOf(String.class))
                .orElse(List.of());
        return enabled && servers.stream().anyMatch(server -> !server.isBlank());
    }
}
