package dev.sluice.api;

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
 * The real admin API (and the dashboard) over an in-memory cluster that no controller runs on: four active workers
 * {@code worker-1…4} ({@code N1…N4}, in zone {@code local.zone-1}), {@code partitions} partitions × 3, Pp on
 * N(p mod 4 + 1) and the next two, led by the first. For tests of what the API and its clients answer, where
 * a controller would change things under the test (a rollout it would start restarting).
 */
public final class OfflineCluster implements AutoCloseable {

    private final InMemoryMetadataStore store = new InMemoryMetadataStore();
    private final List<InMemoryMetadataStore> sessions = new ArrayList<>();
    private final ClusterMetadata metadata = new ClusterMetadata(store, Clock.systemUTC());
    private final Javalin server;

    public OfflineCluster(Optional<String> token, int partitions) {
        this(AdminHttp.legacy(token), partitions);
    }

    /** The same cluster, its API checking {@code credentials}. */
    public OfflineCluster(CredentialSource credentials, int partitions) {
        metadata.partitionTable().initialize(new PartitionTable(partitions, ReplicationProperty.of(3)));
        for (int i = 1; i <= 4; i++) {
            InMemoryMetadataStore session = store.newSession();
            sessions.add(session);
            var registered = new NodeRegistration(new ClusterMetadata(session, Clock.systemUTC()), Clock.systemUTC())
                    .register("worker-" + i, NodeAddresses.of("127.0.0.1:7000", "http://127.0.0.1:8000"), Set.of(Role.WORKER, Role.ADMIN),
                            Location.parse("local.zone-1"));
            metadata.nodes().transition(registered.node().id(), WorkerState.ACTIVE, Actor.NODE, "warm", false, c -> GuardFacts.NONE, List.of());
        }
        for (int p = 0; p < partitions; p++) {
            List<NodeId> members = List.of(NodeId.of(1 + p % 4), NodeId.of(1 + (p + 1) % 4), NodeId.of(1 + (p + 2) % 4));
            metadata.placements().write(Placement.stable(PartitionId.of(p), members, members.getFirst(), Version.of(8)), 0, null, List.of());
        }
        AdminApi api = new AdminApi("offline", metadata, new Lifecycle(metadata, SchedulerLimits.DEFAULTS, Clock.systemUTC()));
        server = Javalin.create(config -> {
            AdminHttp.install(config, () -> api, credentials);
            DashboardHttp.install(config);
        }).start("127.0.0.1", 0);
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.port());
    }

    public ClusterMetadata metadata() {
        return metadata;
    }

    /** Ends worker {@code worker}'s metadata session, so its liveness entry goes, as when its process dies. */
    public void kill(int worker) {
        sessions.get(worker - 1).close();
    }

    @Override
    public void close() {
        server.stop();
        sessions.forEach(InMemoryMetadataStore::close);
        store.close();
    }
}
