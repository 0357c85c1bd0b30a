package dev.stanch.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CachedTest {

    private final AtomicLong now = new AtomicLong(1_000);
    private final AtomicInteger loads = new AtomicInteger();

    @Test
    void loadsOncePerTtlHoweverOftenAsked() {
        Cached<Integer> cached = new Cached<>(loads::incrementAndGet, Duration.ofSeconds(5), now::get);

        assertThat(cached.get()).isEqualTo(1);
        now.addAndGet(Duration.ofSeconds(4).toNanos());
        assertThat(cached.get()).isEqualTo(1);
        assertThat(cached.get()).isEqualTo(1);
        assertThat(loads).hasValue(1);

        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(cached.get()).isEqualTo(2);
        assertThat(loads).hasValue(2);
    }

    @Test
    void aFailedLoadKeepsNothingStaleAndIsTriedAgainAtTheNextAsk() {
        AtomicInteger calls = new AtomicInteger();
        Cached<String> cached = new Cached<>(
                () -> switch (calls.incrementAndGet()) {
                    case 1 -> "first";
                    case 2 -> throw new IllegalStateException("database away");
                    default -> "back";
                },
                Duration.ofSeconds(5),
                now::get);

        assertThat(cached.get()).isEqualTo("first");
        now.addAndGet(Duration.ofSeconds(5).toNanos());
        assertThatThrownBy(cached::get).hasMessage("database away");
        assertThat(cached.get())
                .as("not the stale value, and no wait for the ttl")
                .isEqualTo("back");
        assertThat(calls).hasValue(3);
    }
}
