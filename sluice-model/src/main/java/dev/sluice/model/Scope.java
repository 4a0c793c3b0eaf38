package dev.sluice.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Set;

/**
 * What a credential may do on a node's HTTP routes. The operator scopes nest — {@link #ADMIN} may do what
 * {@link #OPERATE} may, which may do what {@link #READ} may — because an on-call who may drain a worker must
 * see the worker they drain, and an administrator must be able to do what an on-call does. {@link #DATA} stands
 * apart: an application that reads and writes keys needs none of the cluster's controls, and an operator's
 * credential leaking into an application (or the other way round) should not widen either.
 */
public enum Scope {
    /** Reads the admin API: the cluster, nodes, partitions, drains, rollouts, events, and the worker status. */
    READ,
    /**
     * What an on-call does: drain and cancel a drain, activate, maintenance, rolling restarts, a graceful
     * shutdown; plus everything {@link #READ} may. Nothing forced.
     */
    OPERATE,
    /**
     * Everything {@link #OPERATE} may, and what can lose data or availability: any forced change (a forced
     * disable, a forced maintenance), removal, settings.
     */
    ADMIN,
    /** The data API: reads and writes of keys and the routing a client needs to send them. */
    DATA;

    /** Whether a credential holding this scope may do what {@code needed} allows. */
    public boolean grants(Scope needed) {
        return switch (this) {
            case READ -> needed == READ;
            case OPERATE -> needed == READ || needed == OPERATE;
            case ADMIN -> needed == READ || needed == OPERATE || needed == ADMIN;
            case DATA -> needed == DATA;
        };
    }

    /** Whether any of {@code held} grants {@code needed}. */
    public static boolean anyGrants(Collection<Scope> held, Scope needed) {
        return held.stream().anyMatch(scope -> scope.grants(needed));
    }

    /** Every scope {@code held} grants, the implied ones included: what a credential may actually do. */
    public static Set<Scope> effective(Collection<Scope> held) {
        Set<Scope> granted = EnumSet.noneOf(Scope.class);
        for (Scope candidate : values()) {
            if (anyGrants(held, candidate)) {
                granted.add(candidate);
            }
        }
        return granted;
    }

    @JsonValue
    public String wireName() {
        return WireNames.of(this);
    }

    @JsonCreator
    public static Scope parse(String text) {
        return WireNames.parse(Scope.class, "scope", text);
    }

    @Override
    public String toString() {
        return wireName();
    }
}
