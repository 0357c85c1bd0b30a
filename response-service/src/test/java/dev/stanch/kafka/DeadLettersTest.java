package dev.stanch.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.kafka.core.KafkaOperations;
import org.springframework.kafka.listener.ListenerExecutionFailedException;
import org.springframework.kafka.support.serializer.DeserializationException;

class DeadLettersTest {

    @Test
    void theReasonIsTheNormalizersWhereverTheContainerWrappedIt() {
        var failure = new ListenerExecutionFailedException(
                "listener failed", new RejectedRecord("k8s.pod.name: not a valid pod name: '../../etc'"));

        assertThat(DeadLetters.reason(failure)).isEqualTo("k8s.pod.name: not a valid pod name: '../../etc'");
    }

    @Test
    void anOversizedRecordSaysItsSizeAndTheLimit() {
        var failure = new DeserializationException(
                "failed to deserialize", new byte[0], false, new OversizedRecord(300, 200));

        assertThat(DeadLetters.reason(failure))
                .isEqualTo("record value is 300 bytes, over the limit of 200 (stanch.kafka.max-record-bytes)");
    }

    @Test
    void anUnexpectedErrorIsNamedWithItsRootCauseOnOnePrintableBoundedLine() {
        var failure = new ListenerExecutionFailedException(
                "listener failed",
                new DataIntegrityViolationException(
                        "insert failed", new SQLException("ERROR: bad\n  Detail: " + "x".repeat(5000))));

        String reason = DeadLetters.reason(failure);

        assertThat(reason)
                .startsWith(
                        "could not take the detection in: DataIntegrityViolationException (SQLException: ERROR: bad\\u000a")
                .hasSize(1000)
                .endsWith("…")
                .doesNotContain("\n");
    }

    @Test
    void aValueOverTheDeadLetterLimitIsCutAndItsSizeKept() {
        DeadLetters letters = new DeadLetters(
                castTemplate(mock(KafkaOperations.class)), "dlt", new DetectionOutcomes(new SimpleMeterRegistry()));
        byte[] big = new byte[DeadLetters.MAX_VALUE_BYTES + 10];
        byte[] small = "{}".getBytes(StandardCharsets.UTF_8);

        ProducerRecord<Object, Object> cut = letters.createProducerRecord(
                new ConsumerRecord<>("stanch.detections", 0, 7L, "k".getBytes(StandardCharsets.UTF_8), big),
                new TopicPartition("dlt", -1),
                new RecordHeaders(),
                null,
                null);
        ProducerRecord<Object, Object> kept = letters.createProducerRecord(
                new ConsumerRecord<>("stanch.detections", 0, 8L, null, small),
                new TopicPartition("dlt", -1),
                new RecordHeaders(),
                null,
                null);

        assertThat((byte[]) cut.value()).hasSize(DeadLetters.MAX_VALUE_BYTES);
        assertThat(new String(
                        cut.headers()
                                .lastHeader(DeadLetters.ORIGINAL_BYTES_HEADER)
                                .value(),
                        StandardCharsets.UTF_8))
                .isEqualTo(Integer.toString(big.length));
        assertThat(cut.partition()).as("the broker picks the partition").isNull();
        assertThat((byte[]) kept.value()).isEqualTo(small);
        assertThat(kept.headers().lastHeader(DeadLetters.ORIGINAL_BYTES_HEADER)).isNull();
    }

    @SuppressWarnings("unchecked")
    private static KafkaOperations<byte[], byte[]> castTemplate(KafkaOperations<?, ?> template) {
        return (KafkaOperations<byte[], byte[]>) template;
    }
}
