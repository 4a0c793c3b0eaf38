package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.metadata.NodesConfigurationStore;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesChange;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.SchedulerLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A group drain larger than one write of the nodes configuration (a zone of a large cluster): the request makes its
 * first members draining with the group's document, the controller the others a write at a time, and a cancel returns
 * them the same way; nothing is left draining under a group that no longer runs.
 */
class LargeDrainGroupTest {

    /** 1,200 workers in four zones (300 each), 600 partitions × 3 in three zones, settled; throttles wide enough to drain a zone quickly. */
    private static ControllerHarness settledFourZones() {
        ControllerConfig config = ControllerConfig.DEFAULTS.withLimits(new SchedulerLimits(4, 400, Duration.ofSeconds(60), 16));
        ControllerHarness cluster = ControllerHarness.atScale(1_200, 600, new ReplicationProperty(3, 3), config, 1, "za", "zb", "zc", "zd");
        cluster.runUntil(cluster::settled, 400, "initial placement");
        return cluster;
    }

    private static DrainGroupRequests requests(ControllerHarness cluster) {
        return new DrainGroupRequests(cluster.metadata, new Lifecycle(cluster.metadata, cluster.config.limits(), cluster.clock), cluster.clock);
    }

    private static DrainGroup stored(ControllerHarness cluster, String id) {
        return new ControllerDocuments(cluster.metadata).drainGroup(id).orElseThrow().group();
    }

    private static long inState(ControllerHarness cluster, DrainGroup group, WorkerState state) {
        return group.nodes().stream().filter(node -> cluster.state(node) == state).count();
    }

    @Test
    void aZoneOfThreeHundredWorkersStartsWithItsFirstWriteAndTheNextControllerLeaderMakesTheRestDrainingToTheEnd() {
        try (ControllerHarness cluster = settledFourZones()) {
            // Every commit that writes the group's document, and how many members' states it wrote: each must fit one
            // ZooKeeper request with room to spare, and a member must add no more than the bound the batches are sized by.
            List<long[]> groupCommits = new ArrayList<>();
            cluster.interfereBeforeCommits(ops -> {
                long groupBytes = ops.stream().filter(op -> op.key().startsWith(ControllerDocuments.DRAIN_GROUPS + "/")).mapToLong(LargeDrainGroupTest::bytes).sum();
                if (groupBytes > 0) {
                    long members = ops.stream().filter(op -> op.key().startsWith(dev.sluice.metadata.MetadataKeys.NODES_BY_ID + "/")).count();
                    groupCommits.add(new long[] {ops.stream().mapToLong(LargeDrainGroupTest::bytes).sum(), groupBytes, members});
                }
            });
            // The longest reason a request takes, repeated in every member's audit record and event.
            String reason = "zone retired ".repeat(40).substring(0, 500);
            DrainGroupRequests.Outcome outcome = requests(cluster).start(new DrainGroupRequests.Selection(List.of(), "local.za"), null, reason,
                    false, false, Optional.empty());

            DrainGroup group = ((DrainGroupRequests.Outcome.Started) outcome).group();
            assertThat(group.members()).hasSize(300);
            assertThat(group.pending()).hasSize(300 - DrainGroup.FIRST_WRITE_MEMBERS)
                    .as("the members after the first write, in order").containsExactlyElementsOf(group.nodes().subList(DrainGroup.FIRST_WRITE_MEMBERS, 300));
            assertThat(inState(cluster, group, WorkerState.DRAINING)).isEqualTo(DrainGroup.FIRST_WRITE_MEMBERS);
            // A new controller leader takes over before the old one wrote a pending member: it resumes from the document.
            cluster.loop = cluster.newLoop("controller-b");

            // Each pass writes at most one batch: the pending list shrinks by at most a write's worth a pass.
            List<Integer> pendingAfterEachPass = new ArrayList<>();
            while (!stored(cluster, group.id()).pending().isEmpty() && pendingAfterEachPass.size() < 10) {
                cluster.step();
                pendingAfterEachPass.add(stored(cluster, group.id()).pending().size());
            }
            assertThat(pendingAfterEachPass.getLast()).isZero();
            int before = group.pending().size();
            for (int pending : pendingAfterEachPass) {
                assertThat(before - pending).isLessThanOrEqualTo(NodesChange.TransitionWorkers.MAX_MEMBERS);
                before = pending;
            }
            // Every member drains under the group's request, and the group runs until they are all disabled.
            assertThat(group.nodes()).allSatisfy(node -> assertThat(cluster.metadata.nodes().current().find(node).orElseThrow().lastStateChange().requestId())
                    .isEqualTo(group.requestId()));
            cluster.runUntil(() -> stored(cluster, group.id()).state().ended(), 3_000, "the zone drained");
            assertThat(stored(cluster, group.id()).state()).isEqualTo(DrainGroup.State.COMPLETED);
            assertThat(inState(cluster, group, WorkerState.DISABLED)).isEqualTo(300);
            assertThat(group.nodes()).allSatisfy(node -> assertThat(cluster.replicasOn(node)).isZero());
            assertThat(groupCommits).as("the request's write and the controller's").hasSizeGreaterThanOrEqualTo(2);
            for (long[] commit : groupCommits) {
                assertThat(commit[0]).isLessThan(DrainGroup.REQUEST_BYTES_MAX);
                if (commit[2] > 0) {
                    assertThat((commit[0] - commit[1]) / commit[2]).as("bytes a member's change of state adds").isLessThan(DrainGroup.MEMBER_WRITE_BYTES_MAX);
                }
            }
        }
    }

