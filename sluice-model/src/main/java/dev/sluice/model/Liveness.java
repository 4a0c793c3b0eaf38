package dev.sluice.model;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Soft state: which node processes are running, as last observed, and since when the others have been
 * seen dead. Never stored as intent; rebuilt from liveness entries after a controller failover. A node
 * without an entry has never been seen alive by the observer and counts as dead since the observer
 * started ({@code observedSince}).
 */
public final class Liveness {

    private final Map<NodeId, Instant> deadSince;
    private final java.util.Set<NodeId> alive;
    private final Instant observedSince;

    private Liveness(java.util.Set<NodeId> alive, Map<NodeId, Instant> deadSince, Instant observedSince) {
        // Copied into id-indexed collections: the scheduler asks about every worker every pass (see NodeIdSet).
        this.alive = NodeIdSet.copyOf(alive);
        NodeIdMap<Instant> dead = new NodeIdMap<>();
        deadSince.forEach((node, since) -> {
            if (this.alive.contains(node)) {
                throw new IllegalArgumentException(node + " cannot be alive and dead");
            }
            dead.put(node, Objects.requireNonNull(since, "deadSince"));
        });
        this.deadSince = dead;
        this.observedSince = Objects.requireNonNull(observedSince, "observedSince");
    }

    public static Liveness of(java.util.Set<NodeId> alive, Map<NodeId, Instant> deadSince, Instant observedSince) {
        return new Liveness(alive, deadSince, observedSince);
    }

    /** Everyone in {@code alive} runs; everyone else is dead since {@code observedSince}. */
    public static Liveness allAlive(java.util.Set<NodeId> alive, Instant observedSince) {
        return new Liveness(alive, Map.of(), observedSince);
    }

    public boolean isAlive(NodeId node) {
        return alive.contains(node);
    }

    /** When the node was first seen dead, or empty if it is alive. */
    public Optional<Instant> deadSince(NodeId node) {
        if (alive.contains(node)) {
            return Optional.empty();
        }
        return Optional.of(deadSince.getOrDefault(node, observedSince));
    }

    /** Whether the node has been dead for longer than {@code grace} at {@code now}. */
    public boolean deadLongerThan(NodeId node, Duration grace, Instant now) {
        return deadSince(node).map(since -> Duration.between(since, now).compareTo(grace) > 0).orElse(false);
    }

    public java.util.Set<NodeId> aliveNodes() {
        return java.util.Collections.unmodifiableSet(alive);
    }

    public Map<NodeId, Instant> deadNodes() {
        return java.util.Collections.unmodifiableMap(new TreeMap<>(deadSince));
    }

    public Instant observedSince() {
        return observedSince;
    }

    public Liveness withAlive(NodeId node) {
        java.util.Set<NodeId> nowAlive = new java.util.HashSet<>(alive);
        nowAlive.add(node);
        Map<NodeId, Instant> nowDead = new java.util.HashMap<>(deadSince);
        nowDead.remove(node);
        return new Liveness(nowAlive, nowDead, observedSince);
    }

    public Liveness withDead(NodeId node, Instant since) {
        java.util.Set<NodeId> nowAlive = new java.util.HashSet<>(alive);
        nowAlive.remove(node);
        Map<NodeId, Instant> nowDead = new java.util.HashMap<>(deadSince);
        nowDead.putIfAbsent(node, since);
        return new Liveness(nowAlive, nowDead, observedSince);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Liveness that && alive.equals(that.alive) && deadSince.equals(that.deadSince)
                && observedSince.equals(that.observedSince);
    }

    @Override
    public int hashCode() {
        return Objects.hash(alive, deadSince, observedSince);
    }

    @Override
    public String toString() {
        return "Liveness{alive=" + new java.util.TreeSet<>(alive) + ", dead=" + new TreeMap<>(deadSince) + "}";
    }
}
