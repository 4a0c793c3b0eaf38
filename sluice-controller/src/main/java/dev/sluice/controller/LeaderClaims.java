package dev.sluice.controller;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.wire.ReplicaRole;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Which workers' reports say they lead which partition, and so each partition's observed leader: the claim of the
 * highest term (two claims of one term, which Raft rules out but reports of different ages can show, go to the lower
 * node id, so the choice does not depend on the order reports arrived in). Changed claim by claim as reports change,
 * so a pass pays for what its reports changed, not for every replica of every report. Soft state of the
 * {@link Observer}, on the controller's thread.
 */
final class LeaderClaims {

    private record Claim(NodeId node, long term) {

        boolean beats(Claim other) {
            return term != other.term ? term > other.term : node.compareTo(other.node) < 0;
        }
    }

    /** Each claimed partition's claims: one {@link Claim}, or a {@code Claim[]} while reports disagree (rare). */
    private final Map<PartitionId, Object> claims = new HashMap<>();
    private final Map<PartitionId, NodeId> leaders = new HashMap<>();
    private final Map<PartitionId, NodeId> leadersView = Collections.unmodifiableMap(leaders);
    private final Map<NodeId, Long> claimedBy = new HashMap<>();
    private Set<PartitionId> changed = new HashSet<>();

    /**
     * Takes {@code node}'s claims of report {@code before} back and makes those of {@code after}; either may be null.
     * Walks only the two reports' leaderships, side by side in partition order, and nothing at all when they claim
     * the same: most answers of a pass repeat the last one's leaderships.
     */
    void replace(NodeId node, NodeReplicas before, NodeReplicas after) {
        if (before != null && after != null && before.claimsAsMuchAs(after)) {
            return;
        }
        int beforeCount = before == null ? 0 : before.ledCount();
        int afterCount = after == null ? 0 : after.ledCount();
        int b = 0;
        int a = 0;
        while (b < beforeCount || a < afterCount) {
            int beforePartition = b < beforeCount ? before.ledPartition(b) : Integer.MAX_VALUE;
            int afterPartition = a < afterCount ? after.ledPartition(a) : Integer.MAX_VALUE;
            if (beforePartition == afterPartition) {
                if (before.ledTerm(b) != after.ledTerm(a)) {
                    retract(node, PartitionId.of(beforePartition));
                    claim(node, PartitionId.of(afterPartition), after.ledTerm(a));
                }
                b++;
                a++;
            } else if (beforePartition < afterPartition) {
                retract(node, PartitionId.of(beforePartition));
                b++;
            } else {
                claim(node, PartitionId.of(afterPartition), after.ledTerm(a));
                a++;
            }
        }
    }

    /** {@link #replace(NodeId, NodeReplicas, NodeReplicas)} for one partition's replica on {@code node}. */
    void replace(NodeId node, ReplicaView before, ReplicaView after) {
        if (sameClaim(before, after)) {
            return;
        }
        if (before != null && before.role() == ReplicaRole.LEADER) {
            retract(node, before.partition());
        }
        if (after != null && after.role() == ReplicaRole.LEADER) {
            claim(node, after.partition(), after.term());
        }
    }

    private static boolean sameClaim(ReplicaView one, ReplicaView other) {
        boolean oneClaims = one != null && one.role() == ReplicaRole.LEADER;
        boolean otherClaims = other != null && other.role() == ReplicaRole.LEADER;
        return oneClaims == otherClaims && (!oneClaims || one.term() == other.term());
    }

    private void claim(NodeId node, PartitionId partition, long term) {
        Claim claim = new Claim(node, term);
        claims.merge(partition, claim, (held, added) -> held instanceof Claim single
                ? new Claim[] {single, claim}
                : append((Claim[]) held, claim));
        claimedBy.merge(node, 1L, Long::sum);
        elect(partition);
    }

    private void retract(NodeId node, PartitionId partition) {
        Object held = claims.get(partition);
        boolean dropped = false;
        if (held instanceof Claim single) {
            if (single.node().equals(node)) {
                claims.remove(partition);
                dropped = true;
            }
        } else if (held instanceof Claim[] several) {
            Claim[] left = without(several, node);
            if (left != several) {
                claims.put(partition, left.length == 1 ? left[0] : left);
                dropped = true;
            }
        }
        if (!dropped) {
            throw new IllegalStateException("BUG: " + node + " retracts a claim on " + partition + " it does not hold");
        }
        claimedBy.computeIfPresent(node, (n, count) -> count == 1 ? null : count - 1);
        elect(partition);
    }

    private void elect(PartitionId partition) {
        Object held = claims.get(partition);
        NodeId leader;
        if (held == null) {
            leader = null;
        } else if (held instanceof Claim single) {
            leader = single.node();
        } else {
            Claim best = null;
            for (Claim claim : (Claim[]) held) {
                if (best == null || claim.beats(best)) {
                    best = claim;
                }
            }
            leader = best.node();
        }
        NodeId before = leader == null ? leaders.remove(partition) : leaders.put(partition, leader);
        if (!java.util.Objects.equals(before, leader)) {
            changed.add(partition);
        }
    }

    private static Claim[] append(Claim[] held, Claim claim) {
        Claim[] grown = java.util.Arrays.copyOf(held, held.length + 1);
        grown[held.length] = claim;
        return grown;
    }

    private static Claim[] without(Claim[] held, NodeId node) {
        Claim[] left = new Claim[held.length - 1];
        int at = 0;
        boolean dropped = false;
        for (Claim claim : held) {
            if (!dropped && claim.node().equals(node)) {
                dropped = true;
            } else if (at < left.length) {
                left[at++] = claim;
            }
        }
        return dropped ? left : held;
    }

    /** Each claimed partition's leader; a read-only view that follows the claims. */
    Map<PartitionId, NodeId> leaders() {
        return leadersView;
    }

    /** How many partitions {@code node}'s counted report says it leads. */
    long claimedBy(NodeId node) {
        return claimedBy.getOrDefault(node, 0L);
    }

    /** The partitions whose leader changed since the last call. */
    Set<PartitionId> takeChanged() {
        Set<PartitionId> taken = changed;
        changed = new HashSet<>();
        return taken;
    }
}
