package dev.sluice.testkit;

import static dev.sluice.worker.DiskSpaceRule.MIB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.client.SluiceClient;
import dev.sluice.client.Workload;
import dev.sluice.client.wire.ErrorCodes;
import dev.sluice.metadata.Json;
import dev.sluice.model.PartitionId;
import dev.sluice.wire.DiskState;
import dev.sluice.wire.ReplicaRole;
import dev.sluice.wire.ReplicaStatus;
import dev.sluice.worker.DiskSpaceRule;
import dev.sluice.worker.Worker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 12's full disk, on a real filesystem: one node's data directory is a 64 MiB tmpfs (floor 16 MiB,
 * critical under 4 MiB, ok again from 20 MiB) while clients write through the whole cluster. The node must
 * refuse writes with a clear error and report itself not ready, never lose what it acknowledged, and come back
 * when space is freed. Skips, saying why, where a tmpfs cannot be mounted, unless {@code SLUICE_CHAOS_REQUIRED}
 * is set (then it fails).
 */
class DiskFullTest {

    static final long FILESYSTEM_BYTES = 64 * MIB;
    static final DiskSpaceRule RULE = new DiskSpaceRule(16 * MIB, 0);
    static final int VICTIM = 1;
    static final Duration REACTION = Duration.ofSeconds(15);
    /**
     * The longest clients may go without an acknowledged write while the node fills: an election timeout
     * (2 s at most) when its Raft server stops with leaderships on it, the client's backoff, and room for a
     * loaded two-core machine.
     */
    static final Duration PAUSE_BOUND = Duration.ofSeconds(10);

    Path base;
    SmallFilesystem filesystem;

    @BeforeEach
    void mountTheVictimsDataDirectory() throws Exception {
        Optional<String> unsupported = SmallFilesystem.unsupported();
        if (System.getenv("SLUICE_CHAOS_REQUIRED") != null) {
            assertThat(unsupported).as("SLUICE_CHAOS_REQUIRED is set but a tmpfs cannot be mounted here").isEmpty();
        }
        unsupported.ifPresent(why -> System.out.println("DiskFullTest skipped: " + why));
        assumeTrue(unsupported.isEmpty(), () -> "skipped: " + unsupported.orElseThrow());
        base = Files.createTempDirectory("sluice-disk-full-");
        // LocalTestCluster names node i's directory worker-(i+1).
        filesystem = SmallFilesystem.mount(base.resolve("worker-" + (VICTIM + 1)), FILESYSTEM_BYTES);
    }

    @AfterEach
    void unmount() throws Exception {
        try {
            if (filesystem != null) {
                filesystem.close();
            }
        } finally {
            if (base != null) {
                LocalTestCluster.deleteRecursively(base);
            }
        }
    }

    LocalTestCluster start() throws Exception {
        return LocalTestCluster.builder().baseDirectory(base).workers(4).partitions(8).replication(3).sessionTimeout(Duration.ofSeconds(3))
                .workerCustomizer((index, worker) -> index == VICTIM
                        ? worker.diskSpaceRule(RULE).diskCheckInterval(Duration.ofMillis(250))
                        : worker)
                .start();
    }

    static Workload load(LocalTestCluster cluster) {
        SluiceClient client = cluster.client(SluiceClient.builder().random(new SplittableRandom(12)).callTimeout(Duration.ofSeconds(60)));
        // 1 KiB values: the victim, a follower of the others, fills at a pace the test can watch.
        Workload workload = new Workload(client, new Workload.Options(4, 400, 0, 1024));
        workload.start();
        return workload;
    }

