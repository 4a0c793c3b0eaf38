package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.EphemeralKey;
import dev.sluice.metadata.ForwardingMetadataStore;
import dev.sluice.metadata.InMemoryMetadataStore;
import dev.sluice.metadata.LeaderElection;
import dev.sluice.metadata.LogEntry;
import dev.sluice.metadata.MetadataStore;
import dev.sluice.metadata.MetadataUnavailableException;
import dev.sluice.metadata.Op;
import dev.sluice.metadata.Precondition;
import dev.sluice.metadata.Versioned;
import dev.sluice.metadata.Watch;
import dev.sluice.metadata.WatchListener;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A node that starts while ZooKeeper has no quorum: its controller must join the election once the store
 * answers, not fail the node's start. A chaos run found a node restarted during a quorum loss exiting with
 * status 1 because joining the election threw.
 */
class ClusterControllerStartTest {

    @Test
    void aControllerThatCannotReachTheStoreAtStartJoinsTheElectionOnceItAnswers() {
        InMemoryMetadataStore backing = new InMemoryMetadataStore();
        AtomicInteger refusalsLeft = new AtomicInteger(2);
        AtomicInteger attempts = new AtomicInteger();
        MetadataStore unreachableAtFirst = new ElectionRefusingStore(backing, () -> {
            attempts.incrementAndGet();
            if (refusalsLeft.getAndDecrement() > 0) {
                throw new MetadataUnavailableException("ZooKeeper has no quorum (test)", null);
            }
        });
        ClusterMetadata metadata = new ClusterMetadata(unreachableAtFirst, InstantSource.system());
        try (ClusterController controller = new ClusterController(metadata, new SimulatedDataPlane(1), ControllerConfig.DEFAULTS,
                InstantSource.system(), "node-1", new ControllerMetrics(new SimpleMeterRegistry()))) {
            assertThatCode(controller::start).as("start while the store cannot be reached").doesNotThrowAnyException();
            assertThat(controller.isLeader()).isFalse();
            await("the controller leads once the store answers").atMost(Duration.ofSeconds(30)).until(controller::isLeader);
            assertThat(attempts.get()).isEqualTo(3);
        }
    }

    /** Delegates everything; runs {@code beforeElect} (which may throw) before each election. */
    private static final class ElectionRefusingStore extends ForwardingMetadataStore {
        private final Runnable beforeElect;

        ElectionRefusingStore(MetadataStore delegate, Runnable beforeElect) {
            super(delegate);
            this.beforeElect = beforeElect;
        }

        @Override
        public Watch watch(String key, boolean recursive, int valueBytesMax, WatchListener listener) {
            return delegate.watch(key, recursive, valueBytesMax, listener);
        }

        @Override
        public LeaderElection elect(String key, String participantId) {
            beforeElect.run();
            return delegate.elect(key, participantId);
        }
    }
}
