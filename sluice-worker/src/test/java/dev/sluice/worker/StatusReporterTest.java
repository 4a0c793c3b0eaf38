package dev.sluice.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import java.util.List;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftConfiguration;
import org.junit.jupiter.api.Test;

/** {@code configurationChanging}: true exactly while Raft runs on the joint (old + new) configuration. */
class StatusReporterTest {

    static RaftPeer peer(String id) {
        return RaftPeer.newBuilder().setId(RaftPeerId.valueOf(id)).setAddress("127.0.0.1:1").build();
    }

    /** A configuration with the given voters and listeners, now and before (empty before: not joint). */
    record Conf(List<RaftPeer> voters, List<RaftPeer> listeners, List<RaftPeer> oldVoters, List<RaftPeer> oldListeners) implements RaftConfiguration {
        @Override
        public RaftPeer getPeer(RaftPeerId id, RaftPeerRole... roles) {
            return null;
        }

        @Override
        public Collection<RaftPeer> getAllPeers(RaftPeerRole role) {
            return role == RaftPeerRole.LISTENER ? listeners : voters;
        }

        @Override
        public Collection<RaftPeer> getCurrentPeers(RaftPeerRole role) {
            return role == RaftPeerRole.LISTENER ? listeners : voters;
        }

        @Override
        public Collection<RaftPeer> getPreviousPeers(RaftPeerRole role) {
            return role == RaftPeerRole.LISTENER ? oldListeners : oldVoters;
        }

        @Override
        public long getLogEntryIndex() {
            return 7;
        }
    }

    @Test
    void stableConfigurationIsNotChanging() {
        assertThat(StatusReporter.transitional(new Conf(List.of(peer("N1"), peer("N2"), peer("N3")), List.of(), List.of(), List.of()))).isFalse();
    }

    @Test
    void jointConfigurationIsChanging() {
        assertThat(StatusReporter.transitional(new Conf(List.of(peer("N1"), peer("N2"), peer("N4")), List.of(),
                List.of(peer("N1"), peer("N2"), peer("N3")), List.of()))).isTrue();
    }

    @Test
    void jointConfigurationOfListenersOnlyIsChanging() {
        assertThat(StatusReporter.transitional(new Conf(List.of(peer("N1")), List.of(peer("N5")), List.of(), List.of(peer("N4"))))).isTrue();
    }
}