    @Test
    void aFillingDiskMakesTheNodeRefuseWritesThenStopItsRaftServerAndNothingAcknowledgedIsLost() throws Exception {
        try (LocalTestCluster cluster = start()) {
            TestNode victim = cluster.node(VICTIM);
            Worker worker = victim.worker();
            Set<PartitionId> hosted = worker.hostedPartitions();
            Workload workload = load(cluster);
            await("writes before the disk fills").atMost(Duration.ofSeconds(30)).until(() -> workload.writes() > 200);

            // Low: under the floor, above the critical level.
            workload.phase("low");
            long filledAt = System.nanoTime();
            filesystem.fillLeaving(12 * MIB);
            await("the node finds its disk low").atMost(REACTION).until(() -> worker.disk().state() == DiskState.LOW);
            long lowAfter = millisSince(filledAt);
            assertThat(worker.ready()).isFalse();
            HttpResponse<String> ready = get(victim, "/health/ready");
            assertThat(ready.statusCode()).isEqualTo(503);
            JsonNode readyBody = Json.mapper().readTree(ready.body());
            assertThat(readyBody.get("disk").asText()).isEqualTo("low");
            assertThat(readyBody.get("reason").asText()).startsWith("node " + victim.nodeId() + "'s data directory " + filesystem.directory() + " has ")
                    .contains("MiB free, below the 16 MiB floor");
            HttpResponse<String> refused = put(victim, "refused-while-low");
            assertThat(refused.statusCode()).isEqualTo(507);
            JsonNode error = Json.mapper().readTree(refused.body());
            assertThat(error.get("error").asText()).isEqualTo(ErrorCodes.INSUFFICIENT_STORAGE);
            assertThat(error.get("message").asText()).contains("below the 16 MiB floor");
            assertThat(refused.headers().firstValue("Retry-After")).contains("1");
            await("the node's leaderships moved away").atMost(REACTION)
                    .until(() -> cluster.table().partitions().stream().noneMatch(p -> cluster.leaderOf(p).filter(victim::equals).isPresent()));
            long leadersGoneAfter = millisSince(filledAt);
            assertThat(worker.status().replicas()).as("still a voting follower of everything it held")
                    .extracting(ReplicaStatus::partition).containsExactlyInAnyOrderElementsOf(hosted);

            // Critical: the Raft server stops before the disk is full.
            workload.phase("critical");
            long criticalAt = System.nanoTime();
            filesystem.fillLeaving(2 * MIB);
            await("the node stops its Raft server").atMost(REACTION).until(worker::dataPlaneSuspended);
            long suspendedAfter = millisSince(criticalAt);
            assertThat(worker.disk().state()).isEqualTo(DiskState.CRITICAL);
            assertThat(worker.disk().detail()).contains("its Raft server is stopped until 20 MiB are free");
            assertThat(worker.hostedPartitions()).as("its data stays, reported as placeholders").isEqualTo(hosted);
            assertThat(worker.status().replicas()).allSatisfy(replica -> assertThat(replica.role()).isEqualTo(ReplicaRole.STAGING));
            assertThat(put(victim, "refused-while-critical").statusCode()).isEqualTo(507);
            awaitOthersTakeWrites(workload);

            // Freed: back above the resume level, the server restarts from disk and catches up.
            Recovery recovery = freeAndAwaitRecovery(cluster, victim, hosted, workload);
            assertThat(worker.disk().state()).isEqualTo(DiskState.OK);
            assertThat(get(victim, "/health/ready").statusCode()).isEqualTo(200);
            assertThat(put(victim, "accepted-after-freeing").statusCode()).as("no longer refused: written, or sent to the leader").isIn(204, 421);

            ControllerDrainTest.assertNothingLost(cluster, workload);
            System.out.printf("DiskFullTest filling: low after %d ms, leaderships gone after %d ms; critical: Raft server stopped after %d ms; "
                    + "freed: ready after %d ms, caught up after %d ms%n", lowAfter, leadersGoneAfter, suspendedAfter, recovery.readyAfterMillis(),
                    recovery.caughtUpAfterMillis());
            assertNoLongPause(workload);
        }
    }

    @Test
    void aDiskFilledAtOnceStopsTheRaftServerAndTheNodeComesBackWithNothingLost() throws Exception {
        try (LocalTestCluster cluster = start()) {
            TestNode victim = cluster.node(VICTIM);
            Worker worker = victim.worker();
            Set<PartitionId> hosted = worker.hostedPartitions();
            Workload workload = load(cluster);
            await("writes before the disk fills").atMost(Duration.ofSeconds(30)).until(() -> workload.writes() > 200);

            workload.phase("full");
            long filledAt = System.nanoTime();
            filesystem.fillCompletely();
            await("the node stops its Raft server").atMost(REACTION).until(worker::dataPlaneSuspended);
            long suspendedAfter = millisSince(filledAt);
            String why = worker.disk().detail();
            assertThat(put(victim, "refused-while-full").statusCode()).isEqualTo(507);
            awaitOthersTakeWrites(workload);

            Recovery recovery = freeAndAwaitRecovery(cluster, victim, hosted, workload);

            ControllerDrainTest.assertNothingLost(cluster, workload);
            System.out.printf("DiskFullTest filled at once: Raft server stopped after %d ms (%s); freed: ready after %d ms, caught up after %d ms%n",
                    suspendedAfter, why, recovery.readyAfterMillis(), recovery.caughtUpAfterMillis());
            assertNoLongPause(workload);
        }
    }

