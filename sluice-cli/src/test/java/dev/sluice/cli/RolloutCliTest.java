package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.OfflineCluster;
import dev.sluice.controller.ControllerDocuments;
import dev.sluice.controller.Rollout;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code sluice rollout restart|status|cancel} against the real admin API over an in-memory cluster that no
 * controller runs on ({@link OfflineCluster}), so a started rollout stays where it is: what the commands send,
 * print and refuse. The rollout itself is tested where a controller steps it on (RolloutTest, and
 * {@code CliEndToEndIT} on a local cluster).
 */
class RolloutCliTest {

    private OfflineCluster cluster;

    @BeforeEach
    void start() {
        cluster = new OfflineCluster(Optional.empty(), 12);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private CliRun sluice(String... args) {
        return CliRun.against(cluster.url().toString(), args);
    }

    private Optional<Rollout> stored() {
        return new ControllerDocuments(cluster.metadata()).rollout().map(ControllerDocuments.StoredRollout::rollout);
    }

    @Test
    void aDryRunPrintsTheOrderAndEachWorkersPrecheckAndStartsNothing() {
        CliRun dryRun = sluice("rollout", "restart", "--dry-run");

        assertThat(dryRun.exitCode()).as(dryRun.err()).isZero();
        assertThat(dryRun.out()).startsWith("Dry run: rolling restart of 4 worker(s), one at a time; no replica moves\n  allowed: yes\n")
                .containsPattern("1\\s+N1 \\(worker-1\\)\\s+local.zone-1\\s+3\\s+ok")
                .containsPattern("4\\s+N4 \\(worker-4\\)\\s+local.zone-1\\s+3\\s+ok");
        assertThat(stored()).isEmpty();
    }

    @Test
    void aDryRunWithAWorkerAwaySaysWhichWorkersWouldCostAMajority() {
        cluster.kill(4);

        CliRun dryRun = sluice("rollout", "restart", "worker-1", "worker-2", "--dry-run");

        assertThat(dryRun.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(dryRun.out()).contains("allowed: NO").contains("N1 (worker-1) at risk: ").contains("would-lose-majority");
        CliRun refused = sluice("rollout", "restart", "worker-1", "worker-2");
        assertThat(refused.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(refused.err()).contains("refused: restarting these workers one at a time would cost partitions their majority");
        assertThat(stored()).isEmpty();
    }

    @Test
    void startStatusAndCancel() {
        CliRun started = sluice("rollout", "restart", "worker-2", "worker-1", "--reason", "jvm 25.0.2", "--node-timeout", "2m");
        assertThat(started.exitCode()).as(started.err()).isZero();
        assertThat(started.out()).matches("rolling restart \\S+ started: N1 \\(worker-1\\), N2 \\(worker-2\\), one at a time\\n"
                + "follow it with 'sluice rollout status', cancel it with 'sluice rollout cancel'\\n");
        Rollout rollout = stored().orElseThrow();
        assertThat(rollout.reason()).isEqualTo("jvm 25.0.2");
        assertThat(rollout.nodeTimeout()).isEqualTo(java.time.Duration.ofMinutes(2));

        CliRun second = sluice("rollout", "restart", "worker-3");
        assertThat(second.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(second.err()).contains("refused: rolling restart " + rollout.id() + " is running (0 of 2 workers restarted)");

        CliRun status = sluice("rollout", "status");
        assertThat(status.out()).startsWith("rolling restart " + rollout.id() + ": running, 0 of 2 workers restarted (jvm 25.0.2)\n")
                .containsPattern("N1 \\(worker-1\\)\\s+waiting\\s+-").containsPattern("N2 \\(worker-2\\)\\s+waiting");

        CliRun cancelled = sluice("rollout", "cancel");
        assertThat(cancelled.out()).isEqualTo("rolling restart " + rollout.id() + " cancelled after 0 of 2 workers\n");
        assertThat(stored().orElseThrow().state()).isEqualTo(Rollout.State.CANCELLED);
        CliRun again = sluice("rollout", "cancel");
        assertThat(again.exitCode()).isZero();
        assertThat(again.out()).isEqualTo("no rolling restart is running: " + rollout.id() + " had already ended (cancelled)\n");
        assertThat(sluice("rollout", "status").out()).contains("why it ended: cancelled by the operator");
    }

    @Test
    void badRequestsChangeNothing() {
        assertThat(sluice("rollout", "status").out()).isEqualTo("no rolling restart has run in this cluster\n");
        CliRun both = sluice("rollout", "restart", "worker-1", "--zone", "local.zone-1");
        assertThat(both.exitCode()).isEqualTo(CliException.USAGE);
        assertThat(both.err()).contains("name workers or give --zone, not both");
        CliRun unknown = sluice("rollout", "restart", "wroker-1");
        assertThat(unknown.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(unknown.err()).contains("unknown node 'wroker-1'; did you mean worker-1 (N1)?");
        CliRun zone = sluice("rollout", "restart", "--zone", "mars");
        assertThat(zone.err()).contains("no active worker is in zone 'mars'; zones: local.zone-1");
        CliRun timeout = sluice("rollout", "restart", "--node-timeout", "5s");
        assertThat(timeout.err()).contains("between 10 and 3600");
        assertThat(sluice("rollout", "cancel").err()).contains("no rolling restart has run in this cluster");
        assertThat(stored()).isEmpty();
    }
}
