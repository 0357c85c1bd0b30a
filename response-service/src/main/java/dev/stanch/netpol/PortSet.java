package dev.stanch.netpol;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.StringJoiner;

/**
 * An immutable set of ports within 1–65535, kept as sorted, disjoint, non-adjacent closed intervals
 * so that equal sets have equal representations (and print the same way).
 */
final class PortSet {

    static final int MIN = 1;
    static final int MAX = 65535;

    static final PortSet NONE = new PortSet(new int[0]);
    static final PortSet ALL = new PortSet(new int[] {MIN, MAX});

    /** Pairs {@code [from0, to0, from1, to1, ...]}, canonical as described above. */
    private final int[] bounds;

    private PortSet(int[] bounds) {
        this.bounds = bounds;
    }

    /** The ports {@code from..to}, clipped to 1–65535; empty when {@code from > to}. */
    static PortSet range(int from, int to) {
        int start = Math.max(from, MIN);
        int end = Math.min(to, MAX);
        if (start > end) {
            return NONE;
        }
        if (start == MIN && end == MAX) {
            return ALL;
        }
        return new PortSet(new int[] {start, end});
    }

    boolean isEmpty() {
        return bounds.length == 0;
    }

    boolean isAll() {
        return bounds.length == 2 && bounds[0] == MIN && bounds[1] == MAX;
    }

    boolean contains(int port) {
        // Binary search over interval starts: few intervals, but called on every query.
        int low = 0;
        int high = bounds.length / 2 - 1;
        while (low <= high) {
            int middle = (low + high) >>> 1;
            if (port < bounds[2 * middle]) {
                high = middle - 1;
            } else if (port > bounds[2 * middle + 1]) {
                low = middle + 1;
            } else {
                return true;
            }
        }
        return false;
    }

    PortSet union(PortSet other) {
        if (isEmpty() || other.isAll()) {
            return other;
        }
        if (other.isEmpty() || isAll()) {
            return this;
        }
        int[] all = new int[bounds.length + other.bounds.length];
        // Merge the two sorted interval lists, then coalesce overlapping or adjacent intervals.
        int i = 0;
        int j = 0;
        int n = 0;
        while (i < bounds.length || j < other.bounds.length) {
            boolean takeMine = j >= other.bounds.length || (i < bounds.length && bounds[i] <= other.bounds[j]);
            if (takeMine) {
                all[n++] = bounds[i];
                all[n++] = bounds[i + 1];
                i += 2;
            } else {
                all[n++] = other.bounds[j];
                all[n++] = other.bounds[j + 1];
                j += 2;
            }
        }
        int[] merged = new int[n];
        int m = 0;
        for (int k = 0; k < n; k += 2) {
            if (m > 0 && all[k] <= merged[m - 1] + 1) {
                merged[m - 1] = Math.max(merged[m - 1], all[k + 1]);
            } else {
                merged[m++] = all[k];
                merged[m++] = all[k + 1];
            }
        }
        return of(Arrays.copyOf(merged, m));
    }

    PortSet intersect(PortSet other) {
        if (isEmpty() || other.isAll()) {
            return this;
        }
        if (other.isEmpty() || isAll()) {
            return other;
        }
        int[] result = new int[bounds.length + other.bounds.length];
        int n = 0;
        int i = 0;
        int j = 0;
        while (i < bounds.length && j < other.bounds.length) {
            int start = Math.max(bounds[i], other.bounds[j]);
            int end = Math.min(bounds[i + 1], other.bounds[j + 1]);
            if (start <= end) {
                result[n++] = start;
                result[n++] = end;
            }
            if (bounds[i + 1] < other.bounds[j + 1]) {
                i += 2;
            } else {
                j += 2;
            }
        }
        return of(Arrays.copyOf(result, n));
    }

    PortSet complement() {
        if (isEmpty()) {
            return ALL;
        }
        List<Integer> result = new ArrayList<>();
        int next = MIN;
        for (int k = 0; k < bounds.length; k += 2) {
            if (bounds[k] > next) {
                result.add(next);
                result.add(bounds[k] - 1);
            }
            next = bounds[k + 1] + 1;
        }
        if (next <= MAX) {
            result.add(next);
            result.add(MAX);
        }
        return of(result.stream().mapToInt(Integer::intValue).toArray());
    }

    PortSet minus(PortSet other) {
        if (other.isEmpty() || isEmpty()) {
            return this;
        }
        return intersect(other.complement());
    }

    /** Closed intervals as {@code [from, to]} pairs, in order. */
    List<int[]> intervals() {
        List<int[]> result = new ArrayList<>(bounds.length / 2);
        for (int k = 0; k < bounds.length; k += 2) {
            result.add(new int[] {bounds[k], bounds[k + 1]});
        }
        return result;
    }

    private static PortSet of(int[] canonical) {
        if (canonical.length == 0) {
            return NONE;
        }
        if (canonical.length == 2 && canonical[0] == MIN && canonical[1] == MAX) {
            return ALL;
        }
        return new PortSet(canonical);
    }

    /** np-guard's notation: {@code 80,8080-8090}. */
    @Override
    public String toString() {
        StringJoiner joiner = new StringJoiner(",");
        for (int k = 0; k < bounds.length; k += 2) {
            joiner.add(bounds[k] == bounds[k + 1] ? Integer.toString(bounds[k]) : bounds[k] + "-" + bounds[k + 1]);
        }
        return joiner.toString();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PortSet that && Arrays.equals(bounds, that.bounds);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bounds);
    }
}
