package dev.stanch.kafka;

import dev.stanch.detection.DetectionNormalizer;
import dev.stanch.ledger.Ledger;
import dev.stanch.workflow.Intake;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.support.serializer.ErrorHandlingDeserializer;
import org.springframework.util.backoff.ExponentialBackOff;

/**
 * Kafka in and out ({@link KafkaEnabled}: only when brokers are configured). Connections — brokers,
 * TLS, SASL, client tuning — come from Spring Boot's {@code spring.kafka.*} through its own
 * factories, so they are configured as for any Spring Boot service; on top of them this sets what
 * Stanch's guarantees rest on, whatever those properties say:
 *
 * <ul>
 *   <li>the detections consumer: values as bytes, size-checked inside an {@code
 *       ErrorHandlingDeserializer}; no auto-commit; group {@code spring.kafka.consumer.group-id}
 *       (default {@code stanch}); from the earliest offset when the group has none yet, unless
 *       {@code spring.kafka.consumer.auto-offset-reset} says otherwise;
 *   <li>offsets committed once per poll, synchronously (ack mode {@code BATCH}): the container
 *       commits, before its next poll, the offsets of the records the listener returned for and of
 *       those the error handler dead-lettered — never one whose detection is not yet in the ledger
 *       (or known not to belong there), because a record that failed transiently is not acked and
 *       the records behind it wait in memory;
 *   <li>the error handler: transient failures retried with a backoff for as long as they last,
 *       everything else dead-lettered at once;
 *   <li>both producers: idempotent, {@code acks=all}.
 * </ul>
 *
 * <p>Why per poll and not per record ({@code RECORD}): a synchronous commit is a broker round trip,
 * and one per record capped the intake at a few hundred records a second. The price is what a crash
 * redelivers: every record since the last commit, at most one poll's ({@code max.poll.records},
 * 500 by default) per consumer, instead of at most one. That is harmless: a detection's id is the
 * detector's event id or a hash of the event, so a redelivered record stops as a duplicate (the
 * ledger's key, or {@code Intake}'s memory of recent ids) and nothing is done twice. The commits stay
 * synchronous: at one per poll they cost little, and a failed commit is then seen (and the records
 * delivered again) rather than overtaken by a later one.
 *
 * <p>docs/kafka.md describes the topics, the messages and the guarantees.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(KafkaEnabled.class)
@EnableConfigurationProperties(KafkaSettings.class)
class KafkaConfiguration {

    private static final Logger log = LoggerFactory.getLogger(KafkaConfiguration.class);

    static final String DEFAULT_GROUP = "stanch";

    /** The listener container's bean name and the prefix of its consumers' thread names. */
    static final String CONTAINER = "stanchDetections";

    @Bean
    DetectionOutcomes detectionOutcomes(MeterRegistry registry) {
        return new DetectionOutcomes(registry);
    }

    @Bean
    KafkaTemplate<byte[], byte[]> stanchDeadLetterTemplate(ProducerFactory<?, ?> producerFactory) {
        return new KafkaTemplate<>(
                bytes(producerFactory, "dead-letter"),
                reliable(Map.of(
                        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class)));
    }

    @Bean
    KafkaTemplate<String, byte[]> stanchActionsTemplate(ProducerFactory<?, ?> producerFactory) {
        return new KafkaTemplate<>(
                bytes(producerFactory, "actions"),
                reliable(Map.of(
                        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class)));
    }

    @Bean
    ConcurrentMessageListenerContainer<byte[], byte[]> stanchDetectionsContainer(
            ConsumerFactory<?, ?> consumerFactory,
            KafkaSettings settings,
            DetectionNormalizer normalizer,
            Intake intake,
            DetectionOutcomes outcomes,
            KafkaTemplate<byte[], byte[]> stanchDeadLetterTemplate) {
        Map<String, Object> config = new HashMap<>(consumerFactory.getConfigurationProperties());
        config.putIfAbsent(ConsumerConfig.GROUP_ID_CONFIG, DEFAULT_GROUP);
        config.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        int maxBytes = (int) settings.maxRecordBytes().toBytes();
        DefaultKafkaConsumerFactory<byte[], byte[]> detections = new DefaultKafkaConsumerFactory<>(
                config,
                ByteArrayDeserializer::new,
                () -> new ErrorHandlingDeserializer<>(new BoundedBytesDeserializer(maxBytes)));
        consumerFactory.getListeners().forEach(listener -> detections.addListener(cast(listener)));

        ContainerProperties properties = new ContainerProperties(settings.detectionsTopic());
        properties.setAckMode(ContainerProperties.AckMode.BATCH);
        properties.setSyncCommits(true);
        properties.setMessageListener(new DetectionListener(normalizer, intake, outcomes));
        ConcurrentMessageListenerContainer<byte[], byte[]> container =
                new ConcurrentMessageListenerContainer<>(detections, properties);
        container.setConcurrency(settings.concurrency());
        container.setCommonErrorHandler(errorHandler(
                new DeadLetters(stanchDeadLetterTemplate, settings.deadLetterTopic(), outcomes), settings, outcomes));
        container.setBeanName(CONTAINER);
        log.info(
                "Kafka intake: {} (group {}, {} consumer(s)), dead letters to {}",
                settings.detectionsTopic(),
                config.get(ConsumerConfig.GROUP_ID_CONFIG),
                settings.concurrency(),
                settings.deadLetterTopic());
        return container;
    }

    /**
     * Retries only {@link TransientIntakeFailure}, doubling the pause from {@code
     * stanch.kafka.retry.initial-interval} to {@code max-interval}, without end: the container keeps
     * the failed record and the rest of its poll in memory and delivers it again, its partitions
     * paused, until the cluster or the database is back. Everything else is dead-lettered at the first
     * failure.
     *
     * <p>With ack mode {@code BATCH} and no seek after an error (Spring Kafka's {@code
     * KafkaMessageListenerContainer}, record listener): each record the listener returned for is
     * acked; a failed record that the handler recovered (dead-lettered) is acked too ({@code
     * ackAfterHandle}, on by default); one it will retry is not, and neither are the records behind
     * it, kept as the container's remaining records. The acks are committed before the next poll, and
     * on a rebalance or a stop, as the highest acked offset + 1 per partition — so the records before
     * a failed one are committed while it is retried, and it and those behind it are not. A dead
     * letter that cannot be sent makes the recovery fail: the record is then retried, not acked.
     */
    static DefaultErrorHandler errorHandler(
            DeadLetters deadLetters, KafkaSettings settings, DetectionOutcomes outcomes) {
        ExponentialBackOff backOff = new ExponentialBackOff(
                settings.retry().initialInterval().toMillis(), ExponentialBackOff.DEFAULT_MULTIPLIER);
        backOff.setMaxInterval(settings.retry().maxInterval().toMillis());
        backOff.setMaxElapsedTime(Long.MAX_VALUE);
        backOff.setMaxAttempts(Long.MAX_VALUE);
        DefaultErrorHandler handler = new DefaultErrorHandler(deadLetters, backOff);
        // Keep the rest of the poll in memory instead of seeking back after each failure: a seek makes
        // the consumer wait out its in-flight fetch (fetch.max.wait.ms), which would cost every
        // dead-lettered record half a second. During retries the consumer is paused, still polling.
        handler.setSeekAfterError(false);
        handler.defaultFalse();
        handler.addRetryableExceptions(TransientIntakeFailure.class);
        handler.setRetryListeners((record, exception, deliveryAttempt) -> {
            for (Throwable e = exception; e != null; e = e.getCause()) {
                if (e instanceof TransientIntakeFailure transientFailure) {
                    outcomes.countRetry();
                    log.warn(
                            "delivery {} failed, delivering it again: {}",
                            deliveryAttempt,
                            transientFailure.getMessage());
                    return;
                }
            }
        });
        return handler;
    }

    @Bean
    @ConditionalOnBooleanProperty(name = "stanch.kafka.relay.enabled", matchIfMissing = true)
    OutboxRelay outboxRelay(
            Ledger ledger, KafkaTemplate<String, byte[]> stanchActionsTemplate, KafkaSettings settings) {
        return new OutboxRelay(ledger, stanchActionsTemplate, settings.actionsTopic(), settings.relay());
    }

    /** What Stanch's delivery guarantees rest on, over whatever spring.kafka.producer.* says. */
    private static Map<String, Object> reliable(Map<String, Object> serializers) {
        Map<String, Object> config = new HashMap<>(serializers);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        return config;
    }

    @SuppressWarnings("unchecked")
    private static <K, V> ProducerFactory<K, V> bytes(ProducerFactory<?, ?> factory, String use) {
        if (factory.transactionCapable()) {
            // Stanch's producers are idempotent, not transactional: a transactional factory would
            // refuse their sends outside a transaction.
            throw new IllegalStateException("spring.kafka.producer.transaction-id-prefix is set: Stanch's " + use
                    + " producer does not use Kafka transactions; remove the property");
        }
        return (ProducerFactory<K, V>) factory;
    }

    @SuppressWarnings("unchecked")
    private static ConsumerFactory.Listener<byte[], byte[]> cast(ConsumerFactory.Listener<?, ?> listener) {
        return (ConsumerFactory.Listener<byte[], byte[]>) listener;
    }
}
