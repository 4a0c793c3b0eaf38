package dev.sluice.testkit;

import dev.sluice.api.AdminApi;
import dev.sluice.api.AdminHttp;
import dev.sluice.controller.Lifecycle;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.InMemoryMetadataStore;
import dev.sluice.metadata.NodeRegistration;
import dev.sluice.model.Actor;
import dev.sluice.model.GuardFacts;
import dev.sluice.model.Location;
import dev.sluice.model.NodeAddresses;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.Role;
import dev.sluice.model.Version;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.SchedulerLimits;
import io.javalin.Javalin;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The admin API over an in-memory cluster that no controller runs on: four active workers, eight partitions
 * × 3. For answers that a controller would change under the test (a rollout it would start restarting).
 */
final class OfflineCluster implements AutoCloseable {

    private final InMemoryMetadataStore store = new InMemoryMetadataStore();
    private final List<InMemoryMetadataStore> sessions = new ArrayList<>();
    private final Javalin server;

    OfflineCluster(String token) {
        ClusterMetadata metadata = new ClusterMetadata(store, Clock.systemUTC());
        metadata.partitionTable().initialize(new PartitionTable(8, ReplicationProperty.of(3)));
        for (int i = 1; i <= 4; i++) {
            InMemoryMetadataStore session = store.newSession();
            sessions.add(session);
            var registered = new NodeRegistration(new ClusterMetadata(session, Clock.systemUTC()), Clock.systemUTC())
                    .register("worker-" + i, NodeAddresses.of("127.0.0.1:7000", "http://127.0.0.1:8000"), Set.of(Role.WORKER, Role.ADMIN),
                            Location.parse("local.zone-1"));
            metadata.nodes().transition(registered.node().id(), WorkerState.ACTIVE, Actor.NODE, "warm", false, c -> GuardFacts.NONE, List.of());
        }
        for (int p = 0; p < 8; p++) {
            List<NodeId> members = List.of(NodeId.of(1 + p % 4), NodeId.of(1 + (p + 1) % 4), NodeId.of(1 + (p + 2) % 4));
            metadata.placements().write(Placement.stable(PartitionId.of(p), members, members.getFirst(), Version.of(8)), 0, null, List.of());
        }
        AdminApi api = new AdminApi("offline", metadata, new Lifecycle(metadata, SchedulerLimits.DEFAULTS, Clock.systemUTC()));
        server = Javalin.create(config -> AdminHttp.install(config, api, Optional.of(token))).start("127.0.0.1", 0);
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.port());
    }

    @Override
    public void close() {
        server.stop();
        sessions.forEach(InMemoryMetadataStore::close);
        store.close();
    }
}