    @Test
    void aGroupOfTheMostMembersHasADocumentTheStoreTakesAndWritesOverAHundredMembersBesideIt() {
        List<DrainGroup.Member> members = new ArrayList<>();
        List<NodeId> nodes = new ArrayList<>();
        for (int n = 1; n <= DrainGroup.MAX_MEMBERS; n++) {
            // Long names: 40 characters each.
            members.add(new DrainGroup.Member(NodeId.of(100_000 + n), "worker-eu-west-1-rack-17-host-" + (100_000 + n),
                    new dev.sluice.model.GenerationalNodeId(NodeId.of(100_000 + n), 12)));
            nodes.add(NodeId.of(100_000 + n));
        }
        DrainGroup group = new DrainGroup("d-0000abcd", "r".repeat(500), "eu-west-1.zone-a", members, java.time.Instant.EPOCH, java.time.Instant.EPOCH,
                dev.sluice.model.Version.of(2), "operator-with-a-long-credential-name", DrainGroup.State.RUNNING, null, false, java.time.Instant.EPOCH,
                nodes.subList(DrainGroup.FIRST_WRITE_MEMBERS, nodes.size()));

        int bytes = ControllerDocuments.drainGroupBytes(group);
        System.out.println("a group of " + DrainGroup.MAX_MEMBERS + " members: its document " + bytes + " bytes, " + DrainGroup.membersPerWrite(bytes)
                + " members a write beside it");

        assertThat(bytes).isLessThan(dev.sluice.metadata.MetadataStore.MAX_VALUE_BYTES / 2);
        assertThat(DrainGroup.membersPerWrite(bytes)).isBetween(100, NodesChange.TransitionWorkers.MAX_MEMBERS);
        assertThat(DrainGroup.membersPerWrite(10_000)).isEqualTo(NodesChange.TransitionWorkers.MAX_MEMBERS);
        assertThat(DrainGroup.membersPerWrite(DrainGroup.REQUEST_BYTES_MAX)).isEqualTo(16);
    }

    private static long bytes(dev.sluice.metadata.Op op) {
        long value = switch (op) {
            case dev.sluice.metadata.Op.Put put -> put.value().length;
            case dev.sluice.metadata.Op.Append append -> append.value().length;
            default -> 0;
        };
        return op.key().length() + value;
    }

