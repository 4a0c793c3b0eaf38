package dev.sluice.worker;

import dev.sluice.raft.RatisSettings;
import dev.sluice.raft.TransferRate;
import dev.sluice.model.Location;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.Role;
import dev.sluice.security.TlsMaterial;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * How one worker runs: its identity, where it keeps data and listens for Raft, its partition logic and
 * its limits. Build with {@link #builder(String, String, Path)}; every option is checked when set.
 *
 * @param raftPort the Raft port; 0 picks a free one at start (a restart must reuse the same port,
 *     because the peers' group configurations record it)
 * @param registrationTimeout how long a restarting worker retries registration while its previous
 *     process's liveness entry still exists (it lives until that process's metadata session expires)
 * @param resyncInterval how often the reconciler re-reads every placement even without a notification
 * @param warmUpInterval how often a Provisioning worker re-runs its warm-up checks
 * @param removalDelay how long a group the worker left stays before its data is deleted
 * @param diskSpaceRule the free space the data directory must keep (docs/worker.md, "Disk space")
 * @param diskCheckInterval how often the data directory's free space is measured
 * @param shutdownTimeout how long a graceful shutdown may spend handing this node's leaderships to other members
 *     before it closes the groups anyway (docs/operations.md, "Graceful shutdown"); zero hands nothing over
 * @param tls the node's TLS material (since issue 15): with it the node serves HTTPS, advertises {@code https://}
 *     and presents its certificate when it calls other nodes; empty serves and calls plain HTTP
 * @param maxTransferBytesPerSecond the byte rate at which the worker takes in catch-up traffic (snapshots and
 *     committed log entries for its new replicas) until an operator's stored setting says otherwise;
 *     {@link TransferRate#UNLIMITED} for none
 */
public record WorkerConfig(
        String nodeName,
        String clusterName,
        Path dataDirectory,
        String raftHost,
        int raftPort,
        Location location,
        Set<Role> roles,
        RatisSettings ratis,
        PartitionLogic.Factory logic,
        List<WarmUpCheck> extraWarmUpChecks,
        Duration registrationTimeout,
        Duration resyncInterval,
        Duration warmUpInterval,
        Duration dataTimeout,
        InstantSource clock,
        DiskSpaceRule diskSpaceRule,
        Duration diskCheckInterval,
        Duration shutdownTimeout,
        Optional<TlsMaterial> tls,
        long maxTransferBytesPerSecond) {

    public WorkerConfig {
        NodeConfig.requireValidName(nodeName);
        Objects.requireNonNull(clusterName, "clusterName");
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        Objects.requireNonNull(raftHost, "raftHost");
        if (raftPort < 0 || raftPort > 65535) {
            throw new IllegalArgumentException("raft port must be 0..65535, got " + raftPort);
        }
        Objects.requireNonNull(location, "location");
        roles = Set.copyOf(roles);
        if (!roles.contains(Role.WORKER)) {
            throw new IllegalArgumentException("a worker's roles must include " + Role.WORKER + ", got " + roles);
        }
        Objects.requireNonNull(ratis, "ratis");
        Objects.requireNonNull(logic, "logic");
        extraWarmUpChecks = List.copyOf(extraWarmUpChecks);
        positive("registration timeout", registrationTimeout);
        positive("resync interval", resyncInterval);
        positive("warm-up interval", warmUpInterval);
        positive("data timeout", dataTimeout);
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(diskSpaceRule, "diskSpaceRule");
        positive("disk check interval", diskCheckInterval);
        requireValidShutdownTimeout(shutdownTimeout);
        Objects.requireNonNull(tls, "tls");
        TransferRate.validate(maxTransferBytesPerSecond);
    }

    /**
     * How long a graceful shutdown hands leaderships over by default. A transfer took 130–430 ms when measured and
     * they run in parallel, so this waits only for a member that is slow to catch up; it leaves a supervisor that
     * allows 30 s (Kubernetes' default termination grace period) ten seconds to close the groups and the session.
     */
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(20);
    /** The longest shutdown timeout accepted: a node that needs longer to hand over its leaderships is stuck, not slow. */
    public static final Duration SHUTDOWN_TIMEOUT_MAX = Duration.ofMinutes(10);

    /**
     * Returns {@code timeout} if it is a valid shutdown timeout: zero (hand nothing over, stop at once as before
     * graceful shutdown) up to {@link #SHUTDOWN_TIMEOUT_MAX}.
     *
     * @throws IllegalArgumentException naming the limits otherwise
     */
    public static Duration requireValidShutdownTimeout(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.compareTo(SHUTDOWN_TIMEOUT_MAX) > 0) {
            throw new IllegalArgumentException("the shutdown timeout must be from 0s (hand no leadership over) to "
                    + SHUTDOWN_TIMEOUT_MAX.toMinutes() + "m, got " + timeout);
        }
        return timeout;
    }

    /**
     * A free-space measurement is one {@code statfs} call, so checking often costs nothing; once a second
     * bounds what a follower can append between two checks, and a write that fails for lack of space is
     * acted on at once anyway.
     */
    public static final Duration DEFAULT_DISK_CHECK_INTERVAL = Duration.ofSeconds(1);

    public static Builder builder(String nodeName, String clusterName, Path dataDirectory) {
        return new Builder(nodeName, clusterName, dataDirectory);
    }

    public WorkerConfig withRaftPort(int port) {
        return new WorkerConfig(nodeName, clusterName, dataDirectory, raftHost, port, location, roles, ratis, logic, extraWarmUpChecks,
                registrationTimeout, resyncInterval, warmUpInterval, dataTimeout, clock, diskSpaceRule, diskCheckInterval, shutdownTimeout, tls,
                maxTransferBytesPerSecond);
    }

    private static void positive(String what, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, got " + value);
        }
    }

    /** Collects the options; {@link #build()} validates them together. */
    public static final class Builder {
        private final String nodeName;
        private final String clusterName;
        private final Path dataDirectory;
        private String raftHost = "127.0.0.1";
        private int raftPort;
        private Location location = Location.DEFAULT;
        private Set<Role> roles = EnumSet.of(Role.WORKER);
        private RatisSettings ratis = RatisSettings.defaults();
        private PartitionLogic.Factory logic = KeyValueLogic.factory();
        private final List<WarmUpCheck> checks = new ArrayList<>();
        private Duration registrationTimeout = Duration.ofSeconds(30);
        private Duration resyncInterval = Duration.ofSeconds(10);
        private Duration warmUpInterval = Duration.ofMillis(500);
        private Duration dataTimeout = Duration.ofSeconds(10);
        private InstantSource clock = InstantSource.system();
        private DiskSpaceRule diskSpaceRule = DiskSpaceRule.defaults();
        private Duration diskCheckInterval = DEFAULT_DISK_CHECK_INTERVAL;
        private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
        private Optional<TlsMaterial> tls = Optional.empty();
        private long maxTransferBytesPerSecond = TransferRate.UNLIMITED;

        private Builder(String nodeName, String clusterName, Path dataDirectory) {
            this.nodeName = NodeConfig.requireValidName(nodeName);
            this.clusterName = Objects.requireNonNull(clusterName, "clusterName");
            this.dataDirectory = Objects.requireNonNull(dataDirectory, "dataDirectory");
        }

        public Builder raft(String host, int port) {
            this.raftHost = Objects.requireNonNull(host, "host");
            this.raftPort = port;
            return this;
        }

        public Builder location(Location location) {
            this.location = Objects.requireNonNull(location, "location");
            return this;
        }

        public Builder roles(Set<Role> roles) {
            this.roles = Set.copyOf(roles);
            return this;
        }

        public Builder ratis(RatisSettings settings) {
            this.ratis = Objects.requireNonNull(settings, "settings");
            return this;
        }

        public Builder logic(PartitionLogic.Factory factory) {
            this.logic = Objects.requireNonNull(factory, "factory");
            return this;
        }

        /** Adds a warm-up check that runs after the built-in ones. */
        public Builder warmUpCheck(WarmUpCheck check) {
            this.checks.add(Objects.requireNonNull(check, "check"));
            return this;
        }

        public Builder registrationTimeout(Duration timeout) {
            this.registrationTimeout = timeout;
            return this;
        }

        public Builder resyncInterval(Duration interval) {
            this.resyncInterval = interval;
            return this;
        }

        public Builder warmUpInterval(Duration interval) {
            this.warmUpInterval = interval;
            return this;
        }

        /**
         * The longest a data request waits for its commit or read before answering 504 (default 10 s); a caller's
         * {@code X-Sluice-Timeout-Millis} shortens it to 80% of what the caller waits.
         */
        public Builder dataTimeout(Duration timeout) {
            this.dataTimeout = timeout;
            return this;
        }

        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The free space the data directory must keep; default {@link DiskSpaceRule#defaults()}. */
        public Builder diskSpaceRule(DiskSpaceRule rule) {
            this.diskSpaceRule = Objects.requireNonNull(rule, "rule");
            return this;
        }

        /** How often the data directory's free space is measured; default {@link #DEFAULT_DISK_CHECK_INTERVAL}. */
        public Builder diskCheckInterval(Duration interval) {
            this.diskCheckInterval = interval;
            return this;
        }

        /**
         * How long a graceful shutdown may spend handing leaderships over; default {@link #DEFAULT_SHUTDOWN_TIMEOUT}.
         *
         * @throws IllegalArgumentException if it is negative or above {@link #SHUTDOWN_TIMEOUT_MAX}
         */
        public Builder shutdownTimeout(Duration timeout) {
            this.shutdownTimeout = requireValidShutdownTimeout(timeout);
            return this;
        }

        /** The node's TLS material; without it (the default) the node serves and calls plain HTTP. */
        public Builder tls(TlsMaterial material) {
            this.tls = Optional.of(material);
            return this;
        }

        /** The catch-up byte rate the worker starts with ({@link TransferRate#UNLIMITED} for none). */
        public Builder maxTransferBytesPerSecond(long bytesPerSecond) {
            this.maxTransferBytesPerSecond = TransferRate.validate(bytesPerSecond);
            return this;
        }

        public WorkerConfig build() {
            return new WorkerConfig(nodeName, clusterName, dataDirectory, raftHost, raftPort, location, roles, ratis, logic, checks,
                    registrationTimeout, resyncInterval, warmUpInterval, dataTimeout, clock, diskSpaceRule, diskCheckInterval, shutdownTimeout, tls,
                    maxTransferBytesPerSecond);
        }
    }
}
