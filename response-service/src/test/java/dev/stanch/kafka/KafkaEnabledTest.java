package dev.stanch.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;

/** When the Kafka wiring applies: brokers configured, and not turned off. */
class KafkaEnabledTest {

    private final ApplicationContextRunner context = new ApplicationContextRunner().withUserConfiguration(Probe.class);

    @Test
    void offWithoutBrokers() {
        context.run(running -> assertThat(running).doesNotHaveBean("probe"));
        context.withPropertyValues("spring.kafka.bootstrap-servers=")
                .run(running -> assertThat(running).doesNotHaveBean("probe"));
    }

    @Test
    void onWithBrokersAsOneValueOrAList() {
        context.withPropertyValues("spring.kafka.bootstrap-servers=kafka-0:9092,kafka-1:9092")
                .run(running -> assertThat(running).hasBean("probe"));
        context.withPropertyValues("spring.kafka.bootstrap-servers[0]=kafka-0:9092")
                .run(running -> assertThat(running).hasBean("probe"));
    }

    @Test
    void offWhenTurnedOffEvenWithBrokers() {
        context.withPropertyValues("spring.kafka.bootstrap-servers=kafka-0:9092", "stanch.kafka.enabled=false")
                .run(running -> assertThat(running).doesNotHaveBean("probe"));
    }

    @Configuration(proxyBeanMethods = false)
    @Conditional(KafkaEnabled.class)
    static class Probe {
        @Bean
        String probe() {
            return "on";
        }
    }
}
