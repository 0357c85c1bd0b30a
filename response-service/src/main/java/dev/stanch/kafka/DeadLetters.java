package dev.stanch.kafka;

import dev.stanch.kafka.DetectionOutcomes.Outcome;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.KafkaOperations;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.ListenerExecutionFailedException;

/**
 * Sends a detection record that cannot be taken in to the dead-letter topic: its key and value as
 * they came (the value cut at {@link #MAX_VALUE_BYTES}), its headers, Spring Kafka's {@code
 * kafka_dlt-*} headers (original topic, partition, offset, timestamp, consumer group, exception class,
 * message and stack trace) and {@value #REASON_HEADER}, one line that says why. The partition is the
 * broker's choice by key, so the dead-letter topic may have any number of partitions.
 *
 * <p>The record's offset is committed only after the broker acknowledged the dead letter: when the
 * dead-letter topic cannot be written, the error handler delivers the record again, and nothing is
 * lost.
 */
final class DeadLetters extends DeadLetterPublishingRecoverer {

    private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);

    /** Why the record was not taken in: the normalizer's reason, the size limit, or the error. */
    static final String REASON_HEADER = "stanch-rejection-reason";

    /** Set when the value was cut: the size of the value as it came, in bytes. */
    static final String ORIGINAL_BYTES_HEADER = "stanch-original-bytes";

    /**
     * The most of a value a dead letter keeps. A record at the size limit plus the exception headers
     * could exceed what the producer or the broker accepts (1 MiB by default), and a dead letter that
     * cannot be written blocks its partition; the start of an oversized event is enough to see what it was.
     */
    static final int MAX_VALUE_BYTES = 256 * 1024;

    private static final int MAX_REASON_CHARS = 1000;

    private final DetectionOutcomes outcomes;

    DeadLetters(KafkaOperations<byte[], byte[]> template, String topic, DetectionOutcomes outcomes) {
        super(template, (record, exception) -> new TopicPartition(topic, -1));
        this.outcomes = outcomes;
        addHeadersFunction((record, exception) -> {
            Headers headers = new RecordHeaders();
            headers.add(REASON_HEADER, reason(exception).getBytes(StandardCharsets.UTF_8));
            return headers;
        });
    }

    @Override
    public void accept(ConsumerRecord<?, ?> record, @Nullable Consumer<?, ?> consumer, Exception exception) {
        super.accept(record, consumer, exception); // throws when the broker did not take it: nothing is committed
        outcomes.count(Outcome.REJECTED);
        log.warn("{}: dead-lettered: {}", DetectionListener.describe(record), reason(exception));
    }

    @Override
    protected ProducerRecord<Object, Object> createProducerRecord(
            ConsumerRecord<?, ?> record,
            TopicPartition topicPartition,
            Headers headers,
            byte @Nullable [] key,
            byte @Nullable [] value) {
        ProducerRecord<Object, Object> letter = super.createProducerRecord(record, topicPartition, headers, key, value);
        if (letter.value() instanceof byte[] bytes && bytes.length > MAX_VALUE_BYTES) {
            letter.headers()
                    .add(ORIGINAL_BYTES_HEADER, Integer.toString(bytes.length).getBytes(StandardCharsets.UTF_8));
            return new ProducerRecord<>(
                    letter.topic(),
                    letter.partition(),
                    letter.timestamp(),
                    letter.key(),
                    Arrays.copyOf(bytes, MAX_VALUE_BYTES),
                    letter.headers());
        }
        return letter;
    }

    /** One printable line: the normalizer's reason, the size limit, or the unexpected error. */
    static String reason(Throwable exception) {
        for (Throwable e = exception; e != null; e = e.getCause()) {
            if (e instanceof RejectedRecord rejected) {
                return DetectionListener.printable(rejected.reason(), MAX_REASON_CHARS);
            }
            if (e instanceof OversizedRecord oversized) {
                return oversized.getMessage();
            }
            if (e.getCause() == e) {
                break;
            }
        }
        Throwable cause = exception;
        while (cause instanceof ListenerExecutionFailedException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String said = root == cause
                ? cause.getClass().getSimpleName() + ": " + cause.getMessage()
                : cause.getClass().getSimpleName() + " (" + root.getClass().getSimpleName() + ": " + root.getMessage()
                        + ")";
        return DetectionListener.printable("could not take the detection in: " + said, MAX_REASON_CHARS);
    }
}
