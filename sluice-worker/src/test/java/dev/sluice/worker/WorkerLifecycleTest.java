package dev.sluice.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.InMemoryMetadataStore;
import dev.sluice.model.Actor;
import dev.sluice.model.GuardFacts;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.WorkerState;
import dev.sluice.wire.ShutdownStatus;
import dev.sluice.wire.WarmUpResult;
import dev.sluice.wire.WorkerStatus;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Warm-up, self-activation and the states a worker must not leave by itself; one worker, metadata in memory. */
class WorkerLifecycleTest {

    static final Duration TIMEOUT = Duration.ofSeconds(20);
    static final URI HTTP = URI.create("http://127.0.0.1:1");

    @TempDir
    Path directory;

    private static ClusterMetadata metadata() {
        ClusterMetadata metadata = new ClusterMetadata(new InMemoryMetadataStore(), InstantSource.system());
        metadata.partitionTable().initialize(new PartitionTable(4, ReplicationProperty.of(1)));
        return metadata;
    }

    private WorkerConfig.Builder config(String name) {
        return WorkerConfig.builder(name, "unit", directory.resolve(name)).warmUpInterval(Duration.ofMillis(50));
    }

    @Test
    void failingCheckKeepsItProvisioningAndSaysWhichAndWhy() throws Exception {
        ClusterMetadata metadata = metadata();
        AtomicBoolean cacheWarm = new AtomicBoolean();
        WarmUpCheck check = WarmUpCheck.of("cache-loaded", () -> cacheWarm.get()
                ? WarmUpCheck.Outcome.pass("cache loaded")
                : WarmUpCheck.Outcome.fail("cache holds 0 of 10 entries"));
        try (Worker worker = new Worker(config("alpha").warmUpCheck(check).build(), metadata)) {
            worker.start(HTTP);
            // The check results and the activation message are published one after the other: wait for both.
            Awaitility.await().atMost(TIMEOUT).until(() -> worker.status().warmUp().stream().anyMatch(r -> r.check().equals("cache-loaded"))
                    && worker.status().activation().contains("cache-loaded"));
            WorkerStatus status = worker.status();
            assertThat(status.state()).isEqualTo(WorkerState.PROVISIONING);
            assertThat(status.ready()).isFalse();
            assertThat(status.warmUp()).extracting(WarmUpResult::check)
                    .containsExactly("storage", "raft-server", "metadata-caught-up", "cache-loaded");
            assertThat(status.warmUp().getLast().passed()).isFalse();
            assertThat(status.activation()).isEqualTo("provisioning: warm-up check 'cache-loaded' failed: cache holds 0 of 10 entries");
            assertThat(metadata.nodes().current().findByName("alpha").orElseThrow().workerState()).isEqualTo(WorkerState.PROVISIONING);

            cacheWarm.set(true);
            Awaitility.await().atMost(TIMEOUT).until(worker::ready);
            NodeConfig node = metadata.nodes().current().findByName("alpha").orElseThrow();
            assertThat(node.workerState()).isEqualTo(WorkerState.ACTIVE);
            assertThat(node.lastStateChange().actor()).isEqualTo(Actor.NODE);
            assertThat(node.lastStateChange().reason()).contains("cache-loaded");
        }
    }

    @Test
    void workerFoundDisabledStaysDisabled() throws Exception {
        ClusterMetadata metadata = metadata();
        NodeConfig registered;
        WarmUpCheck never = WarmUpCheck.of("never", () -> WarmUpCheck.Outcome.fail("not yet"));
        try (Worker worker = new Worker(config("beta").warmUpCheck(never).build(), metadata)) {
            worker.start(HTTP);
            registered = worker.self().orElseThrow();
        }
        assertThat(metadata.nodes().transition(registered.id(), WorkerState.DISABLED, Actor.OPERATOR, "not needed", false,
                configuration -> GuardFacts.NONE, List.of()).applied()).isTrue();

        try (Worker restarted = new Worker(config("beta").build(), metadata)) {
            restarted.start(HTTP);
            assertThat(restarted.self().orElseThrow().id()).isEqualTo(registered.id().nextGeneration());
            Awaitility.await().atMost(TIMEOUT).until(() -> restarted.status().activation().startsWith("idle"));
            assertThat(restarted.status().activation()).isEqualTo("idle: the worker is disabled and does not activate itself; an operator may");
            assertThat(restarted.ready()).isFalse();
            assertThat(metadata.nodes().current().findByName("beta").orElseThrow().workerState()).isEqualTo(WorkerState.DISABLED);
        }
    }

