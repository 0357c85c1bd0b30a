package dev.stanch.detection;

/**
 * Why an event cannot become a detection. Thrown deep inside the format readers, where the problem
 * is found, and always caught by {@link DetectionNormalizer} (or {@link DetectionJson}), which
 * turns it into {@link Normalization.Rejected}: it never leaves this package. No stack trace: it is
 * an answer about the input, not a fault in the program.
 */
final class RejectedEvent extends RuntimeException {

    RejectedEvent(String reason) {
        super(reason, null, false, false);
    }

    String reason() {
        return getMessage();
    }
}
