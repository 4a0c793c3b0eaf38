package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.client.SluiceClient;
import dev.sluice.controller.ControllerConfig;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.PartitionId;
import dev.sluice.raft.GroupView;
import dev.sluice.raft.PartitionGroups;
import dev.sluice.raft.RaftTls;
import dev.sluice.raft.RatisSettings;
import dev.sluice.raft.ReplicaSetAdmin;
import dev.sluice.security.CertificateAuthority;
import dev.sluice.security.ClusterTrust;
import dev.sluice.security.TlsMaterial;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.retry.RetryPolicies;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 15's Raft exposure, closed: with mutual TLS on, the workers replicate, the controller places and moves
 * groups, and clients write — while a caller without a certificate of the cluster's CA (none, or one of another CA)
 * can neither read a node's groups nor change a partition's members or leader, and the members stay as they were.
 */
class RaftMutualTlsTest {

    private static final InstantSource CLOCK = InstantSource.system();
    private static final Duration VALIDITY = Duration.ofDays(1);
    private static final Duration ATTACK_TIMEOUT = Duration.ofSeconds(3);
    private static final PartitionId P0 = PartitionId.of(0);

    private static LocalTestCluster cluster;

    private static RaftTls tlsOf(String clusterName) {
        CertificateAuthority authority = CertificateAuthority.create(clusterName, VALIDITY.multipliedBy(2), CLOCK);
        // A stranger's own CA and certificate, as good as the cluster's except that the cluster's CA did not sign it.
        return RaftTls.mutual(TlsMaterial.of(ClusterTrust.of(authority), authority.issue("node", List.of("127.0.0.1", "localhost"), VALIDITY, CLOCK)));
    }

    @BeforeAll
    static void start() throws Exception {
        cluster = LocalTestCluster.builder().clusterName("raft-tls").workers(3).partitions(3).replication(3)
                .tls()
                .controlPlane(ControllerConfig.DEFAULTS, Optional.empty())
                .start();
        // The controller placed every group over TLS and the groups elected leaders over it.
        cluster.awaitLeaders(Duration.ofMinutes(1));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static List<NodeConfig> members() {
        return cluster.metadata().nodes().current().workers().stream().toList();
    }

    /** The leader's view of P0, asked with the cluster's own certificate; awaited, since balancing may be moving the leadership. */
    private static GroupView trustedView() {
        RaftTls trusted = RaftTls.mutual(cluster.node(0).process().config().worker().tls().orElseThrow());
        try (ReplicaSetAdmin admin = new ReplicaSetAdmin(cluster.clusterName(), ATTACK_TIMEOUT, trusted)) {
            return Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> admin.leaderView(P0, members()), Optional::isPresent).orElseThrow();
        }
    }

    @Test
    void clientsWriteAndReadThroughGroupsReplicatingOverTls() {
        try (SluiceClient client = cluster.client()) {
            client.put("tls-key", "over mutual TLS".getBytes(StandardCharsets.UTF_8));
            assertThat(client.get("tls-key")).hasValue("over mutual TLS".getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void aCallerWithoutTheClustersCertificateCannotReadOrChangeAGroup() {
        GroupView before = trustedView();
        assertThat(before.configuration()).hasSize(3);
        assertThat(listGroups(RaftTls.mutual(cluster.node(0).process().config().worker().tls().orElseThrow()))).as("the cluster's own certificate lists groups").isNull();
        for (RaftTls stranger : List.of(RaftTls.PLAINTEXT, tlsOf("another-cluster"))) {
            try (ReplicaSetAdmin admin = new ReplicaSetAdmin(cluster.clusterName(), ATTACK_TIMEOUT, stranger)) {
                for (NodeConfig member : members()) {
                    assertThat(admin.groupView(member, P0)).as("%s reading %s's view", stranger, member.nodeId()).isEmpty();
                }
                List<NodeConfig> one = members().subList(0, 1);
                assertThatThrownBy(() -> admin.setConfiguration(P0, members(), before.leader(), one, ATTACK_TIMEOUT))
                        .as("%s removing two members", stranger).isInstanceOf(RuntimeException.class);
                assertThatThrownBy(() -> admin.transferLeadership(P0, members(), before.leader(),
                        members().stream().map(NodeConfig::nodeId).filter(id -> !id.equals(before.leader())).findFirst().orElseThrow(), ATTACK_TIMEOUT))
                        .as("%s moving the leadership", stranger).isInstanceOf(RuntimeException.class);
            }
            assertThat(listGroups(stranger)).as("%s listing a node's groups", stranger).isInstanceOf(Exception.class);
        }
        // The members are what the strangers tried to change; the leader may have moved meanwhile, by the controller's balancing.
        assertThat(trustedView().configuration()).isEqualTo(before.configuration());
    }

    /** Ratis' group management service, asked for the groups a node hosts: returns the failure, or null if it answered. */
    private static Exception listGroups(RaftTls tls) {
        NodeConfig target = members().getFirst();
        RaftPeer peer = PartitionGroups.peer(target);
        try (RaftClient client = RaftClient.newBuilder()
                .setRaftGroup(RaftGroup.valueOf(new PartitionGroups(cluster.clusterName()).groupId(P0), List.of(peer)))
                .setProperties(RatisSettings.clientProperties(ATTACK_TIMEOUT))
                .setClientRpc(new GrpcFactory(tls.parameters()).newRaftClientRpc(ClientId.randomId(), RatisSettings.clientProperties(ATTACK_TIMEOUT)))
                .setRetryPolicy(RetryPolicies.noRetry())
                .build()) {
            client.getGroupManagementApi(peer.getId()).list();
            return null;
        } catch (Exception refused) {
            return refused;
        }
    }
}
