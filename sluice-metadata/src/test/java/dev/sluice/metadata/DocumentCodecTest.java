package dev.sluice.metadata;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.model.Actor;
import dev.sluice.model.AuditRecord;
import dev.sluice.model.ClusterEvent;
import dev.sluice.model.EventKind;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.Location;
import dev.sluice.model.NodeAddresses;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionPolicy;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.Role;
import dev.sluice.model.StateChange;
import dev.sluice.model.Tombstone;
import dev.sluice.model.Version;
import dev.sluice.model.WorkerState;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DocumentCodecTest {

    private static final Instant AT = Instant.parse("2026-11-27T10:15:30.123Z");

    static NodesConfiguration sampleConfiguration() {
        NodeConfig worker = new NodeConfig("worker-a", new GenerationalNodeId(NodeId.of(1), 3),
                NodeAddresses.of("127.0.0.1:7001", "http://127.0.0.1:8080"), Set.of(Role.WORKER, Role.ADMIN),
                Location.parse("eu-west.zone-b"), WorkerState.DRAINING,
                new StateChange(AT, Actor.OPERATOR, "kernel upgrade", Version.of(9), "req-1"), "incarnation-1", null);
        return new NodesConfiguration(Version.of(12), List.of(worker), List.of(new Tombstone(NodeId.of(2), "worker-b", 4, AT)));
    }

    @Test
    void everyStoredDocumentSurvivesARoundTrip() {
        NodesConfiguration config = sampleConfiguration();
        DocumentCodec<NodesConfiguration> nodes = NodesConfigurationStore.singleDocumentCodec();
        assertThat(nodes.decode("nodes", nodes.encode(config))).isEqualTo(config);

        Placement placement = new Placement(PartitionId.of(7), List.of(NodeId.of(1), NodeId.of(3)), List.of(NodeId.of(3), NodeId.of(4)),
                NodeId.of(3), new PartitionPolicy(true, NodeId.of(4)), Version.of(12), AT);
        DocumentCodec<Placement> placements = new DocumentCodec<>(Placement.class, "placement", 1);
        assertThat(placements.decode("placements/P7", placements.encode(placement))).isEqualTo(placement);

        PartitionTable table = new PartitionTable(24, new ReplicationProperty(3, 2));
        DocumentCodec<PartitionTable> tables = new DocumentCodec<>(PartitionTable.class, "partition table", 1);
        assertThat(tables.decode("partition-table", tables.encode(table))).isEqualTo(table);

        AuditRecord record = new AuditRecord(new GenerationalNodeId(NodeId.of(1), 3), "worker-a", WorkerState.ACTIVE, WorkerState.DRAINING,
                Actor.OPERATOR, "upgrade", false, AT, Version.of(9), "req-1");
        DocumentCodec<ClusterEvent> events = new DocumentCodec<>(ClusterEvent.class, "cluster event", 1);
        ClusterEvent transition = ClusterEvent.transition(record);
        assertThat(events.decode("events/1", events.encode(transition))).isEqualTo(transition);
        ClusterEvent moved = ClusterEvent.of(AT, EventKind.PARTITION_MOVED, NodeId.of(1), PartitionId.of(7), "moved", Map.of("durationMillis", 812L));
        assertThat(events.decode("events/2", events.encode(moved))).isEqualTo(moved);

        LivenessRegistry.Entry entry = new LivenessRegistry.Entry(new GenerationalNodeId(NodeId.of(1), 3), AT);
        assertThat(LivenessRegistry.codec().decode("liveness/N1", LivenessRegistry.codec().encode(entry))).isEqualTo(entry);
    }

    @Test
    void aCordonIsStoredWithTheNodeAndADocumentWithoutOneReadsAsNotCordoned() {
        NodesConfiguration plain = sampleConfiguration();
        NodeConfig worker = plain.nodes().getFirst();
        NodesConfiguration cordoned = new NodesConfiguration(plain.version(), List.of(worker.withCordon(
                new dev.sluice.model.Cordon("disk filling up", Actor.OPERATOR, AT, "req-c", dev.sluice.model.CredentialName.of("oncall")))),
                plain.tombstones());
        DocumentCodec<NodesConfiguration> codec = NodesConfigurationStore.singleDocumentCodec();

        String json = new String(codec.encode(cordoned), UTF_8);

        assertThat(json).contains("\"cordon\":{\"reason\":\"disk filling up\",\"requestedBy\":\"operator\"");
        assertThat(codec.decode("nodes", json.getBytes(UTF_8))).isEqualTo(cordoned);
        // Older releases wrote no cordon field (and nulls are not written): such a node reads as not cordoned.
        assertThat(new String(codec.encode(plain), UTF_8)).doesNotContain("cordon");
        assertThat(codec.decode("nodes", codec.encode(plain)).nodes().getFirst().isCordoned()).isFalse();
    }

    @Test
    void storedFormUsesTheWireNamesAndCarriesAFormat() {
        String json = new String(NodesConfigurationStore.singleDocumentCodec().encode(sampleConfiguration()), UTF_8);
        assertThat(json).startsWith("{\"format\":1,").contains("\"workerState\":\"draining\"").contains("\"id\":\"N1:3\"")
                .contains("\"location\":\"eu-west.zone-b\"").contains("\"actor\":\"operator\"").contains("2026-11-27T10:15:30.123Z");
    }

    @Test
    void unknownFieldsFromANewerWriterAreIgnored() {
        String json = new String(NodesConfigurationStore.singleDocumentCodec().encode(sampleConfiguration()), UTF_8)
                .replace("\"format\":1,", "\"format\":1,\"addedInAFutureRelease\":{\"x\":[1,2]},")
                .replace("\"workerState\":\"draining\"", "\"workerState\":\"draining\",\"futureNodeField\":true");
        assertThat(NodesConfigurationStore.singleDocumentCodec().decode("nodes", json.getBytes(UTF_8))).isEqualTo(sampleConfiguration());
    }

    @Test
    void aCorruptDocumentIsAnErrorThatNamesTheKey() {
        DocumentCodec<NodesConfiguration> codec = NodesConfigurationStore.singleDocumentCodec();
        assertThatThrownBy(() -> codec.decode("nodes", "{not json".getBytes(UTF_8)))
                .isInstanceOf(CorruptDocumentException.class).hasMessageContaining("'nodes'").hasMessageContaining("not JSON");
        assertThatThrownBy(() -> codec.decode("nodes", "[1,2]".getBytes(UTF_8)))
                .isInstanceOf(CorruptDocumentException.class).hasMessageContaining("not a JSON object");
        assertThatThrownBy(() -> codec.decode("nodes", "{\"version\":3}".getBytes(UTF_8)))
                .isInstanceOf(CorruptDocumentException.class).hasMessageContaining("format");
        assertThatThrownBy(() -> codec.decode("nodes", "{\"format\":2,\"version\":3}".getBytes(UTF_8)))
                .isInstanceOf(CorruptDocumentException.class).hasMessageContaining("newer Sluice");
        String duplicated = new String(codec.encode(sampleConfiguration()), UTF_8).replace("\"tombstones\":[{\"id\":\"N2\"", "\"tombstones\":[{\"id\":\"N1\"");
        assertThatThrownBy(() -> codec.decode("nodes", duplicated.getBytes(UTF_8)))
                .isInstanceOf(CorruptDocumentException.class).hasMessageContaining("'nodes'").hasMessageContaining("both live and removed");
        String badState = new String(codec.encode(sampleConfiguration()), UTF_8).replace("\"draining\"", "\"sleeping\"");
        assertThatThrownBy(() -> codec.decode("nodes", badState.getBytes(UTF_8)))
                .isInstanceOf(CorruptDocumentException.class).hasMessageContaining("sleeping");
        DocumentCodec<PartitionTable> tables = new DocumentCodec<>(PartitionTable.class, "partition table", 1);
        assertThatThrownBy(() -> tables.decode("partition-table", "{\"format\":1,\"partitionCount\":-4,\"replication\":{\"replicas\":3,\"minZones\":1}}".getBytes(UTF_8)))
                .isInstanceOf(CorruptDocumentException.class).hasMessageContaining("'partition-table'").hasMessageContaining("partition count");
    }
}