    private record Recovery(long readyAfterMillis, long caughtUpAfterMillis) {}

    /** Frees the space and waits until the node is ready and its replicas have caught up with what was committed meanwhile. */
    private Recovery freeAndAwaitRecovery(LocalTestCluster cluster, TestNode victim, Set<PartitionId> hosted, Workload workload) throws java.io.IOException {
        workload.phase("freed");
        Worker worker = victim.worker();
        Map<PartitionId, Long> committedWhileAway = committed(cluster, hosted);
        long freedAt = System.nanoTime();
        filesystem.removeFiller();
        await("the node is ready again").atMost(REACTION).until(() -> worker.ready() && !worker.dataPlaneSuspended());
        long readyAfter = millisSince(freedAt);
        awaitCaughtUp(cluster, victim, committedWhileAway);
        return new Recovery(readyAfter, millisSince(freedAt));
    }

    /** While the filled node refuses writes, the partitions' other replicas go on taking them. */
    private static void awaitOthersTakeWrites(Workload workload) {
        long before = workload.writes();
        await("the other replicas take writes").atMost(REACTION).until(() -> workload.writes() > before + 200);
    }

    private static void assertNoLongPause(Workload workload) {
        for (Workload.Stats stats : workload.allStats()) {
            System.out.println("DiskFullTest " + stats);
            assertThat(stats.longestPauseMillis()).as("longest pause of acknowledged writes, phase %s", stats.phase())
                    .isLessThanOrEqualTo(PAUSE_BOUND.toMillis());
        }
    }

    static void awaitCaughtUp(LocalTestCluster cluster, TestNode node, Map<PartitionId, Long> committed) {
        try {
            await("its replicas caught up").atMost(Duration.ofSeconds(30)).until(() -> caughtUp(node, committed));
        } catch (org.awaitility.core.ConditionTimeoutException timeout) {
            throw new AssertionError(timeout.getMessage() + " (to reach " + committed + ")\n" + describe(cluster, node, committed.keySet()), timeout);
        }
    }

    /** Each partition's commit index at its leader now: what every replica must reach. */
    static Map<PartitionId, Long> committed(LocalTestCluster cluster, Set<PartitionId> partitions) {
        Map<PartitionId, Long> committed = new TreeMap<>();
        for (PartitionId partition : partitions) {
            long index = cluster.leaderOf(partition).flatMap(leader -> leader.worker().replicaStatus(partition)).map(ReplicaStatus::commitIndex)
                    .orElseThrow(() -> new AssertionError(partition + " has no leader"));
            committed.put(partition, index);
        }
        return committed;
    }

    /** Every partition the node held is a follower here again and has applied at least what was committed when space was freed. */
    static boolean caughtUp(TestNode node, Map<PartitionId, Long> committed) {
        for (Map.Entry<PartitionId, Long> partition : committed.entrySet()) {
            Optional<ReplicaStatus> mine = node.worker().replicaStatus(partition.getKey());
            if (mine.isEmpty() || mine.get().role() != ReplicaRole.FOLLOWER || mine.get().appliedIndex() < partition.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** Each partition's replica on {@code node} beside its leader's, for a failure message. */
    static String describe(LocalTestCluster cluster, TestNode node, Set<PartitionId> partitions) {
        StringBuilder text = new StringBuilder(node.name() + " disk " + node.worker().disk().state() + ", suspended " + node.worker().dataPlaneSuspended());
        for (PartitionId partition : partitions) {
            text.append("\n  ").append(partition).append(": here ").append(node.worker().replicaStatus(partition).map(Object::toString).orElse("none"));
            cluster.leaderOf(partition).ifPresentOrElse(leader -> text.append("; leader ").append(leader.name()).append(' ')
                    .append(leader.worker().replicaStatus(partition).map(Object::toString).orElse("none")), () -> text.append("; no leader"));
        }
        return text.toString();
    }

    static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    static HttpResponse<String> get(TestNode node, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(node.url().resolve(path)).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> put(TestNode node, String key) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(node.url() + "/data/v1/kv/" + key)).timeout(Duration.ofSeconds(15))
                .PUT(HttpRequest.BodyPublishers.ofString("value of " + key)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
