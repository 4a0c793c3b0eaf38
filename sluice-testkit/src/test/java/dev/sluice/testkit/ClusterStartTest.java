package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.client.SluiceClient;
import dev.sluice.model.AuditRecord;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.PartitionId;
import dev.sluice.model.WorkerState;
import dev.sluice.worker.ReplicaRole;
import dev.sluice.worker.ReplicaStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Done-when #1: 4 workers, 24 partitions × 3 replicas; every worker activates itself; 10,000 keys round-trip. */
class ClusterStartTest {

    static final int KEYS = 10_000;
    static final int WRITERS = 16;

    @Test
    void fourWorkersActivateThemselvesAndServeTenThousandKeys() throws Exception {
        try (LocalTestCluster cluster = LocalTestCluster.builder().workers(4).partitions(24).replication(3).start()) {
            // Every worker went provisioning -> active by itself, recorded in the audit log with the node as actor.
            List<NodeConfig> workers = cluster.metadata().nodes().current().workers();
            assertThat(workers).hasSize(4).allMatch(node -> node.workerState() == WorkerState.ACTIVE);
            List<AuditRecord> audit = cluster.metadata().audit().read(-1, 1000);
            assertThat(audit).filteredOn(record -> record.to() == WorkerState.ACTIVE)
                    .hasSize(4)
                    .allMatch(record -> record.from() == WorkerState.PROVISIONING && record.actor() == dev.sluice.model.Actor.NODE);

            // 24 partitions x 3 replicas = 72 replicas, 18 per worker, one leader each.
            int replicas = 0;
            for (TestNode node : cluster.nodes()) {
                List<ReplicaStatus> status = node.worker().status().replicas();
                assertThat(status).hasSize(18);
                replicas += status.size();
            }
            assertThat(replicas).isEqualTo(72);
            for (PartitionId partition : cluster.table().partitions()) {
                assertThat(cluster.leaderOf(partition)).as("leader of %s", partition).isPresent();
            }

            SluiceClient client = cluster.client();
            ExecutorService writers = Executors.newFixedThreadPool(WRITERS);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int w = 0; w < WRITERS; w++) {
                    int writer = w;
                    done.add(writers.submit(() -> {
                        for (int k = writer; k < KEYS; k += WRITERS) {
                            client.put("key-" + k, "value-" + k);
                        }
                    }));
                }
                for (Future<?> future : done) {
                    future.get();
                }
                done.clear();
                for (int w = 0; w < WRITERS; w++) {
                    int reader = w;
                    done.add(writers.submit(() -> {
                        for (int k = reader; k < KEYS; k += WRITERS) {
                            assertThat(client.getString("key-" + k)).contains("value-" + k);
                        }
                    }));
                }
                for (Future<?> future : done) {
                    future.get();
                }
            } finally {
                writers.shutdownNow();
            }
            assertThat(client.getString("never-written")).isEmpty();
            // Every replica holds what its partition was given: applied everywhere.
            cluster.awaitLeaders(Duration.ofSeconds(10));
            long replicasWithData = cluster.nodes().stream().flatMap(node -> node.worker().status().replicas().stream())
                    .filter(status -> status.stateBytes() > 0).count();
            assertThat(replicasWithData).isEqualTo(72);
            assertThat(cluster.nodes().stream().flatMap(node -> node.worker().status().replicas().stream())
                    .filter(status -> status.role() == ReplicaRole.LEADER)).hasSize(24);
        }
    }
}
