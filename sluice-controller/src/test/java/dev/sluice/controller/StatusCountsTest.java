package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.NodeId;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.WorkerState;

import org.junit.jupiter.api.Test;

/**
 * The status counts every worker's replicas and leaderships in the pass that makes the drains' numbers,
 * so the node a dashboard shows and its drain agree at every moment of a drain.
 */
class StatusCountsTest {

    private static final NodeId N1 = NodeId.of(1);

    @Test
    void aDrainingWorkersCountsAreItsDrainsRemainingAtEveryPass() {
        try (ControllerHarness cluster = new ControllerHarness(4, 24, ReplicationProperty.of(3), ControllerConfig.DEFAULTS, 1)) {
            cluster.runUntil(cluster::settled, 50, "initial placement");
            new Lifecycle(cluster.metadata, cluster.config.limits(), cluster.clock).request("N1", WorkerState.DRAINING, "", false, false);
            int checked = 0;
            for (int step = 0; step < 600 && cluster.state(N1) != WorkerState.DISABLED; step++) {
                cluster.step();
                ControllerStatus status = cluster.loop.lastStatus();
                var drain = status.drain(N1);
                if (drain.isPresent() && drain.get().state() == WorkerState.DRAINING) {
                    ControllerStatus.WorkerCounts counts = status.counts(N1).orElseThrow();
                    assertThat(counts.replicas()).as("replicas at step %d", step).isEqualTo(drain.get().replicasRemaining());
                    assertThat(counts.leaderships()).as("leaderships at step %d", step).isEqualTo(drain.get().leadershipsRemaining());
                    checked++;
                }
            }
            assertThat(cluster.state(N1)).isEqualTo(WorkerState.DISABLED);
            assertThat(checked).as("passes that compared the two").isGreaterThan(3);
            assertThat(cluster.loop.lastStatus().workers()).extracting(ControllerStatus.WorkerCounts::node).contains(N1, NodeId.of(2), NodeId.of(3), NodeId.of(4));
        }
    }
}
