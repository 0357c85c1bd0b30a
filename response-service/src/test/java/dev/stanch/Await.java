package dev.stanch;

import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;

/** Waiting in tests for something the service does on its own schedule. */
public final class Await {

    private Await() {}

    /**
     * Polls {@code done} every 50 ms until it holds. The patience is no claim about speed: running
     * out of it fails the test with {@code what}, it never measures anything.
     */
    public static void until(Duration patience, String what, BooleanSupplier done) {
        Instant deadline = Instant.now().plus(patience);
        while (!done.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("not done within " + patience + ": " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + what, e);
            }
        }
    }
}
