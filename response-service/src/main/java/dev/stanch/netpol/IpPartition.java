package dev.stanch.netpol;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Cuts the address space into ranges that a set of address blocks (ipBlocks, ANP networks) treat
 * alike: two addresses fall in the same range when every block contains both or neither. Within
 * such a range any address stands for all, which is what lets the report print ranges.
 */
final class IpPartition {

    private IpPartition() {}

    /**
     * The ranges, IPv4 first. The IPv4 space is always covered (np-guard prints it even without
     * blocks); the IPv6 space only when some block is IPv6, so IPv4-only policies keep np-guard's
     * output.
     */
    static List<IpRange> atoms(List<IpSet> blocks) {
        return atoms(blocks, false);
    }

    /**
     * As {@link #atoms(List)}; with {@code bothFamilies} the IPv6 space is always covered (a blast
     * radius must not leave out IPv6 just because no policy names it).
     */
    static List<IpRange> atoms(List<IpSet> blocks, boolean bothFamilies) {
        List<IpRange> atoms = new ArrayList<>(family(blocks, false));
        boolean anyIpv6 =
                blocks.stream().flatMap(block -> block.ranges().stream()).anyMatch(IpRange::ipv6);
        if (anyIpv6 || bothFamilies) {
            atoms.addAll(family(blocks, true));
        }
        return atoms;
    }

    /**
     * As {@link #atoms(List, boolean)} with both families, from the blocks' boundaries per family
     * (what {@link #boundaries} gives; the union of two such sets is that of both block lists).
     */
    static List<IpRange> atoms(TreeSet<BigInteger> ipv4Boundaries, TreeSet<BigInteger> ipv6Boundaries) {
        List<IpRange> atoms = new ArrayList<>(pieces(IpRange.everything(false), ipv4Boundaries));
        atoms.addAll(pieces(IpRange.everything(true), ipv6Boundaries));
        return atoms;
    }

    /**
     * The pieces of one family's space between consecutive boundaries. Every piece is an atom of its
     * own: a block's ranges are disjoint and never adjacent ({@link IpSet#of} merges them), so at
     * each boundary — the first address of some block's range, or the one after its last — that
     * block contains the addresses on one side and not those on the other, and the two neighbouring
     * pieces differ in membership. (Comparing every piece with every block was quadratic: one Stanch
     * block policy per pod meant millions of containment checks per blast radius.)
     */
    private static List<IpRange> family(List<IpSet> blocks, boolean ipv6) {
        return pieces(IpRange.everything(ipv6), boundaries(blocks, ipv6));
    }

    /** Every address at which some block starts or stops, for one family. */
    static TreeSet<BigInteger> boundaries(List<IpSet> blocks, boolean ipv6) {
        TreeSet<BigInteger> boundaries = new TreeSet<>();
        BigInteger max = IpRange.everything(ipv6).last();
        for (IpSet block : blocks) {
            for (IpRange range : block.ranges()) {
                if (range.ipv6() != ipv6) {
                    continue;
                }
                boundaries.add(range.first());
                if (range.last().compareTo(max) < 0) {
                    boundaries.add(range.last().add(BigInteger.ONE));
                }
            }
        }
        return boundaries;
    }

    /** {@code range} cut at every boundary that falls inside it. */
    static List<IpRange> pieces(IpRange range, TreeSet<BigInteger> boundaries) {
        List<IpRange> pieces = new ArrayList<>();
        BigInteger start = range.first();
        for (BigInteger boundary : boundaries.subSet(range.first(), false, range.last(), true)) {
            pieces.add(new IpRange(range.ipv6(), start, boundary.subtract(BigInteger.ONE)));
            start = boundary;
        }
        pieces.add(new IpRange(range.ipv6(), start, range.last()));
        return pieces;
    }
}
