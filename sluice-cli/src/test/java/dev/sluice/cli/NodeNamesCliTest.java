package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.api.AdminApi;
import dev.sluice.api.AdminHttp;
import dev.sluice.controller.Lifecycle;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.InMemoryMetadataStore;
import dev.sluice.metadata.NodeRegistration;
import dev.sluice.model.Actor;
import dev.sluice.model.ClusterEvent;
import dev.sluice.model.EventKind;
import dev.sluice.model.GuardFacts;
import dev.sluice.model.Location;
import dev.sluice.model.NodeAddresses;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.Role;
import dev.sluice.model.Version;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.SchedulerLimits;
import io.javalin.Javalin;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CLI names nodes as {@code N1 (worker-3)} and takes references by the API's one rule, against the real
 * admin API over an in-memory cluster whose ids do not follow its names: worker-3 registered first (N1),
 * then worker-1 (N2), worker-2 (N3) and worker-4 (N4). 12 partitions × 3 replicas; Pp is on N(p mod 4 + 1)
 * and the next two, led by the first.
 */
class NodeNamesCliTest {

    private static final List<String> REGISTRATION_ORDER = List.of("worker-3", "worker-1", "worker-2", "worker-4");

    private final InMemoryMetadataStore store = new InMemoryMetadataStore();
    private final List<InMemoryMetadataStore> sessions = new ArrayList<>();
    private final ClusterMetadata metadata = new ClusterMetadata(store, Clock.systemUTC());
    private Javalin server;
    private String url;

    @BeforeEach
    void start() {
        metadata.partitionTable().initialize(new PartitionTable(12, ReplicationProperty.of(3)));
        for (String name : REGISTRATION_ORDER) {
            InMemoryMetadataStore session = store.newSession();
            sessions.add(session);
            var registered = new NodeRegistration(new ClusterMetadata(session, Clock.systemUTC()), Clock.systemUTC())
                    .register(name, NodeAddresses.of("127.0.0.1:7000", "http://127.0.0.1:8000"), Set.of(Role.WORKER, Role.ADMIN), Location.DEFAULT);
            metadata.nodes().transition(registered.node().id(), WorkerState.ACTIVE, Actor.NODE, "warm", false, c -> GuardFacts.NONE, List.of());
        }
        for (int p = 0; p < 12; p++) {
            List<NodeId> members = List.of(NodeId.of(1 + p % 4), NodeId.of(1 + (p + 1) % 4), NodeId.of(1 + (p + 2) % 4));
            metadata.placements().write(Placement.stable(PartitionId.of(p), members, members.getFirst(), Version.of(8)), 0, null, List.of());
        }
        AdminApi api = new AdminApi("test", metadata, new Lifecycle(metadata, SchedulerLimits.DEFAULTS, Clock.systemUTC()));
        server = Javalin.create(config -> AdminHttp.install(config, api, Optional.empty())).start("127.0.0.1", 0);
        url = "http://127.0.0.1:" + server.port();
    }

    @AfterEach
    void stop() {
        server.stop();
        sessions.forEach(InMemoryMetadataStore::close);
        store.close();
    }

    private CliRun sluice(String... args) {
        return CliRun.against(url, args);
    }

