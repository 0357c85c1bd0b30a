package dev.stanch.workflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The intake's memory of recent detection ids: bounded, least recently seen forgotten first, shared by threads. */
class RecentIdsTest {

    @Test
    void itHoldsAtMostItsCapacityForgettingTheOldestFirst() {
        RecentIds ids = new RecentIds(3);
        for (String id : List.of("a", "b", "c", "d", "e")) {
            ids.add(id);
        }

        assertThat(ids.size()).isEqualTo(3);
        assertThat(ids.contains("a")).isFalse();
        assertThat(ids.contains("b")).isFalse();
        assertThat(ids.contains("c")).isTrue();
        assertThat(ids.contains("d")).isTrue();
        assertThat(ids.contains("e")).isTrue();
    }

    @Test
    void anIdLookedUpOrAddedAgainIsKeptOverOnesSeenLessRecently() {
        RecentIds ids = new RecentIds(3);
        ids.add("a");
        ids.add("b");
        ids.add("c");

        assertThat(ids.contains("a")).isTrue(); // a storm's id keeps coming back: it stays
        ids.add("d");
        assertThat(ids.contains("b")).as("the least recently seen goes").isFalse();
        assertThat(ids.contains("a")).isTrue();

        // Now, least recent first: c, d, a (the look-ups above count as seeing).
        ids.add("c"); // again: d, a, c
        ids.add("e");
        assertThat(ids.contains("d")).isFalse();
        assertThat(ids.contains("a")).isTrue();
        assertThat(ids.contains("c")).isTrue();
        assertThat(ids.contains("e")).isTrue();
        assertThat(ids.size()).isEqualTo(3);
    }

    @Test
    void anUnknownIdIsNotRemembered() {
        RecentIds ids = new RecentIds(2);

        assertThat(ids.contains("never added")).isFalse();
        assertThat(ids.size()).isZero();
    }

    @Test
    void aCapacityBelowOneIsRefused() {
        assertThatThrownBy(() -> new RecentIds(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new RecentIds(1).capacity()).isEqualTo(1);
    }

    @Test
    void threadsAddingAndLookingUpAtOnceLeaveItConsistentAndBounded() throws Exception {
        int capacity = 1_000;
        int threads = 8;
        int perThread = 20_000;
        RecentIds ids = new RecentIds(capacity);
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> found = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                found.add(pool.submit(() -> {
                    start.await();
                    int hits = 0;
                    for (int i = 0; i < perThread; i++) {
                        String id = thread + "-" + i;
                        ids.add(id);
                        // Another thread's id, as several consumers and HTTP requests would look them up.
                        if (ids.contains(((thread + 1) % threads) + "-" + i)) {
                            hits++;
                        }
                    }
                    return hits;
                }));
            }
            for (Future<Integer> f : found) {
                assertThat(f.get()).isBetween(0, perThread);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(ids.size()).isEqualTo(capacity);
        long remembered = IntStream.range(0, threads)
                .boxed()
                .flatMap(t -> IntStream.range(0, perThread).mapToObj(i -> t + "-" + i))
                .filter(ids::contains)
                .count();
        assertThat(remembered)
                .as("exactly the ids it says it holds, none lost or duplicated in its links")
                .isEqualTo(capacity);
    }
}
