package dev.sluice.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Where one partition's replicas live: the current replica set and, while a replica-set change is under
 * way, the next one (see the make-before-break protocol in {@code docs/architecture.md}). A worker keeps
 * a partition's Raft group exactly while it is in {@code current ∪ next}.
 *
 * @param next the replica set being moved to; empty when no change is under way
 * @param leader the last leader the controller observed or asked for, or {@code null}
 * @param basedOnNodesVersion the nodes-configuration version the last scheduling decision was based on
 * @param changeStartedAt when {@code next} was written, or {@code null} when no change is under way
 */
public record Placement(
        PartitionId partition,
        List<NodeId> current,
        List<NodeId> next,
        NodeId leader,
        PartitionPolicy policy,
        Version basedOnNodesVersion,
        Instant changeStartedAt) {

    @JsonCreator
    public Placement(
            @JsonProperty("partition") PartitionId partition,
            @JsonProperty("current") List<NodeId> current,
            @JsonProperty("next") List<NodeId> next,
            @JsonProperty("leader") NodeId leader,
            @JsonProperty("policy") PartitionPolicy policy,
            @JsonProperty("basedOnNodesVersion") Version basedOnNodesVersion,
            @JsonProperty("changeStartedAt") Instant changeStartedAt) {
        this.partition = Objects.requireNonNull(partition, "partition");
        this.current = distinct("current", partition, current);
        this.next = distinct("next", partition, next);
        this.leader = leader;
        this.policy = policy == null ? PartitionPolicy.DEFAULT : policy;
        this.basedOnNodesVersion = basedOnNodesVersion == null ? Version.INVALID : basedOnNodesVersion;
        this.changeStartedAt = changeStartedAt;
    }

    private static List<NodeId> distinct(String what, PartitionId partition, List<NodeId> nodes) {
        List<NodeId> copy = nodes == null ? List.of() : List.copyOf(nodes);
        if (new HashSet<>(copy).size() != copy.size()) {
            throw new IllegalArgumentException(partition + ": " + what + " replica set lists a node twice: " + copy);
        }
        return copy;
    }

    /** A partition with a replica set and no change under way. */
    public static Placement stable(PartitionId partition, List<NodeId> current, NodeId leader, Version basedOn) {
        return new Placement(partition, current, List.of(), leader, PartitionPolicy.DEFAULT, basedOn, null);
    }

    public boolean hasNext() {
        return !next.isEmpty();
    }

    /** Every node that should host the partition's group now: {@code current ∪ next}, current first. */
    public List<NodeId> members() {
        Set<NodeId> all = new LinkedHashSet<>(current);
        all.addAll(next);
        return List.copyOf(all);
    }

    public boolean names(NodeId node) {
        return current.contains(node) || next.contains(node);
    }

    /** Nodes in next but not in current: they are joining. */
    public List<NodeId> joining() {
        List<NodeId> result = new ArrayList<>(next);
        result.removeAll(current);
        return List.copyOf(result);
    }

    /** Nodes in current but not in next, while a change is under way: they are leaving. */
    public List<NodeId> leaving() {
        if (!hasNext()) {
            return List.of();
        }
        List<NodeId> result = new ArrayList<>(current);
        result.removeAll(next);
        return List.copyOf(result);
    }

    public Placement withNext(List<NodeId> newNext, Version basedOn, Instant startedAt) {
        return new Placement(partition, current, newNext, leader, policy, basedOn, newNext.isEmpty() ? null : startedAt);
    }

    /** The change is done: next becomes current. */
    public Placement completed() {
        if (!hasNext()) {
            throw new IllegalStateException("BUG: " + partition + " has no change under way to complete");
        }
        return new Placement(partition, next, List.of(), leader, policy, basedOnNodesVersion, null);
    }

    public Placement withLeader(NodeId newLeader) {
        return Objects.equals(leader, newLeader) ? this
                : new Placement(partition, current, next, newLeader, policy, basedOnNodesVersion, changeStartedAt);
    }

    public Placement withPolicy(PartitionPolicy newPolicy) {
        return Objects.equals(policy, newPolicy) ? this
                : new Placement(partition, current, next, leader, newPolicy, basedOnNodesVersion, changeStartedAt);
    }
}
