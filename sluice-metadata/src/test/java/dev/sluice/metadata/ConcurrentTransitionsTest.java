package dev.sluice.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.Actor;
import dev.sluice.model.AuditRecord;
import dev.sluice.model.BlockingPartition;
import dev.sluice.model.ChangeResult;
import dev.sluice.model.GuardFacts;
import dev.sluice.model.Location;
import dev.sluice.model.NodeAddresses;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Role;
import dev.sluice.model.Version;
import dev.sluice.model.WorkerState;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Eight processes (threads, each with its own ZooKeeper session) issue 1,000 random transitions against
 * one cluster. Afterwards the audit log, replayed in version order, must give exactly the final states,
 * every applied request must appear in it once, and no refused request may have changed anything.
 */
class ConcurrentTransitionsTest {

    private static final int THREADS = 8;
    private static final int TRANSITIONS = 1_000;
    private static final int NODES = 5;

    @TempDir
    Path dataDirectory;

    @Test
    void auditReplayEqualsTheFinalStatesAndRefusalsChangeNothing() throws Exception {
        long seed = Long.getLong("sluice.test.seed", System.nanoTime());
        System.out.println("ConcurrentTransitionsTest seed=" + seed + " (rerun with -Dsluice.test.seed=" + seed + ")");
        try (EmbeddedZooKeeper zooKeeper = EmbeddedZooKeeper.start(dataDirectory.resolve("zk"), 0)) {
            String root = "/concurrency";
            Clock clock = Clock.systemUTC();
            NodesConfiguration initial;
            try (ZooKeeperMetadataStore setup = ZooKeeperMetadataStore.connect(zooKeeper.connectString(), root)) {
                ClusterMetadata metadata = new ClusterMetadata(setup, clock);
                for (int i = 1; i <= NODES; i++) {
                    metadata.nodes().register("worker-" + i, NodeAddresses.of("127.0.0.1:" + (7000 + i), "http://127.0.0.1:" + (8000 + i)),
                            Set.of(Role.WORKER), Location.DEFAULT);
                }
                initial = metadata.nodes().current();
            }

            Map<String, ChangeResult> outcomes = new ConcurrentHashMap<>();
            AtomicInteger issued = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                Random random = new Random(seed + t);
                futures.add(pool.submit(() -> {
                    try (ZooKeeperMetadataStore session = ZooKeeperMetadataStore.connect(zooKeeper.connectString(), root)) {
                        ClusterMetadata metadata = new ClusterMetadata(session, clock);
                        while (issued.incrementAndGet() <= TRANSITIONS) {
                            NodeConfig node = metadata.nodes().current().find(NodeId.of(1 + random.nextInt(NODES))).orElseThrow();
                            WorkerState target = WorkerState.values()[random.nextInt(WorkerState.values().length)];
                            Actor actor = Actor.values()[random.nextInt(Actor.values().length)];
                            boolean force = random.nextInt(4) == 0;
                            boolean alive = random.nextBoolean();
                            boolean precheckPasses = random.nextBoolean();
                            boolean emptied = random.nextBoolean();
                            String[] requestId = new String[1];
                            NodesConfigurationStore.Update update = metadata.nodes().update(config -> {
                                GuardFacts facts = new GuardFacts(alive,
                                        precheckPasses ? GuardFacts.DrainPrecheck.PASSED
                                                : new GuardFacts.DrainPrecheck(List.of(new BlockingPartition(PartitionId.of(1), "not-enough-candidates", "2 of 3"))),
                                        new GuardFacts.EmptiedEvidence(emptied ? 0 : 1, 0, config.version()));
                                var change = new dev.sluice.model.NodesChange.TransitionWorker(node.id(), target, actor, "random", force, facts,
                                        requestId[0] == null ? (requestId[0] = java.util.UUID.randomUUID().toString()) : requestId[0], clock.instant());
                                return change;
                            }, List.of());
                            outcomes.put(requestId[0], update.result());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                future.get(5, TimeUnit.MINUTES);
            }
            pool.shutdown();

            try (ZooKeeperMetadataStore check = ZooKeeperMetadataStore.connect(zooKeeper.connectString(), root)) {
                ClusterMetadata metadata = new ClusterMetadata(check, clock);
                NodesConfiguration last = metadata.nodes().current();
                List<AuditRecord> audit = metadata.audit().read(-1, AuditLog.MAX_READ);

                assertThat(outcomes).hasSize(TRANSITIONS);
                List<String> applied = outcomes.entrySet().stream().filter(e -> e.getValue() instanceof ChangeResult.Changed).map(Map.Entry::getKey).toList();
                List<String> refused = outcomes.entrySet().stream().filter(e -> e.getValue() instanceof ChangeResult.Refused).map(Map.Entry::getKey).toList();
                System.out.println("applied=" + applied.size() + " refused=" + refused.size() + " unchanged=" + (TRANSITIONS - applied.size() - refused.size()));
                assertThat(applied).as("some transitions applied").hasSizeGreaterThan(50);
                assertThat(refused).as("some transitions refused").hasSizeGreaterThan(50);

                // Every applied request is in the audit log exactly once, and nothing else is.
                assertThat(audit).extracting(AuditRecord::requestId).containsExactlyInAnyOrderElementsOf(applied);
                assertThat(audit).extracting(AuditRecord::requestId).doesNotContainAnyElementsOf(refused);
                // Only the audited transitions moved the version: no refused request wrote.
                assertThat(last.version()).isEqualTo(Version.of(initial.version().value() + applied.size()));

                // Replaying the audit log in version order gives the final states, and each record starts
                // from the state the previous one left.
                List<AuditRecord> byVersion = new ArrayList<>(audit);
                byVersion.sort((a, b) -> a.version().compareTo(b.version()));
                Map<NodeId, WorkerState> replayed = new HashMap<>();
                initial.nodes().forEach(n -> replayed.put(n.nodeId(), n.workerState()));
                long expectedVersion = initial.version().value();
                for (AuditRecord record : byVersion) {
                    expectedVersion++;
                    assertThat(record.version().value()).as("versions are contiguous").isEqualTo(expectedVersion);
                    assertThat(record.from()).as("record %s starts where the previous left", record.version()).isEqualTo(replayed.get(record.node().id()));
                    replayed.put(record.node().id(), record.to());
                }
                for (NodeConfig node : last.nodes()) {
                    assertThat(node.workerState()).as("final state of %s", node.nodeId()).isEqualTo(replayed.get(node.nodeId()));
                }
            }
        }
    }
}
