package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.OfflineCluster;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.Json;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionPolicy;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code sluice partitions freeze / unfreeze / pin-leader / unpin} against the real admin API over an in-memory cluster
 * ({@link OfflineCluster}): four workers, 12 partitions × 3, Pp on N(p mod 4 + 1) and the next two, led by the first —
 * so P3 is on N4, N1, N2.
 */
class PartitionPolicyCliTest {

    private static final PartitionId P3 = PartitionId.of(3);

    private OfflineCluster cluster;
    private ClusterMetadata metadata;
    private String url;

    @BeforeEach
    void start() {
        cluster = new OfflineCluster(Optional.empty(), 12);
        metadata = cluster.metadata();
        url = cluster.url().toString();
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private CliRun sluice(String... args) {
        return CliRun.against(url, args);
    }

    private PartitionPolicy policy() {
        return metadata.placements().read(P3).orElseThrow().placement().policy();
    }

    private Map<PartitionId, ?> placements() {
        return metadata.placements().readAll();
    }

    @Test
    void aPartitionIsFrozenShownAndUnfrozen() {
        CliRun frozen = sluice("partitions", "freeze", "P3", "--reason", "slow follower");

        assertThat(frozen.exitCode()).as(frozen.err()).isZero();
        assertThat(frozen.out()).isEqualTo("P3 is frozen; its leader is not pinned\n");
        assertThat(policy()).isEqualTo(new PartitionPolicy(true, null));
        assertThat(sluice("partitions", "list").out()).containsPattern("P3 .* frozen\\n").containsPattern("P2 .* -\\n");
        assertThat(sluice("partitions", "show", "P3").out()).contains("  policy:   frozen");
        assertThat(sluice("events").out()).contains("partition-policy-changed")
                .contains("P3 frozen: its replica set changes no more until it is unfrozen by operator: slow follower");
        assertThat(sluice("partitions", "freeze", "3").out()).isEqualTo("P3 is frozen; its leader is not pinned (no change)\n");

        CliRun unfrozen = sluice("partitions", "unfreeze", "P3");
        assertThat(unfrozen.exitCode()).as(unfrozen.err()).isZero();
        assertThat(unfrozen.out()).isEqualTo("P3 is not frozen; its leader is not pinned\n");
        assertThat(policy()).isEqualTo(PartitionPolicy.DEFAULT);
    }

    @Test
    void aLeaderIsPinnedToAMemberOnlyAndUnpinned() throws Exception {
        var before = placements();
        CliRun notMember = sluice("partitions", "pin-leader", "P3", "worker-3");
        assertThat(notMember.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(notMember.err()).contains("refused: cannot pin the leader of P3 to N3 (worker-3): it is not in the current replica set"
                + " [N4 (worker-4), N1 (worker-1), N2 (worker-2)]");
        CliRun stale = sluice("partitions", "pin-leader", "P3", "N1:999");
        assertThat(stale.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(stale.err()).contains("refused:").contains("N1:999");
        CliRun unknown = sluice("partitions", "pin-leader", "P99", "worker-1");
        assertThat(unknown.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(unknown.err()).contains("unknown partition P99 (the cluster has P0 to P11)");
        assertThat(placements()).isEqualTo(before);

        CliRun pinned = sluice("partitions", "pin-leader", "P3", "worker-1", "--reason", "next to the clients", "-o", "json");
        assertThat(pinned.exitCode()).as(pinned.err()).isZero();
        JsonNode answer = Json.mapper().readTree(pinned.out());
        assertThat(answer.get("changed").asBoolean()).isTrue();
        assertThat(answer.get("partition").get("policy").get("pinnedLeader").asText()).isEqualTo("N1");
        assertThat(policy()).isEqualTo(new PartitionPolicy(false, NodeId.of(1)));
        assertThat(sluice("partitions", "list").out()).containsPattern("P3 .* pinned N1\\n");
        assertThat(sluice("events").out()).contains("P3 leader pinned to N1 (worker-1) by operator: next to the clients");

        CliRun unpinned = sluice("partitions", "unpin", "P3");
        assertThat(unpinned.out()).isEqualTo("P3 is not frozen; its leader is not pinned\n");
        assertThat(sluice("partitions", "unpin", "P3").out()).endsWith("(no change)\n");
        assertThat(policy()).isEqualTo(PartitionPolicy.DEFAULT);
    }
}
