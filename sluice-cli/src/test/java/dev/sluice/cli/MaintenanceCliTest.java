package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.api.AdminApi;
import dev.sluice.api.AdminHttp;
import dev.sluice.controller.Lifecycle;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.InMemoryMetadataStore;
import dev.sluice.metadata.NodeRegistration;
import dev.sluice.model.Actor;
import dev.sluice.model.GuardFacts;
import dev.sluice.model.Location;
import dev.sluice.model.Maintenance;
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
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code sluice nodes maintenance} and {@code end-maintenance} against the real admin API over an in-memory
 * cluster: four workers, 12 partitions × 3 replicas, Pp on N(p mod 4 + 1) and the next two, led by the first.
 */
class MaintenanceCliTest {

    private final InMemoryMetadataStore store = new InMemoryMetadataStore();
    private final List<InMemoryMetadataStore> sessions = new ArrayList<>();
    private final ClusterMetadata metadata = new ClusterMetadata(store, Clock.systemUTC());
    private Javalin server;
    private String url;

    record Run(int exitCode, String out, String err) {}

    @BeforeEach
    void start() {
        metadata.partitionTable().initialize(new PartitionTable(12, ReplicationProperty.of(3)));
        for (int i = 1; i <= 4; i++) {
            InMemoryMetadataStore session = store.newSession();
            sessions.add(session);
            var registered = new NodeRegistration(new ClusterMetadata(session, Clock.systemUTC()), Clock.systemUTC())
                    .register("worker-" + i, NodeAddresses.of("127.0.0.1:7000", "http://127.0.0.1:8000"), Set.of(Role.WORKER, Role.ADMIN),
                            Location.DEFAULT);
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

    private Run sluice(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = SluiceCommand.newCommandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--url", url, "--token", "unused"));
        return new Run(commandLine.execute(all.toArray(String[]::new)), out.toString(), err.toString());
    }

    @Test
    void aDryRunListsTheLeadershipsThatWouldLeaveAndWritesNothing() {
        NodesConfiguration before = metadata.nodes().current();

        Run dryRun = sluice("nodes", "maintenance", "worker-1", "--dry-run");

        assertThat(dryRun.exitCode()).as(dryRun.err()).isZero();
        assertThat(dryRun.out()).startsWith("Dry run: maintenance of N1 (worker-1) (active)\n  allowed: yes\n  0 replica moves, 3 leadership change(s)")
                .contains("leader-in-maintenance");
        assertThat(metadata.nodes().current()).isEqualTo(before);
    }

    @Test
    void aMaintenanceIsBegunShownListedAndEnded() {
        Run begun = sluice("nodes", "maintenance", "worker-1", "--for", "30m", "--reason", "kernel patch");
        assertThat(begun.exitCode()).as(begun.err()).isZero();
        assertThat(begun.out()).matches("N1 \\(worker-1\\) is in maintenance until \\S+ \\((29 min \\d+ s|30 min) left\\): kernel patch\\n");
        Maintenance intent = metadata.nodes().current().find(NodeId.of(1)).orElseThrow().maintenance();
        assertThat(intent.reason()).isEqualTo("kernel patch");
        assertThat(java.time.Duration.between(intent.since(), intent.until())).isEqualTo(java.time.Duration.ofMinutes(30));

        assertThat(sluice("nodes", "list").out()).contains("MAINTENANCE").containsPattern("worker-1 .* until \\d\\d:\\d\\d:\\d\\dZ");
        assertThat(sluice("nodes", "show", "N1").out()).contains("  maintenance: is in maintenance until");

        Run ended = sluice("nodes", "end-maintenance", "worker-1");
        assertThat(ended.exitCode()).isZero();
        assertThat(ended.out()).startsWith("N1 (worker-1) is not in maintenance (the last one ended ").contains(": ended-by-operator)");
        assertThat(sluice("nodes", "end-maintenance", "worker-1").out()).endsWith("(no change)\n");
        assertThat(sluice("nodes", "list").out()).doesNotContain("until ");
    }

    @Test
    void aMaintenanceThatWouldCostPartitionsTheirMajorityIsRefusedUnlessForced() {
        sessions.get(1).close();
        NodesConfiguration before = metadata.nodes().current();

        Run refused = sluice("nodes", "maintenance", "worker-1");

        assertThat(refused.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(refused.err()).startsWith("refused: N1 (worker-1) cannot go into maintenance now: 6 partitions would be at risk while it is away")
                .contains("would-lose-majority").contains("N2 (worker-2) already away").contains("add --force to begin it anyway")
                .doesNotContain("allowed next");
        assertThat(metadata.nodes().current()).isEqualTo(before);

        Run forced = sluice("nodes", "maintenance", "worker-1", "--force");
        assertThat(forced.exitCode()).as(forced.err()).isZero();
        assertThat(metadata.nodes().current().find(NodeId.of(1)).orElseThrow().inMaintenanceAt(java.time.Instant.now())).isTrue();
    }

    @Test
    void badInputIsRefusedBeforeAnythingIsSent() {
        NodesConfiguration before = metadata.nodes().current();
        Run tooShort = sluice("nodes", "maintenance", "worker-1", "--for", "0s");
        assertThat(tooShort.exitCode()).isEqualTo(CliException.USAGE);
        assertThat(tooShort.err()).contains("--for must be at least 1s");
        Run tooLong = sluice("nodes", "maintenance", "worker-1", "--for", "8d");
        assertThat(tooLong.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(tooLong.err()).contains("between 1 and 604800 (7 days)");
        Run draining = sluice("nodes", "maintenance", "nobody");
        assertThat(draining.exitCode()).isEqualTo(CliException.FAILED);
        assertThat(metadata.nodes().current()).isEqualTo(before);
    }
}
