package dev.sluice.model;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One node as the nodes configuration records it: stored intent (name, roles, location, worker state)
 * plus the identity of its current incarnation. It says nothing about whether the process runs; that is
 * {@link Liveness}.
 *
 * @param incarnation a random token chosen by the process that registered this generation, so that a
 *     registration retried after a lost reply can recognise its own write
 * @param maintenance the node's latest maintenance intent, lasting or ended, or {@code null} if it never had one
 * @param cordon the operator's cordon while one holds ({@link Cordon}: no new replica or leadership), else {@code null}
 *     (since the cordon; absent in older documents, which read as not cordoned)
 * @param replacement while this worker is being replaced, by whom ({@link Replacement}), else {@code null} (since the
 *     replace; absent in older documents)
 */
public record NodeConfig(
        String name,
        GenerationalNodeId id,
        NodeAddresses addresses,
        Set<Role> roles,
        Location location,
        WorkerState workerState,
        StateChange lastStateChange,
        String incarnation,
        Maintenance maintenance,
        Cordon cordon,
        Replacement replacement) {

    /** A node without a replacement. */
    public NodeConfig(String name, GenerationalNodeId id, NodeAddresses addresses, Set<Role> roles, Location location, WorkerState workerState,
            StateChange lastStateChange, String incarnation, Maintenance maintenance, Cordon cordon) {
        this(name, id, addresses, roles, location, workerState, lastStateChange, incarnation, maintenance, cordon, null);
    }

    /** A node without a cordon. */
    public NodeConfig(String name, GenerationalNodeId id, NodeAddresses addresses, Set<Role> roles, Location location, WorkerState workerState,
            StateChange lastStateChange, String incarnation, Maintenance maintenance) {
        this(name, id, addresses, roles, location, workerState, lastStateChange, incarnation, maintenance, null);
    }

    /** Names are what operators type; a name must never be mistaken for a plain id. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final Pattern LOOKS_LIKE_ID = Pattern.compile("[Nn]?[0-9]+");

    public NodeConfig {
        requireValidName(name);
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(addresses, "addresses");
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(workerState, "workerState");
        Objects.requireNonNull(lastStateChange, "lastStateChange");
        if (roles == null || roles.isEmpty()) {
            throw new IllegalArgumentException("node '" + name + "' must have at least one role");
        }
        roles = Set.copyOf(EnumSet.copyOf(roles));
        incarnation = incarnation == null ? "" : incarnation;
    }

    /**
     * Checks that {@code name} is usable as a node name.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static String requireValidName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid node name '" + name
                    + "': use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        if (LOOKS_LIKE_ID.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid node name '" + name + "': it reads like a node id; pick a name with letters");
        }
        return name;
    }

    public NodeId nodeId() {
        return id.id();
    }

    public boolean hasRole(Role role) {
        return roles.contains(role);
    }

    public boolean isWorker() {
        return roles.contains(Role.WORKER);
    }

    public NodeConfig withWorkerState(WorkerState state, StateChange change) {
        return new NodeConfig(name, id, addresses, roles, location, state, change, incarnation, maintenance, cordon, replacement);
    }

    public NodeConfig withMaintenance(Maintenance value) {
        return new NodeConfig(name, id, addresses, roles, location, workerState, lastStateChange, incarnation, value, cordon, replacement);
    }

    /** This node with {@code value} as its cordon, or without one for {@code null}. */
    public NodeConfig withCordon(Cordon value) {
        return new NodeConfig(name, id, addresses, roles, location, workerState, lastStateChange, incarnation, maintenance, value, replacement);
    }

    /** This node with {@code value} as its replacement, or without one for {@code null}. */
    public NodeConfig withReplacement(Replacement value) {
        return new NodeConfig(name, id, addresses, roles, location, workerState, lastStateChange, incarnation, maintenance, cordon, value);
    }

    /** Whether an operator cordoned this node: it receives no new replica and no new leadership. */
    @com.fasterxml.jackson.annotation.JsonIgnore // derived from cordon, which is what is stored
    public boolean isCordoned() {
        return cordon != null;
    }

    /** Whether a maintenance intent holds for this node at {@code now}. */
    public boolean inMaintenanceAt(java.time.Instant now) {
        return maintenance != null && maintenance.activeAt(now);
    }
}
