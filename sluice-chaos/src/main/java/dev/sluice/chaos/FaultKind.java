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
    FILL_DISK;

    /** Pauses span 5-30 s as the issue asks; other faults hold 8-25 s, long enough for elections and session expiry (10 s). */
    Duration minHold() {
        return switch (this) {
            case PAUSE_NODE, PAUSE_CONTROLLER_LEADER -> Duration.ofSeconds(5);
            case KILL_NODE, KILL_CONTROLLER_LEADER, KILL_DRAINING_NODE, ISOLATE_NODE, ISOLATE_NODE_ONE_WAY, SPLIT_MAJORITY_MINORITY,
                    ISOLATE_NODE_FROM_ZOOKEEPER, KILL_ZOOKEEPER_FOLLOWER, KILL_ZOOKEEPER_LEADER -> Duration.ofSeconds(8);
            case FILL_DISK -> Duration.ofSeconds(8);
        };
    }

    Duration maxHold() {
        return switch (this) {
            case PAUSE_NODE, PAUSE_CONTROLLER_LEADER -> Duration.ofSeconds(30);
            case KILL_NODE, KILL_CONTROLLER_LEADER, KILL_DRAINING_NODE, ISOLATE_NODE, ISOLATE_NODE_ONE_WAY, SPLIT_MAJORITY_MINORITY,
                    ISOLATE_NODE_FROM_ZOOKEEPER, KILL_ZOOKEEPER_FOLLOWER, KILL_ZOOKEEPER_LEADER -> Duration.ofSeconds(25);
            case FILL_DISK -> Duration.ofSeconds(25);
        };
    }

    String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /** Names the system property that restricts a run to some kinds: {@code -Dsluice.chaos.kinds=fill-disk,kill-node}. */
    static final String KINDS_PROPERTY = "sluice.chaos.kinds";

    /**
     * The kinds a run deals from: those named in {@link #KINDS_PROPERTY} (comma-separated wire names), or every kind
     * when it is not set.
     *
     * @throws IllegalArgumentException naming the known kinds when a name is not one
     */
    static java.util.List<FaultKind> chosen() {
        return parse(System.getProperty(KINDS_PROPERTY, ""));
    }

    static java.util.List<FaultKind> parse(String names) {
        java.util.List<FaultKind> kinds = new java.util.ArrayList<>();
        for (String name : names.split(",")) {
            if (name.isBlank()) {
                continue;
            }
            FaultKind kind = java.util.Arrays.stream(values()).filter(k -> k.wireName().equals(name.trim())).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown fault kind '" + name.trim() + "' in " + KINDS_PROPERTY + "; known: "
                            + java.util.Arrays.stream(values()).map(FaultKind::wireName).toList()));
            if (!kinds.contains(kind)) {
                kinds.add(kind);
            }
        }
        return kinds.isEmpty() ? java.util.List.of(values()) : java.util.List.copyOf(kinds);
    }
}
