package dev.sluice.chaos;

import java.time.Duration;

/** What the nemesis can do to the cluster. Each kind is healed when its hold time ends. */
enum FaultKind {
    /** {@code kill -9} of a node chosen by the seed; healed by a restart with the same name, data and ports. */
    KILL_NODE,
    /** {@code kill -9} of the node that leads the controller; restarted like {@link #KILL_NODE}. */
    KILL_CONTROLLER_LEADER,
    /** {@code kill -9} of the node being drained (the nemesis starts a drain first if none runs); restarted. */
    KILL_DRAINING_NODE,
    /** {@code SIGSTOP} of a node for 5-30 s, as in a long GC pause; its sockets stay open. Healed by {@code SIGCONT}. */
    PAUSE_NODE,
    /** {@code SIGSTOP} of the controller leader; healed by {@code SIGCONT}. */
    PAUSE_CONTROLLER_LEADER,
    /** One node host drops every packet to and from every other host (clients in the root namespace still reach it). */
    ISOLATE_NODE,
    /** One node host's packets to the others are dropped; theirs still arrive. */
    ISOLATE_NODE_ONE_WAY,
    /** The seven hosts split into a majority of four and a minority of three that cannot reach each other. */
    SPLIT_MAJORITY_MINORITY,
    /** One node cannot reach any ZooKeeper server (nor they it), but still reaches the other nodes. */
    ISOLATE_NODE_FROM_ZOOKEEPER,
    /** {@code kill -9} of a ZooKeeper follower; restarted with its data. */
    KILL_ZOOKEEPER_FOLLOWER,
    /** {@code kill -9} of the ZooKeeper leader; restarted with its data. */
    KILL_ZOOKEEPER_LEADER,
    /**
     * A node's data directory (its own tmpfs, see {@link NodeDisks}) filled with a filler file until the filesystem
     * refuses more; healed by deleting the filler. The node must refuse writes, report itself not ready, stop its
     * Raft server, lose nothing it acknowledged, and come back once the filler is gone.
     */
    FILL_DISK,
    /**
     * {@code kill -9} of two of the three ZooKeeper servers at once: the ensemble has no quorum, so no metadata
     * is read or written and sessions cannot be renewed. Raft does not need ZooKeeper, so partitions with a
     * leader must go on taking writes. Healed by restarting both with their data.
     */
    KILL_ZOOKEEPER_MAJORITY,
    /**
     * Every TCP connection between one node and the other nodes (their Raft and HTTP ports, both directions)
     * runs through a {@link LinkProxy} that holds each chunk 50-300 ms ({@link LinkImpairment#slow()}).
     * Healed by removing the redirects and closing the proxy, so the nodes reconnect directly.
     */
    SLOW_NODE_LINKS,
    /** Like {@link #SLOW_NODE_LINKS}, but the proxy stalls and resets connections ({@link LinkImpairment#lossy()}). */
    LOSSY_NODE_LINKS;

    /** Pauses span 5-30 s as the issue asks; other faults hold 8-25 s, long enough for elections and session expiry (10 s). */
    Duration minHold() {
        return switch (this) {
            case PAUSE_NODE, PAUSE_CONTROLLER_LEADER -> Duration.ofSeconds(5);
            case KILL_NODE, KILL_CONTROLLER_LEADER, KILL_DRAINING_NODE, ISOLATE_NODE, ISOLATE_NODE_ONE_WAY, SPLIT_MAJORITY_MINORITY,
                    ISOLATE_NODE_FROM_ZOOKEEPER, KILL_ZOOKEEPER_FOLLOWER, KILL_ZOOKEEPER_LEADER -> Duration.ofSeconds(8);
            case FILL_DISK -> Duration.ofSeconds(8);
            // About 20 s as the issue asks: past the nodes' session timeout (10 s), so sessions are lost, and past their
            // metadata connection timeout (15 s), after which the admin API must answer its 503 at once.
            case KILL_ZOOKEEPER_MAJORITY -> Duration.ofSeconds(20);
            case SLOW_NODE_LINKS, LOSSY_NODE_LINKS -> Duration.ofSeconds(10);
        };
    }

    Duration maxHold() {
        return switch (this) {
            case PAUSE_NODE, PAUSE_CONTROLLER_LEADER -> Duration.ofSeconds(30);
            case KILL_NODE, KILL_CONTROLLER_LEADER, KILL_DRAINING_NODE, ISOLATE_NODE, ISOLATE_NODE_ONE_WAY, SPLIT_MAJORITY_MINORITY,
                    ISOLATE_NODE_FROM_ZOOKEEPER, KILL_ZOOKEEPER_FOLLOWER, KILL_ZOOKEEPER_LEADER -> Duration.ofSeconds(25);
            case FILL_DISK -> Duration.ofSeconds(25);
            case KILL_ZOOKEEPER_MAJORITY -> Duration.ofSeconds(25);
            // Long enough for several elections' worth of heartbeats and for resets to hit reconnected links again.
            case SLOW_NODE_LINKS, LOSSY_NODE_LINKS -> Duration.ofSeconds(30);
        };
    }

    String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /**
     * The kind with this {@link #wireName()}.
     *
     * @throws IllegalArgumentException naming every kind, if there is none
     */
    static FaultKind parse(String wireName) {
        for (FaultKind kind : values()) {
            if (kind.wireName().equals(wireName.trim())) {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown fault kind '" + wireName + "'; known: "
                + java.util.Arrays.stream(values()).map(FaultKind::wireName).collect(java.util.stream.Collectors.joining(", ")));
    }
}