    @Test
    void aBareNumberIsRefusedWithTheNodesItCouldMeanAndChangesNothing() {
        NodesConfiguration before = metadata.nodes().current();
        CliRun drain = sluice("nodes", "drain", "1");
        assertThat(drain.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(drain.err()).contains("'1' is refused").contains("did you mean N1 (worker-3) or worker-1 (N2)?");
        assertThat(metadata.nodes().current()).isEqualTo(before);
    }

    @Test
    void namesInAnyCaseIdsAndTheCurrentIncarnationAreAcceptedAndMisspellingsGetTheClosestName() {
        assertThat(sluice("nodes", "show", "Worker-3").out()).startsWith("N1 (worker-3), incarnation N1:1");
        assertThat(sluice("nodes", "show", "n1").out()).startsWith("N1 (worker-3), incarnation N1:1");
        assertThat(sluice("nodes", "show", "N1:1").out()).startsWith("N1 (worker-3), incarnation N1:1");

        CliRun misspelled = sluice("nodes", "show", "wroker-3");
        assertThat(misspelled.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(misspelled.err()).contains("unknown node 'wroker-3'; did you mean worker-3 (N1)?");
    }

    @Test
    void aStaleIncarnationIsRefusedNamingTheCurrentOne() {
        sessions.getFirst().close();
        InMemoryMetadataStore restarted = store.newSession();
        sessions.add(restarted);
        new NodeRegistration(new ClusterMetadata(restarted, Clock.systemUTC()), Clock.systemUTC())
                .register("worker-3", NodeAddresses.of("127.0.0.1:7000", "http://127.0.0.1:8000"), Set.of(Role.WORKER, Role.ADMIN), Location.DEFAULT);
        NodesConfiguration before = metadata.nodes().current();

        CliRun stale = sluice("nodes", "drain", "N1:1");
        assertThat(stale.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(stale.err()).contains("N1:1 is no longer current").contains("N1 (worker-3) is now N1:2");
        assertThat(metadata.nodes().current()).isEqualTo(before);
    }

    @Test
    void theDryRunNamesEveryNodeItMovesFromAndTo() {
        CliRun dryRun = sluice("nodes", "drain", "worker-3", "--dry-run");
        assertThat(dryRun.exitCode()).as(dryRun.err()).isZero();
        assertThat(dryRun.out()).startsWith("Dry run: N1 (worker-3) active → draining");
        // Replica moves, then leadership changes: every FROM and TO is labelled, and every replica leaves N1.
        List<String> rows = dryRun.out().lines().filter(line -> line.matches("\\s+P[0-9]+\\s.*")).toList();
        assertThat(rows).hasSizeGreaterThan(9)
                .allSatisfy(line -> assertThat(line).matches("\\s+P[0-9]+\\s+N[0-9] \\(worker-[0-9]\\)\\s+N[0-9] \\(worker-[0-9]\\).*"));
        assertThat(rows.subList(0, 9)).allSatisfy(line -> assertThat(line).matches("\\s+P[0-9]+\\s+N1 \\(worker-3\\)\\s+.*"));
    }

    @Test
    void theLastLineOfWaitNamesTheNode() throws Exception {
        CompletableFuture<CliRun> waiting = CompletableFuture.supplyAsync(() -> sluice("nodes", "drain", "worker-3", "--wait", "--timeout", "1m"));
        await("the drain is requested").atMost(Duration.ofSeconds(30))
                .until(() -> metadata.nodes().current().find(NodeId.of(1)).orElseThrow().workerState() == WorkerState.DRAINING);
        // There is no controller here: the operator's forced disable stands in for its automatic one.
        metadata.nodes().transition(metadata.nodes().current().find(NodeId.of(1)).orElseThrow().id(), WorkerState.DISABLED, Actor.OPERATOR,
                "stands in for the controller", true, c -> GuardFacts.NONE, List.of());
        CliRun run = waiting.get(1, TimeUnit.MINUTES);
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out().lines().toList()).first().isEqualTo("N1 (worker-3) is draining");
        assertThat(run.out().lines().toList()).last().asString().startsWith("N1 (worker-3) is disabled: drained in");
    }

    @Test
    void partitionsNameTheirLeadersAndReplicas() {
        CliRun list = sluice("partitions", "list");
        assertThat(list.exitCode()).as(list.err()).isZero();
        assertThat(list.out().lines().filter(line -> line.startsWith("P0 ")).findFirst().orElseThrow())
                .matches("P0\\s+N1 \\(worker-3\\)\\s+N1 \\(worker-3\\), N2 \\(worker-1\\), N3 \\(worker-2\\)\\s+-\\s+-\\s+-");

        CliRun show = sluice("partitions", "show", "P1");
        assertThat(show.exitCode()).as(show.err()).isZero();
        assertThat(show.out()).contains("leader:   N2 (worker-1)").contains("replicas: N2 (worker-1), N3 (worker-2), N4 (worker-4)");
    }

    @Test
    void eventsNameTheNodesTheyMention() {
        metadata.events().append(ClusterEvent.of(Clock.systemUTC().instant(), EventKind.PARTITION_MOVED, null, PartitionId.of(3),
                "P3 moved [N1] → [N4] in 900 ms", Map.of("durationMillis", 900L)));
        CliRun events = sluice("events");
        assertThat(events.exitCode()).as(events.err()).isZero();
        assertThat(events.out()).contains("P3 moved [N1 (worker-3)] → [N4 (worker-4)] in 900 ms");
    }
}
