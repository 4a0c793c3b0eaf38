package dev.sluice.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.model.Actor;
import dev.sluice.model.AuditRecord;
import dev.sluice.model.ChangeResult;
import dev.sluice.model.EventKind;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.GuardFacts;
import dev.sluice.model.Location;
import dev.sluice.model.NodeAddresses;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodesChange;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.RefusalKind;
import dev.sluice.model.Role;
import dev.sluice.model.Version;
import dev.sluice.model.WorkerState;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Typed access to the nodes configuration, through the in-memory store. */
class NodesConfigurationStoreTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-27T12:00:00Z"), ZoneOffset.UTC);
    private static final NodeAddresses ADDRESSES = NodeAddresses.of("127.0.0.1:7001", "http://127.0.0.1:8081");

    private final InMemoryMetadataStore store = new InMemoryMetadataStore();
    private final ClusterMetadata metadata = new ClusterMetadata(store, CLOCK);

    @AfterEach
    void close() {
        store.close();
    }

    private NodeConfig register(String name) {
        NodesConfigurationStore.Update update = metadata.nodes().register(name, ADDRESSES, Set.of(Role.WORKER), Location.DEFAULT);
        return ((ChangeResult.Changed) update.result()).node();
    }

    /**
     * A node's document has a limit of its own, far above what a node needs; a registration past it is refused saying
     * so and nothing is written.
     */
    @Test
    void aRegistrationWhoseNodeDocumentWouldBeTooLargeIsRefusedSayingSoAndWritesNothing() {
        register("worker-a");
        Version before = metadata.nodes().current().version();
        long events = metadata.events().read(-1, EventLog.MAX_READ).size();

        String host = "worker-b" + ".rack-17.row-4.hall-b.datacenter-frankfurt-2.storage-tier.example-company-internal.example".repeat(60);
        NodesConfigurationStore.Update refused = metadata.nodes().register("worker-b", NodeAddresses.of(host + ":7000", "https://" + host + ":8080"),
                Set.of(Role.WORKER), Location.DEFAULT);

        dev.sluice.model.Refusal refusal = refused.refusal().orElseThrow();
        assertThat(refusal.kind()).isEqualTo(RefusalKind.CLUSTER_AT_CAPACITY);
        assertThat(refusal.message()).startsWith("the document of node N2 would be ")
                .contains("bytes with this change, over the 8192 bytes a node's document may have");
        assertThat(metadata.nodes().current().version()).isEqualTo(before);
        assertThat(metadata.nodes().current().findByName("worker-b")).isEmpty();
        assertThat(store.get(NodesLayout.key(dev.sluice.model.NodeId.of(2)))).isEmpty();
        assertThat(metadata.events().read(-1, EventLog.MAX_READ)).hasSize((int) events);
    }

    @Test
    void aNewNameGetsTheNextIdAndStartsProvisioning() {
        NodeConfig first = register("worker-a");
        NodeConfig second = register("worker-b");
        assertThat(first.id()).hasToString("N1:1");
        assertThat(second.id()).hasToString("N2:1");
        assertThat(second.workerState()).isEqualTo(WorkerState.PROVISIONING);
        NodesConfiguration config = metadata.nodes().current();
        assertThat(config.version()).isEqualTo(Version.of(2));
        assertThat(metadata.events().read(-1, 10)).extracting(e -> e.event().kind())
                .containsExactly(EventKind.NODE_REGISTERED, EventKind.NODE_REGISTERED);
        assertThat(metadata.audit().read(-1, 10)).isEmpty();
    }

    @Test
    void aRestartKeepsIdAndStateAndBumpsTheGeneration() {
        NodeConfig first = register("worker-a");
        metadata.nodes().transition(first.id(), WorkerState.ACTIVE, Actor.NODE, "warm", false, c -> GuardFacts.NONE, List.of());
        NodeConfig restarted = register("worker-a");
        assertThat(restarted.id()).isEqualTo(first.id().nextGeneration());
        assertThat(restarted.workerState()).isEqualTo(WorkerState.ACTIVE);
    }

    @Test
    void aSecondProcessRegisteringTheSameNameAtTheSameTimeIsRefused() {
        // Both processes read the configuration before either wrote.
        Integer expectedByBoth = null;
        NodesConfigurationStore.Update first = metadata.nodes().update(config -> new NodesChange.RegisterNode("worker-a", ADDRESSES,
                Set.of(Role.WORKER), Location.DEFAULT, expectedByBoth, "process-1", CLOCK.instant()), List.of());
        NodesConfigurationStore.Update second = metadata.nodes().update(config -> new NodesChange.RegisterNode("worker-a", ADDRESSES,
                Set.of(Role.WORKER), Location.DEFAULT, expectedByBoth, "process-2", CLOCK.instant()), List.of());
        assertThat(first.applied()).isTrue();
        assertThat(second.refusal()).get().satisfies(refusal -> {
            assertThat(refusal.kind()).isEqualTo(RefusalKind.REGISTRATION_CONFLICT);
            assertThat(refusal.message()).contains("registered concurrently by another process as N1:1");
        });
        assertThat(metadata.nodes().current().version()).isEqualTo(Version.of(1));
    }

    @Test
    void aRegistrationRetriedAfterALostReplyFindsItsOwnWrite() {
        NodesChange.RegisterNode register = new NodesChange.RegisterNode("worker-a", ADDRESSES, Set.of(Role.WORKER), Location.DEFAULT,
                null, "process-1", CLOCK.instant());
        assertThat(metadata.nodes().update(config -> register, List.of()).applied()).isTrue();
        NodesConfigurationStore.Update retry = metadata.nodes().update(config -> register, List.of());
        assertThat(retry.result()).isInstanceOfSatisfying(ChangeResult.Unchanged.class, u -> assertThat(u.ownEarlierWrite()).isTrue());
    }

    @Test
    void aTransitionIsWrittenWithItsEventAndAuditRecordAndIsIdempotentOnRetry() {
        NodeConfig node = register("worker-a");
        NodesChange.TransitionWorker activate = new NodesChange.TransitionWorker(node.id(), WorkerState.ACTIVE, Actor.NODE, "warm-up passed",
                false, GuardFacts.NONE, "request-1", CLOCK.instant());
        NodesConfigurationStore.Update applied = metadata.nodes().update(config -> activate, List.of());
        assertThat(applied.applied()).isTrue();
        List<AuditRecord> audit = metadata.audit().read(-1, 10);
        assertThat(audit).singleElement().satisfies(record -> {
            assertThat(record.node()).isEqualTo(node.id());
            assertThat(record.from()).isEqualTo(WorkerState.PROVISIONING);
            assertThat(record.to()).isEqualTo(WorkerState.ACTIVE);
            assertThat(record.version()).isEqualTo(Version.of(2));
            assertThat(record.reason()).isEqualTo("warm-up passed");
        });
        assertThat(metadata.events().read(-1, 10)).last().satisfies(e -> assertThat(e.event().transition()).isEqualTo(audit.getFirst()));

        NodesConfigurationStore.Update retried = metadata.nodes().update(config -> activate, List.of());
        assertThat(retried.result()).isInstanceOfSatisfying(ChangeResult.Unchanged.class, u -> assertThat(u.ownEarlierWrite()).isTrue());
        assertThat(metadata.audit().read(-1, 10)).hasSize(1);
    }

    @Test
    void aRefusedTransitionWritesNothing() {
        NodeConfig node = register("worker-a");
        NodesConfiguration before = metadata.nodes().current();
        NodesConfigurationStore.Update refused = metadata.nodes().transition(node.id(), WorkerState.DRAINING, Actor.OPERATOR, "no",
                false, c -> GuardFacts.NONE, List.of());
        assertThat(refused.refusal()).get().satisfies(r -> {
            assertThat(r.kind()).isEqualTo(RefusalKind.ILLEGAL_TRANSITION);
            assertThat(r.allowedNext()).containsExactly(WorkerState.DISABLED);
            assertThat(r.allowedWithForce()).containsExactly(WorkerState.ACTIVE);
        });
        assertThat(metadata.nodes().current()).isEqualTo(before);
        assertThat(metadata.audit().read(-1, 10)).isEmpty();
    }

    @Test
    void aTransitionDecidedAgainstAnOlderIncarnationIsRefused() {
        NodeConfig node = register("worker-a");
        register("worker-a");
        NodesConfigurationStore.Update stale = metadata.nodes().transition(node.id(), WorkerState.DISABLED, Actor.OPERATOR, "x", false,
                c -> GuardFacts.NONE, List.of());
        assertThat(stale.refusal()).get().extracting(r -> r.kind()).isEqualTo(RefusalKind.STALE_GENERATION);
    }

    @Test
    void aFencedWriteFailsOnceTheFenceMoves() {
        NodeConfig node = register("worker-a");
        long epoch = store.put("controller/epoch", new byte[] {1}, Precondition.NONE);
        Fence fence = new Fence("controller/epoch", epoch);
        store.put("controller/epoch", new byte[] {2}, Precondition.NONE);
        assertThatThrownBy(() -> metadata.nodes().transition(node.id(), WorkerState.ACTIVE, Actor.NODE, "x", false, c -> GuardFacts.NONE,
                List.of(fence))).isInstanceOf(Fence.LostException.class);
        assertThat(metadata.nodes().current().find(node.nodeId()).orElseThrow().workerState()).isEqualTo(WorkerState.PROVISIONING);
    }

    @Test
    void guardFactsAreGatheredAgainForEveryAttempt() {
        NodeConfig node = register("worker-a");
        metadata.nodes().transition(node.id(), WorkerState.ACTIVE, Actor.NODE, "", false, c -> GuardFacts.NONE, List.of());
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        NodesConfigurationStore.Update update = metadata.nodes().transition(node.id(), WorkerState.DRAINING, Actor.OPERATOR, "", false, config -> {
            if (calls.incrementAndGet() == 1) {
                // Someone else writes between our read and our write.
                register("worker-b");
            }
            return new GuardFacts(true, GuardFacts.DrainPrecheck.PASSED, null);
        }, List.of());
        assertThat(update.applied()).isTrue();
        assertThat(calls).hasValue(2);
    }

    @Test
    void removingANodeLeavesATombstoneAndItsIdIsNeverReused() {
        NodeConfig node = register("worker-a");
        metadata.nodes().transition(node.id(), WorkerState.DISABLED, Actor.OPERATOR, "", false, c -> GuardFacts.NONE, List.of());
        assertThat(metadata.nodes().remove(node.id(), Actor.OPERATOR, "", c -> new dev.sluice.model.NodesChange.RemovalFacts(false, 0, 0), null).applied())
                .isTrue();
        NodeConfig again = register("worker-a");
        assertThat(again.id()).isEqualTo(new GenerationalNodeId(dev.sluice.model.NodeId.of(2), 1));
        assertThat(metadata.nodes().current().isRemoved(node.nodeId())).isTrue();
    }

    @Test
    void registrationHoldsTheNameWhileTheProcessRuns() {
        NodeRegistration registration = new NodeRegistration(metadata, CLOCK);
        InMemoryMetadataStore otherProcess = store.newSession();
        NodeRegistration.Registered first = registration.register("worker-a", ADDRESSES, Set.of(Role.WORKER), Location.DEFAULT);
        NodeRegistration second = new NodeRegistration(new ClusterMetadata(otherProcess, CLOCK), CLOCK);
        assertThatThrownBy(() -> second.register("worker-a", ADDRESSES, Set.of(Role.WORKER), Location.DEFAULT))
                .isInstanceOf(NodeRegistration.RefusedException.class)
                .hasMessageContaining("held by a running process: N1:");
        assertThat(metadata.nodes().current().findByName("worker-a").orElseThrow().id()).isEqualTo(first.node().id());

        first.liveness().close();
        NodeRegistration.Registered restarted = second.register("worker-a", ADDRESSES, Set.of(Role.WORKER), Location.DEFAULT);
        assertThat(restarted.node().id()).isEqualTo(first.node().id().nextGeneration());
        assertThat(metadata.liveness().read(restarted.node().nodeId()).orElseThrow().node()).isEqualTo(restarted.node().id());
        otherProcess.close();
    }
}
