package dev.stanch.netpol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class IpRangeTest {

    @Test
    void readsIpv4AndIpv6Cidrs() {
        assertThat(IpRange.cidr("10.0.0.0/8")).hasToString("10.0.0.0-10.255.255.255");
        assertThat(IpRange.cidr("0.0.0.0/0")).hasToString("0.0.0.0-255.255.255.255");
        assertThat(IpRange.cidr("192.168.1.7/32")).hasToString("192.168.1.7-192.168.1.7");
        assertThat(IpRange.cidr("2001:db8::/32")).hasToString("2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
        assertThat(IpRange.cidr("::/0")).isEqualTo(IpRange.everything(true));
    }

    @Test
    void hostBitsBelowThePrefixAreIgnored() {
        assertThat(IpRange.cidr("10.1.2.3/16")).isEqualTo(IpRange.cidr("10.1.0.0/16"));
    }

    @Test
    void rejectsWhatIsNotACidr() {
        assertThatThrownBy(() -> IpRange.cidr("10.0.0.0")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IpRange.cidr("10.0.0.0/33")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IpRange.cidr("example.com/8")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IpRange.address("300.1.1.1")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ipBlockExceptCutsHolesInBothFamilies() {
        IpSet v4 = IpSet.of(List.of(IpRange.cidr("10.0.0.0/8"))).minus(IpSet.of(List.of(IpRange.cidr("10.10.0.0/16"))));
        assertThat(v4.ranges())
                .extracting(IpRange::toString)
                .containsExactly("10.0.0.0-10.9.255.255", "10.11.0.0-10.255.255.255");
        IpSet v6 = IpSet.of(List.of(IpRange.cidr("2001:db8::/32")))
                .minus(IpSet.of(List.of(IpRange.cidr("2001:db8:bad::/48"))));
        assertThat(v6.containsAll(IpRange.address("2001:db8::1"))).isTrue();
        assertThat(v6.containsAll(IpRange.address("2001:db8:bad::1"))).isFalse();
        assertThat(v6.containsAll(IpRange.address("10.0.0.1"))).isFalse();
    }

    @Test
    void adjacentRangesMerge() {
        IpSet set = IpSet.of(List.of(IpRange.cidr("10.0.0.0/9"), IpRange.cidr("10.128.0.0/9")));
        assertThat(set.ranges()).containsExactly(IpRange.cidr("10.0.0.0/8"));
    }

    @Test
    void partitionMergesNeighboursThatEveryBlockTreatsAlike() {
        // ipblockstest_3: two adjacent excepts are one hole, so 10.0.0.0/8 prints as one range.
        IpSet block = IpSet.of(List.of(IpRange.cidr("0.0.0.0/0")))
                .minus(IpSet.of(List.of(
                        IpRange.cidr("10.0.0.0/9"), IpRange.cidr("10.128.0.0/9"), IpRange.cidr("172.21.0.0/16"))));
        assertThat(IpPartition.atoms(List.of(block)))
                .extracting(IpRange::toString)
                .containsExactly(
                        "0.0.0.0-9.255.255.255",
                        "10.0.0.0-10.255.255.255",
                        "11.0.0.0-172.20.255.255",
                        "172.21.0.0-172.21.255.255",
                        "172.22.0.0-255.255.255.255");
    }

    @Test
    void theIpv6SpaceAppearsOnlyWhenABlockIsIpv6() {
        assertThat(IpPartition.atoms(List.of())).containsExactly(IpRange.everything(false));
        assertThat(IpPartition.atoms(List.of(IpSet.of(List.of(IpRange.cidr("fd00::/8"))))))
                .extracting(IpRange::toString)
                .containsExactly(
                        "0.0.0.0-255.255.255.255",
                        "::-fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                        "fd00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                        "fe00::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    }
}
