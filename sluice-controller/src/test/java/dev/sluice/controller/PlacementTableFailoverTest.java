package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.MetadataStore;
import dev.sluice.metadata.PlacementStore;
import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.metadata.PreconditionFailedException;
import dev.sluice.metadata.ZooKeeperEnsemble;
import dev.sluice.metadata.ZooKeeperMetadataStore;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.Version;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * A placement table larger than one ZooKeeper reply can list, on a real three-server ensemble: written as a
 * controller writes it, read back, and loaded by the controller that takes over after the first one's session
 * ends and the ensemble's leader dies. The million-partition form of this is the bench command in
 * docs/benchmarks.md, "Metadata at size"; this one stays at 10,000 partitions to keep the build short, and makes
 * them too many for a flat listing by giving the clients a twentieth of ZooKeeper's default packet limit: a reply
 * listing 10,000 partitions under one parent is ~89 KB, a bucket's ~9 KB.
 */
class PlacementTableFailoverTest {

    static final int PARTITIONS = 10_000;
    static final int WORKERS = 200;
    /** A twentieth of the ZooKeeper client's default 1 MiB: the clients refuse any longer reply. */
    static final int CLIENT_PACKET_BYTES_MAX = 52_428;
    static final int CHANGED = 500;

    @Test
    void aLargeTableIsWrittenReadBackAndReloadedByTheNextController() throws Exception {
        long seed = System.nanoTime();
        System.out.println("PlacementTableFailoverTest seed " + seed);
        SplittableRandom random = new SplittableRandom(seed);
        try (ZooKeeperEnsemble ensemble = ZooKeeperEnsemble.start(3)) {
            Map<PartitionId, VersionedPlacement> expected = new TreeMap<>();
            try (MetadataStore first = connect(ensemble)) {
                ClusterMetadata metadata = new ClusterMetadata(first, () -> Instant.EPOCH);
                metadata.partitionTable().initialize(new PartitionTable(PARTITIONS, ReplicationProperty.of(3)));
                List<PlacementStore.PlacementWrite> writes = new ArrayList<>();
                for (int p = 0; p < PARTITIONS; p++) {
                    writes.add(new PlacementStore.PlacementWrite(placement(p, random), 0, null));
                }
                assertThat(metadata.placements().writeAll(writes, List.of())).allMatch(version -> version.isPresent() && version.getAsLong() == 1);
                writes.forEach(write -> expected.put(write.placement().partition(), new VersionedPlacement(write.placement(), 1)));

                try (ClusterView view = ClusterView.watching(metadata, () -> {})) {
                    assertThat(view.placements()).isEqualTo(expected);
                    // The first controller moves some partitions before it goes; each a compare-and-set on its own record.
                    List<PlacementStore.PlacementWrite> moves = new ArrayList<>();
                    for (int i = 0; i < CHANGED; i++) {
                        PartitionId partition = PartitionId.of(random.nextInt(PARTITIONS));
                        if (moves.stream().noneMatch(move -> move.placement().partition().equals(partition))) {
                            moves.add(new PlacementStore.PlacementWrite(placement(partition.value(), random), expected.get(partition).version(), null));
                        }
                    }
                    assertThat(metadata.placements().writeAll(moves, List.of())).allMatch(version -> version.isPresent() && version.getAsLong() == 2);
                    moves.forEach(move -> expected.put(move.placement().partition(), new VersionedPlacement(move.placement(), 2)));
                }
                assertThat(metadata.placements().readAll()).isEqualTo(expected);
            }
            ensemble.killLeader();

            try (MetadataStore next = connect(ensemble)) {
                ClusterMetadata metadata = new ClusterMetadata(next, () -> Instant.EPOCH);
                try (ClusterView view = ClusterView.watching(metadata, () -> {})) {
                    assertThat(view.placements()).isEqualTo(expected);

                    PartitionId moved = expected.keySet().iterator().next();
                    long version = expected.get(moved).version();
                    Placement again = placement(moved.value(), random);
                    assertThat(metadata.placements().write(again, version, null, List.of())).isEqualTo(version + 1);
                    assertThatThrownBy(() -> metadata.placements().write(again, version, null, List.of())).isInstanceOf(PreconditionFailedException.class);
                }
            }
        }
    }

    private static Placement placement(int partition, SplittableRandom random) {
        List<NodeId> replicas = new ArrayList<>();
        while (replicas.size() < 3) {
            NodeId node = NodeId.of(1 + random.nextInt(WORKERS));
            if (!replicas.contains(node)) {
                replicas.add(node);
            }
        }
        return Placement.stable(PartitionId.of(partition), replicas, replicas.getFirst(), Version.of(3));
    }

    /**
     * A client with the small packet limit. ZooKeeper's client reads {@code jute.maxbuffer} when it is created, so the
     * property is set only around the connection; the servers, started before, keep the default.
     */
    private static MetadataStore connect(ZooKeeperEnsemble ensemble) {
        String before = System.getProperty("jute.maxbuffer");
        System.setProperty("jute.maxbuffer", String.valueOf(CLIENT_PACKET_BYTES_MAX));
        try {
            return ZooKeeperMetadataStore.connect(ensemble.connectString(), "/sluice/failover-test", Duration.ofSeconds(30), Duration.ofSeconds(30));
        } finally {
            if (before == null) {
                System.clearProperty("jute.maxbuffer");
            } else {
                System.setProperty("jute.maxbuffer", before);
            }
        }
    }
}
