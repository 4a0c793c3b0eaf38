package dev.sluice.worker;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.NodesConfigurationStore;
import dev.sluice.model.Actor;
import dev.sluice.model.GuardFacts;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.WorkerState;
import dev.sluice.wire.DiskStatus;
import dev.sluice.wire.WarmUpResult;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.util.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warm-up and self-activation: while the node's stored state is Provisioning it runs the warm-up checks
 * (built in: {@code storage}, {@code raft-server}, {@code metadata-caught-up}; then the configured ones)
 * and, once all pass, moves the node to Active with a compare-and-set keyed on its generational id. A node
 * found Draining or Disabled is left so: only an operator reactivates it. Owns the last check results and
 * the activation message the status shows.
 */
final class WarmUp {

    private static final Logger log = LoggerFactory.getLogger(WarmUp.class);

    /** How long the raft-server check waits for its own port to accept a connection. */
    static final Duration PORT_PROBE_TIMEOUT = Duration.ofSeconds(1);

    private final WorkerConfig config;
    private final ClusterMetadata metadata;
    private final NodeIdentity identity;
    private final Supplier<RaftServer> server;
    private final IntSupplier raftPort;
    private final BooleanSupplier running;
    private final ReconcileLoop placements;
    private final Supplier<DiskStatus> disk;
    private final AtomicBoolean activating = new AtomicBoolean();

    private volatile List<WarmUpResult> results = List.of();
    private volatile String activation = "not started";

    WarmUp(WorkerConfig config, ClusterMetadata metadata, NodeIdentity identity, Supplier<RaftServer> server, IntSupplier raftPort,
            BooleanSupplier running, ReconcileLoop placements, Supplier<DiskStatus> disk) {
        this.config = config;
        this.metadata = metadata;
        this.identity = identity;
        this.server = server;
        this.raftPort = raftPort;
        this.running = running;
        this.placements = placements;
        this.disk = disk;
    }

    List<WarmUpResult> results() {
        return results;
    }

    String activation() {
        return activation;
    }

    /** One round, every warm-up interval: what to do depends on the stored state only. */
    void pass() {
        try {
            NodeConfig mine = identity.self();
            if (!running.getAsBoolean() || mine == null || identity.superseded()) {
                return;
            }
            WorkerState state = mine.workerState();
            switch (state) {
                case PROVISIONING -> runChecks(mine);
                case ACTIVE -> activation = "active";
                case DRAINING, DISABLED -> activation = "idle: the worker is " + state + " and does not activate itself; an operator may";
            }
        } catch (RuntimeException unexpected) {
            log.warn("{}: warm-up pass failed: {}", config.nodeName(), unexpected.toString());
            activation = "warm-up pass failed: " + unexpected.getMessage();
        }
    }

    private void runChecks(NodeConfig mine) {
        List<WarmUpResult> now = new ArrayList<>();
        WarmUpResult firstFailure = null;
        for (WarmUpCheck check : checks()) {
            WarmUpCheck.Outcome outcome;
            try {
                outcome = check.run();
            } catch (Exception failed) {
                outcome = WarmUpCheck.Outcome.fail(failed.getClass().getSimpleName() + ": " + failed.getMessage());
            }
            WarmUpResult result = new WarmUpResult(check.name(), outcome.passed(), outcome.detail(), config.clock().instant());
            now.add(result);
            if (!outcome.passed() && firstFailure == null) {
                firstFailure = result;
            }
        }
        List<WarmUpResult> previous = results;
        results = List.copyOf(now);
        if (firstFailure != null) {
            WarmUpResult failure = firstFailure;
            boolean changed = previous.stream().noneMatch(r -> r.check().equals(failure.check()) && !r.passed() && r.detail().equals(failure.detail()));
            if (changed) {
                log.warn("{} stays provisioning: warm-up check '{}' failed: {}", mine.id(), failure.check(), failure.detail());
            }
            activation = "provisioning: warm-up check '" + failure.check() + "' failed: " + failure.detail();
            return;
        }
        activate(mine);
    }

