package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.OfflineCluster;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.model.Maintenance;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code sluice nodes maintenance} and {@code end-maintenance} against the real admin API over an in-memory
 * cluster ({@link OfflineCluster}): four workers, 12 partitions × 3 replicas, Pp on N(p mod 4 + 1) and the next
 * two, led by the first.
 */
class MaintenanceCliTest {

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

    @Test
    void aDryRunListsTheLeadershipsThatWouldLeaveAndWritesNothing() {
        NodesConfiguration before = metadata.nodes().current();

        CliRun dryRun = sluice("nodes", "maintenance", "worker-1", "--dry-run");

        assertThat(dryRun.exitCode()).as(dryRun.err()).isZero();
        assertThat(dryRun.out()).startsWith("Dry run: maintenance of N1 (worker-1) (active)\n  allowed: yes\n  0 replica moves, 3 leadership change(s)")
                .contains("leader-in-maintenance");
        assertThat(metadata.nodes().current()).isEqualTo(before);
    }

    @Test
    void aMaintenanceIsBegunShownListedAndEnded() {
        CliRun begun = sluice("nodes", "maintenance", "worker-1", "--for", "30m", "--reason", "kernel patch");
        assertThat(begun.exitCode()).as(begun.err()).isZero();
        assertThat(begun.out()).matches("N1 \\(worker-1\\) is in maintenance until \\S+ \\((29 min \\d+ s|30 min) left\\): kernel patch\\n");
        Maintenance intent = metadata.nodes().current().find(NodeId.of(1)).orElseThrow().maintenance();
        assertThat(intent.reason()).isEqualTo("kernel patch");
        // The limit is kept to the second, as every surface prints it.
        assertThat(intent.until()).isEqualTo(intent.since().plus(java.time.Duration.ofMinutes(30)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS));

        assertThat(sluice("nodes", "list").out()).contains("MAINTENANCE").containsPattern("worker-1 .* until \\d\\d:\\d\\d:\\d\\dZ");
        assertThat(sluice("nodes", "show", "N1").out()).contains("  maintenance: is in maintenance until");

        CliRun ended = sluice("nodes", "end-maintenance", "worker-1");
        assertThat(ended.exitCode()).isZero();
        assertThat(ended.out()).startsWith("N1 (worker-1) is not in maintenance (the last one ended ").contains(": ended-by-operator)");
        assertThat(sluice("nodes", "end-maintenance", "worker-1").out()).endsWith("(no change)\n");
        assertThat(sluice("nodes", "list").out()).doesNotContain("until ");
    }

    @Test
    void aMaintenanceThatWouldCostPartitionsTheirMajorityIsRefusedUnlessForced() {
        cluster.kill(2);
        NodesConfiguration before = metadata.nodes().current();

        CliRun refused = sluice("nodes", "maintenance", "worker-1");

        assertThat(refused.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(refused.err()).startsWith("refused: N1 (worker-1) cannot go into maintenance now: 6 partitions would be at risk while it is away")
                .contains("would-lose-majority").contains("N2 (worker-2) already away").contains("add --force to begin it anyway")
                .doesNotContain("allowed next");
        assertThat(metadata.nodes().current()).isEqualTo(before);

        CliRun forced = sluice("nodes", "maintenance", "worker-1", "--force");
        assertThat(forced.exitCode()).as(forced.err()).isZero();
        assertThat(metadata.nodes().current().find(NodeId.of(1)).orElseThrow().inMaintenanceAt(java.time.Instant.now())).isTrue();
    }

    @Test
    void badInputIsRefusedBeforeAnythingIsSent() {
        NodesConfiguration before = metadata.nodes().current();
        CliRun tooShort = sluice("nodes", "maintenance", "worker-1", "--for", "0s");
        assertThat(tooShort.exitCode()).isEqualTo(CliException.USAGE);
        assertThat(tooShort.err()).contains("--for must be at least 1s");
        CliRun tooLong = sluice("nodes", "maintenance", "worker-1", "--for", "8d");
        assertThat(tooLong.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(tooLong.err()).contains("between 1 and 604800 (7 days)");
        CliRun draining = sluice("nodes", "maintenance", "nobody");
        assertThat(draining.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(metadata.nodes().current()).isEqualTo(before);
    }
}
