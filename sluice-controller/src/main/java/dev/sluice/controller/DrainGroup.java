package dev.sluice.controller;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.NodeId;
import dev.sluice.model.Version;
import dev.sluice.model.WireNames;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A drain of several workers (or of a zone, or of one worker with a deadline) as one operation, as the cluster
 * stores it ({@code controller/drain-groups/<id>}). It is created in the same atomic commit as the write of the
 * nodes configuration that makes its members draining — all of them, up to
 * {@link dev.sluice.model.NodesChange.TransitionWorkers#MAX_MEMBERS}; of a larger group the first
 * {@link #FIRST_WRITE_MEMBERS}, the others {@link #pending} — so a group exists exactly when its members began draining;
 * the controller leader makes the pending members draining, a write at a time, ends it (every member disabled, or taken
 * out of the drain) and records whether its deadline is at risk, under its fence; an operator's cancel ends it in the
 * same commit as the write that makes its members active again (the controller returns those beyond one write).
 * Everything about it survives a controller failover. Immutable.
 *
 * @param id unique per group ({@code d-} and 8 hex digits); each member's state change carries {@link #requestId()}
 * @param zone the zone the operator named, or {@code null} when the workers were named
 * @param deadline when the operator wants the drain done, or {@code null}; it changes nothing but what is reported
 * @param drainVersion the nodes-configuration version that made every member draining
 * @param credential the API credential that asked, or {@code null}
 * @param atRisk whether the controller last reported the deadline at risk (or overdue), so a new controller leader
 *     does not report it again
 * @param pending members whose change of state the controller has still to write, in order: to draining while the
 *     group runs, back to active once it is cancelled (empty when none; absent from documents before it)
 */
public record DrainGroup(
        String id,
        String reason,
        String zone,
        List<Member> members,
        Instant deadline,
        Instant startedAt,
        Version drainVersion,
        String credential,
        State state,
        Instant endedAt,
        boolean atRisk,
        Instant updatedAt,
        List<NodeId> pending) {

    /**
     * The most workers one group may name. Its document lists them all (about 100 bytes each) and must stay well under the
     * store's 1 MB a value: a zone of a 10,000-worker cluster in three zones fits.
     */
    public static final int MAX_MEMBERS = 4_096;
    /**
     * How many members of a group larger than one write allows the request itself makes draining, in the commit that
     * creates the document; the controller writes the others. Fewer than a full write, as the same commit carries the
     * document listing every member.
     */
    public static final int FIRST_WRITE_MEMBERS = 64;
    /**
     * What one ZooKeeper request may carry (its {@code jute.maxbuffer}, 1 MiB, less room for paths and the fence) and what
     * one member's change of state adds to it at most (its node's document, audit record and event, each with the
     * reason): a write of members together with the group's document takes as many as fit.
     */
    static final int REQUEST_BYTES_MAX = 950_000;
    static final int MEMBER_WRITE_BYTES_MAX = 3_500;

    /**
     * How many members' changes of state may go in one write with a document of {@code documentBytes}: one write's worth
     * ({@link dev.sluice.model.NodesChange.TransitionWorkers#MAX_MEMBERS}) unless the document (a group of thousands lists
     * every member) leaves less room, and at least 16.
     */
    static int membersPerWrite(int documentBytes) {
        int fit = (REQUEST_BYTES_MAX - documentBytes) / MEMBER_WRITE_BYTES_MAX;
        return Math.max(16, Math.min(dev.sluice.model.NodesChange.TransitionWorkers.MAX_MEMBERS, fit));
    }

    public DrainGroup {
        Objects.requireNonNull(id, "id");
        reason = reason == null ? "" : reason;
        members = List.copyOf(members);
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(drainVersion, "drainVersion");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(updatedAt, "updatedAt");
        if (members.isEmpty()) {
            throw new IllegalArgumentException("a drain group has at least one member");
        }
        pending = pending == null ? List.of() : List.copyOf(pending);
    }

    /** One worker of the group, as it was when the group began. */
    public record Member(NodeId node, String name, GenerationalNodeId incarnation) {
        public Member {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(incarnation, "incarnation");
        }
    }

    /** Where a group stands. */
    public enum State {
        RUNNING,
        /** Every member ended disabled, or (some) were taken out of the drain one by one. */
        COMPLETED,
        /** An operator cancelled the group: its members still draining went back to active. */
        CANCELLED;

        public boolean ended() {
            return switch (this) {
                case RUNNING -> false;
                case COMPLETED, CANCELLED -> true;
            };
        }

        @JsonValue
        public String wireName() {
            return WireNames.of(this);
        }

        @JsonCreator
        public static State parse(String text) {
            return WireNames.parse(State.class, "drain group state", text);
        }

        @Override
        public String toString() {
            return wireName();
        }
    }

    /** The request id every member's state change carries. */
    public String requestId() {
        return "drain-group-" + id;
    }

    public List<NodeId> nodes() {
        return members.stream().map(Member::node).toList();
    }

    DrainGroup ended(State how, Instant now) {
        return new DrainGroup(id, reason, zone, members, deadline, startedAt, drainVersion, credential, how, now, atRisk, now, pending);
    }

    DrainGroup withAtRisk(boolean value, Instant now) {
        return new DrainGroup(id, reason, zone, members, deadline, startedAt, drainVersion, credential, state, endedAt, value, now, pending);
    }

    DrainGroup withPending(List<NodeId> value, Instant now) {
        return new DrainGroup(id, reason, zone, members, deadline, startedAt, drainVersion, credential, state, endedAt, atRisk, now, value);
    }
}
