package dev.stanch.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

import dev.stanch.detection.DetectionNormalizer;
import dev.stanch.ledger.Ledger;
import dev.stanch.workflow.Intake;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.AbstractMessageListenerContainer;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.test.util.ReflectionTestUtils;

/**
 * The clients Stanch builds on Spring Boot's: the connection settings (brokers, security) come from
 * {@code spring.kafka.*} unchanged, and what the delivery guarantees rest on cannot be configured away.
 * Nothing listens on the brokers named here; the containers are not started.
 */
class KafkaConfigurationTest {

    private final ApplicationContextRunner context = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class))
            .withUserConfiguration(Collaborators.class, KafkaConfiguration.class)
            .withPropertyValues(
                    "spring.kafka.bootstrap-servers=kafka-0.example:9093,kafka-1.example:9093",
                    "spring.kafka.security.protocol=SASL_SSL",
                    "spring.kafka.properties.sasl.mechanism=SCRAM-SHA-512",
                    "spring.kafka.properties.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule"
                            + " required username=\"stanch\" password=\"secret\";",
                    "spring.kafka.ssl.trust-store-location=file:/etc/stanch/kafka/ca.p12",
                    "spring.kafka.ssl.trust-store-type=PKCS12",
                    "spring.kafka.consumer.group-id=stanch-eu",
                    "spring.kafka.producer.acks=1",
                    "spring.kafka.producer.properties.enable.idempotence=false",
                    "stanch.kafka.relay.enabled=false");

    @Test
    void theConsumerTakesBootsConnectionAndCommitsSynchronouslyOncePerPoll() {
        context.run(running -> {
            @SuppressWarnings("unchecked")
            ConcurrentMessageListenerContainer<byte[], byte[]> container =
                    running.getBean(ConcurrentMessageListenerContainer.class);
            Map<String, Object> config = consumerConfig(container);

            assertThat(config)
                    .containsEntry("security.protocol", "SASL_SSL")
                    .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                    .containsEntry("ssl.truststore.type", "PKCS12")
                    .containsEntry("group.id", "stanch-eu")
                    .containsEntry("enable.auto.commit", false)
                    .containsKey("sasl.jaas.config");
            assertThat(config.get("ssl.truststore.location").toString()).endsWith("ca.p12");
            assertThat(config.get("bootstrap.servers").toString()).contains("kafka-0.example:9093");
            // BATCH, not RECORD: a synchronous commit per record capped the intake at a few hundred records
            // a second. Per poll, still only what the listener returned for or the error handler
            // dead-lettered is committed (KafkaIT, FaultsIT); a crash redelivers at most a poll's
            // records, which stop as duplicates (RestartIT).
            assertThat(container.getContainerProperties().getAckMode()).isEqualTo(ContainerProperties.AckMode.BATCH);
            assertThat(container.getContainerProperties().isSyncCommits()).isTrue();
            // What that rests on: a failed record stays in memory, unacked, with those behind it (no
            // seek), and a dead-lettered one is acked.
            assertThat(container.getCommonErrorHandler()).isInstanceOfSatisfying(DefaultErrorHandler.class, handler -> {
                assertThat(handler.seeksAfterHandling()).isFalse();
                assertThat(handler.isAckAfterHandle()).isTrue();
            });
            assertThat(container.getConcurrency()).isEqualTo(2);
            assertThat(container.getContainerProperties().getTopics()).containsExactly("stanch.detections");
        });
    }

    @Test
    void theProducersTakeBootsConnectionButStayIdempotentWithAcksAll() {
        context.run(running -> {
            for (String name : new String[] {"stanchActionsTemplate", "stanchDeadLetterTemplate"}) {
                Map<String, Object> config = running.getBean(name, KafkaTemplate.class)
                        .getProducerFactory()
                        .getConfigurationProperties();
                assertThat(config)
                        .as(name)
                        .containsEntry("security.protocol", "SASL_SSL")
                        .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                        .containsEntry("acks", "all")
                        .containsEntry("enable.idempotence", true);
            }
        });
    }

    @Test
    void aTransactionalProducerIsRefusedWithTheProperty() {
        context.withPropertyValues("spring.kafka.producer.transaction-id-prefix=tx-")
                .run(running -> assertThat(running)
                        .getFailure()
                        .rootCause()
                        .hasMessageContaining("spring.kafka.producer.transaction-id-prefix"));
    }

    @Test
    void noDefaultGroupOrOffsetResetIsNeededInTheProperties() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class))
                .withUserConfiguration(Collaborators.class, KafkaConfiguration.class)
                .withPropertyValues("spring.kafka.bootstrap-servers=localhost:9", "stanch.kafka.relay.enabled=false")
                .run(running -> {
                    Map<String, Object> config =
                            consumerConfig(running.getBean(ConcurrentMessageListenerContainer.class));
                    assertThat(config)
                            .containsEntry("group.id", "stanch")
                            .containsEntry("auto.offset.reset", "earliest");
                });
    }

    private static Map<String, Object> consumerConfig(ConcurrentMessageListenerContainer<?, ?> container) {
        ConsumerFactory<?, ?> factory =
                (ConsumerFactory<?, ?>) ReflectionTestUtils.getField(container, "consumerFactory");
        return factory.getConfigurationProperties();
    }

    @Configuration(proxyBeanMethods = false)
    static class Collaborators {

        /** Nothing listens on the brokers named here: the containers stay stopped. */
        @Bean
        static BeanPostProcessor containersStayStopped() {
            return new BeanPostProcessor() {
                @Override
                public Object postProcessBeforeInitialization(Object bean, String name) {
                    if (bean instanceof AbstractMessageListenerContainer<?, ?> container) {
                        container.setAutoStartup(false);
                    }
                    return bean;
                }
            };
        }

        @Bean
        MeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }

        @Bean
        DetectionNormalizer detectionNormalizer() {
            return new DetectionNormalizer();
        }

        @Bean
        Intake intake() {
            return mock(Intake.class);
        }

        @Bean
        Ledger ledger() {
            return mock(Ledger.class);
        }
    }
}
