package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.client.SluiceClient;
import dev.sluice.client.Workload;
import dev.sluice.metadata.PlacementStore;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.raft.CatchUpThrottle;
import dev.sluice.raft.GroupView;
import dev.sluice.raft.MoveFailure;
import dev.sluice.raft.PartitionGroups;
import dev.sluice.raft.RatisSettings;
import dev.sluice.raft.ReplicaSetAdmin;
import dev.sluice.raft.ReplicaSetAdminException;
import dev.sluice.raft.TransferRate;
import dev.sluice.wire.ReplicaRole;
import dev.sluice.wire.ReplicaStatus;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.retry.RetryPolicies;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Done-when #2: one partition's replica moves from one worker to another by its placement record
 * (current → next → current, the six steps of the make-before-break protocol), played by hand with
 * {@link PlacementStore#write} and {@link ReplicaSetAdmin}, under continuous client writes. No
 * acknowledged write is lost, the client sees no error, the new replica catches up by snapshot plus log,
 * and the old worker's data directory for the partition is gone. The first move runs under the lowest catch-up
 * transfer limit ({@link TransferRate}), which the new replica's snapshot must wait for.
 */
class PartitionMoveTest {

    static final PartitionId MOVED = PartitionId.of(0);
    static final int WRITERS = 4;
    static final Duration STEP_TIMEOUT = Duration.ofSeconds(30);

    @Test
    void movesAReplicaMakeBeforeBreakUnderLoad() throws Exception {
        // Small log segments so the snapshot lets the leader purge the log: the new replica must install it.
        RatisSettings ratis = RatisSettings.defaults().withSegmentSize(1024 * 1024).withSnapshotThreshold(100_000, 16);
        try (LocalTestCluster cluster = LocalTestCluster.builder().workers(4).partitions(8).replication(3).ratis(ratis).start();
                ReplicaSetAdmin admin = new ReplicaSetAdmin(cluster.clusterName())) {
            SluiceClient client = cluster.client(SluiceClient.builder().random(new SplittableRandom(42)));
            PlacementStore placements = cluster.metadata().placements();
            PlacementStore.VersionedPlacement before = placements.read(MOVED).orElseThrow();
            List<NodeId> current = before.placement().current();
            TestNode leader = cluster.leaderOf(MOVED).orElseThrow();
            NodeId leaving = leader.nodeId();
            NodeId joining = cluster.nodes().stream().map(TestNode::nodeId).filter(id -> !current.contains(id)).findFirst().orElseThrow();
            List<NodeId> next = new ArrayList<>(current);
            next.remove(leaving);
            next.add(joining);

            // Enough data in the partition to fill several log segments, then a snapshot on the leader.
            List<String> movedKeys = keysOf(cluster, MOVED, 2_000);
            byte[] big = new byte[2_000];
            Concurrently.forEach(1_600, 8, STEP_TIMEOUT.multipliedBy(2), i -> client.put(movedKeys.get(i), big));
            NodesConfiguration nodes = cluster.metadata().nodes().current();
            // Every member snapshots and purges its log, so whichever leads must send the snapshot.
            long snapshotIndex = Long.MAX_VALUE;
            for (NodeId member : current) {
                snapshotIndex = Math.min(snapshotIndex, admin.takeSnapshot(MOVED, node(nodes, member), Duration.ofSeconds(20)));
                // Ratis purges the log after the snapshot call returns, on its log worker thread.
                TestNode host = cluster.node(member).orElseThrow();
                Awaitility.await().atMost(STEP_TIMEOUT).untilAsserted(() -> assertThat(host.worker().replicaStatus(MOVED).orElseThrow().firstLogIndex())
                        .as("log of %s purged below the snapshot", member).isPositive());
            }
            assertThat(snapshotIndex).isPositive();

            // Continuous writes: to the moved partition and to the others.
            Map<String, String> acknowledged = new ConcurrentHashMap<>();
            List<Throwable> clientErrors = new CopyOnWriteArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                writers.add(writer("writer-" + w, client, acknowledged, clientErrors, () -> stop.get(),
                        i -> i >= 100_000 ? null
                                : writer % 2 == 0 ? movedKeys.get(1_600 + (i * WRITERS + writer) % 400) + "-" + i : "other-" + writer + "-" + i));
            }
            Awaitility.await().atMost(STEP_TIMEOUT).until(() -> acknowledged.size() >= 50);

            // The joining worker takes in catch-up at the lowest limit: the snapshot (over 3 MB) must wait for it.
            TestNode newcomer = cluster.node(joining).orElseThrow();
            newcomer.worker().transferRate().set(TransferRate.MIN_BYTES_PER_SECOND);
            long caughtUpFrom = System.nanoTime();

            // 1. Write {current: C, next: N}.
            Placement moving = before.placement().withNext(next, nodes.version(), Instant.now());
            long version = placements.write(moving, before.version(), null, List.of());

            // 2. Wait until every joining member hosts the group (created empty, waiting to be staged).
            NodeConfig joiningNode = node(nodes, joining);
            Awaitility.await("group created on " + joining).atMost(STEP_TIMEOUT).until(() -> admin.groupView(joiningNode, MOVED).isPresent());
            assertThat(admin.groupView(joiningNode, MOVED).orElseThrow().role()).isEqualTo(ReplicaRole.STAGING);

            // 3. Move leadership off the leaving member first. A change that would remove the member leading
            // is refused before it is sent: a Ratis leader committing its own removal has wedged its division.
            List<NodeConfig> currentNodes = current.stream().map(id -> node(nodes, id)).toList();
            List<NodeConfig> nextNodes = next.stream().map(id -> node(nodes, id)).toList();
            NodeId leadingNow = admin.leaderView(MOVED, currentNodes).orElseThrow().member();
            List<NodeConfig> withoutLeader = new ArrayList<>(currentNodes.stream().filter(n -> !n.nodeId().equals(leadingNow)).toList());
            withoutLeader.add(joiningNode);
            assertThatThrownBy(() -> admin.setConfiguration(MOVED, currentNodes, withoutLeader, STEP_TIMEOUT))
                    .isInstanceOfSatisfying(ReplicaSetAdminException.class, refused -> assertThat(refused.failure())
                            .isEqualTo(new MoveFailure.LeaderLeaving(leadingNow, withoutLeader.stream().map(NodeConfig::nodeId).sorted().toList())));
            assertThat(admin.leaderView(MOVED, currentNodes).orElseThrow().configuration()).as("nothing changed")
                    .containsExactlyInAnyOrderElementsOf(current);
            retrying(() -> admin.transferLeadership(MOVED, currentNodes, next.getFirst(), STEP_TIMEOUT));
            assertThat(admin.leaderView(MOVED, currentNodes)).map(GroupView::member).contains(next.getFirst());

            // 4. Change the configuration to N: Ratis stages the joining member, then commits joint and new.
            retrying(() -> admin.setConfiguration(MOVED, currentNodes, nextNodes, STEP_TIMEOUT));
            long caughtUpNanos = System.nanoTime() - caughtUpFrom;
            GroupView committed = admin.leaderView(MOVED, nextNodes).orElseThrow();
            assertThat(committed.configuration()).containsExactlyInAnyOrderElementsOf(next);
            assertThat(committed.configurationStable()).isTrue();
            // Asking again for the configuration the group has is a success.
            retrying(() -> admin.setConfiguration(MOVED, nextNodes, nextNodes, STEP_TIMEOUT));

            // 5. Write {current: N, next: none}.
            placements.write(moving.completed().withLeader(committed.member()), version, null, List.of());

            // 6. The leaving worker removes its group and deletes its data.
            TestNode old = cluster.node(leaving).orElseThrow();
            Path oldDirectory = old.worker().partitionDirectory(MOVED);
            Awaitility.await("old replica removed").atMost(STEP_TIMEOUT)
                    .until(() -> !old.worker().hostedPartitions().contains(MOVED) && !oldDirectory.toFile().exists());

            // Keep writing a little after the move, then stop.
            int afterMove = acknowledged.size();
            Awaitility.await().atMost(STEP_TIMEOUT).until(() -> acknowledged.size() >= afterMove + 50);
            stop.set(true);
            for (Thread writer : writers) {
                writer.join(Duration.ofSeconds(60));
            }

            assertThat(clientErrors).as("errors seen by the client").isEmpty();
            // The new replica caught up by installing the snapshot, then the log — held to the transfer limit: every
            // snapshot chunk but the first waited for its turn, so the catch-up took at least the rest of the bytes over the rate.
            long snapshotBytes = newcomer.worker().catchUpBytes(CatchUpThrottle.Kind.SNAPSHOT);
            assertThat(snapshotBytes).as("snapshot bytes received").isGreaterThan(3_000_000);
            assertThat(newcomer.worker().transferRate().nanosWaited()).as("time the catch-up waited for the limit").isPositive();
            long chunk = RatisSettings.defaults().appenderBufferBytes();
            assertThat(caughtUpNanos).as("catch-up time under the limit, ns").isGreaterThanOrEqualTo(
                    (snapshotBytes - chunk - 64 * 1024) * 1_000_000_000L / TransferRate.MIN_BYTES_PER_SECOND);
            for (TestNode other : cluster.nodes()) {
                if (!other.nodeId().equals(joining) && other.isRunning()) {
                    assertThat(other.worker().transferRate().nanosWaited()).as("no limit on %s", other.nodeId()).isZero();
                }
            }
            Awaitility.await("new replica caught up").atMost(STEP_TIMEOUT).until(() -> {
                Optional<ReplicaStatus> status = newcomer.worker().replicaStatus(MOVED);
                return status.isPresent() && status.get().role() != ReplicaRole.STAGING && status.get().lag() == 0;
            });
            assertThat(newcomer.worker().replicaStatus(MOVED).orElseThrow().snapshotIndex()).as("snapshot installed").isGreaterThanOrEqualTo(snapshotIndex);
            // No acknowledged write is lost.
            for (Map.Entry<String, String> write : acknowledged.entrySet()) {
                assertThat(client.getString(write.getKey())).as(write.getKey()).contains(write.getValue());
            }
            Concurrently.forEach(1_600, 8, STEP_TIMEOUT.multipliedBy(2), i -> assertThat(client.get(movedKeys.get(i))).isPresent());
        }
    }

    @Test
    void movesFourReplicasOffOneWorkerAtOnceUnderLoad() throws Exception {
        try (LocalTestCluster cluster = LocalTestCluster.builder().workers(4).partitions(8).replication(3).start();
                ReplicaSetAdmin admin = new ReplicaSetAdmin(cluster.clusterName());
                Workload workload = new Workload(cluster.client(SluiceClient.builder().random(new SplittableRandom(4))),
                        new Workload.Options(WRITERS, 2_000, 0, 16))) {
            TestNode leavingNode = cluster.node(0);
            NodeId leaving = leavingNode.nodeId();
            List<PartitionId> moved = leavingNode.worker().hostedPartitions().stream().limit(4).toList();
            assertThat(moved).hasSize(4);

            workload.start();
            Awaitility.await().atMost(STEP_TIMEOUT).until(() -> workload.writes() >= 50);

            // Four make-before-break moves at once, each played by the six steps on its own thread.
            List<Throwable> moveFailures = new CopyOnWriteArrayList<>();
            List<Thread> moves = new ArrayList<>();
            for (PartitionId partition : moved) {
                moves.add(Thread.ofPlatform().name("move-" + partition).start(() -> {
                    try {
                        move(cluster, admin, partition, leaving);
                    } catch (Throwable failed) {
                        moveFailures.add(failed);
                    }
                }));
            }
            for (Thread move : moves) {
                move.join(STEP_TIMEOUT.multipliedBy(4));
            }
            assertThat(moveFailures).isEmpty();
            Awaitility.await("old replicas removed").atMost(STEP_TIMEOUT).until(() -> moved.stream().noneMatch(
                    partition -> leavingNode.worker().hostedPartitions().contains(partition) || leavingNode.worker().partitionDirectory(partition).toFile().exists()));
            long afterMoves = workload.writes();
            Awaitility.await().atMost(STEP_TIMEOUT).until(() -> workload.writes() >= afterMoves + 50);
            ControllerDrainTest.assertNothingLost(cluster, workload);
        }
    }

    /**
     * {@link ReplicaSetAdmin#stepDown} under writes, on a leader staging a change: while the change is staged
     * every other change and every transfer to a named member is refused as in progress; the leader steps
     * down, the group elects again, and transfers and changes go through, with no client error and nothing
     * lost. That is how the controller ends a change Ratis would keep in progress for good: one staging a
     * member that answered, then died before it caught up (Ratis gives up on such a member only once the
     * group has had no writes for a whole election timeout; found as a drain that waited for ever in
     * {@code ControllerDrainTest}, and reproduced in the simulation). Here the staged worker is dead from the
     * start, which Ratis itself gives up on after a few seconds, so this checks the call, not the hang.
     */
    @Test
    void aLeaderThatStepsDownDropsTheChangeItStagesAndChangesGoThroughAgain() throws Exception {
        try (LocalTestCluster cluster = LocalTestCluster.builder().workers(4).partitions(8).replication(3).start();
                ReplicaSetAdmin admin = new ReplicaSetAdmin(cluster.clusterName())) {
            SluiceClient client = cluster.client(SluiceClient.builder().random(new SplittableRandom(7)));
            NodesConfiguration nodes = cluster.metadata().nodes().current();
            List<NodeId> current = cluster.metadata().placements().read(MOVED).orElseThrow().placement().current();
            List<NodeConfig> members = current.stream().map(id -> node(nodes, id)).toList();
            TestNode dead = cluster.nodes().stream().filter(n -> !current.contains(n.nodeId())).findFirst().orElseThrow();
            NodeConfig deadNode = node(nodes, dead.nodeId());
            cluster.kill(dead.index());

            List<String> keys = keysOf(cluster, MOVED, 500);
            Map<String, String> acknowledged = new ConcurrentHashMap<>();
            List<Throwable> clientErrors = new CopyOnWriteArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            Thread writer = writer("writer", client, acknowledged, clientErrors, () -> stop.get(), i -> keys.get(i % keys.size()));
            Awaitility.await().atMost(STEP_TIMEOUT).until(() -> acknowledged.size() >= 20);

            // Staged behind ReplicaSetAdmin's back, which refuses a change naming a member that does not host the
            // group. Each attempt gives up after a second; the first one Ratis accepts stays staged on the leader.
            NodeId leader = admin.leaderView(MOVED, members).orElseThrow().member();
            List<RaftPeer> withDead = new ArrayList<>(members.stream().map(PartitionGroups::peer).toList());
            withDead.add(PartitionGroups.peer(deadNode));
            try (RaftClient raw = RaftClient.newBuilder().setRaftGroup(new PartitionGroups(cluster.clusterName()).group(MOVED, members))
                    .setProperties(RatisSettings.clientProperties(Duration.ofSeconds(1))).setRetryPolicy(RetryPolicies.noRetry())
                    .setLeaderId(PartitionGroups.peerId(leader)).build()) {
                Awaitility.await("a change staging the dead worker, and the next one refused as in progress").atMost(STEP_TIMEOUT)
                        .pollInterval(Duration.ofMillis(50)).until(() -> stagingRefusedAsInProgress(raw, withDead));
            }
            assertThat(transferRefusedAsInProgress(admin, members, leader)).as("a transfer while the change is staged").isTrue();

            admin.stepDown(MOVED, members, leader, Duration.ofSeconds(10));
            NodeId other = members.stream().map(NodeConfig::nodeId).filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            retrying(() -> admin.transferLeadership(MOVED, members, other, STEP_TIMEOUT));
            assertThat(admin.leaderView(MOVED, members)).map(GroupView::member).contains(other);
            retrying(() -> admin.setConfiguration(MOVED, members, members, STEP_TIMEOUT));
            assertThat(admin.leaderView(MOVED, members).orElseThrow().configuration()).containsExactlyInAnyOrderElementsOf(current);

            int before = acknowledged.size();
            Awaitility.await("writes go on").atMost(STEP_TIMEOUT).until(() -> acknowledged.size() >= before + 20);
            stop.set(true);
            writer.join(STEP_TIMEOUT.toMillis());
            assertThat(clientErrors).isEmpty();
            acknowledged.forEach((key, value) -> assertThat(client.getString(key)).as(key).contains(value));
        }
    }

    /**
     * A thread writing "v<i>" to the {@code i}-th key {@code keyOf} names (null: done) until {@code stopped},
     * recording each acknowledged write and each error.
     */
    private static Thread writer(String name, SluiceClient client, Map<String, String> acknowledged, List<Throwable> errors,
            java.util.function.BooleanSupplier stopped, java.util.function.IntFunction<String> keyOf) {
        return Thread.ofPlatform().name(name).start(() -> {
            for (int i = 0; !stopped.getAsBoolean(); i++) {
                String key = keyOf.apply(i);
                if (key == null) {
                    return;
                }
                String value = "v" + i;
                try {
                    client.put(key, value);
                    acknowledged.put(key, value);
                } catch (RuntimeException failed) {
                    errors.add(failed);
                }
            }
        });
    }

    /** Asks for {@code peers}; whether Ratis refused it because a change is in progress (it answers that at once). */
    private static boolean stagingRefusedAsInProgress(RaftClient raw, List<RaftPeer> peers) {
        try {
            RaftClientReply reply = raw.admin().setConfiguration(peers);
            return !reply.isSuccess() && reply.getException() instanceof org.apache.ratis.protocol.exceptions.ReconfigurationInProgressException;
        } catch (org.apache.ratis.protocol.exceptions.ReconfigurationInProgressException inProgress) {
            return true;
        } catch (IOException | RuntimeException notYet) {
            return false;
        }
    }

    /**
     * Whether a transfer to a named member is refused as a change in progress. (Asking for the configuration
     * the group has is answered at once even while a change is staged, so it cannot tell.)
     */
    private static boolean transferRefusedAsInProgress(ReplicaSetAdmin admin, List<NodeConfig> members, NodeId leader) {
        NodeId other = members.stream().map(NodeConfig::nodeId).filter(id -> !id.equals(leader)).findFirst().orElseThrow();
        try {
            admin.transferLeadership(MOVED, members, leader, other, Duration.ofSeconds(5));
            return false;
        } catch (ReplicaSetAdminException refused) {
            return refused.failure() instanceof MoveFailure.ReconfigurationInProgress;
        }
    }

    /** The controller's six steps for moving {@code partition} off {@code leaving} to a worker not holding it. */
    static void move(LocalTestCluster cluster, ReplicaSetAdmin admin, PartitionId partition, NodeId leaving) {
        PlacementStore placements = cluster.metadata().placements();
        NodesConfiguration nodes = cluster.metadata().nodes().current();
        PlacementStore.VersionedPlacement before = placements.read(partition).orElseThrow();
        List<NodeId> current = before.placement().current();
        NodeId joining = nodes.workers().stream().map(NodeConfig::nodeId).filter(id -> !current.contains(id)).findFirst().orElseThrow();
        List<NodeId> next = new ArrayList<>(current);
        next.remove(leaving);
        next.add(joining);
        List<NodeConfig> currentNodes = current.stream().map(id -> node(nodes, id)).toList();
        List<NodeConfig> nextNodes = next.stream().map(id -> node(nodes, id)).toList();
        Placement moving = before.placement().withNext(next, nodes.version(), Instant.now());
        long version = placements.write(moving, before.version(), null, List.of());
        Awaitility.await("group created on " + joining).atMost(STEP_TIMEOUT).until(() -> admin.groupView(node(nodes, joining), partition).isPresent());
        Optional<GroupView> leader = admin.leaderView(partition, currentNodes);
        if (leader.isEmpty() || leader.get().member().equals(leaving)) {
            retrying(() -> admin.transferLeadership(partition, currentNodes, next.getFirst(), STEP_TIMEOUT));
        }
        retrying(() -> admin.setConfiguration(partition, currentNodes, nextNodes, STEP_TIMEOUT));
        NodeId newLeader = admin.leaderView(partition, nextNodes).map(GroupView::member).orElse(null);
        placements.write(moving.completed().withLeader(newLeader), version, null, List.of());
    }

    /**
     * Repeats one admin call until it succeeds: each call makes one attempt, and the group may be between
     * leaders or still committing an earlier change (the controller retries the same way, by failure kind).
     */
    private static void retrying(Runnable call) {
        Awaitility.await().atMost(STEP_TIMEOUT).pollInterval(Duration.ofMillis(200))
                .ignoreExceptionsMatching(e -> e instanceof ReplicaSetAdminException)
                .until(() -> {
                    call.run();
                    return true;
                });
    }

    private static NodeConfig node(NodesConfiguration nodes, NodeId id) {
        return nodes.find(id).orElseThrow();
    }

    /** {@code count} distinct keys that hash to {@code partition}. */
    static List<String> keysOf(LocalTestCluster cluster, PartitionId partition, int count) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; keys.size() < count; i++) {
            String key = "k" + i;
            if (cluster.table().partitionOf(key).equals(partition)) {
                keys.add(key);
            }
        }
        return keys;
    }
}
