package dev.stanch.kafka;

/**
 * A record the normalizer rejected (unreadable, malformed, nothing to act on): it goes to the
 * dead-letter topic with the normalizer's reason, and is never retried. An answer about the input,
 * not a fault in the program: no stack trace.
 */
final class RejectedRecord extends RuntimeException {

    RejectedRecord(String reason) {
        super(reason, null, false, false);
    }

    String reason() {
        return getMessage();
    }
}