    @Test
    void aCancelReturnsOneWriteAtOnceAndTheControllerTheRestAndMembersNotYetDrainingStayActive() {
        try (ControllerHarness cluster = settledFourZones()) {
            DrainGroupRequests requests = requests(cluster);
            DrainGroup group = ((DrainGroupRequests.Outcome.Started) requests.start(new DrainGroupRequests.Selection(List.of(), "local.za"), null,
                    "", false, false, Optional.empty())).group();
            // One pass: the controller makes one more write's worth draining, and leaves the others pending.
            cluster.step();
            DrainGroup running = stored(cluster, group.id());
            int draining = (int) inState(cluster, group, WorkerState.DRAINING);
            assertThat(draining).isEqualTo(300 - running.pending().size()).isGreaterThan(NodesChange.TransitionWorkers.MAX_MEMBERS);

            DrainGroupRequests.Outcome.Cancelled cancelled = (DrainGroupRequests.Outcome.Cancelled) requests.cancel(group.id(), "wrong zone",
                    Optional.empty());

            assertThat(cancelled.changed()).isTrue();
            DrainGroup after = stored(cluster, group.id());
            assertThat(after.state()).isEqualTo(DrainGroup.State.CANCELLED);
            assertThat(after.pending()).as("what the cancel's write could not return").hasSize(draining - NodesChange.TransitionWorkers.MAX_MEMBERS);
            assertThat(cancelled.notes()).anySatisfy(note -> assertThat(note).contains(after.pending().size() + " more worker(s) go back to active"));
            assertThat(cancelled.notes()).hasSizeLessThanOrEqualTo(DrainGroups.MAX_NAMED + 2);

            cluster.runUntil(() -> stored(cluster, group.id()).pending().isEmpty(), 10, "the controller returning the rest");
            assertThat(inState(cluster, group, WorkerState.DRAINING)).as("nothing drains under a cancelled group").isZero();
            assertThat(inState(cluster, group, WorkerState.ACTIVE) + inState(cluster, group, WorkerState.DISABLED)).isEqualTo(300);
        }
    }

    @Test
    void moreWorkersThanAGroupHoldsAreRefusedBeforeAnythingIsWritten() {
        try (ControllerHarness cluster = new ControllerHarness(6, 24, new ReplicationProperty(3, 2), ControllerConfig.DEFAULTS, 1, "zone-a", "zone-b")) {
            NodesConfigurationStore nodes = cluster.metadata.nodes();
            var versionBefore = nodes.current().version();
            List<String> names = IntStream.rangeClosed(1, DrainGroup.MAX_MEMBERS + 1).mapToObj(i -> "worker-" + i).toList();

            DrainGroupRequests.Outcome outcome = requests(cluster).start(new DrainGroupRequests.Selection(names, null), null, "", false, false,
                    Optional.empty());

            assertThat(outcome).isInstanceOfSatisfying(DrainGroupRequests.Outcome.Invalid.class,
                    invalid -> assertThat(invalid.message()).isEqualTo("a drain takes at most " + DrainGroup.MAX_MEMBERS + " workers, got "
                            + (DrainGroup.MAX_MEMBERS + 1)));
            assertThat(nodes.current().version()).isEqualTo(versionBefore);
            assertThat(requests(cluster).list()).isEmpty();
        }
    }

    @Test
    void aGroupDocumentWrittenBeforePendingExistedReadsWithNothingPending() {
        DrainGroup group = new DrainGroup("d-0000abcd", "", null, List.of(new DrainGroup.Member(NodeId.of(1), "worker-1",
                new dev.sluice.model.GenerationalNodeId(NodeId.of(1), 1))), null, java.time.Instant.EPOCH, dev.sluice.model.Version.of(2), null,
                DrainGroup.State.RUNNING, null, false, java.time.Instant.EPOCH, null);
        assertThat(group.pending()).isEmpty();
        com.fasterxml.jackson.databind.node.ObjectNode json = dev.sluice.metadata.Json.mapper().valueToTree(group);
        json.remove("pending");
        DrainGroup read = dev.sluice.metadata.Json.mapper().convertValue(json, DrainGroup.class);
        assertThat(read).isEqualTo(group);
    }
}
