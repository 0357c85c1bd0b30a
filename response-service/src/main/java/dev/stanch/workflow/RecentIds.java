package dev.stanch.workflow;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The ids most recently seen, at most {@code capacity} of them: the one seen longest ago is forgotten
 * first when a new one comes (least recently used, where looking an id up counts as seeing it, so
 * that an id that keeps coming back stays). Thread-safe: every method holds the set's lock for one
 * hash lookup or insertion, which several consumer threads and HTTP requests can share without
 * waiting on each other for long.
 *
 * <p>Memory is bounded by the capacity and the ids' length: about 160 bytes per id of the usual
 * 71 characters ({@code sha256:} and 64 hex digits), so some 16 MB for 100,000 ids; the detection
 * normalizer refuses ids over 256 characters, which bounds the worst case at about 35 MB.
 */
final class RecentIds {

    private final int capacity;
    private final LinkedHashMap<String, Boolean> ids;

    RecentIds(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.capacity = capacity;
        // Access order: get() moves an id to the most recent end, so eviction is least recently seen.
        this.ids = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > RecentIds.this.capacity;
            }
        };
    }

    /** Whether {@code id} is remembered; if so it becomes the most recently seen. */
    synchronized boolean contains(String id) {
        return ids.get(Objects.requireNonNull(id, "id")) != null;
    }

    /** Remembers {@code id} as the most recently seen, forgetting the least recently seen when full. */
    synchronized void add(String id) {
        ids.put(Objects.requireNonNull(id, "id"), Boolean.TRUE);
    }

    synchronized int size() {
        return ids.size();
    }

    int capacity() {
        return capacity;
    }
}
