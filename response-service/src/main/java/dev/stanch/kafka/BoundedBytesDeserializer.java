package dev.stanch.kafka;

import org.apache.kafka.common.serialization.Deserializer;

/**
 * A record value's bytes as they are, unless there are more than the limit ({@code
 * stanch.kafka.max-record-bytes}): then it throws {@link OversizedRecord}, which the {@code
 * ErrorHandlingDeserializer} around it turns into a dead-lettered record instead of a stopped
 * consumer. The value is never parsed here: normalizing is the listener's work, where a rejection
 * carries the normalizer's reason.
 */
final class BoundedBytesDeserializer implements Deserializer<byte[]> {

    private final int maxBytes;

    BoundedBytesDeserializer(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    @Override
    public byte[] deserialize(String topic, byte[] data) {
        if (data != null && data.length > maxBytes) {
            throw new OversizedRecord(data.length, maxBytes);
        }
        return data;
    }
}
