package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.BrowserSession;
import dev.sluice.client.Workload;
import dev.sluice.controller.ControllerConfig;
import dev.sluice.controller.ControllerDocuments;
import dev.sluice.controller.ControllerStatus;
import dev.sluice.metadata.EventLog;
import dev.sluice.metadata.Json;
import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.EventKind;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.SchedulerLimits;
import dev.sluice.worker.WarmUpCheck;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * A replace on real nodes (embedded ZooKeeper, Ratis over gRPC, HTTP) under client writes: a fifth worker joins and is
 * cordoned before it activates (so the balancer leaves it empty), an operator lowers the throttle at run time (another
 * node's API reads it back, and the controller plans with it), dry-runs and then replaces a worker by the new one. Every
 * placement written meanwhile is watched: the only changes are the old worker's replicas moving to the new one, at most
 * as many at once as the runtime throttle allows; the old worker ends disabled with 0 client errors and every write read
 * back, and once the new worker is uncordoned the balancer moves nothing.
 */
class ReplaceClusterTest {

    private static final Duration WAIT = Duration.ofMinutes(2);
    /** High enough not to slow this test's moves, which are small: that the limit holds is PartitionMoveTest's. */
    private static final long TRANSFER_LIMIT = 64L * 1024 * 1024;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private HttpResponse<String> send(URI base, String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Map<PartitionId, List<NodeId>> sets(LocalTestCluster cluster) {
        Map<PartitionId, List<NodeId>> sets = new TreeMap<>();
        for (VersionedPlacement versioned : cluster.metadata().placements().readAll().values()) {
            sets.put(versioned.placement().partition(), versioned.placement().current().stream().sorted().toList());
        }
        return sets;
    }

    private static boolean browserInstalled() {
        return java.nio.file.Files.isExecutable(BrowserSession.CHROMIUM) && java.nio.file.Files.isExecutable(BrowserSession.CHROMEDRIVER);
    }

    @Test
    void aReplaceMovesExactlyTheOldWorkersReplicasToTheNewOneUnderTheRuntimeThrottle() throws Exception {
        AtomicBoolean releaseNewWorker = new AtomicBoolean();
        ControllerConfig config = ControllerConfig.DEFAULTS.withLimits(new SchedulerLimits(4, 16, Duration.ofSeconds(10), 16));
        // 12 partitions: OLD holds 9, five waves at the runtime throttle of 2, in half the time of 24.
        try (LocalTestCluster cluster = LocalTestCluster.builder().workers(4).partitions(12).replication(3)
                .sessionTimeout(Duration.ofSeconds(6))
                .workerCustomizer((index, worker) -> index < 4 ? worker : worker.warmUpCheck(WarmUpCheck.of("test-release",
                        () -> releaseNewWorker.get() ? WarmUpCheck.Outcome.pass("released") : WarmUpCheck.Outcome.fail("held by the test"))))
                .controlPlane(config, Optional.empty())
                .start()) {
            cluster.awaitLeaders(Duration.ofMinutes(1));
            await("the controller placed every partition").atMost(Duration.ofMinutes(1))
                    .until(() -> ControllerDrainTest.settled(cluster) && cluster.metadata().placements().readAll().size() == 12);
            URI api = cluster.node(1).url();
            URI otherApi = cluster.node(2).url();

            // NEW joins, held in provisioning until cordoned, so the balancer cannot fill it before the replace names it.
            TestNode fresh = cluster.addNode();
            await("the new worker registers").atMost(Duration.ofMinutes(1))
                    .until(() -> cluster.metadata().nodes().current().findByName(fresh.name()).isPresent());
            HttpResponse<String> cordon = send(api, "POST", "/api/v1/nodes/" + fresh.name() + "/cordon", "{\"reason\":\"replacement for worker-1\"}");
            assertThat(cordon.statusCode()).as(cordon.body()).isEqualTo(200);
            releaseNewWorker.set(true);
            NodeId newId = fresh.nodeId();
            await("the new worker activates").atMost(Duration.ofMinutes(1)).until(() -> ControllerDrainTest.state(cluster, newId) == WorkerState.ACTIVE);
            TestNode old = cluster.node(0);
            NodeId oldId = old.nodeId();
            Map<PartitionId, List<NodeId>> before = sets(cluster);
            long oldHeld = before.values().stream().filter(set -> set.contains(oldId)).count();
            assertThat(before.values()).noneMatch(set -> set.contains(newId));

            // The throttle, lowered at run time: stored, read back on another node, and planned with by the controller.
            HttpResponse<String> invalid = send(api, "PUT", "/api/v1/settings", "{\"maxChangesPerNode\":0}");
            assertThat(invalid.statusCode()).as(invalid.body()).isEqualTo(400);
            assertThat(invalid.body()).contains("max-changes-per-node must be between 1 and 1000, got 0; nothing was changed");
            HttpResponse<String> lowered = send(api, "PUT", "/api/v1/settings", "{\"maxChangesPerNode\":2}");
            assertThat(lowered.statusCode()).as(lowered.body()).isEqualTo(200);
            JsonNode readBack = Json.mapper().readTree(send(otherApi, "GET", "/api/v1/settings", null).body());
            assertThat(readBack.get("maxChangesPerNode").asInt()).isEqualTo(2);
            assertThat(readBack.get("source").asText()).isEqualTo("stored");
            await("the controller plans with the runtime throttle").atMost(Duration.ofSeconds(30)).until(() -> new ControllerDocuments(cluster.metadata())
                    .status().map(ControllerStatus::throttles).map(t -> t.maxChangesPerNode() == 2).orElse(false));
            // The catch-up transfer limit, set at run time: refused below its floor, then taken up by every worker.
            HttpResponse<String> tooSlow = send(api, "PUT", "/api/v1/settings", "{\"maxTransferBytesPerSecond\":1000}");
            assertThat(tooSlow.statusCode()).as(tooSlow.body()).isEqualTo(400);
            assertThat(tooSlow.body()).contains("at least 2097152 bytes/s");
            HttpResponse<String> limited = send(api, "PUT", "/api/v1/settings", "{\"maxTransferBytesPerSecond\":" + TRANSFER_LIMIT + "}");
            assertThat(limited.statusCode()).as(limited.body()).isEqualTo(200);
            JsonNode limitReadBack = Json.mapper().readTree(send(otherApi, "GET", "/api/v1/settings", null).body());
            assertThat(limitReadBack.get("maxTransferBytesPerSecond").asLong()).isEqualTo(TRANSFER_LIMIT);
            assertThat(limitReadBack.get("transferRateSource").asText()).isEqualTo("stored");
            assertThat(limitReadBack.get("maxChangesPerNode").asInt()).as("the other throttles keep their values").isEqualTo(2);
            await("every worker takes in catch-up at the stored rate").atMost(Duration.ofSeconds(30)).until(() -> cluster.nodes().stream().filter(TestNode::isRunning)
                    .allMatch(node -> node.worker().transferRate().bytesPerSecond() == TRANSFER_LIMIT));

            // Refusals change nothing; the dry-run shows exactly OLD's replicas moving to NEW, in waves of the throttle.
            HttpResponse<String> unknown = send(api, "POST", "/api/v1/nodes/" + old.name() + "/replace", "{\"replacement\":\"nobody\"}");
            assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(400);
            HttpResponse<String> itself = send(api, "POST", "/api/v1/nodes/" + old.name() + "/replace", "{\"replacement\":\"" + old.name() + "\"}");
            assertThat(itself.statusCode()).as(itself.body()).isEqualTo(409);
            HttpResponse<String> overlapping = send(api, "POST", "/api/v1/nodes/" + old.name() + "/replace",
                    "{\"replacement\":\"" + cluster.node(1).name() + "\"}");
            assertThat(overlapping.statusCode()).as(overlapping.body()).isEqualTo(409);
            assertThat(overlapping.body()).contains("replacement-holds-replica");
            assertThat(ControllerDrainTest.state(cluster, oldId)).isEqualTo(WorkerState.ACTIVE);
            JsonNode plan = Json.mapper().readTree(send(api, "POST", "/api/v1/nodes/" + old.name() + "/replace",
                    "{\"replacement\":\"" + fresh.name() + "\",\"dryRun\":true}").body());
            assertThat(plan.get("allowed").asBoolean()).as("%s", plan).isTrue();
            assertThat(plan.get("moves")).hasSize((int) oldHeld).allSatisfy(move -> {
                assertThat(move.get("from").asText()).isEqualTo(oldId.toString());
                assertThat(move.get("to").asText()).isEqualTo(newId.toString());
            });
            assertThat(plan.get("waves").asInt()).isEqualTo((int) (oldHeld + 1) / 2);
            // The ETA counts the data OLD's replicas hold, as OLD reports it, under the transfer limit in force.
            JsonNode transfer = plan.get("transfer");
            assertThat(transfer.get("bytesPerSecond").asLong()).isEqualTo(TRANSFER_LIMIT);
            assertThat(transfer.get("unknownSizes").asInt()).as("%s", transfer).isZero();
            assertThat(transfer.get("busiestReceiverBytes").asLong()).as("everything goes to NEW").isEqualTo(transfer.get("bytes").asLong());
            assertThat(plan.get("etaSeconds").asLong()).isEqualTo(Math.max(plan.get("waves").asLong() * 2,
                    (transfer.get("bytes").asLong() + TRANSFER_LIMIT - 1) / TRANSFER_LIMIT));
            assertThat(ControllerDrainTest.state(cluster, oldId)).isEqualTo(WorkerState.ACTIVE);

            Map<PartitionId, Placement> strayChanges = new ConcurrentHashMap<>();
            AtomicInteger mostMovingAtOnce = new AtomicInteger();
            ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor();
            Workload workload = ControllerDrainTest.load(cluster);
            try {
                watcher.scheduleWithFixedDelay(() -> {
                    for (VersionedPlacement versioned : cluster.metadata().placements().readAll().values()) {
                        Placement placement = versioned.placement();
                        List<NodeId> was = before.get(placement.partition());
                        List<NodeId> swapped = was.stream().map(member -> member.equals(oldId) ? newId : member).sorted().toList();
                        for (List<NodeId> set : placement.hasNext() ? List.of(placement.current(), placement.next()) : List.of(placement.current())) {
                            List<NodeId> sorted = set.stream().sorted().toList();
                            if (!sorted.equals(was) && !sorted.equals(swapped)) {
                                strayChanges.put(placement.partition(), placement);
                            }
                        }
                    }
                    // Moves under way as one controller pass saw them: reading the placements one by one could see a move that
                    // completed and the one its slot went to (written in one commit) at two moments.
                    new ControllerDocuments(cluster.metadata()).status().ifPresent(status -> mostMovingAtOnce.accumulateAndGet(status.movesInFlight(),
                            Math::max));
                }, 0, 100, TimeUnit.MILLISECONDS);
                await().atMost(Duration.ofSeconds(30)).until(() -> workload.writes() > 200);

                String replaceBody = "{\"replacement\":\"" + fresh.name() + "\",\"reason\":\"disk failing\"}";
                HttpResponse<String> replace = send(api, "POST", "/api/v1/nodes/" + old.name() + "/replace", replaceBody);
                assertThat(replace.statusCode()).as(replace.body()).isEqualTo(200);
                if (browserInstalled()) {
                    try (BrowserSession browser = BrowserSession.start()) {
                        // Another node's dashboard shows the throttles and the replace's progress, naming where the replicas go.
                        browser.open(cluster.node(2).url() + "/?poll=500");
                        browser.until(d -> d.findElement(By.cssSelector("[data-testid=throttle-per-node]")).getText().equals("2"));
                        assertThat(browser.visible("[data-testid=throttle-source]").getText()).startsWith("set at ").contains("by operator");
                        assertThat(browser.visible("[data-testid=throttle-transfer]").getText()).isEqualTo("64 MiB/s");
                        WebElement panel = browser.visible("[data-testid=drain-panel][data-node=" + oldId + "]");
                        browser.until(d -> panel.findElement(By.cssSelector("[data-testid=drain-replaced-by]")).getText()
                                .equals("replaced by " + newId + " (" + fresh.name() + ")"));
                        browser.screenshot("dashboard-replace");
                        ControllerDrainTest.explainingTimeout(cluster, () -> await("OLD replaced and disabled").atMost(WAIT)
                                .until(() -> ControllerDrainTest.state(cluster, oldId) == WorkerState.DISABLED));
                        browser.visible("#events [data-testid=event][data-kind=replace-finished]");
                        browser.visible("#events [data-testid=event][data-kind=settings-changed]");
                        assertThat(browser.consoleErrors()).isEmpty();
                    }
                } else {
                    System.out.println("ReplaceClusterTest: the dashboard part is skipped: no " + BrowserSession.CHROMIUM + " or " + BrowserSession.CHROMEDRIVER);
                }
                ControllerDrainTest.explainingTimeout(cluster, () -> await("OLD replaced and disabled").atMost(WAIT)
                        .until(() -> ControllerDrainTest.state(cluster, oldId) == WorkerState.DISABLED));
                JsonNode progress = Json.mapper().readTree(send(otherApi, "GET", "/api/v1/nodes/" + oldId + "/drain", null).body());
                assertThat(progress.get("replacedBy").asText()).isEqualTo(newId + " (" + fresh.name() + ")");
                assertThat(progress.get("replicasRemaining").asInt()).isZero();
                ControllerDrainTest.assertNothingLost(cluster, workload);
            } finally {
                workload.stop();
                watcher.shutdownNow();
            }
            assertThat(strayChanges).as("placements changed otherwise than OLD → NEW").isEmpty();
            assertThat(mostMovingAtOnce.get()).as("moves under way at once, with max-changes-per-node 2").isBetween(1, 2);
            Map<PartitionId, List<NodeId>> after = sets(cluster);
            before.forEach((partition, set) -> assertThat(after.get(partition)).as("%s", partition)
                    .isEqualTo(set.stream().map(member -> member.equals(oldId) ? newId : member).sorted().toList()));
            List<EventKind> kinds = cluster.metadata().events().latest(EventLog.MAX_READ).stream().map(e -> e.event().kind()).toList();
            assertThat(kinds).contains(EventKind.SETTINGS_CHANGED, EventKind.REPLACE_STARTED, EventKind.REPLACE_FINISHED);
            NodeConfig oldNow = cluster.metadata().nodes().current().find(oldId).orElseThrow();
            assertThat(oldNow.replacement()).isNull();

            // Right after: uncordoned, NEW holds what OLD held, as many as the others; the balancer moves nothing.
            assertThat(send(api, "DELETE", "/api/v1/nodes/" + fresh.name() + "/cordon", null).statusCode()).isEqualTo(200);
            long passes = new ControllerDocuments(cluster.metadata()).status().orElseThrow().passes();
            await("the controller ran passes with NEW uncordoned").atMost(Duration.ofSeconds(30))
                    .until(() -> new ControllerDocuments(cluster.metadata()).status().orElseThrow().passes() > passes + 2);
            assertThat(sets(cluster)).isEqualTo(after);
        }
    }
}
