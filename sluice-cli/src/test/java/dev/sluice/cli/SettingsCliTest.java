package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.OfflineCluster;
import dev.sluice.controller.ControllerDocuments;
import dev.sluice.metadata.Json;
import dev.sluice.model.ClusterEvent;
import dev.sluice.model.EventKind;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code sluice settings show|set} against the real admin API over an in-memory cluster ({@link OfflineCluster}): the
 * change throttles and the catch-up transfer rate, stored for every node and audited, and bad input refused.
 */
class SettingsCliTest {

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

    private List<ClusterEvent> settingsEvents() {
        return cluster.metadata().events().latest(100).stream().map(e -> e.event()).filter(e -> e.kind() == EventKind.SETTINGS_CHANGED).toList();
    }

    @Test
    void theTransferRateIsStoredForEveryNodeShownAndAudited() throws Exception {
        CliRun before = sluice("settings", "show");
        assertThat(before.exitCode()).as(before.err()).isZero();
        assertThat(before.out()).contains("max-transfer-rate       unlimited per worker, this node's flag (sluice server --max-transfer-rate);"
                + " nobody set it for the cluster");

        CliRun set = sluice("settings", "set", "--max-transfer-rate", "32MiB");
        assertThat(set.exitCode()).as(set.err()).isZero();
        assertThat(set.out()).contains("max-transfer-rate unlimited → 32 MiB/s").contains("max-transfer-rate       32 MiB/s per worker, stored for every node");
        assertThat(settingsEvents()).singleElement().satisfies(event -> assertThat(event.message())
                .contains("max-transfer-rate each node's flag → 32 MiB/s"));

        JsonNode json = Json.mapper().readTree(sluice("settings", "show", "-o", "json").out());
        assertThat(json.get("maxTransferBytesPerSecond").asLong()).isEqualTo(32L << 20);
        assertThat(json.get("transferRateSource").asText()).isEqualTo("stored");
        assertThat(json.get("maxChangesPerNode").asInt()).as("untouched").isEqualTo(4);

        CliRun off = sluice("settings", "set", "--max-transfer-rate", "0");
        assertThat(off.out()).contains("max-transfer-rate 32 MiB/s → unlimited");
    }

    @Test
    void badInputGetsAClearErrorAndChangesNothing() {
        CliRun tooSlow = sluice("settings", "set", "--max-transfer-rate", "512KiB");
        CliRun notASize = sluice("settings", "set", "--max-transfer-rate", "fast");
        CliRun nothing = sluice("settings", "set");

        assertThat(tooSlow.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(tooSlow.err()).contains("a transfer rate limit must be at least 2097152 bytes/s (2 MiB/s), or 0 for none; got 524288; nothing was changed");
        assertThat(notASize.exitCode()).isEqualTo(CliException.USAGE);
        assertThat(notASize.err()).contains("--max-transfer-rate: 'fast' is not a size");
        assertThat(nothing.exitCode()).isEqualTo(CliException.USAGE);
        assertThat(nothing.err()).contains("give --max-changes-per-node, --max-changes-in-cluster and/or --max-transfer-rate");
        assertThat(cluster.metadata().store().get(ControllerDocuments.SETTINGS)).as("nothing stored").isEmpty();
        assertThat(settingsEvents()).isEmpty();
    }

    @Test
    void aLimitMustLeaveEveryMoveIntoAWorkerItsShareWhicheverSettingChanges() {
        CliRun tooLowForFour = sluice("settings", "set", "--max-transfer-rate", "6MiB");
        assertThat(tooLowForFour.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(tooLowForFour.err()).contains("a transfer limit of 6 MiB/s is too low for 4 changes per worker", "give at least 8 MiB/s or fewer changes per worker");

        CliRun oneAtATime = sluice("settings", "set", "--max-changes-per-node", "1", "--max-transfer-rate", "2MiB");
        assertThat(oneAtATime.exitCode()).as(oneAtATime.err()).isZero();
        CliRun moreChanges = sluice("settings", "set", "--max-changes-per-node", "4");
        assertThat(moreChanges.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(moreChanges.err()).contains("a transfer limit of 2 MiB/s is too low for 4 changes per worker");
        assertThat(sluice("settings", "show").out()).contains("max-changes-per-node    1").contains("max-transfer-rate       2 MiB/s per worker");
    }

    @Test
    void theHelpShowsExamples() {
        assertThat(sluice("settings", "set", "--help").out()).contains("sluice settings set --max-transfer-rate 32MiB").contains("--max-transfer-rate=SIZE");
        assertThat(sluice("server", "--help").out()).contains("--max-transfer-rate");
    }
}
