package dev.stanch.netpol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ConnectionSetTest {

    @Test
    void printsLikeNpGuard() {
        assertThat(ConnectionSet.ALL).hasToString("All Connections");
        assertThat(ConnectionSet.NONE).hasToString("No Connections");
        assertThat(ConnectionSet.of(Protocol.TCP, 80).union(ConnectionSet.of(Protocol.UDP, 80)))
                .hasToString("TCP 80,UDP 80");
        assertThat(ConnectionSet.allOf(Protocol.TCP)
                        .union(ConnectionSet.of(Protocol.UDP, 53))
                        .union(ConnectionSet.of(Protocol.SCTP, 9000, 9010)))
                .hasToString("SCTP 9000-9010,TCP 1-65535,UDP 53");
    }

    @Test
    void everyPortOfEveryProtocolIsAllConnections() {
        ConnectionSet all = ConnectionSet.of(Protocol.TCP, 1, 65535)
                .union(ConnectionSet.of(Protocol.UDP, 1, 65535))
                .union(ConnectionSet.of(Protocol.SCTP, 1, 32767))
                .union(ConnectionSet.of(Protocol.SCTP, 32768, 65535));
        assertThat(all.isAll()).isTrue();
        assertThat(all).isEqualTo(ConnectionSet.ALL).hasToString("All Connections");
    }

    @Test
    void setOperationsKeepACanonicalForm() {
        ConnectionSet web = ConnectionSet.of(Protocol.TCP, 80, 90);
        ConnectionSet some = ConnectionSet.of(Protocol.TCP, 85, 100);
        assertThat(web.union(some)).isEqualTo(ConnectionSet.of(Protocol.TCP, 80, 100));
        assertThat(web.intersect(some)).isEqualTo(ConnectionSet.of(Protocol.TCP, 85, 90));
        assertThat(web.minus(some)).isEqualTo(ConnectionSet.of(Protocol.TCP, 80, 84));
        assertThat(ConnectionSet.ALL.minus(ConnectionSet.of(Protocol.TCP, 443)))
                .hasToString("SCTP 1-65535,TCP 1-442,444-65535,UDP 1-65535");
        assertThat(web.minus(web).isEmpty()).isTrue();
        assertThat(ConnectionSet.of(Protocol.TCP, 80).union(ConnectionSet.of(Protocol.TCP, 81)))
                .hasToString("TCP 80-81");
    }

    @Test
    void containsAnswersForOneProtocolAndPort() {
        ConnectionSet set = ConnectionSet.of(Protocol.UDP, 53).union(ConnectionSet.of(Protocol.TCP, 8000, 8100));
        assertThat(set.contains(Protocol.UDP, 53)).isTrue();
        assertThat(set.contains(Protocol.TCP, 53)).isFalse();
        assertThat(set.contains(Protocol.TCP, 8100)).isTrue();
        assertThat(set.contains(Protocol.TCP, 8101)).isFalse();
    }

    @Test
    void portsOutsideTheRangeAreClipped() {
        assertThat(ConnectionSet.of(Protocol.TCP, 0, 70000)).isEqualTo(ConnectionSet.allOf(Protocol.TCP));
        assertThat(ConnectionSet.of(Protocol.TCP, 10, 5).isEmpty()).isTrue();
    }
}
