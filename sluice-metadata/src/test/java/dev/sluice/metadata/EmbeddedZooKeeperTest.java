package dev.sluice.metadata;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedZooKeeperTest {

    @TempDir
    Path dataDirectory;

    @Test
    void keepsItsDataInTheGivenDirectoryAcrossRestarts() throws Exception {
        Path zkData = dataDirectory.resolve("zookeeper");
        try (EmbeddedZooKeeper server = EmbeddedZooKeeper.start(zkData, 0);
             ZooKeeperMetadataStore store = ZooKeeperMetadataStore.connect(server.connectString(), "/sluice/test")) {
            assertThat(server.connectString()).startsWith("127.0.0.1:");
            store.put("nodes", "persisted".getBytes(UTF_8), Precondition.NONE);
        }
        try (Stream files = new Stream(zkData)) {
            assertThat(files.count()).isPositive();
        }
        try (EmbeddedZooKeeper server = EmbeddedZooKeeper.start(zkData, 0);
             ZooKeeperMetadataStore store = ZooKeeperMetadataStore.connect(server.connectString(), "/sluice/test")) {
            assertThat(new String(store.get("nodes").orElseThrow().value(), UTF_8)).isEqualTo("persisted");
        }
    }

    /** Counts the files ZooKeeper wrote under a directory. */
    private record Stream(Path root) implements AutoCloseable {
        long count() throws java.io.IOException {
            try (var walk = Files.walk(root)) {
                return walk.filter(Files::isRegularFile).count();
            }
        }

        @Override
        public void close() {}
    }
}
