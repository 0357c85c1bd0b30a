package dev.stanch.kafka;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Stanch's own Kafka settings under {@code stanch.kafka.*}; the connection (brokers, TLS, SASL,
 * client tuning) is Spring Boot's {@code spring.kafka.*}. Kafka is on when {@code
 * spring.kafka.bootstrap-servers} is set, unless {@code enabled} is false. docs/kafka.md lists each
 * key.
 *
 * @param enabled turns Kafka off even with brokers configured. Default: on
 * @param detectionsTopic where detector events come in. Default: {@code stanch.detections}
 * @param actionsTopic where every action transition goes out (CloudEvents). Default: {@code
 *     stanch.actions}
 * @param deadLetterTopic where records that cannot be taken in go, with headers that say why.
 *     Default: {@code stanch.detections.dlt}
 * @param concurrency consumers of the detections topic in this instance (more than its partitions
 *     idle). Default: 2
 * @param maxRecordBytes a record value larger than this is dead-lettered unread. Default: 1MB (1 MiB)
 * @param retry the backoff between deliveries of a record whose intake failed transiently
 * @param relay the outbox relay that publishes to the actions topic
 */
@ConfigurationProperties("stanch.kafka")
record KafkaSettings(
        Boolean enabled,
        String detectionsTopic,
        String actionsTopic,
        String deadLetterTopic,
        Integer concurrency,
        DataSize maxRecordBytes,
        Retry retry,
        Relay relay) {

    KafkaSettings {
        enabled = enabled == null || enabled;
        detectionsTopic = topic("stanch.kafka.detections-topic", detectionsTopic, "stanch.detections");
        actionsTopic = topic("stanch.kafka.actions-topic", actionsTopic, "stanch.actions");
        deadLetterTopic = topic("stanch.kafka.dead-letter-topic", deadLetterTopic, "stanch.detections.dlt");
        if (deadLetterTopic.equals(detectionsTopic)) {
            throw new IllegalArgumentException(
                    "stanch.kafka.dead-letter-topic must differ from stanch.kafka.detections-topic: a rejected"
                            + " record would come back forever");
        }
        concurrency = concurrency == null ? 2 : concurrency;
        if (concurrency < 1) {
            throw new IllegalArgumentException("stanch.kafka.concurrency must be at least 1, not " + concurrency);
        }
        maxRecordBytes = maxRecordBytes == null ? DataSize.ofMegabytes(1) : maxRecordBytes;
        if (maxRecordBytes.toBytes() < 1 || maxRecordBytes.toBytes() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "stanch.kafka.max-record-bytes must be between 1B and 2GB, not " + maxRecordBytes);
        }
        retry = retry == null ? new Retry(null, null) : retry;
        relay = relay == null ? new Relay(null, null, null, null) : relay;
    }

    /**
     * The backoff, doubling from {@code initialInterval} up to {@code maxInterval}, for as long as the
     * failure lasts: the record is never given up while the cluster or the database is away.
     *
     * @param initialInterval the first pause. Default: 1s
     * @param maxInterval the longest pause; keep it well under {@code max.poll.interval.ms} (5 min by
     *     default). Default: 30s
     */
    record Retry(Duration initialInterval, Duration maxInterval) {

        Retry {
            initialInterval = positive("stanch.kafka.retry.initial-interval", initialInterval, Duration.ofSeconds(1));
            maxInterval = positive("stanch.kafka.retry.max-interval", maxInterval, Duration.ofSeconds(30));
            if (maxInterval.compareTo(initialInterval) < 0) {
                throw new IllegalArgumentException("stanch.kafka.retry.max-interval (" + maxInterval
                        + ") must not be shorter than stanch.kafka.retry.initial-interval (" + initialInterval + ")");
            }
        }
    }

    /**
     * @param enabled whether this instance publishes the outbox (every instance may: they share the
     *     rows). Default: on
     * @param interval the pause between two rounds. Default: 500ms
     * @param batch the most messages one round sends. Default: 100
     * @param sendTimeout how long a round waits for the broker's acknowledgements; what is not
     *     acknowledged by then is sent again in a later round. Default: 30s
     */
    record Relay(Boolean enabled, Duration interval, Integer batch, Duration sendTimeout) {

        Relay {
            enabled = enabled == null || enabled;
            interval = positive("stanch.kafka.relay.interval", interval, Duration.ofMillis(500));
            batch = batch == null ? 100 : batch;
            if (batch < 1) {
                throw new IllegalArgumentException("stanch.kafka.relay.batch must be at least 1, not " + batch);
            }
            sendTimeout = positive("stanch.kafka.relay.send-timeout", sendTimeout, Duration.ofSeconds(30));
        }
    }

    private static String topic(String key, String value, String fallback) {
        if (value == null) {
            return fallback;
        }
        if (!value.matches("[a-zA-Z0-9._-]{1,249}")) {
            throw new IllegalArgumentException(key + " is not a Kafka topic name: '" + value + "'");
        }
        return value;
    }

    private static Duration positive(String key, Duration value, Duration fallback) {
        if (value == null) {
            return fallback;
        }
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(key + " must be positive, not " + value);
        }
        return value;
    }
}
