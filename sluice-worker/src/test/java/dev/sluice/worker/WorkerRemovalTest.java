package dev.sluice.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.InMemoryMetadataStore;
import dev.sluice.metadata.Json;
import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.Version;
import dev.sluice.wire.RemovalStatus;
import dev.sluice.wire.ReplicaRole;
import dev.sluice.wire.WorkerStatus;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group removal and repair on a real Ratis server (one worker, single-replica groups, metadata in memory),
 * with faults injected through the partition logic as any deployment could ({@link HookedLogic}).
 */
class WorkerRemovalTest {

    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final URI HTTP = URI.create("http://127.0.0.1:1");
    static final int PARTITIONS = 6;
    /** A node that does not exist: placing a partition there takes it off the worker under test. */
    static final NodeId ELSEWHERE = NodeId.of(99);
    static final String NODE_NAME = "alpha";

    @TempDir
    Path directory;

    private static ClusterMetadata metadata() {
        ClusterMetadata metadata = new ClusterMetadata(new InMemoryMetadataStore(), InstantSource.system());
        metadata.partitionTable().initialize(new PartitionTable(PARTITIONS, ReplicationProperty.of(1)));
        return metadata;
    }

    private static void place(ClusterMetadata metadata, PartitionId partition, NodeId member) {
        long version = metadata.placements().read(partition).map(VersionedPlacement::version).orElse(0L);
        metadata.placements().write(Placement.stable(partition, List.of(member), null, Version.INVALID), version, null, List.of());
    }

    /** A fixed Raft port, because a restarted worker must come back where its groups' configurations say. */
    private final int raftPort = Worker.freePort("127.0.0.1");

    private WorkerConfig config(HookedLogic.Hooks hooks) {
        return WorkerConfig.builder(NODE_NAME, "unit", directory.resolve(NODE_NAME)).raft("127.0.0.1", raftPort).logic(hooks).build();
    }

    private Worker start(ClusterMetadata metadata, HookedLogic.Hooks hooks) throws Exception {
        Worker worker = new Worker(config(hooks), metadata);
        worker.start(HTTP);
        NodeId me = worker.self().orElseThrow().nodeId();
        for (int p = 0; p < PARTITIONS; p++) {
            place(metadata, PartitionId.of(p), me);
        }
        Awaitility.await("every group leads").atMost(TIMEOUT).until(() -> worker.status().replicas().stream()
                .filter(replica -> replica.role() == ReplicaRole.LEADER).count() == PARTITIONS);
        return worker;
    }

    private static boolean removerParkedInGroupRemove(String nodeName) {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(thread -> thread.getKey().getName().startsWith("sluice-worker-remover-" + nodeName))
                .anyMatch(thread -> Arrays.stream(thread.getValue()).anyMatch(frame -> frame.getMethodName().equals("groupManagement")));
    }

    @Test
    void removalBlockedInRatisIsReportedOverdueWhileTheOthersFinishAndCompletesWhenReleased() throws Exception {
        ClusterMetadata metadata = metadata();
        HookedLogic.Hooks hooks = new HookedLogic.Hooks();
        PartitionId stuck = PartitionId.of(0);
        List<PartitionId> others = IntStream.range(1, PARTITIONS).mapToObj(PartitionId::of).toList();
        try (Worker worker = start(metadata, hooks)) {
            CountDownLatch release = hooks.blockClear(stuck);
            Instant decided = Instant.now();
            for (int p = 0; p < PARTITIONS; p++) {
                place(metadata, PartitionId.of(p), ELSEWHERE);
            }

            // The other removals do not queue behind the stuck one (they all did behind one remover thread).
            Awaitility.await("the other groups removed").atMost(TIMEOUT).until(() -> others.stream()
                    .noneMatch(p -> Files.exists(worker.partitionDirectory(p))) && worker.status().removals().size() == 1);
            WorkerStatus status = worker.status();
            assertThat(status.replicas()).as("a group being removed is no replica").isEmpty();
            assertThat(status.removals()).extracting(RemovalStatus::partition).containsExactly(stuck);
            assertThat(worker.hostedPartitions()).as("its files are still here").containsExactly(stuck);
            assertThat(removerParkedInGroupRemove(NODE_NAME)).as("parked in Ratis's group remove, as in the observed hang").isTrue();

            Awaitility.await("overdue").atMost(GroupReconciler.REMOVAL_DEADLINE.plus(TIMEOUT))
                    .until(() -> worker.status().removals().getFirst().overdue());
            RemovalStatus overdue = worker.status().removals().getFirst();
            assertThat(overdue.attempts()).isEqualTo(1);
            assertThat(overdue.since()).isAfterOrEqualTo(decided.minusSeconds(1));
            assertThat(overdue.detail()).startsWith("Ratis group remove running for ").endsWith(" (deadline 10 s)");

            JsonNode json = Json.mapper().valueToTree(worker.status());
            JsonNode entry = json.path("removals").get(0);
            assertThat(entry.path("partition").asText()).isEqualTo("P0");
            assertThat(entry.path("overdue").asBoolean()).isTrue();
            assertThat(entry.path("attempts").asInt()).isEqualTo(1);
            assertThat(Instant.parse(entry.path("since").asText())).isEqualTo(overdue.since());
            assertThat(entry.path("detail").asText()).startsWith("Ratis group remove running for ");

            release.countDown();
            Awaitility.await("the stuck removal finishes").atMost(TIMEOUT).until(() -> worker.status().removals().isEmpty()
                    && !Files.exists(worker.partitionDirectory(stuck)));
            assertThat(worker.hostedPartitions()).isEmpty();
        }
    }

