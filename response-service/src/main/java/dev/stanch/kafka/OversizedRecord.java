package dev.stanch.kafka;

import org.apache.kafka.common.errors.SerializationException;

/** A record value over {@code stanch.kafka.max-record-bytes}: dead-lettered unread. An answer about the input, no stack trace. */
final class OversizedRecord extends SerializationException {

    OversizedRecord(int bytes, int maxBytes) {
        super(
                "record value is " + bytes + " bytes, over the limit of " + maxBytes
                        + " (stanch.kafka.max-record-bytes)",
                null);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