    @Test
    void restartingWorkerWaitsForThePreviousLivenessEntry() throws Exception {
        ClusterMetadata metadata = metadata();
        InMemoryMetadataStore store = (InMemoryMetadataStore) metadata.store();
        Worker first = new Worker(config("gamma").build(), metadata);
        first.start(HTTP);
        NodeConfig firstNode = first.self().orElseThrow();
        first.halt();
        // The crashed process's entry lingers; a second process of the same name must wait for it.
        ClusterMetadata secondSession = new ClusterMetadata(store.newSession(), InstantSource.system());
        Thread expiry = Thread.ofVirtual().start(() -> {
            Awaitility.await().pollDelay(Duration.ofMillis(300)).until(() -> true);
            store.close();
        });
        try (Worker second = new Worker(config("gamma").registrationTimeout(Duration.ofSeconds(10)).build(), secondSession)) {
            second.start(HTTP);
            expiry.join();
            assertThat(second.self().orElseThrow().id()).isEqualTo(firstNode.id().nextGeneration());
        }
    }

    /**
     * The start of a graceful shutdown: not ready at once, the status says why, a second request changes nothing,
     * and a worker that leads nothing has nothing to hand over.
     */
    @Test
    void aWorkerShuttingDownIsNotReadyAndSaysSoInItsStatus() throws Exception {
        try (Worker worker = new Worker(config("delta").shutdownTimeout(Duration.ofSeconds(7)).build(), metadata())) {
            worker.start(HTTP);
            Awaitility.await().atMost(TIMEOUT).until(worker::ready);

            assertThat(worker.beginShutdown("SIGTERM")).isTrue();

            assertThat(worker.ready()).isFalse();
            ShutdownStatus shutdown = worker.status().shutdown();
            assertThat(shutdown).isNotNull();
            assertThat(shutdown.cause()).isEqualTo("SIGTERM");
            assertThat(Duration.between(shutdown.since(), shutdown.deadline())).isEqualTo(Duration.ofSeconds(7));
            assertThat(worker.status().ready()).isFalse();
            assertThat(worker.beginShutdown("asked through the admin API")).as("a second request").isFalse();
            assertThat(worker.shutdown()).hasValue(shutdown);

            HandoverReport report = worker.handOverLeaderships();
            assertThat(report.led()).isEmpty();
            assertThat(report.summary()).startsWith("led 0, moved 0 in ");
        }
    }

    @Test
    void handingOverBeforeTheShutdownBeganIsABug() throws Exception {
        try (Worker worker = new Worker(config("epsilon").build(), metadata())) {
            worker.start(HTTP);
            org.assertj.core.api.Assertions.assertThatThrownBy(worker::handOverLeaderships).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("BUG: worker epsilon hands its leaderships over before its shutdown began");
        }
    }

    @Test
    void aShutdownTimeoutOutsideItsLimitsIsRefusedWithThem() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> config("zeta").shutdownTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the shutdown timeout must be from 0s (hand no leadership over) to 10m, got PT-1S");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> config("zeta").shutdownTimeout(Duration.ofMinutes(11)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(config("zeta").shutdownTimeout(Duration.ZERO).build().shutdownTimeout()).isZero();
        assertThat(config("zeta").build().shutdownTimeout()).isEqualTo(WorkerConfig.DEFAULT_SHUTDOWN_TIMEOUT);
    }
}
