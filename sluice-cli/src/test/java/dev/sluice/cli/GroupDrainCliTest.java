package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.OfflineCluster;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.Json;
import dev.sluice.model.Version;
import dev.sluice.model.WorkerState;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code sluice nodes drain A B …}, {@code --zone}, {@code --deadline} and {@code sluice drains …} against the real
 * admin API over an in-memory cluster no controller runs on ({@link OfflineCluster}): four active workers in one zone,
 * 12 partitions × 3, so any one worker may go and no two together.
 */
class GroupDrainCliTest {

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

    private WorkerState state(String name) {
        return metadata.nodes().current().findByName(name).orElseThrow().workerState();
    }

    @Test
    void theSetIsRefusedTogetherThoughEachAloneMayGoAndNothingChanges() {
        Version before = metadata.nodes().current().version();

        CliRun plan = sluice("nodes", "drain", "worker-1", "worker-2", "--dry-run");
        CliRun refused = sluice("nodes", "drain", "worker-1", "worker-2");

        assertThat(plan.exitCode()).isEqualTo(1);
        assertThat(plan.out()).startsWith("Dry run: drain N1 (worker-1), N2 (worker-2) together\n")
                .contains("  allowed: NO — draining them together leaves 12 partition(s) without a compliant place (each alone would be allowed)")
                .containsPattern("N1 \\(worker-1\\) +local.zone-1 +9 +\\d +ok")
                .contains("blocking partitions:")
                // No worker process answers in this cluster, so the data the moves copy is unknown; none is the default limit.
                .containsPattern("  ETA about \\S+; data to copy: 0 bytes; no transfer limit(; \\d+ partition\\(s\\) of unknown size counted as empty)?\n");
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err()).contains("draining N1 (worker-1), N2 (worker-2) together: 12 partitions would have no compliant replacement");
        assertThat(metadata.nodes().current().version()).isEqualTo(before);
        assertThat(state("worker-1")).isEqualTo(WorkerState.ACTIVE);
        assertThat(state("worker-2")).isEqualTo(WorkerState.ACTIVE);
    }

    @Test
    void aDrainWithADeadlineIsAGroupShownListedAndCancelled() throws Exception {
        CliRun started = sluice("nodes", "drain", "worker-3", "--deadline", "30m", "--reason", "rack 7", "-o", "json");

        assertThat(started.exitCode()).as(started.err()).isZero();
        JsonNode group = Json.mapper().readTree(started.out());
        String id = group.path("id").asText();
        assertThat(id).matches("d-[0-9a-f]{8}");
        assertThat(group.path("state").asText()).isEqualTo("running");
        assertThat(group.path("deadline").isTextual()).isTrue();
        assertThat(group.path("members").get(0).path("node").asText()).isEqualTo("N3");
        assertThat(state("worker-3")).isEqualTo(WorkerState.DRAINING);

        assertThat(sluice("drains", "list").out()).containsPattern(id + " +running +N3 +\\S+ +0 +0 +in 29m\\d\\ds: on-track");
        CliRun shown = sluice("drains", "show", id);
        assertThat(shown.out()).startsWith("drain " + id + ": running — rack 7\n").contains("  deadline: ").contains("waiting for the controller to pick the drain up")
                .containsPattern("N3 \\(worker-3\\) +draining");
        assertThat(sluice("nodes", "show", "worker-3").out()).contains("  group:      drain " + id + " of 1 worker(s): not picked up yet");

        CliRun cancelled = sluice("drains", "cancel", id, "--reason", "wrong rack");
        assertThat(cancelled.exitCode()).as(cancelled.err()).isZero();
        assertThat(cancelled.out()).isEqualTo("drain " + id + " cancelled: N3 (worker-3) active\n");
        assertThat(state("worker-3")).isEqualTo(WorkerState.ACTIVE);
        CliRun again = sluice("drains", "cancel", id);
        assertThat(again.exitCode()).isEqualTo(1);
        assertThat(again.err()).contains("drain " + id + " is not running: it cancelled");
    }

    @Test
    void badInputGetsAClearErrorAndChangesNothing() {
        Version before = metadata.nodes().current().version();

        CliRun both = sluice("nodes", "drain", "worker-1", "--zone", "local.zone-1");
        CliRun neither = sluice("nodes", "drain");
        CliRun unknown = sluice("nodes", "drain", "worker-1", "nobody");
        CliRun emptyZone = sluice("nodes", "drain", "--zone", "eu-west.zone-a");
        CliRun tooShort = sluice("nodes", "drain", "worker-1", "--deadline", "2s");

        assertThat(both.exitCode()).isEqualTo(CliException.USAGE);
        assertThat(both.err()).contains("name workers or give --zone, not both");
        assertThat(neither.exitCode()).isEqualTo(CliException.USAGE);
        assertThat(neither.err()).contains("name the workers to drain, or give --zone");
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.err()).contains("nobody");
        assertThat(emptyZone.exitCode()).isEqualTo(1);
        assertThat(emptyZone.err()).contains("no worker is in zone 'eu-west.zone-a'; zones: local.zone-1");
        assertThat(tooShort.exitCode()).isEqualTo(1);
        assertThat(tooShort.err()).contains("must be a whole number of seconds between 10 and 604800, got 2");
        assertThat(metadata.nodes().current().version()).isEqualTo(before);
    }

    @Test
    void theHelpShowsExamples() {
        assertThat(sluice("nodes", "drain", "--help").out()).contains("sluice nodes drain worker-4 worker-5 worker-6 --dry-run")
                .contains("sluice nodes drain --zone eu-west.zone-a --deadline 30m --wait").contains("--deadline");
        assertThat(sluice("drains", "--help").out()).contains("list", "show", "cancel");
        assertThat(sluice("drains", "cancel", "--help").out()).contains("sluice drains cancel d-3f2a9c01");
    }
}
