package dev.stanch.netpol;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IpPartitionTest {

    /**
     * The partition takes every piece between boundaries as an atom; the definition merges
     * neighbouring pieces that every block contains alike. They agree because blocks are merged sets:
     * checked on random blocks (fixed seed) of few, nested, adjacent and overlapping ranges in both
     * families.
     */
    @Test
    void everyPieceIsAnAtomAsTheDefinitionHasIt() {
        Random random = new Random(7);
        for (int round = 0; round < 300; round++) {
            List<IpSet> blocks = new ArrayList<>();
            int count = random.nextInt(8);
            for (int b = 0; b < count; b++) {
                List<IpRange> ranges = new ArrayList<>();
                int pieces = 1 + random.nextInt(4);
                for (int r = 0; r < pieces; r++) {
                    boolean ipv6 = random.nextInt(5) == 0;
                    // A small universe so that ranges touch, nest and overlap often.
                    long first = random.nextInt(64);
                    long last = first + random.nextInt(16);
                    BigInteger max = IpRange.everything(ipv6).last();
                    ranges.add(
                            random.nextInt(10) == 0
                                    ? IpRange.everything(ipv6)
                                    : new IpRange(
                                            ipv6,
                                            BigInteger.valueOf(first),
                                            random.nextInt(10) == 0 ? max : BigInteger.valueOf(last)));
                }
                IpSet block = IpSet.of(ranges);
                if (random.nextBoolean() && !ranges.isEmpty()) {
                    block = block.minus(IpSet.of(List.of(ranges.getFirst())));
                }
                blocks.add(block);
            }
            boolean both = random.nextBoolean();
            assertThat(IpPartition.atoms(blocks, both)).as("blocks %s", blocks).isEqualTo(byDefinition(blocks, both));
            // Both families from boundaries, as a blast radius unites two views' boundaries.
            List<IpSet> half = blocks.subList(0, blocks.size() / 2);
            List<IpSet> rest = blocks.subList(blocks.size() / 2, blocks.size());
            var ipv4 = IpPartition.boundaries(half, false);
            ipv4.addAll(IpPartition.boundaries(rest, false));
            var ipv6 = IpPartition.boundaries(half, true);
            ipv6.addAll(IpPartition.boundaries(rest, true));
            assertThat(IpPartition.atoms(ipv4, ipv6)).isEqualTo(byDefinition(blocks, true));
        }
    }

    /** The former implementation: pieces merged while every block contains them alike. */
    private static List<IpRange> byDefinition(List<IpSet> blocks, boolean bothFamilies) {
        List<IpRange> atoms = new ArrayList<>(family(blocks, false));
        boolean anyIpv6 =
                blocks.stream().flatMap(block -> block.ranges().stream()).anyMatch(IpRange::ipv6);
        if (anyIpv6 || bothFamilies) {
            atoms.addAll(family(blocks, true));
        }
        return atoms;
    }

    private static List<IpRange> family(List<IpSet> blocks, boolean ipv6) {
        List<IpRange> elementary = IpPartition.pieces(IpRange.everything(ipv6), IpPartition.boundaries(blocks, ipv6));
        List<IpRange> atoms = new ArrayList<>();
        BitSet previousMembership = null;
        for (IpRange piece : elementary) {
            BitSet membership = new BitSet(blocks.size());
            for (int i = 0; i < blocks.size(); i++) {
                if (blocks.get(i).containsAll(piece)) {
                    membership.set(i);
                }
            }
            if (previousMembership != null && previousMembership.equals(membership)) {
                IpRange last = atoms.removeLast();
                atoms.add(new IpRange(ipv6, last.first(), piece.last()));
            } else {
                atoms.add(piece);
            }
            previousMembership = membership;
        }
        return atoms;
    }
}
