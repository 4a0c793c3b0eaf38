package dev.sluice.testkit;

import static java.util.function.Predicate.not;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.sluice.client.SluiceClient;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.raft.MoveFailure;
import dev.sluice.raft.PartitionGroups;
import dev.sluice.raft.ReplicaSetAdmin;
import dev.sluice.raft.ReplicaSetAdminException;
import dev.sluice.worker.StuckTransferCause;
import dev.sluice.worker.Worker;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.server.RaftServer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A leader holding a leadership transfer that Ratis left pending, on real Ratis. Ratis 3.x leaves a transfer
 * that failed before it started pending until an election (docs/controller.md, "A transfer Ratis left
 * pending"); the failure needs a race (the target's refusal arriving before the leader looks) that a test
 * cannot bring about at will, so the test puts the division in the state that race leaves — a pending transfer
 * nothing will complete — through Ratis's internals, and checks what Sluice relies on: the leader refuses
 * writes and other transfers, Sluice names the refusal, and a step-down clears it.
 */
class LeftPendingTransferTest {

    private static final PartitionId PARTITION = PartitionId.of(0);

    /** The controller's way out: the refusal is {@code transfer-pending}, and a step-down makes the partition writable again. */
    @Test
    void aStepDownClearsATransferLeftPendingAndTheRefusalIsNamed() throws Exception {
        try (LocalTestCluster cluster = LocalTestCluster.builder().workers(3).partitions(1).replication(3).start();
                ReplicaSetAdmin admin = new ReplicaSetAdmin(cluster.clusterName())) {
            SluiceClient client = cluster.client();
            // One write's worth of patience for the writes that must be refused; the others get the default 30 s.
            SluiceClient impatient = cluster.client(SluiceClient.builder().callTimeout(Duration.ofSeconds(2)));
            String key = PartitionMoveTest.keysOf(cluster, PARTITION, 1).getFirst();
            client.put(key, "before");
            NodesConfiguration nodes = cluster.metadata().nodes().current();
            List<NodeConfig> members = nodes.workers().stream().toList();
            TestNode leader = stuckAndRefusing(cluster, impatient, key);
            List<NodeId> others = members.stream().map(NodeConfig::nodeId).filter(id -> !id.equals(leader.nodeId())).sorted().toList();

            assertThatThrownBy(() -> admin.transferLeadership(PARTITION, members, leader.nodeId(), others.getLast(), Duration.ofSeconds(4)))
                    .isInstanceOfSatisfying(ReplicaSetAdminException.class, refused -> assertThat(refused.failure())
                            .isInstanceOfSatisfying(MoveFailure.TransferPending.class, pending -> assertThat(pending.leader()).isEqualTo(leader.nodeId())));

            admin.stepDown(PARTITION, members, leader.nodeId(), Duration.ofSeconds(5));
            client.put(key, "after");
            assertThat(client.getString(key)).contains("after");
        }
    }

    /**
     * Nobody asks the leader for anything but writes (no controller runs here): the worker sees its writes refused as
     * stepping down for longer than any transfer takes and steps the leader down itself. Without that the partition
     * stays unwritable until the process restarts.
     */
    @Test
    void theWorkerStepsDownALeaderWhoseWritesStayRefused() throws Exception {
        try (LocalTestCluster cluster = LocalTestCluster.builder().workers(3).partitions(1).replication(3).start()) {
            SluiceClient client = cluster.client();
            // One write's worth of patience for the writes that must be refused; the others get the default 30 s.
            SluiceClient impatient = cluster.client(SluiceClient.builder().callTimeout(Duration.ofSeconds(2)));
            String key = PartitionMoveTest.keysOf(cluster, PARTITION, 1).getFirst();
            client.put(key, "before");
            TestNode stuck = stuckAndRefusing(cluster, impatient, key);

            // The worker acts after 10 s of refusals (StuckTransfers.STUCK_AFTER); the client keeps writing meanwhile, for up to 30 s.
            client.put(key, "after");
            assertThat(client.getString(key)).contains("after");
            assertThat(stuck.worker().stuckTransferStepDowns(StuckTransferCause.WRITES_REFUSED)).as("step-downs counted").isPositive();
            assertThat(stuck.worker().stuckTransferStepDowns(StuckTransferCause.OWN_TRANSFER_FAILED)).isZero();
        }
    }

    /**
     * Leaves a transfer pending on the partition's leader and checks that a write is refused, and returns that leader.
     * An election clears the pending transfer (Ratis completes it when a leader is elected); on a loaded machine a
     * follower that missed heartbeats sometimes starts one, and then the write goes through the new leader and says
     * nothing about the behaviour under test, so the transfer is left pending again on whoever leads, a few times.
     */
    private static TestNode stuckAndRefusing(LocalTestCluster cluster, SluiceClient impatient, String key) throws Exception {
        for (int attempt = 1; attempt <= 5; attempt++) {
            Stuck stuck = leaveTransferPending(cluster);
            Throwable refusal = catchThrowable(() -> impatient.put(key, "while stuck"));
            if (stuck.undisturbed()) {
                assertThat(refusal).as("a write while the transfer is pending").isNotNull();
                return stuck.leader();
            }
        }
        throw new AssertionError("every attempt was disturbed by an election");
    }

    /** A leader left holding a pending transfer, in the term it had then. */
    private record Stuck(TestNode leader, RaftServer.Division division, long term) {
        boolean undisturbed() {
            return division.getInfo().isLeader() && division.getInfo().getCurrentTerm() == term;
        }
    }

    /**
     * Puts a pending transfer, which nothing will complete, on the partition's leader: the state Ratis's
     * {@code TransferLeadership.start} leaves when a transfer fails before it starts.
     */
    private static Stuck leaveTransferPending(LocalTestCluster cluster) throws Exception {
        RaftGroupId groupId = cluster.node(0).worker().groups().groupId(PARTITION);
        int leaderIndex = Awaitility.await("a ready leader of " + PARTITION).atMost(Duration.ofSeconds(20)).until(() -> {
            for (int i = 0; i < 3; i++) {
                RaftServer.Division division = server(cluster.node(i).worker()).getDivision(groupId);
                if (division.getInfo().isLeader() && division.getInfo().isLeaderReady()) {
                    return i;
                }
            }
            return -1;
        }, index -> index >= 0);
        TestNode leader = cluster.node(leaderIndex);
        RaftServer.Division leading = server(leader.worker()).getDivision(groupId);
        NodeId target = cluster.metadata().nodes().current().workers().stream().map(NodeConfig::nodeId).filter(not(leader.nodeId()::equals))
                .sorted().findFirst().orElseThrow();
        Field transferField = leading.getClass().getDeclaredField("transferLeadership");
        transferField.setAccessible(true);
        Object transferLeadership = transferField.get(leading);
        Class<?> pendingClass = Class.forName("org.apache.ratis.server.impl.TransferLeadership$PendingRequest");
        Constructor<?> constructor = pendingClass.getDeclaredConstructor(transferLeadership.getClass(), TransferLeadershipRequest.class);
        constructor.setAccessible(true);
        TransferLeadershipRequest request = new TransferLeadershipRequest(ClientId.randomId(), leading.getId(), groupId, 1599,
                PartitionGroups.peerId(target), 4_000);
        Field pendingField = transferLeadership.getClass().getDeclaredField("pending");
        pendingField.setAccessible(true);
        @SuppressWarnings("unchecked")
        AtomicReference<Object> pending = (AtomicReference<Object>) pendingField.get(transferLeadership);
        long term = leading.getInfo().getCurrentTerm();
        pending.set(constructor.newInstance(transferLeadership, request));
        return new Stuck(leader, leading, term);
    }

    private static RaftServer server(Worker worker) throws ReflectiveOperationException {
        Field serverField = Worker.class.getDeclaredField("server");
        serverField.setAccessible(true);
        return (RaftServer) serverField.get(worker);
    }
}
