package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.metadata.ZooKeeperAccess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class NodeSettingsTest {

    @TempDir
    Path directory;

    private static Map<String, String> flags(String... keysAndValues) {
        Map<String, String> flags = new HashMap<>();
        flags.put("name", "node-1");
        flags.put("data-dir", "/var/lib/sluice");
        flags.put("embedded-zookeeper", "true");
        for (int i = 0; i < keysAndValues.length; i += 2) {
            flags.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return flags;
    }

    private Path file(String content) throws IOException {
        Path file = directory.resolve("node.properties");
        Files.writeString(file, content);
        return file;
    }

    @Test
    void aFlagBeatsTheEnvironmentWhichBeatsTheFileWhichBeatsTheDefault() throws IOException {
        Path file = file("http-port = 8100\nraft-port = 9100\nlocation = eu.b\n");
        NodeSettings settings = NodeSettings.resolve(flags("http-port", "8300"),
                Map.of("SLUICE_HTTP_PORT", "8200", "SLUICE_RAFT_PORT", "9200"), Optional.of(file));

        assertThat(settings.port("http-port")).isEqualTo(8300);
        assertThat(settings.port("raft-port")).isEqualTo(9200);
        assertThat(settings.location().toString()).isEqualTo("eu.b");
        assertThat(settings.cluster()).isEqualTo("sluice");
        assertThat(settings.describe())
                .containsEntry("http-port", "8300 [--http-port]")
                .containsEntry("raft-port", "9200 [SLUICE_RAFT_PORT]")
                .containsEntry("location", "eu.b [" + file + ": location]")
                .containsEntry("cluster", "sluice [default]");
    }

    @Test
    void theElectionTimeoutDefaultsToOneSecondAndReadsOperatorDurations() {
        assertThat(NodeSettings.resolve(flags(), Map.of(), Optional.empty()).raftElectionTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(NodeSettings.resolve(flags("raft-election-timeout", "2500ms"), Map.of(), Optional.empty()).raftElectionTimeout())
                .isEqualTo(Duration.ofMillis(2500));
        assertThat(NodeSettings.resolve(flags(), Map.of("SLUICE_RAFT_ELECTION_TIMEOUT", "3s"), Optional.empty()).raftElectionTimeout())
                .isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void aBadElectionTimeoutIsAUsageErrorThatNamesTheSettingAndItsSource() {
        assertThatThrownBy(() -> NodeSettings.resolve(flags("raft-election-timeout", "soon"), Map.of(), Optional.empty()))
                .isInstanceOf(CliException.class)
                .hasMessageContaining("invalid raft-election-timeout 'soon' (from --raft-election-timeout)")
                .satisfies(e -> assertThat(((CliException) e).exitCode()).isEqualTo(CliException.USAGE));
        assertThatThrownBy(() -> NodeSettings.resolve(flags(), Map.of("SLUICE_RAFT_ELECTION_TIMEOUT", "50ms"), Optional.empty()))
                .isInstanceOf(CliException.class)
                .hasMessageContaining("(from SLUICE_RAFT_ELECTION_TIMEOUT): must be between 100ms and 30s");
        assertThatThrownBy(() -> NodeSettings.resolve(flags("raft-election-timeout", "1m"), Map.of(), Optional.empty()))
                .hasMessageContaining("must be between 100ms and 30s");
    }

    @Test
    void theShutdownTimeoutDefaultsToTwentySecondsAndZeroHandsNothingOver() {
        assertThat(NodeSettings.resolve(flags(), Map.of(), Optional.empty()).shutdownTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(NodeSettings.resolve(flags("shutdown-timeout", "45s"), Map.of(), Optional.empty()).shutdownTimeout()).isEqualTo(Duration.ofSeconds(45));
        assertThat(NodeSettings.resolve(flags(), Map.of("SLUICE_SHUTDOWN_TIMEOUT", "0s"), Optional.empty()).shutdownTimeout()).isZero();
    }

    @Test
    void theTransferRateIsASizePerSecondNoneByDefaultAndRefusedBelowItsFloor() {
        assertThat(NodeSettings.resolve(flags(), Map.of(), Optional.empty()).maxTransferRate()).isZero();
        assertThat(NodeSettings.resolve(flags("max-transfer-rate", "32MiB"), Map.of(), Optional.empty()).maxTransferRate()).isEqualTo(32L << 20);
        assertThat(NodeSettings.resolve(flags(), Map.of("SLUICE_MAX_TRANSFER_RATE", "1GiB/s"), Optional.empty()).maxTransferRate()).isEqualTo(1L << 30);
        assertThatThrownBy(() -> NodeSettings.resolve(flags("max-transfer-rate", "512KiB"), Map.of(), Optional.empty()))
                .isInstanceOf(CliException.class)
                .hasMessage("invalid max-transfer-rate '512KiB' (from --max-transfer-rate): a transfer rate limit must be at least 2097152 bytes/s"
                        + " (2 MiB/s), or 0 for none; got 524288");
        assertThatThrownBy(() -> NodeSettings.resolve(flags("max-transfer-rate", "fast"), Map.of(), Optional.empty()))
                .isInstanceOf(CliException.class).hasMessageContaining("'fast' is not a size");
    }

    @Test
    void aBadShutdownTimeoutIsAUsageErrorThatNamesTheSettingItsSourceAndItsLimits() {
        assertThatThrownBy(() -> NodeSettings.resolve(flags("shutdown-timeout", "a while"), Map.of(), Optional.empty()))
                .isInstanceOf(CliException.class)
                .hasMessage("invalid shutdown-timeout 'a while' (from --shutdown-timeout): 'a while' is not a duration (examples: 90s, 10m, 1h30m)")
                .satisfies(e -> assertThat(((CliException) e).exitCode()).isEqualTo(CliException.USAGE));
        assertThatThrownBy(() -> NodeSettings.resolve(flags(), Map.of("SLUICE_SHUTDOWN_TIMEOUT", "1h"), Optional.empty()))
                .isInstanceOf(CliException.class)
                .hasMessage("invalid shutdown-timeout '1h' (from SLUICE_SHUTDOWN_TIMEOUT): must be from 0s (hand no leadership over) to 10m");
    }

    @Test
    void aZooKeeperSecretFileMakesTheNodeTheClusterIdentityAndNoneLeavesItOpen() throws IOException {
        Path secret = directory.resolve("zk-secret");
        Files.writeString(secret, "0123456789abcdef0123456789abcdef\n");
        NodeSettings settings = NodeSettings.resolve(flags("cluster", "prod"), Map.of("SLUICE_ZOOKEEPER_SECRET_FILE", secret.toString()), Optional.empty());

        assertThat(settings.zooKeeperAccess()).isInstanceOfSatisfying(ZooKeeperAccess.Secured.class, secured -> {
            assertThat(secured.identity().user()).isEqualTo("prod");
            assertThat(secured.identity().source()).isEqualTo(secret);
        });
        assertThat(settings.describe()).containsEntry("zookeeper-secret-file", secret + " [SLUICE_ZOOKEEPER_SECRET_FILE]");
        assertThat(settings.describe().toString()).doesNotContain("0123456789abcdef");
        assertThat(NodeSettings.resolve(flags(), Map.of(), Optional.empty()).zooKeeperAccess()).isEqualTo(ZooKeeperAccess.OPEN);
    }

    @Test
    void aMissingOrEmptyZooKeeperSecretFileIsAUsageErrorThatNamesTheSettingAndItsSource() throws IOException {
        Path missing = directory.resolve("no-such-secret");
        assertThatThrownBy(() -> NodeSettings.resolve(flags("zookeeper-secret-file", missing.toString()), Map.of(), Optional.empty()))
                .isInstanceOf(CliException.class)
                .hasMessage("invalid zookeeper-secret-file '" + missing + "' (from --zookeeper-secret-file): the ZooKeeper secret file " + missing
                        + " does not exist")
                .satisfies(e -> assertThat(((CliException) e).exitCode()).isEqualTo(CliException.USAGE));
        Path empty = directory.resolve("empty-secret");
        Files.writeString(empty, "\n\n");
        Path config = file("zookeeper-secret-file = " + empty + "\n");
        assertThatThrownBy(() -> NodeSettings.resolve(flags(), Map.of(), Optional.of(config)))
                .hasMessage("invalid zookeeper-secret-file '" + empty + "' (from " + config + ": zookeeper-secret-file): the ZooKeeper secret file " + empty
                        + " is empty; it holds the cluster's secret on its first line");
    }

    @Test
    void everySettingHasAServerFlagAndEveryFlagReachesItsSetting() {
        ServerCommand command = new ServerCommand();
        CommandLine commandLine = new CommandLine(command);
        Set<String> flags = commandLine.getCommandSpec().options().stream().map(option -> option.longestName().substring(2))
                .filter(name -> !Set.of("config", "help", "version").contains(name)).collect(Collectors.toSet());
        assertThat(flags).containsExactlyInAnyOrderElementsOf(NodeSettings.DEFAULTS.keySet());

        commandLine.parseArgs("--name", "node-7", "--raft-election-timeout", "3s", "--embedded-zookeeper", "--data-dir", "/tmp/n7");
        assertThat(command.givenSettings()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "name", "node-7", "raft-election-timeout", "3s", "embedded-zookeeper", "true", "data-dir", "/tmp/n7"));
    }

    @Test
    void theDiskFloorDefaultsTo256MibOr5PercentAndReadsSizes() {
        assertThat(NodeSettings.resolve(flags(), Map.of(), Optional.empty()).diskSpaceRule())
                .isEqualTo(new dev.sluice.worker.DiskSpaceRule(256L << 20, 5));
        assertThat(NodeSettings.resolve(flags("min-free-space", "1GiB", "min-free-space-percent", "10%"), Map.of(), Optional.empty()).diskSpaceRule())
                .isEqualTo(new dev.sluice.worker.DiskSpaceRule(1L << 30, 10));
        assertThat(NodeSettings.resolve(flags(), Map.of("SLUICE_MIN_FREE_SPACE", "32MiB", "SLUICE_MIN_FREE_SPACE_PERCENT", "0"), Optional.empty())
                .diskSpaceRule()).isEqualTo(new dev.sluice.worker.DiskSpaceRule(32L << 20, 0));
    }

    @Test
    void aBadDiskFloorIsAUsageErrorThatNamesTheSettingAndItsSource() {
        assertThatThrownBy(() -> NodeSettings.resolve(flags("min-free-space", "lots"), Map.of(), Optional.empty()))
                .isInstanceOf(CliException.class)
                .hasMessage("invalid min-free-space 'lots' (from --min-free-space): 'lots' is not a size; use bytes or a number with KiB, MiB, GiB or TiB (256MiB)");
        assertThatThrownBy(() -> NodeSettings.resolve(flags("min-free-space", "1MiB"), Map.of(), Optional.empty()))
                .hasMessage("invalid min-free-space '1MiB' (from --min-free-space): the minimum free space must be at least 4 MiB, got 1 MiB");
        assertThatThrownBy(() -> NodeSettings.resolve(flags(), Map.of("SLUICE_MIN_FREE_SPACE_PERCENT", "80"), Optional.empty()))
                .hasMessage("invalid min-free-space-percent '80' (from SLUICE_MIN_FREE_SPACE_PERCENT): "
                        + "the minimum free space percentage must be between 0 and 50, got 80");
        assertThatThrownBy(() -> NodeSettings.resolve(flags("min-free-space-percent", "five"), Map.of(), Optional.empty()))
                .hasMessage("invalid min-free-space-percent 'five' (from --min-free-space-percent): not a whole number of percent");
    }

    @Test
    void anUnknownKeyInTheFileIsRefusedWithTheKnownKeys() throws IOException {
        Path file = file("raft-election-timout = 2s\n");
        assertThatThrownBy(() -> NodeSettings.resolve(flags(), Map.of(), Optional.of(file)))
                .isInstanceOf(CliException.class)
                .hasMessageContaining("unknown setting 'raft-election-timout'")
                .hasMessageContaining("raft-election-timeout");
    }

    @Test
    void aNodeNeedsANameADataDirectoryAndAMetadataStoreAndHearsOfEveryMissingOneAtOnce() {
        Map<String, String> noName = flags();
        noName.remove("name");
        assertThatThrownBy(() -> NodeSettings.resolve(noName, Map.of(), Optional.empty()))
                .hasMessage("a node needs 1 more setting:\n  a name: --name (or SLUICE_NAME, or name = … in the file)");

        Map<String, String> nothing = new HashMap<>();
        assertThatThrownBy(() -> NodeSettings.resolve(nothing, Map.of(), Optional.empty()))
                .isInstanceOf(CliException.class)
                .satisfies(e -> assertThat(((CliException) e).exitCode()).isEqualTo(CliException.USAGE))
                .hasMessageContaining("a node needs 3 more settings")
                .hasMessageContaining("--name")
                .hasMessageContaining("--data-dir")
                .hasMessageContaining("--zookeeper HOST:PORT");

        Map<String, String> noStore = flags();
        noStore.remove("embedded-zookeeper");
        assertThatThrownBy(() -> NodeSettings.resolve(noStore, Map.of(), Optional.empty())).hasMessageContaining("a metadata store: --zookeeper");

        assertThatThrownBy(() -> NodeSettings.resolve(flags("zookeeper-wait", "0s"), Map.of(), Optional.empty()))
                .hasMessageContaining("invalid zookeeper-wait '0s' (from --zookeeper-wait): must be positive");

        assertThatThrownBy(() -> NodeSettings.resolve(flags("http-port", "70000"), Map.of(), Optional.empty()))
                .hasMessageContaining("invalid http-port '70000' (from --http-port): a port is between 0 and 65535");
    }
}
