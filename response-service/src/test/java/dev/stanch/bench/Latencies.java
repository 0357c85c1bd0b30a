package dev.stanch.bench;

import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.Locale;

/** Durations of one kind, read as percentiles (nearest rank). */
record Latencies(long[] sortedNanos) {

    static Latencies of(Collection<Duration> durations) {
        return new Latencies(
                durations.stream().mapToLong(Duration::toNanos).sorted().toArray());
    }

    static Latencies ofNanos(long[] nanos) {
        long[] copy = nanos.clone();
        Arrays.sort(copy);
        return new Latencies(copy);
    }

    int count() {
        return sortedNanos.length;
    }

    /** The nearest-rank percentile, {@code p} in [0, 100] (0: the minimum); zero when there are no samples. */
    Duration percentile(double p) {
        if (sortedNanos.length == 0) {
            return Duration.ZERO;
        }
        int rank = (int) Math.ceil(p / 100 * sortedNanos.length);
        return Duration.ofNanos(sortedNanos[Math.clamp(rank - 1, 0, sortedNanos.length - 1)]);
    }

    Duration max() {
        return sortedNanos.length == 0 ? Duration.ZERO : Duration.ofNanos(sortedNanos[sortedNanos.length - 1]);
    }

    /** {@code min 0.9 ms · p50 1.2 ms · p95 3.4 ms · p99 5.6 ms (n 1000)}: the minimum is what one sees with no queue. */
    String summary() {
        return "min " + ms(percentile(0)) + " · p50 " + ms(percentile(50)) + " · p95 " + ms(percentile(95)) + " · p99 "
                + ms(percentile(99)) + " (n " + count() + ")";
    }

    static String ms(Duration duration) {
        double ms = duration.toNanos() / 1e6;
        return String.format(Locale.ROOT, ms < 10 ? "%.2f ms" : ms < 1000 ? "%.1f ms" : "%.0f ms", ms);
    }
}
