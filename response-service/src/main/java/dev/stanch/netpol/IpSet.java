package dev.stanch.netpol;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * An immutable set of addresses, as sorted, disjoint, non-adjacent ranges (IPv4 before IPv6): what
 * an ipBlock ({@code cidr} minus {@code except}) or a list of ANP networks denotes.
 */
final class IpSet {

    static final IpSet EMPTY = new IpSet(List.of());

    private final List<IpRange> ranges;

    private IpSet(List<IpRange> ranges) {
        this.ranges = ranges;
    }

    static IpSet of(Collection<IpRange> ranges) {
        List<IpRange> sorted = new ArrayList<>(ranges);
        sorted.sort(null);
        List<IpRange> merged = new ArrayList<>(sorted.size());
        for (IpRange range : sorted) {
            if (!merged.isEmpty()) {
                IpRange previous = merged.getLast();
                if (previous.ipv6() == range.ipv6()
                        && range.first().compareTo(previous.last().add(BigInteger.ONE)) <= 0) {
                    merged.set(
                            merged.size() - 1,
                            new IpRange(
                                    range.ipv6(),
                                    previous.first(),
                                    previous.last().max(range.last())));
                    continue;
                }
            }
            merged.add(range);
        }
        return merged.isEmpty() ? EMPTY : new IpSet(List.copyOf(merged));
    }

    List<IpRange> ranges() {
        return ranges;
    }

    boolean isEmpty() {
        return ranges.isEmpty();
    }

    /**
     * True when every address of {@code range} is in the set. Ranges are merged, so a contained range
     * lies within one of them.
     */
    boolean containsAll(IpRange range) {
        for (IpRange candidate : ranges) {
            if (candidate.contains(range)) {
                return true;
            }
        }
        return false;
    }

    /** The addresses of this set that are not in {@code other}. */
    IpSet minus(IpSet other) {
        List<IpRange> result = new ArrayList<>();
        for (IpRange range : ranges) {
            List<IpRange> pieces = List.of(range);
            for (IpRange cut : other.ranges) {
                List<IpRange> next = new ArrayList<>();
                for (IpRange piece : pieces) {
                    next.addAll(subtract(piece, cut));
                }
                pieces = next;
            }
            result.addAll(pieces);
        }
        return of(result);
    }

    private static List<IpRange> subtract(IpRange piece, IpRange cut) {
        if (!piece.overlaps(cut)) {
            return List.of(piece);
        }
        List<IpRange> left = new ArrayList<>(2);
        if (piece.first().compareTo(cut.first()) < 0) {
            left.add(new IpRange(piece.ipv6(), piece.first(), cut.first().subtract(BigInteger.ONE)));
        }
        if (piece.last().compareTo(cut.last()) > 0) {
            left.add(new IpRange(piece.ipv6(), cut.last().add(BigInteger.ONE), piece.last()));
        }
        return left;
    }

    @Override
    public String toString() {
        return ranges.toString();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof IpSet that && ranges.equals(that.ranges);
    }

    @Override
    public int hashCode() {
        return ranges.hashCode();
    }
}