    @Test
    void groupLeftWhileTheWorkerWasDownIsRemovedAtItsNextStart() throws Exception {
        ClusterMetadata metadata = metadata();
        PartitionId left = PartitionId.of(2);
        Path leftDirectory;
        try (Worker worker = start(metadata, new HookedLogic.Hooks())) {
            leftDirectory = worker.partitionDirectory(left);
            assertThat(leftDirectory).isDirectory();
        }
        place(metadata, left, ELSEWHERE);

        try (Worker restarted = new Worker(config(new HookedLogic.Hooks()), metadata)) {
            restarted.start(HTTP);
            Awaitility.await("the left group's files deleted").atMost(TIMEOUT).until(() -> !Files.exists(leftDirectory)
                    && restarted.status().removals().isEmpty() && restarted.status().replicas().size() == PARTITIONS - 1);
            assertThat(restarted.hostedPartitions()).doesNotContain(left).hasSize(PARTITIONS - 1);
        }
    }

    @Test
    void divisionThatShutItselfDownIsNotHostedButRemovedAndCreatedAgain() throws Exception {
        ClusterMetadata metadata = metadata();
        HookedLogic.Hooks hooks = new HookedLogic.Hooks();
        PartitionId broken = PartitionId.of(1);
        try (Worker worker = start(metadata, hooks)) {
            assertThat(hooks.created(broken)).isEqualTo(1);
            byte[] written = KeyValueCommands.put("kept?".getBytes(StandardCharsets.UTF_8), new byte[] {1});
            assertThat(worker.submit(broken, written, false).get()).isInstanceOf(DataReply.Ok.class);
            JsonNode replica = Json.mapper().valueToTree(worker.status()).path("replicas").get(0);
            assertThat(replica.has("configurationChanging")).isTrue();
            assertThat(replica.path("configurationChanging").asBoolean()).as("a stable single-member group").isFalse();

            // The poisoned entry makes Ratis close the division; the server still lists the group.
            worker.submit(broken, KeyValueCommands.put(HookedLogic.Hooks.POISON.getBytes(StandardCharsets.UTF_8), new byte[] {1}), false);

            Awaitility.await("repaired: created again, and leading").atMost(TIMEOUT).until(() -> hooks.created(broken) == 2
                    && worker.replicaStatus(broken).map(status -> status.role() == ReplicaRole.LEADER).orElse(false));
            // The new leader answers once it is ready.
            byte[] reply = Awaitility.await("a read from the new group").atMost(TIMEOUT).until(
                    () -> worker.submit(broken, KeyValueCommands.get("kept?".getBytes(StandardCharsets.UTF_8)), true).get() instanceof DataReply.Ok ok
                            ? ok.reply() : null, java.util.Objects::nonNull);
            assertThat(KeyValueCommands.decodeGetReply(reply)).as("a fresh group: with one replica nobody could re-stage the old data").isEmpty();
            assertThat(worker.status().removals()).isEmpty();
            assertThat(worker.hostedPartitions()).containsExactlyInAnyOrderElementsOf(
                    IntStream.range(0, PARTITIONS).mapToObj(PartitionId::of).collect(java.util.stream.Collectors.toSet()));
            assertThat(Set.copyOf(worker.hostedPartitions())).contains(broken);
        }
    }
}
