package dev.stanch.app;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A value loaded at most once per {@code ttl}, however often it is asked for: what keeps a
 * Prometheus scrape — which reads every gauge, one by one, from each scraper — to one query of the
 * ledger every few seconds. A failed load is not kept: the next ask tries again, and the failure
 * reaches the caller (a gauge then reads NaN rather than a stale figure).
 */
final class Cached<T> {

    private final Supplier<T> load;
    private final long ttlNanos;
    private final LongSupplier nanoTime;

    private @Nullable T value;
    private long loadedAt;

    Cached(Supplier<T> load, Duration ttl) {
        this(load, ttl, System::nanoTime);
    }

    /** With a stand-in for {@link System#nanoTime()}: the seam for tests. */
    Cached(Supplier<T> load, Duration ttl, LongSupplier nanoTime) {
        this.load = Objects.requireNonNull(load, "load");
        this.ttlNanos = ttl.toNanos();
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    }

    /** The value loaded less than {@code ttl} ago, or a fresh one; one load at a time. */
    synchronized T get() {
        long now = nanoTime.getAsLong();
        if (value == null || now - loadedAt >= ttlNanos) {
            value = null; // a failed load below leaves nothing stale behind
            T loaded = Objects.requireNonNull(load.get(), "loaded value");
            value = loaded;
            loadedAt = now;
        }
        return value;
    }
}
