package dev.sluice.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.InMemoryMetadataStore;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.ReplicationProperty;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker whose Raft port is taken fails to start, saying so, without registering and without ending the process. */
class WorkerRaftPortTest {

    @TempDir
    Path directory;

    @Test
    void aTakenRaftPortFailsTheStartNamingThePortAndRegistersNothing() throws Exception {
        ClusterMetadata metadata = new ClusterMetadata(new InMemoryMetadataStore(), InstantSource.system());
        metadata.partitionTable().initialize(new PartitionTable(2, ReplicationProperty.of(1)));
        try (ServerSocket holder = new ServerSocket()) {
            holder.bind(new InetSocketAddress("127.0.0.1", 0));
            int taken = holder.getLocalPort();
            WorkerConfig config = WorkerConfig.builder("alpha", "unit", directory.resolve("alpha")).raft("127.0.0.1", taken).build();
            try (Worker worker = new Worker(config, metadata)) {
                assertThatThrownBy(() -> worker.start(URI.create("http://127.0.0.1:1")))
                        .isInstanceOf(IOException.class)
                        .hasMessageContaining("127.0.0.1:" + taken)
                        .hasMessageContaining("in use");
            }
            assertThat(metadata.nodes().current().findByName("alpha")).as("no registration for an address it cannot serve").isEmpty();
        }
    }
}
