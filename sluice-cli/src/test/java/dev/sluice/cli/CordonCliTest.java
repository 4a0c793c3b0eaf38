package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.OfflineCluster;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.Json;
import dev.sluice.model.Actor;
import dev.sluice.model.Cordon;
import dev.sluice.model.GuardFacts;
import dev.sluice.model.Location;
import dev.sluice.model.NodeAddresses;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.Role;
import dev.sluice.model.WorkerState;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code sluice nodes cordon}, {@code uncordon} and {@code remove} against the real admin API over an in-memory cluster
 * ({@link OfflineCluster}): four active workers, 12 partitions × 3, Pp on N(p mod 4 + 1) and the next two.
 */
class CordonCliTest {

    private static final NodeAddresses ADDRESSES = NodeAddresses.of("127.0.0.1:7000", "http://127.0.0.1:8000");

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

    private NodeConfig node(String name) {
        return metadata.nodes().current().findByName(name).orElseThrow();
    }

    /** Registers {@code name} without a process (so it is not alive) and disables it: it never held anything. */
    private NodeConfig retiredWorker(String name) {
        NodeConfig registered = metadata.nodes().register(name, ADDRESSES, Set.of(Role.WORKER), Location.parse("local.zone-1")).result()
                instanceof dev.sluice.model.ChangeResult.Changed changed ? changed.node() : null;
        assertThat(registered).isNotNull();
        metadata.nodes().transition(registered.id(), WorkerState.DISABLED, Actor.OPERATOR, "retired", false, c -> GuardFacts.NONE, List.of());
        return node(name);
    }

    @Test
    void aWorkerIsCordonedShownEverywhereAndUncordoned() {
        CliRun cordoned = sluice("nodes", "cordon", "worker-2", "--reason", "disk 85% full");

        assertThat(cordoned.exitCode()).as(cordoned.err()).isZero();
        assertThat(cordoned.out()).matches("N2 \\(worker-2\\) is cordoned since \\S+Z by operator: disk 85% full;"
                + " it receives no new replicas or leaderships\\n");
        Cordon stored = node("worker-2").cordon();
        assertThat(stored.reason()).isEqualTo("disk 85% full");
        assertThat(stored.requestedBy()).isEqualTo(Actor.OPERATOR);
        assertThat(node("worker-2").workerState()).isEqualTo(WorkerState.ACTIVE);

        assertThat(sluice("nodes", "list").out()).containsPattern("N2 +worker-2 +active,cordoned +yes").containsPattern("N1 +worker-1 +active +yes");
        assertThat(sluice("nodes", "show", "worker-2").out()).contains("  cordon:     is cordoned since ").contains("disk 85% full");
        assertThat(sluice("events").out()).contains("node-cordoned").contains("N2 (worker-2) cordoned by operator: disk 85% full");
        assertThat(sluice("nodes", "cordon", "worker-2", "--reason", "other").out()).endsWith("disk 85% full; it receives no new replicas or leaderships (no change)\n");

        CliRun uncordoned = sluice("nodes", "uncordon", "N2");
        assertThat(uncordoned.exitCode()).as(uncordoned.err()).isZero();
        assertThat(uncordoned.out()).isEqualTo("N2 (worker-2) is not cordoned\n");
        assertThat(node("worker-2").isCordoned()).isFalse();
        assertThat(sluice("nodes", "uncordon", "N2").out()).isEqualTo("N2 (worker-2) is not cordoned (no change)\n");
        assertThat(sluice("nodes", "list").out()).doesNotContain("cordoned");
        assertThat(sluice("events").out()).contains("node-uncordoned");
    }

    @Test
    void jsonOutputIsTheApisAnswer() throws Exception {
        CliRun json = sluice("nodes", "cordon", "worker-3", "-o", "json");

        assertThat(json.exitCode()).as(json.err()).isZero();
        JsonNode answer = Json.mapper().readTree(json.out());
        assertThat(answer.get("changed").asBoolean()).isTrue();
        assertThat(answer.get("node").get("cordon").get("requestedBy").asText()).isEqualTo("operator");
        JsonNode listed = Json.mapper().readTree(sluice("nodes", "list", "-o", "json").out());
        assertThat(listed.get(2).get("cordon")).isNotNull();
        assertThat(listed.get(0).has("cordon")).isFalse();
    }

    @Test
    void aBadReferenceChangesNothing() {
        NodesConfiguration before = metadata.nodes().current();

        CliRun unknown = sluice("nodes", "cordon", "nobody");
        CliRun bare = sluice("nodes", "remove", "2");

        assertThat(unknown.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(unknown.err()).contains("nobody");
        assertThat(bare.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(bare.err()).contains("bare number");
        assertThat(metadata.nodes().current()).isEqualTo(before);
    }

    @Test
    void removalIsRefusedWithTheReasonAndChangesNothing() {
        // Active: drain first.
        NodesConfiguration before = metadata.nodes().current();
        CliRun active = sluice("nodes", "remove", "worker-1");
        assertThat(active.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(active.err()).isEqualTo("refused: only a disabled node can be removed; N1 (worker-1) is active: drain it first;"
                + " it becomes disabled by itself once empty\n");
        assertThat(metadata.nodes().current()).isEqualTo(before);

        // Disabled by force while it still holds replicas, and still running.
        metadata.nodes().transition(node("worker-4").id(), WorkerState.DISABLED, Actor.OPERATOR, "", true, c -> GuardFacts.alive(true), List.of());
        NodesConfiguration disabled = metadata.nodes().current();
        CliRun running = sluice("nodes", "remove", "worker-4");
        assertThat(running.err()).isEqualTo("refused: N4 (worker-4) cannot be removed now: it is still registered alive; stop its process first"
                + " (a running process would register its name again as a new node)\n");
        cluster.kill(4);
        CliRun holding = sluice("nodes", "remove", "worker-4");
        assertThat(holding.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(holding.err()).isEqualTo("refused: N4 (worker-4) cannot be removed now: it still holds data: it is in 9 replica set(s) and leads"
                + " 3 partition(s); drain it (or wait for the controller to replace them) first\n");
        assertThat(metadata.nodes().current()).isEqualTo(disabled);
    }

    @Test
    void aRetiredWorkerIsRemovedAndItsNameRegistersAgainAsANewNode() throws Exception {
        NodeConfig retired = retiredWorker("worker-5");
        assertThat(retired.nodeId()).isEqualTo(NodeId.of(5));

        CliRun removed = sluice("nodes", "remove", "worker-5", "--reason", "host retired");

        assertThat(removed.exitCode()).as(removed.err()).isZero();
        assertThat(removed.out()).isEqualTo("N5 (worker-5) removed (last incarnation N5:1); its id is retired, and the name worker-5 registers"
                + " again as a new node\n");
        NodesConfiguration after = metadata.nodes().current();
        assertThat(after.findByName("worker-5")).isEmpty();
        assertThat(after.isRemoved(NodeId.of(5))).isTrue();
        assertThat(sluice("nodes", "list").out()).doesNotContain("worker-5");
        assertThat(sluice("events").out()).contains("node-removed").contains("removed by operator: host retired");
        CliRun again = sluice("nodes", "remove", "worker-5", "-o", "json");
        assertThat(again.exitCode()).isEqualTo(CliException.FAILED);

        NodeConfig reborn = retiredWorker("worker-5");
        assertThat(reborn.nodeId()).isEqualTo(NodeId.of(6));
        assertThat(sluice("nodes", "show", "worker-5").out()).startsWith("N6 (worker-5), incarnation N6:1");
    }
}