    private void activate(NodeConfig mine) {
        if (!activating.compareAndSet(false, true)) {
            return;
        }
        try {
            String reason = "warm-up checks passed: " + String.join(", ", results.stream().map(WarmUpResult::check).toList());
            NodesConfigurationStore.Update update = metadata.nodes().transition(mine.id(), WorkerState.ACTIVE, Actor.NODE, reason, false,
                    configuration -> GuardFacts.NONE, List.of());
            if (update.succeeded()) {
                identity.written(update.configuration());
                activation = "active: " + reason;
                log.info("{} activated itself ({})", mine.id(), reason);
            } else {
                String refusal = update.refusal().map(r -> r.kind() + ": " + r.message()).orElse("refused");
                activation = "activation refused: " + refusal;
                log.warn("{} could not activate itself: {}", mine.id(), refusal);
            }
        } catch (RuntimeException failed) {
            activation = "activation failed: " + failed.getMessage();
            log.warn("{} could not activate itself: {}", mine.id(), failed.toString());
        } finally {
            activating.set(false);
        }
    }

    private List<WarmUpCheck> checks() {
        List<WarmUpCheck> checks = new ArrayList<>();
        checks.add(WarmUpCheck.of("storage", this::checkStorage));
        checks.add(WarmUpCheck.of("raft-server", this::checkRaftServer));
        checks.add(WarmUpCheck.of("metadata-caught-up", this::checkMetadataCaughtUp));
        checks.addAll(config.extraWarmUpChecks());
        return checks;
    }

    private WarmUpCheck.Outcome checkStorage() throws IOException {
        Path directory = config.dataDirectory();
        if (!Files.isDirectory(directory)) {
            return WarmUpCheck.Outcome.fail("data directory " + directory + " does not exist");
        }
        Path probe = directory.resolve(".warm-up-probe");
        byte[] token = ("probe " + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
        Files.write(probe, token, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
        try {
            if (!Arrays.equals(Files.readAllBytes(probe), token)) {
                return WarmUpCheck.Outcome.fail("data directory " + directory + " did not read back what was written");
            }
        } finally {
            Files.deleteIfExists(probe);
        }
        // The disk rule's verdict, so a worker does not activate itself only to refuse writes at once.
        DiskStatus space = disk.get();
        if (!space.state().takesWrites()) {
            return WarmUpCheck.Outcome.fail(space.detail());
        }
        return WarmUpCheck.Outcome.pass(directory + " is writable, " + DiskSpaceRule.describeBytes(space.freeBytes()) + " free (floor "
                + DiskSpaceRule.describeBytes(space.floorBytes()) + ")");
    }

    private WarmUpCheck.Outcome checkRaftServer() {
        RaftServer current = server.get();
        if (current == null || current.getLifeCycleState() != LifeCycle.State.RUNNING) {
            return WarmUpCheck.Outcome.fail("the Raft server is " + (current == null ? "not created" : current.getLifeCycleState()));
        }
        int port = raftPort.getAsInt();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(config.raftHost(), port), (int) PORT_PROBE_TIMEOUT.toMillis());
        } catch (IOException refused) {
            return WarmUpCheck.Outcome.fail("the Raft server does not accept connections on " + config.raftHost() + ":" + port + ": " + refused.getMessage());
        }
        return WarmUpCheck.Outcome.pass("listening on " + config.raftHost() + ":" + port);
    }

    private WarmUpCheck.Outcome checkMetadataCaughtUp() {
        long stored = metadata.nodes().read().configuration().version().value();
        long seen = identity.nodes().version().value();
        if (seen < stored) {
            return WarmUpCheck.Outcome.fail("has seen nodes configuration v" + seen + " but the store holds v" + stored);
        }
        dev.sluice.wire.PlacementLoad load = placements.load();
        if (!placements.initialized()) {
            return WarmUpCheck.Outcome.fail("has not read the placements yet" + (load == null ? "" : ": waiting for " + load.waitingFor()));
        }
        return WarmUpCheck.Outcome.pass("at nodes configuration v" + seen + ", " + placements.placementCount() + " placements read"
                + (load != null && load.source().equals(dev.sluice.wire.PlacementLoad.SOURCE_INDEX) ? " through its index" : ""));
    }
}
