package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.NodeId;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.WorkerState;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * More workers drain at once than the status lists: the status lists the most telling and counts the rest, and every
 * drain's own document says, pass after pass, what the status's counts say of its worker, to the end; and the workers a
 * pass finds drained are disabled together.
 */
class DrainDocumentsTest {

    @Test
    void aZoneOfFiftyFiveWorkersDrainsWithEveryDrainInItsDocumentAndTheStatusListingFifty() {
        // 165 workers in three zones, 330 partitions × 3 over at least two zones: six replicas a worker.
        try (ControllerHarness cluster = ControllerHarness.atScale(165, 330, new ReplicationProperty(3, 2), ControllerConfig.DEFAULTS, 1,
                "zone-a", "zone-b", "zone-c")) {
            cluster.runUntil(cluster::settled, 400, "initial placement");
            DrainGroupRequests requests = new DrainGroupRequests(cluster.metadata, new Lifecycle(cluster.metadata, cluster.config.limits(), cluster.clock),
                    cluster.clock);
            // How many drain records each commit writes.
            List<Integer> drainRecordsPerCommit = new java.util.ArrayList<>();
            cluster.interfereBeforeCommits(ops -> {
                long drainRecords = ops.stream().filter(op -> op.key().startsWith(ControllerDocuments.DRAINS + "/")).count();
                if (drainRecords > 0) {
                    drainRecordsPerCommit.add((int) drainRecords);
                }
            });
            DrainGroupRequests.Outcome outcome = requests.start(new DrainGroupRequests.Selection(List.of(), "local.zone-a"), null, "zone retired", false,
                    false, Optional.empty());
            DrainGroup group = ((DrainGroupRequests.Outcome.Started) outcome).group();
            assertThat(group.nodes()).hasSize(55);
            ControllerDocuments documents = new ControllerDocuments(cluster.metadata);

            int compared = 0;
            for (int step = 0; step < 6_000 && group.nodes().stream().anyMatch(node -> cluster.state(node) != WorkerState.DISABLED); step++) {
                cluster.step();
                ControllerStatus published = documents.status().orElseThrow();
                if (published.drainCount() < 55) {
                    continue;
                }
                assertThat(published.drains()).hasSize(ControllerStatus.MAX_DRAINS);
                assertThat(published.drainsLeftOut()).isEqualTo(55 - ControllerStatus.MAX_DRAINS);
                Map<NodeId, DrainProgress> drains = documents.drainProgress();
                assertThat(drains).containsOnlyKeys(group.nodes());
                for (NodeId node : group.nodes()) {
                    DrainProgress drain = drains.get(node);
                    if (drain.state() == WorkerState.DRAINING) {
                        assertThat(drain.replicasRemaining()).as("%s's document at step %d", node, step)
                                .isEqualTo(published.counts(node).orElseThrow().replicas());
                        compared++;
                    }
                }
                // What the status lists is what the documents say.
                published.drains().forEach(listed -> assertThat(drains.get(listed.node()).saysTheSameAs(listed)).as(listed.node().toString()).isTrue());
            }

            assertThat(group.nodes()).allMatch(node -> cluster.state(node) == WorkerState.DISABLED);
            // The pass that picks the drain up starts the 55 records in one commit, not one each.
            assertThat(drainRecordsPerCommit.getFirst()).isEqualTo(55);
            // The workers a pass found drained are disabled in one write of the nodes configuration, not one each.
            List<dev.sluice.model.AuditRecord> disabled = cluster.events(dev.sluice.model.EventKind.NODE_TRANSITION).stream()
                    .map(logged -> logged.event().transition()).filter(record -> record.to() == WorkerState.DISABLED).toList();
            assertThat(disabled).hasSize(55);
            long versions = disabled.stream().map(dev.sluice.model.AuditRecord::version).distinct().count();
            System.out.printf("the 55 drained workers were disabled in %d version(s) of the nodes configuration%n", versions);
            assertThat(versions).isLessThan(55);
            assertThat(compared).as("drains compared with the status's counts").isGreaterThan(55 * 5);
            Map<NodeId, DrainProgress> ended = documents.drainProgress();
            assertThat(ended).containsOnlyKeys(group.nodes());
            assertThat(ended.values()).allSatisfy(drain -> {
                assertThat(drain.state()).isEqualTo(WorkerState.DISABLED);
                assertThat(drain.replicasRemaining()).isZero();
                assertThat(drain.completedAt()).isNotNull();
            });
        }
    }
}
